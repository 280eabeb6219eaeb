"""`ipledger audit` end to end on a profile's embedded chain: exit codes, JSON, HTML, --asset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from ipledger.cli.main import app
from ipledger.config import DEFAULT_TOML
from ipledger.ledger import Ledger
from tests.conformance.conftest import Env


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for var in ("IPLEDGER_PROFILE", "IPLEDGER_DATA_DIR", "IPLEDGER_DB_URL", "IPLEDGER_BACKEND"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "ipledger.toml").write_text(DEFAULT_TOML)
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    with Ledger.open("local") as ledger:
        env = Env(ledger.backend, ledger.client, ledger.backend.accounts())
        asset = env.registered()
        env.client.record_batch([env.tx(asset, amount=1_000_00 * (i + 1)) for i in range(4)])
        ledger.sync(progress=False)
    return tmp_path


def test_audit_command_exit_codes_json_and_html(project: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["audit"])
    assert ok.exit_code == 0, ok.output
    assert "PASSED" in ok.output

    with Ledger.open("local") as ledger, ledger.store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE transactions SET amount = '1' WHERE record_id = 3"))
    bad = runner.invoke(app, ["audit", "--json", "--html", "audit.html"])
    assert bad.exit_code == 3
    data = json.loads(bad.stdout)
    assert data["passed"] is False
    rows = next(c for c in data["checks"] if c["name"] == "rows")
    assert rows["findings"][0]["location"]["record_id"] == 3
    assert "transactions #3" in (project / "audit.html").read_text()

    one = runner.invoke(app, ["audit", "--asset", "ZL201810012345.6", "--html", "asset.html"])
    assert one.exit_code == 3
    assert "data:image/png;base64," in (project / "asset.html").read_text()
    assert runner.invoke(app, ["audit", "--at-block", "3"]).exit_code == 0  # before any transaction
    assert runner.invoke(app, ["audit", "--at-block", "999999"]).exit_code == 1
