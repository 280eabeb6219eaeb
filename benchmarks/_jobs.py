"""Timed jobs of the indexer benchmark, each run in its own process for its own peak RSS.

``run(job, **kwargs)`` starts ``python -m benchmarks._jobs`` with the job's arguments as JSON and
returns the job's JSON result plus ``peak_rss_mb`` (the child's ``VmHWM``: its peak resident set,
imports included) and ``children_peak_rss_mb`` (the largest of its own child processes, e.g. the
ethereum-etl CLI). A fresh process also keeps one job's heap and caches out of the next one.

Jobs time fetch and decode separately where the peer allows it. Every peer decodes with ipledger's
own decoder (``Mapper.store_rows``: the fused decode+map) unless the row says otherwise
(``web3_get_logs_eth_abi``, ``web3_process_log``: the decoders web3 users actually use).
"""

from __future__ import annotations

import gc
import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import _peers

Job = Callable[..., dict[str, Any]]
JOBS: dict[str, Job] = {}


def job(fn: Job) -> Job:
    JOBS[fn.__name__] = fn
    return fn


def _vm(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB -> MB
    return float("nan")


def run(name: str, timeout: float = 900.0, **kwargs: Any) -> dict[str, Any]:
    """Run job ``name`` in a child process; returns its result with peak RSS figures (MB)."""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks._jobs", name, json.dumps(kwargs)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=root,
    )
    if done.returncode != 0:
        last = " | ".join(done.stderr.strip().splitlines()[-3:])
        raise RuntimeError(f"job {name} exited {done.returncode}: {last[-600:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# --------------------------------------------------------------------------- ipledger


def _backend(chain: str) -> Any:
    if chain.startswith("http"):
        from ipledger.chain.rpc import RPCBackend

        return RPCBackend(chain)
    from ipledger.chain.embedded import EmbeddedBackend

    return EmbeddedBackend(Path(chain))


@job
def sync(
    chain: str,
    ledger: str,
    registry: str,
    store: str,
    until: int | None = None,
    after: int | None = None,
    checksum: bool = False,
    pause_gc: bool = True,
) -> dict[str, Any]:
    """ipledger's full sync (fetch, headers, decode+map, store) into a fresh store.

    ``after``: first index up to this block untimed (e.g. the set-up blocks), so the timed sync
    holds only record blocks. The progress callback stamps every stored range: ``chunks`` lists
    (seconds since start, events so far).
    """
    from ipledger.ledger import Indexer, Store

    backend = _backend(chain)
    ix = Indexer(backend, Store(store), bytes.fromhex(ledger[2:]), bytes.fromhex(registry[2:]), pause_gc=pause_gc)
    if after is not None:
        ix.sync(until=after)
    rss_before = _vm("VmRSS")
    chunks: list[tuple[float, int]] = []
    start = time.perf_counter()
    res = ix.sync(progress=lambda _d, _t, ev: chunks.append((time.perf_counter() - start, ev)), until=until)
    out: dict[str, Any] = {
        "seconds": res.seconds,
        "events": res.events,
        "to_block": res.to_block,
        "chunks": chunks,
        "rss_before_sync_mb": rss_before,
    }
    if checksum:
        rows = ix.store.read("transactions")
        out["checksum"] = _peers.checksum(
            (r["block_number"], r["log_index"], r["record_id"], r["asset_id"], r["amount"]) for r in rows
        )
    ix.store.close()
    backend.close()
    return out


@job
def floor(chain: str, store: str, empty: str, until: int) -> dict[str, Any]:
    """The floor of an embedded sync: the raw trie read of every log of blocks 0..``until`` (what
    any reader of py-evm's database must do: header look-up, receipt and transaction trie reads,
    transaction hash, log slicing) plus one raw ``executemany`` of the rows ipledger stored (read
    from ``store`` before timing) into ``empty``, a fresh database of the same schema."""
    from eth_typing import BlockNumber

    from ipledger.chain._rawlogs import block_raw, receipt_logs
    from ipledger.ledger import Store
    from ipledger.ledger import schema as s

    backend = _backend(chain)
    chain_obj = backend.chain
    db = chain_obj.chaindb.db
    tables = [*s.LOG_TABLES, s.blocks]
    with sqlite3.connect(store) as src:
        rows = {t.name: src.execute(f"SELECT * FROM {t.name}").fetchall() for t in tables}
    Store(f"sqlite:///{empty}").close()  # the same schema, empty
    dst = sqlite3.connect(empty, isolation_level=None)
    dst.execute("PRAGMA journal_mode=WAL")
    dst.execute("PRAGMA synchronous=NORMAL")
    statements = {t.name: f"INSERT INTO {t.name} VALUES ({', '.join('?' for _ in t.columns)})" for t in tables}

    start = time.perf_counter()
    logs = 0
    for n in range(until + 1):
        header = chain_obj.get_canonical_block_header_by_number(BlockNumber(n))
        for _tx_hash, receipt in block_raw(db, header.transaction_root, header.receipt_root):
            logs += len(receipt_logs(receipt))
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    dst.execute("BEGIN")
    for name, table_rows in rows.items():
        dst.executemany(statements[name], table_rows)
    dst.execute("COMMIT")
    insert_s = time.perf_counter() - start
    dst.close()
    backend.close()
    events = sum(len(r) for n, r in rows.items() if n != "blocks")
    return {"read_s": read_s, "insert_s": insert_s, "seconds": read_s + insert_s, "events": events, "logs": logs}


# --------------------------------------------------------------------------- peers


def _mapper_rows(mapper: Any, logs: list[Any]) -> tuple[int, str]:
    """Decode with ipledger's decoder; returns (events, checksum of the TxRecorded rows)."""
    rows = mapper.store_rows(logs)
    from ipledger.ledger import schema as s

    cols = [c.name for c in s.transactions.columns]
    b, li, rid, aid, amt = (cols.index(c) for c in ("block_number", "log_index", "record_id", "asset_id", "amount"))
    # The fused rows carry the asset id in the store's form (bytes, a zero id empty): the peers'
    # keys hold it as 0x-hex of its 32 bytes.
    keys = (
        (r[b], r[li], r[rid], "0x" + (r[aid] or bytes(32)).hex(), r[amt])  # type: ignore[index]
        for r in rows.get("transactions", [])
    )
    return sum(len(v) for v in rows.values()), _peers.checksum(keys)


@job
def cryo(url: str, ledger: str, registry: str, head: int) -> dict[str, Any]:
    """cryo's ``collect("logs")`` (its fastest output for Python, polars' Arrow columns), then the
    same decoder as ipledger over the same logs; not stored."""
    import cryo as cryo_mod

    from ipledger.chain.backend import RawLog
    from ipledger.ledger.mapper import Mapper

    mapper = Mapper(bytes.fromhex(ledger[2:]), bytes.fromhex(registry[2:]))
    start = time.perf_counter()
    # cryo's block ranges "a:b" exclude b.
    df = cryo_mod.collect(
        "logs", blocks=[f"0:{head + 1}"], rpc=url, output_format="polars", contract=[ledger, registry], no_verbose=True
    )
    fetch_s = time.perf_counter() - start
    start = time.perf_counter()
    cols = [
        df[c].to_list()
        for c in (
            "address",
            "topic0",
            "topic1",
            "topic2",
            "topic3",
            "data",
            "block_number",
            "log_index",
            "transaction_hash",
        )
    ]
    logs = [
        RawLog(a, tuple(t for t in (t0, t1, t2, t3) if t is not None), d, bn, b"", th, 0, li)
        for a, t0, t1, t2, t3, d, bn, li, th in zip(*cols, strict=True)
    ]
    events, check = _mapper_rows(mapper, logs)
    decode_s = time.perf_counter() - start
    return {
        "fetch_s": fetch_s,
        "decode_s": decode_s,
        "seconds": fetch_s + decode_s,
        "events": events,
        "checksum": check,
    }


@job
def web3_get_logs(url: str, ledger: str, registry: str, head: int) -> dict[str, Any]:
    """``web3.eth.get_logs`` over both contracts, then two decoders over the same logs, timed apart:
    eth-abi per event (what a web3 user writes) and ipledger's decoder."""
    from web3 import HTTPProvider, Web3

    from ipledger.chain.backend import RawLog
    from ipledger.chain.compiled import load, topic0
    from ipledger.ledger.mapper import Mapper

    start = time.perf_counter()
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 300}))
    addrs = [Web3.to_checksum_address(a) for a in (ledger, registry)]
    topics = sorted(
        {"0x" + topic0(e).hex() for n in ("IPLedger", "ValuationRegistry") for e in load(n).abi if e["type"] == "event"}
    )
    logs = w3.eth.get_logs({"fromBlock": 0, "toBlock": head, "address": addrs, "topics": [topics]})
    fetch_s = time.perf_counter() - start

    dec = _peers.AbiDecoder({bytes.fromhex(ledger[2:]): "IPLedger", bytes.fromhex(registry[2:]): "ValuationRegistry"})
    start = time.perf_counter()
    events = 0
    keys = []
    for log in logs:
        got = dec.decode(bytes.fromhex(log["address"][2:]), [bytes(t) for t in log["topics"]], bytes(log["data"]))
        if got is None:
            continue
        events += 1
        if got[0] == "TxRecorded":
            keys.append(_peers.tx_key(log["blockNumber"], log["logIndex"], got[1]))
    eth_abi_check = _peers.checksum(keys)
    eth_abi_s = time.perf_counter() - start

    mapper = Mapper(bytes.fromhex(ledger[2:]), bytes.fromhex(registry[2:]))
    start = time.perf_counter()
    raw = [
        RawLog(
            bytes.fromhex(log["address"][2:]),
            tuple(bytes(t) for t in log["topics"]),
            bytes(log["data"]),
            log["blockNumber"],
            bytes(log["blockHash"]),
            bytes(log["transactionHash"]),
            log["transactionIndex"],
            log["logIndex"],
        )
        for log in logs
    ]
    same_events, same_check = _mapper_rows(mapper, raw)
    same_s = time.perf_counter() - start
    return {
        "fetch_s": fetch_s,
        "decode_eth_abi_s": eth_abi_s,
        "decode_same_s": same_s,
        "events": events,
        "events_same": same_events,
        "checksum": eth_abi_check,
        "checksum_same": same_check,
    }


