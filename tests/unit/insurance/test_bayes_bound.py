"""The reference bound: Poisson counts with a lognormal prior, posterior on a grid."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from ipledger.errors import PricingError
from ipledger.insurance import bayes_bound as bb
from ipledger.insurance import experience
from ipledger.insurance.validation import Scenario, bayes_bound_premium, bound_evidence, run


def test_posterior_mean_against_closed_forms() -> None:
    # No exposure: the likelihood is theta^N, so E[theta^(N+1)] / E[theta^N] under
    # log theta ~ N(0, s^2) is exp((2N + 1) s^2 / 2): the prior mean for N = 0.
    mean = bb.posterior_mean(np.array([0.0, 2.0]), np.zeros(2), 0.5)
    assert mean == pytest.approx([math.exp(0.125), math.exp(0.625)], rel=1e-6)
    # 20 claims on 15 expected: the gamma prior with the lognormal's mean and variance is
    # conjugate, posterior mean (a + N) / (b + E) = 1.299; the lognormal's thinner left tail
    # leaves the exact figure 2% lower.
    m, v = math.exp(0.125), math.exp(0.25) * (math.exp(0.25) - 1)
    a, b = m * m / v, m / v
    exact = float(bb.posterior_mean(np.array([20.0]), np.array([15.0]), 0.5)[0])
    assert exact == pytest.approx((a + 20) / (b + 15), rel=0.03)
    assert exact < (a + 20) / (b + 15)
    # Much data: the posterior mean goes to the observed ratio.
    assert bb.posterior_mean(np.array([4000.0]), np.array([2000.0]), 0.5)[0] == pytest.approx(2.0, rel=0.01)


def test_best_within_is_the_prior_window_with_no_data() -> None:
    # Prior only: the window [c + log 0.85, c + log 1.15] of a centred normal holds most mass
    # when centred on 0, i.e. c = -(log 0.85 + log 1.15) / 2.
    est, p = bb.best_within(np.zeros(1), np.zeros(1), 0.5, 0.15)
    c = -(math.log(0.85) + math.log(1.15)) / 2
    assert est[0] == pytest.approx(math.exp(c), rel=0.02)
    assert p[0] == pytest.approx(norm.cdf((c + math.log(1.15)) / 0.5) - norm.cdf((c + math.log(0.85)) / 0.5), abs=1e-3)
    with pytest.raises(PricingError):
        bb.posterior_mean(np.ones(1), np.ones(1), 0.0)


def test_the_bound_improves_with_volume() -> None:
    sizes = bb.share_within_by_volume(np.full(9, 15.0), 0.5, (1.0, 30.0), draws=60, seed=1)
    assert sizes[1.0]["p_best"] < 0.05 < 0.5 < sizes[30.0]["p_best"]


def test_the_bound_sees_the_experience_ratings_own_evidence() -> None:
    r = run(Scenario("fields_off", field_sd=0.5), n=3_000, years=3, seed=4)
    assert "bayes_bound" in r and len(r["bayes_bound"]["evidence"]) == len(r["refits"]) == 2
    for ev, fit in zip(r["bayes_bound"]["evidence"], r["refits"], strict=True):
        # Fields sorted: the bound's claims are the ones the refit counted for its relativities.
        assert ev["claims"] == [fit["field_claims"][f] for f in sorted(fit["field_claims"])]
    assert len(r["bayes_bound"]["p_all_within_15pct_best"]) == 3
    assert "bayes_bound" not in run(Scenario("none"), n=500, years=2, seed=0)


def test_bound_premium_prices_fields_at_the_posterior_mean() -> None:
    rng = np.random.default_rng(2)
    n = 6_000
    attrs = pd.DataFrame({"field": rng.choice(["a", "b", "c"], size=n), "firm": "sme", "stage": "mature", "export": ""})
    freq = np.full(n, 0.05)
    true = freq * np.where(attrs["field"] == "c", 2.0, 1.0)
    pol = np.repeat(np.arange(n), rng.poisson(true * 3))
    claims = pd.DataFrame({"pol": pol, "acc": 1, "lag": 0, "ult": 100.0, "reserve": 100.0, "event": False})
    fit = experience.refit(attrs, freq, np.full(n, 100.0), freq * 100.0 / 0.7, claims, 3)
    fidx = pd.factorize(attrs["field"], sort=True)[0]
    obs, expected = bound_evidence(fit, fidx, 3, freq)
    # Same counts as the refit's field levels, same exposure (its Cape Cod share) at the manual.
    assert obs.tolist() == [fit.levels["field"][f][0] for f in "abc"]
    assert expected == pytest.approx([freq[fidx == j].sum() * fit.count_share for j in range(3)])
    prem = bayes_bound_premium(fit, attrs, freq, freq * 100.0 / 0.7, fidx, obs, expected, 0.5)
    theta = bb.posterior_mean(obs, expected, 0.5)
    ratio = prem / (freq * 100.0 / 0.7) / fit.severity_factor
    assert ratio == pytest.approx(theta[fidx], rel=1e-9)
    assert theta[2] / theta[0] == pytest.approx(2.0, rel=0.25)
