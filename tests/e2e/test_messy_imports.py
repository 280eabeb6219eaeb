"""Messy import files as users have them: every problem reported by line, nothing half-written."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import CLI
from tests.e2e.test_import import ASSETS

HEADER = b"asset,kind,seller,buyer,date,currency,amount,royalty_rate,exclusivity,territory,term_end\n"
GOOD = b"ZL201810012345.6,licence,Acme Pharma,Beta Labs,2021-05-01,CNY,500000,0.035,exclusive,CN,2026-05-01\n"
MESSY = {
    3: (b"ZL201810012345.6,licence,Acme Pharma,Caf\xe9 Labs,2021-05-01,CNY,5,0.01,,,\n", "not UTF-8"),
    4: (b"ZL201810012345.6,licence,Acme Pharma,X,2021-05-01,CNY,5,0.01,,,,extra\n", "12 fields, but the header has 11"),
    5: (b'ZL201810012345.6,licence,Acme Pharma,"Y" Z,2021-05-01,CNY,5,0.01,,,\n', "closing quote"),
    6: (b"ZL201810012345.6,licence,Acme Pharma,W,2021-05-01,XYZ,5,0.01,,,\n", "unknown currency 'XYZ'"),
    7: (b"ZL201810012345.6,licence,Acme Pharma,W,2021-05-01,CNY,5,1.5,,,\n", "write 0.015 or 1.5%"),
    8: (b"ZL201810012345.6,licence,Acme Pharma,V,2021-05-01,CNY,1e400,0.01,,,\n", "too large"),
    9: (b"ZL201810012345.6,licence,Acme Pharma,V,01/05/2021,CNY,10,0.01,,,\n", "not a date"),
    10: (b"ZL201810012345.6,licence,Acme Pharma,V,2021-05-01,CNY,10\n", "7 fields"),
    11: (b'ZL201810012345.6,licence,Acme Pharma,"Open,2021-05-01,CNY,5,0.01,,,\n', "not closed"),
}


def _records(cli: CLI) -> int:
    return int(json.loads(cli("chain", "status", "--json").stdout)["ledger_records"])


def test_messy_file_reports_every_row_and_writes_nothing(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "assets.csv").write_text(ASSETS)
    cli("import", "assets", "assets.csv")
    before = _records(cli)
    body = HEADER + GOOD + b"".join(row for row, _ in MESSY.values()) + GOOD.replace(b"Beta", b"Gamma")
    (tmp_path / "messy.csv").write_bytes(body)
    proc = cli("import", "transactions", "messy.csv", check=False)
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("messy.csv: line")]
    assert [int(ln.split()[2].rstrip(":")) for ln in lines] == list(MESSY)
    for ln, (_, expected) in zip(lines, MESSY.values(), strict=True):
        assert expected in ln, ln
    assert _records(cli) == before
    # The last row comes after an unclosed quote and is still read: --skip-invalid writes both good rows.
    summary = json.loads(cli("import", "transactions", "messy.csv", "--skip-invalid", "--json", check=False).stdout)
    assert summary["written"] == 2 and summary["invalid"] == len(MESSY)


def test_rows_sharing_a_document_and_status_history_replayed_in_date_order(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "assets.csv").write_text(ASSETS)
    cli("import", "assets", "assets.csv")
    (tmp_path / "deal.txt").write_text("one agreement: a licence and a pledge of the same patent")
    (tmp_path / "tx.csv").write_text(
        "asset,kind,seller,buyer,date,currency,amount,royalty_rate,document\n"
        "ZL201920000001.1,licence,Glass Clean Co,Beta Labs,2021-05-01,CNY,1000,3.5%,deal.txt\n"
        "ZL201920000001.1,pledge,Glass Clean Co,Bank of Ningbo,2021-05-01,CNY,100000,,deal.txt\n"
        "ZL201920000001.1,licence,Glass Clean Co,Late Co,2023-06-01,USD,100,,\n"
    )
    (tmp_path / "status.csv").write_text(
        "asset,status,date\nZL201920000001.1,lapsed,2022-01-01\nZL201920000001.1,active,2023-01-01\n"
    )
    # Without its status history the file still loads (the asset is active today) ...
    proc = cli("import", "transactions", "tx.csv", "--status", "status.csv", "--json", check=False)
    summary = json.loads(proc.stdout)
    assert summary["written"] == 5 and summary["invalid"] == 0, proc.stdout
    again = json.loads(cli("import", "transactions", "tx.csv", "--status", "status.csv", "--json").stdout)
    assert (again["written"], again["already_recorded"]) == (0, 5)
    history = json.loads(cli("history", "ZL201920000001.1", "--json").stdout)
    assert history["asset"]["owner_name"] == "Glass Clean Co" and history["asset"]["title"] == "Basket"
    events = [(r["event"], r["date"]) for r in history["records"]]
    assert events == [
        ("registered", "2019-01-10"),
        ("licence", "2021-05-01"),
        ("pledge", "2021-05-01"),
        ("status", "2022-01-01"),
        ("status", "2023-01-01"),
        ("licence", "2023-06-01"),
    ]
    pledge = history["records"][2]["detail"]
    assert pledge["buyer"]["name"] == "Bank of Ningbo" and pledge["amount"] == "100000.00"
    assert pledge["currency"] == "CNY"
    assert history["records"][5]["detail"]["amount"] == "100.00"
    # A trade dated while the asset had lapsed is refused with the reason.
    (tmp_path / "lapsed.csv").write_text(
        "asset,kind,seller,buyer,date,currency,amount\nZL201920000001.1,licence,Glass Clean Co,Z,2022-06-01,CNY,5\n"
    )
    (tmp_path / "status2.csv").write_text("asset,status,date\nZL201920000001.1,lapsed,2022-01-01\n")
    proc = cli("import", "transactions", "lapsed.csv", "--status", "status2.csv", check=False)
    assert proc.returncode == 3 and "lapsed.csv: line 2: asset is lapsed" in proc.stderr


def test_bad_header_and_empty_file_are_one_line_each(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("")
    proc = cli("import", "transactions", "empty.csv", check=False)
    assert proc.returncode == 1 and proc.stderr.strip() == "error: empty.csv is empty"
    (tmp_path / "nohead.csv").write_text("asset,kind,seller,buyer\nX,licence,a,b\n")
    proc = cli("import", "transactions", "nohead.csv", check=False)
    assert proc.returncode == 3
    assert (
        proc.stderr.splitlines()[0]
        == "nohead.csv: line 1: no column 'date' in the header row (columns: asset, kind, seller, buyer)"
    )
    (tmp_path / "bad.jsonl").write_text('{"asset": "x"}\n[1, 2]\nnot json\n')
    proc = cli("import", "transactions", "bad.jsonl", check=False)
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("bad.jsonl")]
    assert [ln.split(":")[1] for ln in lines] == [" line 1", " line 2", " line 3"]
    assert "JSON object" in lines[1] and "not JSON" in lines[2]
