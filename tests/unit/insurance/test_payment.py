"""Expected payment: exact limited expected values vs simulation, terms and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from ipledger.errors import PricingError
from ipledger.insurance import expected_payment, limited_expected_value
from ipledger.insurance.payment import gamma_lev, lognormal_lev

DISTS = [
    stats.lognorm(1.2, scale=100_000),
    stats.gamma(2.0, scale=50_000),
    stats.weibull_min(0.8, scale=80_000),
    stats.pareto(3.0, scale=20_000),
]
TERMS = [
    {},
    {"deductible": 10_000},
    {"coinsurance": 0.2},
    {"limit": 150_000},
    {"deductible": 5_000, "coinsurance": 0.25, "limit": 100_000},
]


@pytest.mark.parametrize("dist", DISTS, ids=lambda d: d.dist.name)
@pytest.mark.parametrize("terms", TERMS, ids=str)
def test_exact_matches_simulation(dist: object, terms: dict[str, float]) -> None:
    sample = dist.rvs(400_000, random_state=1)  # type: ignore[attr-defined]
    exact = expected_payment(dist, **terms)
    sim = expected_payment(sample, **terms)
    assert sim == pytest.approx(exact, rel=0.03)


@pytest.mark.parametrize("u", [0.0, 1.0, 5e4, 1e5, 1e6, math.inf])
def test_closed_forms_match_integration(u: float) -> None:
    ln = stats.lognorm(0.9, scale=60_000)
    g = stats.gamma(1.7, scale=30_000)
    for dist, closed in ((ln, lognormal_lev(u, math.log(60_000), 0.9)), (g, gamma_lev(u, 1.7, 30_000))):
        ref = dist.mean() if math.isinf(u) else integrate.quad(dist.sf, 0, u, limit=200)[0]
        assert float(closed) == pytest.approx(ref, rel=1e-6, abs=1e-6)
        assert limited_expected_value(dist, u) == pytest.approx(ref, rel=1e-6, abs=1e-6)


def test_coinsurance_applies_before_the_limit() -> None:
    x = np.array([100.0])
    assert expected_payment(x, coinsurance=0.2, limit=50) == 50.0  # min(0.8 * 100, 50), not 0.8 * 50
    assert expected_payment(x, coinsurance=0.2, limit=90) == 80.0
    assert expected_payment(x, deductible=20, coinsurance=0.5) == 40.0
    d = stats.uniform(0, 100)
    # E[min(0.8 X, 50)] for X ~ U(0,100): payment caps when X > 62.5
    assert expected_payment(d, coinsurance=0.2, limit=50) == pytest.approx(
        integrate.quad(lambda t: min(0.8 * t, 50) / 100, 0, 100)[0], rel=1e-6
    )


def test_trivial_terms() -> None:
    d = stats.lognorm(1.0, scale=1.0)
    assert expected_payment(d) == pytest.approx(d.mean())
    assert expected_payment(d, limit=0.0) == 0.0
    assert expected_payment(np.zeros(5)) == 0.0


@pytest.mark.parametrize(
    "kwargs",
    [{"deductible": -1}, {"coinsurance": 1.0}, {"coinsurance": -0.1}, {"limit": -5}],
)
def test_invalid_terms(kwargs: dict[str, float]) -> None:
    with pytest.raises(PricingError):
        expected_payment(stats.lognorm(1.0), **kwargs)


def test_invalid_samples() -> None:
    for bad in (np.array([-1.0]), np.array([np.nan]), np.array([]), np.ones((2, 2))):
        with pytest.raises(PricingError):
            expected_payment(bad)
    with pytest.raises(PricingError):
        expected_payment(stats.norm(0, 1))
