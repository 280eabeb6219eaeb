"""`ipledger demo` as users rerun it: sizes kept, a killed run resumed, anchors made once."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

from tests.e2e.conftest import CLI

SIZES = ("--assets", "40", "--transactions", "3000", "--seed", "5")


def _status(cli: CLI) -> dict[str, int]:
    proc = cli("chain", "status", "--json", check=False)
    if proc.returncode != 0:
        return {"ledger_records": 0, "registry_records": 0}
    return json.loads(proc.stdout)


def test_killed_demo_resumes_to_the_full_market_and_anchors_once(tmp_path: Path) -> None:
    cli = CLI(tmp_path)
    proc = subprocess.Popen(
        cli.cmd("demo", *SIZES, "--no-screenshots", "--json"),
        cwd=tmp_path,
        env=cli.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and _status(cli)["ledger_records"] <= 40:  # assets written, trades under way
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = _status(cli)["ledger_records"]
    state = json.loads((tmp_path / ".ipledger" / "demo.json").read_text())
    total = int(state["records"])
    assert 40 < partial < total, (partial, total)  # killed mid-market

    out = json.loads(cli("demo", *SIZES, "--no-screenshots", "--json").stdout)
    assert out["audit_passed"] is True and out["figures"]["resumed_after"] == partial
    status = _status(cli)
    assert status["ledger_records"] == total and status["registry_records"] == 2  # a valuation and a quote
    assert out["figures"]["asset"]["registry_number"]  # the demo names the asset it valued

    again = json.loads(cli("demo", *SIZES, "--no-screenshots", "--json").stdout)
    assert again["audit_passed"] is True
    assert _status(cli) == status  # nothing written twice: same records, same anchors
    assert again["figures"]["valuation_hash"] == out["figures"]["valuation_hash"]

    refused = cli("demo", "--assets", "50", "--transactions", "200", check=False)
    assert refused.returncode == 1
    line = refused.stderr.strip()
    assert "\n" not in line and "already holds a demo market of 40 assets and 3000 transactions" in line
