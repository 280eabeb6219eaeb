"""The same contract and client tests on every backend: the embedded chain and anvil."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from ipledger.chain import (
    AssetInput,
    AssetKind,
    ChainBackend,
    LedgerClient,
    TxInput,
    TxKind,
    deploy,
    to_timestamp,
)
from tests.conftest import make_backend

FILED = to_timestamp("2018-03-01")
GRANTED = to_timestamp("2019-09-01")
DAY = 86_400


@dataclass
class Env:
    backend: ChainBackend
    client: LedgerClient
    accounts: list[bytes]

    @property
    def owner(self) -> bytes:
        return self.accounts[1]

    def asset(self, number: str = "ZL201810012345.6", **kw: object) -> AssetInput:
        fields: dict[str, object] = {
            "jurisdiction": "CN",
            "kind": AssetKind.INVENTION,
            "registry_number": number,
            "class_code": "A61K31/00",
            "filing_date": FILED,
            "owner": self.owner,
            "grant_date": GRANTED,
            "expiry_date": FILED + 20 * 365 * DAY,
        }
        fields.update(kw)
        return AssetInput(**fields)  # type: ignore[arg-type]

    def registered(self, number: str = "ZL201810012345.6", **kw: object) -> bytes:
        a = self.asset(number, **kw)
        self.client.register_asset(a)
        return a.asset_id

    def tx(self, asset_id: bytes, kind: TxKind = TxKind.LICENCE, **kw: object) -> TxInput:
        fields: dict[str, object] = {
            "asset_id": asset_id,
            "kind": kind,
            "seller": self.owner,
            "buyer": self.accounts[2],
            "date": to_timestamp("2021-06-01"),
            "currency": "CNY",
            "amount": 1_500_000_00,
            "royalty_bps": 350 if kind == TxKind.LICENCE else 0,
            "territory": "CN",
            "doc_hash": b"\x11" * 32,
        }
        fields.update(kw)
        return TxInput(**fields)  # type: ignore[arg-type]


@pytest.fixture(scope="module", params=["embedded", pytest.param("anvil", marks=pytest.mark.anvil)])
def deployed(request: pytest.FixtureRequest) -> Iterator[tuple[ChainBackend, LedgerClient]]:
    backend = make_backend(request.param, request)
    d = deploy(backend)
    yield backend, LedgerClient(backend, d.ledger, d.registry)
    backend.close()


@pytest.fixture
def env(deployed: tuple[ChainBackend, LedgerClient]) -> Iterator[Env]:
    """A fresh contract state per test: snapshot before, revert after."""
    backend, client = deployed
    snap = backend.snapshot()
    yield Env(backend, client, backend.accounts())
    backend.revert(snap)


def now() -> int:
    return int(dt.datetime.now(dt.UTC).timestamp())
