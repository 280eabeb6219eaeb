"""Blending the model with simple estimators (Bates-Granger) and adaptive conformal intervals."""

from __future__ import annotations

import numpy as np
import pytest

from ipledger.errors import ValuationError
from ipledger.valuation.adaptive import AdaptiveConformal
from ipledger.valuation.blend import apply_blend, combination_weights, fit_blend, patterns
from ipledger.valuation.market_model import MarketModel


def test_inverse_variance_weights_for_independent_errors() -> None:
    """Errors of sd 1 and 2, independent: weights 1/1 : 1/4 = 0.8 : 0.2."""
    rng = np.random.default_rng(0)
    e = np.column_stack([rng.normal(0, 1, 20_000), rng.normal(0, 2, 20_000)])
    assert combination_weights(e) == pytest.approx([0.8, 0.2], abs=0.02)


def test_negative_weight_is_dropped() -> None:
    """A second estimator that is the first plus more noise adds nothing: weight 0, not < 0."""
    rng = np.random.default_rng(1)
    a = rng.normal(0, 1, 5000)
    e = np.column_stack([a, 1.5 * a + rng.normal(0, 0.1, 5000)])
    w = combination_weights(e)
    assert w.tolist() == pytest.approx([1.0, 0.0])


def test_fit_and_apply_blend_by_pattern() -> None:
    rng = np.random.default_rng(2)
    n = 4000
    truth = rng.normal(0, 1, n)
    pred = truth + rng.normal(0, 0.4, n)
    own = truth + rng.normal(0, 0.4, n)
    own[: n // 2] = np.nan  # half the rows have no earlier sale
    comps = own[:, None]
    assert set(patterns(comps).tolist()) == {0, 1}
    w = fit_blend(pred, truth, comps)
    assert set(w) == {1}  # the pattern without the estimator keeps the model alone
    assert w[1] == pytest.approx([0.5, 0.5], abs=0.05)
    out = apply_blend(pred, comps, w)
    assert np.array_equal(out[: n // 2], pred[: n // 2])
    has = slice(n // 2, n)
    assert np.mean(np.abs(out[has] - truth[has])) < 0.8 * np.mean(np.abs(pred[has] - truth[has]))
    # too few rows: no weights
    assert fit_blend(pred[:40], truth[:40], comps[:40]) == {}


def _data(n: int, seed: int, sd: float = 0.3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, n)
    own = np.where(rng.random(n) < 0.5, np.nan, x + rng.normal(0, sd, n))
    X = np.column_stack([x, own])
    y = x + rng.normal(0, sd, n)
    t = np.sort(rng.uniform(0, 5, n))
    return X, y, t


def test_model_with_blend_and_cross_fitted_scores() -> None:
    X, y, t = _data(3000, 3)
    m = MarketModel(max_iter=60, blend_features=(1,), mondrian_features=(1,), random_state=0).fit(X, y, sample_time=t)
    assert m.blend_weights_ and all(abs(w.sum() - 1) < 1e-9 for w in m.blend_weights_.values())
    Xt, yt, _ = _data(3000, 4)
    lo, hi = m.predict_interval(Xt, 0.8)
    cover = float(np.mean((yt >= lo) & (yt <= hi)))
    assert 0.74 <= cover <= 0.88
    # the blend moves predictions only where the estimator is known
    raw = m.trees_.predict(Xt)
    known = np.isfinite(Xt[:, 1])
    assert np.allclose(m.predict(Xt)[~known], raw[~known])
    assert not np.allclose(m.predict(Xt)[known], raw[known])


def test_mondrian_small_group_falls_back_to_coarser_group() -> None:
    rng = np.random.default_rng(5)
    n = 3000
    X = rng.normal(size=(n, 3))
    X[rng.random(n) < 0.4, 1] = np.nan
    X[:30, 2] = np.nan  # a tiny group
    X[:30, 1] = np.nan
    y = X[:, 0] + rng.normal(0, 0.3, n)
    m = MarketModel(max_iter=20, mondrian_features=(1, 2), random_state=0).fit(X, y, sample_time=np.arange(n) / 600)
    small, coarse = m.group_scores_[3], m.group_scores_[1]
    assert np.array_equal(small[0], coarse[0])


def test_adaptive_intervals_recover_coverage_after_a_shift() -> None:
    X, y, t = _data(4000, 6)
    m = MarketModel(max_iter=40, mondrian_features=(1,), random_state=0).fit(X, y, sample_time=t)
    Xs, ys, ts = _data(3000, 7, sd=0.6)  # the noise doubles after the cutoff
    ts = 5.0 + ts / 5.0  # one year of sales after the fit
    aci = AdaptiveConformal(m, start=5.0, coverages=(0.8, 0.9))
    widths = aci.run(Xs, ys, ts)
    resid = np.abs(ys - m.predict(Xs))
    static = float(np.mean(resid <= m.conformal_width(0.8, Xs)))
    online = float(np.mean(resid <= widths[0.8]))
    assert static < 0.6
    assert abs(online - 0.8) < 0.05
    assert abs(float(np.mean(resid <= widths[0.9])) - 0.9) < 0.05


def test_adaptive_widths_use_only_earlier_dates() -> None:
    X, y, t = _data(2000, 8)
    m = MarketModel(max_iter=20, random_state=0).fit(X, y, sample_time=t)
    Xs, ys, _ = _data(300, 9)
    ts = np.repeat(np.arange(30.0), 10) / 30 + 5
    a = AdaptiveConformal(m, 5.0).run(Xs, ys, ts)
    changed = ys.copy()
    changed[ts >= ts[150]] += 5.0  # later prices change: earlier widths and that date's do not
    b = AdaptiveConformal(m, 5.0).run(Xs, changed, ts)
    upto = ts <= ts[150]
    assert np.array_equal(a[0.8][upto], b[0.8][upto])
    assert not np.array_equal(a[0.8], b[0.8])


def test_adaptive_errors() -> None:
    with pytest.raises(ValuationError):
        AdaptiveConformal(MarketModel(), 0.0)
    X, y, t = _data(500, 10)
    m = MarketModel(max_iter=10, random_state=0).fit(X, y, sample_time=t)
    with pytest.raises(ValuationError):
        AdaptiveConformal(m, 0.0, coverages=(1.2,))
    aci = AdaptiveConformal(m, 0.0)
    with pytest.raises(ValuationError):
        aci.widths(X[:3], 1.0, 0.5)
    with pytest.raises(ValuationError):
        aci.run(X[:3], y[:2], t[:3])


def test_blend_weights_by_age_band() -> None:
    """The last sale's error grows with its age: an old sale gets less weight than a recent one,
    and a band without enough rows uses its pattern's weights over all ages."""
    rng = np.random.default_rng(11)
    n = 6000
    truth = rng.normal(0, 1, n)
    pred = truth + rng.normal(0, 0.4, n)
    age = rng.uniform(0, 6, n)
    own = truth + rng.normal(0, 1, n) * (0.1 + 0.15 * age)  # error sd grows with the age
    comps = own[:, None]
    w = fit_blend(pred, truth, comps, age)
    recent, old = w[1 + (1 << 1)], w[1 + (3 << 1)]  # band 0 (< 1 year) and band 2 (>= 3 years)
    assert recent[1] > 0.6 and old[1] < 0.3
    out = apply_blend(pred, comps, w, age)
    pooled = apply_blend(pred, comps, {1: w[1]})
    assert np.median(np.abs(out - truth)) < np.median(np.abs(pooled - truth))
    # only the pooled weights: every band falls back to them
    assert np.array_equal(apply_blend(pred, comps, {1: w[1]}, age), pooled)


def test_dtaci_step_by_hand() -> None:
    # Two steps, coverage 0.8 (alpha 0.2). A sale covered down to level beta = 0.5: no step's
    # level exceeds it, so each moves up by gamma * 0.2, and their pinball losses are equal
    # (0.2 * 0.3), so the probabilities stay even.
    X, y, t = _data(500, 11)
    m = MarketModel(max_iter=10, random_state=0).fit(X, y, sample_time=t)
    aci = AdaptiveConformal(m, 0.0, coverages=(0.8,))
    aci.gammas = np.array([0.01, 0.1])
    aci._step(0, 0.8, 0.5)
    assert np.allclose(aci._experts[(0, 0.8)], [0.2 + 0.01 * 0.2, 0.2 + 0.1 * 0.2])
    assert np.allclose(aci._probs[(0, 0.8)], [0.5, 0.5])
    # Then a sale covered only down to beta = 0.05: both levels exceed it (a miss for each), the
    # losses are 0.8 * (alpha_i - 0.05) and the step with the lower level gains weight.
    a = aci._experts[(0, 0.8)].copy()
    aci._step(0, 0.8, 0.05)
    assert np.allclose(aci._experts[(0, 0.8)], a + np.array([0.01, 0.1]) * (0.2 - 1.0))
    w = 0.5 * np.exp(-2.72 * 0.8 * (a - 0.05))
    w = (1 - 1e-3) * w / w.sum() + 1e-3 / 2
    assert np.allclose(aci._probs[(0, 0.8)], w / w.sum())
    assert aci.alpha(0, 0.8) == pytest.approx(float(aci._probs[(0, 0.8)] @ aci._experts[(0, 0.8)]))


def test_dtaci_catches_up_with_a_shift_that_a_small_fixed_step_misses() -> None:
    # Few sales after the cutoff (200) and the noise trebles: the rolling scores alone cannot
    # catch up, ACI with the paper's 0.005 step moves too slowly, the tuned step is not told.
    X, y, t = _data(4000, 12)
    m = MarketModel(max_iter=40, random_state=0).fit(X, y, sample_time=t)
    Xs, ys, ts = _data(200, 13, sd=0.9)
    ts = 5.0 + ts / 5.0
    resid = np.abs(ys - m.predict(Xs))
    static = float(np.mean(resid <= m.conformal_width(0.8, Xs)))
    fixed = float(np.mean(resid <= AdaptiveConformal(m, 5.0, (0.8,), gamma=0.005).run(Xs, ys, ts)[0.8]))
    tuned = float(np.mean(resid <= AdaptiveConformal(m, 5.0, (0.8,)).run(Xs, ys, ts)[0.8]))
    assert static < 0.4
    assert fixed < 0.76
    assert abs(tuned - 0.8) < abs(fixed - 0.8) - 0.02
    assert abs(tuned - 0.8) < 0.04
