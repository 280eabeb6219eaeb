"""The raw-trie log reader gives exactly what py-evm's own receipt decoding gives."""

from __future__ import annotations

from benchmarks._chain import licences, setup

from ipledger.chain import TxKind
from ipledger.chain.embedded import EmbeddedBackend


def test_raw_logs_equal_pyevm_decoding() -> None:
    b = EmbeddedBackend(None)
    client, assets = setup(b, 20)
    for _ in client.record_many(licences(client, assets, 120), batch_size=50):
        pass
    tx = licences(client, assets[:1], 1)[0]
    client.record(tx.__class__(tx.asset_id, TxKind.ASSIGNMENT, tx.seller, tx.buyer, tx.date, "USD", 10))
    seen = 0
    for number in range(1, b.head() + 1):
        header = b.chain.get_canonical_block_header_by_number(number)
        block = b.chain.get_block_by_header(header)
        expected = []
        for tx_index, (t, receipt) in enumerate(
            zip(block.transactions, block.get_receipts(b.chain.chaindb), strict=True)
        ):
            for log in receipt.logs:
                expected.append(
                    (log.address, tuple(x.to_bytes(32, "big") for x in log.topics), log.data, t.hash, tx_index)
                )
        got = [
            (r.address, r.topics, r.data, r.tx_hash, r.tx_index)
            for r in b.block_logs(number, [client.ledger_address, client.registry_address])
        ]
        assert got == expected
        assert [r.log_index for r in b.block_logs(number, [client.ledger_address, client.registry_address])] == list(
            range(len(got))
        )
        seen += len(got)
    assert seen > 140
