"""The store's direct writer (executemany of tuples on SQLite, COPY on PostgreSQL) stores exactly
the rows SQLAlchemy's own insert stores, for every table of the schema, from tuples and dicts."""

from __future__ import annotations

import random
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ipledger.errors import LedgerError
from ipledger.ledger import Store
from ipledger.ledger import schema as s
from ipledger.ledger import store as store_module
from tests.integration.test_indexer import PG_URL, worker_database


def _value(col: sa.Column[Any], rng: random.Random, i: int) -> Any:
    t = col.type
    if isinstance(t, s.Amount):
        return rng.choice([0, 1, 2**63, 2**128 - 1, rng.randrange(2**128)])
    if isinstance(t, sa.Boolean):
        return rng.random() < 0.5
    if isinstance(t, sa.Integer):  # BigInteger and SmallInteger too
        return i if col.primary_key else rng.randrange(0, 2**15)
    if isinstance(t, s.Hex):  # hashes and addresses, the zero one (stored empty) among them
        zero = not col.primary_key and rng.random() < 0.2
        return "0x" + (bytes(t.size) if zero else rng.randbytes(t.size)).hex()
    n = min(getattr(t, "length", None) or 30, 30)
    # Text with the characters COPY's text format escapes (tab, newline, backslash) and non-ASCII.
    return "".join(rng.choice("ab\t\n\\é,'\"专利") for _ in range(rng.randrange(0, n + 1)))[:n]


