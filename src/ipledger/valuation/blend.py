"""Combining the hedonic model with the simple estimators a valuer already has, in log space.

A practitioner's value of an asset that sold before leans on that sale, moved to the valuation
date; of an asset that never sold, on the sales of its class. The market model has those
figures as features (``own_z``, ``code_z``, ``sub_z``: time-decayed means of deflated,
life-normalised log prices, the same units as its target), but a tree ensemble can only
approximate a straight line in them by steps. :func:`fit_blend` therefore combines the model's
prediction with the available simple estimators, row by row:

``z_blend = sum_k w_k * z_k``, with ``w = S^-1 1 / (1' S^-1 1)`` (Bates and Granger, "The
combination of forecasts", Operational Research Quarterly 20(4), 1969; the inverse-variance
weights when the errors are uncorrelated), where ``S`` is the covariance of the estimators' log
errors on the model's **calibration rows** (the newest sales before the valuation date, which
the booster did not see; never test data). Errors are winsorised at 3 robust standard
deviations first (prices carry outliers: distressed and strategic sales), and a component whose
weight comes out negative is dropped (a valuer does not sign "minus 20% of the last sale").

Weights are fitted per *pattern* of available estimators (which of them are known for the row);
a pattern with fewer than :data:`MIN_BLEND_ROWS` calibration rows keeps the model alone. With an
``age`` per row (years since the asset's last sale), the patterns are further split by age band
(:data:`AGE_EDGES`), because the error of a price carried forward from an earlier sale grows
with the time since that sale (Case and Shiller, "Prices of single-family homes since 1970",
New England Economic Review 1987: the variance of a repeat-sale pair's log change grows with
the interval); a band with too few rows uses its pattern's weights over all ages.
"""

from __future__ import annotations

import numpy as np

#: Calibration rows a pattern needs before its weights are estimated (an assumption: about the
#: size at which a 2x2 or 3x3 covariance of winsorised errors is stable to a few percent).
MIN_BLEND_ROWS = 50
#: Winsorising bound in robust standard deviations (1.4826 x MAD).
WINSOR_SD = 3.0
#: Age bands (years since the last sale) of the blend weights: under 1, 1 to 3, 3 and more (an
#: assumption: a year is about the horizon of a price index's own noise, three the decay
#: constant of the decayed means).
AGE_EDGES = (1.0, 3.0)


def patterns(components: np.ndarray) -> np.ndarray:
    """Bit pattern of the finite components per row (bit k set when column k is finite)."""
    if components.shape[1] == 0:
        return np.zeros(components.shape[0], dtype=np.int64)
    bits = np.isfinite(components).astype(np.int64)
    return np.asarray(bits @ (1 << np.arange(components.shape[1])), dtype=np.int64)


def _banded(keys: np.ndarray, k: int, age: np.ndarray | None) -> np.ndarray | None:
    """Keys with the age band in the bits above the pattern (band + 1; None without ages)."""
    if age is None:
        return None
    band = np.searchsorted(np.asarray(AGE_EDGES), np.nan_to_num(np.asarray(age, dtype=float), nan=0.0), side="right")
    return np.asarray(keys + ((band + 1) << k), dtype=np.int64)


def _winsorise(e: np.ndarray) -> np.ndarray:
    med = np.median(e, axis=0)
    mad = 1.4826 * np.median(np.abs(e - med), axis=0)
    mad = np.where(mad > 0, mad, np.std(e, axis=0) + 1e-12)
    return np.clip(e, med - WINSOR_SD * mad, med + WINSOR_SD * mad)


def combination_weights(errors: np.ndarray) -> np.ndarray:
    """Bates-Granger weights (summing to 1, none negative) from log errors (rows x estimators)."""
    e = _winsorise(np.asarray(errors, dtype=float))
    keep = list(range(e.shape[1]))
    while True:
        sub = e[:, keep]
        cov = np.atleast_2d(np.cov(sub, rowvar=False)) + 1e-9 * np.eye(len(keep))
        w = np.linalg.solve(cov, np.ones(len(keep)))
        w = w / w.sum()
        if (w >= 0).all() or len(keep) == 1:
            break
        keep.pop(int(np.argmin(w)))
    out = np.zeros(e.shape[1])
    out[keep] = w
    return out


def fit_blend(
    pred: np.ndarray, y: np.ndarray, components: np.ndarray, age: np.ndarray | None = None
) -> dict[int, np.ndarray]:
    """Combination weights per pattern of available components (and age band, with ``age``).

    Args:
        pred: the model's predictions on the calibration rows (log units).
        y: the calibration rows' targets.
        components: the simple estimators on those rows (rows x k, NaN where unknown).
        age: years since each row's last sale (NaN for none), or None for no age bands.

    Returns:
        ``{key: weights}``, weights of length ``k + 1`` (the model first), for every pattern
        (key: its bits) and pattern-and-band (key: bits plus ``(band + 1) << k``) with at least
        :data:`MIN_BLEND_ROWS` rows.
    """
    pred = np.asarray(pred, dtype=float)
    y = np.asarray(y, dtype=float)
    components = np.asarray(components, dtype=float)
    k = components.shape[1]
    keys = patterns(components)
    out: dict[int, np.ndarray] = {}
    for key_set in (keys, _banded(keys, k, age)):
        if key_set is None:
            continue
        for key in np.unique(key_set):
            rows = key_set == key
            cols = [j for j in range(k) if key >> j & 1]
            if rows.sum() < MIN_BLEND_ROWS or not cols:
                continue
            est = np.column_stack([pred[rows], components[rows][:, cols]])
            w = combination_weights(y[rows, None] - est)
            full = np.zeros(k + 1)
            full[0] = w[0]
            full[[c + 1 for c in cols]] = w[1:]
            out[int(key)] = full
    return out


def apply_blend(
    pred: np.ndarray, components: np.ndarray, weights: dict[int, np.ndarray], age: np.ndarray | None = None
) -> np.ndarray:
    """The blended predictions: the row's age band's weights, else its pattern's, else the model's."""
    pred = np.asarray(pred, dtype=float)
    if not weights:
        return pred
    out = pred.copy()
    keys = patterns(components)
    banded = _banded(keys, components.shape[1], age)
    if banded is not None:
        keys = np.where(np.isin(banded, np.fromiter(weights, dtype=np.int64)), banded, keys)
    filled = np.nan_to_num(components, nan=0.0)
    for key, w in weights.items():
        rows = keys == key
        if rows.any():
            out[rows] = w[0] * pred[rows] + filled[rows] @ w[1:]
    return out