@job
def web3_process_log(url: str, ledger: str, registry: str, head: int) -> dict[str, Any]:
    """web3's contract-event API: ``get_logs`` then ``process_log`` per log (web3's formatting)."""
    r = _peers.web3_peer(url, bytes.fromhex(ledger[2:]), bytes.fromhex(registry[2:]), 0, head)
    fetch_s = r.extra["get_logs_s"]
    return {"fetch_s": fetch_s, "decode_s": r.seconds - fetch_s, "events": r.events, "checksum": r.checksum}


@job
def ethereum_etl(exe: str, url: str, ledger: str, registry: str, head: int, budget_s: float) -> dict[str, Any]:
    """ethereum-etl's CLI export (blocks, transactions, receipts and logs to CSV), then the same
    decoder as ipledger over the exported logs; not stored."""
    from ipledger.chain.backend import RawLog
    from ipledger.ledger.mapper import Mapper

    mapper = Mapper(bytes.fromhex(ledger[2:]), bytes.fromhex(registry[2:]))
    out: dict[str, Any] = {}

    def decode(rows: list[dict[str, str]]) -> tuple[int, str]:
        logs = [
            RawLog(
                bytes.fromhex(r["address"][2:]),
                tuple(bytes.fromhex(t[2:]) for t in r["topics"].split(",") if t),
                bytes.fromhex(r["data"][2:]),
                int(r["block_number"]),
                b"",
                bytes.fromhex(r["transaction_hash"][2:]),
                int(r["transaction_index"]),
                int(r["log_index"]),
            )
            for r in rows
        ]
        return _mapper_rows(mapper, logs)

    r = _peers.ethereum_etl_export(Path(exe), url, 0, head, budget_s, decode, out)
    return {**out, "events": r[0], "checksum": r[1]}


# --------------------------------------------------------------------------- child entry point


def main() -> None:
    name, kwargs = sys.argv[1], json.loads(sys.argv[2])
    gc.collect()
    result = JOBS[name](**kwargs)
    result["peak_rss_mb"] = round(_vm("VmHWM"), 1)
    result["children_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown (large heaps): the result is out


if __name__ == "__main__":
    main()
