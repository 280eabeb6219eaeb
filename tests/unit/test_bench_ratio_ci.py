"""The backtest's bootstrap interval of the MdAPE ratio covers the truth and narrows with data."""

from __future__ import annotations

import numpy as np
from benchmarks.valuation import _ratio_ci


def _values(rng: np.random.Generator, n: int, sd: float) -> tuple[np.ndarray, np.ndarray]:
    price = np.exp(rng.normal(10.0, 1.0, n))
    return price, price * np.exp(rng.normal(0.0, sd, n))


def test_interval_holds_the_ratio_of_two_error_scales() -> None:
    rng = np.random.default_rng(0)
    price, model = _values(rng, 3000, 0.2)
    baseline = price * np.exp(rng.normal(0.0, 0.4, 3000))
    lo, hi = _ratio_ci(model, baseline, price, seed=1)
    # MdAPE of lognormal errors: about 0.135 at sd 0.2 and 0.27 at sd 0.4, a ratio near 0.5
    assert lo < 0.5 < hi and hi - lo < 0.12
    same_lo, same_hi = _ratio_ci(baseline, baseline, price, seed=1)
    assert same_lo == same_hi == 1.0


def test_interval_widens_on_a_thin_sample_and_skips_missing_values() -> None:
    rng = np.random.default_rng(2)
    price, model = _values(rng, 4000, 0.3)
    baseline = price * np.exp(rng.normal(0.0, 0.3, 4000))
    wide = _ratio_ci(model[:100], baseline[:100], price[:100], seed=3)
    narrow = _ratio_ci(model, baseline, price, seed=3)
    assert wide[1] - wide[0] > 3 * (narrow[1] - narrow[0])
    baseline[:2000] = np.nan  # a baseline with no value is left out, not counted as an error
    half = _ratio_ci(model, baseline, price, seed=3)
    assert half[0] < 1.0 < half[1]
