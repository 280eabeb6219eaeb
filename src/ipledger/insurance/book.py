"""A book of policies as arrays: per policy the Poisson frequency, per-head lognormal
severities with limits, deductibles and coinsurance, the aggregate limit, the gross premium and
the subsidy by year; built from quotes, from anchored reports, or generated (a seeded book of
Beijing-pilot policies), and priced flat as the pilot does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ipledger.errors import PricingError
from ipledger.insurance import calibration as cal
from ipledger.insurance.loss import DEFAULT_MODEL, LossModel, RiskProfile
from ipledger.insurance.payment import lognormal_expected_payment
from ipledger.insurance.premium import Loadings
from ipledger.insurance.products import COST_HEADS, Product, get_product
from ipledger.insurance.quote import Quote
from ipledger.insurance.subsidies import BEIJING_TAPER
from ipledger.insurance.sum_insured import ValuationInput, sum_insured

F = NDArray[np.float64]
_H = len(COST_HEADS)


@dataclass(frozen=True)
class Book:
    """Arrays describing a book of ``n`` policies (amounts in major units, per policy year).

    ``subsidy_rate`` has one column per year of participation (share of the gross premium).
    ``true_frequency`` is what the simulation draws from (rated frequency times any unobserved
    heterogeneity); pricing sees ``frequency``.
    """

    frequency: F
    true_frequency: F
    probability: F  # (n, H)
    mu: F  # (n, H)
    sigma: F  # (n, H)
    limit: F  # (n, H)
    deductible: F  # (n, H)
    coinsurance: F  # (n,)
    aggregate: F  # (n,)
    premium: F  # (n,) gross premium per year
    subsidy_rate: F  # (n, years)
    product: NDArray[np.str_]
    #: Technical field per policy (for campaigns and per-field tables), if known.
    field: NDArray[np.str_] | None = None
    #: Patent index per policy: policies on one patent share its claims pro rata.
    group: NDArray[np.int64] | None = None

    @property
    def n(self) -> int:
        """Number of policies."""
        return int(self.frequency.shape[0])

    def expected_loss(self) -> F:
        """Rated expected annual payment per policy (frequency x per-claim expectation)."""
        e = lognormal_expected_payment(
            self.mu, self.sigma, deductible=self.deductible, coinsurance=self.coinsurance[:, None], limit=self.limit
        )
        return np.asarray(self.frequency * (self.probability * e).sum(axis=1), dtype=float)

    def with_premium(self, premium: F) -> Book:
        """The same book priced differently."""
        return replace(self, premium=np.asarray(premium, dtype=float))


@dataclass
class RatedArrays:
    """A book's per-policy rating arrays (heads in ``COST_HEADS`` order), filled one policy at a
    time by :meth:`rate`: frequency, per-head probability and lognormal severity (mu, sigma),
    limit and deductible, coinsurance and aggregate limit."""

    probability: F
    mu: F
    sigma: F
    limit: F
    deductible: F
    freq: F
    coins: F
    agg: F

    @classmethod
    def zeros(cls, n: int) -> RatedArrays:
        def heads() -> F:
            return np.zeros((n, _H))

        # sigma 1 for heads a product does not cover (their probability stays 0)
        sigma = np.ones((n, _H))
        return cls(heads(), heads(), sigma, heads(), heads(), np.zeros(n), np.zeros(n), np.zeros(n))

    def rate(self, i: int, model: LossModel, value: float, product: Product, profile: RiskProfile) -> None:
        """Rate policy ``i`` (value at risk ``value``) with ``model`` and store its figures."""
        si = sum_insured(ValuationInput(value, value, value, None, None, None), product)
        risk, _ = model.rate(value, product, profile, si.sub_limits, si.total)
        self.freq[i], self.agg[i] = risk.frequency, risk.aggregate_limit
        for h in risk.heads:
            self.put_head(i, str(h.head), h.probability, h.p1, h.p2, h.limit, h.deductible, h.coinsurance)

    def put_head(
        self,
        i: int,
        head: str,
        probability: float,
        mu: float,
        sigma: float,
        limit: float,
        deductible: float,
        coinsurance: float,
    ) -> None:
        """Store one cost head of policy ``i`` (lognormal severity ``mu``, ``sigma``)."""
        j = COST_HEADS.index(head)  # type: ignore[arg-type]
        self.probability[i, j], self.mu[i, j], self.sigma[i, j] = probability, mu, sigma
        self.limit[i, j], self.deductible[i, j] = limit, deductible
        self.coins[i] = coinsurance


def book_from_quotes(quotes: Sequence[Quote], *, years: int = 3) -> Book:
    """A book from quotes (their rated risk, gross premium and subsidy rate by year)."""
    if not quotes:
        raise PricingError("a book needs at least one quote")
    n = len(quotes)
    arr = RatedArrays.zeros(n)
    prem = np.zeros(n)
    sub = np.zeros((n, years))
    for i, q in enumerate(quotes):
        arr.freq[i], arr.agg[i], prem[i] = q.risk.frequency, q.risk.aggregate_limit, q.gross_premium
        for h in q.risk.heads:
            if h.dist != "lognorm":
                raise PricingError("the portfolio simulation supports lognormal heads only")
            arr.put_head(i, str(h.head), h.probability, h.p1, h.p2, h.limit, h.deductible, h.coinsurance)
        for y, s in q.subsidy_by_year.items():
            if 1 <= y - q.year + 1 <= years and q.gross_premium > 0:
                sub[i, y - q.year] = s / q.gross_premium
    # Quotes without an asset id are each their own patent.
    group = np.unique([q.asset_id or f"#{i}" for i, q in enumerate(quotes)], return_inverse=True)[1]
    return _book(arr, prem, sub, np.array([q.product for q in quotes]), [q.profile for q in quotes], group)


def book_from_reports(reports: Sequence[dict[str, Any]], *, years: int = 3) -> Book:
    """A book from anchored quote or policy reports (their canonical JSON as dicts).

    Each report's recorded risk (frequency, heads, aggregate), gross premium, subsidy by year,
    product, technical field and asset (the patent: policies on one asset share its claims pro
    rata) make one policy.
    """
    if not reports:
        raise PricingError("a book needs at least one policy")
    n = len(reports)
    arr = RatedArrays.zeros(n)
    prem = np.zeros(n)
    sub = np.zeros((n, years))
    assets: dict[str, int] = {}
    group = np.zeros(n, dtype=np.int64)
    for i, r in enumerate(reports):
        risk = r.get("risk") or {}
        try:
            arr.freq[i], arr.agg[i], prem[i] = (
                float(risk["frequency"]),
                float(risk["aggregate_limit"]),
                float(r["gross_premium"]),
            )
            for h in risk["heads"]:
                arr.put_head(
                    i, h["head"], h["probability"], h["p1"], h["p2"], h["limit"], h["deductible"], h["coinsurance"]
                )
        except (KeyError, TypeError, ValueError) as exc:
            raise PricingError(f"report {i} is not a priced quote or policy: {exc}") from None
        first = int(r.get("year", 1))
        for y, s_ in (r.get("subsidy_by_year") or {}).items():
            if 1 <= int(y) - first + 1 <= years and prem[i] > 0:
                sub[i, int(y) - first] = float(s_) / prem[i]
        group[i] = assets.setdefault(str(r.get("asset_id") or f"#{i}"), len(assets))
    products = np.array([str(r.get("product")) for r in reports])
    return _book(arr, prem, sub, products, [r.get("profile") or {} for r in reports], group)


def _book(
    arr: RatedArrays, premium: F, subsidy_rate: F, product: Any, profiles: Sequence[Any], group: Any
) -> Book:
    """A book of priced policies (true frequency = rated) from their rating arrays; each policy's
    technical field from its risk profile."""
    return Book(
        arr.freq,
        arr.freq.copy(),
        coinsurance=arr.coins,
        aggregate=arr.agg,
        premium=premium,
        subsidy_rate=subsidy_rate,
        product=product,
        field=np.array([str(p.get("field", "other")) for p in profiles]),
        group=np.asarray(group, dtype=np.int64),
        probability=arr.probability,
        mu=arr.mu,
        sigma=arr.sigma,
        limit=arr.limit,
        deductible=arr.deductible,
    )


def synthetic_book(
    n: int = 10_000,
    *,
    seed: int = 0,
    frailty_cv: float = 0.3,
    model: LossModel = DEFAULT_MODEL,
    loadings: Loadings | None = None,
) -> Book:
    """A seeded book of Beijing-pilot policies with heterogeneous risk.

    Champion firms take the Champion product, others the Small/micro product. Profiles mix
    technical fields, stages (early life, mature, near expiry), export markets and portfolio sizes; values
    at risk are lognormal (median 2M CNY). True frequencies carry an unobserved gamma frailty
    (mean 1, CV ``frailty_cv``) the pricing does not see. Premiums are risk-tiered: the gross
    premium on each policy's rated expected loss, with proportional loadings (no fixed expense
    or minimum, so tiered premiums are proportional to expected loss).
    """
    rng = np.random.default_rng(seed)
    load = loadings or Loadings(fixed_expense=0.0, minimum_premium=0.0)
    fields = list(cal.FIELD_FREQUENCY)
    firm = rng.choice(["champion", "sme", "micro"], size=n, p=[0.1, 0.6, 0.3])
    field = rng.choice(fields, size=n)
    stage = rng.choice(["early_life", "mature", "near_expiry"], size=n, p=[0.4, 0.45, 0.15])
    export = rng.choice(["", "US", "UK", "EU", "JP", "other"], size=n, p=[0.6, 0.1, 0.05, 0.15, 0.05, 0.05])
    portfolio = 1 + rng.geometric(0.08, size=n)
    value = np.exp(rng.normal(math.log(2e6), 1.0, size=n))
    product = np.where(firm == "champion", "champion_patent_guard", "small_micro_patent_guard")
    arr = RatedArrays.zeros(n)
    sub = np.zeros((n, 3))
    products: dict[str, Product] = {p: get_product(p) for p in set(product)}
    for i in range(n):
        prod = products[product[i]]
        prof = RiskProfile(
            field=str(field[i]),
            stage=str(stage[i]),
            export_markets=(str(export[i]),) if export[i] else (),
            portfolio_size=int(portfolio[i]),
            firm_type=str(firm[i]),
        )
        arr.rate(i, model, float(value[i]), prod, prof)
        sub[i] = BEIJING_TAPER["champion" if firm[i] == "champion" else "key_field_sme"]
    shape = 1.0 / frailty_cv**2 if frailty_cv > 0 else math.inf
    frailty = rng.gamma(shape, 1.0 / shape, size=n) if frailty_cv > 0 else np.ones(n)
    book = Book(
        arr.freq,
        arr.freq * frailty,
        arr.probability,
        arr.mu,
        arr.sigma,
        arr.limit,
        arr.deductible,
        arr.coins,
        arr.agg,
        np.zeros(n),
        sub,
        product,
        field=field.astype(str),
    )
    tiered = (
        book.expected_loss() * (1.0 + load.risk_load_ratio) / (1.0 - load.variable_expense_ratio - load.profit_ratio)
    )
    return book.with_premium(tiered + load.fixed_expense)


def flat_premium(book: Book) -> F:
    """Flat pilot pricing: each product's published flat premium (else its book average)."""
    out = np.empty(book.n)
    for name in np.unique(book.product):
        m = book.product == name
        flat = get_product(str(name)).flat_premium
        out[m] = flat if flat is not None else book.premium[m].mean()
    return out


__all__ = ["Book", "RatedArrays", "book_from_quotes", "book_from_reports", "flat_premium", "synthetic_book"]
