"""Read commands on an indexed ledger load neither the EVM nor the signing stack, and a value
after another program wrote to the chain indexes that write first, from the chain file
(decision 0105)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.e2e.conftest import CLI

#: What a read of an up-to-date store, with its market model kept, must not load: py-evm and
#: eth-tester (the embedded chain), py_ecc (its BLS precompiles), eth-account (signing), web3,
#: scikit-learn (model fitting: the persisted market model predicts from NumPy arrays) and
#: scipy.stats.
HEAVY = ("eth", "eth_tester", "py_ecc", "eth_account", "web3", "sklearn", "scipy.stats")

PROBE = textwrap.dedent(
    """
    import json, sys
    from ipledger.cli.main import main
    sys.argv = ["ipledger", *sys.argv[1:]]
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    loaded = sorted(m for m in {HEAVY!r} if m in sys.modules)
    sys.stderr.write("\\nLOADED " + json.dumps(loaded) + "\\n")
    sys.exit(code)
    """
).replace("{HEAVY!r}", repr(HEAVY))

WRITER = textwrap.dedent(
    """
    import sys
    from ipledger.chain import TxInput, TxKind, to_timestamp
    from ipledger.chain.connect import connect, open_backend
    from ipledger.config import load_profile

    asset, owner = sys.argv[1], sys.argv[2]
    profile = load_profile(None)
    backend = open_backend(profile)
    client = connect(profile, backend)
    client.record(
        TxInput(
            asset_id=bytes.fromhex(asset[2:]),
            kind=TxKind.LICENCE,
            seller=bytes.fromhex(owner[2:]),
            buyer=b"\\x42" * 20,
            date=to_timestamp("2024-06-01"),
            currency="CNY",
            amount=250_000_00,
            royalty_bps=400,
            territory="CN",
            doc_hash=b"\\x22" * 32,
        )
    )
    backend.close()
    """
)


def _probe(cli: CLI, *args: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=cli.cwd, env=cli.env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, f"ipledger {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-2000:]}"
    marker = [ln for ln in proc.stderr.splitlines() if ln.startswith("LOADED ")]
    assert marker, proc.stderr[-2000:]
    return proc, list(json.loads(marker[-1].removeprefix("LOADED ")))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("readpath")
    cli = CLI(folder)
    cli("demo", "--assets", "50", "--transactions", "200", "--json")
    cli("sync")
    first = json.loads(cli("assets", "--json", "--limit", "1").stdout)[0]
    # The first value on this ledger state fits the market model and keeps it beside the ledger
    # (decision 0040); the reads below are those of any later process.
    cli("value", first["registry_number"])
    assert list((folder / ".ipledger" / "models").glob("market-*.npz"))
    return folder, {"id": first["asset_id"], "number": first["registry_number"], "owner": first["owner"]}


def test_reads_of_an_indexed_ledger_load_no_evm(demo: tuple[Path, dict[str, str]]) -> None:
    folder, asset = demo
    cli = CLI(folder)
    proc, loaded = _probe(cli, "value", asset["number"], "--json")
    assert loaded == []
    v = json.loads(proc.stdout)
    assert v["asset_id"] == asset["id"] and float(v["low"]) <= float(v["value"]) <= float(v["high"])
    proc, loaded = _probe(cli, "quote", asset["number"], "--product", "enforcement", "--json")
    assert loaded == []
    assert json.loads(proc.stdout)["asset_id"] == asset["id"]
    for args in (("assets", "--json"), ("history", asset["number"], "--json")):
        proc, loaded = _probe(cli, *args)
        assert loaded == [], args
        assert json.loads(proc.stdout)


def test_value_indexes_a_write_made_after_the_last_sync(demo: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    folder = tmp_path / "ledger"
    shutil.copytree(demo[0], folder)
    asset = demo[1]
    cli = CLI(folder)
    before = json.loads(cli("value", asset["number"], "--json").stdout)
    records = len(json.loads(cli("history", asset["number"], "--json").stdout)["records"])
    # Another program records a licence on the chain and does not index it.
    subprocess.run(
        [sys.executable, "-c", WRITER, asset["id"], asset["owner"]], cwd=folder, env=cli.env, check=True, timeout=600
    )
    history = json.loads(cli("history", asset["number"], "--json").stdout)["records"]
    assert len(history) == records  # history reads the store as it is
    proc, loaded = _probe(cli, "value", asset["number"], "--json")
    # The new block was indexed from the chain file (no EVM); the new ledger state refits the
    # market model: scikit-learn (which loads scipy.stats) is the one stack a value after a write
    # needs.
    assert "sklearn" in loaded and set(loaded) <= {"sklearn", "scipy.stats"}
    after = json.loads(proc.stdout)
    assert after["state_block"] == before["state_block"] + 1
    history = json.loads(cli("history", asset["number"], "--json").stdout)["records"]
    assert len(history) == records + 1
    new = history[-1]
    assert new["event"] == "licence" and new["block_number"] == after["state_block"]
    assert new["detail"]["buyer"]["address"] == "0x" + "42" * 20
