"""Check 1: every indexed row equals its log on chain; blocks still the chain's."""

from collections.abc import Mapping
from typing import Any

from ipledger.audit._base import (
    ASSET_TABLES,
    FOREIGN_LOOKUPS_MAX,
    ROW_TABLES,
    AuditBase,
    _hex,
    _key,
    _name,
    _same,
    _short,
    _where,
)
from ipledger.audit.report import Check
from ipledger.errors import ChainError


class RowsCheck(AuditBase):
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
                        "inserted",
                        **_where(table, r),
                    )
                elif int(r["block_number"]) < self.start_block:
                    check.fail(
                        f"{_name(table, r)} lies before the deployment block {self.start_block}: inserted",
                        "inserted",
                        **_where(table, r),
                    )
                elif self._audited(r):
                    stored[_key(table, r)] = r
            check.counts[f"{table}_rows"] = len(stored)
            for key, want in on_chain.items():
                have = stored.get(key)
                if have is None:
                    check.fail(
                        f"{_name(table, want)} is on chain but missing from the store: deleted",
                        "deleted",
                        **_where(table, want),
                    )
                    continue
                compared += 1
                diffs = [c for c, v in want.items() if not _same(v, have.get(c))]
                if diffs:
                    shown = "; ".join(f"{c}: store {_short(have.get(c))} != chain {_short(want[c])}" for c in diffs)
                    check.fail(
                        f"{_name(table, have)} differs from its log: {shown}",
                        "edited",
                        columns=diffs,
                        **_where(table, have),
                    )
            for key, have in stored.items():
                if key not in on_chain:
                    self._inserted(check, table, have)
        # Reference data (the currency allow-list, the consent setting) makes no rows.
        check.counts["logs"] = sum(len(v) for v in chain_rows.values())
        check.counts["reference_logs"] = len(logs) - check.counts["logs"]
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
            check.fail(
                f"block {n}: the store indexed hash {stored[n]}, the chain now has {chain.get(n)}",
                "block_hash",
                table="blocks",
                block=n,
            )
        cp = self.store.checkpoint()
        if cp and cp[0] >= self.start_block and cp[0] <= self.head:
            now = chain.get(cp[0]) or _hex(self.backend.block(cp[0]).hash)
            if now != cp[1]:
                check.fail(
                    f"the checkpoint block {cp[0]} has hash {cp[1]} in the store, {now} on chain",
                    "block_hash",
                    table="checkpoint",
                    block=cp[0],
                )
        for table in ROW_TABLES:
            for r in self.rows[table]:
                n = int(r["block_number"])
                if not self._audited(r):
                    continue
                if n in stale:
                    check.fail(
                        f"{_name(table, r)} was indexed from block {n} with hash {stored[n]}, "
                        f"no longer the chain's ({chain.get(n)})",
                        "block_hash",
                        **_where(table, r),
                    )
                elif n not in stored:
                    check.warn(
                        f"{_name(table, r)}: its block {n} is not in the store's blocks table",
                        "block_missing",
                        **_where(table, r),
                    )
