"""Aggregate claims of a book with the dependence a real book has.

- **Parameter uncertainty**: the base frequency is one year of court statistics over an
  assumed selection; each simulated year draws a common multiplier (gamma, mean 1, CV
  ``param_cv``) on every policy's frequency, so bad years are bad for the whole book.
- **Campaigns**: with probability ``campaign_prob`` a year, one infringer's campaign hits one
  technical field: each policy in it gets extra claims at ``campaign_rate``.
- **Several policies on one patent** (``Book.group``) share each claim on that patent pro rata
  to their sums insured, as the Beijing pilot's rule says: the loss is paid once, up to the
  members' combined limits, not once per policy.

Every claim is kept (simulation, policy, payment), so treaties, capital allocation and
per-field or per-decile tables are computed from the same draws.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ipledger.errors import PricingError
from ipledger.insurance.book import Book

F = NDArray[np.float64]
I = NDArray[np.int64]  # noqa: E741 - the index-array alias


@dataclass(frozen=True)
class Dependence:
    """Correlation settings (assumptions, decision record 0053).

    Attributes:
        param_cv: CV of the common frequency multiplier per simulated year (0.25: one year of
            court statistics and an unknown insured-patent selection).
        campaign_prob: chance per year that a campaign hits one field.
        campaign_rate: extra claims per policy-year in the field hit.
    """

    param_cv: float = 0.25
    campaign_prob: float = 0.2
    campaign_rate: float = 0.01


INDEPENDENT = Dependence(0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Claims:
    """Every simulated claim share: ``sim`` (which year), ``policy`` and ``amount`` paid by
    that policy (major units), plus the claim number shared by co-insuring policies."""

    sim: I
    policy: I
    amount: F
    claim: I
    n_sims: int
    n_policies: int

    def per_sim(self) -> F:
        """Total paid per simulated year."""
        return np.asarray(np.bincount(self.sim, weights=self.amount, minlength=self.n_sims), dtype=np.float64)

    def per_policy(self) -> F:
        """Total paid per policy over all simulations."""
        return np.asarray(np.bincount(self.policy, weights=self.amount, minlength=self.n_policies), dtype=np.float64)


def simulate(
    book: Book,
    n_sims: int,
    *,
    dependence: Dependence = INDEPENDENT,
    field: NDArray[np.str_] | None = None,
    group: I | None = None,
    seed: int = 0,
    chunk: int = 500,
    progress: Callable[[int], None] | None = None,
) -> Claims:
    """Simulate ``n_sims`` years of the book's claims with the given dependence.

    Args:
        book: the policies (true frequencies, heads, limits).
        n_sims: simulated years.
        dependence: parameter uncertainty and campaigns.
        field: technical field per policy (needed for campaigns; default ``book.field``).
        group: patent index per policy; policies with the same index share claims pro rata
            (default ``book.group``, else each policy its own patent).
        seed: random seed.
        chunk: simulated years per vectorised step.
        progress: called with the number of years done after each step.
    """
    if n_sims < 1:
        raise PricingError("n_sims must be >= 1")
    field = book.field if field is None else field
    group = book.group if group is None else group
    if dependence.campaign_prob > 0 and field is None:
        raise PricingError("campaigns need the technical field of each policy")
    rng = np.random.default_rng(seed)
    n = book.n
    grp = np.arange(n) if group is None else np.asarray(group, dtype=np.int64)
    if grp.shape != (n,):
        raise PricingError("group must give one patent index per policy")
    uniq, gidx = np.unique(grp, return_inverse=True)
    n_g = len(uniq)
    order = np.argsort(gidx, kind="stable")
    sizes = np.bincount(gidx, minlength=n_g)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    lead = order[starts]  # the patent's first policy carries the severity terms
    # A patent's infringement frequency is its own: the members' mean (they insure one right).
    g_freq = np.bincount(gidx, weights=book.true_frequency, minlength=n_g) / sizes
    si = np.maximum(book.aggregate, 1e-9)
    g_limit = np.zeros((n_g, book.limit.shape[1]))
    np.add.at(g_limit, gidx, book.limit)
    g_agg = np.bincount(gidx, weights=book.aggregate, minlength=n_g).astype(np.float64)
    share = si / np.bincount(gidx, weights=si, minlength=n_g)[gidx]
    total = float(g_freq.sum())
    cdf = np.cumsum(g_freq) / max(total, 1e-300)
    fields = None if field is None else np.unique(field)
    field_groups = None
    if fields is not None and field is not None:
        gfield = np.asarray(field)[lead]
        field_groups = [np.flatnonzero(gfield == f) for f in fields]
    sims: list[I] = []
    pols: list[I] = []
    amts: list[F] = []
    ids: list[I] = []
    next_id = 0
    for start in range(0, n_sims, chunk):
        stop = min(n_sims, start + chunk)
        k = stop - start
        mult = (
            rng.gamma(1 / dependence.param_cv**2, dependence.param_cv**2, size=k)
            if dependence.param_cv > 0
            else np.ones(k)
        )
        counts = rng.poisson(total * mult)
        sim = np.repeat(np.arange(start, stop), counts)
        g = np.minimum(np.searchsorted(cdf, rng.random(int(counts.sum())), side="right"), n_g - 1)
        if field_groups is not None and dependence.campaign_prob > 0:
            hit = np.flatnonzero(rng.random(k) < dependence.campaign_prob)
            for s in hit:
                members = field_groups[int(rng.integers(len(field_groups)))]
                extra = int(rng.poisson(dependence.campaign_rate * len(members)))
                if extra:
                    sim = np.concatenate([sim, np.full(extra, start + s)])
                    g = np.concatenate([g, rng.choice(members, size=extra)])
        pay = _group_payment(book, lead[g], g_limit[g], g_agg[g], rng)
        # Expand each claim to the policies on its patent, each paying its pro-rata share.
        m = len(g)
        reps = sizes[g]
        cid = np.repeat(np.arange(next_id, next_id + m), reps)
        offs = np.arange(int(reps.sum())) - np.repeat(np.cumsum(reps) - reps, reps)
        pol = order[np.repeat(starts[g], reps) + offs]
        amt = np.repeat(pay, reps) * share[pol]
        keep = amt > 0
        sims.append(np.repeat(sim, reps)[keep])
        pols.append(pol[keep])
        amts.append(amt[keep])
        ids.append(cid[keep])
        next_id += m
        if progress is not None:
            progress(stop)
    return Claims(
        np.concatenate(sims).astype(np.int64),
        np.concatenate(pols).astype(np.int64),
        np.concatenate(amts),
        np.concatenate(ids).astype(np.int64),
        n_sims,
        n,
    )


def _group_payment(book: Book, lead: I, limit: F, aggregate: F, rng: np.random.Generator) -> F:
    """One claim's payment on a patent: the lead policy's heads and terms, the members'
    combined limits (the loss is paid once)."""
    m = len(lead)
    if m == 0:
        return np.zeros(0)
    occ = rng.random((m, book.probability.shape[1])) < book.probability[lead]
    x = np.exp(book.mu[lead] + book.sigma[lead] * rng.standard_normal((m, book.mu.shape[1])))
    pay = np.minimum((1.0 - book.coinsurance[lead, None]) * np.maximum(x - book.deductible[lead], 0.0), limit)
    return np.asarray(np.minimum(np.where(occ, pay, 0.0).sum(axis=1), aggregate), dtype=np.float64)


def breakdown(book: Book, claims: Claims) -> dict[str, list[dict[str, Any]]]:
    """Per risk decile and per technical field: policies, premium, expected claims, loss ratio
    and share of the book's TVaR capital (co-TVaR), from one simulation."""
    from ipledger.insurance import reinsurance

    per_policy = claims.per_policy() / claims.n_sims
    alloc = reinsurance.allocate_capital(claims)
    total_cap = float(alloc.sum()) or 1.0
    risk = book.expected_loss()
    order = np.argsort(risk, kind="stable")
    deciles = np.empty(book.n, dtype=int)
    deciles[order] = np.arange(book.n) * 10 // book.n
    groups = {
        "decile": [str(d + 1) for d in deciles],
        "field": [str(f) for f in (book.field if book.field is not None else ["unknown"] * book.n)],
    }
    out: dict[str, list[dict[str, Any]]] = {}
    for name, labels in groups.items():
        lab = np.asarray(labels)
        rows = []
        for g in sorted(set(labels), key=lambda x: (x.isdigit() and int(x), x)):
            m = lab == g
            prem = float(book.premium[m].sum())
            exp = float(per_policy[m].sum())
            rows.append(
                {
                    "group": g,
                    "policies": int(m.sum()),
                    "premium": prem,
                    "expected_claims": exp,
                    "loss_ratio": exp / prem if prem > 0 else float("nan"),
                    "capital_share": float(alloc[m].sum()) / total_cap,
                }
            )
        out[name] = rows
    return out


__all__ = ["INDEPENDENT", "Claims", "Dependence", "breakdown", "simulate"]
