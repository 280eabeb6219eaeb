"""Indexer throughput on the embedded chain against its floor, each sync in its own process.

Embedded (a persisted chain of 300,000 licence records over 500 assets, 500 records a block):
- fixed syncs of the first 10k, 100k, 150k and 300k records into fresh SQLite stores, three runs
  each (medians), each in a fresh process whose peak RSS (``VmHWM``) is reported;
- ``embedded_vs_floor``: the floor's time over ipledger's for the same 100k-record range, both in
  this run, each floor run right after an ipledger run (medians of three). The floor is the raw
  read (header, receipt and transaction tries, transaction hash, log slicing:
  ``benchmarks._jobs.floor``) plus one raw ``executemany`` of the very rows ipledger stored into
  an empty database of the same schema; no decoding, no checkpoint, no chunking;
- ``embedded_flatness``: in one sync of the whole chain (set-up blocks indexed beforehand, so
  every timed event is a TxRecorded), the time per event of the last 10k events over that of the
  first 10k (window edges at stored ranges, so each window holds at least 10k events); median of
  three syncs;
- ``store_bytes_per_event``: pages of the 300k store (after a WAL checkpoint) over its events.

The peers on anvil are in ``benchmarks.indexer_peers``.

``IPLEDGER_BENCH_SCALE`` (``python -m benchmarks --quick`` sets 0.05) scales the record counts
for development; published figures come from the full run.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import statistics
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import _jobs, _peers
from benchmarks._chain import asset_inputs, licences, setup
from ipledger.chain.backend import ChainBackend
from ipledger.chain.client import LedgerClient

SCALE = float(os.environ.get("IPLEDGER_BENCH_SCALE", "1"))
# The chain's size; fixed syncs larger than the chain are skipped (and listed as skipped).
EMBEDDED_RECORDS = int(int(os.environ.get("IPLEDGER_BENCH_EMBEDDED_RECORDS", "300000")) * SCALE)
CHAIN_VERSION = "1"  # bump when the benchmark chain's content changes
FIXED = {"10k": 10_000, "100k": 100_000, "150k": 150_000, "300k": 300_000}
FLOOR_SIZE = "100k"
WINDOW = int(10_000 * max(SCALE, 0.1))
N_ASSETS = 500
BATCH = 500
RUNS = 3

TARGETS = {
    "embedded_vs_floor": (">=", 0.75),
    "embedded_flatness": ("<=", 1.2),
    "peak_rss_mb_150k": ("<=", 400),
    "store_bytes_per_event": ("<=", 350),
}


def _r(x: float | None, nd: int = 0) -> float | int | None:
    if x is None:
        return None
    return round(x, nd) if nd else round(x)


def _med(rows: list[dict[str, Any]], key: str | Callable[[dict[str, Any]], float]) -> float:
    get = key if callable(key) else (lambda r: r[key])
    return float(statistics.median(get(r) for r in rows))


def _why(exc: BaseException) -> str:
    return traceback.format_exception_only(type(exc), exc)[-1].strip()[:400]


def _build(backend: ChainBackend, n_records: int) -> tuple[LedgerClient, int, float]:
    """Deploy, register N_ASSETS assets, record ``n_records`` licences BATCH to a block; returns
    (client, first record block, records per second)."""
    client, assets = setup(backend, N_ASSETS)
    txs = licences(client, assets, n_records)
    first_block = -1
    start = time.perf_counter()
    for res in client.record_many(txs, batch_size=BATCH):
        if first_block < 0:
            first_block = res.block_number
    return client, first_block, n_records / (time.perf_counter() - start)


def _hex(b: bytes) -> str:
    return "0x" + b.hex()


# --------------------------------------------------------------------------- embedded


def _flatness(chunks: list[list[float]], window: int) -> tuple[float, int, int]:
    """(last window's time per event over the first's, first window events, last window events)."""
    total_t, total_ev = chunks[-1]
    first = next(c for c in chunks if c[1] >= window)
    edge = max((c for c in [[0.0, 0], *chunks] if total_ev - c[1] >= window), key=lambda c: c[1])
    first_per = first[0] / first[1]
    last_per = (total_t - edge[0]) / (total_ev - edge[1])
    return last_per / first_per, int(first[1]), int(total_ev - edge[1])


def _embedded_chain(records: int) -> tuple[Path, dict[str, Any]]:
    """The persisted benchmark chain with at least ``records`` licence records.

    Built once and kept in the cache while the contracts' bytecode and the chain's shape stay the
    same; a chain with fewer records is extended (the same seeded licences, in order), so a
    smaller run reuses a prefix of a larger chain. The timed jobs only read it.
    """
    from ipledger.chain.compiled import load
    from ipledger.chain.embedded import EmbeddedBackend

    h = hashlib.sha256()
    for name in ("IPLedger", "ValuationRegistry"):
        h.update(load(name).bytecode)
    h.update(f"{CHAIN_VERSION}/{N_ASSETS}/{BATCH}".encode())
    folder = _peers.CACHE / f"embedded-chain-{h.hexdigest()[:16]}"
    meta_file = folder / "meta.json"
    if not meta_file.exists():
        shutil.rmtree(folder, ignore_errors=True)
    b = EmbeddedBackend(folder)
    try:
        if not meta_file.exists():
            client, _assets = setup(b, N_ASSETS)
            meta = {
                "ledger": _hex(client.ledger_address),
                "registry": _hex(client.registry_address),
                "first_record_block": b.head() + 1,
                "records": 0,
            }
            meta_file.write_text(json.dumps(meta))
        meta = json.loads(meta_file.read_text())
        how = "reused"
        if meta["records"] < records:
            client = LedgerClient(b, bytes.fromhex(meta["ledger"][2:]), bytes.fromhex(meta["registry"][2:]))
            txs = licences(client, asset_inputs(b.accounts()[1], N_ASSETS), records)[meta["records"] :]
            start = time.perf_counter()
            for res in client.record_many(txs, batch_size=BATCH):
                meta["records"] = (res.block_number - meta["first_record_block"] + 1) * BATCH
            meta["build_records_per_s"] = _r(len(txs) / (time.perf_counter() - start))
            meta_file.write_text(json.dumps(meta))
            how = "extended"
    finally:
        b.close()
    return folder, {**meta, "how": how}


def _embedded(tmp: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    chain, meta = _embedded_chain(EMBEDDED_RECORDS)
    ledger, registry = meta["ledger"], meta["registry"]
    first_block = meta["first_record_block"]
    out.update(
        embedded_records=EMBEDDED_RECORDS,
        embedded_blocks=first_block + EMBEDDED_RECORDS // BATCH,
        embedded_first_record_block=first_block,
        embedded_chain=f"{meta['how']} (cached chain of {meta['records']} records)",
        embedded_build_records_per_s=meta.get("build_records_per_s"),
    )

    def until(records: int) -> int:
        return first_block + max(1, int(records * SCALE) // BATCH) - 1

    # Fixed syncs, three fresh processes each; on the floor's range, each is followed by the floor
    # over the rows it stored and by a sync that leaves the garbage collector on
    # (Indexer(pause_gc=False)) to measure the pause: on a shared machine the load drifts, and
    # interleaving puts the same drift on both sides of a ratio.
    kept: dict[str, Path] = {}
    gc_on: list[dict[str, Any]] = []
    floors: list[dict[str, Any]] = []
    for label, records in FIXED.items():
        if int(records * SCALE) > EMBEDDED_RECORDS:
            out.setdefault("embedded_fixed_skipped", []).append(label)
            continue
        runs = []
        for i in range(RUNS):
            store = tmp / f"fixed-{label}-{i}.sqlite"
            runs.append(
                _jobs.run("sync", chain=str(chain), ledger=ledger, registry=registry, store=f"sqlite:///{store}",
                          until=until(records))
            )  # fmt: skip
            if label == FLOOR_SIZE:
                floors.append(
                    _jobs.run("floor", chain=str(chain), store=str(store), empty=str(tmp / f"floor-{i}.sqlite"),
                              until=until(records))
                )  # fmt: skip
                gc_on.append(
                    _jobs.run("sync", chain=str(chain), ledger=ledger, registry=registry, pause_gc=False,
                              store=f"sqlite:///{tmp / f'gc-on-{i}.sqlite'}", until=until(records))
                )  # fmt: skip
            if i == 0:
                kept[label] = store
            else:
                for f in tmp.glob(f"fixed-{label}-{i}.sqlite*"):
                    f.unlink()
        sec = _med(runs, "seconds")
        out[f"embedded_{label}_events"] = runs[0]["events"]
        out[f"embedded_{label}_sync_s"] = _r(sec, 3)
        out[f"embedded_{label}_sync_s_runs"] = [_r(r["seconds"], 3) for r in runs]
        out[f"embedded_{label}_events_per_s"] = _r(runs[0]["events"] / sec)
        out[f"embedded_{label}_us_per_event"] = _r(sec / runs[0]["events"] * 1e6, 2)
        out[f"peak_rss_mb_{label}"] = _r(_med(runs, "peak_rss_mb"))
        out[f"peak_rss_mb_{label}_runs"] = [r["peak_rss_mb"] for r in runs]
        out[f"rss_before_sync_mb_{label}"] = _r(_med(runs, "rss_before_sync_mb"))
    largest = list(kept)[-1]
    out[f"embedded_us_per_event_{largest}_over_10k"] = _r(
        out[f"embedded_{largest}_us_per_event"] / out["embedded_10k_us_per_event"], 3
    )
    out["embedded_gc_on_sync_s_runs"] = [_r(r["seconds"], 3) for r in gc_on]
    out["embedded_gc_paused_speedup"] = _r(_med(gc_on, "seconds") / out[f"embedded_{FLOOR_SIZE}_sync_s"], 3)

    # The floor for the same 100k range, from the rows ipledger stored there (run above).
    floor_s = _med(floors, "seconds")
    ours_s = out[f"embedded_{FLOOR_SIZE}_sync_s"]
    if floors[0]["events"] != out[f"embedded_{FLOOR_SIZE}_events"]:
        raise RuntimeError(f"floor rows {floors[0]['events']} != ipledger's {out[f'embedded_{FLOOR_SIZE}_events']}")
    out.update(
        floor_range=FLOOR_SIZE,
        floor_events=floors[0]["events"],
        floor_s=_r(floor_s, 3),
        floor_s_runs=[_r(f["seconds"], 3) for f in floors],
        floor_read_s=_r(_med(floors, "read_s"), 3),
        floor_insert_s=_r(_med(floors, "insert_s"), 3),
        floor_us_per_event=_r(floor_s / floors[0]["events"] * 1e6, 2),
        floor_events_per_s=_r(floors[0]["events"] / floor_s),
        embedded_vs_floor=_r(floor_s / ours_s, 3),
    )

    # Bytes per event of the largest fixed store, as written (WAL folded in).
    with sqlite3.connect(kept[largest]) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = conn.execute("PRAGMA page_count").fetchone()[0] * conn.execute("PRAGMA page_size").fetchone()[0]
    out["store_bytes_per_event"] = _r(pages / out[f"embedded_{largest}_events"])
    out["store_bytes_range"] = largest

    # Flatness inside one long sync of record blocks only (set-up indexed first, untimed).
    longs = [
        _jobs.run("sync", chain=str(chain), ledger=ledger, registry=registry,
                  store=f"sqlite:///{tmp / f'long-{i}.sqlite'}", after=first_block - 1, until=until(FIXED[largest]))
        for i in range(RUNS)
    ]  # fmt: skip
    flats = [_flatness(r["chunks"], WINDOW) for r in longs]
    out.update(
        embedded_flatness=_r(statistics.median(f[0] for f in flats), 3),
        embedded_flatness_runs=[_r(f[0], 3) for f in flats],
        embedded_flatness_window_events=[f[1:] for f in flats],
        embedded_flatness_sync_events=longs[0]["events"],
        embedded_flatness_sync_ranges=len(longs[0]["chunks"]),
    )
    return out


# --------------------------------------------------------------------------- entry point


def run() -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="ipledger-bench-indexer-"))
    load_start = os.getloadavg()
    try:
        out = _embedded(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    # The machine may be shared: its 1-minute load average before and after the run.
    out["load_average_1min"] = [round(load_start[0], 2), round(os.getloadavg()[0], 2)]
    return finish(out, TARGETS)


def finish(out: dict[str, Any], targets: dict[str, tuple[str, float]]) -> dict[str, Any]:
    """Add each target and whether this run meets it."""
    for key, (op, bound) in targets.items():
        value = out.get(key)
        met = value is not None and (value >= bound if op == ">=" else value <= bound)
        out[f"target_{key}"] = f"{op} {bound}"
        out[f"target_met_{key}"] = met
    if SCALE != 1:
        out["scale"] = SCALE
    return out
