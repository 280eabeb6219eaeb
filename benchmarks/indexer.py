"""Indexer throughput: the embedded chain (100k records) and anvil against web3.py, cryo and ethereum-etl.

Embedded: 100,000 licence records (500 assets), indexed into SQLite; ``embedded_flatness`` is the
time per 1,000 events over the whole chain divided by the time per 1,000 events over its first
blocks (~1,000 events, median of 3), measured in the same run.

anvil: 50,000 records through the JSON-RPC backend, then the same block range read by
ipledger's indexer (decoded and stored in SQLite), plain web3.py (decoded with ``process_log``,
not stored), cryo (``collect("logs")`` into pandas, data decoded with eth-abi, not stored) and
ethereum-etl (CLI in its own virtualenv outside the repository: blocks+transactions, then
receipts+logs to CSV, then eth-abi decoding, not stored). Every peer's TxRecorded rows reduce to a
checksum; ``checksums_agree`` compares those present.

ipledger figures use ``SyncResult.seconds`` (the whole ``sync()``: checkpoint check, fetch,
headers, decode, map and the SQLite writes). Peers are timed wall-clock from their first call
to their last decoded row. ``IPLEDGER_BENCH_SCALE`` (default 1) scales the record counts for
quick trials.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import shutil
import statistics
import tempfile
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks import _peers
from benchmarks._chain import licences, setup
from ipledger.chain.backend import ChainBackend
from ipledger.chain.client import LedgerClient
from ipledger.ledger import Indexer, Store

SCALE = float(os.environ.get("IPLEDGER_BENCH_SCALE", "1"))
EMBEDDED_RECORDS = int(100_000 * SCALE)
ANVIL_RECORDS = int(50_000 * SCALE)
N_ASSETS = 500
BATCH = 500
TARGET_EVENTS_PER_S = 10_000
TARGET_VS_WEB3 = 3.0
ETL_BUDGET_S = 180.0


def _r(x: float | None, nd: int = 0) -> float | int | None:
    if x is None:
        return None
    return round(x, nd) if nd else round(x)


def _build(backend: ChainBackend, n_records: int) -> tuple[LedgerClient, int, float]:
    """Deploy, register N_ASSETS assets, record ``n_records`` licences; returns (client, first
    record block, records per second)."""
    client, assets = setup(backend, N_ASSETS)
    txs = licences(client, assets, n_records)
    first_block = -1
    start = time.perf_counter()
    for res in client.record_many(txs, batch_size=BATCH):
        if first_block < 0:
            first_block = res.block_number
    return client, first_block, n_records / (time.perf_counter() - start)


def _index(backend: ChainBackend, client: LedgerClient, path: Path, until: int | None = None) -> tuple[Indexer, Any]:
    ix = Indexer(backend, Store(f"sqlite:///{path}"), client.ledger_address, client.registry_address)
    return ix, ix.sync(until=until)


def _ipledger_checksum(ix: Indexer) -> str:
    rows = ix.store.read("transactions")
    keys = ((r["block_number"], r["log_index"], r["record_id"], r["asset_id"], r["amount"]) for r in rows)
    return _peers.checksum(keys)


# --------------------------------------------------------------------------- embedded


def _embedded(tmp: Path, etl: Future[tuple[Path | None, str]]) -> dict[str, Any]:
    from ipledger.chain.embedded import EmbeddedBackend

    b = EmbeddedBackend(None)
    try:
        client, first_block, rate = _build(b, EMBEDDED_RECORDS)
        head = b.head()
        # ethereum-etl's virtualenv installs in the background while the chain is built; wait
        # for it before measuring so pip does not share the CPU with the indexer.
        etl.result()
        small = []
        small_events = 0
        for i in range(3):
            ix, res = _index(b, client, tmp / f"small{i}.sqlite", until=first_block)
            small.append(res.seconds)
            small_events = res.events
            ix.store.close()
        ix, full = _index(b, client, tmp / "full.sqlite")
        ix.store.close()
    finally:
        b.close()
    per_k_small = statistics.median(small) / small_events * 1000
    per_k_full = full.seconds / full.events * 1000
    return {
        "embedded_records": EMBEDDED_RECORDS,
        "embedded_blocks": head + 1,
        "embedded_build_records_per_s": _r(rate),
        "embedded_events": full.events,
        "embedded_sync_s": _r(full.seconds, 2),
        "embedded_events_per_s": _r(full.events_per_s),
        "embedded_small_events": small_events,
        "embedded_small_until_block": first_block,
        "embedded_small_sync_s_median": _r(statistics.median(small), 4),
        "embedded_small_sync_s_runs": [_r(s, 4) for s in small],
        "embedded_ms_per_1k_events_small": _r(per_k_small * 1000, 2),
        "embedded_ms_per_1k_events_full": _r(per_k_full * 1000, 2),
        "embedded_flatness": _r(per_k_full / per_k_small, 3),
    }


# --------------------------------------------------------------------------- anvil


def _stages(backend: Any, client: LedgerClient, ix: Indexer, head: int, tmp: Path) -> dict[str, Any]:
    """Where ipledger's time goes on anvil, stage by stage (one pass over the whole range)."""
    from ipledger.chain.rpc import _log

    out: dict[str, Any] = {}
    addrs = [client.ledger_address, client.registry_address]
    t = time.perf_counter()
    raw = backend.get_logs_raw(0, head, addrs, ix.mapper.topics0())
    out["anvil_stage_get_logs_json_s"] = time.perf_counter() - t
    t = time.perf_counter()
    logs = [_log(e) for e in raw]
    out["anvil_stage_rawlog_s"] = time.perf_counter() - t
    t = time.perf_counter()
    headers = backend.blocks(sorted({g.block_number for g in logs} | {0, head}))
    out["anvil_stage_headers_s"] = time.perf_counter() - t
    t = time.perf_counter()
    rows = ix.mapper.rows(logs)
    out["anvil_stage_decode_map_s"] = time.perf_counter() - t
    store = Store(f"sqlite:///{tmp / 'stages.sqlite'}")
    blocks = [
        {
            "number": h.number,
            "hash": f"0x{h.hash.hex()}",
            "parent_hash": f"0x{h.parent_hash.hex()}",
            "timestamp": h.timestamp,
        }
        for h in headers
    ]
    t = time.perf_counter()
    store.write(rows, blocks, (head, blocks[-1]["hash"]))
    out["anvil_stage_store_write_s"] = time.perf_counter() - t
    store.close()
    return {k: _r(v, 3) for k, v in out.items()}


