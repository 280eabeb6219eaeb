"""Sum insured and effective sub-limits from a valuation, with the reasons in words."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from ipledger.errors import PricingError
from ipledger.insurance.products import Product

Basis = Literal["value", "low", "high"]


@dataclass(frozen=True)
class ValuationInput:
    """The figures a quote takes from a valuation (major units)."""

    value: float
    low: float
    high: float
    currency: str | None
    asset_id: str | None
    report_hash: str | None


def as_valuation(valuation_or_value: Any, *, fx_rate: float | None = None) -> ValuationInput:
    """Read ``.value, .low, .high, .currency, .asset_id, .report_hash`` or a plain number.

    ``fx_rate`` (product currency per valuation currency unit) converts every amount.
    """
    v = valuation_or_value
    if isinstance(v, int | float):
        value = low = high = float(v)
        currency = asset_id = report_hash = None
    else:
        try:
            value, low, high = float(v.value), float(v.low), float(v.high)
        except AttributeError as exc:
            raise PricingError("a valuation needs .value, .low and .high (or pass a plain number)") from exc
        currency = getattr(v, "currency", None)
        asset_id = getattr(v, "asset_id", None)
        report_hash = getattr(v, "report_hash", None)
    if fx_rate is not None:
        if not fx_rate > 0:
            raise PricingError(f"fx_rate must be > 0, got {fx_rate}")
        value, low, high = value * fx_rate, low * fx_rate, high * fx_rate
    if not (value > 0 and math.isfinite(value)):
        raise PricingError(f"the value at risk must be a positive finite amount, got {value}")
    if not low <= value <= high:
        raise PricingError(f"valuation range must satisfy low <= value <= high, got {low}, {value}, {high}")
    return ValuationInput(
        value,
        max(low, 0.0),
        high,
        currency,
        None if asset_id is None else str(asset_id),
        None if report_hash is None else str(report_hash),
    )


@dataclass(frozen=True)
class SumInsured:
    """Effective limits for one policy year (major units).

    Attributes:
        total: the sum insured, i.e. the most the policy pays in a year.
        sub_limits: effective limit per head.
        value_at_risk: the figure the value-linked heads are tied to.
        basis: which end of the valuation was used.
        explanation: one line per head and one for the total.
    """

    total: float
    sub_limits: dict[str, float]
    value_at_risk: float
    basis: str
    explanation: tuple[str, ...]


def sum_insured(val: ValuationInput, product: Product, *, basis: Basis = "value") -> SumInsured:
    """Apply the product's rule: cost heads keep their sub-limits; direct loss is tied to the
    value at risk and capped by its sub-limit; third-party damages keep the product's limit
    (they depend on the claimant's loss, not the insured's value); the total is capped by the
    aggregate limit."""
    if basis not in ("value", "low", "high"):
        raise PricingError(f"basis must be value, low or high, got {basis!r}")
    var = {"value": val.value, "low": val.low, "high": val.high}[basis]
    limits: dict[str, float] = {}
    lines: list[str] = []
    cur = product.currency
    for head in product.heads:
        cap = float(product.sub_limits[head])
        if head == "direct_loss":
            limits[head] = min(cap, var)
            tie = "the value at risk" if var <= cap else "the product's sub-limit"
            lines.append(
                f"direct_loss: min(valuation {basis} {var:,.0f}, sub-limit {cap:,.0f}) = {limits[head]:,.0f} {cur}"
                f" (bound by {tie}: a loss cannot exceed what the right is worth)"
            )
        else:
            limits[head] = cap
            why = (
                "damages owed to the claimant do not depend on the insured's value"
                if head == "third_party_damages"
                else "costs are reimbursed up to the product's limit"
            )
            lines.append(f"{head}: product sub-limit {cap:,.0f} {cur} ({why})")
    subtotal = sum(limits.values())
    total = min(subtotal, product.effective_aggregate)
    if total < subtotal:
        lines.append(f"total: sub-limits sum to {subtotal:,.0f}, capped by the aggregate {total:,.0f} {cur}")
    else:
        lines.append(f"total: sum of the effective sub-limits {total:,.0f} {cur}")
    return SumInsured(total, limits, var, basis, tuple(lines))
