"""Integration fixtures: a real Ledger over a generated market written through the contracts."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ipledger.chain.connect import ensure_deployed, open_backend
from ipledger.config import load_profile
from ipledger.ledger import Ledger
from ipledger.sources.generator import generate_market, write_market


def market_ledger(folder: Path, *, seed: int, n_assets: int, n_transactions: int) -> Ledger:
    """An embedded chain in ``folder`` holding a generated market, indexed (caller closes it)."""
    profile = replace(load_profile("local"), data_dir=folder, db_url=None)
    backend = open_backend(profile)
    ensure_deployed(profile, backend)
    ledger = Ledger(profile, backend)
    market = generate_market(seed=seed, n_assets=n_assets, n_transactions=n_transactions)
    write_market(ledger.client, market, ledger.documents)
    ledger.sync(progress=False)
    return ledger
