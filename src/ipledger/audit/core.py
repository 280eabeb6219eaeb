"""The provenance audit: every indexed row, document, role, value and quote against the chain.

One linear pass reads every log of the two contracts of record from the chain (on the embedded
chain straight from py-evm's blocks and receipts). Everything else is derived from those logs and
from the store's rows, plus a handful of calls: the accumulators and record counts at the
audited blocks, one sender look-up per distinct transaction, and the asset states at the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from ipledger.audit._accumulators import AccumulatorsCheck
from ipledger.audit._base import ASSET_TABLES, ROW_TABLES, _hex
from ipledger.audit._complete import CompletenessCheck, promote_warnings
from ipledger.audit._consent import ConsentCheck
from ipledger.audit._files import FilesCheck, _kind_name
from ipledger.audit._links import LinksCheck
from ipledger.audit._roles import RolesCheck
from ipledger.audit._rows import RowsCheck
from ipledger.audit.recompute import Recompute, default_recompute
from ipledger.audit.report import AuditReport, Check
from ipledger.audit.witness import Witness
from ipledger.chain.backend import ChainBackend, RawLog
from ipledger.chain.client import LedgerClient
from ipledger.chain.codes import TxKind
from ipledger.documents import DocumentStore
from ipledger.errors import ProvenanceError
from ipledger.ledger.mapper import Mapper
from ipledger.ledger.store import Store

__all__ = ["audit", "audit_ledger"]


class Auditor(RowsCheck, AccumulatorsCheck, RolesCheck, LinksCheck, ConsentCheck, FilesCheck, CompletenessCheck):
    """Runs the checks; see :func:`audit` for the arguments."""

    def __init__(
        self,
        backend: ChainBackend,
        store: Store,
        client: LedgerClient,
        *,
        documents: DocumentStore | None = None,
        start_block: int = 0,
        at_block: int | None = None,
        asset_id: str | None = None,
        check_documents: bool = True,
        reports: bool = True,
        recompute: Mapping[int, Recompute | None] | None = None,
        ledger: Any = None,
        witness: Witness | None = None,
        strict: bool = False,
    ) -> None:
        self.backend = backend
        self.witness = witness
        self.strict = strict
        self.store = store
        self.client = client
        self.documents = documents
        self.start_block = max(0, start_block)
        self.at_block = at_block
        self.asset_filter = asset_id
        self.check_documents = check_documents
        self.reports = reports
        self.recompute: dict[int, Recompute | None] = dict(default_recompute())
        if recompute:
            self.recompute.update({int(k): v for k, v in recompute.items()})
        self.ledger = ledger
        self.ledger_address = client.ledger_address
        self.registry_address = client.registry_address
        self.addresses = {self.ledger_address: "IPLedger", self.registry_address: "ValuationRegistry"}
        self.mapper = Mapper(self.ledger_address, self.registry_address)
        self._lookups = 0

    # ------------------------------------------------------------------ driver

    def run(self) -> AuditReport:
        started = time.perf_counter()
        head = self.backend.head()
        cp = self.store.checkpoint()
        indexed_to = cp[0] if cp else self.start_block - 1
        if self.at_block is not None:
            if self.at_block > head:
                raise ProvenanceError(f"block {self.at_block} is beyond the chain head {head}")
            if self.at_block < self.start_block:
                raise ProvenanceError(f"block {self.at_block} is before the deployment (block {self.start_block})")
        self.head = head
        self.indexed_to = indexed_to
        self.end = indexed_to if self.at_block is None else min(indexed_to, self.at_block)
        self.asset_id = self._resolve_asset(self.asset_filter) if self.asset_filter else None

        report = AuditReport(
            chain_id=self.backend.chain_id,
            contracts={"IPLedger": _hex(self.ledger_address), "ValuationRegistry": _hex(self.registry_address)},
            from_block=self.start_block,
            to_block=self.end,
            head=head,
            at_block=self.at_block,
            asset_id=self.asset_id,
        )
        # The one pass over the chain: every log of both contracts, deployment to head.
        t = time.perf_counter()
        self.logs: list[RawLog] = (
            self.backend.get_logs(self.start_block, head, [self.ledger_address, self.registry_address])
            if head >= self.start_block
            else []
        )
        report.fetch_seconds = time.perf_counter() - t
        t = time.perf_counter()
        self.rows = {table: self._read(table) for table in ROW_TABLES}
        report.read_seconds = time.perf_counter() - t

        checks: list[Callable[[], Check]] = [
            self.check_rows,
            self.check_accumulators,
            self.check_roles,
            self.check_links,
            self.check_consents,
        ]
        if self.check_documents:
            checks.append(self.check_docs)
        if self.reports:
            checks.append(self.check_reports)
        checks.append(self.check_completeness)
        if self.witness is not None:
            checks.append(self.check_witness)
        for fn in checks:
            t = time.perf_counter()
            check = fn()
            check.seconds = time.perf_counter() - t
            if self.strict:
                promote_warnings(check)
            report.checks.append(check)
        if self.asset_id:
            report.timeline = self.timeline()
        report.seconds = time.perf_counter() - started
        return report

    # ------------------------------------------------------------------ timeline (asset audits)

    def timeline(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        labels = {
            "assets": "registered",
            "status_changes": "status",
            "voids": "void",
            "anchors": "anchor",
            "claims": "claim",
            "consents": "consent",
        }
        for table in ASSET_TABLES:
            for r in self.rows[table]:
                if not self._audited(r):
                    continue
                event = labels.get(table, "")
                if table == "transactions":
                    event = TxKind(int(r["kind"])).name.lower() if int(r["kind"]) in {int(k) for k in TxKind} else "tx"
                    if int(r["ref"]) and int(r["kind"]) != int(TxKind.RELEASE):
                        event = "amendment"
                elif table == "anchors":
                    event = _kind_name(int(r["kind"]))
                date = r.get("date") or r.get("as_of") or r.get("filing_date") or 0
                out.append(
                    {
                        "table": table,
                        "record_id": int(r["record_id"] if "record_id" in r else r["tx_record_id"]),
                        "event": event,
                        "block": int(r["block_number"]),
                        "log_index": int(r["log_index"]),
                        "date": int(date),
                        "tx_hash": r["tx_hash"],
                    }
                )
        out.sort(key=lambda e: (e["block"], e["log_index"]))
        return out


def audit(
    backend: ChainBackend,
    store: Store,
    client: LedgerClient,
    *,
    documents: DocumentStore | None = None,
    start_block: int = 0,
    at_block: int | None = None,
    asset_id: str | None = None,
    check_documents: bool = True,
    reports: bool = True,
    recompute: Mapping[int, Recompute | None] | None = None,
    ledger: Any = None,
    witness: Witness | None = None,
    strict: bool = False,
) -> AuditReport:
    """Audit a ledger store against the chain, from the parts (see :func:`audit_ledger`).

    Args:
        backend: the chain.
        store: the ledger store to audit.
        client: client of the deployed contracts of record (their addresses).
        documents: the document store, or None to skip the document and report checks.
        start_block: the deployment block (logs before it are not read).
        at_block: audit the state at this block: rows up to it, accumulators also at it.
        asset_id: restrict the row, role, link, document and report checks to one asset
            (0x id or registry number); the accumulators still cover everything.
        check_documents: run the document check.
        reports: run the anchored report check.
        recompute: recompute functions by anchor kind, ``callable(report, ledger, state_block)``
            returning the recomputed report hash; ``None`` for a kind disables recomputation.
        ledger: passed to recompute functions (default: a store-backed view).
        witness: also check that the chain still holds this witnessed state (``witness`` check).
        strict: turn every warning into a failure.
    """
    return Auditor(
        backend,
        store,
        client,
        documents=documents,
        start_block=start_block,
        at_block=at_block,
        asset_id=asset_id,
        check_documents=check_documents,
        reports=reports,
        recompute=recompute,
        ledger=ledger,
        witness=witness,
        strict=strict,
    ).run()


def audit_ledger(
    ledger: Any,
    *,
    at_block: int | None = None,
    asset_id: str | None = None,
    documents: bool = True,
    reports: bool = True,
    recompute: Mapping[int, Callable[[dict[str, Any], Any, int], str | bytes] | None] | None = None,
    strict: bool = False,
) -> AuditReport:
    """Prove an indexed ledger against its chain: every row, document, role, value and quote.

    Checks (each a :class:`~ipledger.audit.report.Check` in the report):

    - ``rows``: every row equals its log field by field; deleted, inserted and edited rows, rows of
      foreign contracts and rows from blocks the chain no longer has are failures.
    - ``accumulators``: both contracts' accumulators and record counts, recomputed from the events,
      equal the on-chain values at the head, the indexed block and ``at_block``.
    - ``roles``: every registrar/recorder/valuer/insurer held its role at its record's block
      (rebuilt from RoleGranted/RoleRevoked logs) and sent the record's transaction.
    - ``links``: voids, amendments and releases point to earlier records of the same asset with no
      cycle; each sale's seller was the owner; derived owners and statuses equal the contract's.
    - ``documents``: stored documents hash to their on-chain hashes (missing ones are warnings).
    - ``reports``: anchored reports in the document store hash to their anchor and recompute to it.
    - ``completeness``: the store holds every record the contracts count at the chain head (a
      warning when it does not: the index may be behind, or its newest rows deleted together with
      the checkpoint).

    To audit against a witness (contract addresses taken from the witness, not from the data
    folder) use :func:`audit` with ``witness=``, as ``ipledger audit --witness`` does.

    Args:
        ledger: an :class:`ipledger.ledger.Ledger` (its backend, store, client, documents and
            deployment block are used).
        at_block: also audit the state at this block.
        asset_id: restrict the per-row checks to one asset (0x id or registry number).
        documents: check documents.
        reports: check anchored reports.
        recompute: recompute functions by anchor kind (defaults: valuations through
            ``ipledger.valuation.value_asset`` when it can be imported).
        strict: turn every warning into a failure (missing documents, an incomplete store, ...).

    Returns:
        The :class:`~ipledger.audit.report.AuditReport`; ``report.passed`` is False when any check
        found a failure.

    Raises:
        ProvenanceError: the audit could not run (e.g. ``at_block`` beyond the head).
    """
    start = getattr(getattr(ledger, "indexer", None), "start_block", None)
    if start is None:
        deployment = getattr(ledger, "deployment", None)
        start = deployment.block if deployment is not None else 0
    return audit(
        ledger.backend,
        ledger.store,
        ledger.client,
        documents=getattr(ledger, "documents", None),
        start_block=int(start),
        at_block=at_block,
        asset_id=asset_id,
        check_documents=documents,
        reports=reports,
        recompute=recompute,
        ledger=ledger,
        strict=strict,
    )
