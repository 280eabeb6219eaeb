"""The ledger: an indexer of the contracts' logs into SQLite/PostgreSQL, served as DataFrames."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ipledger.ledger.api import Ledger
from ipledger.ledger.store import Store

if TYPE_CHECKING:
    from ipledger.ledger.indexer import Indexer, SyncResult

__all__ = ["Indexer", "Ledger", "Store", "SyncResult"]


def __getattr__(name: str) -> Any:
    # The indexer (log decoding, the contracts' ABI) loads when a sync needs it, not on reads.
    if name in ("Indexer", "SyncResult"):
        from ipledger.ledger import indexer

        return getattr(indexer, name)
    raise AttributeError(f"module 'ipledger.ledger' has no attribute {name!r}")
