"""Premium: loadings on the pure premium, the minimum premium and Buhlmann credibility."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ipledger.errors import PricingError


@dataclass(frozen=True)
class Loadings:
    """Expense, risk and profit loadings (amounts in major units, ratios as fractions of the
    gross premium unless stated).

    Defaults are assumptions typical of Chinese non-motor property-casualty lines: 25% variable
    expenses (commission, tax, admin), 200 CNY fixed cost per policy and a 500 CNY minimum
    premium. The margin is a cost-of-capital risk load instead of a flat profit share (decision
    record 0053): ``cost_of_capital`` (10% a year, assumption: a P&C insurer's hurdle rate; the
    Solvency II risk margin uses 6%) on the capital a policy needs, ``capital_ratio`` times its
    expected loss. ``capital_ratio`` is TVaR 99% minus the mean of the simulated annual claims
    of the reference book (:func:`ipledger.insurance.book.synthetic_book`, 10,000 pilot
    policies, parameter uncertainty and campaigns of :class:`ipledger.insurance.aggregate.
    Dependence`), per unit of expected claims: about 1.2 (a test recomputes it).
    """

    fixed_expense: float = 200.0
    variable_expense_ratio: float = 0.25
    profit_ratio: float = 0.0
    minimum_premium: float = 500.0
    cost_of_capital: float = 0.10
    capital_ratio: float = 1.2

    @property
    def risk_load_ratio(self) -> float:
        """Risk load per unit of pure premium: cost of capital x capital per expected loss."""
        return self.cost_of_capital * self.capital_ratio

    @property
    def target_loss_ratio(self) -> float:
        """Expected claims over gross premium when there is no fixed expense or minimum."""
        return (1.0 - self.variable_expense_ratio - self.profit_ratio) / (1.0 + self.risk_load_ratio)


def earned_premium(written: float, term_years: float, elapsed_years: float) -> float:
    """Premium earned after ``elapsed_years`` of a term, pro rata temporis.

    A multi-year policy (the pilot's 3-year Small/micro guard) writes the whole term's premium
    at inception, but earns it as the cover runs: losses of a year are set against the premium
    earned in that year, not the premium written (the risk is taken as uniform over the term).

    Args:
        written: premium written for the whole term (major units), >= 0.
        term_years: the term, > 0.
        elapsed_years: time since inception (clipped to [0, term]).
    """
    if written < 0 or not term_years > 0:
        raise PricingError("written premium must be >= 0 and the term > 0")
    return written * min(max(elapsed_years, 0.0), term_years) / term_years


def gross_premium(
    pure_premium: float,
    *,
    fixed_expense: float = 0.0,
    variable_expense_ratio: float = 0.0,
    profit_ratio: float = 0.0,
) -> float:
    """Gross premium from the pure premium.

    ``G = (P + F) / (1 - v - q)``: the variable expenses ``v`` and the profit margin ``q`` are
    fractions of the gross premium, the fixed expense ``F`` an amount per policy.

    Args:
        pure_premium: expected claims cost (major units), >= 0.
        fixed_expense: expense per policy (major units), >= 0.
        variable_expense_ratio: fraction of the gross premium, >= 0.
        profit_ratio: fraction of the gross premium (may be negative for a subsidised line).

    Returns:
        The gross premium (major units).

    Raises:
        PricingError: on a negative pure premium or fixed expense, or ``v + q >= 1``.
    """
    if not pure_premium >= 0 or math.isinf(pure_premium):
        raise PricingError(f"pure premium must be a finite amount >= 0, got {pure_premium}")
    if fixed_expense < 0 or variable_expense_ratio < 0:
        raise PricingError("fixed expense and the variable expense ratio must be >= 0")
    if variable_expense_ratio + profit_ratio >= 1.0:
        raise PricingError(
            f"variable expense ratio {variable_expense_ratio} + profit ratio {profit_ratio} must be below 1"
        )
    return (pure_premium + fixed_expense) / (1.0 - variable_expense_ratio - profit_ratio)


def credibility(n: float, epv: float, vhm: float) -> float:
    """Buhlmann credibility factor ``Z = n / (n + k)`` with ``k = EPV / VHM``.

    Args:
        n: exposure behind the observed experience (e.g. policy-years), >= 0.
        epv: expected process variance per unit of exposure, >= 0.
        vhm: variance of the hypothetical means between risks, >= 0.

    Returns:
        Z in [0, 1]: 0 when there is no experience or no between-risk variation, 1 when the
        process variance is 0 (and n > 0).
    """
    if n < 0 or epv < 0 or vhm < 0:
        raise PricingError("credibility needs n, epv and vhm >= 0")
    if n == 0 or vhm == 0:
        return 0.0
    if epv == 0:
        return 1.0
    return n / (n + epv / vhm)


def experience_rate(manual: float, observed: float, n: float, epv: float, vhm: float) -> tuple[float, float]:
    """Blend a portfolio's observed loss cost with the manual rate.

    Returns:
        ``(Z * observed + (1 - Z) * manual, Z)``, both per unit of exposure.
    """
    z = credibility(n, epv, vhm)
    return z * observed + (1.0 - z) * manual, z


def buhlmann_parameters(claims: ArrayLike) -> tuple[float, float, float]:
    """Nonparametric Buhlmann estimates from a risks x years table of loss costs.

    Args:
        claims: 2-D array, one row per risk (or portfolio), one column per year.

    Returns:
        ``(overall mean, EPV, VHM)``; VHM is floored at 0.
    """
    x = np.asarray(claims, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 2:
        raise PricingError("Buhlmann estimation needs at least 2 risks x 2 years")
    n = x.shape[1]
    means = x.mean(axis=1)
    epv = float(x.var(axis=1, ddof=1).mean())
    vhm = float(means.var(ddof=1) - epv / n)
    return float(means.mean()), epv, max(vhm, 0.0)