def _rows(table: sa.Table, n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [{c.name: _value(c, rng, i) for c in table.columns} for i in range(n)]


def _dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    with store.engine.connect() as conn:
        return {t.name: sorted(tuple(r) for r in conn.execute(sa.select(t))) for t in (*s.LOG_TABLES, s.blocks)}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    if request.param == "sqlite":
        pair = (Store(f"sqlite:///{tmp_path / 'a.sqlite'}"), Store(f"sqlite:///{tmp_path / 'b.sqlite'}"))
    else:
        if not PG_URL:
            pytest.skip("IPLEDGER_TEST_PG_URL not set (CI starts a PostgreSQL server)")
        url = worker_database(PG_URL)
        pair = (Store(url), Store(url.rsplit("/", 1)[0] + "/postgres"))
    for st in pair:
        st.reset()
    yield pair
    for st in pair:
        st.reset()
        st.close()


def test_writer_stores_what_sqlalchemy_stores(stores: tuple[Store, Store]) -> None:
    direct, reference = stores
    tables = {t.name: _rows(t, 300, seed=i) for i, t in enumerate(s.LOG_TABLES)}
    blocks = _rows(s.blocks, 50, seed=99)

    # Every other table as tuples in column order only (the fast path), the rest mixed with dicts;
    # in every other tuple, hashes and addresses already in their stored form, as the mapper's
    # fused rows carry them (bytes, the zero value empty).
    def as_tuple(table: sa.Table, row: dict[str, Any], stored: bool) -> tuple[Any, ...]:
        return tuple(
            c.type.process_bind_param(row[c.name], None) if stored and isinstance(c.type, s.Hex) else row[c.name]
            for c in table.columns
        )

    mixed = {
        name: [
            as_tuple(s.metadata.tables[name], r, stored=i % 4 < 2) if i % 2 or k % 2 == 0 else r
            for i, r in enumerate(rows)
        ]
        for k, (name, rows) in enumerate(tables.items())
    }
    assert any(isinstance(v, bytes) for rows in mixed.values() for r in rows if isinstance(r, tuple) for v in r)
    assert any(all(isinstance(r, tuple) for r in rows) for rows in mixed.values())
    assert any(any(isinstance(r, dict) for r in rows) for rows in mixed.values())
    direct.write(mixed, [tuple(b.values()) for b in blocks], (49, blocks[-1]["hash"]))
    with reference.engine.begin() as conn:  # the path the store used before
        for name, rows in tables.items():
            conn.execute(sa.insert(s.metadata.tables[name]), rows)
        conn.execute(sa.insert(s.blocks), blocks)
    got, want = _dump(direct), _dump(reference)
    assert got == want
    assert all(len(v) == 300 for k, v in got.items() if k != "blocks")
    assert direct.checkpoint() == (49, blocks[-1]["hash"])
    # Amounts come back as exact integers through the column type.
    amounts = {r["amount"] for r in direct.read("transactions")}
    assert amounts == {r["amount"] for r in tables["transactions"]}
    # Hashes and addresses, stored as bytes (zero ones empty), come back as the hex written.
    hexes = [c.name for c in s.transactions.columns if isinstance(c.type, s.Hex)]
    stored = sorted(tuple(r[c] for c in hexes) for r in direct.read("transactions"))
    assert stored == sorted(tuple(r[c] for c in hexes) for r in tables["transactions"])
    with direct.engine.connect() as conn:
        raw = conn.exec_driver_sql("SELECT asset_id, doc_hash FROM transactions").all()
        view = dict(conn.exec_driver_sql("SELECT record_id, doc_hash FROM v_transactions").all())
    assert all(len(bytes(a)) in (0, 32) and len(bytes(d)) in (0, 32) for a, d in raw)
    assert sum(len(bytes(a)) == 32 for a, _ in raw) > 200  # bytes, not 66 characters of text
    # The readable view shows what the store reads back, except that a zero hash shows as "0x".
    by_id = {r["record_id"]: r["doc_hash"] for r in tables["transactions"]}
    assert all(view[k] == (v if int(v, 16) else "0x") for k, v in by_id.items())


def test_writer_is_atomic_with_the_checkpoint(stores: tuple[Store, Store]) -> None:
    direct, _ = stores
    rows = _rows(s.transactions, 10, seed=1)
    direct.write({"transactions": rows}, [], (1, "0x" + "00" * 32))
    # A duplicate primary key fails the second write: none of its rows and not its checkpoint stay.
    with pytest.raises(LedgerError, match="cannot write"):
        direct.write({"transactions": [*_rows(s.transactions, 20, seed=2)[10:], rows[0]]}, [], (2, "0x" + "11" * 32))
    assert direct.count("transactions") == 10
    assert direct.checkpoint() == (1, "0x" + "00" * 32)


def test_sqlite_store_checkpoints_seldom_and_settles_its_wal(tmp_path: Path) -> None:
    """A SQLite store leaves written pages in its write-ahead log until 16,384 pages gather (one
    range's rewritten index pages are copied once, not once a range); ``settle`` copies them into
    the database file, which then holds the rows on its own."""
    path = tmp_path / "w.sqlite"
    st = Store(f"sqlite:///{path}")
    with st.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -store_module.CACHE_KIB
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == store_module.WAL_CHECKPOINT_PAGES

    def rows_in_file_alone() -> int:
        copy = tmp_path / f"copy-{len(list(tmp_path.glob('copy-*')))}.sqlite"
        shutil.copyfile(path, copy)  # the database file without its WAL
        with sqlite3.connect(copy) as conn:
            return int(conn.execute("SELECT count(*) FROM transactions").fetchone()[0])

    st.settle()  # the new tables, into the file
    assert rows_in_file_alone() == 0
    st.write({"transactions": _rows(s.transactions, 20_000, seed=3)}, [], (1, "0x" + "11" * 32))
    # More than SQLite's default 1,000 pages, which would have been checkpointed at this commit.
    assert path.with_name(path.name + "-wal").stat().st_size > 1000 * 4096
    assert rows_in_file_alone() == 0  # still in the WAL: no checkpoint after this range
    st.settle()
    assert rows_in_file_alone() == 20_000
    st.close()


def test_a_store_in_an_older_layout_is_emptied_and_another_ledgers_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    store = Store(url)
    store.bind(7, ["0x" + "aa" * 20, "0x" + "bb" * 20])
    store.write({"transactions": _rows(s.transactions, 5, seed=3)}, [], (5, "0x" + "55" * 32))
    with store.engine.begin() as conn:  # as an older ipledger left it
        conn.execute(sa.update(s.meta).where(s.meta.c.key == "schema_version").values(value="1"))
    store.close()
    again = Store(url)
    with pytest.raises(LedgerError, match="was built for"):  # another ledger's store is refused, untouched
        again.check_bound(8, ["0x" + "aa" * 20, "0x" + "bb" * 20])
    assert again.count("transactions") == 5
    again.check_bound(7, ["0x" + "aa" * 20, "0x" + "bb" * 20])  # this ledger's: emptied for a re-index
    assert again.is_empty() and again.count("transactions") == 0
    again.bind(7, ["0x" + "aa" * 20, "0x" + "bb" * 20])
    assert again._meta()["schema_version"] == s.SCHEMA_VERSION
    again.close()
