"""The best value any method could give on a generated market: a Bayes oracle.

The backtest's targets compare the market model with simple baselines. Whether a target can be
met at all depends on how much of a price the ledger's data can explain. The noise floor (the
generator's own noiseless price) is not that bound: it knows each asset's latent quality, firm
effect and random walk, which no ledger holds. This oracle knows everything the generator knows
*except* those: the scenario's functional form and parameters, the true market index, the
regime shift, the licence shares, and every earlier price of the asset. It values a sale by
Bayes' rule:

* the asset's latent log effect ``x`` (quality times its scale plus the firm effect, plus the
  asset's random walk in scenarios that have one) has the generator's prior: a scaled,
  clipped Student-t convolved with the firm effect's normal;
* each earlier sale or lump-sum licence of the asset observes ``x`` at its date through the
  generator's price noise (normal, its sd 1.3 times higher after a regime shift, with the
  scenario's outliers);
* between dates ``x`` moves by the asset's random walk (a Gaussian step of variance
  ``drift_sd^2`` a year), so the posterior is carried forward by a convolution (a grid filter);
* the value is the point of the predictive distribution of the price that a valuer judged by
  MdAPE would choose: the centre of the log window of the width that MdAPE allows which holds
  the most predictive mass (found by a fixed point on that width), or the 1/price-weighted
  median, whichever scores better.

Its MdAPE is what a method with perfect knowledge of the market's structure, and only the
ledger's prices for each asset, reaches: where it is above 0.85 x the best baseline, the
backtest's MdAPE target cannot be met by any method. It is computed on a grid
(:data:`STEP` log units) and never used by the valuation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import signal, stats

from ipledger.errors import ValidationError
from ipledger.sources.generator import Market
from ipledger.sources.scenarios import Scenario, shift_effect

#: Grid step and half-width (log units) of the latent effect.
STEP = 0.02
HALF_WIDTH = 14.0
_YEAR_NS = 365.25 * 86400e9
_PRICED = ("assignment", "auction", "licence")  # trades whose price observes the asset's value


def _normal(x: np.ndarray, mu: float, sd: float) -> np.ndarray:
    return np.asarray(stats.norm.pdf(x, mu, sd))


@dataclass(frozen=True)
class _Grid:
    x: np.ndarray
    prior: np.ndarray
    noise: tuple[np.ndarray, np.ndarray]  # the noise density on the grid, before and after a shift

    @classmethod
    def build(cls, sc: Scenario) -> _Grid:
        x = np.arange(-HALF_WIDTH, HALF_WIDTH + STEP / 2, STEP)
        df = sc.tail_df
        c = math.sqrt((df - 2) / df) if df > 2 else 1.0  # the generator's unit-variance factor
        scale = sc.quality_sd * c
        prior = stats.t.pdf(x / scale, df) / scale
        # the generator clips the standardised quality at +-12: its tails pile up at the ends
        edge = 12.0 * sc.quality_sd
        prior[np.abs(x) > edge] = 0.0
        tail = float(stats.t.sf(12.0 / c, df))
        for end in (-edge, edge):
            prior[int(np.argmin(np.abs(x - end)))] += tail / STEP
        if sc.firm_sd > 0:
            prior = _convolve(prior, sc.firm_sd)
        noise = (noise_density(sc, x, False), noise_density(sc, x, True))
        return cls(x, prior / (prior.sum() * STEP), noise)


def _convolve(density: np.ndarray, sd: float) -> np.ndarray:
    """Density convolved with N(0, sd^2) on the grid (same length)."""
    if sd < STEP / 4:
        return density
    half = int(min(math.ceil(6 * sd / STEP), len(density) - 1))
    k = _normal(np.arange(-half, half + 1) * STEP, 0.0, sd)
    out = signal.fftconvolve(density, k / k.sum(), mode="same")
    return np.asarray(np.clip(out, 0.0, None))


def noise_density(sc: Scenario, e: np.ndarray, after_shift: bool) -> np.ndarray:
    """Density of the generator's log price noise (see ``scenarios.price_noise``)."""
    sd = sc.noise_sd * (1.3 if after_shift else 1.0)
    p = sc.outlier_share
    # two-sided contamination (distressed and premium sales) above 6% outliers, else N(0, 1)
    contam = 0.6 * _normal(e, -1.0, 0.5) + 0.4 * _normal(e, 0.8, 0.5) if p > 0.06 else _normal(e, 0.0, 1.0)
    return (1.0 - p) * _normal(e, 0.0, sd) + p * contam


