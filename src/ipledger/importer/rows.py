"""One import row as a record: assets, transactions and status changes, and the row identity."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ipledger.chain.codes import AssetKind, Exclusivity, Status, TxKind
from ipledger.chain.records import AssetInput, TxInput
from ipledger.errors import ValidationError
from ipledger.importer.fields import (
    _date,
    _document,
    _enum,
    _metadata_doc,
    _need,
    party_address,
    royalty_bps,
)
from ipledger.money import check_currency, to_minor


@dataclass(frozen=True)
class RowError:
    """A row that cannot be imported: its first line in the file and why."""

    line: int
    reason: str
    file: str = ""  # set when an import reads two files (transactions and status)

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class StatusInput:
    """A dated status change of an asset (unix seconds), replayed with the trades."""

    asset_id: bytes
    status: Status
    date: int
    doc_hash: bytes = b"\0" * 32


@dataclass
class LedgerView:
    """What transaction validation needs from the ledger: assets and recorded row identities."""

    asset_by_key: dict[str, str]  # registry number (lower) or 0x id -> 0x id
    owner: dict[str, bytes]
    status: dict[str, str]
    filing: dict[str, int]
    recorded: set[tuple[str, str]]  # (asset id, doc hash) already on chain
    statuses: set[tuple[str, str, int]] = field(default_factory=set)  # (asset id, status, date) on chain


def parse_asset_row(row: dict[str, str], base: Path) -> tuple[AssetInput, bytes | None]:
    """One asset row -> the asset to register and its metadata document (if any)."""
    doc = _metadata_doc(row, base)
    asset = AssetInput(
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
    return asset, doc


def canonical_tx(tx: TxInput, document: bytes | None = None) -> bytes:
    """The row identity document of a transaction: its content, plus its document's hash."""
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
    if document is not None:
        body["document"] = "0x" + hashlib.sha256(document).hexdigest()
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def _asset(row: dict[str, str], view: LedgerView) -> str:
    given = _need(row, "asset")
    aid = view.asset_by_key.get(given.lower())
    if aid is None:
        raise ValidationError(f"unknown asset {given!r}")
    return aid


def parse_tx_row(row: dict[str, str], view: LedgerView, base: Path) -> tuple[TxInput, bytes | None]:
    """One transaction row -> the record (without its document hash) and its document."""
    aid = _asset(row, view)
    currency = check_currency(row.get("currency") or "CNY")
    amount_text = row.get("amount", "") or "0"
    amount = to_minor(amount_text, currency)
    if amount < 0:
        raise ValidationError(f"amount must not be negative ({amount_text})")
    try:
        ref = int(row.get("ref") or 0)
    except ValueError:
        raise ValidationError(f"ref {row['ref']!r} is not a record number") from None
    tx = TxInput(
        asset_id=bytes.fromhex(aid[2:]),
        kind=_enum(TxKind, _need(row, "kind"), "transaction kind"),
        seller=party_address(_need(row, "seller")),
        buyer=party_address(_need(row, "buyer")),
        date=_date(row, "date", required=True),
        currency=currency,
        amount=amount,
        royalty_bps=royalty_bps(row),
        exclusivity=_enum(Exclusivity, row.get("exclusivity") or "non_exclusive", "exclusivity"),
        territory=(row.get("territory") or "WW").upper(),
        term_end=_date(row, "term_end"),
        ref=ref,
    )
    return tx, _document(row, "document", base)


def parse_status_row(row: dict[str, str], view: LedgerView, base: Path) -> tuple[StatusInput, bytes | None]:
    """One status row (asset, status, date, optional document) -> the status change."""
    aid = _asset(row, view)
    doc = _document(row, "document", base)
    change = StatusInput(
        asset_id=bytes.fromhex(aid[2:]),
        status=_enum(Status, _need(row, "status"), "status"),
        date=_date(row, "date", required=True),
        doc_hash=hashlib.sha256(doc).digest() if doc else b"\0" * 32,
    )
    return change, doc
