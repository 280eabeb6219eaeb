"""The ledger store: rows and the indexing checkpoint, written in one database transaction.

Writes skip SQLAlchemy's per-row parameter building (about a third of a sync when it was used):
for each table an INSERT (SQLite, and any other dialect) or a COPY (PostgreSQL through psycopg 3)
is built once from the table's metadata, column values go through the column types' own bind
processors, and the rows go to the driver as tuples in one ``executemany`` or one COPY stream,
inside the same transaction as the checkpoint. Any table of ``schema.metadata`` is written this
way, so new tables need no code here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ipledger.errors import LedgerError
from ipledger.ledger import schema as s

# SQLite settings of a store connection (decision record 0111). A sync commits every range of
# about 10,000 events; the asset_id indexes take those rows at one place per asset, so every
# range rewrites a page or more per asset wherever it lies. With the defaults (a 2 MiB page cache,
# a checkpoint once the WAL holds 1,000 pages) each range re-read those pages and copied them into
# the database file again, and the cost per event grew with the index (918 WAL pages for the first
# range of a 150k-record sync, 2,266 for the last). A 64 MiB cache keeps them; a checkpoint every
# 16,384 pages (64 MiB at the 4 KiB default page) copies a page rewritten by several ranges once;
# the WAL file is cut back to that size after a checkpoint.
CACHE_KIB = 65_536
WAL_CHECKPOINT_PAGES = 16_384
WAL_LIMIT_BYTES = 64 * 1024 * 1024


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    cur.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
    cur.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
    cur.close()


Row = Sequence[Any] | Mapping[str, Any]
"""A row to write: a tuple in the table's column order, or a dict by column name."""


@dataclass(frozen=True)
class _Writer:
    """How rows of one table reach the driver (built once per table and dialect)."""

    columns: tuple[str, ...]
    statement: str  # INSERT with positional parameters, COPY ... FROM STDIN, or "" (SQLAlchemy binds)
    copy: bool
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]  # (column position, bind processor)
    convert: Callable[[Sequence[Sequence[Any]]], list[Sequence[Any]]]  # tuples through the processors

    def tuples(self, rows: Sequence[Row], process: bool = True) -> list[Sequence[Any]]:
        """Rows as sequences in column order, through the bind processors when ``process``."""
        # The mapper's rows are plain tuples: that test is cheap, the Mapping one is not.
        if all(row.__class__ is tuple for row in rows) or not any(isinstance(row, Mapping) for row in rows):
            return self.convert(rows) if process else list(rows)  # type: ignore[arg-type]
        cols = self.columns
        procs = self.processors if process else ()
        out: list[Sequence[Any]] = []
        for row in rows:
            values: Sequence[Any] = [row.get(c) for c in cols] if isinstance(row, Mapping) else row
            if procs:
                values = list(values)
                for i, proc in procs:
                    values[i] = proc(values[i])
            out.append(values)
        return out


Fast = tuple[type, Callable[[Any], Any] | None]
"""A column's fast path: a value of exactly this class goes through this builtin (or, for None,
as it is) instead of the bind processor, which would give the same value (``fast_bind``)."""


def _converter(
    n: int, processors: Sequence[tuple[int, Callable[[Any], Any]]], fast: Mapping[int, Fast] | None = None
) -> Callable[..., list[Any]]:
    """``rows -> [tuple with processed values]`` as one generated comprehension (no call per row
    beyond the processors themselves). A column with a ``fast`` path skips its processor's Python
    frames for the values the mapper emits: a hash already in its stored bytes goes as it is, an
    integer amount through ``str`` (see the column types' ``fast_bind``)."""
    if not processors:
        return list
    at = dict(processors)
    fast = fast or {}
    namespace: dict[str, Any] = {f"_p{i}": p for i, p in at.items()}

    def item(i: int) -> str:
        if i not in at:
            return f"r[{i}]"
        if i in fast:
            cls, builtin = fast[i]
            namespace[f"_c{i}"] = cls
            value = "_v"
            if builtin is not None:
                namespace[f"_f{i}"] = builtin
                value = f"_f{i}(_v)"
            return f"({value} if (_v := r[{i}]).__class__ is _c{i} else _p{i}(_v))"
        return f"_p{i}(r[{i}])"

    items = ", ".join(item(i) for i in range(n))
    # Source built from column positions only; a comprehension is the cheapest row loop in Python.
    exec(f"def convert(rows):\n    return [({items},) for r in rows]\n", namespace)
    return namespace["convert"]  # type: ignore[no-any-return]


