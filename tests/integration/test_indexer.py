"""The indexer on both backends: complete, resumable, reorg-safe, lossless, address-filtered."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from ipledger.chain import ChainBackend, LedgerClient, Status, TxKind, deploy, to_timestamp
from ipledger.ledger import Indexer, Store
from ipledger.ledger import schema as s
from tests.conformance.conftest import Env
from tests.conftest import make_backend

PG_URL = os.environ.get("IPLEDGER_TEST_PG_URL")


@pytest.fixture(params=["embedded", pytest.param("anvil", marks=pytest.mark.anvil)])
def chain(request: pytest.FixtureRequest) -> Iterator[Env]:
    backend: ChainBackend = make_backend(request.param, request)
    d = deploy(backend)
    env = Env(backend, LedgerClient(backend, d.ledger, d.registry), backend.accounts())
    env.start_block = d.block  # type: ignore[attr-defined]
    snap = backend.snapshot()
    yield env
    if backend.kind == "rpc":
        backend.revert(snap)
    backend.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        st = Store(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    else:
        if not PG_URL:
            pytest.skip("IPLEDGER_TEST_PG_URL not set (CI starts a PostgreSQL server)")
        st = Store(worker_database(PG_URL))
        st.reset()
    yield st
    st.close()


def worker_database(url: str) -> str:
    """One database per pytest-xdist worker, so parallel tests never share tables."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    base, _, name = url.rpartition("/")
    db = f"{name}_{worker}"
    engine = sa.create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": db}).first():
            conn.execute(sa.text(f'CREATE DATABASE "{db}"'))
    engine.dispose()
    return f"{base}/{db}"


def indexer(env: Env, store: Store, **kw: object) -> Indexer:
    return Indexer(
        env.backend, store, env.client.ledger_address, env.client.registry_address, start_block=env.start_block, **kw
    )  # type: ignore[attr-defined,arg-type]


def dump(store: Store) -> dict[str, list[tuple[object, ...]]]:
    out = {}
    with store.engine.connect() as conn:
        for t in s.LOG_TABLES:
            cols = [c for c in t.columns]
            out[t.name] = sorted(tuple(r) for r in conn.execute(sa.select(*cols)))
    return out


def populate(env: Env) -> bytes:
    asset = env.registered()
    lic = env.client.record(env.tx(asset)).first_record_id
    env.client.record_batch([env.tx(asset, amount=2**128 - 1) for _ in range(3)])
    env.client.amend(env.tx(asset, amount=7_777_00, ref=lic))
    sale = env.client.record(env.tx(asset, TxKind.ASSIGNMENT, buyer=env.accounts[3], royalty_bps=0)).first_record_id
    env.client.void(sale, asset, restored_owner=env.owner)
    env.client.set_status(asset, Status.INFRINGEMENT_DISPUTE, to_timestamp("2023-01-01"))
    return asset


def test_sync_indexes_everything_and_resolves_voids(chain: Env, store: Store) -> None:
    asset = populate(chain)
    result = indexer(chain, store).sync()
    assert result.events >= 9
    assert store.count("transactions") == 6
    assert store.count("voids") == 1 and store.count("status_changes") == 1
    rows = store.read("transactions")
    assert max(r["amount"] for r in rows) == 2**128 - 1  # lossless beyond 64 bits
    again = indexer(chain, store).sync()
    assert again.events == 0 and store.count("transactions") == 6  # resumable: nothing twice

    from ipledger.ledger import frames

    tx = frames.transactions_frame(rows, store.read("voids"))
    live = tx[~tx["void"]]
    assert set(live["record_id"]) == {3, 4, 5, 6}  # licence 2 amended by 6; sale 7 voided
    assert tx.set_index("record_id").loc[2, "amended_by"] == 6
    a = frames.assets_frame(store.read("assets"), store.read("status_changes"), tx, store.read("voids"), None)
    row = a.set_index("asset_id").loc["0x" + asset.hex()]
    assert row["owner"] == "0x" + chain.owner.hex()  # the voided sale handed it back
    assert row["status"] == "infringement_dispute"


def test_new_records_are_picked_up(chain: Env, store: Store) -> None:
    asset = chain.registered()
    ix = indexer(chain, store)
    ix.sync()
    chain.client.record_batch([chain.tx(asset) for _ in range(4)])
    assert ix.sync().events == 4
    assert store.count("transactions") == 4


def test_logs_from_other_contracts_are_ignored(chain: Env, store: Store) -> None:
    asset = chain.registered()
    impostor = deploy(chain.backend)  # same events, same signatures, another address
    fake = LedgerClient(chain.backend, impostor.ledger, impostor.registry)
    fake.register_asset(chain.asset())
    fake.record(chain.tx(asset))
    chain.client.record(chain.tx(asset))
    indexer(chain, store).sync()
    assert store.count("transactions") == 1
    assert {r["contract"] for r in store.read("transactions")} == {"0x" + chain.client.ledger_address.hex()}


@pytest.mark.parametrize("depth", [1, 64])
def test_reorg_is_rolled_back_and_reindexed(chain: Env, store: Store, tmp_path: Path, depth: int) -> None:
    asset = chain.registered()
    chain.client.record(chain.tx(asset))
    fork = chain.backend.snapshot()
    for i in range(depth):  # one block per record: a reorg `depth` blocks deep
        chain.client.record(chain.tx(asset, amount=1000 + i))
    ix = indexer(chain, store)
    ix.sync()
    assert store.count("transactions") == 1 + depth

    chain.backend.revert(fork)  # the chain drops those blocks ...
    for i in range(depth + 1):  # ... and grows a longer, different branch
        chain.client.record(chain.tx(asset, TxKind.PLEDGE, amount=5000 + i, royalty_bps=0))
    result = ix.sync()
    assert result.reorgs == 1 and result.rolled_back_rows >= depth

    fresh = Store(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    indexer(chain, fresh).sync()
    assert dump(store) == dump(fresh)


def test_confirmations_hold_back_recent_blocks(chain: Env, store: Store) -> None:
    asset = chain.registered()
    chain.client.record(chain.tx(asset))
    ix = indexer(chain, store, confirmations=3)
    ix.sync()
    assert store.count("transactions") == 0
    chain.backend.mine_empty(3)  # type: ignore[attr-defined]
    ix.sync()
    assert store.count("transactions") == 1


def test_store_refuses_another_deployment(chain: Env, store: Store) -> None:
    indexer(chain, store).sync()
    other = deploy(chain.backend)
    with pytest.raises(Exception, match="was built for"):
        Indexer(chain.backend, store, other.ledger, other.registry)
