"""IP valuation: market, income and cost approaches, reconciliation, damages and reports.

Money is in major currency units (floats), rates are fractions (0.25 means 25%), time in years.
``MarketModel`` and ``market_approach`` live in :mod:`ipledger.valuation.market` and are loaded
on first use.
"""

from __future__ import annotations

from typing import Any

from ipledger.valuation.cost import cost_value, depreciation_rate, rd_replacement_cost
from ipledger.valuation.damages import BaseChoice, DamagesBasis, choose_damages_base, damages, statutory_damages
from ipledger.valuation.income import (
    income_value,
    profit_split_share,
    profit_split_to_royalty,
    relief_from_royalty,
    royalty_to_profit_split,
    tab_factor,
)
from ipledger.valuation.reconcile import Reconciled, reconcile
from ipledger.valuation.result import Valuation
from ipledger.valuation.types import MethodResult
from ipledger.valuation.value import value_asset

__all__ = [
    "BaseChoice",
    "DamagesBasis",
    "MarketModel",
    "MethodResult",
    "Reconciled",
    "Valuation",
    "choose_damages_base",
    "cost_value",
    "damages",
    "depreciation_rate",
    "income_value",
    "market_approach",
    "profit_split_share",
    "profit_split_to_royalty",
    "rd_replacement_cost",
    "reconcile",
    "relief_from_royalty",
    "royalty_to_profit_split",
    "statutory_damages",
    "tab_factor",
    "value_asset",
    "value_assets",
]

_LAZY = {
    "MarketModel": "ipledger.valuation.market",
    "market_approach": "ipledger.valuation.market",
    "value_assets": "ipledger.valuation.batch",
}


def __getattr__(name: str) -> Any:
    # The market module pulls in scikit-learn: load it on demand.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
