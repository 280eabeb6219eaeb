"""Multi-period excess earnings (MPEEM) with contributory asset charges.

IVS 210 (excess earnings method) and the Appraisal Foundation's *The Identification of
Contributory Assets and Calculation of Economic Rents* (VFR Advisory #1, 2010): the income of
the business that uses the IP, less a fair return on (and of) every other asset it needs, is the
IP's income. Per unit of revenue (all inputs are fractions of revenue unless named otherwise):

    EBIT margin          = EBITDA margin - depreciation (return *of* fixed assets)
    after-tax margin     = EBIT margin * (1 - t)
    - working capital    : level_wc * return_wc                  (return on; WC does not wear out)
    - fixed assets       : level_fa * return_fa                  (return on; the return of is the
                                                                   depreciation already deducted)
    - assembled workforce: level_wf * return_wf                  (return on; its cost is in EBITDA)
    - other intangibles  : royalty_oi * (1 - t)                  (a royalty: return on and of)
    = excess margin (after tax), the IP's income per unit of revenue

The asset levels are the average balances as fractions of revenue (e.g. working capital 15% of
sales); the returns are after-tax required returns on each asset class (fractions a year).
The excess margin times the revenue forecast, discounted at the IP's rate, is the value
(:mod:`ipledger.valuation.simulate` does the discounting, partial years and TAB).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ipledger.errors import ValuationError
from ipledger.valuation import _checks as chk

__all__ = ["ContributoryAssets", "excess_margin"]


@dataclass(frozen=True)
class ContributoryAssets:
    """Levels of the contributory assets (fractions of revenue) and their required returns.

    Attributes:
        working_capital: average net working capital over revenue.
        working_capital_return: after-tax return on working capital (a fraction a year).
        fixed_assets: average net fixed assets over revenue.
        fixed_assets_return: after-tax return on fixed assets.
        depreciation: depreciation over revenue (the return *of* the fixed assets), deducted
            before tax from the EBITDA margin.
        workforce: replacement cost of the assembled workforce over revenue.
        workforce_return: after-tax return on the workforce.
        other_intangibles_royalty: royalty on revenue for the other intangibles used (brand,
            software, customer relationships), pre-tax.
    """

    working_capital: float = 0.0
    working_capital_return: float = 0.0
    fixed_assets: float = 0.0
    fixed_assets_return: float = 0.0
    depreciation: float = 0.0
    workforce: float = 0.0
    workforce_return: float = 0.0
    other_intangibles_royalty: float = 0.0

    @classmethod
    def from_inputs(cls, given: dict[str, Any]) -> ContributoryAssets:
        """Build from a dict of the same names (missing ones are 0); unknown names raise."""
        unknown = sorted(set(given) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValuationError(f"unknown contributory asset inputs: {unknown}")
        return cls(**{k: chk.non_negative(k, v) for k, v in given.items()})


def excess_margin(ebitda_margin: float, tax_rate: float, assets: ContributoryAssets) -> tuple[float, dict[str, float]]:
    """The after-tax excess margin on revenue attributable to the IP, and each charge.

    Args:
        ebitda_margin: earnings before interest, tax, depreciation and amortisation of the
            subject IP, over revenue (a fraction in [0, 1]).
        tax_rate: income tax rate, a fraction in [0, 1).
        assets: the contributory assets.

    Returns:
        ``(margin, charges)``; charges (fractions of revenue, after tax) by name:
        ``after_tax_ebit``, ``working_capital``, ``fixed_assets``, ``workforce``,
        ``other_intangibles``.

    Raises:
        ValuationError: inputs out of range, or charges exceeding the margin (no excess
            earnings: the IP earns nothing beyond a fair return on the other assets).
    """
    m = chk.fraction("ebitda_margin", ebitda_margin)
    t = chk.fraction("tax_rate", tax_rate, upper_open=True)
    for name, value in asdict(assets).items():
        chk.non_negative(name, value)
    ebit = m - assets.depreciation
    charges = {
        "after_tax_ebit": ebit * (1.0 - t),
        "working_capital": assets.working_capital * assets.working_capital_return,
        "fixed_assets": assets.fixed_assets * assets.fixed_assets_return,
        "workforce": assets.workforce * assets.workforce_return,
        "other_intangibles": assets.other_intangibles_royalty * (1.0 - t),
    }
    margin = charges["after_tax_ebit"] - sum(v for k, v in charges.items() if k != "after_tax_ebit")
    if margin <= 0:
        raise ValuationError(
            f"no excess earnings: contributory asset charges exceed the after-tax margin ({margin:.4f} of revenue)"
        )
    return margin, charges
