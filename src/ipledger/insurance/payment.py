"""Expected insurer payment under a deductible, coinsurance and a limit.

For one loss ``X >= 0`` the insurer pays ``min((1 - c) * max(X - d, 0), L)``: the deductible ``d``
comes off first, the insured keeps the share ``c`` (coinsurance) and the limit ``L`` caps what is
left. With limited expected values ``E[X ^ u] = integral_0^u S(x) dx`` this is exactly::

    E[payment] = (1 - c) * (E[X ^ (d + L / (1 - c))] - E[X ^ d])

Lognormal and gamma distributions use closed forms; any other frozen scipy distribution
integrates its survival function numerically. A sample array is averaged directly (simulation).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from ipledger.errors import PricingError

FloatArray = NDArray[np.float64]


def _check_terms(deductible: float, coinsurance: float, limit: float) -> None:
    if not deductible >= 0:
        raise PricingError(f"deductible must be >= 0, got {deductible}")
    if not 0.0 <= coinsurance < 1.0:
        raise PricingError(f"coinsurance (the insured's share) must be in [0, 1), got {coinsurance}")
    if not limit >= 0:
        raise PricingError(f"limit must be >= 0, got {limit}")


def lognormal_lev(u: ArrayLike, mu: ArrayLike, sigma: ArrayLike) -> FloatArray:
    """Limited expected value ``E[min(X, u)]`` of a lognormal ``X = exp(mu + sigma Z)``.

    Vectorised over all arguments; ``u`` may be ``inf`` (then the mean) or 0.
    """
    u_, mu_, s_ = np.broadcast_arrays(np.asarray(u, float), np.asarray(mu, float), np.asarray(sigma, float))
    out = np.empty(u_.shape, dtype=float)
    mean = np.exp(mu_ + 0.5 * s_**2)
    inf = np.isinf(u_)
    zero = u_ <= 0
    fin = ~inf & ~zero
    out[inf] = mean[inf]
    out[zero] = 0.0
    if fin.any():
        lu = np.log(u_[fin])
        m, s = mu_[fin], s_[fin]
        z = (lu - m) / s
        out[fin] = mean[fin] * special.ndtr(z - s) + u_[fin] * special.ndtr(-z)
    return out


def gamma_lev(u: ArrayLike, shape: ArrayLike, scale: ArrayLike) -> FloatArray:
    """Limited expected value ``E[min(X, u)]`` of a gamma ``X`` (shape ``a``, scale ``theta``)."""
    u_, a, th = np.broadcast_arrays(np.asarray(u, float), np.asarray(shape, float), np.asarray(scale, float))
    out = np.empty(u_.shape, dtype=float)
    inf = np.isinf(u_)
    out[inf] = (a * th)[inf]
    fin = ~inf
    x = np.maximum(u_[fin], 0.0) / th[fin]
    out[fin] = a[fin] * th[fin] * special.gammainc(a[fin] + 1, x) + u_[fin].clip(min=0) * special.gammaincc(a[fin], x)
    return out


def _frozen_lev(dist: Any, u: float) -> float:
    """``E[min(X, u)]`` for a frozen scipy distribution with support in ``[0, inf)``."""
    if u <= 0:
        return 0.0
    gen = getattr(dist, "dist", None)
    name = getattr(gen, "name", "")
    if name in {"lognorm", "gamma"}:
        # scipy's own argument parser resolves positional/keyword shapes, loc and scale.
        shapes, loc, scale = gen._parse_args(*dist.args, **dist.kwds)  # type: ignore[union-attr]
        if float(loc) == 0.0:
            if name == "lognorm":
                return float(lognormal_lev(u, math.log(float(scale)), float(shapes[0]))[()])
            return float(gamma_lev(u, float(shapes[0]), float(scale))[()])
    lo = float(dist.support()[0])
    if lo < 0:
        raise PricingError("loss distribution must have support in [0, inf)")
    if u <= lo:
        return u  # X >= lo >= u surely
    if math.isinf(u):
        return float(dist.mean())
    from scipy.integrate import quad  # only for distributions without a closed form

    # Split at quantiles so quad sees where the survival function falls.
    cuts = sorted({lo, *[float(q) for q in dist.ppf([0.5, 0.9, 0.99, 0.999]) if lo < q < u], u})
    total = lo  # E[min(X,u)] = lo + integral_lo^u S(x) dx for X >= lo >= 0
    for a_, b_ in itertools.pairwise(cuts):
        val, _ = quad(dist.sf, a_, b_, limit=200)
        total += val
    return float(total)


def limited_expected_value(loss: Any, u: float) -> float:
    """``E[min(X, u)]`` for a frozen scipy distribution or a sample array (major units)."""
    if hasattr(loss, "sf") and hasattr(loss, "ppf"):
        return _frozen_lev(loss, float(u))
    x = np.asarray(loss, dtype=float)
    return float(np.minimum(x, u).mean()) if x.size else 0.0


def expected_payment(
    loss: Any,
    *,
    deductible: float = 0.0,
    coinsurance: float = 0.0,
    limit: float = math.inf,
) -> float:
    """Expected insurer payment for one loss.

    Args:
        loss: a frozen ``scipy.stats`` distribution with support in ``[0, inf)`` (exact, via
            limited expected values) or a 1-D sample of losses (simulation: the sample mean of
            the payment).
        deductible: amount the insured bears first (major units).
        coinsurance: the insured's share of the loss above the deductible (fraction in [0, 1)),
            applied before the limit.
        limit: the most the insurer pays (major units); ``inf`` for none.

    Returns:
        ``E[min((1 - coinsurance) * max(X - deductible, 0), limit)]`` in major units.

    Raises:
        PricingError: on a negative deductible or limit, a share outside [0, 1), or a sample
            with negative or non-finite values.
    """
    _check_terms(deductible, coinsurance, limit)
    share = 1.0 - coinsurance
    if hasattr(loss, "sf") and hasattr(loss, "ppf"):
        top = deductible + limit / share
        return max(share * (_frozen_lev(loss, top) - _frozen_lev(loss, deductible)), 0.0)
    x = np.asarray(loss, dtype=float)
    if x.ndim != 1 or not np.isfinite(x).all() or (x < 0).any():
        raise PricingError("a loss sample must be a 1-D array of finite values >= 0")
    if x.size == 0:
        raise PricingError("a loss sample must not be empty")
    return float(np.minimum(share * np.maximum(x - deductible, 0.0), limit).mean())


def payment_of(x: FloatArray, *, deductible: ArrayLike, coinsurance: ArrayLike, limit: ArrayLike) -> FloatArray:
    """Elementwise insurer payment ``min((1 - c) * max(x - d, 0), L)`` (vectorised helper)."""
    share = 1.0 - np.asarray(coinsurance, float)
    return np.minimum(share * np.maximum(x - np.asarray(deductible, float), 0.0), np.asarray(limit, float))


def lognormal_expected_payment(
    mu: ArrayLike, sigma: ArrayLike, *, deductible: ArrayLike, coinsurance: ArrayLike, limit: ArrayLike
) -> FloatArray:
    """Vectorised exact expected payment for lognormal losses (same formula as above)."""
    d = np.asarray(deductible, float)
    share = 1.0 - np.asarray(coinsurance, float)
    top = d + np.asarray(limit, float) / share
    return np.maximum(share * (lognormal_lev(top, mu, sigma) - lognormal_lev(d, mu, sigma)), 0.0)


def gamma_expected_payment(
    shape: ArrayLike, scale: ArrayLike, *, deductible: ArrayLike, coinsurance: ArrayLike, limit: ArrayLike
) -> FloatArray:
    """Vectorised exact expected payment for gamma losses."""
    d = np.asarray(deductible, float)
    share = 1.0 - np.asarray(coinsurance, float)
    top = d + np.asarray(limit, float) / share
    return np.maximum(share * (gamma_lev(top, shape, scale) - gamma_lev(d, shape, scale)), 0.0)
