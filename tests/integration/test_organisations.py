"""The on-chain organisation directory, indexed and named in history."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ipledger.chain import TxKind
from ipledger.chain.codes import OrgKind
from ipledger.chain.connect import ensure_deployed, open_backend
from ipledger.config import load_profile
from ipledger.ledger import Ledger
from tests.conformance.conftest import Env
from tests.e2e.conftest import CLI


def test_directory_is_indexed_and_history_names_the_recorder(tmp_path: Path) -> None:
    profile = replace(load_profile("local"), data_dir=tmp_path, db_url=None)
    backend = open_backend(profile)
    ensure_deployed(profile, backend)
    with Ledger(profile, backend) as ledger:
        env = Env(backend, ledger.client, backend.accounts())
        admin = env.accounts[0]
        asset_id = env.registered()
        env.client.record(env.tx(asset_id))  # recorded before the admin names the organisation
        env.client.set_organisation(admin, "91110000MA01", "Beijing IP Exchange", OrgKind.EXCHANGE)
        env.client.set_organisation(env.accounts[6], "X-1", "Gone Valuer", OrgKind.VALUER)
        env.client.set_organisation(env.accounts[6], "", "", 0)
        env.client.record(env.tx(asset_id, TxKind.PLEDGE, royalty_bps=0))
        ledger.sync(progress=False)

        orgs = ledger.organisations()
        assert list(orgs.columns) == ["account", "org_id", "name", "kind", "block_number", "log_index"]
        assert orgs[["account", "org_id", "name", "kind"]].to_dict(orient="records") == [
            {"account": "0x" + admin.hex(), "org_id": "91110000MA01", "name": "Beijing IP Exchange", "kind": "exchange"}
        ]
        assert ledger.organisation_of("0x" + admin.hex().upper()) == "Beijing IP Exchange"
        assert ledger.organisation_of("0x" + env.accounts[6].hex()) is None  # removed

        hist = ledger.history("0x" + asset_id.hex())
        # As the directory stood at each record: unnamed before the admin listed the exchange.
        assert hist["organisation"].tolist() == [None, None, "Beijing IP Exchange"]
        assert hist["by"].tolist() == ["0x" + admin.hex()] * 3
        # Valuations and quotes cite transactions: those carry the recording organisation too.
        tx = ledger.transactions("0x" + asset_id.hex())
        assert tx["organisation"].tolist() == [None, "Beijing IP Exchange"]


def test_orgs_cli(tmp_path: Path) -> None:
    cli = CLI(tmp_path)
    cli("init")
    account = "0x" + "ab" * 20
    cli("orgs", "set", account, "--org-id", "91110000X", "--name", "Valuer Co", "--kind", "valuer")
    out = cli("orgs", "list", "--json").stdout
    assert '"name": "Valuer Co"' in out and '"kind": "valuer"' in out and account in out
    bad = cli("orgs", "set", account, "--org-id", "1", "--name", "n", "--kind", "wizard", check=False)
    assert bad.returncode == 1 and "unknown organisation kind" in bad.stderr
