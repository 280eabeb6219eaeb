"""Party names given at import, kept off chain beside the ledger.

A party named in an import file (``Acme Pharma``) is recorded on chain as an address derived from
its name, ``keccak256("ipledger.party:" + name)[12:]``: the chain carries no name, only that hash.
The names live in ``parties.sqlite`` in the data folder, keyed by that address. Every name read
back is checked against its address, so a tampered file can hide a name but never put another
name on a party; the ledger store is only an index and can be rebuilt without losing the names.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path

# eth-hash is what eth-utils' keccak calls; used directly it costs a tenth of eth-utils' imports
# (pydantic among them), and every read that shows party names hashes them.
from eth_hash.auto import keccak

from ipledger.errors import LedgerError

PREFIX = "ipledger.party:"
FILE_NAME = "parties.sqlite"


def party_address(name: str) -> bytes:
    """The 20-byte address that stands on chain for a party given by name."""
    return bytes(keccak((PREFIX + name).encode("utf-8"))[12:])


def address_hex(name: str) -> str:
    """``party_address`` as lower-case 0x hex (the store's form of addresses)."""
    return "0x" + party_address(name).hex()


class PartyBook:
    """Names of parties by their on-chain address, in ``<data_dir>/parties.sqlite``.

    Args:
        data_dir: the profile's data folder.
    """

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / FILE_NAME

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(str(self.path), timeout=30)
            conn.execute("CREATE TABLE IF NOT EXISTS parties (address TEXT PRIMARY KEY, name TEXT NOT NULL)")
        except sqlite3.DatabaseError as exc:
            raise LedgerError(
                f"the party names file {self.path} is damaged ({exc}): move it aside; names come back "
                "when the import files are imported again"
            ) from exc
        return conn

    def add(self, names: Iterable[str]) -> int:
        """Remember these names; returns how many were new."""
        rows = {address_hex(n): n for n in names if n and not n.lower().startswith("0x")}
        if not rows:
            return 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self._connect()
        try:
            with conn:
                before = conn.total_changes
                conn.executemany("INSERT OR IGNORE INTO parties (address, name) VALUES (?, ?)", rows.items())
                return conn.total_changes - before
        finally:
            conn.close()

    def names(self, addresses: Iterable[str] | None = None) -> dict[str, str]:
        """{0x address: name} for the known parties among ``addresses`` (all when None).

        Only names whose hash matches their address are returned.
        """
        if not self.path.is_file():
            return {}
        conn = self._connect()
        try:
            rows = conn.execute("SELECT address, name FROM parties").fetchall()
        except sqlite3.DatabaseError as exc:
            raise LedgerError(f"the party names file {self.path} is damaged ({exc}): move it aside") from exc
        finally:
            conn.close()
        wanted = None if addresses is None else {str(a).lower() for a in addresses}
        return {
            a: n
            for a, n in rows
            if (wanted is None or a in wanted) and address_hex(n) == a  # a forged row is ignored
        }


def label(address: str, names: Mapping[str, str]) -> str:
    """The party's name when known, else its address."""
    return names.get(str(address).lower(), str(address))
