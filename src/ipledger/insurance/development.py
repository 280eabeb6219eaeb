"""Claims development to ultimate with the ``chainladder`` package: chain ladder,
Bornhuetter-Ferguson and Mack's standard error on accident-year triangles.

Triangles come from :func:`ipledger.insurance.claims.development_frame` (cumulative paid,
incurred and reported counts by accident year at year-end valuations). A young book has too few
development years to estimate late link ratios; a prior tail (the cumulative development factor
still expected beyond the last observed age, from the pricing's reporting pattern) then closes
the triangle through ``chainladder.TailConstant`` (decision record 0052).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ipledger.errors import PricingError

F = NDArray[np.float64]

#: Assumption: share of IP claims notified by development year (0 = the accident year). Patent
#: suits are slow to surface: infringement is found late and a merit review precedes notice.
REPORTING_PATTERN = (0.55, 0.30, 0.10, 0.05)


def prior_cdf(pattern: tuple[float, ...] = REPORTING_PATTERN) -> F:
    """Cumulative development factors to ultimate at ages 1, 2, ... years from a reporting pattern."""
    cum = np.cumsum(np.asarray(pattern, dtype=float))
    return np.asarray(cum[-1] / cum, dtype=float)


@dataclass(frozen=True)
class Reserves:
    """Development of one triangle to ultimate (major units or counts, by accident year).

    Attributes:
        origin: accident years.
        latest: latest diagonal.
        ultimate_cl / ibnr_cl: chain-ladder ultimate and IBNR (incurred but not reported, or
            not enough reported, i.e. ultimate - latest).
        ultimate_bf / ibnr_bf: Bornhuetter-Ferguson, when a prior expectation was given.
        mack_std_err: Mack's standard error of the total chain-ladder reserve (NaN when the
            triangle is too small to estimate it).
        cdf: cumulative development factor to ultimate by origin (in origin order).
    """

    origin: tuple[str, ...]
    latest: F
    ultimate_cl: F
    ibnr_cl: F
    ultimate_bf: F | None
    ibnr_bf: F | None
    mack_std_err: float
    cdf: F


def triangle(frame: pd.DataFrame, column: str) -> Any:
    """A cumulative ``chainladder.Triangle`` of one column of a development frame."""
    import chainladder as cl

    if column not in frame.columns:
        raise PricingError(f"development frame has no column {column!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cl.Triangle(  # type: ignore[abstract]
            frame[["origin", "valuation", column]],
            origin="origin",
            development="valuation",
            columns=[column],
            cumulative=True,
        )


def develop(
    frame: pd.DataFrame,
    column: str = "incurred",
    *,
    expected: pd.Series | None = None,
    tail: float | None = None,
) -> Reserves:
    """Develop a column of a development frame to ultimate.

    Args:
        frame: cumulative paid / incurred / reported by ``origin`` and ``valuation``.
        column: ``"incurred"``, ``"paid"`` or ``"reported"``.
        expected: prior expected ultimate by origin (e.g. earned premium x expected loss ratio,
            or expected claim counts), which enables Bornhuetter-Ferguson.
        tail: cumulative factor beyond the last observed age (default: the prior reporting
            pattern's, :func:`prior_cdf`, at that age; 1.0 once fully developed).

    Returns:
        The :class:`Reserves`.
    """
    import chainladder as cl

    tri = triangle(frame, column)
    n_dev = int(tri.shape[3])
    if tail is None:
        pc = prior_cdf()
        tail = float(pc[n_dev - 1]) if n_dev - 1 < len(pc) else 1.0
    if n_dev < 2:
        # One valuation: no link ratio can be estimated; the prior pattern develops it.
        latest1 = np.nan_to_num(_by_origin(tri.latest_diagonal))
        cdf1 = np.full(len(latest1), max(tail, 1.0))
        ult1 = latest1 * cdf1
        bf1 = None
        if expected is not None:
            prior1 = np.asarray([float(expected.get(str(o), np.nan)) for o in tri.origin.year])
            bf1 = latest1 + (1.0 - 1.0 / cdf1) * prior1
        return Reserves(
            tuple(str(o) for o in tri.origin.year),
            latest1,
            ult1,
            ult1 - latest1,
            bf1,
            None if bf1 is None else bf1 - latest1,
            float("nan"),
            cdf1,
        )
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        dev = cl.Development(average="volume").fit_transform(tri)
        tailed = cl.TailConstant(tail=max(tail, 1.0), decay=0.0).fit_transform(dev) if tail > 1.0 else dev
        chain = cl.Chainladder().fit(tailed)
        latest = np.nan_to_num(_by_origin(tri.latest_diagonal))
        ult = np.nan_to_num(_by_origin(chain.ultimate_))
        mack_se = float("nan")
        if tri.shape[2] >= 3 and n_dev >= 3:
            mack = cl.MackChainladder().fit(dev)
            mack_se = float(np.nan_to_num(np.asarray(mack.total_mack_std_err_.values, dtype=float)).sum())
        ult_bf = ibnr_bf = None
        if expected is not None:
            origins = [str(o) for o in tri.origin.year]
            prior = np.asarray([float(expected.get(o, expected.get(int(o), np.nan))) for o in origins])
            if np.isnan(prior).any():
                raise PricingError("expected ultimates must cover every accident year of the triangle")
            cdf = np.where(latest > 0, ult / np.where(latest > 0, latest, 1.0), _cdf_by_age(chain, tri))
            # BF: reported plus the unreported share of the prior expectation.
            ult_bf = latest + (1.0 - 1.0 / np.maximum(cdf, 1.0)) * prior
            ibnr_bf = ult_bf - latest
    cdf_out = _cdf_by_age(chain, tri)
    return Reserves(
        tuple(str(o) for o in tri.origin.year),
        latest,
        ult,
        ult - latest,
        ult_bf,
        ibnr_bf,
        mack_se,
        cdf_out,
    )


def _by_origin(t: Any) -> F:
    return np.asarray(t.values, dtype=float).reshape(-1, t.shape[3])[:, -1]


def _cdf_by_age(chain: Any, tri: Any) -> F:
    """Cumulative factor to ultimate for each origin at its latest age."""
    cdf = np.asarray(chain.cdf_.values, dtype=float).reshape(-1)
    n_origin = int(tri.shape[2])
    # Origin i (oldest first) sits at age n_origin - i on a year-end triangle.
    ages = np.arange(n_origin, 0, -1) - 1
    return np.asarray([cdf[a] if a < len(cdf) else 1.0 for a in ages], dtype=float)


__all__ = ["REPORTING_PATTERN", "Reserves", "develop", "prior_cdf", "triangle"]
