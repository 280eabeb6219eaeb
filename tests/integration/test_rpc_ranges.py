"""Over JSON-RPC the indexer adapts its eth_getLogs range to what the node accepts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from ipledger.chain import LedgerClient, deploy
from ipledger.chain.backend import RawLog
from ipledger.chain.rpc import RPCBackend
from ipledger.errors import ChainError
from ipledger.ledger import Indexer, Store
from ipledger.ledger.fetch import RangePolicy
from tests.conformance.conftest import Env
from tests.conftest import AnvilNode

pytestmark = pytest.mark.anvil


class LimitedNode(RPCBackend):
    """anvil behind the limits public providers put on eth_getLogs: a maximum block range and a
    maximum number of results per call (the same messages such providers answer with)."""

    def __init__(self, url: str, max_blocks: int, max_logs: int) -> None:
        super().__init__(url)
        self.max_blocks, self.max_logs = max_blocks, max_logs
        self.calls: list[tuple[int, int, int | None]] = []

    def get_logs(
        self, from_block: int, to_block: int, addresses: Sequence[bytes], topics0: Sequence[bytes] | None = None
    ) -> list[RawLog]:
        if to_block - from_block + 1 > self.max_blocks:
            self.calls.append((from_block, to_block, None))
            raise ChainError(f"eth_getLogs: block range exceeds the limit of {self.max_blocks} (code -32602)")
        logs = super().get_logs(from_block, to_block, addresses, topics0)
        if len(logs) > self.max_logs:
            self.calls.append((from_block, to_block, None))
            raise ChainError(f"eth_getLogs: query returned more than {self.max_logs} results (code -32005)")
        self.calls.append((from_block, to_block, len(logs)))
        return logs


def test_range_shrinks_on_limits_and_everything_is_indexed(anvil_node: AnvilNode, tmp_path: Path) -> None:
    node = LimitedNode(anvil_node.url, max_blocks=8, max_logs=120)
    snap = node.snapshot()
    try:
        d = deploy(node)
        env = Env(node, LedgerClient(node, d.ledger, d.registry), node.accounts())
        asset = env.registered()
        for _ in range(12):  # 12 blocks of 50 records: a 3-block range already exceeds 120 logs
            env.client.record_batch([env.tx(asset) for _ in range(50)])
        for _ in range(20):
            env.client.record(env.tx(asset))
        store = Store(f"sqlite:///{tmp_path / 'l.sqlite'}")
        ix = Indexer(node, store, d.ledger, d.registry, start_block=d.block, concurrency=2)
        ix.fetcher.policy = RangePolicy(initial=64, target_logs=100, max_range=1_000)
        ix.sync()
        assert store.count("transactions") == 12 * 50 + 20
        rejected = [c for c in node.calls if c[2] is None]
        accepted = [c for c in node.calls if c[2] is not None]
        assert rejected, "the node's limits were never hit"
        assert all(b - a + 1 <= 8 for a, b, _ in accepted)
        assert max(n for _, _, n in accepted if n is not None) <= 120
    finally:
        node.revert(snap)


def test_range_policy_grows_toward_target_and_honours_cap() -> None:
    p = RangePolicy(initial=10, target_logs=1000, max_range=300)
    for _ in range(10):
        p.observed(5)
    assert p.size == 300  # grew, but never past the user's cap
    p.observed(5000)
    assert p.size == 150  # far above target: halved
    p.too_large()
    assert p.size == 75
    q = RangePolicy(initial=1, min_range=1)
    with pytest.raises(ChainError):
        q.too_large()
