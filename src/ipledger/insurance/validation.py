"""Validation the pricing cannot pass by construction: books whose true risk differs from the
pricing assumptions, priced by the tool, then years of claims through development and
credibility refits of the multiplicative tariff (a Poisson GLM's structure, credited by level).

The true claim frequencies come from :func:`true_frequency`, written apart from
:meth:`ipledger.insurance.loss.LossModel.rate` with each scenario's own tables (relativities off,
firm-type effects reversed, adverse selection, stronger frailty, a claims campaign). Severities
are as priced: the scenarios test the frequency side, which is what the thesis's tiers move.

Each simulated year: the book is priced three ways (flat pilot premium, tiered manual premium,
tiered with experience rating); one realisation of claims is drawn (Poisson counts per policy,
lognormal heads with the products' limits), each claim notified with a delay
(:data:`~ipledger.insurance.development.REPORTING_PATTERN`), reserved with an error and paid
over two years. At each year end the experience-rated price is refitted from every accident
year reported so far by :func:`ipledger.insurance.experience.refit`: Cape Cod development with
``chainladder``, Buhlmann-Straub class relativities on claim counts (a factor re-rated only
where its levels differ significantly), a book frequency level and a severity level, each by
credibility (decision record 0100).

For ``fields_off`` a fourth price is a reference bound, not a pricing method: the fields at the
Bayes posterior mean under the prior the truth is drawn from, on the refit's own evidence
(:mod:`ipledger.insurance.bayes_bound`, decision record 0101).

Loss ratios are measured against the *true expected* losses of the premium in force (the
realised ones are reported too), by field and by decile of true and of rated risk; the target
is the tiered loading's loss ratio ``1 - expenses - profit``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ipledger.insurance import bayes_bound, experience
from ipledger.insurance import calibration as cal
from ipledger.insurance.book import Book, RatedArrays, flat_premium
from ipledger.insurance.development import REPORTING_PATTERN
from ipledger.insurance.loss import DEFAULT_MODEL, LossModel, RiskProfile
from ipledger.insurance.payment import lognormal_expected_payment
from ipledger.insurance.premium import Loadings
from ipledger.insurance.products import COST_HEADS, get_product

F = NDArray[np.float64]
_H = len(COST_HEADS)
#: Case reserves: lognormal error around the ultimate, median 0.9 (assumption: slight
#: under-reserving at notice, common in long-tailed lines).
RESERVE_BIAS, RESERVE_SD = 0.9, 0.4


@dataclass(frozen=True)
class Scenario:
    """A true risk that differs from the pricing assumptions.

    Attributes:
        name: key.
        field_sd: log-sd of true field relativities around the priced ones (fixed per seed).
        firm_reversed: true firm-type frequency relativities are the priced ones reversed.
        frailty_cv: CV of the unobserved gamma frailty per policy (pricing sees none).
        selection: adverse selection strength: a population three times the book is drawn and
            policies buy with probability proportional to ``frailty ** selection``.
        campaign_prob / campaign_rate: each year, with this probability, an infringer's
            campaign hits one field: every policy in it gets extra claims at this rate.
        description: one line.
    """

    name: str
    field_sd: float = 0.0
    firm_reversed: bool = False
    frailty_cv: float = 0.3
    selection: float = 0.0
    campaign_prob: float = 0.0
    campaign_rate: float = 0.0
    description: str = ""


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("fields_off", field_sd=0.5, description="field relativities off (lognormal sd 0.5)"),
    Scenario("firm_reversed", firm_reversed=True, description="firm-type frequency effects reversed"),
    Scenario(
        "adverse_selection",
        frailty_cv=0.8,
        selection=1.5,
        description="high-risk holders buy more (take-up ~ frailty^1.5, frailty CV 0.8)",
    ),
    Scenario("strong_frailty", frailty_cv=1.5, description="unobserved frailty CV 1.5 instead of 0.3"),
    Scenario(
        "campaign",
        campaign_prob=0.5,
        campaign_rate=0.02,
        description="an infringer's campaign hits one field in half the years (+0.02 claims/policy)",
    ),
)


@dataclass
class Population:
    """A priced book with its rating attributes and its true risk."""

    book: Book
    attrs: pd.DataFrame
    per_claim: F  # expected payment per claim (rated = true severity)
    true_frequency: F  # steady-state true frequency, campaign expectation included
    manual_premium: F
    target: float
    meta: dict[str, Any] = field(default_factory=dict)


def _draw_attrs(n: int, rng: np.random.Generator) -> pd.DataFrame:
    firm = rng.choice(["champion", "sme", "micro"], size=n, p=[0.1, 0.6, 0.3])
    return pd.DataFrame(
        {
            "field": rng.choice(list(cal.FIELD_FREQUENCY), size=n),
            "firm": firm,
            "stage": rng.choice(["early_life", "mature", "near_expiry"], size=n, p=[0.4, 0.45, 0.15]),
            "export": rng.choice(["", "US", "UK", "EU", "JP", "other"], size=n, p=[0.6, 0.1, 0.05, 0.15, 0.05, 0.05]),
            "portfolio": 1 + rng.geometric(0.08, size=n),
            "value": np.exp(rng.normal(math.log(2e6), 1.0, size=n)),
            "product": np.where(firm == "champion", "champion_patent_guard", "small_micro_patent_guard"),
        }
    )


def true_frequency(
    attrs: pd.DataFrame, scenario: Scenario, rng: np.random.Generator, *, table_seed: int = 0
) -> tuple[F, F]:
    """Scenario truth, computed without the pricing model's rate function.

    Returns:
        ``(frequency without frailty, frailty)`` per policy.
    """
    base = cal.PATENT_CASES_2020 / cal.PATENT_RIGHT_YEARS_2020
    fields = sorted(cal.FIELD_FREQUENCY)
    # The scenario's tables come from their own stream, so a book of any size shares them.
    tables = np.random.default_rng([table_seed, 7])
    off = dict(zip(fields, np.exp(tables.normal(0.0, scenario.field_sd, size=len(fields))), strict=True))
    field_rel = np.array([cal.FIELD_FREQUENCY[f] * off[f] for f in attrs["field"]])
    firm_tab = dict(cal.FIRM_FREQUENCY)
    if scenario.firm_reversed:
        firm_tab = {
            "champion": firm_tab["sme"],
            "sme": firm_tab["champion"],
            "micro": firm_tab["champion"],
            "other": firm_tab["other"],
        }
    firm_rel = attrs["firm"].map(firm_tab).to_numpy(float)
    stage_rel = attrs["stage"].map(cal.STAGE_FREQUENCY).to_numpy(float)
    export_rel = np.array(
        [cal.EXPORT_FREQUENCY.get(m, cal.EXPORT_FREQUENCY["other"]) if m else 1.0 for m in attrs["export"]]
    )
    port_rel = np.array([next(f for upper, f in cal.PORTFOLIO_BANDS if k <= upper) for k in attrs["portfolio"]])
    cv = scenario.frailty_cv
    frailty = rng.gamma(1 / cv**2, cv**2, size=len(attrs)) if cv > 0 else np.ones(len(attrs))
    return base * field_rel * firm_rel * stage_rel * export_rel * port_rel, frailty


def build(
    n: int, scenario: Scenario, *, seed: int = 0, model: LossModel = DEFAULT_MODEL, loadings: Loadings | None = None
) -> Population:
    """A book of ``n`` pilot policies priced by the tool, with the scenario's true risk."""
    rng = np.random.default_rng(seed)
    load = loadings or Loadings(fixed_expense=0.0, minimum_premium=0.0)
    m = 3 * n if scenario.selection > 0 else n
    attrs = _draw_attrs(m, rng)
    freq0, frailty = true_frequency(attrs, scenario, rng, table_seed=seed)
    if scenario.selection > 0:
        w = frailty**scenario.selection
        keep = rng.choice(m, size=n, replace=False, p=w / w.sum())
        attrs, freq0, frailty = attrs.iloc[keep].reset_index(drop=True), freq0[keep], frailty[keep]
    arr = RatedArrays.zeros(n)
    products = {p: get_product(p) for p in attrs["product"].unique()}
    for i, row in enumerate(attrs.itertuples(index=False)):
        prod = products[row.product]
        prof = RiskProfile(
            field=row.field,
            stage=row.stage,
            export_markets=(row.export,) if row.export else (),
            portfolio_size=int(row.portfolio),
            firm_type=row.firm,
        )
        arr.rate(i, model, float(row.value), prod, prof)
    probability, mu, sigma, limit, deductible = arr.probability, arr.mu, arr.sigma, arr.limit, arr.deductible
    coins = arr.coins
    book = Book(
        arr.freq,
        freq0 * frailty,
        probability,
        mu,
        sigma,
        limit,
        deductible,
        coins,
        arr.agg,
        np.zeros(n),
        np.zeros((n, 1)),
        attrs["product"].to_numpy(dtype=str),
    )
    e = lognormal_expected_payment(mu, sigma, deductible=deductible, coinsurance=coins[:, None], limit=limit)
    per_claim = np.asarray((probability * e).sum(axis=1), dtype=float)
    ratio = load.target_loss_ratio
    manual = arr.freq * per_claim / ratio
    true_f = freq0 * frailty + scenario.campaign_prob * scenario.campaign_rate / len(cal.FIELD_FREQUENCY)
    return Population(book.with_premium(manual), attrs, per_claim, true_f, manual, ratio)


