"""A reference bound for the validation, **not a pricing method**: the Bayes-optimal estimate of
each field's claim frequency relative to the manual, for a book whose true field relativities
are drawn from a *known* prior (the ``fields_off`` scenario of
:mod:`ipledger.insurance.validation`: ``log(true / priced) ~ N(0, sd^2)`` independently per
field).

It is told the truth's prior, which no pricing method knows, and sees only what experience
rating sees at a year end: each field's reported single claims ``N_f`` and its used-up expected
claims at the manual rates ``E_f`` (the same Cape Cod share of each accident year as
:func:`ipledger.insurance.experience.refit`). With ``N_f ~ Poisson(theta_f E_f)`` and
``log theta_f ~ N(0, sd^2)`` the fields are independent a posteriori, and the posterior of
``u = log theta`` is proportional to ``exp(N u - E e^u - u^2 / (2 sd^2))``, integrated here on a
grid (no closed form: the lognormal is not conjugate to the Poisson).

* :func:`posterior_mean` minimises the expected squared error of ``theta_f``: no estimator
  from the same data does better in expectation under that prior.
* :func:`best_within` maximises the posterior probability that ``theta_f / estimate`` lies in
  ``[1 - tol, 1 + tol]``, i.e. that the field's loss ratio is within ``tol`` of target when the
  rest of the price is right. Fields being independent a posteriori, the product of these
  probabilities over the fields is the highest probability that *every* field is within
  ``tol`` which any estimator from these data can reach (under the prior).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ipledger.errors import PricingError

F = NDArray[np.float64]
#: Grid points per field and half-width in posterior standard deviations (Laplace scale).
GRID_POINTS, GRID_HALF_WIDTH = 801, 12.0


def _grid(observed: F, expected: F, sd: float) -> tuple[F, F]:
    """Per field a grid of ``u = log theta`` around the posterior mode and its log density."""
    if sd <= 0:
        raise PricingError(f"the prior's log-sd must be positive, got {sd}")
    n = np.asarray(observed, dtype=float)[:, None]
    e = np.asarray(expected, dtype=float)[:, None]
    if np.any(n < 0) or np.any(e < 0):
        raise PricingError("claim counts and expected claims must not be negative")
    # Mode of the log density by Newton steps from the gamma-conjugate guess (concave in u).
    u = np.log((n + 1.0) / (e + 1.0))
    for _ in range(50):
        grad = n - e * np.exp(u) - u / sd**2
        hess = -e * np.exp(u) - 1.0 / sd**2
        u = u - grad / hess
    scale = 1.0 / np.sqrt(e * np.exp(u) + 1.0 / sd**2)
    grid = u + scale * np.linspace(-GRID_HALF_WIDTH, GRID_HALF_WIDTH, GRID_POINTS)[None, :]
    logp = n * grid - e * np.exp(grid) - grid**2 / (2 * sd**2)
    return grid, logp - logp.max(axis=1, keepdims=True)


def posterior_mean(observed: F, expected: F, sd: float) -> F:
    """Posterior mean of ``theta`` per field (Poisson counts, lognormal prior with median 1).

    Args:
        observed: reported claims per field.
        expected: expected claims per field at the manual rates (same exposure as observed).
        sd: the prior's standard deviation of ``log theta``.

    Returns:
        ``E[theta | N]`` per field (a multiple of the manual frequency).
    """
    grid, logp = _grid(observed, expected, sd)
    p = np.exp(logp)
    return np.asarray(np.trapezoid(p * np.exp(grid), grid, axis=1) / np.trapezoid(p, grid, axis=1))


def best_within(observed: F, expected: F, sd: float, tol: float = 0.15) -> tuple[F, F]:
    """The estimate per field most likely to be within ``tol`` of the truth, and that probability.

    "Within" is the validation's measure: ``|theta / estimate - 1| <= tol`` (the field's loss
    ratio over target, the rest of the price right), i.e. ``log theta`` in
    ``[log estimate + log(1 - tol), log estimate + log(1 + tol)]``: a window of fixed width in
    ``u``, slid over the grid.

    Returns:
        ``(estimate, posterior probability of being within)`` per field.
    """
    grid, logp = _grid(observed, expected, sd)
    p = np.exp(logp)
    du = grid[:, 1:2] - grid[:, 0:1]
    mass = np.concatenate([np.zeros((len(p), 1)), np.cumsum((p[:, 1:] + p[:, :-1]) / 2 * du, axis=1)], axis=1)
    mass /= mass[:, -1:]
    # Posterior mass in the window [c + log(1 - tol), c + log(1 + tol)] for every grid point c
    # (uniform grids: the window's ends are fractional indices, the cumulative mass linear between).
    k = np.arange(p.shape[1])[None, :]
    inside = _at(mass, k + np.log(1.0 + tol) / du) - _at(mass, k + np.log(1.0 - tol) / du)
    best = np.argmax(inside, axis=1)
    rows = np.arange(len(p))
    est, prob = np.exp(grid[rows, best]), inside[rows, best]
    return est, prob


def _at(values: F, index: F) -> F:
    """Row-wise linear interpolation of ``values`` at fractional column ``index`` (clamped)."""
    last = values.shape[1] - 1
    x = np.clip(index, 0.0, last)
    i0 = np.minimum(np.floor(x).astype(np.int64), last - 1)
    frac = x - i0
    rows = np.arange(len(values))[:, None]
    return np.asarray(values[rows, i0] * (1.0 - frac) + values[rows, i0 + 1] * frac)


def share_within_by_volume(
    expected: F, sd: float, scales: tuple[float, ...], *, tol: float = 0.15, draws: int = 400, seed: int = 0
) -> dict[float, dict[str, float]]:
    """Preposterior check: how often the bound puts every field within ``tol`` on a larger book.

    For each scale ``s`` the expected claims per field are ``s x expected`` (a book ``s`` times
    as large with the same mix and development); truths are drawn from the prior, counts from
    the Poisson, and the bound's two figures averaged over the draws.

    Args:
        expected: used-up expected claims per field at the manual rates on the observed book.
        sd: the prior's log-sd.
        scales: book sizes as multiples of the observed one.
        tol: the tolerance on ``theta / estimate - 1``.
        draws: truths (and count sets) per scale.
        seed: random stream.

    Returns:
        Per scale: ``share_posterior_mean`` (draws where the posterior mean puts every field
        within ``tol``) and ``p_best`` (mean over draws of the highest attainable posterior
        probability that every field is within: the best any estimator can expect).
    """
    rng = np.random.default_rng(seed)
    e0 = np.asarray(expected, dtype=float)
    out: dict[float, dict[str, float]] = {}
    for s in scales:
        theta = np.exp(rng.normal(0.0, sd, size=(draws, len(e0))))
        e = np.broadcast_to(s * e0, theta.shape)
        n = rng.poisson(theta * e).astype(float)
        mean = posterior_mean(n.ravel(), e.ravel(), sd).reshape(theta.shape)
        ok = np.all(np.abs(theta / mean - 1.0) <= tol, axis=1)
        p_best = np.prod(best_within(n.ravel(), e.ravel(), sd, tol)[1].reshape(theta.shape), axis=1)
        out[float(s)] = {"share_posterior_mean": float(ok.mean()), "p_best": float(p_best.mean())}
    return out


__all__ = ["best_within", "posterior_mean", "share_within_by_volume"]
