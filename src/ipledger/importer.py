"""Import assets, transactions and dated status changes from CSV or JSON-lines files.

Every row is validated before anything is written: its structure (see ``import_rows``), its
values, the contracts' rules, the indexed ledger (asset known, seller owns it, asset active) and
the earlier rows of the same file. Every bad row is reported with its line number; unless
``skip_invalid``, nothing is written when any row is bad. Rows already on chain are skipped, so
rerunning a file (even after a crash mid-import) adds no duplicate and leaves no gap: each
transaction row's identity is the SHA-256 of its canonical content, which includes the hash of
its document when it names one (two rows may share one document) and is recorded on chain as the
row's document hash when it names none.

Status changes (``asset,status,date[,document]``) are replayed with the trades in date order, so a
register whose assets lapsed or expired after trading loads as it happened.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from enum import IntEnum
from pathlib import Path
from typing import Any

from ipledger.chain.codes import AssetKind, Exclusivity, Status, TxKind, parse_enum
from ipledger.chain.records import AssetInput, TxInput, to_timestamp
from ipledger.consent_rows import consents_from_row
from ipledger.errors import ValidationError
from ipledger.import_rows import ERROR, read_rows
from ipledger.money import check_currency, to_minor
from ipledger.parties import party_address as _named_party

ZERO32 = "0x" + "00" * 32
INACTIVE = {"lapsed", "invalidated", "expired"}
ASSET_COLUMNS = ("jurisdiction", "kind", "registry_number", "filing_date", "owner")
TX_COLUMNS = ("asset", "kind", "seller", "buyer", "date")
STATUS_COLUMNS = ("asset", "status", "date")

__all__ = [
    "ImportPlan",
    "LedgerView",
    "RowError",
    "StatusInput",
    "execute",
    "ledger_view",
    "plan_assets",
    "plan_status",
    "plan_transactions",
    "read_rows",
]


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


# ------------------------------------------------------------------------ assets


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


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError | ValueError):
        return str(exc)
    return f"cannot read this row ({exc.__class__.__name__}: {exc})"


# ------------------------------------------------------------------------ transactions


@dataclass
class LedgerView:
    """What transaction validation needs from the ledger: assets and recorded row identities."""

    asset_by_key: dict[str, str]  # registry number (lower) or 0x id -> 0x id
    owner: dict[str, bytes]
    status: dict[str, str]
    filing: dict[str, int]
    recorded: set[tuple[str, str]]  # (asset id, doc hash) already on chain
    statuses: set[tuple[str, str, int]] = field(default_factory=set)  # (asset id, status, date) on chain


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


def _segments(rows: list[tuple[Any, list[Any]]]) -> Iterator[list[tuple[Any, list[Any]]]]:
    """Runs of consecutive transactions (one batch stream) and single status changes, each row
    with its parties' consents."""
    run: list[tuple[Any, list[Any]]] = []
    for pair in rows:
        if isinstance(pair[0], StatusInput):
            if run:
                yield run
                run = []
            yield [pair]
        else:
            run.append(pair)
    if run:
        yield run


def execute(
    plan: ImportPlan,
    client: Any,
    documents: Any,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
    parties: Any = None,
) -> int:
    """Store the documents and party names, then write the plan's rows; returns rows written.

    Transactions go in batches of ``batch_size``; a status change is one transaction of its own,
    written between the trades dated before and after it.
    """
    for doc in plan.documents:
        documents.put(doc)
    if parties is not None:
        parties.add(plan.parties)
    written = 0
    if plan.kind == "assets":
        for res in client.register_assets(plan.rows, batch_size=batch_size):
            written += res.count
            if progress:
                progress(res.count)
        return written
    consents = plan.consents if len(plan.consents) == len(plan.rows) else [[] for _ in plan.rows]
    for segment in _segments(list(zip(plan.rows, consents, strict=True))):
        first = segment[0][0]
        if isinstance(first, StatusInput):
            client.set_status(first.asset_id, int(first.status), first.date, first.doc_hash)
            written += 1
            if progress:
                progress(1)
            continue
        if any(c for _, c in segment):
            for start in range(0, len(segment), batch_size):
                chunk = segment[start : start + batch_size]
                client.record_batch_with_consent(chunk)
                written += len(chunk)
                if progress:
                    progress(len(chunk))
            continue
        for res in client.record_many([r for r, _ in segment], batch_size=batch_size):
            written += res.count
            if progress:
                progress(res.count)
    return written
