"""The indexer: fetch -> decode/map -> store, with a checkpoint and reorg handling.

Rows and the checkpoint (block number and hash) are written in one database transaction, so a
killed indexer resumes with no gap and no duplicate. Before each range, the first new block's
parent hash is checked against the stored checkpoint hash; on a mismatch the indexer walks back
through the stored blocks to the newest one the chain still has (the common ancestor), deletes
everything above it in one transaction and indexes again from there.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

from ipledger.chain.backend import ChainBackend
from ipledger.ledger.fetch import LogFetcher, RangePolicy
from ipledger.ledger.mapper import Mapper
from ipledger.ledger.store import Store
from ipledger.ledger.syncresult import SyncResult

__all__ = ["Indexer", "Progress", "SyncResult"]

Progress = Callable[[int, int, int], None]  # (blocks done, blocks total, events so far)


def _hex(b: bytes) -> str:
    return "0x" + b.hex()


class Indexer:
    """Indexes the logs of one IPLedger + ValuationRegistry deployment into a Store.

    Args:
        backend: the chain.
        store: the ledger store (bound to this chain and deployment).
        ledger, registry: contract addresses; logs from any other address are ignored.
        start_block: the deployment block (nothing earlier is read).
        confirmations: blocks behind the head treated as not yet final.
        max_range: cap on the block range of one eth_getLogs call.
        concurrency: eth_getLogs calls in flight at once (JSON-RPC).
        target_logs: logs per fetched range (one store transaction each; bounds memory).
        pause_gc: keep Python's cyclic garbage collector off during a sync. A sync allocates
            millions of short-lived tuples that reference counting frees and that hold no
            cycles, yet they trigger collections that walk the whole heap; the indexer benchmark
            measures the difference (``embedded_gc_paused_speedup``).
    """

    def __init__(
        self,
        backend: ChainBackend,
        store: Store,
        ledger: bytes,
        registry: bytes,
        *,
        start_block: int = 0,
        confirmations: int = 0,
        max_range: int = 1_000_000,
        target_logs: int = 10_000,
        concurrency: int = 4,
        pause_gc: bool = True,
    ) -> None:
        self.pause_gc = pause_gc
        self.backend = backend
        self.store = store
        self.mapper = Mapper(ledger, registry)
        self.start_block = start_block
        self.confirmations = confirmations
        self.fetcher = LogFetcher(
            backend,
            [ledger, registry],
            self.mapper.topics0(),
            policy=RangePolicy(target_logs=target_logs, max_range=max_range),
            concurrency=concurrency,
        )
        store.bind(backend.chain_id, [_hex(ledger), _hex(registry)])

    # ---------------------------------------------------------------- blocks

    def _origin(self) -> tuple[int, str]:
        """The checkpoint before anything is indexed: the block before the deployment."""
        n = self.start_block - 1
        return (n, _hex(self.backend.block(n).hash)) if n >= 0 else (-1, "")

    def verify_checkpoint(self) -> tuple[tuple[int, str], int, int]:
        """The checkpoint if the chain still has it, else the common ancestor after a rollback.

        Returns (checkpoint, reorgs, rows rolled back).
        """
        cp = self.store.checkpoint()
        if cp is None:
            return self._origin(), 0, 0
        number, stored = cp
        head = self.backend.head()
        if number < 0 or (number <= head and _hex(self.backend.block(number).hash) == stored):
            return cp, 0, 0
        ancestor = self._origin()
        for n, h in self.store.stored_blocks(min(number - 1, head)):
            if n < self.start_block:
                break
            if _hex(self.backend.block(n).hash) == h:
                ancestor = (n, h)
                break
        deleted = self.store.rollback_to(*ancestor)
        return ancestor, 1, deleted

    # ---------------------------------------------------------------- sync

    def sync(self, progress: Progress | None = None, until: int | None = None) -> SyncResult:
        """Index every final block not yet indexed; returns what was done."""
        paused = self.pause_gc and gc.isenabled()
        if paused:
            gc.disable()
        try:
            return self._sync(progress, until)
        finally:
            if paused:
                gc.enable()

    def _sync(self, progress: Progress | None, until: int | None) -> SyncResult:
        started = time.perf_counter()
        (cp_number, cp_hash), reorgs, rolled = self.verify_checkpoint()
        head = self.backend.head() - self.confirmations
        if until is not None:
            head = min(head, until)
        first = cp_number + 1
        events = 0
        total = max(0, head - first + 1)
        n = first
        while n <= head:
            restarted = False
            for a, b, logs in self.fetcher.ranges(n, head):
                # One pass over the logs: the distinct (block, hash) pairs they claim.
                claimed = {(log.block_number, log.block_hash) for log in logs}
                needed = sorted({n for n, _h in claimed} | {a, b})
                headers = {h.number: h for h in self.backend.blocks(needed)}
                if cp_hash and _hex(headers[a].parent_hash) != cp_hash:
                    restarted = True  # the chain changed under the checkpoint
                elif any(headers[n].hash != h for n, h in claimed):
                    restarted = True  # a reorg while these logs were fetched
                if restarted:
                    (cp_number, cp_hash), r, d = self.verify_checkpoint()
                    reorgs += r
                    rolled += d
                    n = cp_number + 1
                    break
                rows = self.mapper.store_rows(logs)
                blocks = [
                    {
                        "number": h.number,
                        "hash": _hex(h.hash),
                        "parent_hash": _hex(h.parent_hash),
                        "timestamp": h.timestamp,
                    }
                    for h in headers.values()
                ]
                cp_number, cp_hash = b, _hex(headers[b].hash)
                self.store.write(rows, blocks, (cp_number, cp_hash))
                events += sum(len(v) for v in rows.values())
                if progress:
                    progress(b - first + 1, total, events)
            if not restarted:
                break
        if events:
            self.store.settle()
        return SyncResult(first, head, events, time.perf_counter() - started, reorgs, rolled)
