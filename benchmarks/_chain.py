"""Shared set-up for benchmarks: a deployed chain with registered assets."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from ipledger.chain import AssetInput, AssetKind, LedgerClient, TxInput, TxKind, deploy, to_timestamp
from ipledger.chain.backend import ChainBackend

FILED = to_timestamp("2016-01-01")


def asset_inputs(owner: bytes, n_assets: int) -> list[AssetInput]:
    """The benchmark's assets (the same every time)."""
    return [
        AssetInput("CN", AssetKind.INVENTION, f"ZL2016{i:07d}.X", "H04L9/32", FILED, owner, FILED + 700 * 86400)
        for i in range(n_assets)
    ]


def setup(backend: ChainBackend, n_assets: int = 500) -> tuple[LedgerClient, list[AssetInput]]:
    d = deploy(backend)
    client = LedgerClient(backend, d.ledger, d.registry)
    assets = asset_inputs(backend.accounts()[1], n_assets)
    list(client.register_assets(assets, batch_size=250))
    return client, assets


def licences(client: LedgerClient, assets: list[AssetInput], n: int, seed: int = 1) -> list[TxInput]:
    rng = random.Random(seed)
    accounts = client.backend.accounts()
    out = []
    for _ in range(n):
        a = rng.choice(assets)
        out.append(
            TxInput(
                a.asset_id,
                TxKind.LICENCE,
                a.owner,
                rng.choice(accounts[2:]),
                to_timestamp("2020-01-01") + rng.randrange(0, 1500) * 86400,
                "CNY",
                rng.randrange(10_000, 10_000_000) * 100,
                rng.randrange(100, 1200),
                rng.randrange(0, 3),
                rng.choice(["CN", "WW", "US"]),
                to_timestamp("2030-01-01"),
                0,
                rng.randbytes(32),
            )
        )
    return out


def median_time(fn: Callable[[], Any], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)
