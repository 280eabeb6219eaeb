"""Import assets, transactions and dated status changes from CSV or JSON-lines files.

Every row is validated before anything is written: its structure (see ``import_rows``), its
values, the contracts' rules, the indexed ledger (asset known, seller owns it, asset active) and
the earlier rows of the same file. Every bad row is reported with its line number; unless
``skip_invalid``, nothing is written when any row is bad. Rows already on chain are skipped, so
rerunning a file (even after a crash mid-import) adds no duplicate and leaves no gap: each
transaction row's identity is the SHA-256 of its canonical content, which includes the hash of
its document when it names one (two rows may share one document) and is recorded on chain as the
row's document hash when it names none.

Status changes (``asset,status,date[,document]``) are replayed with the trades in date order, so a
register whose assets lapsed or expired after trading loads as it happened.
"""

from __future__ import annotations

from ipledger.import_rows import read_rows
from ipledger.importer.execute import execute
from ipledger.importer.fields import party_address, royalty_bps
from ipledger.importer.plan import ImportPlan, ledger_view, plan_assets, plan_status, plan_transactions
from ipledger.importer.rows import LedgerView, RowError, StatusInput, canonical_tx, parse_asset_row, parse_tx_row

__all__ = [
    "ImportPlan",
    "LedgerView",
    "RowError",
    "StatusInput",
    "canonical_tx",
    "execute",
    "ledger_view",
    "parse_asset_row",
    "parse_tx_row",
    "party_address",
    "plan_assets",
    "plan_status",
    "plan_transactions",
    "read_rows",
    "royalty_bps",
]