def _choose(s: np.ndarray, mass: np.ndarray, m: float | None) -> float:
    """Log point ``c`` (value = exp(known + c)) from the predictive mass of ``s`` (log price less
    its known part). With ``m``: |value / price - 1| <= m exactly when ``s`` lies in
    ``[c - log(1 + m), c - log(1 - m)]``, so ``c`` is placed where that window holds most mass.
    Without: the 1/price-weighted median (the point of least expected absolute percentage error)."""
    if m is None:
        w = mass * np.exp(-(s - s[np.argmax(mass)]))
        c = np.cumsum(w)
        return float(s[int(np.searchsorted(c, 0.5 * c[-1]))])
    n = max(round(math.log((1 + m) / (1 - m)) / STEP), 1)
    c = np.concatenate([[0.0], np.cumsum(mass)])
    k = int(np.argmax(c[n:] - c[:-n]))
    return float(s[k] + math.log(1 + m))


def _years(a: np.datetime64, b: np.datetime64) -> float:
    return max(float((b - a) / np.timedelta64(1, "ns")), 0.0) / _YEAR_NS


def predictive(
    sc: Scenario,
    grid: _Grid,
    obs: list[tuple[float, bool, np.datetime64]],
    walk_start: np.datetime64,
    when: np.datetime64,
    after_shift: bool,
) -> np.ndarray:
    """Predictive probability mass, on ``grid.x``, of a sale's log price less its known part.

    ``obs``: the asset's earlier prices in date order, each as (log price less its known part,
    after the regime shift, date); ``walk_start``: where the asset's random walk starts;
    ``when``: the sale's date.
    """
    dens = grid.prior.copy()
    t_prev = walk_start
    for o, after, at in obs:
        if sc.drift_sd > 0:
            dens = _convolve(dens, sc.drift_sd * math.sqrt(_years(t_prev, at)))
            t_prev = at
        dens = dens * noise_density(sc, o - grid.x, after)
        total = dens.sum()
        dens = dens / total if total > 0 else grid.prior.copy()
    if sc.drift_sd > 0:
        dens = _convolve(dens, sc.drift_sd * math.sqrt(_years(t_prev, when)))
    pred = np.clip(signal.fftconvolve(dens, grid.noise[after_shift], mode="same"), 0.0, None)
    return np.asarray(pred / pred.sum())


def oracle_values(market: Market, test: pd.DataFrame) -> np.ndarray:
    """The Bayes oracle's value of each test sale (``record_id`` of ``market.transactions``)."""
    truth = market.truth
    if truth is None:
        raise ValidationError("the market carries no truth: it was not made by generate_market")
    sc = truth.scenario
    grid = _Grid.build(sc)
    tx = market.transactions
    pos = pd.Series(np.arange(len(tx)), index=tx["record_id"].to_numpy())
    assets = market.assets
    apos = pd.Series(np.arange(len(assets)), index=assets["asset_id"].to_numpy())
    date = tx["date"].to_numpy(dtype="datetime64[ns]")
    amount = tx["amount"].to_numpy(dtype=float)
    observed = np.isfinite(truth.known) & (amount > 0) & tx["kind"].isin(_PRICED).to_numpy() & ~tx["void"].to_numpy()
    akind = assets["kind"].to_numpy()[apos[tx["asset_id"]].to_numpy()]
    afield = assets["field"].to_numpy()[apos[tx["asset_id"]].to_numpy()]
    after = shift_effect(sc, date, akind, afield) != 0
    history = {a: np.asarray(r) for a, r in tx.index[observed].groupby(tx["asset_id"].to_numpy()[observed]).items()}
    mass_rows: list[tuple[np.ndarray, float]] = []
    for rid in test["record_id"].to_numpy():
        i = int(pos[rid])
        aid = tx["asset_id"].iat[i]
        earlier = [j for j in history.get(aid, ()) if date[j] < date[i]]
        obs = [(math.log(amount[j]) - float(truth.known[j]), bool(after[j]), date[j]) for j in earlier]
        mass = predictive(sc, grid, obs, truth.walk_start[apos[aid]], date[i], bool(after[i]))
        mass_rows.append((mass, float(truth.known[i])))
    price = amount[pos[test["record_id"].to_numpy()].to_numpy()]
    s = grid.x

    def score(m: float | None) -> tuple[np.ndarray, float]:
        v = np.array([math.exp(k + _choose(s, mass, m)) for mass, k in mass_rows])
        return v, float(np.median(np.abs(v / price - 1.0))) if len(v) else math.nan

    best_v, best = score(None)
    m = best
    for _ in range(4):  # fixed point of the window width on the MdAPE it produces
        if not 0 < m < 1:
            break
        v, m_new = score(m)
        if m_new < best:
            best_v, best = v, m_new
        if abs(m_new - m) < 1e-4:
            break
        m = m_new
    return best_v
