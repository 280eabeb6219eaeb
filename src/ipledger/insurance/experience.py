"""Experience rating of a book from its own emerging claims: class relativities by
Buhlmann-Straub credibility, a book-level frequency (off-balance) correction and a severity
correction with a limited-fluctuation standard, all on every accident year accumulated so far.

The tariff is ``manual x relativity x frequency level x severity level``:

1. **Development (Cape Cod).** Reported claim counts and incurred losses (paid plus case
   reserves) are put on accident-year triangles and developed with ``chainladder``; each
   policy's exposure is its *used-up* expected claims, the manual frequency times the share of
   each accident year's claims reported by now (the reciprocal of the count CDF), summed over
   the years (Stanard 1985, "A simulation test of prediction errors of loss reserve estimation
   techniques", PCAS 72; Buhlmann's "Cape Cod" method).
2. **Class relativities (frequency).** For each rating factor (field, firm type, stage, export
   market) and level ``j``: observed claims ``N_j`` over expected ``W_j`` (used-up exposure
   times the other factors' current relativities), ``r_j = N_j / W_j``. Buhlmann-Straub with a
   Poisson process variance (EPV 1 per expected claim) and the between-level variance estimated
   from the data, ``tau^2 = (sum W_j (r_j - 1)^2 - (J - 1)) / (W - sum W_j^2 / W)`` floored at
   0; ``Z_j = W_j / (W_j + 1 / tau^2)``; the level's relativity is ``1 + Z_j (r_j - 1)``.
   The factors are fitted in turn until they settle (backfitting). With every ``Z = 1`` this is
   Bailey's marginal-totals iteration, whose fixed point is the multiplicative Poisson GLM's
   maximum-likelihood fit (Mildenhall 1999, "A systematic relationship between minimum bias and
   generalized linear models", PCAS 86); credibility on each level's random effect is Ohlsson's
   combination of GLMs and credibility (Ohlsson 2008, Scand. Actuarial J.; Ohlsson & Johansson
   2010, *Non-Life Insurance Pricing with GLMs*, ch. 4). Claims of one infringer's campaign are
   one event, not independent evidence on the factors: they stay out of the relativities.
3. **Frequency level.** Reported single claims over the used-up expected claims of the new
   relativities; Buhlmann credibility with ``k = 1 / cv^2`` expected
   claims, ``cv`` the between-book spread of true loss costs around the manual (the same
   assumption as :attr:`ipledger.insurance.quote.ClaimsExperience.vhm_cv`, 0.5). This is the
   off-balance correction that answers adverse selection. Campaign claims are charged as a load
   per policy-year exposed (their count over the used-up policy-years, with the same
   credibility), not in proportion to rated frequency: **assumption**, an infringer's campaign
   targets a field's holders whatever their own litigation propensity, and catastrophe-type
   loads are set per unit of exposure.
4. **Severity level.** Developed incurred per developed claim against the expected per claim
   (both Cape Cod, on the new frequency mix). Limited-fluctuation credibility
   ``Z = min(1, sqrt(n / n_full))``, ``n_full = 1,082 x CV^2`` claims (probability 90% of being
   within 5%: Longley-Cook 1962, "An introduction to credibility theory", PCAS 49; Mahler & Dean,
   *Foundations of Casualty Actuarial Science*, ch. 8, severity standard), ``CV`` the sample
   coefficient of variation of the reported claims' incurred amounts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ipledger.errors import PricingError
from ipledger.insurance.development import develop

F = NDArray[np.float64]
#: Rating factors refitted from experience (the portfolio-size band is left as priced).
FACTORS = ("field", "firm", "stage", "export")
#: Paid share of a notified claim by years since notice; the case reserve carries the rest.
PAYMENT_PATTERN = (0.3, 0.7, 1.0)
#: Limited-fluctuation full-credibility standard for claim counts: P = 90%, k = 5%
#: (Longley-Cook 1962; Mahler & Dean ch. 8): (1.645 / 0.05)^2 = 1,082 claims.
FULL_CREDIBILITY_CLAIMS = 1082.0
#: Assumption: CV of true book-level loss costs around the manual (as ClaimsExperience.vhm_cv).
BOOK_VHM_CV = 0.5
#: A factor is re-rated only when its levels differ at this significance (Pearson chi-square test
#: of homogeneity, the usual 5%; Goldburd, Khare & Tevet, *GLMs for Insurance Rating*, CAS
#: Monograph 5, on keeping a factor only when the data support it).
SIGNIFICANCE = 0.05
#: Backfitting passes over the factors (the relativities settle in a few).
PASSES = 8


@dataclass(frozen=True)
class Refit:
    """One year-end experience rating of a book.

    Attributes:
        premium: the experience-rated premium for next year, per policy.
        relativity: per policy, the product of the factors' credibility-weighted relativities.
        levels: per factor and level: ``(observed claims, expected claims, Z, relativity)``.
        vhm: per factor, the estimated between-level variance ``tau^2``.
        frequency_factor / z_frequency: book-level frequency correction and its credibility.
        severity_factor / z_severity: book-level severity correction and its credibility.
        reported: claims reported so far (campaign claims included).
        event_load: campaign claims charged per policy-year, credibility-weighted.
        count_share: used-up share of expected claims (sum over accident years of the reported
            share of each, from the count development): a policy's exposure is its manual
            frequency times this.
        single_claims: per policy, the reported claims outside campaigns (the relativities'
            evidence).
    """

    premium: F
    relativity: F
    levels: dict[str, dict[str, tuple[float, float, float, float]]] = field(default_factory=dict)
    vhm: dict[str, float] = field(default_factory=dict)
    frequency_factor: float = 1.0
    z_frequency: float = 0.0
    severity_factor: float = 1.0
    z_severity: float = 0.0
    reported: int = 0
    event_load: float = 0.0
    count_share: float = 0.0
    single_claims: F = field(default_factory=lambda: np.zeros(0))


def development_frame(claims: pd.DataFrame, year: int) -> pd.DataFrame:
    """Cumulative reported counts and incurred losses by accident year at each year end.

    ``claims`` has one row per claim: ``acc`` (accident year, 1-based), ``lag`` (years to
    notice), ``ult`` (ultimate payment) and ``reserve`` (case reserve set at notice).
    """
    rows = []
    notice = (claims["acc"] + claims["lag"]).to_numpy(int)
    acc = claims["acc"].to_numpy(int)
    pattern = np.asarray(PAYMENT_PATTERN)
    ult, reserve = claims["ult"].to_numpy(float), claims["reserve"].to_numpy(float)
    for a in range(1, year + 1):
        for v in range(a, year + 1):
            m = (acc == a) & (notice <= v)
            w = pattern[np.minimum(v - notice[m], len(pattern) - 1)]
            incurred = float((w * ult[m] + (1 - w) * reserve[m]).sum())
            rows.append(
                {
                    "origin": str(2000 + a),
                    "valuation": pd.Timestamp(f"{2000 + v}-12-31"),
                    "reported": float(m.sum()),
                    "incurred": incurred,
                }
            )
    return pd.DataFrame(rows)


def level_credibility(observed: F, expected: F) -> tuple[F, F, float]:
    """Buhlmann-Straub credibility of the levels of one factor (Poisson process variance).

    Args:
        observed: claims per level.
        expected: expected claims per level at the book's observed overall frequency.

    Returns:
        ``(relativity per level, Z per level, tau^2)``; relativities average 1 over ``expected``.
        ``tau^2`` is 0 (no re-rating) unless the Pearson chi-square test rejects homogeneity at
        :data:`SIGNIFICANCE`.
    """
    w = np.asarray(expected, dtype=float)
    big_w = float(w.sum())
    if big_w <= 0 or len(w) < 2:
        return np.ones(len(w)), np.zeros(len(w)), 0.0
    r = np.asarray(observed, dtype=float) / np.maximum(w, 1e-12)
    pearson = float((w * (r - 1.0) ** 2).sum())  # sum (O - E)^2 / E
    denom = big_w - float((w**2).sum()) / big_w
    tau2 = max((pearson - (len(w) - 1)) / denom, 0.0) if denom > 0 else 0.0
    if pearson < _chi2_critical(len(w) - 1):
        tau2 = 0.0  # the levels differ no more than Poisson noise would make them: no re-rating
    z = w / (w + 1.0 / tau2) if tau2 > 0 else np.zeros(len(w))
    rel = 1.0 + z * (r - 1.0)
    rel /= float((w * rel).sum()) / big_w
    return rel, z, tau2


def _chi2_critical(df: int) -> float:
    from scipy.stats import chi2

    # Bonferroni: the four factors are tested together, family-wise at SIGNIFICANCE.
    return float(chi2.ppf(1.0 - SIGNIFICANCE / len(FACTORS), df))


def paying_share(probability: F, mu: F, sigma: F, deductible: F) -> F:
    """Share of a policy's cases that end with a payment, from the rated severity model.

    A case pays when at least one cost head occurs and exceeds its deductible
    (``(n, H)`` arrays: head probability, lognormal ``mu`` / ``sigma``, deductible). Cases that
    close without payment are not in the claims data, so expected *paying* claims are the
    frequency times this share.
    """
    from scipy.stats import norm

    d = np.asarray(deductible, dtype=float)
    with np.errstate(divide="ignore"):
        above = np.where(d > 0, norm.sf((np.log(np.where(d > 0, d, 1.0)) - mu) / sigma), 1.0)
    return np.asarray(1.0 - np.prod(1.0 - probability * above, axis=1), dtype=np.float64)


def refit(attrs: pd.DataFrame, frequency: F, per_claim: F, manual: F, claims: pd.DataFrame, year: int) -> Refit:
    """Experience-rated premium for next year from the claims reported by the end of ``year``.

    Args:
        attrs: rating attributes per policy (columns :data:`FACTORS`).
        frequency: manual (priced) frequency of *paying* claims per policy-year (the case
            frequency times :func:`paying_share`).
        per_claim: expected payment per paying claim per policy.
        manual: manual premium per policy.
        claims: every claim so far: ``pol``, ``acc``, ``lag``, ``ult``, ``reserve``, ``event``.
        year: the year just ended (1-based); claims noticed later are not yet known.
    """
    if year < 1:
        raise PricingError("experience rating needs at least one year of claims")
    reported = claims[(claims["acc"] + claims["lag"]) <= year]
    frame = development_frame(reported, year)
    cnt = develop(frame, "reported")
    inc = develop(frame, "incurred")
    # Used-up exposure: share of each accident year's claims reported by now (count CDFs).
    share_cnt = float((1.0 / np.maximum(cnt.cdf, 1.0)).sum())
    share_inc = float((1.0 / np.maximum(inc.cdf, 1.0)).sum())
    expo = np.asarray(frequency, dtype=float) * share_cnt
    single = reported[~reported["event"].astype(bool)]
    n_claims = np.bincount(single["pol"].to_numpy(int), minlength=len(expo)).astype(float)

    codes = {f: pd.factorize(attrs[f].astype(str), sort=True) for f in FACTORS}
    rel_f = {f: np.ones(len(u)) for f, (_, u) in codes.items()}
    out_levels: dict[str, dict[str, tuple[float, float, float, float]]] = {}
    vhm: dict[str, float] = {}
    overall = float(n_claims.sum() / expo.sum()) if expo.sum() > 0 else 1.0
    for _ in range(PASSES):
        for f, (idx, uniq) in codes.items():
            others = np.ones(len(expo))
            for g, (jdx, _) in codes.items():
                if g != f:
                    others *= rel_f[g][jdx]
            w = np.asarray(np.bincount(idx, weights=expo * others * overall, minlength=len(uniq)), dtype=float)
            o = np.asarray(np.bincount(idx, weights=n_claims, minlength=len(uniq)), dtype=float)
            rel, z, tau2 = level_credibility(o, w)
            rel_f[f], vhm[f] = rel, tau2
            out_levels[f] = {str(u): (float(o[j]), float(w[j]), float(z[j]), float(rel[j])) for j, u in enumerate(uniq)}
    relativity = np.ones(len(expo))
    for f, (idx, _) in codes.items():
        relativity *= rel_f[f][idx]
    # Keep the book's expected claims: the relativities redistribute, the level comes next.
    relativity /= float((frequency * relativity).sum() / frequency.sum())

    # Book frequency level: single claims against the used-up expected of the new relativities.
    n_all = float(len(reported))
    n_single = float(n_claims.sum())
    exp_claims = float((expo * relativity).sum())
    z_freq = exp_claims / (exp_claims + 1.0 / BOOK_VHM_CV**2) if exp_claims > 0 else 0.0
    freq_factor = 1.0 + z_freq * (n_single / exp_claims - 1.0) if exp_claims > 0 else 1.0
    # Campaign claims: a load per policy-year exposed (used-up policy-years: the reported share
    # of each accident year), not in proportion to rated frequency; credited as the book level.
    event_rate = (n_all - n_single) / max(len(expo) * share_cnt, 1e-12)
    event_load = z_freq * event_rate

    # Severity level: Cape Cod incurred over Cape Cod counts, both on the new frequency mix.
    lam = frequency * relativity * freq_factor + event_rate
    loss_cc = float(inc.latest.sum()) / max(float((lam * per_claim).sum()) * share_inc, 1e-12)
    count_cc = n_all / max(float(lam.sum()) * share_cnt, 1e-12)
    z_sev = sev = 0.0
    if n_all >= 2 and count_cc > 0:
        amounts = _incurred_per_claim(reported, year)
        cv = float(amounts.std(ddof=1) / amounts.mean()) if amounts.mean() > 0 else 0.0
        n_full = FULL_CREDIBILITY_CLAIMS * max(cv, 1e-6) ** 2
        z_sev = min(1.0, float(np.sqrt(n_all / n_full)))
        sev = loss_cc / count_cc - 1.0
    sev_factor = 1.0 + z_sev * sev
    level = relativity * max(freq_factor, 0.05) + event_load / np.maximum(frequency, 1e-12)
    premium = np.asarray(manual * level * max(sev_factor, 0.05), dtype=np.float64)
    return Refit(
        premium=premium,
        relativity=relativity,
        levels=out_levels,
        vhm=vhm,
        frequency_factor=freq_factor,
        z_frequency=z_freq,
        severity_factor=sev_factor,
        z_severity=z_sev,
        reported=len(reported),
        event_load=event_load,
        count_share=share_cnt,
        single_claims=n_claims,
    )


def _incurred_per_claim(reported: pd.DataFrame, year: int) -> F:
    notice = (reported["acc"] + reported["lag"]).to_numpy(int)
    w = np.asarray(PAYMENT_PATTERN)[np.minimum(year - notice, len(PAYMENT_PATTERN) - 1)]
    return np.asarray(w * reported["ult"].to_numpy(float) + (1 - w) * reported["reserve"].to_numpy(float))


def summary(r: Refit) -> dict[str, Any]:
    """The refit's credibility figures, for the benchmark's per-year record."""
    return {
        "reported": r.reported,
        "z_frequency": round(r.z_frequency, 4),
        "frequency_factor": round(r.frequency_factor, 4),
        "z_severity": round(r.z_severity, 4),
        "severity_factor": round(r.severity_factor, 4),
        "event_load_per_policy_year": round(r.event_load, 6),
        "tau2": {f: round(v, 4) for f, v in r.vhm.items()},
        "field_z": {k: round(v[2], 3) for k, v in r.levels.get("field", {}).items()},
        "field_claims": {k: v[0] for k, v in r.levels.get("field", {}).items()},
    }


__all__ = [
    "BOOK_VHM_CV",
    "FACTORS",
    "FULL_CREDIBILITY_CLAIMS",
    "PAYMENT_PATTERN",
    "SIGNIFICANCE",
    "Refit",
    "development_frame",
    "level_credibility",
    "paying_share",
    "refit",
    "summary",
]