def _draw_year(pop: Population, lam: F, rng: np.random.Generator) -> tuple[NDArray[np.int64], F]:
    """One year's claims: policy index and payment (after terms) of each claim."""
    b = pop.book
    counts = rng.poisson(lam)
    pol = np.repeat(np.arange(b.n), counts)
    m = len(pol)
    occ = rng.random((m, _H)) < b.probability[pol]
    x = np.exp(b.mu[pol] + b.sigma[pol] * rng.standard_normal((m, _H)))
    pay = np.minimum((1 - b.coinsurance[pol, None]) * np.maximum(x - b.deductible[pol], 0.0), b.limit[pol])
    return pol, np.minimum(np.where(occ, pay, 0.0).sum(axis=1), b.aggregate[pol])


def _dev(values: F, groups: NDArray[Any], n_groups: int) -> F:
    return np.asarray(np.bincount(groups, weights=values, minlength=n_groups), dtype=np.float64)


def _deviation(lr: F, target: float) -> float:
    ok = np.isfinite(lr)
    return float(np.max(np.abs(lr[ok] / target - 1.0))) if ok.any() else float("nan")


def _deciles(score: F) -> NDArray[np.int64]:
    order = np.argsort(score, kind="stable")
    d = np.empty(len(score), dtype=np.int64)
    d[order] = np.arange(len(score)) * 10 // len(score)
    return d


