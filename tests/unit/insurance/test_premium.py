"""Loadings, credibility and Buhlmann estimation."""

from __future__ import annotations

import numpy as np
import pytest

from ipledger.errors import PricingError
from ipledger.insurance import buhlmann_parameters, credibility, experience_rate, gross_premium


def test_gross_premium_formula() -> None:
    assert gross_premium(700.0) == 700.0
    g = gross_premium(700.0, fixed_expense=100.0, variable_expense_ratio=0.15, profit_ratio=0.05)
    assert g == pytest.approx(1000.0)
    # The loadings are shares of the gross premium.
    assert g - 0.15 * g - 0.05 * g - 100.0 == pytest.approx(700.0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"pure_premium": -1.0},
        {"pure_premium": float("inf")},
        {"pure_premium": 1.0, "fixed_expense": -1.0},
        {"pure_premium": 1.0, "variable_expense_ratio": 0.7, "profit_ratio": 0.3},
    ],
)
def test_gross_premium_rejects(kwargs: dict[str, float]) -> None:
    pure = kwargs.pop("pure_premium")
    with pytest.raises(PricingError):
        gross_premium(pure, **kwargs)


def test_credibility() -> None:
    assert credibility(10, 40.0, 4.0) == pytest.approx(0.5)  # k = 10
    assert credibility(0, 1.0, 1.0) == 0.0
    assert credibility(5, 1.0, 0.0) == 0.0
    assert credibility(5, 0.0, 1.0) == 1.0
    zs = [credibility(n, 3.0, 1.0) for n in (1, 10, 100, 1000)]
    assert zs == sorted(zs) and zs[-1] < 1.0
    with pytest.raises(PricingError):
        credibility(-1, 1.0, 1.0)
    blended, z = experience_rate(100.0, 300.0, 10, 40.0, 4.0)
    assert z == pytest.approx(0.5) and blended == pytest.approx(200.0)


def test_buhlmann_parameters_recover_a_simulated_model() -> None:
    rng = np.random.default_rng(0)
    means = rng.normal(100.0, 10.0, size=4000)  # VHM = 100
    data = rng.normal(means[:, None], 30.0, size=(4000, 8))  # EPV = 900
    m, epv, vhm = buhlmann_parameters(data)
    assert m == pytest.approx(100.0, rel=0.01)
    assert epv == pytest.approx(900.0, rel=0.05)
    assert vhm == pytest.approx(100.0, rel=0.2)
    with pytest.raises(PricingError):
        buhlmann_parameters(np.ones(3))
