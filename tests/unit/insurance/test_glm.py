"""Claims GLMs: estimator behaviour on synthetic data; a smoke test on a freMTPL2 sample."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from ipledger.errors import PricingError
from ipledger.insurance import glm
from ipledger.insurance.calibration import shared_data_dir


def _synthetic(n: int = 20_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    exposure = rng.uniform(0.2, 1.0, size=n)
    lam = np.exp(-2.0 + 0.6 * X[:, 0])
    counts = rng.poisson(lam * exposure)
    sev = np.exp(7.0 + 0.3 * X[:, 1])
    amount = np.array([rng.gamma(2.0, s / 2.0, size=c).sum() for c, s in zip(counts, sev, strict=True)])
    return X, amount / exposure, exposure, counts


def test_estimators_rank_synthetic_risk() -> None:
    X, y, w, n = _synthetic()
    fs = glm.FrequencySeverityGLM(sev_alpha=1e-6, solver="newton-cholesky").fit(X, y, w, claim_number=n)
    assert fs.frequency_.coef_[0] == pytest.approx(0.6, abs=0.08)
    assert fs.severity_.coef_[1] == pytest.approx(0.3, abs=0.1)
    tw = glm.TweediePurePremiumGLM(solver="newton-cholesky").fit(X, y, w)
    for model in (fs, tw):
        pred = model.predict(X)
        assert pred.shape == y.shape and (pred > 0).all()
        assert glm.gini(y, pred, w) > 0.15
    assert glm.gini(y, np.ones_like(y), w) == pytest.approx(0.0, abs=0.02)
    m = glm.pure_premium_metrics(y, tw.predict(X), w)
    assert {"gini", "d2_tweedie_1.9", "tweedie_dev_1.9"} <= set(m)


def test_estimators_check_inputs() -> None:
    with pytest.raises(NotFittedError):
        glm.TweediePurePremiumGLM().predict(np.zeros((2, 3)))
    with pytest.raises(NotFittedError):
        glm.FrequencySeverityGLM().predict(np.zeros((2, 3)))
    with pytest.raises(PricingError):
        glm.FrequencySeverityGLM().fit(np.zeros((3, 1)), np.zeros(3), np.ones(3), claim_number=np.zeros(3))
    with pytest.raises(PricingError):
        glm.FrequencySeverityGLM().fit(np.zeros((3, 1)), -np.ones(3), np.ones(3), claim_number=np.zeros(3))


def test_lorenz_curve_ends() -> None:
    x, c = glm.lorenz_curve([0, 1, 3], [0.1, 0.2, 0.3], [1, 1, 1])
    assert x[0] == 0 and x[-1] == 1 and c[-1] == pytest.approx(1.0)


@pytest.mark.skipif(shared_data_dir() is None, reason="shared data folder not found")
def test_fremtpl2_sample_smoke() -> None:
    data = shared_data_dir()
    assert data is not None
    df = glm.load_fremtpl2(data).sample(60_000, random_state=0)
    # The example's current settings (Newton solver, alpha=1e-4 on frequency) keep this fast;
    # the benchmark runs the full data with the original lbfgs settings.
    r = glm.evaluate_fremtpl2(
        df,
        glm.fremtpl2_transformer(),
        freq_sev=glm.FrequencySeverityGLM(freq_alpha=1e-4, solver="newton-cholesky"),
        tweedie=glm.TweediePurePremiumGLM(solver="newton-cholesky"),
    )
    assert 0.1 < r["tweedie_gini"] < 0.5
    assert 0.1 < r["freq_sev_gini"] < 0.5
    assert r["freq_poisson_dev"] > 0
