"""Fixtures of the market-approach tests: generated markets (session scope: they are costly)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from ipledger.sources.generator import Market, generate_market
from ipledger.valuation.market import MarketContext, build_context

ROOT = Path(__file__).resolve().parents[3]
SHARED_DATA = Path(os.environ.get("IPLEDGER_SHARED_DATA", ROOT.parent / "shared" / "data"))
CUTOFF = pd.Timestamp("2024-01-01")


@pytest.fixture(scope="session")
def market() -> Market:
    return generate_market(seed=11, n_assets=1500, n_transactions=20000)


@pytest.fixture(scope="session")
def context(market: Market) -> MarketContext:
    return build_context(market.assets, market.transactions, CUTOFF)


@pytest.fixture(scope="session")
def cuad_csv() -> Path:
    path = SHARED_DATA / "licences" / "cuad_master_clauses.csv"
    if not path.is_file():
        pytest.skip("shared CUAD data not present (set IPLEDGER_SHARED_DATA)")
    return path
