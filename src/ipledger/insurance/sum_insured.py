"""Sum insured and effective sub-limits from a valuation, with the reasons in words.

The rule (decision record 0050):

1. The *basis value* is the valuation at a chosen percentile of its range: ``"value"`` is the
   reconciled value (read as the median, P50), ``"low"`` the range's lower end (P10), ``"high"``
   its upper end (P90), and ``"pNN"`` any percentile between 1 and 99. Percentiles come from a
   split lognormal through the three anchored figures (so an auditor re-derives them from the
   chain): ``log q(p) = log value + z_p / z_0.9 * (log high - log value)`` above the median and
   the same with ``low`` below it, so P10, P50 and P90 are exactly ``low``, ``value``, ``high``.
2. Products with a value-linked rule (the configurable enforcement and infringement-loss covers)
   take the basis value rounded to the product's unit (10,000 CNY, the pilot's unit) as the sum
   insured (the annual aggregate), floored at the product's minimum sum insured and capped by
   its aggregate limit; each head's limit is its sub-limit, never above the sum insured.
3. Products with a scheduled rule keep their published limits: the Beijing pilot's table 1-1
   (with direct loss capped by the basis value, as a loss cannot exceed what the right is
   worth), and liability covers, whose damages follow the claimant's loss, not the insured's
   value.

Whenever the sum insured differs from the rounded basis value, :attr:`SumInsured.departure`
says why (``"product cap"``, ``"floor"``, ``"schedule"``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from scipy.special import ndtri

from ipledger.errors import PricingError
from ipledger.insurance.products import Product

#: ``"value"``, ``"low"``, ``"high"`` or ``"pNN"`` (a percentile of the valuation's range).
Basis = str

_Z90 = float(ndtri(0.9))  # scipy.stats.norm.ppf without loading scipy.stats (same floats)
_PCT = re.compile(r"^p(\d{1,2}(?:\.\d+)?)$")


@dataclass(frozen=True)
class ValuationInput:
    """The figures a quote takes from a valuation (major units)."""

    value: float
    low: float
    high: float
    currency: str | None
    asset_id: str | None
    report_hash: str | None

    def at(self, percentile: float) -> float:
        """The valuation at ``percentile`` (1-99) of its range (see the module docstring)."""
        exact = {50.0: self.value, 10.0: self.low, 90.0: self.high}
        if percentile in exact:
            return exact[percentile]
        end = self.high if percentile > 50 else self.low
        if end <= 0:
            # A range reaching zero has no log scale: interpolate linearly between the ends.
            return max(self.value + (end - self.value) * abs(float(ndtri(percentile / 100.0))) / _Z90, 0.0)
        z = float(ndtri(percentile / 100.0))
        return math.exp(math.log(self.value) + abs(z) / _Z90 * (math.log(end) - math.log(self.value)))


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


def basis_percentile(basis: Basis) -> float:
    """The percentile a basis names: value 50, low 10, high 90, ``pNN`` NN (1 to 99)."""
    fixed = {"value": 50.0, "low": 10.0, "high": 90.0}
    if basis in fixed:
        return fixed[basis]
    m = _PCT.match(str(basis))
    if m and 1.0 <= float(m.group(1)) <= 99.0:
        return float(m.group(1))
    raise PricingError(f"basis must be value, low, high or pNN with NN from 1 to 99, got {basis!r}")


@dataclass(frozen=True)
class SumInsured:
    """Effective limits for one policy year (major units).

    Attributes:
        total: the sum insured, i.e. the most the policy pays in a year.
        sub_limits: effective limit per head.
        value_at_risk: the basis value the value-linked heads are tied to.
        basis: which figure of the valuation was used (``value``, ``low``, ``high``, ``pNN``).
        explanation: one line per head and one for the total.
        percentile: the percentile of the valuation's range the basis value sits at.
        rule: ``"value"`` (sum insured follows the value) or ``"schedule"`` (published limits).
        target: the basis value rounded to the product's unit (what a value rule aims at).
        departure: why ``total`` differs from ``target`` (``"product cap"``, ``"floor"``,
            ``"schedule"``), or None when it does not.
    """

    total: float
    sub_limits: dict[str, float]
    value_at_risk: float
    basis: str
    explanation: tuple[str, ...]
    percentile: float = 50.0
    rule: str = "value"
    target: float = 0.0
    departure: str | None = None


def _round(x: float, unit: float) -> float:
    # Round half up to the unit (banker's rounding would move limits on ties for no reason).
    return math.floor(x / unit + 0.5) * unit if unit > 0 else x


def sum_insured(val: ValuationInput, product: Product, *, basis: Basis = "value") -> SumInsured:
    """Apply the product's sum-insured rule to a valuation (see the module docstring).

    Args:
        val: the valuation figures (major units of the product's currency).
        product: the product, whose ``sum_insured_rule``, ``minimum_sum_insured``,
            ``sum_insured_rounding`` and limits apply.
        basis: the valuation figure the sum insured follows.

    Returns:
        The :class:`SumInsured`.
    """
    pct = basis_percentile(basis)
    var = val.at(pct)
    if not var > 0:
        raise PricingError(f"the valuation at P{pct:g} is {var}: nothing to insure")
    cur = product.currency
    target = _round(var, product.sum_insured_rounding)
    lines = [f"basis: valuation at P{pct:g} of its range = {var:,.0f} {cur} (rounded {target:,.0f})"]
    limits: dict[str, float] = {}
    if product.sum_insured_rule == "value":
        cap = product.effective_aggregate
        floor = product.minimum_sum_insured
        total, departure = target, None
        if total < floor:
            total, departure = floor, "floor"
            lines.append(f"total: {target:,.0f} is below the product's minimum sum insured {floor:,.0f} {cur}")
        elif total > cap:
            total, departure = cap, "product cap"
            lines.append(f"total: {target:,.0f} exceeds the product's aggregate limit {cap:,.0f} {cur}: capped")
        else:
            lines.append(f"total: the rounded basis value {total:,.0f} {cur} (sum insured follows the value)")
        for head in product.heads:
            sub = float(product.sub_limits[head])
            limits[head] = min(sub, total)
            lines.append(f"{head}: min(sub-limit {sub:,.0f}, sum insured {total:,.0f}) = {limits[head]:,.0f} {cur}")
        return SumInsured(total, limits, var, basis, tuple(lines), pct, "value", target, departure)
    for head in product.heads:
        cap_h = float(product.sub_limits[head])
        if head == "direct_loss":
            limits[head] = min(cap_h, var)
            tie = "the value at risk" if var <= cap_h else "the product's sub-limit"
            lines.append(
                f"direct_loss: min(valuation P{pct:g} {var:,.0f}, sub-limit {cap_h:,.0f}) = {limits[head]:,.0f}"
                f" {cur} (bound by {tie}: a loss cannot exceed what the right is worth)"
            )
        else:
            limits[head] = cap_h
            why = (
                "damages owed to the claimant do not depend on the insured's value"
                if head == "third_party_damages"
                else "costs are reimbursed up to the product's published limit"
            )
            lines.append(f"{head}: product sub-limit {cap_h:,.0f} {cur} ({why})")
    subtotal = sum(limits.values())
    total = min(subtotal, product.effective_aggregate)
    if total < subtotal:
        lines.append(f"total: sub-limits sum to {subtotal:,.0f}, capped by the aggregate {total:,.0f} {cur}")
    else:
        lines.append(f"total: sum of the effective sub-limits {total:,.0f} {cur}")
    departure = None if math.isclose(total, target) else "schedule"
    if departure:
        lines.append(
            f"departs from the value: the product's limits are a published schedule ({product.source or product.name})"
        )
    return SumInsured(total, limits, var, basis, tuple(lines), pct, "schedule", target, departure)
