"""The market approach's estimator: gradient boosting with time-ordered conformal intervals.

``MarketModel`` is a gradient-boosting hedonic model (scikit-learn's
HistGradientBoostingRegressor) whose intervals come from split conformal prediction on the
**most recent** sales, weighted toward the newest (non-exchangeable conformal prediction,
Barber, Candes, Ramdas and Tibshirani, "Conformal prediction beyond exchangeability", Annals of
Statistics 51(2), 2023): under drift and in thin markets the calibration reflects the market a
valuation is made in, not a random mix of old and new sales. See
:mod:`ipledger.valuation.market` for how the ledger's trades become its features and targets,
and :mod:`ipledger.valuation.model_store` for its data-only persisted form.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import ThreadpoolController

from ipledger.errors import ValuationError
from ipledger.valuation.blend import apply_blend, fit_blend
from ipledger.valuation.conformal import (
    _LF_FLOOR,
    _MAX_CATEGORIES,
    _MIN_GROUP,
    _TAU_YEARS,
    BLEND,
    BLEND_AGE,
    CATEGORICAL,
    FEATURES,
    MIN_COMPARABLES,
    MIN_SALES,
    MONDRIAN,
    ConformalPredictor,
    weighted_conformal_quantile,
)

__all__ = [
    "BLEND",
    "BLEND_AGE",
    "CATEGORICAL",
    "FEATURES",
    "MIN_COMPARABLES",
    "MIN_SALES",
    "MONDRIAN",
    "_LF_FLOOR",
    "_MAX_CATEGORIES",
    "_TAU_YEARS",
    "MarketModel",
    "weighted_conformal_quantile",
]

_THREADS: list[ThreadpoolController] = []


def _limit(threads: int | None) -> Any:
    """Context limiting OpenMP/BLAS threads (the controller is built once: it scans libraries)."""
    if not _THREADS:
        _THREADS.append(ThreadpoolController())
    return _THREADS[0].limit(limits=threads)


def _select(staged: np.ndarray, y: np.ndarray, rows: np.ndarray) -> int:
    """Boosting iterations (at least 20) with the least median absolute residual on ``rows``."""
    errs = np.median(np.abs(y[rows][None, :] - staged[:, rows]), axis=1)
    if len(errs) <= 20:
        return len(errs)
    return 20 + int(np.argmin(errs[19:]))


def _cross_fitted_scores(
    pred: np.ndarray, staged: np.ndarray | None, y: np.ndarray, comps: np.ndarray | None, age: np.ndarray | None
) -> np.ndarray:
    """Conformal scores of the calibration rows whose tuning never saw them.

    The number of iterations and the blend weights are chosen on the calibration rows; scoring
    those same rows would make the intervals too narrow. The rows are split in two halves (in
    their order: older and newer when in time order); each half is scored with the iterations
    and weights chosen on the other half (cross-fitting).
    """
    n = len(y)
    halves = (np.arange(n // 2), np.arange(n // 2, n))
    scores = np.empty(n)
    for part, other in (halves, halves[::-1]):
        p = staged[_select(staged, y, other) - 1] if staged is not None else pred
        if comps is not None:
            w = fit_blend(p[other], y[other], comps[other], None if age is None else age[other])
            p = apply_blend(p, comps, w, age)
        scores[part] = np.abs(y[part] - p[part])
    return scores


class MarketModel(ConformalPredictor, RegressorMixin, BaseEstimator):
    """Hedonic gradient boosting with time-ordered, recency-weighted conformal intervals.

    ``fit(X, y, sample_time=t)``: ``X`` numeric (array or DataFrame; NaN allowed), ``y`` any
    real target, ``t`` each row's time in years (optional); the market approach passes the
    features :data:`FEATURES`, ``y`` = deflated, life-normalised log prices and ``t`` = sale
    dates (so predictions and interval ends are log values too).

    Calibration: with ``sample_time`` the most recent ``calibration_size`` share of the rows
    (at least 10) is held out, the booster is fitted on the earlier rows, and the absolute
    residuals on the held-out rows are the conformal scores, weighted by
    ``0.5 ** (age / calibration_halflife)`` with age in years before the newest row. Without
    ``sample_time`` the held-out rows are a random share and the weights are equal (ordinary
    split conformal). With ``refit`` the booster is then refitted on every row, so the point
    value uses the newest sales too; its intervals keep the held-out scores of the earlier
    fit, which predicted further ahead (conservative where the market is stable).

    Args:
        max_iter: boosting iterations.
        learning_rate: boosting shrinkage.
        max_leaf_nodes: leaves per tree.
        min_samples_leaf: minimum samples per leaf.
        l2_regularization: leaf-value L2 penalty.
        loss: booster loss, ``"absolute_error"`` (default: a median regression, robust to
            distressed and premium sales, matching a value "in the middle" of the prices) or
            ``"squared_error"``.
        calibration_size: share held out for conformal calibration (needs >= 20 samples,
            otherwise the training residuals are used and intervals are optimistic).
        calibration_halflife: half-life in years of the calibration weights (None: equal).
            The scores are cross-fitted: each half of the calibration rows is scored with the
            iterations and blend weights chosen on the other half, so tuning on those rows does
            not narrow the intervals.
        refit: refit the booster on every row after calibration.
        select_iterations: choose the number of boosting iterations (at most ``max_iter``, at
            least 20) that minimises the median absolute residual on the held-out newest rows
            (early stopping in time order): a thin market gets a simpler model than a deep one.
        categorical_features: column indices treated as categorical codes (ints 0..249).
        mondrian_features: column indices whose missingness pattern splits the calibration
            scores into groups (Mondrian conformal prediction): coverage then holds within each
            group, so a test set with another mix of groups (e.g. more assets with an earlier
            sale) keeps its nominal coverage.
        blend_features: column indices of simple estimators in the target's units (the asset's
            own earlier sales, its class's): the prediction is combined with them in log space,
            with Bates-Granger weights from the estimators' errors on the calibration rows (see
            :mod:`ipledger.valuation.blend`); the conformal scores are the blend's residuals.
        blend_age_feature: column index of the years since the asset's last sale: the blend
            weights are set per age band (None: one set per pattern).
        n_threads: OpenMP threads for boosting (None: the library default). 1 is the default
            because on shared or small machines thread contention made fitting several times
            slower.
        random_state: seed for the calibration split and the boosting.

    scikit-learn conformance: passes ``parametrize_with_checks`` with no expected failures
    (``allow_nan`` is tagged, NaN meaning a missing feature; inf is rejected).

    Attributes:
        trees_: the fitted booster as plain arrays (:class:`~ipledger.valuation.model_store.Trees`);
            predictions always go through it, so a model read back from disk predicts exactly
            as the one fitted.
        calibration_scores_: sorted absolute residuals on the calibration fold.
        calibration_weights_: their weights (same order).
        blend_weights_: per pattern of available ``blend_features``, the combination weights
            (model first); empty without ``blend_features``.
        group_scores_: per Mondrian group, (scores, weights): its own rows when at least 50,
            else those of the coarser group sharing its first features' pattern (dropping the
            last Mondrian feature first), else none (the pooled scores are used).
        n_iter_: boosting iterations run.
    """

    def __init__(
        self,
        max_iter: int = 300,
        learning_rate: float = 0.06,
        max_leaf_nodes: int = 31,
        min_samples_leaf: int = 20,
        l2_regularization: float = 1.0,
        loss: str = "absolute_error",
        calibration_size: float = 0.2,
        calibration_halflife: float | None = 1.0,
        refit: bool = True,
        select_iterations: bool = True,
        categorical_features: tuple[int, ...] | None = None,
        mondrian_features: tuple[int, ...] | None = None,
        blend_features: tuple[int, ...] | None = None,
        blend_age_feature: int | None = None,
        n_threads: int | None = 1,
        random_state: int | None = None,
    ) -> None:
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.loss = loss
        self.calibration_size = calibration_size
        self.calibration_halflife = calibration_halflife
        self.refit = refit
        self.select_iterations = select_iterations
        self.categorical_features = categorical_features
        self.mondrian_features = mondrian_features
        self.blend_features = blend_features
        self.blend_age_feature = blend_age_feature
        self.n_threads = n_threads
        self.random_state = random_state

    def fit(self, X: Any, y: Any, sample_time: Any = None) -> MarketModel:
        """Fit on features ``X`` (n, p), targets ``y`` (n,) and row times in years; returns self."""
        with _limit(self.n_threads):
            return self._fit(X, y, sample_time)

    def _booster(self, seed: int, max_iter: int | None = None) -> HistGradientBoostingRegressor:
        cats = None
        if self.categorical_features:
            cats = np.zeros(self.n_features_in_, dtype=bool)
            cats[list(self.categorical_features)] = True
        return HistGradientBoostingRegressor(
            loss=self.loss,
            max_iter=self.max_iter if max_iter is None else max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            categorical_features=cats,
            early_stopping=False,
            random_state=seed,
        )

    def _fit(self, X: Any, y: Any, sample_time: Any) -> MarketModel:
        from ipledger.valuation.model_store import Trees

        X, y = validate_data(self, X, y, ensure_all_finite="allow-nan", y_numeric=True)
        y = np.asarray(y, dtype=float)
        rng = check_random_state(self.random_state)
        n = len(y)
        t = None if sample_time is None else np.asarray(sample_time, dtype=float).reshape(-1)
        if t is not None and (len(t) != n or not np.isfinite(t).all()):
            raise ValuationError("sample_time must be finite, one per row")
        held_out = n >= 20 and 0 < self.calibration_size < 1
        n_cal = max(round(n * self.calibration_size), 10) if held_out else n
        if held_out and t is not None:
            order = np.argsort(t, kind="stable")  # time order: calibrate on the newest rows
            cal, fit = order[n - n_cal :], order[: n - n_cal]
        elif held_out:
            perm = rng.permutation(n)
            cal, fit = perm[:n_cal], perm[n_cal:]
        else:
            cal = fit = np.arange(n)
        seed = rng.randint(2**31 - 1)
        booster = self._booster(seed).fit(X[fit], y[fit])
        n_iter = int(booster.n_iter_)
        staged = np.array(list(booster.staged_predict(X[cal]))) if self.select_iterations and held_out else None
        comps = X[cal][:, list(self.blend_features)] if self.blend_features and held_out else None
        age = X[cal][:, self.blend_age_feature] if self.blend_age_feature is not None else None
        if staged is not None:
            n_iter = _select(staged, y[cal], np.arange(len(cal)))
            pred_cal = staged[n_iter - 1]
        else:
            pred_cal = booster.predict(X[cal])
        self.blend_weights_: dict[int, np.ndarray] = {}
        if comps is not None:
            self.blend_weights_ = fit_blend(pred_cal, y[cal], comps, age)
        if held_out and (staged is not None or comps is not None):
            scores = _cross_fitted_scores(pred_cal, staged, y[cal], comps, age)
        else:
            scores = np.abs(y[cal] - pred_cal)
        if self.refit and held_out:
            booster = self._booster(seed, max_iter=n_iter).fit(X, y)
        self.trees_ = Trees.from_booster(booster, n_iter=n_iter)
        self.n_iter_ = n_iter
        if t is not None and self.calibration_halflife:
            weights = 0.5 ** ((t[cal].max() - t[cal]) / float(self.calibration_halflife))
        else:
            weights = np.ones(len(cal))
        order = np.argsort(scores, kind="stable")
        self.calibration_scores_ = scores[order]
        self.calibration_weights_ = weights[order]
        self.group_scores_: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        if self.mondrian_features:
            keys = self._groups(X[cal])[order]
            m = len(self.mondrian_features)
            for key in range(1 << m):
                # a small group falls back to the coarser group of its first features' pattern
                # (a first sale to first sales, not to the pooled scores of mostly repeat sales)
                for bits in range(m, 0, -1):
                    mask = (1 << bits) - 1
                    rows = (keys & mask) == (key & mask)
                    if rows.sum() >= _MIN_GROUP:
                        self.group_scores_[key] = (self.calibration_scores_[rows], self.calibration_weights_[rows])
                        break
        return self

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # missing features (no earlier sale, unknown claims)
        return tags

    def predict(self, X: Any) -> np.ndarray:
        """Point predictions (same units as the ``y`` used in fit)."""
        check_is_fitted(self, "trees_")
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan")
        return self._blend(np.asarray(X, dtype=float), np.asarray(self.trees_.predict(X)))

    def _check_X(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "trees_")
        return np.asarray(validate_data(self, X, reset=False, ensure_all_finite="allow-nan"))
