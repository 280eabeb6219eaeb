"""Reading one value of an import row: parties, dates, enums, numbers, documents, royalty rates."""

from __future__ import annotations

import datetime as dt
import json
from enum import IntEnum
from pathlib import Path
from typing import Any

from ipledger.chain.codes import parse_enum
from ipledger.chain.records import to_timestamp
from ipledger.errors import ValidationError
from ipledger.parties import party_address as _named_party

ZERO32 = "0x" + "00" * 32
INACTIVE = {"lapsed", "invalidated", "expired"}
ASSET_COLUMNS = ("jurisdiction", "kind", "registry_number", "filing_date", "owner")
TX_COLUMNS = ("asset", "kind", "seller", "buyer", "date")
STATUS_COLUMNS = ("asset", "status", "date")


def party_address(text: str) -> bytes:
    """A 0x address as given, or a stable address derived from a party's name."""
    t = text.strip()
    if t.lower().startswith("0x") and len(t) == 42:
        try:
            return bytes.fromhex(t[2:])
        except ValueError as exc:
            raise ValidationError(f"not an address: {t!r}") from exc
    if not t:
        raise ValidationError("party is empty")
    return _named_party(t)


def _now() -> int:
    return int(dt.datetime.now(dt.UTC).timestamp())


def _need(row: dict[str, str], key: str) -> str:
    value = row.get(key, "").strip()
    if not value:
        raise ValidationError(f"{key} is missing")
    return value


def _date(row: dict[str, str], key: str, required: bool = False) -> int:
    value = row.get(key, "").strip()
    if not value:
        if required:
            raise ValidationError(f"{key} is missing")
        return 0
    try:
        return to_timestamp(value)
    except ValidationError:
        raise ValidationError(f"{key} {value!r} is not a date (write YYYY-MM-DD)") from None


def _enum(enum: type[IntEnum], value: str, what: str) -> Any:
    try:
        return enum(parse_enum(enum, value))
    except (KeyError, ValueError) as exc:
        names = ", ".join(e.name.lower() for e in enum)
        raise ValidationError(f"unknown {what} {value!r} (one of: {names})") from exc


def _number(row: dict[str, str], key: str) -> float:
    try:
        value = float(row[key])
    except ValueError:
        raise ValidationError(f"{key} {row[key]!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValidationError(f"{key} {row[key]!r} is not a finite number")
    return value


def _document(row: dict[str, str], key: str, base: Path) -> bytes | None:
    if not row.get(key):
        return None
    p = (base / row[key]).resolve()
    if not p.is_file():
        raise ValidationError(f"{key} not found: {row[key]}")
    return p.read_bytes()


def _metadata_doc(row: dict[str, str], base: Path) -> bytes | None:
    doc = _document(row, "metadata_file", base)
    if doc is not None:
        return doc
    meta: dict[str, Any] = {}
    for k in ("title", "field", "claims", "citations", "family_size", "rd_cost"):
        if row.get(k, "") != "":
            meta[k] = row[k] if k in ("title", "field") else _number(row, k)
    return json.dumps(meta, sort_keys=True, separators=(",", ":")).encode() if meta else None


def royalty_bps(row: dict[str, str]) -> int:
    """Basis points from ``royalty_rate`` (a fraction, ``0.035``, or a percentage, ``3.5%``) or
    ``royalty_bps``."""
    rate = row.get("royalty_rate", "").strip()
    if rate:
        percent = rate.endswith("%")
        try:
            value = float(rate.rstrip("%").strip()) / (100 if percent else 1)
        except ValueError:
            raise ValidationError(f"royalty_rate {rate!r} is not a number (write 0.035 or 3.5%)") from None
        if not 0 <= value <= 1:
            hint = f"; for {rate} percent write {float(rate.rstrip('%')) / 100:g} or {rate}%" if not percent else ""
            raise ValidationError(f"royalty_rate {rate} is not a fraction of sales between 0 and 1 (1 = 100%){hint}")
        return round(value * 10_000)
    text = row.get("royalty_bps", "").strip()
    if not text:
        return 0
    try:
        bps = int(text)
    except ValueError:
        raise ValidationError(f"royalty_bps {text!r} is not a whole number of basis points") from None
    if not 0 <= bps <= 10_000:
        raise ValidationError(f"royalty_bps {bps} is outside 0-10000 (10000 = 100% of sales)")
    return bps


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError | ValueError):
        return str(exc)
    return f"cannot read this row ({exc.__class__.__name__}: {exc})"
