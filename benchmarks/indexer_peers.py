"""The indexer on anvil against its peers: ipledger's full sync against cryo, web3 and ethereum-etl.

anvil (50,000 records): ipledger's full sync (fetch, decode, stored in SQLite) against peers that
fetch the same logs and do not store them, each timed fetch and decode apart, three runs each in
its own process (``benchmarks._jobs``, with peak RSS): cryo (``collect("logs")``) and ethereum-etl
(CLI export, in its own virtualenv built and cached before anything is timed) decode with
ipledger's own decoder; web3 (``eth.get_logs``) is timed with eth-abi decoding (what a web3 user
writes) and with ipledger's decoder; web3's ``process_log`` row is kept for reference. Every
peer's TxRecorded rows reduce to one checksum. ``anvil_vs_X`` is ipledger's events/s over X's,
medians of the same run.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from benchmarks import _jobs, _peers
from benchmarks.indexer import RUNS, SCALE, _build, _hex, _med, _r, _why, finish

ANVIL_RECORDS = int(50_000 * SCALE)
ETL_BUDGET_S = 300.0
TARGETS = {
    "anvil_vs_cryo_same_decoder": (">=", 0.7),
    "anvil_vs_web3_get_logs": (">=", 3.0),
}


def _anvil(tmp: Path, etl: tuple[Path | None, str]) -> dict[str, Any]:
    from ipledger.chain.rpc import RPCBackend

    out: dict[str, Any] = {}
    with _peers.anvil() as url:
        b = RPCBackend(url)
        try:
            client, _first, rate = _build(b, ANVIL_RECORDS)
            head = b.head()
        finally:
            b.close()
        ledger, registry = _hex(client.ledger_address), _hex(client.registry_address)
        args = {"url": url, "ledger": ledger, "registry": registry, "head": head}
        out.update(anvil_records=ANVIL_RECORDS, anvil_blocks=head + 1, anvil_build_records_per_s=_r(rate))

        runs = [
            _jobs.run("sync", chain=url, ledger=ledger, registry=registry,
                      store=f"sqlite:///{tmp / f'anvil-{i}.sqlite'}", checksum=i == 0)
            for i in range(RUNS)
        ]  # fmt: skip
        events = runs[0]["events"]
        ours = events / _med(runs, "seconds")
        out.update(
            anvil_events=events,
            anvil_events_per_s=_r(ours),
            anvil_sync_s_runs=[_r(r["seconds"], 3) for r in runs],
            anvil_peak_rss_mb=_r(_med(runs, "peak_rss_mb")),
            anvil_stored=True,
            checksum_ipledger=runs[0]["checksum"],
        )

        def jobs(job: str, **kw: Any) -> list[dict[str, Any]] | str:
            try:
                return [_jobs.run(job, **kw) for _ in range(RUNS)]
            except Exception as exc:
                return _why(exc)

        def peer(name: str, rs: list[dict[str, Any]] | str, fetch: str, decode: str, check: str = "checksum") -> None:
            if isinstance(rs, str):
                out.update({f"{name}_events_per_s": None, f"{name}_reason": rs})
                return
            total = _med(rs, lambda r: r[fetch] + r[decode])
            out.update(
                {
                    f"{name}_events": rs[0]["events"],
                    f"{name}_events_per_s": _r(rs[0]["events"] / total),
                    f"{name}_fetch_s": _r(_med(rs, fetch), 3),
                    f"{name}_decode_s": _r(_med(rs, decode), 3),
                    f"{name}_s_runs": [_r(r[fetch] + r[decode], 3) for r in rs],
                    f"{name}_peak_rss_mb": _r(max(_med(rs, "peak_rss_mb"), _med(rs, "children_peak_rss_mb"))),
                    f"{name}_stored": False,
                    f"checksum_{name}": rs[0][check],
                    f"anvil_vs_{name}": _r(ours / (rs[0]["events"] / total), 3),
                }
            )

        peer("cryo_same_decoder", jobs("cryo", **args), "fetch_s", "decode_s")
        w3 = jobs("web3_get_logs", **args)
        peer("web3_get_logs", w3, "fetch_s", "decode_eth_abi_s")
        peer("web3_get_logs_same_decoder", w3, "fetch_s", "decode_same_s", "checksum_same")
        peer("web3_process_log", jobs("web3_process_log", **args), "fetch_s", "decode_s")
        exe, how = etl
        out["ethereum_etl_venv"] = how
        if exe is None:
            out.update(ethereum_etl_same_decoder_events_per_s=None, ethereum_etl_same_decoder_reason=how)
        else:
            etl_runs = jobs("ethereum_etl", exe=str(exe), budget_s=ETL_BUDGET_S, **args)
            peer("ethereum_etl_same_decoder", etl_runs, "export_s", "decode_s")
    sums = [v for k, v in out.items() if k.startswith("checksum_") and v]
    out["checksums_compared"] = len(sums)
    out["checksums_agree"] = len(sums) >= 2 and len(set(sums)) == 1
    return out


def run() -> dict[str, Any]:
    # ethereum-etl's virtualenv is built (or reused from the cache) before anything is timed.
    try:
        etl = _peers.etl_venv(ETL_BUDGET_S)
    except Exception as exc:
        etl = (None, f"virtualenv for ethereum-etl failed: {_why(exc)}")
    tmp = Path(tempfile.mkdtemp(prefix="ipledger-bench-peers-"))
    try:
        out = _anvil(tmp, etl)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish(out, TARGETS)
