"""The income approach's engine: present values of a revenue-based stream, vectorised over draws.

One formula serves relief from royalty (income rate = royalty x (1 - tax)) and excess earnings
(income rate = the after-tax excess margin, see :mod:`ipledger.valuation.excess`):

    value = sum_i R_i * rate * f_i / (1 + k) ** t_i   (+ terminal value)   (x TAB factor)

* ``R_i`` is the revenue of year *i*: the given forecast, extended at ``growth`` once it ends.
* A finite life ``L`` gives ``n = ceil(L)`` years; the last is a **partial year** of length
  ``f_n = L - (n - 1)``, discounted at its own time: the mid-point of the stub,
  ``t_n = n - 1 + f_n / 2``, under the mid-year convention, its end ``n - 1 + f_n`` otherwise.
  Full years are discounted at ``i - 0.5`` (mid-year) or ``i``.
* An indefinite life (a mark or a secret in use) has ``explicit`` forecast years and a
  **Gordon growth terminal value** ``R_{N+1} * rate / (k - g_tv)`` at the end of year ``N``
  (at ``N - 0.5`` under the mid-year convention, since its flows then fall mid-year too).
* The **tax amortisation benefit** gross-up ``1 / (1 - t * PVA(k, n) / n)`` (straight line over
  ``n`` years) multiplies the value when a period is given.

:func:`simulate` draws the uncertain inputs (royalty or margin, discount rate, life, growth) and
returns the values of all draws at once; the income range is their 10th and 90th percentiles.
Money in major units, rates as fractions, time in years.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ipledger.errors import ValuationError

__all__ = ["DRAWS", "SEED", "Stream", "present_values", "simulate", "split_lognormal", "tab_factors"]

#: Monte Carlo draws for the income range: the p10/p90 of 2,000 draws move by about 1-2% of
#: the value between seeds (a quantile's standard error is sqrt(0.1 * 0.9 / n) in probability).
DRAWS = 2000
#: Fixed seed: the same inputs give the same range, so the report hash is reproducible.
SEED = 20240611
#: Longest horizon of an explicit forecast (years); lives beyond are cut here (a 50-year
#: copyright discounted at 10% or more keeps over 99% of its value within 50 years).
MAX_YEARS = 60
_Z90 = 1.2815515655446004


@dataclass(frozen=True)
class Stream:
    """A revenue-based income stream to value.

    Attributes:
        revenues: the forecast revenue per year from year 1 (major units); extended at the
            growth rate beyond its end.
        tax_rate: income tax on royalties (relief from royalty) or 0 when the rate is already
            after tax (excess earnings).
        mid_year: mid-year discounting convention.
        tab_period: tax amortisation period in years, or None for no TAB.
        explicit_years: forecast years before the terminal value (indefinite lives).
        terminal_growth: long-run growth of the terminal value, a fraction < the discount rate.
        tab_tax_rate: the tax rate whose amortisation deductions the TAB counts.
    """

    revenues: tuple[float, ...]
    tax_rate: float
    mid_year: bool
    tab_period: int | None
    explicit_years: int
    terminal_growth: float
    tab_tax_rate: float = 0.25


def tab_factors(tax: float, k: np.ndarray, period: int | None, *, mid_year: bool) -> np.ndarray:
    """TAB gross-up ``1 / (1 - t * PVA(k, n) / n)`` for each discount rate in ``k`` (1 without TAB)."""
    k = np.asarray(k, dtype=float)
    if period is None:
        return np.ones_like(k)
    years = np.arange(1, int(period) + 1, dtype=float) - (0.5 if mid_year else 0.0)
    pva = (np.power.outer(1.0 + k, -years)).sum(axis=-1)
    share = tax * pva / period
    if np.any(share >= 1.0):
        raise ValuationError("tax amortisation benefit undefined: t*PVA/n >= 1 (negative discount rate?)")
    return np.asarray(1.0 / (1.0 - share))


def present_values(stream: Stream, rate: ArrayLike, k: ArrayLike, life: ArrayLike, growth: ArrayLike) -> np.ndarray:
    """Values of ``stream`` for arrays of income rate, discount rate, life (inf: indefinite) and growth.

    All four arrays broadcast to one shape ``(n,)``; returns the values, shape ``(n,)``.
    """
    rate, k, life, growth = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(x, dtype=float)) for x in (rate, k, life, growth))
    )
    if np.any(k <= -1):
        raise ValuationError("discount_rate must be > -1")
    indefinite = np.isinf(life)
    finite_life = np.where(indefinite, 0.0, np.clip(life, 0.0, MAX_YEARS))
    horizon = int(max(np.ceil(finite_life).max(initial=0.0), stream.explicit_years if indefinite.any() else 0, 1))
    years = np.arange(1, horizon + 1, dtype=float)  # (H,)
    base = np.asarray(stream.revenues, dtype=float)
    m = min(len(base), horizon)
    # revenue per draw and year: the forecast, then grown at each draw's growth rate
    rev = np.empty((len(k), horizon))
    rev[:, :m] = base[:m]
    if horizon > m:
        steps = years[m:] - m  # 1, 2, ... years past the forecast's end
        rev[:, m:] = base[m - 1] * np.exp(np.multiply.outer(np.log1p(growth), steps))
    n_years = np.where(indefinite, stream.explicit_years, np.ceil(finite_life - 1e-12))
    stub = np.where(indefinite, 1.0, finite_life - (n_years - 1.0))  # length of the last year
    last = years[None, :] == n_years[:, None]
    inside = years[None, :] <= n_years[:, None]
    length = np.where(last, stub[:, None], 1.0) * inside
    start = years - 1.0
    when = start[None, :] + (length / 2.0 if stream.mid_year else length)
    when = np.where(inside, when, 1.0)
    disc = np.exp(-when * np.log1p(k)[:, None])  # (1 + k) ** -when, exp being cheaper than power
    value = (rev * length * disc).sum(axis=1) * rate * (1.0 - stream.tax_rate)
    if indefinite.any():
        g = stream.terminal_growth
        if np.any(k[indefinite] <= g):
            raise ValuationError(f"terminal value needs a discount rate above the terminal growth {g:.2%}")
        n_e = stream.explicit_years
        last_rev = rev[:, n_e - 1] if n_e <= horizon else rev[:, -1]
        t_tv = n_e - (0.5 if stream.mid_year else 0.0)
        tv = last_rev * (1.0 + g) * rate * (1.0 - stream.tax_rate) / (k - g) * np.power(1.0 + k, -t_tv)
        value = value + np.where(indefinite, tv, 0.0)
    factor = tab_factors(stream.tab_tax_rate, k, stream.tab_period, mid_year=stream.mid_year)
    return np.asarray(value * factor)


def split_lognormal(rng: np.random.Generator, p10: float, p50: float, p90: float, size: int) -> np.ndarray:
    """Draws whose 10th, 50th and 90th percentiles are ``p10``, ``p50``, ``p90`` (all > 0):
    a lognormal with median ``p50`` and separate spreads below and above it."""
    if not 0 < p10 <= p50 <= p90:
        raise ValuationError(f"expected 0 < p10 <= p50 <= p90, got {p10}, {p50}, {p90}")
    z = rng.standard_normal(size)
    lo, hi = math.log(p50 / p10) / _Z90, math.log(p90 / p50) / _Z90
    return np.asarray(p50 * np.exp(np.where(z < 0, z * lo, z * hi)))


@dataclass(frozen=True)
class Draws:
    """The simulated values and the inputs drawn (arrays of length :data:`DRAWS`)."""

    values: np.ndarray
    rate: np.ndarray
    k: np.ndarray
    life: np.ndarray
    growth: np.ndarray

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile (0-100) of the values."""
        return float(np.percentile(self.values, q))


