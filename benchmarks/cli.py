"""Cold commands as a user meets them: wall time of one `ipledger` process, start to exit.

Ledger: the demo's smallest market (``ipledger demo --assets 50 --transactions 200``) in a fresh
temporary folder; then one ``ipledger value`` warms the page cache and persists the fitted market
model beside the ledger (decision 0040), as any earlier value on an unchanged ledger does.

Each round runs every command once as its own process (stdout and stderr to a pipe, no progress
bars), in a fixed order, so that a change of load on the shared machine touches all of them
alike; a figure is the median of ``ROUNDS`` rounds. Commands: ``--help``, ``assets``,
``value ID``, ``quote ID --product enforcement`` (not anchored: a read), and the two baselines
``python -c pass`` (the interpreter alone) and ``python -c "import pandas"`` (the floor of any
command that reads the ledger as DataFrames). ``*_x_python`` and ``*_x_pandas`` divide each
median by the baselines' medians measured in the same rounds: on a loaded machine these ratios
move less than the seconds, and so does ``*_cpu_s``, the CPU time (user and system) of the
process.

After a write the ledger state changes, so the next value refits the market model (its key is
the ledger state). ``value_after_import_s``: the median of ``NEW_BLOCK_ROUNDS`` values each run
right after ``ipledger import assets`` registered one new asset (the import indexes its own
block, so the value refits but does not open the chain). ``value_after_unindexed_write_s``: the
same right after ``ipledger value ID --anchor`` wrote an anchor that nothing indexed: the value
indexes that block (from the chain file, decision 0105) and refits.

Target (issue 13): ``value_s`` <= 1.5 s wall from a cold process on an unchanged ledger.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROUNDS = 5
NEW_BLOCK_ROUNDS = 3
DEMO = ("--assets", "50", "--transactions", "200")


def _ipledger() -> list[str]:
    script = Path(sys.executable).parent / "ipledger"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "ipledger.cli.main"]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IPLEDGER_")}
    env["IPLEDGER_PROGRESS"] = "0"
    return env


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _run(cmd: list[str], cwd: Path, cpu: list[float] | None = None) -> float:
    """Wall seconds of ``cmd`` (its CPU seconds appended to ``cpu``); RuntimeError when it fails."""
    c, t = _cpu(), time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=600)
    took = time.perf_counter() - t
    if cpu is not None:
        cpu.append(_cpu() - c)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[-4:])} exited {done.returncode}: {done.stderr.strip()[-400:]}")
    return took


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def run() -> dict[str, Any]:
    ipl = _ipledger()
    folder = Path(tempfile.mkdtemp(prefix="ipledger-cli-bench-"))
    try:
        t = time.perf_counter()
        _run([*ipl, "demo", *DEMO], folder)
        demo_s = time.perf_counter() - t
        listed = subprocess.run(
            [*ipl, "assets", "--json", "--limit", "1"], cwd=folder, env=_env(), capture_output=True, text=True
        )
        asset = json.loads(listed.stdout)[0]["registry_number"]
        commands: dict[str, list[str]] = {
            "python_pass": [sys.executable, "-c", "pass"],
            "python_import_pandas": [sys.executable, "-c", "import pandas"],
            "help": [*ipl, "--help"],
            "assets": [*ipl, "assets"],
            "value": [*ipl, "value", asset],
            "quote": [*ipl, "quote", asset, "--product", "enforcement"],
        }
        for cmd in commands.values():  # warm-up: page cache, persisted market model
            _run(cmd, folder)
        load_before = _load()
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(ROUNDS):
            for name, cmd in commands.items():
                times[name].append(_run(cmd, folder, cpu[name]))
        load_after = _load()
        med = {name: statistics.median(v) for name, v in times.items()}
        out: dict[str, Any] = {
            "demo_size": " ".join(DEMO),
            "demo_build_s": round(demo_s, 1),
            "rounds": ROUNDS,
            "load_average_before": load_before,
            "load_average_after": load_after,
            "target_value_s": 1.5,
        }
        for name, m in med.items():
            out[f"{name}_s"] = round(m, 3)
            out[f"{name}_runs_s"] = [round(x, 3) for x in times[name]]
            out[f"{name}_cpu_s"] = round(statistics.median(cpu[name]), 3)
            if not name.startswith("python"):
                out[f"{name}_x_python"] = round(m / med["python_pass"], 1)
                out[f"{name}_x_pandas"] = round(m / med["python_import_pandas"], 2)
        after_import: list[float] = []
        after_write: list[float] = []
        cpu_import: list[float] = []
        cpu_write: list[float] = []
        for i in range(NEW_BLOCK_ROUNDS):
            (folder / "one.csv").write_text(
                "jurisdiction,kind,registry_number,filing_date,status,owner,title\n"
                f"CN,trademark,BENCH-NEW-{i},2024-01-0{i + 1},active,Bench Owner,Bench mark {i}\n"
            )
            _run([*ipl, "import", "assets", "one.csv"], folder)
            after_import.append(_run(commands["value"], folder, cpu_import))
            _run([*ipl, "value", asset, "--anchor"], folder)
            after_write.append(_run(commands["value"], folder, cpu_write))
        for name, runs, cpus in (
            ("value_after_import", after_import, cpu_import),
            ("value_after_unindexed_write", after_write, cpu_write),
        ):
            out[f"{name}_s"] = round(statistics.median(runs), 3)
            out[f"{name}_runs_s"] = [round(x, 3) for x in runs]
            out[f"{name}_cpu_s"] = round(statistics.median(cpus), 3)
        return out
    finally:
        shutil.rmtree(folder, ignore_errors=True)
