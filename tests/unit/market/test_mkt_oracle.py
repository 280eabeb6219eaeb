"""The Bayes oracle of a generated market: its truth is the price process's, its posterior is
Bayes' rule, and its values sit between knowing the latent effects and knowing nothing."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ipledger.errors import ValidationError
from ipledger.sources.generator import Market, generate_market
from ipledger.sources.oracle import STEP, _choose, _Grid, oracle_values, predictive
from ipledger.sources.scenarios import Scenario

_DAY = np.timedelta64(1, "D")


def _mean_sd(x: np.ndarray, mass: np.ndarray) -> tuple[float, float]:
    mean = float((x * mass).sum())
    return mean, math.sqrt(float(((x - mean) ** 2 * mass).sum()))


def test_posterior_is_the_conjugate_normal_one_without_tails_outliers_or_walk() -> None:
    # Quality ~ N(0, 0.75^2) (Student-t with huge df), noise N(0, 0.3^2), no outliers, no walk:
    # after observations o_k the latent mean is (sum o / s^2) / (1 / t^2 + n / s^2), and the
    # predictive sd is sqrt(posterior var + s^2).
    sc = Scenario("normal", tail_df=1e6, quality_sd=0.75, noise_sd=0.3, outlier_share=0.0)
    grid = _Grid.build(sc)
    t0 = np.datetime64("2020-01-01")
    obs = [(0.9, False, t0 + 30 * _DAY), (0.5, False, t0 + 400 * _DAY), (1.1, False, t0 + 800 * _DAY)]
    mass = predictive(sc, grid, obs, t0, t0 + 1000 * _DAY, False)
    prec = 1 / 0.75**2 + 3 / 0.3**2
    mean, sd = _mean_sd(grid.x, mass)
    assert mean == pytest.approx(sum(o for o, _, _ in obs) / 0.3**2 / prec, abs=2e-3)
    assert sd == pytest.approx(math.sqrt(1 / prec + 0.3**2), abs=2e-3)
    # first sale: the prior plus the noise
    mean0, sd0 = _mean_sd(grid.x, predictive(sc, grid, [], t0, t0 + _DAY, False))
    assert mean0 == pytest.approx(0.0, abs=1e-3)
    assert sd0 == pytest.approx(math.sqrt(0.75**2 + 0.3**2), abs=2e-3)


def test_random_walk_widens_the_predictive_by_its_variance_over_time() -> None:
    sc = Scenario("walk", tail_df=1e6, quality_sd=0.5, noise_sd=0.3, outlier_share=0.0, drift_sd=0.25)
    grid = _Grid.build(sc)
    t0 = np.datetime64("2020-01-01")
    four_years = t0 + int(4 * 365.25) * _DAY
    _, sd = _mean_sd(grid.x, predictive(sc, grid, [], t0, four_years, False))
    # quality, four years of walk and the noise add up in variance
    assert sd == pytest.approx(math.sqrt(0.5**2 + 0.25**2 * 4 + 0.3**2), abs=3e-3)


def test_choices_hit_the_closed_forms_for_a_lognormal_price() -> None:
    x = np.arange(-6, 6 + STEP / 2, STEP)
    mu, s = 0.4, 0.5
    mass = np.exp(-0.5 * ((x - mu) / s) ** 2)
    mass /= mass.sum()
    # the 1/price-weighted median of a lognormal is exp(mu - s^2)
    assert _choose(x, mass, None) == pytest.approx(mu - s**2, abs=STEP)
    # the window of relative error m holding most mass: [c - log(1+m), c - log(1-m)] centred on mu
    m = 0.3
    c = _choose(x, mass, m)
    lo, hi = c - math.log(1 + m), c - math.log(1 - m)
    assert (lo + hi) / 2 == pytest.approx(mu, abs=STEP)


def test_truth_splits_every_price_into_known_latent_walk_and_noise() -> None:
    m = generate_market(seed=7, n_assets=600, n_transactions=3000, scenario="omitted_driver")
    assert m.truth is not None
    tx = m.transactions
    apos = pd.Series(np.arange(len(m.assets)), index=m.assets["asset_id"])
    latent = m.truth.latent[apos[tx["asset_id"]].to_numpy()]
    sale = tx["kind"].isin(["assignment", "auction"]).to_numpy()
    noise = np.log(tx["amount"].to_numpy()[sale]) - m.truth.known[sale] - latent[sale] - m.truth.walk[sale]
    # what is left is the price noise: centred, sd 0.3 at its core (5% outliers of sd 1)
    assert abs(float(np.median(noise))) < 0.03
    assert 1.4826 * float(np.median(np.abs(noise - np.median(noise)))) == pytest.approx(0.3, abs=0.04)
    assert np.isnan(m.truth.known[(tx["kind"] == "pledge").to_numpy()]).all()


def test_oracle_sits_between_knowing_the_latent_effects_and_the_prior_alone() -> None:
    m = generate_market(seed=3, n_assets=800, n_transactions=8000, scenario="base")
    assert m.truth is not None
    tx = m.transactions
    test = tx[(tx["kind"] == "assignment") & (tx["date"] >= "2023-01-01")].sample(200, random_state=1)
    price = test["amount"].to_numpy()
    oracle = float(np.median(np.abs(oracle_values(m, test) / price - 1)))
    rows = tx.index.get_indexer(test.index)
    apos = pd.Series(np.arange(len(m.assets)), index=m.assets["asset_id"])
    latent = m.truth.latent[apos[test["asset_id"]].to_numpy()]
    knowing = float(np.median(np.abs(np.exp(m.truth.known[rows] + latent) / price - 1)))
    prior_only = float(np.median(np.abs(np.exp(m.truth.known[rows]) / price - 1)))
    assert knowing < oracle < prior_only


def test_a_market_without_truth_is_refused_with_a_domain_error() -> None:
    m = generate_market(seed=1, n_assets=50, n_transactions=200)
    bare = Market(m.assets, m.transactions, m.documents, m.price_index, m.currency)
    with pytest.raises(ValidationError, match="no truth"):
        oracle_values(bare, m.transactions.head(3))
