"""Monte Carlo over a book of policies: loss ratios, ruin-type probabilities, subsidy cost.

A :class:`Book` holds, per policy, the Poisson frequency, per-head lognormal severities with
limits, deductibles and coinsurance, the aggregate limit, the gross premium and the subsidy by
year. The simulation is vectorised over claims: each simulated book-year draws its claim count
from the book's total frequency and assigns the claims to policies in proportion to their
frequencies (exactly equivalent to independent Poisson counts per policy).
"""

from __future__ import annotations

import math
import time
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
            j = COST_HEADS.index(h.head)  # type: ignore[arg-type]
            self.probability[i, j], self.mu[i, j], self.sigma[i, j] = h.probability, h.p1, h.p2
            self.limit[i, j], self.deductible[i, j] = h.limit, h.deductible
            self.coins[i] = h.coinsurance


def book_from_quotes(quotes: Sequence[Quote], *, years: int = 3) -> Book:
    """A book from quotes (their rated risk, gross premium and subsidy rate by year)."""
    if not quotes:
        raise PricingError("a book needs at least one quote")
    n = len(quotes)
    arr = {k: np.zeros((n, _H)) for k in ("probability", "mu", "sigma", "limit", "deductible")}
    arr["sigma"][:] = 1.0
    freq, coins, agg, prem = (np.zeros(n) for _ in range(4))
    sub = np.zeros((n, years))
    for i, q in enumerate(quotes):
        freq[i], agg[i], prem[i] = q.risk.frequency, q.risk.aggregate_limit, q.gross_premium
        for h in q.risk.heads:
            if h.dist != "lognorm":
                raise PricingError("the portfolio simulation supports lognormal heads only")
            j = COST_HEADS.index(h.head)  # type: ignore[arg-type]
            arr["probability"][i, j], arr["mu"][i, j], arr["sigma"][i, j] = h.probability, h.p1, h.p2
            arr["limit"][i, j], arr["deductible"][i, j] = h.limit, h.deductible
            coins[i] = h.coinsurance
        for y, s in q.subsidy_by_year.items():
            if 1 <= y - q.year + 1 <= years and q.gross_premium > 0:
                sub[i, y - q.year] = s / q.gross_premium
    return Book(
        freq,
        freq.copy(),
        coinsurance=coins,
        aggregate=agg,
        premium=prem,
        subsidy_rate=sub,
        product=np.array([q.product for q in quotes]),
        field=np.array([str(q.profile.get("field", "other")) for q in quotes]),
        # Quotes without an asset id are each their own patent.
        group=np.unique([q.asset_id or f"#{i}" for i, q in enumerate(quotes)], return_inverse=True)[1].astype(np.int64),
        probability=arr["probability"],
        mu=arr["mu"],
        sigma=arr["sigma"],
        limit=arr["limit"],
        deductible=arr["deductible"],
    )


