"""Fetch the contracts' logs block range by block range.

Embedded: blocks and receipts straight from py-evm (skipping blocks whose bloom cannot match),
in ranges that close once they hold the policy's target number of logs (or ``embedded_chunk``
blocks), so one range, and the transaction that stores it, stays bounded in memory whatever the
number of events per block.
JSON-RPC: ``eth_getLogs`` filtered by address and topics, with a block range that grows toward a
target number of logs per call, shrinks when the node says the range or result is too large,
never exceeds the user's cap, and several ranges in flight at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ipledger.chain.backend import ChainBackend, RawLog
from ipledger.errors import ChainError

_TOO_LARGE = ("too many", "range", "limit", "exceed", "query returned more than", "response size")


@dataclass
class RangePolicy:
    """How big a block range one ``eth_getLogs`` call asks for."""

    initial: int = 2_000
    target_logs: int = 10_000
    max_range: int = 1_000_000
    min_range: int = 1

    def __post_init__(self) -> None:
        self.size = min(self.initial, self.max_range)

    def observed(self, logs: int) -> None:
        if logs < self.target_logs // 2:
            self.size = min(self.max_range, self.size * 2)
        elif logs > self.target_logs * 2:
            self.size = max(self.min_range, self.size // 2)

    def too_large(self) -> None:
        if self.size <= self.min_range:
            raise ChainError("the node rejects even a one-block log query")
        self.size = max(self.min_range, self.size // 2)


def _is_too_large(exc: ChainError) -> bool:
    text = str(exc).lower()
    return any(marker in text for marker in _TOO_LARGE)


class LogFetcher:
    """Yields (from_block, to_block, logs) for consecutive ranges up to ``head``."""

    def __init__(
        self,
        backend: ChainBackend,
        addresses: Sequence[bytes],
        topics0: Sequence[bytes] | None = None,
        *,
        policy: RangePolicy | None = None,
        concurrency: int = 4,
        embedded_chunk: int = 500,
    ) -> None:
        self.backend = backend
        self.addresses = list(addresses)
        self.topics0 = list(topics0) if topics0 else None
        self.policy = policy or RangePolicy()
        self.concurrency = max(1, concurrency)
        self.embedded_chunk = embedded_chunk

    def ranges(self, start: int, head: int) -> Iterator[tuple[int, int, list[RawLog]]]:
        if self.backend.kind == "embedded":
            yield from self._embedded(start, head)
        else:
            yield from self._rpc(start, head)

    def _embedded(self, start: int, head: int) -> Iterator[tuple[int, int, list[RawLog]]]:
        block_logs = self.backend.block_logs  # type: ignore[attr-defined]
        target = self.policy.target_logs
        n = start
        while n <= head:
            last = min(head, n + self.embedded_chunk - 1)
            logs: list[RawLog] = []
            end = n
            for end in range(n, last + 1):
                logs.extend(block_logs(end, self.addresses, self.topics0))
                if len(logs) >= target:
                    break
            yield n, end, logs
            n = end + 1

    def _fetch(self, a: int, b: int) -> list[RawLog]:
        return self.backend.get_logs(a, b, self.addresses, self.topics0)

    def _rpc(self, start: int, head: int) -> Iterator[tuple[int, int, list[RawLog]]]:
        n = start
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            while n <= head:
                size = self.policy.size
                spans = []
                a = n
                for _ in range(self.concurrency):
                    if a > head:
                        break
                    b = min(head, a + size - 1)
                    spans.append((a, b))
                    a = b + 1
                futures = [pool.submit(self._fetch, a, b) for a, b in spans]
                try:
                    results = [f.result() for f in futures]
                except ChainError as exc:
                    if not _is_too_large(exc):
                        raise
                    self.policy.too_large()
                    continue
                for (a, b), logs in zip(spans, results, strict=True):
                    self.policy.observed(len(logs))
                    yield a, b, logs
                n = spans[-1][1] + 1
