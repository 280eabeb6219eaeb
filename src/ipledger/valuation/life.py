"""Legal and economic life of an IP right: one function for the income, cost and market approaches.

Remaining useful life (IVS 210 and the China Appraisal Society's intangible-asset standard: the
shorter of the legal or contractual life and the economic life) is computed here:

* **Legal life.** The recorded expiry date; else the statutory term from filing for a right that
  has one (Patent Law of the PRC 2020, art. 42: invention 20 years, utility model 10 years,
  design 15 years for applications filed on or after 1 June 2021 and 10 years before; Copyright
  Law 2020, art. 23: 50 years). A pending patent with no expiry gets the statutory term from its
  filing date, never an unlimited life. Trademarks (10 years from registration, renewable
  without limit, Trademark Law art. 39-40) and trade secrets have no fixed end: their legal life
  is indefinite while they are kept in use. Lapsed, invalidated and expired rights have none.
* **Economic life.** The valuer's input, else the field's default (years from filing, an
  assumption in :mod:`ipledger.valuation.defaults`); indefinite for a trademark or trade secret
  in use, which the income approach then values with a terminal value.

Units: years as floats (``math.inf`` for an indefinite life).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "DEAD_STATUSES",
    "DESIGN_15_YEARS_FROM",
    "INDEFINITE_KINDS",
    "STATUTORY_TERM_YEARS",
    "Life",
    "legal_expiry",
    "legal_expiry_many",
    "remaining_life",
]

YEAR_DAYS = 365.25

#: Statutory term in years from filing (creation for copyright) by asset kind; trademarks and trade
#: secrets have none (renewable / unlimited while in use). Sources: Patent Law of the PRC (2020)
#: art. 42; Copyright Law of the PRC (2020) art. 23 (works of legal persons, software).
STATUTORY_TERM_YEARS: dict[str, float] = {
    "invention": 20.0,
    "utility_model": 10.0,
    "design": 15.0,
    "copyright": 50.0,
    "software": 50.0,
}

#: The 2020 amendment of the Patent Law (in force 1 June 2021) raised the design term from 10 to
#: 15 years for applications filed from that date.
DESIGN_15_YEARS_FROM = pd.Timestamp("2021-06-01")

#: Kinds whose legal life is indefinite while the right is kept in use.
INDEFINITE_KINDS = ("trademark", "trade_secret")

#: Statuses with no remaining legal life.
DEAD_STATUSES = ("lapsed", "invalidated", "expired")


def _missing(x: Any) -> bool:
    return x is None or x is pd.NaT or (isinstance(x, float) and math.isnan(x)) or (pd.isna(x) is True)


def statutory_term(kind: str, filing: Any) -> float | None:
    """Statutory term in years from filing for ``kind`` (None when it has none)."""
    term = STATUTORY_TERM_YEARS.get(str(kind))
    if term is None:
        return None
    if kind == "design" and not _missing(filing) and pd.Timestamp(filing) < DESIGN_15_YEARS_FROM:
        return 10.0
    return term


def legal_expiry(kind: str, filing: Any, expiry: Any) -> pd.Timestamp | None:
    """The date the legal protection ends: the recorded expiry, else filing + statutory term.

    Returns:
        The date, or None for an indefinite legal life (trademarks, trade secrets, or a right
        with neither expiry nor filing date).
    """
    if str(kind) in INDEFINITE_KINDS:
        return None
    if not _missing(expiry):
        return pd.Timestamp(expiry)
    term = statutory_term(str(kind), filing)
    if term is None or _missing(filing):
        return None
    start = pd.Timestamp(filing)
    return start + pd.DateOffset(years=int(term)) if term == int(term) else start + pd.Timedelta(days=term * YEAR_DAYS)


def legal_expiry_many(kind: np.ndarray, filing: np.ndarray, expiry: np.ndarray) -> np.ndarray:
    """Vectorised :func:`legal_expiry`: datetime64[ns] per row, NaT where the life is indefinite.

    The statutory term is added in calendar years, as :func:`legal_expiry` does.
    """
    kind = np.asarray(kind).astype(str)
    filing = np.asarray(filing, dtype="datetime64[ns]")
    out = np.asarray(expiry, dtype="datetime64[ns]").copy()
    term = np.array([STATUTORY_TERM_YEARS.get(k, np.nan) for k in kind], dtype=float)
    old_design = (kind == "design") & (filing < np.datetime64(DESIGN_15_YEARS_FROM.to_datetime64(), "ns"))
    term = np.where(old_design, 10.0, term)
    fill = np.isnat(out) & ~np.isnat(filing) & np.isfinite(term)
    for years in np.unique(term[fill]):  # a handful of terms: calendar years, as the statute counts
        rows = fill & (term == years)
        out[rows] = (pd.DatetimeIndex(filing[rows]) + pd.DateOffset(years=int(years))).to_numpy("datetime64[ns]")
    out[np.isin(kind, INDEFINITE_KINDS)] = np.datetime64("NaT")
    return out


@dataclass(frozen=True)
class Life:
    """Remaining useful life of one right at a valuation date, in years.

    Attributes:
        legal: remaining legal life (``inf`` when indefinite, 0 when dead or ended).
        economic: remaining economic life (``inf`` when indefinite).
        remaining: the shorter of the two (the remaining useful life).
        used: years since filing (else grant), None when unknown.
        indefinite: True when ``remaining`` is infinite (a mark or secret in use).
        basis: which bound sets ``remaining``: ``"legal"``, ``"economic"`` or ``"indefinite"``.
        expiry: the legal end date (ISO) when there is one.
    """

    legal: float
    economic: float
    remaining: float
    used: float | None
    indefinite: bool
    basis: str
    expiry: str | None


def remaining_life(
    asset: dict[str, Any],
    as_of: pd.Timestamp,
    economic_life: float | None,
    *,
    in_use: bool = True,
) -> Life:
    """Remaining useful life of an asset row at ``as_of``.

    Args:
        asset: a row of the assets frame (``kind``, ``status``, ``filing_date``,
            ``grant_date``, ``expiry_date``).
        as_of: the valuation date.
        economic_life: total economic life in years from filing (the field default or the
            valuer's figure); None means indefinite (a mark or a secret in use).
        in_use: whether the right is kept in use (a trademark or trade secret not in use has
            no indefinite life: its economic life is then the given ``economic_life``).

    Returns:
        The :class:`Life`.
    """
    kind = str(asset.get("kind"))
    start = asset.get("filing_date")
    if _missing(start):
        start = asset.get("grant_date")
    used = None if _missing(start) else max(float((as_of - pd.Timestamp(start)).days) / YEAR_DAYS, 0.0)
    end = legal_expiry(
        kind, asset.get("filing_date") if not _missing(asset.get("filing_date")) else start, asset.get("expiry_date")
    )
    legal = math.inf if end is None else max(float((end - as_of).days) / YEAR_DAYS, 0.0)
    if str(asset.get("status") or "") in DEAD_STATUSES:
        legal = 0.0
    indefinite_kind = kind in INDEFINITE_KINDS and in_use
    indefinite = indefinite_kind or economic_life is None
    economic = math.inf if indefinite else max(float(economic_life or 0.0) - (used or 0.0), 0.0)
    remaining = min(legal, economic)
    basis = "indefinite" if math.isinf(remaining) else ("legal" if legal <= economic else "economic")
    return Life(
        legal=legal,
        economic=economic,
        remaining=remaining,
        used=used,
        indefinite=math.isinf(remaining),
        basis=basis,
        expiry=None if end is None else end.date().isoformat(),
    )
