"""What an import would write: every row validated against the ledger and the earlier rows of the file."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ipledger.chain.codes import TxKind
from ipledger.consent_rows import consents_from_row
from ipledger.errors import ValidationError
from ipledger.import_rows import ERROR, read_rows
from ipledger.importer.fields import (
    ASSET_COLUMNS,
    INACTIVE,
    STATUS_COLUMNS,
    TX_COLUMNS,
    _date,
    _now,
    _reason,
)
from ipledger.importer.rows import (
    LedgerView,
    RowError,
    canonical_tx,
    parse_asset_row,
    parse_status_row,
    parse_tx_row,
)


@dataclass
class ImportPlan:
    """What an import would write, what it skips as already recorded, and what is wrong."""

    kind: str
    rows: list[Any] = field(default_factory=list)  # AssetInput, TxInput or StatusInput, in write order
    documents: list[bytes] = field(default_factory=list)  # to store before writing
    errors: list[RowError] = field(default_factory=list)
    parties: set[str] = field(default_factory=set)  # party names given in the file
    already: int = 0
    total: int = 0
    lines: list[int] = field(default_factory=list)  # file line of each row
    consents: list[list[Any]] = field(default_factory=list)  # parties' signatures per row


def plan_assets(path: Path, known: set[str], now: int | None = None) -> ImportPlan:
    """Validate an asset file against the ledger's known asset ids (0x hex)."""
    now = now or _now()
    plan = ImportPlan("assets")
    seen: dict[str, int] = {}
    for line, row in read_rows(path, ASSET_COLUMNS):
        plan.total += 1
        try:
            if ERROR in row:
                raise ValidationError(row[ERROR])
            asset, doc = parse_asset_row(row, path.parent)
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
            plan.parties.add(row["owner"])
            if doc:
                plan.documents.append(doc)
        except Exception as exc:  # one bad row must never stop the others
            plan.errors.append(RowError(line, _reason(exc)))
    return plan


@dataclass
class _Item:
    line: int
    date: int
    order: int  # trades of a date before the status changes of that date
    row: dict[str, str]
    source: str  # "tx" or "status"
    error: str | None = None


def _items(path: Path, columns: tuple[str, ...], source: str, view: LedgerView) -> Iterator[_Item]:
    for line, row in read_rows(path, columns):
        if ERROR in row:
            yield _Item(line, 0, 0, row, source, row[ERROR])
            continue
        try:
            date = _date(row, "date", required=True)
        except ValidationError:
            date = 0  # reported when the row is parsed
        yield _Item(line, date, 0 if source == "tx" else 1, row, source)


def plan_transactions(
    path: Path | None, view: LedgerView, now: int | None = None, status_path: Path | None = None
) -> ImportPlan:
    """Validate a transaction file (and a status file) against the ledger and earlier rows.

    With ``status_path``, both files are merged in date order (trades of a day before that day's
    status changes) and validated as that sequence, which is also the order they are written in.
    Line numbers of status rows are reported with the status file's name.
    """
    now = now or _now()
    plan = ImportPlan("transactions" if path is not None else "status")
    items: list[_Item] = []
    if path is not None:
        items.extend(_items(path, TX_COLUMNS, "tx", view))
    if status_path is not None:
        items.extend(_items(status_path, STATUS_COLUMNS, "status", view))
    if status_path is not None:
        items.sort(key=lambda i: (i.date, i.order, i.line))  # stable: file order within a day
    owner = dict(view.owner)
    status = dict(view.status)
    seen: dict[bytes, int] = {}
    for item in items:
        plan.total += 1
        where = (status_path if item.source == "status" else path) or Path(".")
        try:
            if item.error:
                raise ValidationError(item.error)
            if item.source == "status":
                _plan_status(item, view, status, status_path or Path("."), now, plan)
            else:
                _plan_tx(item, view, owner, status, seen, (path or Path(".")).parent, now, plan)
        except Exception as exc:  # one bad row must never stop the others
            plan.errors.append(RowError(item.line, _reason(exc), where.name))
    # Replayed in date order, reported in file order: the transactions file first.
    first = path.name if path is not None else ""
    plan.errors.sort(key=lambda e: (e.file != first, e.file, e.line))
    return plan


def plan_status(path: Path, view: LedgerView, now: int | None = None) -> ImportPlan:
    """Validate a file of dated status changes (asset, status, date, document)."""
    return plan_transactions(None, view, now, status_path=path)


def _plan_tx(
    item: _Item,
    view: LedgerView,
    owner: dict[str, bytes],
    status: dict[str, str],
    seen: dict[bytes, int],
    base: Path,
    now: int,
    plan: ImportPlan,
) -> None:
    row = item.row
    tx, document = parse_tx_row(row, view, base)
    tx.validate(now)
    aid = "0x" + tx.asset_id.hex()
    identity = canonical_tx(tx, document)
    digest = hashlib.sha256(identity).digest()
    if digest in seen:
        raise ValidationError(f"duplicate of line {seen[digest]}")
    seen[digest] = item.line
    legacy = hashlib.sha256(document).digest() if document is not None else digest
    if (aid, "0x" + digest.hex()) in view.recorded or (aid, "0x" + legacy.hex()) in view.recorded:
        # Written by an earlier run of this file (or, for a row with a document, by a version that
        # recorded the document's own hash): skip, check nothing.
        plan.already += 1
        return
    # On chain goes the hash of the row's identity record; for a row with a document that record
    # names the document's hash, so the document stays provable and two rows may share it.
    tx = replace(tx, doc_hash=digest)
    if tx.date < view.filing[aid]:
        raise ValidationError("date is before the asset's filing date")
    kind = tx.kind
    state = status[aid]
    if kind != TxKind.RELEASE and state in INACTIVE:
        raise ValidationError(f"asset is {state} at this date (add its status history with --status?)")
    if kind != TxKind.RELEASE and state == "ownership_dispute":
        raise ValidationError("asset is under an ownership dispute")
    if kind in (TxKind.ASSIGNMENT, TxKind.AUCTION):
        if owner[aid] != tx.seller:
            raise ValidationError(f"seller {row['seller']} does not own the asset")
        owner[aid] = bytes(tx.buyer)  # type: ignore[arg-type]
    plan.rows.append(tx)
    plan.lines.append(item.line)
    plan.consents.append(consents_from_row(row, tx))
    plan.documents.append(identity)
    if document is not None:
        plan.documents.append(document)
    plan.parties.update(row[k] for k in ("seller", "buyer"))


def _plan_status(item: _Item, view: LedgerView, status: dict[str, str], path: Path, now: int, plan: ImportPlan) -> None:
    change, doc = parse_status_row(item.row, view, path.parent)
    aid = "0x" + change.asset_id.hex()
    if not 0 < change.date <= now:
        raise ValidationError("date is in the future")
    if change.date < view.filing[aid]:
        raise ValidationError("date is before the asset's filing date")
    name = change.status.name.lower()
    if (aid, name, change.date) in view.statuses:
        plan.already += 1
        status[aid] = name
        return
    status[aid] = name
    plan.rows.append(change)
    plan.lines.append(item.line)
    plan.consents.append([])
    if doc is not None:
        plan.documents.append(doc)


def ledger_view(ledger: Any) -> LedgerView:
    """Build the validation view from an ``ipledger.ledger.Ledger``."""
    a = ledger.assets()
    tx = ledger.transactions(include_void=True)
    sh = ledger.status_history()
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
        statuses={(str(r.asset_id), str(r.status), int(r.date.timestamp())) for r in sh.itertuples()}
        if len(sh)
        else set(),
    )
