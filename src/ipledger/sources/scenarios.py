"""Scenario settings of the generated market and its price process.

The price process is written independently of the market approach it is used to test: its own
latent quality, its own remaining-life curve (a power of the share of the legal term left, not
the valuation's annuity ratio), its own licence shares (a square root of the term share, not the
valuation's annuity inversion) and, per scenario, effects the valuation model has no feature
for. A model that only inverted the generator would score well on a market built from its own
formulas; here it can be wrong, and the backtest shows by how much.

Scenarios (see :data:`SCENARIOS`; sizes are suggestions the benchmark uses):

* ``base``: Student-t(5) asset quality, log-linear observable effects, lognormal price noise
  (sd 0.3) with 5% outliers (sd 1.0).
* ``heavy_tails``: t(2.5) quality (infinite fourth moment, finite variance), clipped at +-12 sd
  and prices capped at :data:`MAX_PRICE` so that nothing overflows.
* ``nonlinear``: saturating and threshold effects of claims, citations and family size, and
  interactions (jurisdiction x field, claims x citations, brand class x jurisdiction).
* ``omitted_driver``: a firm effect (the first owner's commercial strength, sd 0.5) and an
  asset-level random walk (sd 0.25 per sqrt(year)) that no feature of the ledger carries.
* ``regime_shift``: from 2024-07-01 the level drops 25%, fields re-rank (computing and AI up,
  telecoms and construction down) and noise rises by 30%.
* ``noisy``: price noise sd 0.5 and 12% outliers (distressed sales about -1.0 in log,
  related-party or strategic premiums about +0.8).
* ``thin``: few assets and about 2.7 trades per asset.
* ``first_sale``: many assets and fewer trades than assets, so repeat sales are rare.
* ``all``: every setting above at once, in a thin first-sale market.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_PRICE = 5e10  # major units: a guard so that heavy tails never overflow the chain's amounts
MIN_PRICE = 100.0  # major units: the chain rejects zero amounts
# Licence lump sums as a share of the asset's value, for a licence of the whole remaining life.
# The generator's own figures (an assumption of the synthetic market, not the valuation's).
LICENCE_SHARE = {"non_exclusive": 0.12, "sole": 0.35, "exclusive": 0.65}
# Exponent of the remaining-life curve (share of the legal term left) ** gamma, by kind.
LIFE_GAMMA = {"invention": 0.6, "utility_model": 0.6, "design": 0.5, "copyright": 0.4, "software": 0.4}
# Effects of the regime shift in log price, by technical field or kind (added after the shift).
SHIFT_FIELD = {
    "computing and AI": 0.5,
    "semiconductors": 0.3,
    "batteries and power": 0.3,
    "telecommunications": -0.3,
    "construction": -0.3,
    "household goods": -0.2,
}
SHIFT_KIND = {"trademark": 0.2, "software": 0.2, "utility_model": -0.2}
_HIGH_TECH = ("pharmaceuticals", "biotechnology", "semiconductors", "telecommunications")


@dataclass(frozen=True)
class Scenario:
    """Settings of one generated market.

    Attributes:
        name: label.
        tail_df: degrees of freedom of the Student-t asset quality (heavier tails when lower).
        quality_sd: scale of the asset quality in log price.
        nonlinear: saturating/threshold effects of the observable drivers.
        interactions: interaction effects between drivers.
        firm_sd: sd of a firm effect (first owner) in log price; 0 for none.
        drift_sd: sd per sqrt(year) of an asset-level random walk in log price; 0 for none.
        shift_date: ISO date of a regime shift, or None.
        shift_level: change of the log price level at the shift.
        noise_sd: sd of the lognormal price noise.
        outlier_share: share of trades with an outlier price.
        n_assets: suggested number of assets.
        n_transactions: suggested number of transactions.
    """

    name: str = "base"
    tail_df: float = 5.0
    quality_sd: float = 0.75
    nonlinear: bool = False
    interactions: bool = False
    firm_sd: float = 0.0
    drift_sd: float = 0.0
    shift_date: str | None = None
    shift_level: float = -0.25
    noise_sd: float = 0.3
    outlier_share: float = 0.05
    n_assets: int = 4000
    n_transactions: int = 36_000


_BASE = Scenario()
SCENARIOS: dict[str, Scenario] = {
    "base": _BASE,
    "heavy_tails": Scenario("heavy_tails", tail_df=2.5, quality_sd=0.9),
    "nonlinear": Scenario("nonlinear", nonlinear=True, interactions=True),
    "omitted_driver": Scenario("omitted_driver", firm_sd=0.5, drift_sd=0.25),
    "regime_shift": Scenario("regime_shift", shift_date="2024-07-01"),
    "noisy": Scenario("noisy", noise_sd=0.5, outlier_share=0.12),
    "thin": Scenario("thin", n_assets=1200, n_transactions=3200),
    "first_sale": Scenario("first_sale", n_assets=12_000, n_transactions=9000),
    "all": Scenario(
        "all",
        tail_df=2.5,
        quality_sd=0.9,
        nonlinear=True,
        interactions=True,
        firm_sd=0.5,
        drift_sd=0.25,
        shift_date="2024-07-01",
        noise_sd=0.5,
        outlier_share=0.12,
        n_assets=8000,
        n_transactions=7000,
    ),
}


def get_scenario(name_or: str | Scenario) -> Scenario:
    """The scenario of that name (or the scenario itself)."""
    if isinstance(name_or, Scenario):
        return name_or
    from ipledger.errors import ValidationError

    if name_or not in SCENARIOS:
        raise ValidationError(f"unknown market scenario {name_or!r}; one of {', '.join(SCENARIOS)}")
    return SCENARIOS[name_or]


def quality(rng: np.random.Generator, sc: Scenario, n: int) -> np.ndarray:
    """Unit-variance (where finite) asset quality, Student-t, clipped at +-12 (overflow guard)."""
    df = sc.tail_df
    draw = rng.standard_t(df, n)
    if df > 2:
        draw = draw * math.sqrt((df - 2) / df)
    return np.asarray(np.clip(draw, -12.0, 12.0))


def observable_effects(
    sc: Scenario,
    kind: np.ndarray,
    jur: np.ndarray,
    fld: np.ndarray,
    class_code: np.ndarray,
    claims: np.ndarray,
    citations: np.ndarray,
    family: np.ndarray,
) -> np.ndarray:
    """Log-price effect of the drivers a registry records (claims, citations, family, ...)."""
    c = np.nan_to_num(claims, nan=0.0)
    k = np.nan_to_num(citations, nan=0.0)
    f = np.nan_to_num(family, nan=1.0)
    if sc.nonlinear:
        claim = np.where(np.isnan(claims), 0.0, 0.7 * np.tanh((c - 8.0) / 4.0))
        cite = np.where(np.isnan(citations), 0.0, 0.5 * (1.0 - np.exp(-k / 3.0)) - 0.25)
        fam = np.where(np.isnan(family), 0.0, np.where(f >= 4, 0.6, 0.15 * (f - 1.0)))
    else:
        claim = np.where(np.isnan(claims), 0.0, 0.35 * (np.log1p(c) - math.log(9)))
        cite = np.where(np.isnan(citations), 0.0, 0.25 * (np.log1p(k) - math.log(4)))
        fam = np.where(np.isnan(family), 0.0, 0.35 * np.log(f))
    out = claim + cite + fam
    if sc.interactions:
        abroad = np.isin(jur, ("US", "EP"))
        out = out + 0.7 * (abroad & np.isin(fld, _HIGH_TECH))
        out = out + 0.4 * ((c > 12) & (k > 6))
        brand = (kind == "trademark") & np.isin(class_code, ("5", "33")) & (jur == "CN")
        out = out + 0.4 * brand
    return np.asarray(out, dtype=float)


def life_curve(kind: np.ndarray, rem_years: np.ndarray, full_years: np.ndarray) -> np.ndarray:
    """Share of full-life value left: (remaining / full term) ** gamma(kind); 1 when unlimited."""
    gamma = np.array([LIFE_GAMMA.get(str(k), 0.6) for k in kind])
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(np.isfinite(full_years) & (full_years > 0), np.clip(rem_years / full_years, 0.0, 1.0), 1.0)
    return np.asarray(share**gamma)


def shift_effect(sc: Scenario, dates: np.ndarray, kind: np.ndarray, fld: np.ndarray) -> np.ndarray:
    """Log-price change of trades at ``dates`` from the scenario's regime shift (0 before it)."""
    if sc.shift_date is None:
        return np.zeros(len(dates))
    after = np.asarray(dates, dtype="datetime64[ns]") >= np.datetime64(sc.shift_date, "ns")
    eff = sc.shift_level + np.array([SHIFT_FIELD.get(str(f), 0.0) for f in fld])
    eff = eff + np.array([SHIFT_KIND.get(str(k), 0.0) for k in kind])
    return np.asarray(np.where(after, eff, 0.0))


