"""The indexer benchmark's peers read the same TxRecorded rows as ipledger's indexer (small chain)."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmarks import _jobs, _peers
from benchmarks._chain import licences, setup

from ipledger.chain.rpc import RPCBackend
from ipledger.ledger import Indexer, Store

pytestmark = [pytest.mark.anvil, pytest.mark.slow]


def test_checksums_of_ipledger_web3_and_cryo_agree(anvil_node, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    b = RPCBackend(anvil_node.url)
    start = b.head() + 1
    client, assets = setup(b, 20)
    for _ in client.record_many(licences(client, assets, 300), batch_size=100):
        pass
    head = b.head()
    ix = Indexer(
        b,
        Store(f"sqlite:///{tmp_path / 'l.sqlite'}"),
        client.ledger_address,
        client.registry_address,
        start_block=start,
    )
    res = ix.sync()
    rows = ix.store.read("transactions")
    ours = _peers.checksum(
        (r["block_number"], r["log_index"], r["record_id"], r["asset_id"], r["amount"]) for r in rows
    )
    assert len(rows) == 300

    w = _peers.web3_peer(anvil_node.url, client.ledger_address, client.registry_address, start, head)
    assert (w.tx_events, w.events, w.checksum) == (300, res.events, ours)

    # The benchmark's jobs (run here in-process): web3 get_logs with eth-abi and with ipledger's
    # decoder, and cryo with ipledger's decoder, all read the same rows.
    args = {
        "url": anvil_node.url,
        "ledger": "0x" + client.ledger_address.hex(),
        "registry": "0x" + client.registry_address.hex(),
        "head": head,
    }
    g = _jobs.web3_get_logs(**args)
    assert (g["events"], g["events_same"], g["checksum"], g["checksum_same"]) == (res.events, res.events, ours, ours)
    pytest.importorskip("cryo")
    c = _jobs.cryo(**args)
    assert (c["events"], c["checksum"]) == (res.events, ours)


def test_checksum_ignores_order() -> None:
    keys = [(2, 0, 5, "0xab", 10), (1, 3, 4, "0xcd", 7)]
    assert _peers.checksum(keys) == _peers.checksum(reversed(keys))
    assert _peers.checksum(keys) != _peers.checksum(keys[:1])
