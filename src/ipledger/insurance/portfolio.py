"""Monte Carlo over a book of policies: loss ratios, ruin-type probabilities, subsidy cost.

The book (:class:`~ipledger.insurance.book.Book`) is simulated vectorised over claims: each
simulated book-year draws its claim count from the book's total frequency and assigns the claims
to policies in proportion to their frequencies (exactly equivalent to independent Poisson counts
per policy).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ipledger.errors import PricingError
from ipledger.insurance.book import (
    Book,
    RatedArrays,
    book_from_quotes,
    book_from_reports,
    flat_premium,
    synthetic_book,
)
from ipledger.insurance.products import COST_HEADS

F = NDArray[np.float64]
_H = len(COST_HEADS)


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


__all__ = [
    "Book",
    "PortfolioResult",
    "RatedArrays",
    "book_from_quotes",
    "book_from_reports",
    "compare_pricing",
    "flat_premium",
    "simulate_claims",
    "simulate_portfolio",
    "synthetic_book",
]
