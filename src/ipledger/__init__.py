"""ipledger: a blockchain-backed IP valuation ledger.

The public surface for insurers and valuers::

    import ipledger
    ledger = ipledger.Ledger.open("local")
    valuation = ipledger.value_asset(ledger, asset_id)
    q = ipledger.quote(valuation, "enforcement", risk_profile)
    report = ipledger.audit_ledger(ledger)
"""

from __future__ import annotations

from typing import Any

from ipledger.errors import (
    ChainError,
    ConfigError,
    ContractRevert,
    IPLedgerError,
    LedgerError,
    PricingError,
    ProvenanceError,
    ValidationError,
    ValuationError,
)

__version__ = "0.1.0"
__all__ = [
    "ChainError",
    "ConfigError",
    "ContractRevert",
    "IPLedgerError",
    "Ledger",
    "LedgerError",
    "PricingError",
    "ProvenanceError",
    "ValidationError",
    "ValuationError",
    "audit_ledger",
    "quote",
    "value_asset",
]

_LAZY = {
    "Ledger": ("ipledger.ledger", "Ledger"),
    "value_asset": ("ipledger.valuation", "value_asset"),
    "quote": ("ipledger.insurance", "quote"),
    "audit_ledger": ("ipledger.audit", "audit_ledger"),
}


def __getattr__(name: str) -> Any:
    # Heavy subpackages (pandas, scikit-learn, py-evm) load on first use, so `ipledger --help`
    # stays fast.
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(name)