def book_from_reports(reports: Sequence[dict[str, Any]], *, years: int = 3) -> Book:
    """A book from anchored quote or policy reports (their canonical JSON as dicts).

    Each report's recorded risk (frequency, heads, aggregate), gross premium, subsidy by year,
    product, technical field and asset (the patent: policies on one asset share its claims pro
    rata) make one policy.
    """
    if not reports:
        raise PricingError("a book needs at least one policy")
    n = len(reports)
    arr = {k: np.zeros((n, _H)) for k in ("probability", "mu", "sigma", "limit", "deductible")}
    arr["sigma"][:] = 1.0
    freq, coins, agg, prem = (np.zeros(n) for _ in range(4))
    sub = np.zeros((n, years))
    assets: dict[str, int] = {}
    group = np.zeros(n, dtype=np.int64)
    for i, r in enumerate(reports):
        risk = r.get("risk") or {}
        try:
            freq[i], agg[i], prem[i] = (
                float(risk["frequency"]),
                float(risk["aggregate_limit"]),
                float(r["gross_premium"]),
            )
            for h in risk["heads"]:
                j = COST_HEADS.index(h["head"])
                arr["probability"][i, j], arr["mu"][i, j], arr["sigma"][i, j] = h["probability"], h["p1"], h["p2"]
                arr["limit"][i, j], arr["deductible"][i, j] = h["limit"], h["deductible"]
                coins[i] = h["coinsurance"]
        except (KeyError, TypeError, ValueError) as exc:
            raise PricingError(f"report {i} is not a priced quote or policy: {exc}") from None
        first = int(r.get("year", 1))
        for y, s_ in (r.get("subsidy_by_year") or {}).items():
            if 1 <= int(y) - first + 1 <= years and prem[i] > 0:
                sub[i, int(y) - first] = float(s_) / prem[i]
        group[i] = assets.setdefault(str(r.get("asset_id") or f"#{i}"), len(assets))
    return Book(
        freq,
        freq.copy(),
        coinsurance=coins,
        aggregate=agg,
        premium=prem,
        subsidy_rate=sub,
        product=np.array([str(r.get("product")) for r in reports]),
        field=np.array([str((r.get("profile") or {}).get("field", "other")) for r in reports]),
        group=group,
        probability=arr["probability"],
        mu=arr["mu"],
        sigma=arr["sigma"],
        limit=arr["limit"],
        deductible=arr["deductible"],
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


@dataclass(frozen=True)
class PortfolioResult:
    """Simulation summary (amounts in major units over the whole horizon of ``n_years``).

    Attributes:
        loss_ratios: per simulated horizon, claims / gross premium.
        claims: per simulated horizon, total claims paid.
        premium: total gross premium over the horizon (deterministic).
        subsidy: subsidiser's cost over the horizon (deterministic given participation).
        decile_loss_ratio: loss ratio by decile of rated risk (lowest risk first), pooled over sims.
        book_loss_ratio: pooled loss ratio of the whole book.
        seconds: wall time of the simulation.
    """

    loss_ratios: F
    claims: F
    premium: float
    subsidy: float
    decile_loss_ratio: F
    book_loss_ratio: float
    n_sims: int
    n_years: int
    seconds: float
    expense_ratio: float

    @property
    def prob_claims_exceed_premium(self) -> float:
        """P(claims over the horizon > gross premium)."""
        return float((self.claims > self.premium).mean())

    @property
    def max_decile_deviation(self) -> float:
        """Largest ``|decile loss ratio / book loss ratio - 1|``."""
        return float(np.max(np.abs(self.decile_loss_ratio / self.book_loss_ratio - 1.0)))

    def insurer_result(self) -> F:
        """Insurer's underwriting result per simulation: premium - expenses - claims (negative = cost)."""
        return np.asarray(self.premium * (1.0 - self.expense_ratio) - self.claims, dtype=float)

    def summary(self) -> dict[str, float]:
        """Flat dict of the key figures."""
        lr = self.loss_ratios
        res = self.insurer_result()
        return {
            "book_loss_ratio": self.book_loss_ratio,
            "loss_ratio_p50": float(np.quantile(lr, 0.5)),
            "loss_ratio_p95": float(np.quantile(lr, 0.95)),
            "loss_ratio_p99": float(np.quantile(lr, 0.99)),
            "prob_claims_exceed_premium": self.prob_claims_exceed_premium,
            "insurer_expected_result": float(res.mean()),
            "insurer_result_p01": float(np.quantile(res, 0.01)),
            "subsidiser_cost": self.subsidy,
            "max_decile_deviation": self.max_decile_deviation,
            "premium": self.premium,
            "expected_claims": float(self.claims.mean()),
        }


def simulate_claims(
    book: Book, n_sims: int, *, n_years: int = 1, seed: int = 0, chunk_claims: int = 2_000_000
) -> tuple[F, F]:
    """Simulated claims: total per horizon ``(n_sims,)`` and pooled total per policy ``(n,)``."""
    if n_sims < 1 or n_years < 1:
        raise PricingError("n_sims and n_years must be >= 1")
    rng = np.random.default_rng(seed)
    lam = book.true_frequency * n_years
    total_lam = float(lam.sum())
    cdf = np.cumsum(lam) / total_lam
    per_sim = np.zeros(n_sims)
    per_policy = np.zeros(book.n)
    share = 1.0 - book.coinsurance
    step = max(1, int(chunk_claims / max(total_lam, 1e-12)))
    for start in range(0, n_sims, step):
        stop = min(n_sims, start + step)
        counts = rng.poisson(total_lam, size=stop - start)
        m = int(counts.sum())
        if m == 0:
            continue
        sim = np.repeat(np.arange(start, stop), counts)
        pol = np.minimum(np.searchsorted(cdf, rng.random(m), side="right"), book.n - 1)
        occ = rng.random((m, _H)) < book.probability[pol]
        x = np.exp(book.mu[pol] + book.sigma[pol] * rng.standard_normal((m, _H)))
        pay = np.minimum(share[pol, None] * np.maximum(x - book.deductible[pol], 0.0), book.limit[pol])
        claim = np.minimum(np.where(occ, pay, 0.0).sum(axis=1), book.aggregate[pol])
        per_sim[start:stop] += np.bincount(sim - start, weights=claim, minlength=stop - start)
        per_policy += np.bincount(pol, weights=claim, minlength=book.n)
    return per_sim, per_policy


def simulate_portfolio(
    book: Book,
    *,
    n_sims: int = 10_000,
    n_years: int = 1,
    seed: int = 0,
    expense_ratio: float = 0.25,
    claims: tuple[F, F] | None = None,
) -> PortfolioResult:
    """Simulate the book and summarise (see :class:`PortfolioResult`).

    Args:
        book: the policies and their premiums.
        n_sims: simulated horizons.
        n_years: years per horizon; the subsidy follows each policy's taper by year.
        seed: random seed.
        expense_ratio: insurer's expenses as a share of gross premium.
        claims: reuse simulated claims (e.g. to price the same book two ways).
    """
    t0 = time.perf_counter()
    per_sim, per_policy = claims if claims is not None else simulate_claims(book, n_sims, n_years=n_years, seed=seed)
    premium = float(book.premium.sum()) * n_years
    years = min(n_years, book.subsidy_rate.shape[1])
    subsidy = float((book.premium[:, None] * book.subsidy_rate[:, :years]).sum())
    risk = book.expected_loss()
    order = np.argsort(risk, kind="stable")
    deciles = np.empty(book.n, dtype=int)
    deciles[order] = np.arange(book.n) * 10 // book.n
    dec_claims = np.bincount(deciles, weights=per_policy, minlength=10)
    dec_prem = np.bincount(deciles, weights=book.premium, minlength=10) * n_years * n_sims
    book_lr = float(per_policy.sum() / (premium * n_sims))
    return PortfolioResult(
        loss_ratios=per_sim / premium,
        claims=per_sim,
        premium=premium,
        subsidy=subsidy,
        decile_loss_ratio=dec_claims / dec_prem,
        book_loss_ratio=book_lr,
        n_sims=n_sims,
        n_years=n_years,
        seconds=time.perf_counter() - t0,
        expense_ratio=expense_ratio,
    )


def compare_pricing(n_policies: int = 10_000, n_sims: int = 10_000, *, seed: int = 0) -> dict[str, float]:
    """Flat pilot pricing vs risk-tiered pricing on the same seeded book and the same claims."""
    book = synthetic_book(n_policies, seed=seed)
    t0 = time.perf_counter()
    sims = simulate_claims(book, n_sims, seed=seed + 1)
    tiered = simulate_portfolio(book, n_sims=n_sims, claims=sims)
    seconds = time.perf_counter() - t0
    flat = simulate_portfolio(book.with_premium(flat_premium(book)), n_sims=n_sims, claims=sims)
    out = {"portfolio_s": seconds, "n_policies": float(n_policies), "n_sims": float(n_sims)}
    out |= {f"tiered_{k}": v for k, v in tiered.summary().items()}
    out |= {f"flat_{k}": v for k, v in flat.summary().items()}
    out["tiered_max_decile_dev"] = tiered.max_decile_deviation
    out["flat_max_decile_dev"] = flat.max_decile_deviation
    return out
