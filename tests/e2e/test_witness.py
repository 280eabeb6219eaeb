"""The attacks a plain audit lets through, caught by a witness (and an anchored one), as a user runs it.

Both attacks are run by someone who holds the data folder: a same-code twin deployment with a
forged history, and the embedded chain rewritten in its last blocks with the development keys.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ipledger.audit.anchor import witness_from
from ipledger.chain.client import LedgerClient
from ipledger.chain.codes import AssetKind
from ipledger.chain.deploy import Deployment
from ipledger.chain.embedded import CHAIN_ID, EmbeddedBackend
from ipledger.chain.records import AssetInput
from ipledger.chain.rpc import RPCBackend
from tests.conftest import AnvilNode
from tests.e2e.conftest import CLI
from tests.e2e.test_import import ASSETS

FORGED = ASSETS.replace("Acme Pharma", "Mallory Holdings").replace("ZL2019200", "ZL2019700")


def _failed(proc_stdout: str) -> set[str]:
    return {c["name"] for c in json.loads(proc_stdout)["checks"] if not c["passed"]}


def _head(cli: CLI) -> int:
    return int(json.loads(cli("chain", "status", "--json").stdout)["head"])


def test_twin_deployment_with_forged_history_is_caught_by_the_witness(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "assets.csv").write_text(ASSETS)
    cli("import", "assets", "assets.csv")
    cli("sync")
    auditor = tmp_path / "auditor"
    saved = cli("witness", "save", str(auditor / "w.json"))
    assert "witness hash 0x" in saved.stdout
    assert cli("audit", "--witness", str(auditor / "w.json"), "--json", check=False).returncode == 0

    # The attack: deploy a twin, write a forged history into it, point the store at it.
    cli("deploy", "--force")
    cli("sync", "--rebuild")
    (tmp_path / "forged.csv").write_text(FORGED)
    cli("import", "assets", "forged.csv")
    cli("sync")
    plain = cli("audit", "--json", check=False)
    assert plain.returncode == 0  # a plain audit trusts deployment.json: the gap the witness closes

    caught = cli("audit", "--witness", str(auditor / "w.json"), "--json", check=False)
    assert caught.returncode == 3
    assert "rows" in _failed(caught.stdout)  # every row is from a foreign contract
    report = json.loads(caught.stdout)
    w = json.loads((auditor / "w.json").read_text())
    assert report["contracts"] == w["contracts"]  # audited the witnessed contracts, not the twin


@pytest.mark.anvil
def test_rewritten_embedded_chain_is_caught_by_a_witness_anchored_on_anvil(cli: CLI, tmp_path: Path) -> None:
    node = AnvilNode()
    try:
        auditor = tmp_path / "auditor"
        toml = (tmp_path / "ipledger.toml").read_text()
        toml += f'\n[profile.anchor]\nbackend = "rpc"\nrpc_url = "{node.url}"\ndata_dir = "{auditor}"\n'
        (tmp_path / "ipledger.toml").write_text(toml)
        (tmp_path / "assets.csv").write_text(ASSETS.splitlines()[0] + "\n" + ASSETS.splitlines()[1] + "\n")
        cli("import", "assets", "assets.csv")
        fork_point = _head(cli)
        (tmp_path / "more.csv").write_text(ASSETS.splitlines()[0] + "\n" + ASSETS.splitlines()[2] + "\n")
        cli("import", "assets", "more.csv")
        cli("sync")
        cli("witness", "save", "w.json")
        anchored = json.loads(cli("witness", "anchor", "w.json", "--to", "anchor", "--json").stdout)
        assert anchored["calldata"] == anchored["witness_hash"]
        good = cli("audit", "--witness-from", "anchor", "--strict", "--no-documents", "--json", check=False)
        assert good.returncode == 0, good.stdout[-2000:]

        # The attack: with the data folder and the public development keys, rewrite the last blocks.
        data_dir = tmp_path / ".ipledger"
        d = Deployment.from_file(data_dir / "deployment.json")
        backend = EmbeddedBackend(data_dir)
        try:
            backend.revert(backend.block(fork_point).hash)
            forged = AssetInput(
                "CN", AssetKind.UTILITY_MODEL, "ZL201920000001.1", "B08B3/02", 1547078400, backend.accounts()[5]
            )
            LedgerClient(backend, d.ledger, d.registry).register_asset(forged)
            backend.mine_empty(3)
        finally:
            backend.close()
        cli("sync")
        cli("witness", "save", "w.json")  # and replaces the witness in the folder
        assert cli("audit", "--witness", "w.json", "--json", check=False).returncode == 0

        caught = cli("audit", "--witness-from", "anchor", "--json", check=False)
        assert caught.returncode == 3
        report = json.loads(caught.stdout)
        witness_check = next(c for c in report["checks"] if c["name"] == "witness")
        assert {f["code"] for f in witness_check["findings"]} & {"head_hash", "head_missing"}

        # Swapping the rewritten chain's witness into the auditor's folder does not help: not anchored.
        kept = next((auditor / "witnesses").glob("0x*.json"))
        record = json.loads(kept.read_text())
        record["witness"] = json.loads((tmp_path / "w.json").read_text())
        kept.write_text(json.dumps(record))
        anchor_chain = RPCBackend(node.url)
        try:
            found, check = witness_from(anchor_chain, auditor, CHAIN_ID)
            assert found is None and {f.code for f in check.findings} >= {"hash", "none"}
            # Nor does deleting the anchor record: the anchor account's transaction count gives it away.
            kept.unlink()
            found, check = witness_from(anchor_chain, auditor, CHAIN_ID, anchor_chain.accounts()[0])
            assert found is None and {f.code for f in check.findings} == {"hidden_anchor", "none"}
        finally:
            anchor_chain.close()
    finally:
        node.stop()