def _writer(table: sa.Table, dialect: Any) -> _Writer:
    quote = dialect.identifier_preparer.quote
    columns = tuple(c.name for c in table.columns)
    names = ", ".join(quote(c) for c in columns)
    copy = dialect.name == "postgresql" and dialect.driver == "psycopg"
    if copy:
        statement = f"COPY {quote(table.name)} ({names}) FROM STDIN"
    else:
        style = dialect.paramstyle
        marks = {"qmark": "?", "format": "%s", "pyformat": "%s"}
        params = [marks[style] if style in marks else f":{i + 1}" for i in range(len(columns))]
        if style not in marks and style != "numeric":  # named: let SQLAlchemy bind the rows
            statement = ""
        else:
            statement = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join(params)})"
    processors = []
    for i, col in enumerate(table.columns):
        proc = col.type.dialect_impl(dialect).bind_processor(dialect)
        if proc is not None:
            processors.append((i, proc))
    fast = {}
    for i, col in enumerate(table.columns):
        fast_bind = getattr(col.type, "fast_bind", None)
        path = fast_bind(dialect) if fast_bind is not None else None
        if path is not None:
            fast[i] = path
    return _Writer(columns, statement, copy, tuple(processors), _converter(len(columns), processors, fast))


class Store:
    """Ledger tables behind a SQLAlchemy engine.

    Args:
        url: SQLAlchemy URL (``sqlite:///path`` or ``postgresql+psycopg://...``).
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine: Engine = sa.create_engine(url, future=True)
        except Exception as exc:  # bad URL or missing driver
            raise LedgerError(f"cannot open the ledger store {url!r}: {exc}") from exc
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self.created = self.path is not None and not self.path.exists()
        try:
            self._check_ours()
            self._create()
        except sa.exc.OperationalError as exc:
            if self.path is not None and "locked" not in str(exc.orig):
                raise self._damaged(exc.orig) from exc
            raise LedgerError(f"cannot reach the ledger store {self._name}: {exc.orig}") from exc
        except sa.exc.DatabaseError as exc:  # "file is not a database", "disk image is malformed"
            raise self._damaged(exc.orig) from exc
        self._writers: dict[str, _Writer] = {}

    @property
    def _name(self) -> str:
        return str(self.path) if self.path is not None else self.engine.url.render_as_string(hide_password=True)

    def _damaged(self, why: object) -> LedgerError:
        return LedgerError(
            f"the ledger store {self._name} is damaged or not an ipledger store ({why}): it is only an index "
            "of the chain, so run `ipledger sync --rebuild` to recreate it"
        )

    def _check_ours(self) -> None:
        """Refuse a SQLite file that holds other tables and no ipledger ``meta``: a foreign one.

        A server database (PostgreSQL) may well hold other applications' tables beside ours.
        """
        tables = set(sa.inspect(self.engine).get_table_names())
        if self.path is not None and tables and "meta" not in tables and not tables <= set(s.metadata.tables):
            raise self._damaged(f"it holds other tables: {', '.join(sorted(tables)[:3])}")
        if self.path is not None:
            # Read a page of every table we own: a damaged file fails here, not in a later query.
            with self.engine.connect() as conn:
                for name in tables & set(s.metadata.tables):
                    conn.execute(sa.select(s.metadata.tables[name]).limit(1)).all()

    @classmethod
    def recreate(cls, url: str) -> Store:
        """A new empty store at ``url``: a damaged or foreign SQLite file is moved aside first
        (``ledger.sqlite.damaged``), a readable one is emptied; a full re-index follows."""
        path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
        try:
            store = cls(url)
        except LedgerError:
            if path is None or not path.exists():
                raise
            aside = path.with_name(path.name + ".damaged")
            path.replace(aside)
            for extra in ("-wal", "-shm"):
                side = path.with_name(path.name + extra)
                if side.exists():
                    side.replace(aside.with_name(aside.name + extra))
            store = cls(url)
        store.reset()
        return store

    def is_empty(self) -> bool:
        """True when nothing was ever indexed into this store (new, emptied or deleted)."""
        return self.checkpoint() is None

    @property
    def dialect(self) -> str:
        return str(self.engine.dialect.name)

    # ------------------------------------------------------------------ identity

    def _meta(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            return dict(conn.execute(sa.select(s.meta.c.key, s.meta.c.value)).all())

    def _outdated(self, have: dict[str, str], wanted: dict[str, str]) -> bool:
        """This ledger's store written by another version of the schema: it is only an index of
        the chain, so it is emptied and the next sync indexes the chain again in this layout."""
        same_ledger = all(have.get(k) == wanted[k] for k in ("chain_id", "contracts"))
        if have and same_ledger and have.get("schema_version") != wanted["schema_version"]:
            self.reset()
            return True
        return False

    def bind(self, chain_id: int, contracts: Sequence[str]) -> None:
        """Tie the store to one chain and deployment; refuse to mix ledgers (a store of this
        ledger in an older layout is emptied first, see :meth:`_outdated`)."""
        wanted = {"schema_version": s.SCHEMA_VERSION, "chain_id": str(chain_id), "contracts": ",".join(contracts)}
        have = self._meta()
        if self._outdated(have, wanted):
            have = {}
        with self.engine.begin() as conn:
            if not have:
                conn.execute(sa.insert(s.meta), [{"key": k, "value": v} for k, v in wanted.items()])
                return
        self._same(have, wanted)

    def check_bound(self, chain_id: int, contracts: Sequence[str]) -> None:
        """The check of :meth:`bind` without writing: a LedgerError when the store was built for
        another chain or deployment; nothing when it matches or was never bound. (A store of
        this ledger in an older layout is the exception: it is emptied, see :meth:`_outdated`.)"""
        wanted = {"schema_version": s.SCHEMA_VERSION, "chain_id": str(chain_id), "contracts": ",".join(contracts)}
        have = self._meta()
        if have and not self._outdated(have, wanted):  # an outdated store is emptied (written)
            self._same(have, wanted)

    def _same(self, have: dict[str, str], wanted: dict[str, str]) -> None:
        for key, value in wanted.items():
            if have.get(key) != value:
                raise LedgerError(
                    f"the ledger store {self.url} was built for {key}={have.get(key)!r}, not {value!r}: "
                    "use another data folder or database, or `ipledger sync --rebuild`"
                )

    def _create(self) -> None:
        """The tables, and the readable views over them where the dialect has them."""
        s.metadata.create_all(self.engine)
        if self.dialect in ("sqlite", "postgresql"):
            # Only missing views are created, so opening a store writes nothing; the views of an
            # older schema go with its tables in reset() (PostgreSQL cannot change a view's
            # columns in place).
            have = set(sa.inspect(self.engine).get_view_names())
            names = [view for view, _, _ in s.hex_views()]
            missing = [sql for name, sql in zip(names, s.view_ddl(self.dialect), strict=True) if name not in have]
            if missing:
                with self.engine.begin() as conn:
                    for statement in missing:
                        conn.exec_driver_sql(statement)

    def reset(self) -> None:
        """Drop and recreate every table (a full re-index follows)."""
        with self.engine.begin() as conn:
            for statement in s.drop_view_ddl():
                conn.exec_driver_sql(statement)
        s.metadata.drop_all(self.engine)
        if self.dialect == "sqlite":  # give the emptied pages back to the file system
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM")
        self._create()

    # ------------------------------------------------------------------ checkpoint

    def checkpoint(self) -> tuple[int, str] | None:
        try:
            with self.engine.connect() as conn:
                row = conn.execute(sa.select(s.checkpoint.c.block_number, s.checkpoint.c.block_hash)).first()
        except sa.exc.DatabaseError as exc:
            raise self._damaged(exc.orig) from exc
        return (int(row[0]), str(row[1])) if row else None

    @staticmethod
    def _set_checkpoint(conn: Connection, number: int, block_hash: str) -> None:
        updated = conn.execute(
            sa.update(s.checkpoint).where(s.checkpoint.c.id == 1).values(block_number=number, block_hash=block_hash)
        ).rowcount
        if not updated:
            conn.execute(sa.insert(s.checkpoint).values(id=1, block_number=number, block_hash=block_hash))

    # ------------------------------------------------------------------ writes

    def _writer(self, name: str) -> _Writer:
        w = self._writers.get(name)
        if w is None:
            w = self._writers[name] = _writer(s.metadata.tables[name], self.engine.dialect)
        return w

    def _insert(self, conn: Connection, name: str, rows: Sequence[Row]) -> None:
        w = self._writer(name)
        if not w.statement:  # a driver with named parameters: SQLAlchemy binds the rows
            table = s.metadata.tables[name]
            conn.execute(sa.insert(table), [dict(zip(w.columns, r, strict=True)) for r in w.tuples(rows, False)])
            return
        values = w.tuples(rows)
        dbapi: Any = conn.connection.driver_connection
        try:
            if w.copy:
                with dbapi.cursor() as cur, cur.copy(w.statement) as copy:
                    write_row = copy.write_row
                    for v in values:
                        write_row(v)
                return
            cur = dbapi.cursor()
            try:
                cur.executemany(w.statement, values)
            finally:
                cur.close()
        except self.engine.dialect.loaded_dbapi.Error as exc:  # the transaction rolls back
            raise LedgerError(f"cannot write {len(values)} rows into {name}: {exc}") from exc

    def write(
        self,
        rows: Mapping[str, Sequence[Row]],
        blocks: Sequence[Row],
        checkpoint: tuple[int, str],
    ) -> None:
        """Insert rows by table name, the blocks they came from and the new checkpoint, atomically.

        Args:
            rows: table name -> rows, each a tuple in the table's column order or a dict by
                column name (missing columns are NULL).
            blocks: rows of the ``blocks`` table (replacing stored rows of the same numbers).
            checkpoint: (block number, 0x block hash) indexed up to.
        """
        with self.engine.begin() as conn:
            for name, table_rows in rows.items():
                if table_rows:
                    self._insert(conn, name, table_rows)
            if blocks:
                position = self._writer("blocks").columns.index("number")
                numbers = [b["number"] if isinstance(b, Mapping) else b[position] for b in blocks]
                conn.execute(sa.delete(s.blocks).where(s.blocks.c.number.in_(numbers)))
                self._insert(conn, "blocks", blocks)
            self._set_checkpoint(conn, *checkpoint)

    def settle(self) -> None:
        """Copy what the write-ahead log holds into the database file (SQLite; a no-op
        elsewhere), without waiting on readers: a sync ends with its store folded, so the cost of
        the last ranges' checkpoint is the sync's own."""
        if self.dialect == "sqlite":
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def rollback_to(self, number: int, block_hash: str) -> int:
        """Delete every row above block ``number`` and move the checkpoint there (one transaction).

        Returns the number of rows deleted.
        """
        deleted = 0
        with self.engine.begin() as conn:
            for table in s.LOG_TABLES:
                deleted += conn.execute(sa.delete(table).where(table.c.block_number > number)).rowcount
            conn.execute(sa.delete(s.blocks).where(s.blocks.c.number > number))
            self._set_checkpoint(conn, number, block_hash)
        return deleted

    def stored_blocks(self, below: int) -> list[tuple[int, str]]:
        """Stored (number, hash) pairs at or below ``below``, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(s.blocks.c.number, s.blocks.c.hash)
                .where(s.blocks.c.number <= below)
                .order_by(s.blocks.c.number.desc())
            ).all()
        return [(int(n), str(h)) for n, h in rows]

    # ------------------------------------------------------------------ reads

    def read(self, table: str, where: Any = None) -> list[dict[str, Any]]:
        t = s.metadata.tables[table]
        query = sa.select(t)
        if where is not None:
            query = query.where(where(t))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def count(self, table: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(s.metadata.tables[table])).scalar_one())

    def close(self) -> None:
        self.engine.dispose()