def price_noise(rng: np.random.Generator, sc: Scenario, n: int, after_shift: np.ndarray) -> np.ndarray:
    """Log noise of each trade: normal, with outliers (distressed or premium sales)."""
    sd = sc.noise_sd * np.where(after_shift, 1.3, 1.0)
    out = rng.normal(0.0, 1.0, n) * sd
    outlier = rng.random(n) < sc.outlier_share
    if sc.outlier_share > 0.06:
        # Two-sided contamination: distressed sales (60%) and strategic or related-party premiums.
        distressed = rng.random(n) < 0.6
        contam = np.where(distressed, rng.normal(-1.0, 0.5, n), rng.normal(0.8, 0.5, n))
    else:
        contam = rng.normal(0.0, 1.0, n)
    return np.asarray(np.where(outlier, contam, out))


def licence_share(exclusivity: np.ndarray, term_years: np.ndarray, rem_years: np.ndarray) -> np.ndarray:
    """Share of the asset's value a licence's lump sum carries: base share x sqrt(term share)."""
    base = np.array([LICENCE_SHARE.get(str(e), 0.12) for e in exclusivity])
    horizon = np.where(np.isfinite(rem_years), rem_years, 15.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.clip(term_years / np.maximum(horizon, 0.1), 0.0, 1.0)
    return np.asarray(base * np.sqrt(frac))
