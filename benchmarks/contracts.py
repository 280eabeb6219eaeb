"""Gas from receipts on the embedded chain, the floor per record, and recording throughput."""

from __future__ import annotations

import statistics
import time
from typing import Any

from eth_abi import encode

from benchmarks._chain import licences, setup
from ipledger.chain import AnchorInput, AnchorKind, AssetInput, AssetKind, TxKind, to_timestamp
from ipledger.chain.embedded import EmbeddedBackend

TX_STRUCT = "(bytes32,uint8,address,address,uint40,bytes3,uint128,uint16,uint8,bytes2,uint40,uint64,bytes32)"


def _calldata_gas(data: bytes) -> int:
    return sum(4 if b == 0 else 16 for b in data)


def run() -> dict[str, Any]:
    b = EmbeddedBackend(None)
    client, assets = setup(b, 600)
    owner = b.accounts()[1]

    fresh = AssetInput("CN", AssetKind.INVENTION, "ZL2016BENCH.1", "H04L9/32", to_timestamp("2016-01-01"), owner)
    gas_register = client.register_asset(fresh).gas_used

    # Singles: 64 in a row, so that 2 of them open a new 32-record flag slot (20k gas each).
    singles = [client.record(tx).gas_used for tx in licences(client, assets, 64, seed=2)]
    sales = []
    for a in assets[:32]:
        sales.append(
            client.record(
                licences(client, [a], 1, seed=3)[0].__class__(
                    a.asset_id, TxKind.ASSIGNMENT, owner, b.accounts()[3], to_timestamp("2021-01-01"), "CNY", 123_456_00
                )
            ).gas_used
        )
    batch100 = licences(client, assets, 100, seed=4)
    gas_batch = client.record_batch(batch100).gas_used
    head = b.head()
    anchors = [
        client.anchor(
            AnchorInput(
                a.asset_id,
                AnchorKind.VALUATION,
                bytes([i + 1]) * 32,
                head,
                to_timestamp("2024-01-01"),
                "CNY",
                10**9,
                8 * 10**8,
                12 * 10**8,
            )
        ).gas_used
        for i, a in enumerate(assets[:5])
    ]

    # Floor: calldata of one record inside a batch plus the log it must emit
    # (375 base + 4 topics x 375 + 8 gas per data byte, 12 data words).
    one = encode([TX_STRUCT], [batch100[0].as_tuple()])
    floor = _calldata_gas(one) + 375 + 4 * 375 + 8 * 12 * 32

    # Throughput: 5,000 records in batches of 500, median of three runs.
    rates = []
    for seed in (11, 12, 13):
        txs = licences(client, assets, 5000, seed=seed)
        start = time.perf_counter()
        for _ in client.record_many(txs, batch_size=500):
            pass
        rates.append(len(txs) / (time.perf_counter() - start))
    b.close()
    return {
        "gas_register_asset": gas_register,
        "gas_record_single": int(statistics.median(singles)),
        "gas_record_single_max": max(singles),
        "gas_record_single_assignment": int(statistics.median(sales)),
        "gas_record_batch100_per_record": round(gas_batch / 100),
        "gas_anchor_valuation": int(statistics.median(anchors)),
        "gas_floor_record": floor,
        "embedded_records_per_s": round(statistics.median(rates)),
        "embedded_records_per_s_runs": [round(r) for r in rates],
        "note": (
            "single-record gas is the median of 64 consecutive records; 1 in 32 opens a new flag slot (+20k, see _max)"
        ),
    }
