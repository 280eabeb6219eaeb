"""End-to-end import rate against the contracts' batched recording rate, like for like.

Both sides record the same 5,000 licence rows on a fresh embedded chain in batches of 500:
(a) ``ipledger import transactions FILE`` run as a user runs it (a new process: start-up, ledger
sync, validation of every row, documents, chain writes, the final sync), wall clock;
(b) ``LedgerClient.record_many`` on the same rows in process, chain writes only. The figure that
matters is (a) over (b).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROWS = 5000
ASSETS = (
    "jurisdiction,kind,registry_number,filing_date,owner,title\n"
    "CN,invention,ZL201810012345.6,2018-03-01,Acme Pharma,Drug delivery\n"
)


def _file(folder: Path) -> Path:
    rng = random.Random(3)
    lines = ["asset,kind,seller,buyer,date,currency,amount,royalty_rate,territory"]
    for i in range(ROWS):
        lines.append(
            f"ZL201810012345.6,licence,Acme Pharma,Licensee {i},2021-{1 + i % 12:02d}-{1 + i % 28:02d},"
            f"CNY,{rng.randint(1000, 99999)},0.02,CN"
        )
    path = folder / "licences.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IPLEDGER_")}
    return subprocess.run(
        [sys.executable, "-m", "ipledger.cli.main", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


def run() -> dict[str, Any]:
    from ipledger import importer
    from ipledger.config import load_profile
    from ipledger.ledger import Ledger

    with tempfile.TemporaryDirectory() as tmp:
        cli_dir, api_dir = Path(tmp) / "cli", Path(tmp) / "api"
        for d in (cli_dir, api_dir):
            d.mkdir()
            (d / "assets.csv").write_text(ASSETS)
            _cli(d, "init")
            _cli(d, "import", "assets", "assets.csv")
        data = _file(cli_dir)
        start = time.perf_counter()
        out = _cli(cli_dir, "import", "transactions", str(data), "--batch-size", "500", "--json")
        cli_s = time.perf_counter() - start
        assert json.loads(out.stdout)["written"] == ROWS

        # The same rows, validated into records once, then only the chain writes are timed.
        cwd = Path.cwd()
        os.chdir(api_dir)
        try:
            with Ledger(load_profile()) as ledger:
                ledger.sync(progress=False)
                plan = importer.plan_transactions(data, importer.ledger_view(ledger))
                start = time.perf_counter()
                for _ in ledger.client.record_many(plan.rows, batch_size=500):
                    pass
                chain_s = time.perf_counter() - start
        finally:
            os.chdir(cwd)
    cli_rate, chain_rate = ROWS / cli_s, ROWS / chain_s
    return {
        "rows": ROWS,
        "cli_import_s": round(cli_s, 2),
        "cli_import_records_per_s": round(cli_rate),
        "batched_recording_records_per_s": round(chain_rate),
        "ratio_batched_over_cli": round(chain_rate / cli_rate, 2),
        "load_average_1min": round(os.getloadavg()[0], 1),
    }
