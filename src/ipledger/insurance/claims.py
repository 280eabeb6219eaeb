"""Claims data model: the insurer's claim transactions and each claim's state at any date.

A claim is the sequence of transactions recorded on chain under one claim reference
(``ValuationRegistry.recordClaim``, kinds in :class:`ipledger.chain.codes.ClaimKind`):

- ``opened`` (notified): the date is the date of loss, the amount the initial case reserve;
- ``reserved``: the case reserve revised to the amount (zero allowed);
- ``paid``: a payment under a cost head; it comes out of the case reserve (floored at zero);
- ``recovered``: damages won back from the infringer by subrogation (reduce incurred);
- ``award_shared``: part of a recovered award paid back to the insured (profit sharing; raises
  incurred as a payment does, without touching the case reserve);
- ``closed``: the case reserve falls to zero.

``incurred = paid + case reserve + award shared - recovered`` and ``net paid = paid + award
shared - recovered``. Amounts are major units of the claim's currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ipledger.errors import PricingError

KINDS = ("opened", "paid", "recovered", "closed", "reserved", "award_shared")
_CODE = {i + 1: k for i, k in enumerate(KINDS)}
COLUMNS = ("claim_ref", "policy_hash", "kind", "date", "amount", "head")


def from_ledger(claims: pd.DataFrame) -> pd.DataFrame:
    """The indexed ``claims`` table (``Ledger.claims()``) as claim transactions.

    Returns:
        Columns ``claim_ref``, ``policy_hash``, ``kind`` (name), ``date`` (Timestamp, UTC-naive),
        ``amount`` (major units), ``head`` (code), in record order.
    """
    from ipledger.money import to_major

    if not len(claims):
        return pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})
    df = claims.sort_values("record_id", kind="stable")
    return pd.DataFrame(
        {
            "claim_ref": df["claim_ref"].astype(str).to_numpy(),
            "policy_hash": df["policy_hash"].astype(str).str.lower().to_numpy(),
            "kind": [_CODE.get(int(k), "unknown") for k in df["kind"]],
            "date": pd.to_datetime(df["date"].astype("int64"), unit="s").to_numpy(),
            "amount": [to_major(int(a), str(c)) for a, c in zip(df["amount"], df["currency"], strict=True)],
            "head": df["head"].astype(int).to_numpy(),
        }
    )


@dataclass(frozen=True)
class ClaimState:
    """One claim's position at a date (major units)."""

    claim_ref: str
    policy_hash: str
    loss_date: pd.Timestamp
    paid: float
    case_reserve: float
    recovered: float
    award_shared: float
    closed: bool

    @property
    def incurred(self) -> float:
        """Paid plus case reserve plus awards shared, less recoveries."""
        return self.paid + self.case_reserve + self.award_shared - self.recovered


def states(transactions: pd.DataFrame, as_of: Any = None) -> pd.DataFrame:
    """Each claim's state from its transactions dated on or before ``as_of`` (default: all).

    Returns:
        One row per claim: ``claim_ref``, ``policy_hash``, ``loss_date``, ``paid``,
        ``case_reserve``, ``recovered``, ``award_shared``, ``closed``, ``incurred``,
        ``net_paid``.

    Raises:
        PricingError: a claim whose first transaction is not ``opened``, or an unknown kind.
    """
    tx = transactions if as_of is None else transactions[transactions["date"] <= pd.Timestamp(as_of)]
    rows = []
    for ref, g in tx.groupby("claim_ref", sort=False):
        kinds = list(g["kind"])
        if kinds[0] != "opened":
            raise PricingError(f"claim {ref}: the first transaction must be 'opened', got {kinds[0]!r}")
        paid = reserve = recovered = shared = 0.0
        closed = False
        for kind, amount in zip(kinds, g["amount"], strict=True):
            if kind == "opened" or kind == "reserved":
                reserve, closed = float(amount), False
            elif kind == "paid":
                paid += amount
                reserve = max(reserve - amount, 0.0)
            elif kind == "recovered":
                recovered += amount
            elif kind == "award_shared":
                shared += amount
            elif kind == "closed":
                reserve, closed = 0.0, True
            else:
                raise PricingError(f"claim {ref}: unknown transaction kind {kind!r}")
        rows.append(
            ClaimState(
                str(ref),
                str(g["policy_hash"].iloc[0]),
                pd.Timestamp(g["date"].iloc[0]),
                paid,
                reserve,
                recovered,
                shared,
                closed,
            )
        )
    out = pd.DataFrame([r.__dict__ for r in rows], columns=[f for f in ClaimState.__dataclass_fields__])
    out["incurred"] = [r.incurred for r in rows]
    out["net_paid"] = out["paid"] + out["award_shared"] - out["recovered"]
    return out


def development_frame(transactions: pd.DataFrame, valuation_dates: list[Any] | None = None) -> pd.DataFrame:
    """Cumulative paid, incurred and reported counts by accident year at each valuation date.

    Args:
        transactions: claim transactions (see :func:`from_ledger`).
        valuation_dates: dates to value the claims at; default every year end from the first
            loss year to the last transaction's year.

    Returns:
        Long frame ``origin`` (accident year, str), ``valuation`` (date), ``paid`` (net of
        recoveries and awards shared), ``incurred``, ``reported`` (claims notified), ready for
        ``chainladder.Triangle``.
    """
    if not len(transactions):
        raise PricingError("no claim transactions to develop")
    if valuation_dates is None:
        first = pd.Timestamp(transactions["date"].min()).year
        last = pd.Timestamp(transactions["date"].max()).year
        valuation_dates = [pd.Timestamp(f"{y}-12-31") for y in range(first, last + 1)]
    frames = []
    for when in valuation_dates:
        st = states(transactions, when)
        if not len(st):
            continue
        st["origin"] = st["loss_date"].dt.year.astype(str)
        agg = st.groupby("origin").agg(
            paid=("net_paid", "sum"), incurred=("incurred", "sum"), reported=("claim_ref", "count")
        )
        agg["valuation"] = pd.Timestamp(when)
        frames.append(agg.reset_index())
    out = pd.concat(frames, ignore_index=True)
    out = out[out["valuation"].dt.year >= out["origin"].astype(int)]
    return out.astype({"paid": float, "incurred": float, "reported": float}).reset_index(drop=True)


def policy_incurred(transactions: pd.DataFrame, as_of: Any = None) -> pd.Series:
    """Incurred losses (major units) per policy hash at ``as_of``."""
    st = states(transactions, as_of)
    return st.groupby("policy_hash")["incurred"].sum() if len(st) else pd.Series(dtype=float)


__all__ = ["KINDS", "ClaimState", "development_frame", "from_ledger", "policy_incurred", "states"]
