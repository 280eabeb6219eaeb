"""Peers of the ledger indexer for the indexer benchmark: plain web3.py, cryo and ethereum-etl.

Each peer reads the same block range of an anvil chain and decodes the contracts' logs (the jobs
in ``benchmarks._jobs`` time them). Every
peer's TxRecorded rows are reduced to one checksum (SHA-256 over the sorted tuples
``(block_number, log_index, record_id, asset_id, amount)``) so the report shows they agree.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_abi import decode as abi_decode

from ipledger.chain.anvil import anvil_node
from ipledger.chain.compiled import canonical_type, load, topic0

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ipledger-bench"

TxKey = tuple[int, int, int, str, int]


# --------------------------------------------------------------------------- anvil


def anvil() -> AbstractContextManager[str]:
    """An anvil node on a free loopback port; yields its URL and always stops it."""
    return anvil_node()


# --------------------------------------------------------------------------- checksums


def checksum(keys: Iterable[TxKey]) -> str:
    """SHA-256 over the sorted TxRecorded tuples (block, log index, record id, asset id, amount)."""
    h = hashlib.sha256()
    for k in sorted(keys):
        h.update(repr(k).encode())
        h.update(b"\n")
    return h.hexdigest()


# --------------------------------------------------------------------------- generic eth-abi decoding


@dataclass
class _Event:
    name: str
    indexed: list[tuple[str, str]]
    data_names: list[str]
    data_types: list[str]


@dataclass
class AbiDecoder:
    """Decodes any event of IPLedger and ValuationRegistry with eth-abi (peers' decoding)."""

    addresses: dict[bytes, str]
    events: dict[bytes, dict[bytes, _Event]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for addr, name in self.addresses.items():
            table: dict[bytes, _Event] = {}
            for entry in load(name).abi:
                if entry["type"] != "event":
                    continue
                ev = _Event(entry["name"], [], [], [])
                for p in entry["inputs"]:
                    t = canonical_type(p)
                    if p["indexed"]:
                        ev.indexed.append((p["name"], t))
                    else:
                        ev.data_names.append(p["name"])
                        ev.data_types.append(t)
                table[topic0(entry)] = ev
            self.events[addr] = table

    def decode(self, address: bytes, topics: list[bytes], data: bytes) -> tuple[str, dict[str, Any]] | None:
        table = self.events.get(address)
        if table is None or not topics:
            return None
        ev = table.get(topics[0])
        if ev is None:
            return None
        out: dict[str, Any] = {}
        for (name, t), topic in zip(ev.indexed, topics[1:], strict=True):
            static = not (t in ("string", "bytes") or t.endswith("]") or t.startswith("("))
            out[name] = abi_decode([t], topic)[0] if static else topic
        out.update(zip(ev.data_names, abi_decode(ev.data_types, data), strict=True))
        return ev.name, out


def tx_key(block_number: int, log_index: int, args: dict[str, Any]) -> TxKey:
    asset = "0x" + bytes(args["assetId"]).hex()
    return (int(block_number), int(log_index), int(args["recordId"]), asset, int(args["amount"]))


# --------------------------------------------------------------------------- peers


@dataclass
class PeerResult:
    seconds: float
    events: int
    tx_events: int
    checksum: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


def web3_peer(url: str, ledger: bytes, registry: bytes, a: int, b: int) -> PeerResult:
    """Plain web3.py: one ``eth_getLogs`` over both contracts, then ``process_log`` per log."""
    from web3 import HTTPProvider, Web3

    start = time.perf_counter()
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 300}))
    contracts = {}
    for addr, name in ((ledger, "IPLedger"), (registry, "ValuationRegistry")):
        c = w3.eth.contract(address=Web3.to_checksum_address(addr), abi=load(name).abi)
        by_topic = {}
        for entry in load(name).abi:
            if entry["type"] == "event":
                by_topic[topic0(entry)] = getattr(c.events, entry["name"])()
        contracts[Web3.to_checksum_address(addr)] = by_topic
    logs = w3.eth.get_logs({"fromBlock": a, "toBlock": b, "address": list(contracts)})
    fetched = time.perf_counter()
    events = 0
    keys: list[TxKey] = []
    for log in logs:
        ev = contracts[log["address"]].get(bytes(log["topics"][0])) if log["topics"] else None
        if ev is None:
            continue
        decoded = ev.process_log(log)
        events += 1
        if decoded["event"] == "TxRecorded":
            keys.append(tx_key(decoded["blockNumber"], decoded["logIndex"], decoded["args"]))
    seconds = time.perf_counter() - start
    return PeerResult(seconds, events, len(keys), checksum(keys), {"get_logs_s": fetched - start})


