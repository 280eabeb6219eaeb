"""Import assets and transactions from CSV or JSON-lines files.

Every row is validated before anything is written: against the contracts' rules, the indexed
ledger (asset known, seller owns it, asset active) and the earlier rows of the same file. Bad rows
are reported with their line numbers; unless ``skip_invalid``, nothing is written when any row is
bad. Rows already on chain are skipped, so rerunning a file (even after a crash mid-import) adds
no duplicate and leaves no gap: each transaction row's identity is the SHA-256 of its canonical
content, recorded on chain as its document hash when the row names no document.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from enum import IntEnum
from pathlib import Path
from typing import Any

from eth_utils import keccak

from ipledger.chain.codes import AssetKind, Exclusivity, Status, TxKind, parse_enum
from ipledger.chain.records import AssetInput, TxInput, to_timestamp
from ipledger.consent_rows import consents_from_row
from ipledger.errors import ValidationError
from ipledger.money import to_minor

ZERO32 = "0x" + "00" * 32
INACTIVE = {"lapsed", "invalidated", "expired"}


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class ImportPlan:
    """What an import would write, what it skips as already recorded, and what is wrong."""

    kind: str
    rows: list[Any] = field(default_factory=list)  # AssetInput or TxInput, in file order
    documents: list[bytes] = field(default_factory=list)  # to store before writing
    errors: list[RowError] = field(default_factory=list)
    already: int = 0
    total: int = 0
    lines: list[int] = field(default_factory=list)  # file line of each row
    consents: list[list[Any]] = field(default_factory=list)  # parties' signatures per row


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) from a CSV (header on line 1) or JSON-lines file."""
    if not path.is_file():
        raise ValidationError(f"no such file: {path}")
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        with path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield n, {"__error__": f"not JSON: {exc.msg}"}
                    continue
                yield n, {k: "" if v is None else str(v) for k, v in obj.items()}
        return
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            yield reader.line_num, {(k or "").strip(): (v or "").strip() for k, v in row.items()}


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
    return keccak(text=f"ipledger.party:{t}")[12:]


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
    except ValidationError as exc:
        raise ValidationError(f"{key}: {exc}") from exc


def _enum(enum: type[IntEnum], value: str, what: str) -> Any:
    try:
        return enum(parse_enum(enum, value))
    except (KeyError, ValueError) as exc:
        names = ", ".join(e.name.lower() for e in enum)
        raise ValidationError(f"unknown {what} {value!r} (one of: {names})") from exc


def _metadata_doc(row: dict[str, str], base: Path) -> bytes | None:
    if row.get("metadata_file"):
        p = (base / row["metadata_file"]).resolve()
        if not p.is_file():
            raise ValidationError(f"metadata_file not found: {row['metadata_file']}")
        return p.read_bytes()
    keys = ("title", "field", "claims", "citations", "family_size", "rd_cost")
    meta: dict[str, Any] = {}
    for k in keys:
        if row.get(k, "") != "":
            meta[k] = row[k] if k in ("title", "field") else float(row[k])
    return json.dumps(meta, sort_keys=True, separators=(",", ":")).encode() if meta else None


def plan_assets(path: Path, known: set[str], now: int | None = None) -> ImportPlan:
    """Validate an asset file against the ledger's known asset ids (0x hex)."""
    import hashlib

    now = now or _now()
    plan = ImportPlan("assets")
    seen: dict[str, int] = {}
    for line, row in read_rows(path):
        plan.total += 1
        try:
            if "__error__" in row:
                raise ValidationError(row["__error__"])
            doc = _metadata_doc(row, path.parent)
            asset = AssetInput(  # registry number canonicalised below, before it makes the id
                jurisdiction=_need(row, "jurisdiction").upper(),
                kind=_enum(AssetKind, _need(row, "kind"), "asset kind"),
                registry_number=_need(row, "registry_number"),
                class_code=row.get("class_code", ""),
                filing_date=_date(row, "filing_date", required=True),
                owner=party_address(_need(row, "owner")),
                grant_date=_date(row, "grant_date"),
                expiry_date=_date(row, "expiry_date"),
                status=_enum(Status, row.get("status") or "active", "status"),
                metadata_hash=hashlib.sha256(doc).digest() if doc else b"\0" * 32,
            )
            asset = asset.canonical()
            asset.validate(now)
            aid = "0x" + asset.asset_id.hex()
            if aid in seen:
                raise ValidationError(f"duplicate of line {seen[aid]} ({asset.registry_number})")
            seen[aid] = line
            if aid in known:
                plan.already += 1
                continue
            plan.rows.append(asset)
            if doc:
                plan.documents.append(doc)
        except (ValidationError, ValueError) as exc:
            plan.errors.append(RowError(line, str(exc)))
    return plan


@dataclass
class LedgerView:
    """What transaction validation needs from the ledger: assets and recorded row identities."""

    asset_by_key: dict[str, str]  # registry number (lower) or 0x id -> 0x id
    owner: dict[str, bytes]
    status: dict[str, str]
    filing: dict[str, int]
    recorded: set[tuple[str, str]]  # (asset id, doc hash) already on chain


