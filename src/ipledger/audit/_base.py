"""Shared state and helpers of the audit checks (one module per check beside this one)."""

from collections.abc import Mapping, Sequence
from typing import Any

from ipledger.audit.recompute import Recompute
from ipledger.chain.backend import BlockInfo, ChainBackend, RawLog
from ipledger.chain.client import LedgerClient
from ipledger.chain.codes import TxKind
from ipledger.documents import DocumentStore
from ipledger.errors import ProvenanceError
from ipledger.ledger.mapper import Mapper
from ipledger.ledger.store import Store

ZERO20 = "0x" + "00" * 20

ZERO32 = "0x" + "00" * 32
ZERO20 = "0x" + "00" * 20

# Tables fed by each contract, and the key that names a row.
LEDGER_TABLES = ("assets", "status_changes", "transactions", "voids", "consents")
# Tables whose rows are records (take a record id); a consent is attached to its record.
LEDGER_RECORD_TABLES = ("assets", "status_changes", "transactions", "voids")
REGISTRY_TABLES = ("anchors", "claims")
ROW_TABLES = (*LEDGER_TABLES, *REGISTRY_TABLES, "role_events", "organisations", "currency_events")
ASSET_TABLES = (*LEDGER_TABLES, *REGISTRY_TABLES)

# Which account column of a table must hold which role.
ROLE_COLUMNS = {
    "assets": ("registrar", "REGISTRAR_ROLE"),
    "status_changes": ("registrar", "REGISTRAR_ROLE"),
    "transactions": ("recorder", "RECORDER_ROLE"),
    "voids": ("recorder", "RECORDER_ROLE"),
    "anchors": ("by", None),  # VALUER_ROLE for valuations, INSURER_ROLE for quotes and policies
    "claims": ("insurer", "INSURER_ROLE"),
}
DOC_COLUMNS = {
    "assets": "metadata_hash",
    "status_changes": "doc_hash",
    "transactions": "doc_hash",
    "voids": "doc_hash",
    "claims": "doc_hash",
}
TRANSFERS = (int(TxKind.ASSIGNMENT), int(TxKind.AUCTION))
OWNER_CALLS_MAX = 5000
FOREIGN_LOOKUPS_MAX = 50  # foreign rows whose claimed log is looked up on chain


def _hex(b: bytes) -> str:
    return "0x" + b.hex()


def _key(table: str, row: Mapping[str, Any]) -> tuple[Any, ...]:
    if table in ("role_events", "organisations", "currency_events"):
        return (int(row["block_number"]), int(row["log_index"]))
    if table == "consents":
        return (int(row["tx_record_id"]), int(row["level"]))
    return (int(row["record_id"]),)


def _where(table: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """The location of a row: table, record id (or asset id), block, log index, transaction."""
    loc: dict[str, Any] = {"table": table}
    if "record_id" in row:
        loc["record_id"] = int(row["record_id"])
    elif "tx_record_id" in row:
        loc["record_id"] = int(row["tx_record_id"])
    loc["block"] = int(row["block_number"])
    loc["log_index"] = int(row["log_index"])
    loc["tx_hash"] = row.get("tx_hash")
    if row.get("asset_id"):
        loc["asset_id"] = row["asset_id"]
    return loc


def _name(table: str, row: Mapping[str, Any]) -> str:
    if table in ("role_events", "organisations", "currency_events"):
        return f"{table} row at block {row['block_number']} log {row['log_index']}"
    if table == "consents":
        return f"consent {row['level']} of #{row['tx_record_id']} (block {row['block_number']}, log {row['log_index']})"
    return f"{table} #{row['record_id']} (block {row['block_number']}, log {row['log_index']})"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return bool(a) == bool(b) and not (a is None or b is None)
    if isinstance(a, int) and not isinstance(b, str):
        try:
            return int(a) == int(b)
        except (TypeError, ValueError):
            return False
    return a == b


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 24 else text[:12] + "…" + text[-6:]


class AuditBase:
    """What every check reads: the chain, the store, the logs of the one pass and the rows.

    Set by :class:`ipledger.audit.core.Auditor` before the checks run.
    """

    backend: ChainBackend
    store: Store
    client: LedgerClient
    documents: DocumentStore | None
    start_block: int
    at_block: int | None
    asset_filter: str | None
    check_documents: bool
    reports: bool
    recompute: dict[int, Recompute | None]
    ledger: Any
    ledger_address: bytes
    registry_address: bytes
    addresses: dict[bytes, str]
    mapper: Mapper
    _lookups: int
    head: int
    indexed_to: int
    end: int
    asset_id: str | None
    logs: list[RawLog]
    rows: dict[str, list[dict[str, Any]]]

    def _read(self, table: str) -> list[dict[str, Any]]:
        rows = self.store.read(table)
        if self.asset_id and table in ASSET_TABLES:
            rows = [r for r in rows if r["asset_id"] == self.asset_id]
        elif self.asset_id:
            rows = []
        return rows

    def _resolve_asset(self, text: str) -> str:
        t = text.strip().lower()
        if t.startswith("0x") and len(t) == 66:
            hits = self.store.read("assets", lambda a: a.c.asset_id == t)
        else:
            hits = [r for r in self.store.read("assets") if str(r["registry_number"]).lower() == t]
        if len(hits) == 1:
            return str(hits[0]["asset_id"])
        if len(hits) > 1:
            raise ProvenanceError(f"registry number {text!r} names {len(hits)} assets; give the 0x asset id")
        if t.startswith("0x") and len(t) == 66:
            return t  # not indexed (perhaps deleted from the store): audit it anyway
        raise ProvenanceError(f"unknown asset {text!r} (not in the indexed ledger)")

    def _audited(self, row: Mapping[str, Any]) -> bool:
        return self.start_block <= int(row["block_number"]) <= self.end

    def _headers(self, numbers: Sequence[int]) -> dict[int, BlockInfo]:
        wanted = sorted(n for n in numbers if n <= self.head)
        return {b.number: b for b in self.backend.blocks(wanted)}
