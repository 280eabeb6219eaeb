"""Broken stores, missing ledgers, two writers and bad arguments, as a user meets them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import CLI
from tests.e2e.test_import import ASSETS


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    return lines[0]


def test_read_commands_never_create_a_chain(tmp_path: Path) -> None:
    cli = CLI(tmp_path)
    for args in (("assets",), ("history", "X"), ("value", "X"), ("audit",), ("chain", "status"), ("sync",)):
        proc = cli(*args, check=False)
        assert proc.returncode == 1, (args, proc.stderr)
        assert "no ledger found here" in _one_error_line(proc) and "ipledger init" in proc.stderr
    assert list(tmp_path.iterdir()) == []  # nothing created


def test_damaged_and_missing_stores(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "assets.csv").write_text(ASSETS)
    cli("import", "assets", "assets.csv")
    store = tmp_path / ".ipledger" / "ledger.sqlite"
    for side in (store.with_name("ledger.sqlite-wal"), store.with_name("ledger.sqlite-shm")):
        side.unlink(missing_ok=True)
    # Deleted: `assets` says the store is missing and how to fill it.
    store.unlink()
    proc = cli("assets", check=False)
    line = _one_error_line(proc)
    assert proc.returncode == 1 and str(store) in line and "ipledger sync" in line
    cli("sync")
    assert len(json.loads(cli("assets", "--json").stdout)) == 2
    # Damaged: named, with what to do; sync --rebuild recreates it.
    cli("sync")
    store.write_bytes(b"this is not a database" * 200)
    for side in (store.with_name("ledger.sqlite-wal"), store.with_name("ledger.sqlite-shm")):
        side.unlink(missing_ok=True)
    proc = cli("assets", check=False)
    line = _one_error_line(proc)
    assert str(store) in line and "sync --rebuild" in line
    out = cli("sync", "--rebuild").stdout
    assert "indexed blocks" in out
    assert store.with_name("ledger.sqlite.damaged").is_file()
    assert {a["registry_number"] for a in json.loads(cli("assets", "--json").stdout)} == {
        "ZL201810012345.6",
        "ZL201920000001.1",
    }
    # Nothing new: said so.
    assert "nothing new" in cli("sync").stdout
    # A damaged chain file is named.
    chain = tmp_path / ".ipledger" / "chain.sqlite"
    chain.write_bytes(b"garbage" * 1000)
    for side in (chain.with_name("chain.sqlite-wal"), chain.with_name("chain.sqlite-shm")):
        side.unlink(missing_ok=True)
    proc = cli("chain", "status", check=False)
    assert str(chain) in _one_error_line(proc) and proc.returncode == 1


def test_second_writer_waits_then_says_another_process_is_writing(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "assets.csv").write_text(ASSETS)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from filelock import FileLock; "
            "l = FileLock(sys.argv[1]); l.acquire(); print('held', flush=True); time.sleep(60)",
            str(tmp_path / ".ipledger" / "chain.sqlite.lock"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        cli.env["IPLEDGER_LOCK_TIMEOUT"] = "2"
        proc = cli("import", "assets", "assets.csv", check=False)
        line = _one_error_line(proc)
        assert proc.returncode == 1 and "another ipledger process is writing" in line and "waited 2 s" in line
    finally:
        holder.kill()
        holder.wait()
    cli("import", "assets", "assets.csv")  # the lock is free again: the write goes through
    assert len(json.loads(cli("assets", "--json").stdout)) == 2


def test_bad_arguments_get_one_line_that_makes_sense(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "assets.csv").write_text(ASSETS)
    cli("import", "assets", "assets.csv")
    cli.env["COLUMNS"] = "30"  # a narrow terminal must not wrap the error line
    proc = cli("value", "0xZZZZ", check=False)
    assert "malformed asset id '0xZZZZ'" in _one_error_line(proc) and proc.returncode == 1
    proc = cli("value", "ZL-NOT-THERE", check=False)
    assert "unknown asset" in _one_error_line(proc)
    proc = cli("audit", "--lang", "fr", check=False)
    assert "unknown language 'fr'" in _one_error_line(proc)
    help_text = cli("import", "transactions", "--help").stdout
    assert "<bool>" not in help_text and "--status" in help_text


def test_lang_setting_and_identity_in_reports(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "assets.csv").write_text(ASSETS)
    cli("import", "assets", "assets.csv")
    (tmp_path / "tx.csv").write_text(
        "asset,kind,seller,buyer,date,currency,amount,royalty_rate\n"
        "ZL201810012345.6,licence,Acme Pharma,Beta Labs,2021-05-01,CNY,500000,0.035\n"
    )
    cli("import", "transactions", "tx.csv")
    cli.env["IPLEDGER_LANG"] = "zh-CN"
    cli("audit", "--asset", "ZL201810012345.6", "--html", "audit.html")
    page = (tmp_path / "audit.html").read_text()
    assert '<html lang="zh-CN">' in page and "溯源审计报告" in page
    assert "ZL201810012345.6" in page and "Drug delivery" in page and "Acme Pharma" in page
    del cli.env["IPLEDGER_LANG"]
    proc = cli("audit", "--asset", "ZL201810012345.6", "--json")
    assert json.loads(proc.stdout)["asset"]["owner_name"] == "Acme Pharma"
    cli("audit", "--asset", "ZL201810012345.6", "--html", "audit-en.html", "--lang", "en")
    assert "provenance audit" in (tmp_path / "audit-en.html").read_text()
    progress = cli("audit", "--asset", "ZL201810012345.6", env_extra={"IPLEDGER_PROGRESS": "1"}).stderr
    assert "auditing against the chain: done in" in progress
