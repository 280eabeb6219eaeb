"""Independent cross-check on anvil: the same logs read by clients that are not ipledger (raw
JSON-RPC through ``requests`` and decoded with eth-abi from the Solidity event definitions; and
foundry's ``cast logs``) agree with the store; and the audit passes there too."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from eth_abi import decode
from eth_utils import keccak

from ipledger.audit import audit
from ipledger.chain.compiled import load, topic0
from ipledger.chain.rpc import RPCBackend
from ipledger.documents import DocumentStore
from ipledger.ledger import Store
from ipledger.ledger import schema as s
from tests.conftest import ROOT, AnvilNode
from tests.integration.audit.conftest import RECOMPUTE, Built, build

pytestmark = pytest.mark.anvil

CAST = ROOT / "node_modules" / ".bin" / "cast"
# Written out from contracts/TradeLedger.sol, not taken from ipledger's ABI or decoder.
TX_RECORDED = (
    "TxRecorded(uint256,bytes32,uint8,address,address,uint40,bytes3,uint128,uint16,uint8,bytes2,uint40,uint64,"
    "bytes32,address)"
)
TX_DATA = [
    "address",
    "address",
    "uint40",
    "bytes3",
    "uint128",
    "uint16",
    "uint8",
    "bytes2",
    "uint40",
    "uint64",
    "bytes32",
    "address",
]
TX_FIELDS = [
    "seller",
    "buyer",
    "date",
    "currency",
    "amount",
    "royalty_bps",
    "exclusivity",
    "territory",
    "term_end",
    "ref",
    "doc_hash",
    "recorder",
]


@pytest.fixture(scope="module")
def on_anvil(anvil_node: AnvilNode, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Built, str]]:
    backend = RPCBackend(anvil_node.url)
    built = build(backend, tmp_path_factory.mktemp("audit-anvil"))
    yield built, anvil_node.url
    backend.close()


def _rpc(url: str, method: str, params: list[Any]) -> Any:
    body = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, timeout=30).json()
    assert "error" not in body, body
    return body["result"]


def _raw_logs(built: Built, url: str) -> list[dict[str, Any]]:
    c = built.env.client
    head = int(_rpc(url, "eth_blockNumber", []), 16)
    flt = {
        "fromBlock": hex(built.start_block),
        "toBlock": hex(head),
        "address": ["0x" + c.ledger_address.hex(), "0x" + c.registry_address.hex()],
    }
    return list(_rpc(url, "eth_getLogs", [flt]))


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.rstrip(b"\0").decode("ascii") if len(value) < 32 else "0x" + value.hex()
    if isinstance(value, str) and value.startswith("0x"):
        return value.lower()
    return value


def test_raw_json_rpc_logs_match_the_store(on_anvil: tuple[Built, str]) -> None:
    built, url = on_anvil
    # The owner-consent setting makes no store rows.
    events = load("IPLedger").events()
    reference = {"0x" + topic0(events[n]).hex() for n in ("OwnerConsentRequirementSet",)}
    logs = [g for g in _raw_logs(built, url) if g["topics"][0].lower() not in reference]
    store = Store(f"sqlite:///{built.store_path}")
    try:
        stored: dict[tuple[int, int], dict[str, Any]] = {}
        for table in s.LOG_TABLES:
            for r in store.read(table.name):
                stored[(int(r["block_number"]), int(r["log_index"]))] = r
        # The same set of logs, at the same places, in the same transactions and contracts.
        assert {(int(g["blockNumber"], 16), int(g["logIndex"], 16)) for g in logs} == set(stored)
        for g in logs:
            row = stored[(int(g["blockNumber"], 16), int(g["logIndex"], 16))]
            assert row["tx_hash"] == g["transactionHash"].lower()
            assert row["contract"] == g["address"].lower()
        # Every transaction record decoded independently equals its row, field by field.
        sig = "0x" + keccak(text=TX_RECORDED).hex()
        tx_logs = [g for g in logs if g["topics"][0] == sig]
        assert len(tx_logs) == store.count("transactions") == 10
        for g in tx_logs:
            row = stored[(int(g["blockNumber"], 16), int(g["logIndex"], 16))]
            values = decode(TX_DATA, bytes.fromhex(g["data"][2:]))
            assert row["record_id"] == int(g["topics"][1], 16)
            assert row["asset_id"] == g["topics"][2]
            assert row["kind"] == int(g["topics"][3], 16)
            for name, value in zip(TX_FIELDS, values, strict=True):
                assert row[name] == _plain(value), name
    finally:
        store.close()


def test_cast_logs_match_raw_json_rpc(on_anvil: tuple[Built, str]) -> None:
    built, url = on_anvil
    exe = str(CAST) if CAST.exists() else shutil.which("cast")
    if exe is None:
        pytest.skip("cast not installed (run `npm ci`)")
    raw = _raw_logs(built, url)
    seen: list[dict[str, Any]] = []
    for address in (built.env.client.ledger_address, built.env.client.registry_address):
        out = subprocess.run(
            [
                exe,
                "logs",
                "--json",
                "--from-block",
                str(built.start_block),
                "--to-block",
                "latest",
                "--address",
                "0x" + address.hex(),
                "--rpc-url",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if out.returncode != 0:
            pytest.skip(f"cast logs does not work here: {out.stderr.strip()[:200]}")
        seen.extend(json.loads(out.stdout))

    def key(g: dict[str, Any]) -> tuple[Any, ...]:
        return (
            int(g["blockNumber"], 16),
            int(g["logIndex"], 16),
            g["transactionHash"].lower(),
            g["address"].lower(),
            tuple(t.lower() for t in g["topics"]),
            g["data"].lower(),
        )

    assert sorted(map(key, seen)) == sorted(map(key, raw))


def test_audit_passes_on_anvil_and_catches_an_edit(on_anvil: tuple[Built, str], tmp_path: Path) -> None:
    built, url = on_anvil
    shutil.copy(built.store_path, tmp_path / "ledger.sqlite")
    shutil.copytree(built.docs_path, tmp_path / "documents")
    store = Store(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    backend = RPCBackend(url)
    try:
        client = built.env.client.__class__(backend, built.env.client.ledger_address, built.env.client.registry_address)
        docs = DocumentStore(tmp_path / "documents")
        report = audit(backend, store, client, documents=docs, start_block=built.start_block, recompute=RECOMPUTE)
        assert report.passed, report.to_json()
        with store.engine.begin() as conn:
            t = s.transactions
            conn.execute(t.update().where(t.c.record_id == built.sale).values(seller="0x" + "42" * 20))
        report = audit(backend, store, client, documents=docs, start_block=built.start_block, recompute=RECOMPUTE)
        msgs = [f.message for f in report.check("rows").findings]
        assert any(f"transactions #{built.sale}" in m and "seller" in m for m in msgs)
        assert not report.check("links").passed  # a sale by someone who never owned it
        with store.engine.begin() as conn:  # a malformed hash must not spoil the batched sender look-up
            conn.execute(t.update().where(t.c.record_id == built.licence).values(tx_hash="0xnot-a-hash"))
        report = audit(backend, store, client, documents=docs, start_block=built.start_block, recompute=RECOMPUTE)
        roles = [f.message for f in report.check("roles").findings]
        assert any(f"transactions #{built.licence}" in m and "is not on chain" in m for m in roles)
        assert all(f"transactions #{built.licence}" in m for m in roles), roles
    finally:
        backend.close()
        store.close()