# --------------------------------------------------------------------------- ethereum-etl


# ethereum-etl pins web3 < 6, whose eth-abi pins parsimonious < 0.9, which crashes on Python 3.11
# (inspect.getargspec): one resolve of all three is impossible, so parsimonious 0.9.0 replaces
# the pinned one in a second step (pip warns about the pin and installs it).
ETL_STEPS = (["ethereum-etl"], ["parsimonious==0.9.0", "regex"])


def etl_venv(budget_s: float = 180.0) -> tuple[Path | None, str]:
    """ethereum-etl's own virtual environment, outside the repository (reused once it works).

    Returns (its ``ethereumetl`` executable or None, how it went).
    """
    venv = CACHE / "ethereum-etl-venv"
    exe = venv / "bin" / "ethereumetl"
    if exe.exists() and _etl_works(exe):
        return exe, "reused"
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + budget_s
    step = ["venv"]
    try:
        python = shutil.which("python3") or getattr(sys, "_base_executable", sys.executable)
        subprocess.run([python, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=budget_s)
        pip = str(venv / "bin" / "pip")
        for step in ETL_STEPS:
            left = max(10.0, deadline - time.monotonic())
            done = subprocess.run([pip, "install", "-q", *step], capture_output=True, text=True, timeout=left)
            if done.returncode != 0:
                shutil.rmtree(venv, ignore_errors=True)
                errors = [ln for ln in done.stderr.splitlines() if ln.startswith("ERROR")]
                return None, f"pip install {' '.join(step)} failed: {' '.join(errors)[-300:]}"
    except subprocess.TimeoutExpired:
        shutil.rmtree(venv, ignore_errors=True)
        return None, f"pip install {' '.join(step)} did not finish within the {budget_s:.0f} s budget"
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(venv, ignore_errors=True)
        return None, f"python -m venv failed: {(exc.stderr or b'').decode(errors='replace')[-300:]}"
    if not _etl_works(exe):
        return None, "ethereumetl installed but `ethereumetl --help` fails"
    return exe, "created"


def _etl_works(exe: Path) -> bool:
    try:
        return subprocess.run([str(exe), "--help"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def ethereum_etl_export(
    exe: Path,
    url: str,
    a: int,
    b: int,
    timeout: float,
    decode: Callable[[list[dict[str, str]]], tuple[int, str]],
    out: dict[str, Any],
) -> tuple[int, str]:
    """ethereum-etl CLI: blocks+transactions for the range, then receipts+logs of those
    transactions (CSV), timed as ``out["export_s"]``; then ``decode`` over the CSV's log rows
    (reading the CSV included), timed as ``out["decode_s"]``. Returns what ``decode`` returns."""
    with tempfile.TemporaryDirectory(prefix="ipledger-etl-") as tmp:
        d = Path(tmp)
        blocks, txs, hashes = str(d / "blocks.csv"), str(d / "txs.csv"), str(d / "hashes.txt")
        receipts, logs = str(d / "receipts.csv"), str(d / "logs.csv")
        export = ["--provider-uri", url]
        run = [
            [str(exe), "export_blocks_and_transactions", "--start-block", str(a), "--end-block", str(b), *export,
             "--blocks-output", blocks, "--transactions-output", txs],
            [str(exe), "extract_csv_column", "--input", txs, "--column", "hash", "--output", hashes],
            [str(exe), "export_receipts_and_logs", "--transaction-hashes", hashes, *export,
             "--receipts-output", receipts, "--logs-output", logs],
        ]  # fmt: skip
        start = time.perf_counter()
        deadline = time.monotonic() + timeout
        for cmd in run:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=max(5.0, deadline - time.monotonic()))
            if done.returncode != 0:
                raise RuntimeError(f"ethereumetl {cmd[1]} exited {done.returncode}: {done.stderr.strip()[-400:]}")
        out["export_s"] = time.perf_counter() - start
        start = time.perf_counter()
        csv.field_size_limit(1 << 30)
        with open(logs, newline="") as f:
            result = decode(list(csv.DictReader(f)))
        out["decode_s"] = time.perf_counter() - start
    return result
