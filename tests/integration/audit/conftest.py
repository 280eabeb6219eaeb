"""A small, complete ledger for the audit tests: every kind of record, documents and a report.

The chain is built once per module (embedded py-evm); each test gets its own copy of the
SQLite store and of the document folder, so tampering never leaks between tests.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ipledger.audit import AuditReport, audit, ledger_at, report_bytes, store_report
from ipledger.chain import (
    AnchorInput,
    AnchorKind,
    ChainBackend,
    ClaimInput,
    ClaimKind,
    LedgerClient,
    Status,
    TxKind,
    deploy,
    to_timestamp,
)
from ipledger.documents import DocumentStore
from ipledger.ledger import Indexer, Store
from ipledger.ledger import schema as s
from tests.conformance.conftest import Env


def fake_valuation(report: dict[str, Any], ledger: Any, state_block: int) -> str:
    """A stand-in valuation engine: the asset's live licences at the state block times the
    report's input ``multiple``. Returns the hash of the report it recomputes."""
    view = ledger_at(ledger, state_block)
    tx = view.transactions(report["asset_id"])
    total = int(sum(int(x) for x in tx["amount_minor"]))
    rebuilt = {
        "asset_id": report["asset_id"],
        "state_block": state_block,
        "inputs": report["inputs"],
        "licences": len(tx),
        "value": total * int(report["inputs"]["multiple"]),
    }
    return "0x" + hashlib.sha256(report_bytes(rebuilt)).hexdigest()


RECOMPUTE = {int(AnchorKind.VALUATION): fake_valuation, int(AnchorKind.QUOTE): None}


@dataclass
class Built:
    """The chain and a pristine store + documents, with the ids the tests tamper with."""

    env: Env
    start_block: int
    store_path: Path
    docs_path: Path
    asset: bytes
    other_asset: bytes
    licence: int
    amendment: int
    sale: int
    void: int
    anchor_block: int
    report_hash: str
    metadata_hash: str


@dataclass
class Audited:
    """One test's copy of the ledger."""

    built: Built
    store: Store
    documents: DocumentStore

    @property
    def env(self) -> Env:
        return self.built.env

    def run(self, **kw: Any) -> AuditReport:
        kw.setdefault("recompute", RECOMPUTE)
        return audit(
            self.env.backend,
            self.store,
            self.env.client,
            documents=self.documents,
            start_block=self.built.start_block,
            **kw,
        )

    def execute(self, sql: str, **params: Any) -> int:
        with self.store.engine.begin() as conn:
            return int(conn.execute(sa.text(sql), params).rowcount)

    def row(self, table: str, record_id: int) -> dict[str, Any]:
        rows = self.store.read(table, lambda t: t.c.record_id == record_id)
        assert rows, f"no {table} #{record_id}"
        return rows[0]


def hexa(b: bytes) -> str:
    return "0x" + b.hex()


def build(backend: ChainBackend, folder: Path) -> Built:
    d = deploy(backend)
    env = Env(backend, LedgerClient(backend, d.ledger, d.registry), backend.accounts())
    docs = DocumentStore(folder / "documents")
    metadata = docs.put(b'{"title": "Sustained-release tablet", "field": "pharmaceuticals", "claims": 12}')
    asset = env.registered(metadata_hash=metadata)
    other = env.registered("ZL201910054321.0")
    contract = docs.put(b"licence agreement 2021-06-01, CN, 3.5% royalty")
    licence = env.client.record(env.tx(asset, doc_hash=contract)).first_record_id
    env.client.record_batch([env.tx(asset, amount=2_000_000_00 + i) for i in range(3)])
    env.client.record(env.tx(other))
    amendment = env.client.amend(env.tx(asset, amount=1_750_000_00, ref=licence, doc_hash=contract)).first_record_id
    sale = env.client.record(env.tx(asset, TxKind.ASSIGNMENT, buyer=env.accounts[3], royalty_bps=0)).first_record_id
    void = env.client.void(sale, asset, restored_owner=env.owner).first_record_id
    env.client.record(env.tx(other, TxKind.ASSIGNMENT, buyer=env.accounts[4], royalty_bps=0))
    pledge = env.client.record(env.tx(asset, TxKind.PLEDGE, royalty_bps=0)).first_record_id
    env.client.record(env.tx(asset, TxKind.RELEASE, royalty_bps=0, amount=0, ref=pledge))
    env.client.set_status(asset, Status.INFRINGEMENT_DISPUTE, to_timestamp("2023-01-01"))

    # Index, value the asset at the current block with the stand-in engine, anchor, claim.
    store = Store(f"sqlite:///{folder / 'ledger.sqlite'}")
    Indexer(backend, store, d.ledger, d.registry, start_block=d.block).sync()
    state_block = backend.head()
    base = {"asset_id": hexa(asset), "state_block": state_block, "inputs": {"multiple": 3}}
    view = ledger_at(store, state_block)
    tx = view.transactions(hexa(asset))
    report = {**base, "licences": len(tx), "value": int(sum(int(x) for x in tx["amount_minor"])) * 3}
    report_hash = store_report(docs, report)
    env.client.anchor(
        AnchorInput(
            asset,
            AnchorKind.VALUATION,
            bytes.fromhex(report_hash[2:]),
            state_block,
            to_timestamp("2024-06-30"),
            "CNY",
            report["value"],
            report["value"] // 2,
            report["value"] * 2,
        )
    )
    anchor_block = backend.head()
    quote = store_report(docs, {"asset_id": hexa(asset), "sum_insured": 5_000_000_00, "premium": 120_000_00})
    env.client.anchor(
        AnchorInput(
            asset,
            AnchorKind.QUOTE,
            bytes.fromhex(quote[2:]),
            state_block,
            to_timestamp("2024-07-01"),
            "CNY",
            5_000_000_00,
            120_000_00,
            110_000_00,
        )
    )
    env.client.record_claim(
        ClaimInput(
            asset,
            ClaimKind.OPENED,
            bytes.fromhex(quote[2:]),
            b"\x07" * 32,
            to_timestamp("2024-09-01"),
            "CNY",
            300_000_00,
        )
    )
    Indexer(backend, store, d.ledger, d.registry, start_block=d.block).sync()
    store.close()
    return Built(
        env,
        d.block,
        folder / "ledger.sqlite",
        folder / "documents",
        asset,
        other,
        licence,
        amendment,
        sale,
        void,
        anchor_block,
        report_hash,
        hexa(metadata),
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    from ipledger.chain.embedded import EmbeddedBackend

    backend = EmbeddedBackend(None)
    folder = tmp_path_factory.mktemp("audit-ledger")
    yield build(backend, folder)
    backend.close()


@pytest.fixture
def ledger(built: Built, tmp_path: Path) -> Iterator[Audited]:
    """A private copy of the store and documents for one test (the chain is shared)."""
    shutil.copy(built.store_path, tmp_path / "ledger.sqlite")
    shutil.copytree(built.docs_path, tmp_path / "documents")
    store = Store(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    yield Audited(built, store, DocumentStore(tmp_path / "documents"))
    store.close()


def table_columns(table: str) -> list[str]:
    return [c.name for c in s.metadata.tables[table].columns]
