"""A py-evm key-value database on SQLite, committed once per block.

py-evm 0.12 ships only in-memory databases. Writes go into an open SQLite transaction; the
embedded backend calls ``commit()`` after each block is mined, so a crash at any moment (kill -9)
rolls back to the last committed block and the chain reopens at that head.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from eth.db.backends.base import BaseDB

from ipledger.errors import ChainError


class SQLiteDB(BaseDB):
    """Keys and values in one SQLite table; a damaged file is a ChainError naming its path.

    Args:
        path: the database file (``:memory:`` for a chain that lives in memory only).
        busy_timeout: seconds SQLite waits for a lock held by another connection.
    """

    def __init__(self, path: Path, busy_timeout: float = 30.0) -> None:
        self.path = path
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        with self._translated():
            self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=busy_timeout)
            self._conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode survives a killed process; only a power loss can drop the last block.
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID")
            self._conn.execute("BEGIN")

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """SQLite errors as ChainErrors that name the file and say what to do."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise ChainError(
                    f"another ipledger process is writing to the chain {self.path}: try again when it has finished"
                ) from exc
            raise self._damaged(exc) from exc
        except sqlite3.DatabaseError as exc:
            raise self._damaged(exc) from exc

    def _damaged(self, exc: Exception) -> ChainError:
        return ChainError(
            f"the chain file {self.path} is damaged or not an ipledger chain ({exc}): restore it from a "
            "backup, or move it aside and run `ipledger init` to start a new chain"
        )

    def __getitem__(self, key: bytes) -> bytes:
        with self._translated():
            row = self._conn.execute("SELECT v FROM kv WHERE k = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return bytes(row[0])

    def __setitem__(self, key: bytes, value: bytes) -> None:
        with self._translated():
            self._conn.execute("INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)", (key, value))

    def _exists(self, key: bytes) -> bool:
        with self._translated():
            return self._conn.execute("SELECT 1 FROM kv WHERE k = ?", (key,)).fetchone() is not None

    def __delitem__(self, key: bytes) -> None:
        with self._translated():
            deleted = self._conn.execute("DELETE FROM kv WHERE k = ?", (key,)).rowcount
        if deleted == 0:
            raise KeyError(key)

    def commit(self) -> None:
        """Make every write so far durable and start the next transaction."""
        with self._translated():
            self._conn.execute("COMMIT")
            self._conn.execute("BEGIN")

    def rollback(self) -> None:
        """Drop uncommitted writes; the next read sees what other processes committed."""
        with self._translated():
            self._conn.execute("ROLLBACK")
            self._conn.execute("BEGIN")

    def close(self) -> None:
        self._conn.execute("ROLLBACK")
        self._conn.close()
