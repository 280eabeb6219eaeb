"""The provenance audit: every indexed row, document, role, value and quote against the chain.

One linear pass reads every log of the two contracts of record from the chain (on the embedded
chain straight from py-evm's blocks and receipts). Everything else is derived from those logs and
from the store's rows, plus a handful of calls: the accumulators and record counts at the
audited blocks, one sender look-up per distinct transaction, and the asset states at the end.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from eth_utils import keccak

from ipledger.audit.recompute import LedgerAt, Recompute, RecomputeUnavailable, default_recompute
from ipledger.audit.report import AuditReport, Check
from ipledger.chain.accumulator import record_topics, seed
from ipledger.chain.backend import BlockInfo, ChainBackend, RawLog
from ipledger.chain.client import LedgerClient
from ipledger.chain.codes import AnchorKind, Status, TxKind
from ipledger.chain.compiled import load, topic0
from ipledger.documents import DocumentStore
from ipledger.errors import ChainError, IPLedgerError, ProvenanceError
from ipledger.ledger.mapper import Mapper
from ipledger.ledger.store import Store

__all__ = ["audit", "audit_ledger"]

ZERO32 = "0x" + "00" * 32
ZERO20 = "0x" + "00" * 20

# Tables fed by each contract, and the key that names a row.
LEDGER_TABLES = ("assets", "status_changes", "transactions", "voids")
REGISTRY_TABLES = ("anchors", "claims")
ROW_TABLES = (*LEDGER_TABLES, *REGISTRY_TABLES, "role_events")
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
    if table == "role_events":
        return (int(row["block_number"]), int(row["log_index"]))
    return (int(row["record_id"]),)


def _where(table: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """The location of a row: table, record id (or asset id), block, log index, transaction."""
    loc: dict[str, Any] = {"table": table}
    if "record_id" in row:
        loc["record_id"] = int(row["record_id"])
    loc["block"] = int(row["block_number"])
    loc["log_index"] = int(row["log_index"])
    loc["tx_hash"] = row.get("tx_hash")
    if row.get("asset_id"):
        loc["asset_id"] = row["asset_id"]
    return loc


def _name(table: str, row: Mapping[str, Any]) -> str:
    if table == "role_events":
        return f"{table} row at block {row['block_number']} log {row['log_index']}"
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


class _Roles:
    """Role membership over time, rebuilt from RoleGranted/RoleRevoked logs of one contract."""

    def __init__(self) -> None:
        self.events: dict[tuple[bytes, bytes], list[tuple[int, int, bool]]] = defaultdict(list)

    def add(self, role: bytes, account: bytes, block: int, log_index: int, granted: bool) -> None:
        self.events[(role, account)].append((block, log_index, granted))

    def held(self, role: bytes, account: bytes, block: int, log_index: int) -> bool:
        """True when ``account`` held ``role`` just before the log at (block, log_index)."""
        history = self.events.get((role, account))
        if not history:
            return False
        i = bisect.bisect_left(history, (block, log_index, False))
        return i > 0 and history[i - 1][2]


class Auditor:
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
    ) -> None:
        self.backend = backend
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

        checks: list[Callable[[], Check]] = [self.check_rows, self.check_accumulators, self.check_roles,
                                             self.check_links]
        if self.check_documents:
            checks.append(self.check_docs)
        if self.reports:
            checks.append(self.check_reports)
        for fn in checks:
            t = time.perf_counter()
            check = fn()
            check.seconds = time.perf_counter() - t
            report.checks.append(check)
        if self.asset_id:
            report.timeline = self.timeline()
        report.seconds = time.perf_counter() - started
        return report

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

    # ------------------------------------------------------------------ 1. rows against logs

    def check_rows(self) -> Check:
        check = Check("rows", "Every indexed row equals its log on chain (no row edited, deleted or inserted)")
        logs = [g for g in self.logs if g.block_number <= self.end]
        chain_rows = self.mapper.rows(logs)
        log_hash = {g.block_number: g.block_hash for g in logs}
        compared = 0
        for table in ROW_TABLES:
            on_chain = {
                _key(table, r): r
                for r in chain_rows.get(table, [])
                if not self.asset_id or (table in ASSET_TABLES and r["asset_id"] == self.asset_id)
            }
            stored: dict[tuple[Any, ...], dict[str, Any]] = {}
            for r in self.rows[table]:
                if int(r["block_number"]) > self.indexed_to and self._foreign(r):
                    self._inserted(check, table, r)
                elif int(r["block_number"]) > self.indexed_to:
                    check.fail(
                        f"{_name(table, r)} lies above the indexing checkpoint (block {self.indexed_to}): inserted",
                        "inserted", **_where(table, r),
                    )
                elif int(r["block_number"]) < self.start_block:
                    check.fail(f"{_name(table, r)} lies before the deployment block {self.start_block}: inserted",
                               "inserted", **_where(table, r))
                elif self._audited(r):
                    stored[_key(table, r)] = r
            check.counts[f"{table}_rows"] = len(stored)
            for key, want in on_chain.items():
                have = stored.get(key)
                if have is None:
                    check.fail(f"{_name(table, want)} is on chain but missing from the store: deleted", "deleted",
                               **_where(table, want))
                    continue
                compared += 1
                diffs = [c for c, v in want.items() if not _same(v, have.get(c))]
                if diffs:
                    shown = "; ".join(f"{c}: store {_short(have.get(c))} != chain {_short(want[c])}" for c in diffs)
                    check.fail(f"{_name(table, have)} differs from its log: {shown}", "edited",
                               columns=diffs, **_where(table, have))
            for key, have in stored.items():
                if key not in on_chain:
                    self._inserted(check, table, have)
        check.counts["logs"] = len(logs)
        check.counts["rows_compared"] = compared
        self._check_blocks(check, log_hash)
        return check

    def _foreign(self, row: Mapping[str, Any]) -> bool:
        contract = str(row.get("contract", "")).lower()
        return bool(contract) and contract not in {_hex(a) for a in self.addresses}

    def _inserted(self, check: Check, table: str, row: Mapping[str, Any]) -> None:
        """A row no log of the contracts of record backs; say where it claims to come from."""
        where = _where(table, row)
        contract = str(row.get("contract", "")).lower()
        if self._foreign(row):
            detail = f"it names contract {contract}, which is not a contract of record"
            self._lookups += 1
            if self._lookups > FOREIGN_LOOKUPS_MAX:  # enough to show the pattern
                check.fail(f"{_name(table, row)} has no log on the contracts of record: {detail}", "foreign", **where)
                return
            try:
                address = bytes.fromhex(contract[2:])
                block = int(row["block_number"])
                logs = self.backend.get_logs(block, block, [address])
                found = [g for g in logs if g.log_index == int(row["log_index"])]
            except (ValueError, ChainError):
                found = []
            if found and found[0].topics and found[0].topics[0] in set(self.mapper.topics0()):
                detail += " (a log of another contract with the same event signature: a fake)"
            check.fail(f"{_name(table, row)} has no log on the contracts of record: {detail}", "foreign", **where)
            return
        check.fail(f"{_name(table, row)} has no log on chain: inserted", "inserted", **where)

    def _check_blocks(self, check: Check, log_hash: dict[int, bytes]) -> None:
        """Rows whose block (as the store's ``blocks`` table has it) is no longer the chain's."""
        stored = {n: h for n, h in self.store.stored_blocks(self.end) if n >= self.start_block}
        missing = [n for n in stored if n not in log_hash]
        chain: dict[int, str] = {n: _hex(h) for n, h in log_hash.items()}
        for n, info in self._headers(missing).items():
            chain[n] = _hex(info.hash)
        stale = {n for n, h in stored.items() if chain.get(n) != h}
        check.counts["blocks"] = len(stored)
        for n in sorted(stale):
            check.fail(f"block {n}: the store indexed hash {stored[n]}, the chain now has {chain.get(n)}",
                       "block_hash", table="blocks", block=n)
        cp = self.store.checkpoint()
        if cp and cp[0] >= self.start_block and cp[0] <= self.head:
            now = chain.get(cp[0]) or _hex(self.backend.block(cp[0]).hash)
            if now != cp[1]:
                check.fail(f"the checkpoint block {cp[0]} has hash {cp[1]} in the store, {now} on chain",
                           "block_hash", table="checkpoint", block=cp[0])
        for table in ROW_TABLES:
            for r in self.rows[table]:
                n = int(r["block_number"])
                if not self._audited(r):
                    continue
                if n in stale:
                    check.fail(f"{_name(table, r)} was indexed from block {n} with hash {stored[n]}, "
                               f"no longer the chain's ({chain.get(n)})", "block_hash", **_where(table, r))
                elif n not in stored:
                    check.warn(f"{_name(table, r)}: its block {n} is not in the store's blocks table",
                               "block_missing", **_where(table, r))

    def _headers(self, numbers: Sequence[int]) -> dict[int, BlockInfo]:
        if not numbers:
            return {}
        many = getattr(self.backend, "blocks", None)
        out: dict[int, BlockInfo] = {}
        wanted = sorted(n for n in numbers if n <= self.head)
        if many is not None:
            for i in range(0, len(wanted), 500):
                out.update({b.number: b for b in many(wanted[i : i + 500])})
            return out
        return {n: self.backend.block(n) for n in wanted}

    # ------------------------------------------------------------------ 2. accumulators

    def check_accumulators(self) -> Check:
        check = Check("accumulators", "The on-chain accumulators equal the hash chain recomputed from the events")
        named = (self.head, self.indexed_to, self.at_block)
        points = sorted({p for p in named if p is not None and p >= self.start_block})
        for address, contract, label in (
            (self.ledger_address, "IPLedger", "ledger"),
            (self.registry_address, "ValuationRegistry", "registry"),
        ):
            wanted = record_topics(contract)
            acc, n, i = seed(contract), 0, 0
            logs = [g for g in self.logs if g.address == address and g.topics and g.topics[0] in wanted]
            for point in points:
                while i < len(logs) and logs[i].block_number <= point:
                    g = logs[i]
                    acc = keccak(acc + b"".join(g.topics) + g.data)
                    n += 1
                    rid = int.from_bytes(g.topics[1], "big")
                    if rid != n:
                        check.fail(f"{contract}: log {g.log_index} of block {g.block_number} carries record id {rid}, "
                                   f"expected {n}: the logs served are incomplete or out of order",
                                   "sequence", contract=_hex(address), block=g.block_number, log_index=g.log_index)
                    i += 1
                try:
                    on_chain = self.client.accumulator(label, block=point)
                    count = self.client.record_count(label, block=point)
                except ChainError as exc:
                    check.fail(f"{contract}: cannot read the accumulator at block {point}: {exc}", "unreadable",
                               contract=_hex(address), block=point)
                    continue
                check.counts[f"{label}_records"] = n
                if on_chain != acc or count != n:
                    check.fail(
                        f"{contract} at block {point}: on chain accumulator {_hex(on_chain)} over {count} records, "
                        f"recomputed from the events {_hex(acc)} over {n}",
                        "accumulator", contract=_hex(address), block=point,
                    )
            # The store holds exactly the records the contract counts at the indexed block.
            if not self.asset_id and self.indexed_to >= self.start_block and self.end == self.indexed_to:
                tables = LEDGER_TABLES if label == "ledger" else REGISTRY_TABLES
                stored = sum(1 for t in tables for r in self.rows[t] if self._audited(r))
                try:
                    count = self.client.record_count(label, block=self.end)
                except ChainError:
                    continue
                if stored != count:
                    check.fail(f"{contract}: the store holds {stored} records up to block {self.end}, "
                               f"the contract counts {count}", "count", contract=_hex(address), block=self.end)
        later = sum(1 for g in self.logs if g.block_number > self.indexed_to and g.topics)
        if later:
            check.note(f"{later} logs after the indexed block {self.indexed_to} are not yet indexed "
                       "(run `ipledger sync`)", "unindexed", block=self.indexed_to)
        check.counts["blocks_checked"] = len(points)
        return check

    # ------------------------------------------------------------------ 3. roles and senders

    def _role_history(self) -> dict[bytes, _Roles]:
        granted = topic0(load("IPLedger").events()["RoleGranted"])
        revoked = topic0(load("IPLedger").events()["RoleRevoked"])
        out = {a: _Roles() for a in self.addresses}
        for g in self.logs:
            if g.topics and g.topics[0] in (granted, revoked) and len(g.topics) == 4:
                out[g.address].add(g.topics[1], g.topics[2][12:], g.block_number, g.log_index, g.topics[0] == granted)
        return out

    def check_roles(self) -> Check:
        check = Check("roles", "Each recorder held its role at the block of its record and sent the transaction")
        history = self._role_history()
        roles = {name: keccak(text=name) for name in ("REGISTRAR_ROLE", "RECORDER_ROLE", "VALUER_ROLE", "INSURER_ROLE")}
        senders_wanted: dict[str, list[tuple[str, dict[str, Any], str]]] = defaultdict(list)
        checked = 0
        for table, (column, role_name) in ROLE_COLUMNS.items():
            contract = self.ledger_address if table in LEDGER_TABLES else self.registry_address
            for r in self.rows[table]:
                if not self._audited(r):
                    continue
                if str(r.get("contract", "")).lower() != _hex(contract):
                    check.fail(f"{_name(table, r)} names contract {r.get('contract')}, not the "
                               f"{self.addresses[contract]} of record", "foreign", **_where(table, r))
                    continue
                name = role_name
                if name is None:
                    name = "VALUER_ROLE" if int(r["kind"]) == int(AnchorKind.VALUATION) else "INSURER_ROLE"
                account = str(r[column]).lower()
                try:
                    raw = bytes.fromhex(account[2:])
                except ValueError:
                    raw = b""
                checked += 1
                if not history[contract].held(roles[name], raw, int(r["block_number"]), int(r["log_index"])):
                    check.fail(f"{_name(table, r)}: {column} {account} held no {name} on "
                               f"{self.addresses[contract]} at block {r['block_number']}", "no_role",
                               account=account, role=name, **_where(table, r))
                senders_wanted[str(r["tx_hash"]).lower()].append((table, r, column))
        check.counts["rows"] = checked
        self._check_senders(check, senders_wanted)
        self._check_membership(check, history)
        return check

    def _senders(self, hashes: list[str]) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        rpc = getattr(self.backend, "rpc", None)
        if rpc is not None and hasattr(rpc, "batch"):
            for i in range(0, len(hashes), 500):
                chunk = hashes[i : i + 500]
                try:
                    found = rpc.batch([("eth_getTransactionByHash", [h]) for h in chunk])
                except IPLedgerError:  # one malformed hash fails the batch: ask one by one
                    out.update(self._senders_one_by_one(chunk))
                    continue
                for h, tx in zip(chunk, found, strict=True):
                    out[h] = str(tx["from"]).lower() if tx else None
            return out
        return self._senders_one_by_one(hashes)

    def _senders_one_by_one(self, hashes: list[str]) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for h in hashes:
            try:
                out[h] = _hex(self.backend.transaction_sender(bytes.fromhex(h[2:])))
            except (ChainError, ValueError):
                out[h] = None
        return out

    def _check_senders(self, check: Check, wanted: dict[str, list[tuple[str, dict[str, Any], str]]]) -> None:
        senders = self._senders(sorted(wanted))
        check.counts["transactions"] = len(senders)
        for h, uses in wanted.items():
            sender = senders.get(h)
            for table, r, column in uses:
                if sender is None:
                    check.fail(f"{_name(table, r)}: transaction {h} is not on chain", "no_tx", **_where(table, r))
                elif str(r[column]).lower() != sender:
                    check.fail(f"{_name(table, r)}: {column} {r[column]} is not the sender {sender} of transaction {h}",
                               "sender", account=str(r[column]), **_where(table, r))

    def _check_membership(self, check: Check, history: dict[bytes, _Roles]) -> None:
        """The role logs rebuild the contracts' role state: compare at the audited block."""
        if self.asset_id or self.end < self.start_block:
            return
        pairs = 0
        for address, roles in history.items():
            for (role, account), events in roles.events.items():
                if events[0][0] > self.end:
                    continue
                pairs += 1
                rebuilt = roles.held(role, account, self.end + 1, 0)
                try:
                    out = self.backend.call(address, self.client.ledger_abi.encode_call("hasRole", role, account),
                                            block=self.end)
                    actual = bool(int.from_bytes(out[-32:], "big")) if out else None
                except ChainError:
                    actual = None
                if actual is not None and actual != rebuilt:
                    check.fail(f"{self.addresses[address]}: the role logs say {_hex(account)} "
                               f"{'holds' if rebuilt else 'does not hold'} role {_hex(role)} at block {self.end}, "
                               f"the contract says the opposite", "membership", contract=_hex(address),
                               account=_hex(account), block=self.end)
        check.counts["role_memberships"] = pairs

    # ------------------------------------------------------------------ 4. voids, amendments, ownership

    def check_links(self) -> Check:
        check = Check("links", "Voids and amendments point to earlier records of the same asset; ownership has no gap")
        tx = {int(r["record_id"]): r for r in self.rows["transactions"] if self._audited(r)}
        voids = [r for r in self.rows["voids"] if self._audited(r)]
        assets = {str(r["asset_id"]): r for r in self.rows["assets"] if self._audited(r)}
        if self.asset_id:  # links may point outside one asset's rows: read the targets too
            tx_all = {int(r["record_id"]): r for r in self.store.read("transactions") if self._audited(r)}
        else:
            tx_all = tx
        edges: dict[tuple[str, int], tuple[str, int]] = {}
        superseded: dict[int, str] = {}
        released: dict[int, int] = {}

        def point(table: str, r: dict[str, Any], target: int, what: str, kinds: Iterable[int]) -> None:
            rid = int(r["record_id"])
            t = tx_all.get(target)
            edges[(table, rid)] = ("transactions", target)
            if t is None:
                check.fail(f"{_name(table, r)} {what} record #{target}, which is no transaction in the ledger",
                           "dangling", target=target, **_where(table, r))
                return
            if t["asset_id"] != r["asset_id"]:
                check.fail(f"{_name(table, r)} {what} record #{target} of another asset ({t['asset_id']})",
                           "other_asset", target=target, **_where(table, r))
            if int(t["kind"]) not in set(kinds):
                check.fail(f"{_name(table, r)} {what} record #{target} of kind {int(t['kind'])}", "kind",
                           target=target, **_where(table, r))
            if target >= rid:
                check.fail(f"{_name(table, r)} {what} a later record #{target}", "forward", target=target,
                           **_where(table, r))

        for rid, r in tx.items():
            ref = int(r["ref"])
            if not ref:
                continue
            if int(r["kind"]) == int(TxKind.RELEASE):
                point("transactions", r, ref, "releases", [int(TxKind.PLEDGE)])
                if ref in released:
                    check.fail(f"{_name('transactions', r)} releases pledge #{ref}, already released by "
                               f"#{released[ref]}", "twice", target=ref, **_where("transactions", r))
                released.setdefault(ref, rid)
            else:
                point("transactions", r, ref, "amends", [int(r["kind"])])
                if ref in superseded:
                    check.fail(f"{_name('transactions', r)} amends record #{ref}, already {superseded[ref]}",
                               "twice", target=ref, **_where("transactions", r))
                superseded.setdefault(ref, f"amended by #{rid}")
        for v in voids:
            target = int(v["target"])
            point("voids", v, target, "voids", [int(v["kind"])])
            if target in superseded:
                check.fail(f"{_name('voids', v)} voids record #{target}, already {superseded[target]}", "twice",
                           target=target, **_where("voids", v))
            superseded.setdefault(target, f"voided by #{v['record_id']}")
        self._cycles(check, edges)
        anchored = {
            (str(a["asset_id"]), str(a["report_hash"]).lower()): int(a["record_id"])
            for a in self.rows["anchors"]
            if self._audited(a) and int(a["kind"]) != int(AnchorKind.VALUATION)
        }
        for c in self.rows["claims"]:
            if self._audited(c) and (str(c["asset_id"]), str(c["policy_hash"]).lower()) not in anchored:
                check.warn(f"{_name('claims', c)} claims under policy {c['policy_hash']}, which no quote or policy "
                           "anchor of the asset carries", "unanchored_policy", **_where("claims", c))
        self._ownership(check, tx, voids, assets, tx_all)
        check.counts.update(transactions=len(tx), voids=len(voids), assets=len(assets),
                            references=len(edges))
        return check

    def _cycles(self, check: Check, edges: dict[tuple[str, int], tuple[str, int]]) -> None:
        state: dict[tuple[str, int], int] = {}
        for start in edges:
            path: list[tuple[str, int]] = []
            node: tuple[str, int] | None = start
            while node is not None and state.get(node, 0) == 0:
                state[node] = 1
                path.append(node)
                node = edges.get(node)
            if node is not None and state.get(node) == 1:
                cycle = path[path.index(node):]
                names = " -> ".join(f"{t} #{i}" for t, i in cycle)
                check.fail(f"records point back to themselves: {names} -> {node[0]} #{node[1]}", "cycle",
                           table=node[0], record_id=node[1])
            for n in path:
                state[n] = 2

    def _ownership(
        self,
        check: Check,
        tx: dict[int, dict[str, Any]],
        voids: list[dict[str, Any]],
        assets: dict[str, dict[str, Any]],
        tx_all: dict[int, dict[str, Any]],
    ) -> None:
        events: dict[str, list[tuple[int, str, dict[str, Any]]]] = defaultdict(list)
        for rid, r in tx.items():
            events[str(r["asset_id"])].append((rid, "transactions", r))
        for v in voids:
            events[str(v["asset_id"])].append((int(v["record_id"]), "voids", v))
        statuses: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for s in self.rows["status_changes"]:
            if self._audited(s):
                statuses[str(s["asset_id"])].append((int(s["record_id"]), int(s["status"])))
        owners: dict[str, str] = {}
        for aid in sorted(set(events) | set(assets)):
            a = assets.get(aid)
            if a is None:
                first = min(events[aid], key=lambda e: e[0])
                check.fail(f"{_name(first[1], first[2])} is for asset {aid}, which was never registered",
                           "unregistered", **_where(first[1], first[2]))
                continue
            owner = str(a["initial_owner"]).lower()
            for rid, table, r in sorted(events[aid], key=lambda e: e[0]):
                if rid < int(a["record_id"]):
                    check.fail(f"{_name(table, r)} precedes the registration of its asset (record #{a['record_id']})",
                               "order", **_where(table, r))
                if table == "transactions":
                    if int(r["kind"]) in TRANSFERS and int(r["ref"]) == 0:
                        seller = str(r["seller"]).lower()
                        if seller != owner:
                            check.fail(f"{_name(table, r)}: seller {seller} was not the owner {owner} at that time",
                                       "gap", **_where(table, r))
                        owner = str(r["buyer"]).lower()
                elif int(r["kind"]) in TRANSFERS:
                    restored = str(r["restored_owner"]).lower()
                    target = tx_all.get(int(r["target"]))
                    if target is not None and str(target["seller"]).lower() != restored:
                        check.warn(f"{_name(table, r)} hands asset back to {restored}, not to the voided sale's "
                                   f"seller {target['seller']}", "restored", **_where(table, r))
                    owner = restored
            owners[aid] = owner
        check.counts["owners_derived"] = len(owners)
        self._compare_states(check, owners, assets, statuses)

    def _compare_states(
        self,
        check: Check,
        owners: dict[str, str],
        assets: dict[str, dict[str, Any]],
        statuses: dict[str, list[tuple[int, int]]],
    ) -> None:
        """The owner and status derived from the rows equal the contract's at the audited block."""
        if self.end < self.start_block:
            return
        ids = sorted(owners)
        if len(ids) > OWNER_CALLS_MAX:
            step = len(ids) / OWNER_CALLS_MAX
            ids = [ids[int(i * step)] for i in range(OWNER_CALLS_MAX)]
            check.note(f"asset states compared for {OWNER_CALLS_MAX} of {len(owners)} assets (evenly spaced)",
                       "sampled")
        for aid in ids:
            try:
                state = self.client.asset_state(bytes.fromhex(aid[2:]), block=self.end)
            except (ChainError, ValueError):
                continue
            expected_status = int(assets[aid]["initial_status"])
            if statuses.get(aid):
                expected_status = max(statuses[aid])[1]
            if _hex(state.owner) != owners[aid]:
                check.fail(f"asset {aid}: the ledger rows make {owners[aid]} the owner at block {self.end}, "
                           f"the contract says {_hex(state.owner)}", "owner", table="assets", asset_id=aid,
                           block=self.end)
            if state.status != expected_status:
                check.fail(f"asset {aid}: the ledger rows give status {Status(expected_status).name.lower()} at block "
                           f"{self.end}, the contract says {state.status}", "status", table="assets", asset_id=aid,
                           block=self.end)
        check.counts["asset_states_compared"] = len(ids)

    # ------------------------------------------------------------------ 5. documents

    def check_docs(self) -> Check:
        check = Check("documents", "Every stored document hashes to the hash recorded on chain")
        if self.documents is None:
            check.skipped = "no document store"
            check.note("no document store given: documents not checked", "skipped")
            return check
        refs: dict[str, list[tuple[str, dict[str, Any], str]]] = defaultdict(list)
        for table, column in DOC_COLUMNS.items():
            for r in self.rows[table]:
                h = str(r[column]).lower()
                if self._audited(r) and h != ZERO32:
                    refs[h].append((table, r, column))
        ok = missing = bad = 0
        for h, uses in refs.items():
            table, r, column = uses[0]
            also = f" (and {len(uses) - 1} more rows)" if len(uses) > 1 else ""
            path = self.documents.path(h)
            if not path.is_file():
                missing += 1
                check.warn(f"document {h[2:]} named by {_name(table, r)}.{column}{also} is not in the document store",
                           "missing", file=path.name, column=column, **_where(table, r))
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest != h[2:]:
                bad += 1
                check.fail(f"document file {path.name} (named by {_name(table, r)}.{column}{also}) hashes to "
                           f"{digest}: altered", "mismatch", file=path.name, column=column, **_where(table, r))
            else:
                ok += 1
        check.counts.update(documents=len(refs), verified=ok, missing=missing, mismatching=bad)
        return check

    # ------------------------------------------------------------------ 6. reports and quotes

    def check_reports(self) -> Check:
        check = Check("reports", "Anchored valuation reports and quotes are stored and reproduce their hash")
        anchors = [r for r in self.rows["anchors"] if self._audited(r)]
        check.counts["anchors"] = len(anchors)
        if self.documents is None:
            check.skipped = "no document store"
            check.note("no document store given: reports not checked", "skipped")
            return check
        view: Any = self.ledger if self.ledger is not None else LedgerAt(self.store, self.documents, None)
        reproduced = unstored = unverifiable = 0
        skipped_kinds: dict[int, str] = {}
        for r in sorted(anchors, key=lambda a: int(a["record_id"])):
            h = str(r["report_hash"]).lower()
            where = _where("anchors", r)
            label = _kind_name(int(r["kind"]))
            path = self.documents.path(h)
            if not path.is_file():
                unstored += 1
                check.warn(f"{label} report {h} anchored by {_name('anchors', r)} is not in the document store",
                           "unstored", file=path.name, **where)
                continue
            content = path.read_bytes()
            digest = "0x" + hashlib.sha256(content).hexdigest()
            if digest != h:
                check.fail(f"{label} report file {path.name} (anchored by {_name('anchors', r)}) hashes to {digest}: "
                           "altered after anchoring", "altered", file=path.name, **where)
            try:
                report = json.loads(content)
            except (ValueError, UnicodeDecodeError):
                check.fail(f"{label} report file {path.name} is not JSON", "not_json", file=path.name, **where)
                continue
            if not isinstance(report, dict):
                check.fail(f"{label} report file {path.name} is not a JSON object", "not_json", file=path.name, **where)
                continue
            for field, expected in (("asset_id", str(r["asset_id"])), ("state_block", int(r["state_block"]))):
                if field in report and not _same(expected, report[field]):
                    check.fail(f"{label} report file {path.name} gives {field} {report[field]}, the anchor "
                               f"{_name('anchors', r)} says {expected}", "anchor_field", file=path.name, **where)
            fn = self.recompute.get(int(r["kind"]))
            if fn is None:
                unverifiable += 1
                skipped_kinds.setdefault(int(r["kind"]), "no recompute function given")
                continue
            try:
                new = fn(report, view, int(r["state_block"]))
            except RecomputeUnavailable as exc:
                unverifiable += 1
                skipped_kinds.setdefault(int(r["kind"]), str(exc))
                continue
            except Exception as exc:  # the report cannot be reproduced, whatever the reason
                check.fail(f"{label} report {path.name} (anchored by {_name('anchors', r)}) cannot be reproduced: "
                           f"recomputing failed with {exc.__class__.__name__}: {exc}", "irreproducible",
                           file=path.name, **where)
                continue
            new_hex = _hex(new) if isinstance(new, bytes) else str(new).lower()
            if new_hex != h:
                check.fail(f"{label} report {path.name} (anchored by {_name('anchors', r)}) cannot be reproduced: "
                           f"recomputed at block {r['state_block']} it hashes to {new_hex}", "irreproducible",
                           file=path.name, recomputed=new_hex, **where)
            else:
                reproduced += 1
        for kind, why in sorted(skipped_kinds.items()):
            check.note(f"{_kind_name(kind)} reports verified by file hash only, not recomputed: {why}",
                       "not_recomputed")
        check.counts.update(reproduced=reproduced, unstored=unstored, not_recomputed=unverifiable)
        return check

    # ------------------------------------------------------------------ timeline (asset audits)

    def timeline(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        labels = {"assets": "registered", "status_changes": "status", "voids": "void", "anchors": "anchor",
                  "claims": "claim"}
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
                out.append({"table": table, "record_id": int(r["record_id"]), "event": event,
                            "block": int(r["block_number"]), "log_index": int(r["log_index"]), "date": int(date),
                            "tx_hash": r["tx_hash"]})
        out.sort(key=lambda e: (e["block"], e["log_index"]))
        return out


def _kind_name(kind: int) -> str:
    try:
        return AnchorKind(kind).name.lower()
    except ValueError:
        return f"kind-{kind}"


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
    """
    return Auditor(
        backend, store, client, documents=documents, start_block=start_block, at_block=at_block, asset_id=asset_id,
        check_documents=check_documents, reports=reports, recompute=recompute, ledger=ledger,
    ).run()


def audit_ledger(
    ledger: Any,
    *,
    at_block: int | None = None,
    asset_id: str | None = None,
    documents: bool = True,
    reports: bool = True,
    recompute: Mapping[int, Callable[[dict[str, Any], Any, int], str | bytes] | None] | None = None,
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

    Args:
        ledger: an :class:`ipledger.ledger.Ledger` (its backend, store, client, documents and
            deployment block are used).
        at_block: also audit the state at this block.
        asset_id: restrict the per-row checks to one asset (0x id or registry number).
        documents: check documents.
        reports: check anchored reports.
        recompute: recompute functions by anchor kind (defaults: valuations through
            ``ipledger.valuation.value_asset`` when it can be imported).

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
    )