def _profile(backend: ChainBackend, client: LedgerClient, tmp: Path, top: int = 12) -> list[str]:
    """cProfile of one more sync (main thread; eth_getLogs runs in the fetcher's worker threads)."""
    prof = cProfile.Profile()
    prof.enable()
    ix, _res = _index(backend, client, tmp / "profile.sqlite")
    prof.disable()
    ix.store.close()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    rows = []
    for (filename, line, func), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        short = "/".join(Path(filename).parts[-2:]) if filename != "~" else ""
        rows.append((tottime, f"{short}:{line}({func}) calls={ncalls} tottime={tottime:.3f}s cumtime={cumtime:.3f}s"))
    rows.sort(reverse=True)
    return [text for _t, text in rows[:top]]


def _anvil(tmp: Path, etl: Future[tuple[Path | None, str]]) -> dict[str, Any]:
    from ipledger.chain.rpc import RPCBackend

    out: dict[str, Any] = {}
    with _peers.anvil() as url:
        b = RPCBackend(url)
        try:
            client, _first, rate = _build(b, ANVIL_RECORDS)
            head = b.head()
            ledger, registry = client.ledger_address, client.registry_address
            out["anvil_records"] = ANVIL_RECORDS
            out["anvil_blocks"] = head + 1
            out["anvil_build_records_per_s"] = _r(rate)

            # ipledger: decoded and stored, median of 3 fresh stores.
            runs = []
            for i in range(3):
                ix, res = _index(b, client, tmp / f"anvil{i}.sqlite")
                runs.append(res)
                if i == 0:
                    out["checksum_ipledger"] = _ipledger_checksum(ix)
                    out["anvil_tx_events_ipledger"] = ix.store.count("transactions")
                    stage_ix = ix
                else:
                    ix.store.close()
            rates = [r.events_per_s for r in runs]
            anvil_rate = statistics.median(rates)
            out["anvil_events"] = runs[0].events
            out["anvil_events_per_s"] = _r(anvil_rate)
            out["anvil_events_per_s_runs"] = [_r(x) for x in rates]
            out["anvil_sync_s_median"] = _r(statistics.median(r.seconds for r in runs), 3)
            out.update(_stages(b, client, stage_ix, head, tmp))
            stage_ix.store.close()

            # plain web3.py (slow: one run).
            try:
                w = _peers.web3_peer(url, ledger, registry, 0, head)
                out.update(
                    web3_events=w.events,
                    web3_events_per_s=_r(w.events_per_s),
                    web3_seconds=_r(w.seconds, 2),
                    web3_get_logs_s=_r(w.extra["get_logs_s"], 2),
                    web3_stored=False,
                    checksum_web3=w.checksum,
                    anvil_vs_web3=_r(anvil_rate / w.events_per_s, 2),
                )
            except Exception as exc:
                out.update(web3_events_per_s=None, anvil_vs_web3=None, checksum_web3=None, web3_reason=_why(exc))

            # cryo: median of 3.
            try:
                cr = [_peers.cryo_peer(url, ledger, registry, 0, head) for _ in range(3)]
                out.update(
                    cryo_events=cr[0].events,
                    cryo_events_per_s=_r(statistics.median(c.events_per_s for c in cr)),
                    cryo_events_per_s_runs=[_r(c.events_per_s) for c in cr],
                    cryo_fetch_s_median=_r(statistics.median(c.extra["fetch_s"] for c in cr), 3),
                    cryo_stored=False,
                    checksum_cryo=cr[0].checksum,
                    cryo_reason=None,
                )
            except Exception as exc:
                out.update(cryo_events_per_s=None, checksum_cryo=None, cryo_reason=_why(exc))

            # ethereum-etl in its own virtualenv.
            exe, how = etl.result()
            out["ethereum_etl_venv"] = how if exe else None
            if exe is None:
                out.update(ethereum_etl_events_per_s=None, checksum_ethereum_etl=None, ethereum_etl_reason=how)
            else:
                try:
                    e = _peers.ethereum_etl_peer(exe, url, ledger, registry, 0, head, timeout=ETL_BUDGET_S)
                    out.update(
                        ethereum_etl_events=e.events,
                        ethereum_etl_events_per_s=_r(e.events_per_s),
                        ethereum_etl_seconds=_r(e.seconds, 2),
                        ethereum_etl_export_s=_r(e.extra["export_s"], 2),
                        ethereum_etl_stored=False,
                        checksum_ethereum_etl=e.checksum,
                        ethereum_etl_reason=None,
                    )
                except Exception as exc:
                    reason = _why(exc)
                    out.update(ethereum_etl_events_per_s=None, checksum_ethereum_etl=None, ethereum_etl_reason=reason)

            below = anvil_rate < TARGET_EVENTS_PER_S or (
                out.get("anvil_vs_web3") is not None and out["anvil_vs_web3"] < TARGET_VS_WEB3
            )
            if below:
                out["anvil_profile_top_tottime"] = _profile(b, client, tmp)
        finally:
            b.close()
    sums = [out.get(k) for k in ("checksum_ipledger", "checksum_web3", "checksum_cryo", "checksum_ethereum_etl")]
    present = [s for s in sums if s]
    out["checksums_compared"] = len(present)
    out["checksums_agree"] = len(present) >= 2 and len(set(present)) == 1
    return out


