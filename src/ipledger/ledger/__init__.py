"""The ledger: an indexer of the contracts' logs into SQLite/PostgreSQL, served as DataFrames."""

from __future__ import annotations

from ipledger.ledger.api import Ledger
from ipledger.ledger.indexer import Indexer, SyncResult
from ipledger.ledger.store import Store

__all__ = ["Indexer", "Ledger", "Store", "SyncResult"]