def canonical_tx(tx: TxInput) -> bytes:
    """The row identity document of a transaction that names no document of its own."""
    body = {
        "asset_id": "0x" + tx.asset_id.hex(),
        "kind": tx.kind.name.lower(),
        "seller": "0x" + bytes(tx.seller).hex() if isinstance(tx.seller, bytes) else str(tx.seller),
        "buyer": "0x" + bytes(tx.buyer).hex() if isinstance(tx.buyer, bytes) else str(tx.buyer),
        "date": tx.date,
        "currency": tx.currency,
        "amount": tx.amount,
        "royalty_bps": tx.royalty_bps,
        "exclusivity": int(tx.exclusivity),
        "territory": tx.territory,
        "term_end": tx.term_end,
        "ref": tx.ref,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def plan_transactions(path: Path, view: LedgerView, now: int | None = None) -> ImportPlan:
    """Validate a transaction file against the ledger view and the file's earlier rows."""
    import hashlib

    now = now or _now()
    plan = ImportPlan("transactions")
    owner = dict(view.owner)
    seen: dict[bytes, int] = {}
    for line, row in read_rows(path):
        plan.total += 1
        try:
            if "__error__" in row:
                raise ValidationError(row["__error__"])
            key = _need(row, "asset").lower()
            aid = view.asset_by_key.get(key)
            if aid is None:
                raise ValidationError(f"unknown asset {row['asset']!r}")
            kind = _enum(TxKind, _need(row, "kind"), "transaction kind")
            currency = _need(row, "currency").upper() if row.get("currency") else "CNY"
            amount_text = row.get("amount", "") or "0"
            try:
                amount = to_minor(amount_text, currency)
            except Exception as exc:
                raise ValidationError(f"amount {amount_text!r} is not a number") from exc
            if amount < 0:
                raise ValidationError(f"amount must not be negative ({amount_text})")
            rate = row.get("royalty_rate", "")
            bps = round(float(rate) * 10_000) if rate else int(row.get("royalty_bps") or 0)
            doc_bytes = None
            if row.get("document"):
                p = (path.parent / row["document"]).resolve()
                if not p.is_file():
                    raise ValidationError(f"document not found: {row['document']}")
                doc_bytes = p.read_bytes()
            tx = TxInput(
                asset_id=bytes.fromhex(aid[2:]),
                kind=kind,
                seller=party_address(_need(row, "seller")),
                buyer=party_address(_need(row, "buyer")),
                date=_date(row, "date", required=True),
                currency=currency,
                amount=amount,
                royalty_bps=bps,
                exclusivity=_enum(Exclusivity, row.get("exclusivity") or "non_exclusive", "exclusivity"),
                territory=(row.get("territory") or "WW").upper(),
                term_end=_date(row, "term_end"),
                ref=int(row.get("ref") or 0),
            )
            tx.validate(now)
            doc_bytes = doc_bytes or canonical_tx(tx)
            digest = hashlib.sha256(doc_bytes).digest()
            if digest in seen:
                raise ValidationError(f"duplicate of line {seen[digest]}")
            seen[digest] = line
            if (aid, "0x" + digest.hex()) in view.recorded:
                plan.already += 1  # written by an earlier run of this file: skip, check nothing
                continue
            tx = replace(tx, doc_hash=digest)
            if tx.date < view.filing[aid]:
                raise ValidationError("date is before the asset's filing date")
            status = view.status[aid]
            if kind != TxKind.RELEASE and status in INACTIVE:
                raise ValidationError(f"asset is {status}")
            if kind != TxKind.RELEASE and status == "ownership_dispute":
                raise ValidationError("asset is under an ownership dispute")
            if kind in (TxKind.ASSIGNMENT, TxKind.AUCTION):
                if owner[aid] != tx.seller:
                    raise ValidationError(f"seller {row['seller']} does not own the asset")
                owner[aid] = bytes(tx.buyer)  # type: ignore[arg-type]
            plan.rows.append(tx)
            plan.lines.append(line)
            plan.consents.append(consents_from_row(row, tx))
            plan.documents.append(doc_bytes)
        except (ValidationError, ValueError, KeyError) as exc:
            plan.errors.append(RowError(line, str(exc)))
    return plan


def ledger_view(ledger: Any) -> LedgerView:
    """Build the validation view from an ``ipledger.ledger.Ledger``."""
    a = ledger.assets()
    tx = ledger.transactions(include_void=True)
    by_key = {}
    for aid, num in zip(a["asset_id"], a["registry_number"], strict=True):
        by_key[str(aid)] = str(aid)
        by_key[str(num).lower()] = str(aid)
    return LedgerView(
        asset_by_key=by_key,
        owner={str(k): bytes.fromhex(str(v)[2:]) for k, v in zip(a["asset_id"], a["owner"], strict=True)},
        status=dict(zip(a["asset_id"].astype(str), a["status"].astype(str), strict=True)),
        filing={str(k): int(v.timestamp()) for k, v in zip(a["asset_id"], a["filing_date"], strict=True)},
        recorded=set(zip(tx["asset_id"].astype(str), tx["doc_hash"].astype(str), strict=True)),
    )


def execute(
    plan: ImportPlan,
    client: Any,
    documents: Any,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Store the documents, then write the plan's rows in batches; returns rows written."""
    for doc in plan.documents:
        documents.put(doc)
    written = 0
    if plan.kind == "assets":
        for res in client.register_assets(plan.rows, batch_size=batch_size):
            written += res.count
            if progress:
                progress(res.count)
    elif any(plan.consents):
        items = list(zip(plan.rows, plan.consents, strict=True))
        for start in range(0, len(items), batch_size):
            res = client.record_batch_with_consent(items[start : start + batch_size])
            n = len(items[start : start + batch_size])
            written += n
            if progress:
                progress(n)
    else:
        for res in client.record_many(plan.rows, batch_size=batch_size):
            written += res.count
            if progress:
                progress(res.count)
    return written
