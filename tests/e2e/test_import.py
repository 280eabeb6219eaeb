"""Imports as a user runs them: bad rows reported, nothing half-written, reruns idempotent."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from pathlib import Path

from tests.conftest import SHARED_DATA
from tests.e2e.conftest import CLI

ASSETS = (
    "jurisdiction,kind,registry_number,class_code,filing_date,grant_date,expiry_date,status,owner,"
    "title,field,claims\n"
    "CN,invention,ZL201810012345.6,A61K31/00,2018-03-01,2020-06-01,2038-03-01,active,"
    "Acme Pharma,Drug delivery,pharma,18\n"
    "CN,utility_model,ZL201920000001.1,B08B3/02,2019-01-10,2019-08-01,2029-01-10,active,"
    "Glass Clean Co,Basket,mechanical,6\n"
)

GOOD = """asset,kind,seller,buyer,date,currency,amount,royalty_rate,exclusivity,territory,term_end
ZL201810012345.6,licence,Acme Pharma,Beta Labs,2021-05-01,CNY,500000,0.035,exclusive,CN,2026-05-01
ZL201810012345.6,assignment,Acme Pharma,Gamma Holdings,2022-02-01,CNY,12000000,,,,
"""

BAD_ROWS = {
    4: "ZL999,licence,Acme Pharma,Beta Labs,2021-05-01,CNY,1,0.01,,,",  # unknown asset
    5: "ZL201920000001.1,assignment,Glass Clean Co,Delta,2021-01-01,CNY,-5,,,,",  # negative price
    6: "ZL201920000001.1,licence,Glass Clean Co,Delta,2031-01-01,CNY,100,,,,",  # future date
    7: "ZL201920000001.1,licence,Glass Clean Co,Delta,2021-01-01,XX1,100,,,,",  # bad currency
    # a duplicate of line 2:
    8: "ZL201810012345.6,licence,Acme Pharma,Beta Labs,2021-05-01,CNY,500000,0.035,exclusive,CN,2026-05-01",
}


def _records(cli: CLI) -> int:
    return int(json.loads(cli("chain", "status", "--json").stdout)["ledger_records"])


def test_bad_rows_are_reported_and_nothing_is_written(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "assets.csv").write_text(ASSETS)
    cli("import", "assets", "assets.csv")
    before = _records(cli)
    (tmp_path / "tx.csv").write_text(GOOD + "\n".join(BAD_ROWS.values()) + "\n")
    proc = cli("import", "transactions", "tx.csv", check=False)
    assert proc.returncode == 3
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("tx.csv: line")]
    assert [int(ln.split()[2].rstrip(":")) for ln in lines] == list(BAD_ROWS)  # one message per bad row
    assert "unknown asset" in lines[0] and "negative" in lines[1] and "future" in lines[2]
    assert "currency" in lines[3] and "duplicate of line 2" in lines[4]
    assert _records(cli) == before  # the chain is unchanged

    proc = cli("import", "transactions", "tx.csv", "--skip-invalid", "--json", check=False)
    assert json.loads(proc.stdout)["written"] == 2
    assert _records(cli) == before + 2
    proc = cli("import", "transactions", "tx.csv", "--skip-invalid", "--json", check=False)
    summary = json.loads(proc.stdout)
    assert (summary["written"], summary["already_recorded"]) == (0, 2)  # rerun: idempotent
    assert _records(cli) == before + 2


def test_assets_import_is_idempotent_and_json_lines_work(cli: CLI, tmp_path: Path) -> None:
    rows = [
        dict(zip(ASSETS.splitlines()[0].split(","), line.split(","), strict=True)) for line in ASSETS.splitlines()[1:]
    ]
    (tmp_path / "assets.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    assert json.loads(cli("import", "assets", "assets.jsonl", "--json").stdout)["written"] == 2
    assert json.loads(cli("import", "assets", "assets.jsonl", "--json").stdout)["already_recorded"] == 2
    out = json.loads(cli("assets", "--json").stdout)
    assert {a["registry_number"] for a in out} == {"ZL201810012345.6", "ZL201920000001.1"}


def test_kill9_during_import_then_rerun_leaves_no_duplicate_and_no_gap(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "assets.csv").write_text(ASSETS)
    cli("import", "assets", "assets.csv")
    n = 3000
    lines = ["asset,kind,seller,buyer,date,currency,amount,royalty_rate,territory"]
    rng = random.Random(3)
    for i in range(n):
        lines.append(
            f"ZL201810012345.6,licence,Acme Pharma,Licensee {i},2021-{1 + i % 12:02d}-{1 + i % 28:02d},"
            f"CNY,{rng.randint(1000, 99999)},0.02,CN"
        )
    (tmp_path / "big.csv").write_text("\n".join(lines) + "\n")
    proc = subprocess.Popen(
        cli.cmd("import", "transactions", "big.csv", "--batch-size", "100"),
        cwd=tmp_path,
        env=cli.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and _records(cli) < 2 + 500:  # wait until it is mid-way
        time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = _records(cli)
    assert 2 < partial < 2 + n, "the kill should land mid-import"
    summary = json.loads(cli("import", "transactions", "big.csv", "--json").stdout)
    assert summary["written"] + summary["already_recorded"] == n
    assert _records(cli) == 2 + n
    history = json.loads(cli("history", "ZL201810012345.6", "--json").stdout)["records"]
    ids = sorted(r["record_id"] for r in history if r["event"] == "licence")
    assert ids == list(range(3, 3 + n))  # no gap, no duplicate


CUAD = SHARED_DATA / "licences" / "cuad_master_clauses.csv"


def test_import_cuad_records_licences_with_stated_rates(cli: CLI) -> None:
    import pytest

    if not CUAD.is_file():
        pytest.skip("CUAD master_clauses.csv not present (users download it themselves)")
    cli("import", "cuad", str(CUAD))
    records = _records(cli)
    assert records >= 30  # an asset and a licence per usable agreement
    cli("import", "cuad", str(CUAD))
    assert _records(cli) == records  # idempotent
    assets = json.loads(cli("assets", "--json", "--limit", "0").stdout)
    assert all(a["registry_number"].startswith("CUAD-") for a in assets)
