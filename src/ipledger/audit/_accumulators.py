"""Check 2: the accumulators recomputed from the events equal the contracts'."""

from ipledger.audit._base import LEDGER_RECORD_TABLES, REGISTRY_TABLES, AuditBase, _hex
from ipledger.audit.report import Check
from ipledger.chain.accumulator import chained_topics, record_topics, seed, step
from ipledger.errors import ChainError


class AccumulatorsCheck(AuditBase):
    # ------------------------------------------------------------------ 2. accumulators

    def check_accumulators(self) -> Check:
        check = Check("accumulators", "The on-chain accumulators equal the hash chain recomputed from the events")
        named = (self.head, self.indexed_to, self.at_block)
        points = sorted({p for p in named if p is not None and p >= self.start_block})
        for address, contract, label in (
            (self.ledger_address, "IPLedger", "ledger"),
            (self.registry_address, "ValuationRegistry", "registry"),
        ):
            wanted, records = chained_topics(contract), record_topics(contract)
            acc, n, i = seed(contract, self.client.backend.chain_id, address), 0, 0
            logs = [g for g in self.logs if g.address == address and g.topics and g.topics[0] in wanted]
            for point in points:
                while i < len(logs) and logs[i].block_number <= point:
                    g = logs[i]
                    acc = step(acc, g)
                    is_record = g.topics[0] in records
                    n += is_record
                    rid = int.from_bytes(g.topics[1], "big")
                    # A record carries the next id; an attachment (a consent) the id of the record
                    # right before it.
                    if rid != n or (not is_record and n == 0):
                        check.fail(
                            f"{contract}: log {g.log_index} of block {g.block_number} carries record id {rid}, "
                            f"expected {n}: the logs served are incomplete or out of order",
                            "sequence",
                            contract=_hex(address),
                            block=g.block_number,
                            log_index=g.log_index,
                        )
                    i += 1
                try:
                    on_chain = self.client.accumulator(label, block=point)
                    count = self.client.record_count(label, block=point)
                except ChainError as exc:
                    check.fail(
                        f"{contract}: cannot read the accumulator at block {point}: {exc}",
                        "unreadable",
                        contract=_hex(address),
                        block=point,
                    )
                    continue
                check.counts[f"{label}_records"] = n
                if on_chain != acc or count != n:
                    check.fail(
                        f"{contract} at block {point}: on chain accumulator {_hex(on_chain)} over {count} records, "
                        f"recomputed from the events {_hex(acc)} over {n}",
                        "accumulator",
                        contract=_hex(address),
                        block=point,
                    )
            # The store holds exactly the records the contract counts at the indexed block.
            if not self.asset_id and self.indexed_to >= self.start_block and self.end == self.indexed_to:
                tables = LEDGER_RECORD_TABLES if label == "ledger" else REGISTRY_TABLES
                stored = sum(1 for t in tables for r in self.rows[t] if self._audited(r))
                try:
                    count = self.client.record_count(label, block=self.end)
                except ChainError:
                    continue
                if stored != count:
                    check.fail(
                        f"{contract}: the store holds {stored} records up to block {self.end}, "
                        f"the contract counts {count}",
                        "count",
                        contract=_hex(address),
                        block=self.end,
                    )
        later = sum(1 for g in self.logs if g.block_number > self.indexed_to and g.topics)
        if later:
            check.note(
                f"{later} logs after the indexed block {self.indexed_to} are not yet indexed (run `ipledger sync`)",
                "unindexed",
                block=self.indexed_to,
            )
        check.counts["blocks_checked"] = len(points)
        return check