def run(scenario: Scenario, *, n: int = 10_000, years: int = 8, seed: int = 0) -> dict[str, Any]:
    """Simulate ``years`` of one scenario; loss ratios per year for the three pricings."""
    pop = build(n, scenario, seed=seed)
    rng = np.random.default_rng(seed + 1)
    fields = sorted(cal.FIELD_FREQUENCY)
    fidx = pop.attrs["field"].map({f: i for i, f in enumerate(fields)}).to_numpy(int)
    true_el = pop.true_frequency * pop.per_claim
    dec_true = _deciles(true_el)
    prices = {"experience": pop.manual_premium.copy(), "tiered": pop.manual_premium, "flat": flat_premium(pop.book)}
    if scenario.field_sd > 0:
        # Reference bound (not a pricing method): told the prior the truth's fields come from.
        prices["bayes_bound"] = pop.manual_premium.copy()
    claims = pd.DataFrame(columns=["pol", "acc", "lag", "ult", "reserve", "event"])
    firms = sorted(pop.attrs["firm"].unique())
    firm_idx = pop.attrs["firm"].map({f: i for i, f in enumerate(firms)}).to_numpy(int)
    out: dict[str, Any] = {
        k: {
            "max_firm_dev": [],
            "book_lr": [],
            "field_lr": [],
            "true_decile_lr": [],
            "rated_decile_lr": [],
            "max_field_dev": [],
            "max_decile_dev": [],
            "realised_book_lr": [],
        }
        for k in prices
    }
    pattern = np.asarray(REPORTING_PATTERN)
    refits: list[dict[str, Any]] = []
    b = pop.book
    paying = experience.paying_share(b.probability, b.mu, b.sigma, b.deductible)
    paying_frequency = b.frequency * paying  # manual frequency of claims that pay
    # Before any claims the bound has only the prior: P(every field within 15%) of its best guess.
    p_all = [_bound_p_all(np.zeros(len(fields)), np.zeros(len(fields)), scenario.field_sd)] if scenario.field_sd else []
    evidence: list[dict[str, list[float]]] = []
    for year in range(1, years + 1):
        pol, pay = _draw_year(pop, pop.book.true_frequency, rng)
        event = np.zeros(len(pol), dtype=bool)
        if scenario.campaign_prob and rng.random() < scenario.campaign_prob:
            # One infringer's campaign: extra claims on the policies of one field, one event.
            extra = np.where(fidx == rng.integers(len(fields)), scenario.campaign_rate, 0.0)
            cpol, cpay = _draw_year(pop, extra, rng)
            pol, pay = np.concatenate([pol, cpol]), np.concatenate([pay, cpay])
            event = np.concatenate([event, np.ones(len(cpol), dtype=bool)])
        keep = pay > 0
        pol, pay, event = pol[keep], pay[keep], event[keep]
        new = pd.DataFrame(
            {
                "pol": pol,
                "acc": year,
                "lag": rng.choice(len(pattern), size=len(pol), p=pattern),
                "ult": pay,
                "reserve": pay * RESERVE_BIAS * np.exp(rng.normal(0, RESERVE_SD, len(pol))),
                "event": event,
            }
        )
        claims = new if claims.empty else pd.concat([claims, new], ignore_index=True)
        for name, prem in prices.items():
            o = out[name]
            o["book_lr"].append(float(true_el.sum() / prem.sum()))
            o["realised_book_lr"].append(float(pay.sum() / prem.sum()))
            field_lr = _dev(true_el, fidx, len(fields)) / _dev(prem, fidx, len(fields))
            tdl = _dev(true_el, dec_true, 10) / _dev(prem, dec_true, 10)
            dec_rated = _deciles(prem * pop.target)
            rdl = _dev(true_el, dec_rated, 10) / _dev(prem, dec_rated, 10)
            o["field_lr"].append(dict(zip(fields, np.round(field_lr, 4).tolist(), strict=True)))
            o["true_decile_lr"].append(np.round(tdl, 4).tolist())
            o["rated_decile_lr"].append(np.round(rdl, 4).tolist())
            o["max_field_dev"].append(_deviation(field_lr, pop.target))
            firm_lr = _dev(true_el, firm_idx, len(firms)) / _dev(prem, firm_idx, len(firms))
            o["max_firm_dev"].append(_deviation(firm_lr, pop.target))
            o["max_decile_dev"].append(max(_deviation(tdl, pop.target), _deviation(rdl, pop.target)))
        if year < years:
            fit = experience.refit(
                pop.attrs, paying_frequency, pop.per_claim / paying, pop.manual_premium, claims, year
            )
            prices["experience"] = fit.premium
            refits.append(experience.summary(fit))
            if "bayes_bound" in prices:
                obs, expd = bound_evidence(fit, fidx, len(fields), paying_frequency)
                prices["bayes_bound"] = bayes_bound_premium(
                    fit, pop.attrs, paying_frequency, pop.manual_premium, fidx, obs, expd, scenario.field_sd
                )
                p_all.append(_bound_p_all(obs, expd, scenario.field_sd))
                evidence.append({"claims": obs.tolist(), "expected": np.round(expd, 4).tolist()})
    result: dict[str, Any] = {
        "scenario": scenario.name,
        "description": scenario.description,
        "n_policies": n,
        "years": years,
        "target_loss_ratio": pop.target,
        "claims": len(claims),
        "claims_per_year": round(len(claims) / years, 1),
        "refits": refits,
    }
    for name, o in out.items():
        within = [i + 1 for i, d in enumerate(o["max_field_dev"]) if d <= 0.15]
        # From which year on every later year stays within 15% (None: not by the horizon).
        stays = next((y for y in range(1, years + 1) if all(d <= 0.15 for d in o["max_field_dev"][y - 1 :])), None)
        result[name] = {
            "years_to_within_15pct": within[0] if within else None,
            "stays_within_15pct_from": stays,
            "max_field_dev_year5": o["max_field_dev"][min(5, years) - 1],
            "max_field_dev": o["max_field_dev"][-1],
            "max_decile_dev": o["max_decile_dev"][-1],
            "max_firm_dev": o["max_firm_dev"][-1],
            "per_year": o,
        }
    if "bayes_bound" in result:
        result["bayes_bound"]["p_all_within_15pct_best"] = p_all
        # Per year end (fields sorted): the reported single claims and used-up expected claims.
        result["bayes_bound"]["evidence"] = evidence
    return result


