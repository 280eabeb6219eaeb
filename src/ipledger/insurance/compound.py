"""Annual expected payment of a policy: Poisson claims, per-head limits, the aggregate cap.

``E[S] = sum_k P(N = k) E[g_k]`` where ``g_k`` is the year's payment given ``k`` claims:
per-head payments summed over claims, each head capped by its sub-limit, the total by the
aggregate limit. ``E[g_1]`` is exact (limited expected values per head) when the aggregate cannot
bind; otherwise a simulated correction is subtracted. ``E[g_k]`` for ``k >= 2`` is simulated.
The simulation uses one fixed stream of uniforms (common random numbers), so the result is
deterministic and moves monotonically with limits, deductibles and severity parameters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy import special

from ipledger.insurance.loss import HeadRisk, PolicyRisk
from ipledger.insurance.payment import gamma_expected_payment, lognormal_expected_payment
from ipledger.insurance.products import COST_HEADS

N_SIMS = 2_000
_SEED = 20_200_101
_TAIL = 1e-12
_KMAX = 16


@dataclass(frozen=True)
class AnnualLoss:
    """Expected annual payment and its decomposition (major units).

    Attributes:
        by_head: expected payment per head before the aggregate/multi-claim adjustment
            (frequency x per-claim expected payment).
        aggregate_adjustment: (<= 0) effect of annual sub-limits across claims and the aggregate.
        expected: the expected annual payment (pure premium).
        variance: variance of the annual payment (process variance, for credibility).
        expected_ground_up: expected annual loss before deductible, coinsurance and limits.
    """

    by_head: dict[str, float]
    aggregate_adjustment: float
    expected: float
    variance: float
    expected_ground_up: float


def head_expected_payment(h: HeadRisk) -> float:
    """Exact expected payment per claim for one head (probability x limited expectation)."""
    if h.dist == "lognorm":
        e = lognormal_expected_payment(h.p1, h.p2, deductible=h.deductible, coinsurance=h.coinsurance, limit=h.limit)
    else:
        e = gamma_expected_payment(h.p1, h.p2, deductible=h.deductible, coinsurance=h.coinsurance, limit=h.limit)
    return h.probability * float(e[()])


@lru_cache(maxsize=4)
def _draws(n: int, k: int) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Occurrence uniforms, severity uniforms and their standard-normal quantiles, (heads, k, n).

    One fixed stream for every quote: the same claim and head always get the same draws, so
    results are deterministic and monotone in the policy's parameters. Claim-major layout: claim
    j's draws do not depend on k.
    """
    shape = (k, len(COST_HEADS), n)
    occ = np.ascontiguousarray(np.random.default_rng(_SEED).random(shape).transpose(1, 0, 2))
    sev = np.ascontiguousarray(np.random.default_rng(_SEED + 1).random(shape).transpose(1, 0, 2))
    z = special.ndtri(sev)
    for a in (occ, sev, z):
        a.setflags(write=False)
    return occ, sev, z


def _claim_payments(heads: tuple[HeadRisk, ...], n: int, k: int) -> NDArray[np.float64]:
    """Per-head, per-claim payments before annual limits: shape (heads, k, n)."""
    occ, sev, z = _draws(n, max(_KMAX, k))
    out = np.empty((len(heads), k, n))
    for j, h in enumerate(heads):
        col = COST_HEADS.index(h.head)  # type: ignore[arg-type]
        x = np.exp(h.p1 + h.p2 * z[col, :k]) if h.dist == "lognorm" else h.p2 * special.gammaincinv(h.p1, sev[col, :k])
        pay = (1.0 - h.coinsurance) * np.maximum(x - h.deductible, 0.0)
        out[j] = np.where(occ[col, :k] < h.probability, pay, 0.0)
    return out


def _poisson(lam: float) -> NDArray[np.float64]:
    """P(N = k) for k = 0..kmax, with P(N > kmax) below 1e-12 (kmax >= 2)."""
    pk = [math.exp(-lam)]
    tail = 1.0 - pk[0]
    while (tail > _TAIL or len(pk) < 3) and len(pk) < 10_000:
        pk.append(pk[-1] * lam / len(pk))
        tail -= pk[-1]
    return np.array(pk)


def annual_loss(risk: PolicyRisk, *, n_sims: int = N_SIMS) -> AnnualLoss:
    """Expected annual payment of a policy (see module docstring)."""
    lam = risk.frequency
    heads = risk.heads
    per_claim = {h.head: head_expected_payment(h) for h in heads}
    ground_up = lam * sum(h.probability * h.mean_loss for h in heads)
    if lam <= 0 or not heads:
        return AnnualLoss({k: 0.0 for k in per_claim}, 0.0, 0.0, 0.0, ground_up)
    pk = _poisson(lam)
    kmax = len(pk) - 1
    pay = _claim_payments(heads, n_sims, kmax)  # (H, kmax, n)
    limits = np.array([h.limit for h in heads])[:, None, None]
    cum = np.cumsum(pay, axis=1)  # per-head totals after 1..kmax claims
    per_head = np.minimum(cum, limits)  # annual sub-limits
    tot_raw = per_head.sum(axis=0)  # (kmax, n)
    g = np.minimum(tot_raw, risk.aggregate_limit)
    exact_g1 = sum(per_claim.values())
    # The aggregate binds a single claim only when it is below the sum of the sub-limits.
    g1 = exact_g1 - float((tot_raw[0] - g[0]).mean())
    eg = g.mean(axis=1)
    eg[0] = g1
    eg = np.maximum.accumulate(eg)  # E[g_k] cannot fall as k rises
    expected = float(pk[1:] @ eg)
    second = float(pk[1:] @ (g**2).mean(axis=1))
    variance = max(second - expected**2, 0.0)
    by_head = {k: lam * v for k, v in per_claim.items()}
    return AnnualLoss(by_head, expected - sum(by_head.values()), expected, variance, ground_up)
