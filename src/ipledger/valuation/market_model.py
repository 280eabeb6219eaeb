"""The market approach's estimator: a scikit-learn regressor with conformal intervals.

``MarketModel`` combines a gradient-boosting hedonic model with a k-nearest-neighbour residual
step and split-conformal intervals (see :mod:`ipledger.valuation.market` for how the ledger's
trades become its features and targets).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.neighbors import KNeighborsRegressor
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import ThreadpoolController

from ipledger.errors import ValuationError

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
MIN_COMPARABLES = 5
MIN_SALES = 30
_TAU_YEARS = 3.0
_LF_FLOOR = 0.05
_MAX_CATEGORIES = 250
_MIN_GROUP = 50


def _conformal_quantile(scores: np.ndarray, coverage: float) -> float:
    k = min(math.ceil((len(scores) + 1) * coverage), len(scores)) - 1
    return float(scores[max(k, 0)])


_THREADS: list[ThreadpoolController] = []


def _limit(threads: int | None) -> Any:
    """Context limiting OpenMP/BLAS threads (the controller is built once: it scans libraries)."""
    if not _THREADS:
        _THREADS.append(ThreadpoolController())
    return _THREADS[0].limit(limits=threads)


class MarketModel(RegressorMixin, BaseEstimator):
    """Hedonic gradient boosting plus a nearest-neighbour residual, with conformal intervals.

    ``fit(X, y)``: ``X`` numeric (array or DataFrame; NaN allowed), ``y`` any real target; the
    market approach passes the features :data:`FEATURES` and ``y`` = deflated,
    life-normalised log prices (so predictions and interval ends are log values too).

    Args:
        max_iter: boosting iterations.
        learning_rate: boosting shrinkage.
        max_leaf_nodes: leaves per tree.
        min_samples_leaf: minimum samples per leaf.
        l2_regularization: leaf-value L2 penalty.
        n_neighbors: neighbours for the residual smoother (0 turns it off).
        residual_weight: share of the neighbours' mean residual added to the prediction.
        calibration_size: fraction held out for conformal calibration (needs >= 20 samples,
            otherwise the training residuals are used and intervals are optimistic).
        categorical_features: column indices treated as categorical codes (non-negative ints).
        mondrian_features: column indices whose missingness pattern splits the calibration
            scores into groups (Mondrian conformal prediction): coverage then holds within each
            group, so a test set with another mix of groups (e.g. more assets with an earlier
            sale) keeps its nominal coverage.
        n_threads: OpenMP threads for boosting and neighbours (None: the library default). 1 is
            the default because on shared or small machines thread contention made fitting
            several times slower.
        random_state: seed for the calibration split and the boosting.

    scikit-learn conformance: passes ``parametrize_with_checks`` with no expected failures
    (``allow_nan`` is tagged, NaN meaning a missing feature; inf is rejected).

    Attributes:
        base_: the fitted HistGradientBoostingRegressor.
        knn_: the residual smoother (None when off).
        calibration_scores_: sorted absolute residuals on the calibration fold.
        group_scores_: the same per Mondrian group (groups with at least 50 rows).
        n_iter_: boosting iterations run.
    """

    def __init__(
        self,
        max_iter: int = 300,
        learning_rate: float = 0.06,
        max_leaf_nodes: int = 31,
        min_samples_leaf: int = 20,
        l2_regularization: float = 1.0,
        n_neighbors: int = 15,
        residual_weight: float = 0.3,
        calibration_size: float = 0.2,
        categorical_features: tuple[int, ...] | None = None,
        mondrian_features: tuple[int, ...] | None = None,
        n_threads: int | None = 1,
        random_state: int | None = None,
    ) -> None:
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.n_neighbors = n_neighbors
        self.residual_weight = residual_weight
        self.calibration_size = calibration_size
        self.categorical_features = categorical_features
        self.mondrian_features = mondrian_features
        self.n_threads = n_threads
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> MarketModel:
        """Fit on features ``X`` (n, p) and targets ``y`` (n,); returns self."""
        with _limit(self.n_threads):
            return self._fit(X, y)

    def _fit(self, X: Any, y: Any) -> MarketModel:
        X, y = validate_data(self, X, y, ensure_all_finite="allow-nan", y_numeric=True)
        y = np.asarray(y, dtype=float)
        rng = check_random_state(self.random_state)
        n = len(y)
        if n >= 20 and 0 < self.calibration_size < 1:
            perm = rng.permutation(n)
            n_cal = max(round(n * self.calibration_size), 10)
            cal, fit = perm[:n_cal], perm[n_cal:]
        else:
            cal = fit = np.arange(n)
        cats = None
        if self.categorical_features:
            mask = np.zeros(X.shape[1], dtype=bool)
            mask[list(self.categorical_features)] = True
            cats = mask
        self.base_ = HistGradientBoostingRegressor(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            categorical_features=cats,
            early_stopping=False,
            random_state=rng.randint(2**31 - 1),
        ).fit(X[fit], y[fit])
        self.n_iter_ = int(self.base_.n_iter_)
        self.knn_: KNeighborsRegressor | None = None
        if self.n_neighbors > 0 and self.residual_weight != 0:
            fill = (
                np.nanmedian(np.where(np.isfinite(X[fit]), X[fit], np.nan), axis=0)
                if len(fit)
                else np.zeros(X.shape[1])
            )
            self.fill_ = np.nan_to_num(fill)
            Z = self._scaled(X[fit], reset=True)
            resid = y[fit] - self.base_.predict(X[fit])
            self.knn_ = KNeighborsRegressor(n_neighbors=min(self.n_neighbors, len(fit))).fit(Z, resid)
        scores = np.abs(y[cal] - self._predict(X[cal]))
        self.calibration_scores_ = np.sort(scores)
        self.group_scores_: dict[int, np.ndarray] = {}
        if self.mondrian_features:
            keys = self._groups(X[cal])
            for key in np.unique(keys):
                if (keys == key).sum() >= _MIN_GROUP:
                    self.group_scores_[int(key)] = np.sort(scores[keys == key])
        return self

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # missing features (no earlier sale, unknown claims)
        return tags

    def _scaled(self, X: np.ndarray, reset: bool = False) -> np.ndarray:
        Z = np.where(np.isnan(X), self.fill_, X)
        if reset:
            self.center_ = Z.mean(axis=0)
            sd = Z.std(axis=0)
            self.scale_ = np.where(sd > 0, sd, 1.0)
        return np.asarray((Z - self.center_) / self.scale_)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        pred = np.asarray(self.base_.predict(X), dtype=float)
        if self.knn_ is not None:
            pred = pred + self.residual_weight * self.knn_.predict(self._scaled(X))
        return pred

    def predict(self, X: Any) -> np.ndarray:
        """Point predictions (same units as the ``y`` used in fit)."""
        check_is_fitted(self, "base_")
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan")
        with _limit(self.n_threads):
            return self._predict(X)

    def predict_interval(self, X: Any, coverage: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
        """Split-conformal interval ``(low, high)`` holding the target with probability ``coverage``.

        Args:
            X: features.
            coverage: nominal coverage in (0, 1).
        """
        pred = self.predict(X)
        q = self.conformal_width(coverage, X)
        return pred - q, pred + q

    def conformal_width(self, coverage: float, X: Any = None) -> np.ndarray:
        """Half-widths of the conformal intervals, one per row of ``X`` (one pooled width without X).

        The width is the ceil((n+1)c)/n quantile of the calibration scores of the row's Mondrian
        group (its missingness pattern over ``mondrian_features``), or of all scores when the
        group had fewer than 50 calibration rows.
        """
        if not 0 < coverage < 1:
            raise ValuationError(f"coverage must be in (0, 1), got {coverage}")
        check_is_fitted(self, "calibration_scores_")
        pooled = _conformal_quantile(self.calibration_scores_, coverage)
        if X is None:
            return np.array([pooled])
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan")
        out = np.full(X.shape[0], pooled)
        if self.group_scores_:
            keys = self._groups(X)
            for key, scores in self.group_scores_.items():
                out[keys == key] = _conformal_quantile(scores, coverage)
        return out

    def _groups(self, X: np.ndarray) -> np.ndarray:
        cols = list(self.mondrian_features or ())
        if not cols:
            return np.zeros(X.shape[0], dtype=np.int64)
        bits = np.isnan(X[:, cols]).astype(np.int64)
        return np.asarray(bits @ (1 << np.arange(len(cols))), dtype=np.int64)
