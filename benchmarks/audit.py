"""Provenance audit of a 100,000-record ledger, on the embedded chain and on anvil.

Each chain gets 500 assets and 100,000 licence records (``client.record_many``, batches of 500),
indexed into a temporary SQLite store; then ``ipledger.audit.audit`` runs every check (rows
against logs, accumulators, roles and senders, links and ownership, documents, reports) and is
timed wall-clock. Documents are not stored, so every document hash is a (counted) warning; the
audit must still pass. ``IPLEDGER_BENCH_SCALE`` (default 1) scales the record count for quick
trials. Target: at most 60 s per audit.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._chain import licences, setup
from ipledger.audit import AuditReport, audit
from ipledger.chain.anvil import anvil_node
from ipledger.chain.backend import ChainBackend
from ipledger.documents import DocumentStore
from ipledger.ledger import Indexer, Store

ROOT = Path(__file__).resolve().parent.parent
SCALE = float(os.environ.get("IPLEDGER_BENCH_SCALE", "1"))
RECORDS = int(100_000 * SCALE)
N_ASSETS = 500
BATCH = 500
TARGET_S = 60.0


def _measure(backend: ChainBackend, tmp: Path, prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    start_block = backend.head() + 1
    t = time.perf_counter()
    client, assets = setup(backend, N_ASSETS)
    for _ in client.record_many(licences(client, assets, RECORDS), batch_size=BATCH):
        pass
    out[f"{prefix}_build_s"] = round(time.perf_counter() - t, 1)
    store = Store(f"sqlite:///{tmp / f'{prefix}.sqlite'}")
    try:
        ix = Indexer(backend, store, client.ledger_address, client.registry_address, start_block=start_block)
        out[f"{prefix}_index_s"] = round(ix.sync().seconds, 2)
        docs = DocumentStore(tmp / f"{prefix}-documents")
        t = time.perf_counter()
        report: AuditReport = audit(backend, store, client, documents=docs, start_block=start_block)
        seconds = time.perf_counter() - t
    finally:
        store.close()
    out[f"audit_100k_{prefix}_s"] = round(seconds, 2)
    out[f"{prefix}_audit_passed"] = report.passed
    out[f"{prefix}_records"] = report.check("accumulators").counts.get("ledger_records", 0)
    out[f"{prefix}_blocks"] = report.head - start_block + 1
    out[f"{prefix}_stage_s"] = {
        "fetch_logs": round(report.fetch_seconds, 2),
        "read_store": round(report.read_seconds, 2),
        **{c.name: round(c.seconds, 2) for c in report.checks},
    }
    out[f"{prefix}_target_met"] = seconds <= TARGET_S
    return out


def run() -> dict[str, Any]:
    from ipledger.chain.embedded import EmbeddedBackend
    from ipledger.chain.rpc import RPCBackend

    tmp = Path(tempfile.mkdtemp(prefix="ipledger-bench-audit-"))
    out: dict[str, Any] = {"records": RECORDS, "assets": N_ASSETS, "batch": BATCH, "target_s": TARGET_S}
    try:
        embedded = EmbeddedBackend(None)
        try:
            out.update(_measure(embedded, tmp, "embedded"))
        finally:
            embedded.close()
        with anvil_node() as url:
            rpc = RPCBackend(url)
            try:
                out.update(_measure(rpc, tmp, "anvil"))
            finally:
                rpc.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if SCALE != 1:
        out["scale"] = SCALE
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2, sort_keys=True))