def bound_evidence(fit: experience.Refit, fidx: NDArray[np.int64], n_fields: int, frequency: F) -> tuple[F, F]:
    """What the bound sees at a year end: the refit's own evidence, summed by field.

    Returns:
        ``(reported single claims, used-up expected claims at the manual rates)`` per field:
        the claims the experience rating counted and the exposure it used (its Cape Cod share of
        each accident year times the manual frequency of paying claims).
    """
    return _dev(fit.single_claims, fidx, n_fields), _dev(frequency * fit.count_share, fidx, n_fields)


def bayes_bound_premium(
    fit: experience.Refit,
    attrs: pd.DataFrame,
    frequency: F,
    manual: F,
    fidx: NDArray[np.int64],
    observed: F,
    expected: F,
    sd: float,
) -> F:
    """Reference premium, not a pricing method: fields at the Bayes posterior mean, the rest as rated.

    The field's frequency relative to the manual is the posterior mean under the scenario's
    own prior (:func:`ipledger.insurance.bayes_bound.posterior_mean`); it is absolute (it
    carries the book level), so the refit's frequency level is not applied on top. The other
    factors' relativities (rebalanced to the manual's expected claims), the severity level and
    the campaign load are the experience rating's.
    """
    theta = bayes_bound.posterior_mean(observed, expected, sd)
    other = np.ones(len(frequency))
    for g in experience.FACTORS:
        if g != "field" and g in fit.levels:
            other *= attrs[g].astype(str).map({k: v[3] for k, v in fit.levels[g].items()}).to_numpy(float)
    other /= float((frequency * other).sum() / frequency.sum())
    level = theta[fidx] * other + fit.event_load / np.maximum(frequency, 1e-12)
    return np.asarray(manual * level * max(fit.severity_factor, 0.05), dtype=np.float64)


def _bound_p_all(observed: F, expected: F, sd: float) -> float:
    # The highest posterior probability, over all estimates, that every field is within 15%.
    return float(np.prod(bayes_bound.best_within(observed, expected, sd, 0.15)[1]))


__all__ = [
    "SCENARIOS",
    "Population",
    "Scenario",
    "bayes_bound_premium",
    "bound_evidence",
    "build",
    "run",
    "true_frequency",
]
