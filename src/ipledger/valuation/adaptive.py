"""Adaptive conformal intervals for a fitted market model while sales keep arriving.

A model fitted at a cutoff is calibrated on the newest sales before it
(:class:`~ipledger.valuation.market_model.MarketModel`). Used for a while after the cutoff (a
batch of valuations over a period, a pledge monitor, the backtest's six-month windows), the
market can move away from that calibration: after a regime shift the intervals under-cover.
:class:`AdaptiveConformal` keeps them honest online, as each sale's price becomes known, in
time order and using only sales strictly before the date a width is asked for:

* **Rolling calibration.** The residual of every new sale joins the calibration scores of its
  Mondrian group, and all scores are weighted ``0.5 ** (age / halflife)`` at the date of use
  (non-exchangeable conformal prediction, Barber, Candes, Ramdas and Tibshirani, Annals of
  Statistics 51(2), 2023), so the newest residuals dominate.
* **Adaptive conformal inference** (Gibbs and Candes, "Adaptive conformal inference under
  distribution shift", NeurIPS 2021): per Mondrian group and nominal level ``1 - alpha``, the
  level actually used, ``1 - alpha_t``, is updated after each sale by
  ``alpha_{t+1} = alpha_t + gamma * (alpha - err_t)`` with ``err_t = 1`` when the sale fell
  outside its interval. Over any stretch of ``T`` sales the miss rate is within
  ``(max(alpha_1, 1 - alpha_1) + gamma) / (gamma * T)`` of ``alpha`` whatever the drift (their
  Proposition 4.1). ``gamma = 0.005`` is the step the paper uses in its experiments.
* **Dynamically tuned step** (DtACI: Gibbs and Candes, "Conformal inference for online
  prediction with arbitrary distribution shifts", JMLR 25, 2024): no single ``gamma`` suits both
  a stable market (small steps keep the widths steady) and a shift in a thin market (few sales,
  so small steps never catch up). By default each group runs ACI with every step of
  :data:`DTACI_GAMMAS` at once and uses their probability-weighted level; the probabilities
  follow each step's pinball loss on the level ``beta_t`` at which the sale would just have been
  covered (exponential weights with learning rate :data:`DTACI_ETA`, mixed with the uniform by
  :data:`DTACI_SIGMA` so that a step can regain weight after a shift). The grid, ``eta`` and
  ``sigma`` are the authors' own (their code's defaults), not chosen on this project's data.
  Their regret bound holds over every interval of the stream, so the miss rate tracks ``alpha``
  whichever step would have been best at the time. A fixed ``gamma`` gives plain ACI.
* **Mondrian groups** as the model's (first sale vs repeat sale, class traded before or not):
  a first sale gets the quantiles and the level of first sales. A group with fewer than 50
  scores uses the pooled scores (its level still adapts on its own).

Where ``alpha_t`` falls to 0 or below ACI would give an infinite interval; here the level is
capped at :data:`MAX_LEVEL` (the widest finite interval the scores support), an assumption that
trades a little of the guarantee for a range a valuer can state.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ipledger.errors import ValuationError
from ipledger.valuation.conformal import _MIN_GROUP, ConformalPredictor, weighted_conformal_quantile

#: ACI step size (Gibbs and Candes 2021, section 2.1 and their experiments), for a fixed step.
ACI_GAMMA = 0.005
#: DtACI's candidate steps, learning rate and mixing (Gibbs and Candes 2024; the defaults of
#: their published code).
DTACI_GAMMAS = (0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128)
DTACI_ETA = 2.72
DTACI_SIGMA = 1e-3
#: Highest and lowest conformal level used (ACI's alpha_t clipped into a finite interval).
MAX_LEVEL = 0.999
MIN_LEVEL = 0.01


class AdaptiveConformal:
    """Online conformal half-widths for a fitted model's log predictions.

    Args:
        model: the fitted predictor (its calibration scores, groups and point predictions).
        start: time (years, the model's ``sample_time`` units) of the model's newest
            calibration row: the age origin of its calibration weights.
        coverages: nominal coverages to track.
        gamma: a fixed ACI step size; None (the default) tunes it online (DtACI over
            :data:`DTACI_GAMMAS`).
        halflife: half-life in years of the score weights (default: the model's
            ``calibration_halflife``, else no decay).
    """

    def __init__(
        self,
        model: ConformalPredictor,
        start: float,
        coverages: tuple[float, ...] = (0.8, 0.9),
        gamma: float | None = None,
        halflife: float | None = None,
    ) -> None:
        if not all(0 < c < 1 for c in coverages):
            raise ValuationError(f"coverages must be in (0, 1), got {coverages}")
        if gamma is not None and not 0 <= gamma < 1:
            raise ValuationError(f"gamma must be in [0, 1), got {gamma}")
        if not hasattr(model, "calibration_scores_"):
            raise ValuationError("the market model is not fitted")
        self.model = model
        self.start = float(start)
        self.coverages = tuple(coverages)
        self.gammas = np.array(DTACI_GAMMAS if gamma is None else (gamma,), dtype=float)
        params: dict[str, Any] = model.get_params() if hasattr(model, "get_params") else {}
        self.halflife = halflife if halflife is not None else params.get("calibration_halflife")
        # per group: scores and log2 of their weight at `start` (new scores: > 0, newer than start)
        self._scores: dict[int, list[np.ndarray]] = {}
        self._log2w: dict[int, list[np.ndarray]] = {}
        for key, (s, w) in model.group_scores_.items():
            self._scores[key], self._log2w[key] = [s], [np.log2(np.maximum(w, 1e-300))]
        pooled = model.calibration_scores_, model.calibration_weights_
        self._pooled = [pooled[0]], [np.log2(np.maximum(pooled[1], 1e-300))]
        # per (group, coverage): each step's level (miscoverage alpha) and the steps' probabilities
        self._experts: dict[tuple[int, float], np.ndarray] = {}
        self._probs: dict[tuple[int, float], np.ndarray] = {}

    def alpha(self, key: int, coverage: float) -> float:
        """The miscoverage level a group uses now (the steps' probability-weighted level)."""
        experts = self._experts.get((key, coverage))
        if experts is None:
            return 1.0 - coverage
        return float(self._probs[(key, coverage)] @ experts)

    def _level(self, key: int, coverage: float) -> float:
        return min(max(1.0 - self.alpha(key, coverage), MIN_LEVEL), MAX_LEVEL)

    def _weighted(self, key: int, t: float) -> tuple[np.ndarray, np.ndarray]:
        """The group's scores (its own, else the pooled ones) sorted, with their weights at ``t``."""
        parts = (self._scores[key], self._log2w[key]) if key in self._scores else self._pooled
        scores = np.concatenate(parts[0])
        if len(scores) < _MIN_GROUP:
            parts = self._pooled
            scores = np.concatenate(parts[0])
        log2w = np.concatenate(parts[1])
        if self.halflife:
            log2w = log2w - (t - self.start) / float(self.halflife)
        weights = np.minimum(np.exp2(log2w), 1.0)
        order = np.argsort(scores, kind="stable")
        return scores[order], weights[order]

    def _quantile(self, key: int, t: float, level: float) -> float:
        return weighted_conformal_quantile(*self._weighted(key, t), level)

    def _learn(self, key: int, scores: np.ndarray, weights: np.ndarray, resid: np.ndarray) -> None:
        """One DtACI step per sale of a group at one date, on the group's weighted scores then."""
        beta = _beta(scores, weights, resid)
        for c in self.coverages:
            for b in beta:
                self._step(key, c, float(b))

    def _remember(self, keys: np.ndarray, resid: np.ndarray, t: np.ndarray) -> None:
        """The sales' residuals join their groups' scores and the pooled ones."""
        log2w = (t - self.start) / float(self.halflife) if self.halflife else np.zeros(len(t))
        for key in np.unique(keys):
            rows = keys == key
            self._scores.setdefault(int(key), []).append(resid[rows])
            self._log2w.setdefault(int(key), []).append(log2w[rows])
        self._pooled[0].append(resid)
        self._pooled[1].append(log2w)

    def _step(self, key: int, coverage: float, beta: float) -> None:
        """One DtACI step (one ACI step per candidate gamma, then the exponential weights)."""
        k = (key, coverage)
        target = 1.0 - coverage
        experts = self._experts.get(k)
        if experts is None:
            experts = np.full(len(self.gammas), target)
            self._probs[k] = np.full(len(self.gammas), 1.0 / len(self.gammas))
        u = beta - experts
        loss = target * u - np.minimum(u, 0.0)  # pinball loss of each step's level
        self._experts[k] = experts + self.gammas * (target - (experts > beta))
        w = self._probs[k] * np.exp(-DTACI_ETA * loss)
        w = (1.0 - DTACI_SIGMA) * w / w.sum() + DTACI_SIGMA / len(w)
        self._probs[k] = w / w.sum()

    def widths(self, X: Any, t: float, coverage: float) -> np.ndarray:
        """Half-widths (log units) of the intervals at time ``t`` for rows ``X``."""
        if coverage not in self.coverages:
            raise ValuationError(f"coverage {coverage} is not tracked (tracked: {self.coverages})")
        X = self.model._check_X(X)
        keys = self.model._groups(X)
        out = np.empty(len(keys))
        for key in np.unique(keys):
            out[keys == key] = self._quantile(int(key), t, self._level(int(key), coverage))
        return out

    def update(self, X: Any, y: Any, t: Any) -> None:
        """Learn from sales whose prices are now known: each group's level moves by one DtACI
        step per sale (on the scores as they were), then their residuals join the scores."""
        X = self.model._check_X(X)
        y = np.asarray(y, dtype=float)
        t = np.asarray(t, dtype=float).reshape(-1)
        resid = np.abs(y - self.model.predict(X))
        keys = self.model._groups(X)
        for key in np.unique(keys):
            for when in np.unique(t[keys == key]):
                rows = np.flatnonzero((keys == key) & (t == when))
                self._learn(int(key), *self._weighted(int(key), float(when)), resid[rows])
        self._remember(keys, resid, t)

    def run(self, X: Any, y: Any, t: Any) -> dict[float, np.ndarray]:
        """Half-widths for a stream of sales, each computed before its own price is learnt.

        Rows are taken in time order, one date at a time: the sales of one date get widths from
        everything strictly before it, then are learnt. Returns ``{coverage: half-widths}`` in
        the rows' original order.
        """
        X = self.model._check_X(X)
        y = np.asarray(y, dtype=float)
        t = np.asarray(t, dtype=float).reshape(-1)
        if not (len(y) == len(t) == X.shape[0]):
            raise ValuationError("X, y and t must have one entry per sale")
        out = {c: np.empty(len(t)) for c in self.coverages}
        resid = np.abs(y - self.model.predict(X))
        groups = self.model._groups(X)
        for when in np.unique(t):
            rows = np.flatnonzero(t == when)
            for key in np.unique(groups[rows]):
                sel = rows[groups[rows] == key]
                # one sorted, weighted score set per group and date: the widths, then the steps
                scores, weights = self._weighted(int(key), float(when))
                for c in self.coverages:
                    out[c][sel] = weighted_conformal_quantile(scores, weights, self._level(int(key), c))
                self._learn(int(key), scores, weights, resid[sel])
            self._remember(groups[rows], resid[rows], t[rows])
        return out


def _beta(scores: np.ndarray, weights: np.ndarray, resid: np.ndarray) -> np.ndarray:
    """The highest miscoverage level whose interval still covers each residual (DtACI's
    ``beta_t``): the quantile at level ``1 - a`` reaches ``r`` exactly when ``1 - a`` exceeds the
    weighted share of scores below ``r`` (``scores`` sorted, as :func:`weighted_conformal_quantile`
    takes them)."""
    if not len(scores):
        return np.ones(len(resid))
    cum = np.concatenate([[0.0], np.cumsum(weights) / (float(np.sum(weights)) + 1.0)])
    return np.asarray(1.0 - cum[np.searchsorted(scores, resid, side="left")])
