"""Importing what the read commands import loads none of the chain, signing or fitting stacks
(decision 0105): a fresh interpreter imports the read path and lists what it loaded."""

from __future__ import annotations

import importlib
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Modules that `ipledger value`, `quote`, `assets` and `history` use on an up-to-date store.
READ_PATH = (
    "ipledger.cli.main",
    "ipledger.chain",
    "ipledger.chain.chainfile",
    "ipledger.chain.codes",
    "ipledger.chain.records",
    "ipledger.identity",
    "ipledger.insurance",
    "ipledger.ledger",
    "ipledger.parties",
    "ipledger.reports",
    "ipledger.valuation",
    "ipledger.valuation.market",
    "ipledger.valuation.value",
    "ipledger.workflows",
)

#: py-evm and eth-tester (the embedded chain), py_ecc (BLS precompiles), eth-account (signing),
#: eth-utils/eth-abi/pydantic (the contracts' client), web3, scikit-learn (fitting), scipy.stats,
#: SQLAlchemy's PostgreSQL dialect (a SQLite store needs none of it).
HEAVY = (
    "eth",
    "eth_tester",
    "py_ecc",
    "eth_account",
    "eth_utils",
    "eth_abi",
    "pydantic",
    "web3",
    "sklearn",
    "scipy.stats",
    "sqlalchemy.dialects.postgresql",
)


def test_the_read_path_imports_no_chain_signing_or_fitting_stack() -> None:
    code = (
        "import importlib, json, sys\n"
        f"for name in {READ_PATH!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


def test_the_lazy_chain_names_are_the_modules_own() -> None:
    import ipledger.chain as chain

    # Importing a submodule sets it on the package: ``deploy`` and ``connect`` must stay the
    # functions of those names.
    client = importlib.import_module("ipledger.chain.client")
    records = importlib.import_module("ipledger.chain.records")
    deploy = importlib.import_module("ipledger.chain.deploy")
    connect = importlib.import_module("ipledger.chain.connect")
    assert inspect.isfunction(chain.deploy) and chain.deploy is deploy.deploy
    assert inspect.isfunction(chain.connect) and chain.connect is connect.connect
    assert chain.LedgerClient is client.LedgerClient
    assert chain.TxInput is records.TxInput
    for name in chain.__all__:
        assert getattr(chain, name) is not None