def simulate(
    stream: Stream,
    rate: Sequence[float],
    k: float,
    k_sd: float,
    life: float,
    life_sd: float,
    legal_life: float,
    growth: float,
    growth_sd: float,
    *,
    draws: int = DRAWS,
    seed: int = SEED,
) -> Draws:
    """Monte Carlo over the income inputs.

    Args:
        stream: the income stream.
        rate: ``(p10, p50, p90)`` of the income rate (royalty rate, or excess margin when
            ``p10 == p50 == p90`` it is fixed); drawn from a split lognormal.
        k: discount rate (fraction); drawn normal with sd ``k_sd``, kept above the terminal
            growth plus 1 point.
        k_sd: standard deviation of the discount rate (fraction points).
        life: remaining economic life in years (inf: indefinite, not drawn).
        life_sd: relative standard deviation of the economic life (lognormal), capped by
            ``legal_life``.
        legal_life: remaining legal life (inf when none).
        growth: revenue growth after the forecast (fraction a year); drawn normal, sd ``growth_sd``.
        growth_sd: its standard deviation.
        draws: number of draws.
        seed: random seed.
    """
    rng = np.random.default_rng(seed)
    p10, p50, p90 = (float(x) for x in rate)
    rates = np.full(draws, p50) if p10 == p90 else split_lognormal(rng, p10, p50, p90, draws)
    floor = stream.terminal_growth + 0.01
    ks = np.maximum(k + k_sd * rng.standard_normal(draws), max(floor, -0.5))
    if math.isinf(life):
        lives = np.full(draws, math.inf)
    else:
        lives = np.minimum(life * np.exp(life_sd * rng.standard_normal(draws)), legal_life)
    gs = growth + growth_sd * rng.standard_normal(draws)
    return Draws(present_values(stream, rates, ks, lives, gs), rates, ks, lives, gs)
