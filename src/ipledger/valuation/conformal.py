"""The fitted market model's predictive side, in NumPy only: features, intervals, a stored model.

:class:`ConformalPredictor` gives point values and conformal intervals from a fitted model's
trees (:class:`~ipledger.valuation.model_store.Trees`) and calibration scores, whether the
model was fitted in this process (:class:`~ipledger.valuation.market_model.MarketModel`, which
needs scikit-learn) or read back from its file (:class:`StoredModel`, which does not: a new
process that finds the model beside the ledger never imports scikit-learn for it).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ipledger.errors import ValuationError
from ipledger.valuation.blend import apply_blend

FEATURES = (
    "kind",
    "jurisdiction",
    "field",
    "subclass",
    "claims",
    "citations",
    "family",
    "rem_years",
    "log_lf",
    "auction",
    "own_z",
    "own_w",
    "own_age",
    "lic_z",
    "lic_w",
    "code_z",
    "code_w",
    "sub_z",
    "sub_w",
)
CATEGORICAL = (0, 1, 2, 3)
MONDRIAN = (FEATURES.index("own_z"), FEATURES.index("code_z"))
#: The simple estimators (same log units as the target) blended with the model's prediction:
#: the asset's own earlier sales, its class code's and its subclass's (see :mod:`.blend`).
BLEND = (FEATURES.index("own_z"), FEATURES.index("code_z"), FEATURES.index("sub_z"))
#: Years since the asset's last sale: the blend's weights are set per age band (see :mod:`.blend`).
BLEND_AGE = FEATURES.index("own_age")
MIN_COMPARABLES = 5
MIN_SALES = 30
_TAU_YEARS = 3.0
_LF_FLOOR = 0.05
_MAX_CATEGORIES = 250
_MIN_GROUP = 50


#: MarketModel's constructor defaults (a test checks they agree): part of a persisted model's key.
DEFAULT_PARAMS: dict[str, Any] = {
    "max_iter": 300,
    "learning_rate": 0.06,
    "max_leaf_nodes": 31,
    "min_samples_leaf": 20,
    "l2_regularization": 1.0,
    "loss": "absolute_error",
    "calibration_size": 0.2,
    "calibration_halflife": 1.0,
    "refit": True,
    "select_iterations": True,
    "categorical_features": None,
    "mondrian_features": None,
    "blend_features": None,
    "blend_age_feature": None,
    "random_state": None,
}


def weighted_conformal_quantile(scores: np.ndarray, weights: np.ndarray, coverage: float) -> float:
    """Non-exchangeable conformal quantile (Barber et al. 2023, eq. 9).

    The smallest score ``s`` with ``sum(w_i [score_i <= s]) / (sum(w) + 1) >= coverage``: the
    test point carries weight 1 at +infinity. When no score reaches it (too few or too light
    calibration points) the largest score is returned, and the interval may undercover.

    Args:
        scores: calibration scores sorted ascending.
        weights: their weights (same order), in (0, 1]; all ones gives split conformal.
        coverage: nominal coverage in (0, 1).
    """
    if not len(scores):
        return math.inf
    cum = np.cumsum(weights) / (float(np.sum(weights)) + 1.0)
    k = int(np.searchsorted(cum, coverage - 1e-12, side="left"))
    return float(scores[min(k, len(scores) - 1)])


class ConformalPredictor:
    """Point values and conformal intervals from fitted trees and calibration scores.

    Needs ``trees_``, ``n_features_in_``, ``calibration_scores_``, ``calibration_weights_``,
    ``group_scores_``, ``blend_weights_`` and the ``mondrian_features`` and ``blend_features``
    settings.
    """

    mondrian_features: tuple[int, ...] | None
    blend_features: tuple[int, ...] | None
    blend_age_feature: int | None
    blend_weights_: dict[int, np.ndarray]
    trees_: Any
    n_features_in_: int
    calibration_scores_: np.ndarray
    calibration_weights_: np.ndarray
    group_scores_: dict[int, tuple[np.ndarray, np.ndarray]]

    def _check_X(self, X: Any) -> np.ndarray:
        if not hasattr(self, "trees_"):
            raise ValuationError("the market model is not fitted")
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValuationError(f"expected {self.n_features_in_} features per row, got shape {X.shape}")
        if np.isinf(X).any():
            raise ValuationError("features must be finite or NaN (missing)")
        return X

    def predict(self, X: Any) -> np.ndarray:
        """Point predictions (same units as the ``y`` used in fit), blended with the simple
        estimators of ``blend_features`` where calibration gave them weights."""
        X = self._check_X(X)
        return self._blend(X, np.asarray(self.trees_.predict(X)))

    def _blend(self, X: np.ndarray, pred: np.ndarray) -> np.ndarray:
        cols = list(self.blend_features or ())
        weights = getattr(self, "blend_weights_", None)
        if not cols or not weights:
            return pred
        age = None if self.blend_age_feature is None else X[:, self.blend_age_feature]
        return apply_blend(pred, X[:, cols], weights, age)

    def predict_interval(self, X: Any, coverage: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
        """Conformal interval ``(low, high)`` holding the target with probability ``coverage``.

        Args:
            X: features.
            coverage: nominal coverage in (0, 1).
        """
        pred = self.predict(X)
        q = self.conformal_width(coverage, X)
        return pred - q, pred + q

    def conformal_width(self, coverage: float, X: Any = None) -> np.ndarray:
        """Half-widths of the conformal intervals, one per row of ``X`` (one pooled width without X).

        The width is the weighted conformal quantile (:func:`weighted_conformal_quantile`) of
        the calibration scores of the row's Mondrian group (its missingness pattern over
        ``mondrian_features``; a small group uses a coarser one, see ``MarketModel.group_scores_``),
        or of all scores when even that had fewer than 50 rows.
        """
        if not 0 < coverage < 1:
            raise ValuationError(f"coverage must be in (0, 1), got {coverage}")
        if not hasattr(self, "calibration_scores_"):
            raise ValuationError("the market model is not fitted")
        pooled = weighted_conformal_quantile(self.calibration_scores_, self.calibration_weights_, coverage)
        if X is None:
            return np.array([pooled])
        X = self._check_X(X)
        out = np.full(X.shape[0], pooled)
        if self.group_scores_:
            keys = self._groups(X)
            for key, (scores, weights) in self.group_scores_.items():
                out[keys == key] = weighted_conformal_quantile(scores, weights, coverage)
        return out

    def _groups(self, X: np.ndarray) -> np.ndarray:
        cols = list(self.mondrian_features or ())
        if not cols:
            return np.zeros(X.shape[0], dtype=np.int64)
        bits = np.isnan(X[:, cols]).astype(np.int64)
        return np.asarray(bits @ (1 << np.arange(len(cols))), dtype=np.int64)


class StoredModel(ConformalPredictor):
    """A fitted market model read back from its file: predicts, cannot be refitted.

    Args:
        params: the settings it was fitted with (MarketModel's ``get_params()``).
        n_features_in: number of features.
        n_iter: boosting iterations.
        trees: the trees.
        scores, weights: calibration scores (sorted) and their weights.
        groups: Mondrian group -> (scores, weights).
        blend: pattern of available estimators -> combination weights (model first).
    """

    def __init__(
        self,
        params: dict[str, Any],
        n_features_in: int,
        n_iter: int,
        trees: Any,
        scores: np.ndarray,
        weights: np.ndarray,
        groups: dict[int, tuple[np.ndarray, np.ndarray]],
        blend: dict[int, np.ndarray] | None = None,
    ) -> None:
        self.params = dict(params)
        mondrian = params.get("mondrian_features")
        self.mondrian_features = tuple(mondrian) if mondrian else None
        blend_cols = params.get("blend_features")
        self.blend_features = tuple(blend_cols) if blend_cols else None
        age_col = params.get("blend_age_feature")
        self.blend_age_feature = int(age_col) if age_col is not None else None
        self.blend_weights_ = dict(blend or {})
        self.n_features_in_ = n_features_in
        self.n_iter_ = n_iter
        self.trees_ = trees
        self.calibration_scores_ = scores
        self.calibration_weights_ = weights
        self.group_scores_ = groups

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The settings the model was fitted with."""
        return dict(self.params)