def _why(exc: BaseException) -> str:
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return last[:400]


# --------------------------------------------------------------------------- entry point


def run() -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="ipledger-bench-indexer-"))
    pool = ThreadPoolExecutor(max_workers=1)
    out: dict[str, Any] = {}
    try:
        etl = pool.submit(_etl_venv_safe)
        out.update(_embedded(tmp, etl))
        out.update(_anvil(tmp, etl))
    finally:
        pool.shutdown(wait=True)
        shutil.rmtree(tmp, ignore_errors=True)
    out["targets"] = (
        f"embedded >= {TARGET_EVENTS_PER_S}/s, flatness <= 1.5, "
        f"anvil >= {TARGET_EVENTS_PER_S}/s and >= {TARGET_VS_WEB3}x web3"
    )
    out["target_met_embedded_events_per_s"] = (out.get("embedded_events_per_s") or 0) >= TARGET_EVENTS_PER_S
    out["target_met_embedded_flatness"] = (out.get("embedded_flatness") or 99) <= 1.5
    out["target_met_anvil_events_per_s"] = (out.get("anvil_events_per_s") or 0) >= TARGET_EVENTS_PER_S
    out["target_met_anvil_vs_web3"] = (out.get("anvil_vs_web3") or 0) >= TARGET_VS_WEB3
    if SCALE != 1:
        out["scale"] = SCALE
    return out


def _etl_venv_safe() -> tuple[Path | None, str]:
    try:
        return _peers.etl_venv(ETL_BUDGET_S)
    except Exception as exc:
        return None, f"virtualenv for ethereum-etl failed: {_why(exc)}"
