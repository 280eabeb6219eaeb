"""Reconciliation: one value and range from the market, income and cost approaches.

IVS 105 asks the valuer to weigh the approaches by the quality and quantity of their data; here
the weights are explicit. Each sufficient method's range (low, high) is read as an ~80% interval
(10th to 90th percentile). Its uncertainty is measured relative to its value, on a log scale
(values of IP are right-skewed and a method must not gain weight merely by giving a smaller
number): ``sd = ln(high / low) / (2 * 1.2816)``, or ``(high - low) / (2 * 1.2816 * value)`` when
``low`` is 0, never below 1%. Weights are inverse variances ``1 / sd ** 2``, normalised to sum
to 1. A method flagged insufficient gets weight 0 and the reason is stated.

The combined value is the weighted mean. The combined range does not shrink as methods are
added (the approaches share inputs and are not independent estimates): each side's half-width is
``sqrt(sum_i w_i * (h_i ** 2 + (v_i - v) ** 2))``, the spread of the weighted mixture of the
methods, with ``h_i`` the method's own half-width on that side; ``low`` is floored at 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from ipledger.errors import ValuationError
from ipledger.valuation.types import MethodResult

__all__ = ["Z80", "Reconciled", "reconcile"]

#: Standard normal quantile of 0.90: a 10th-90th percentile range spans 2 * Z80 standard deviations.
Z80 = 1.2815515655446004

#: Floor of a method's relative standard deviation (otherwise a zero-width range would take all
#: the weight).
MIN_RELATIVE_SD = 0.01

#: Methods whose values differ by more than this ratio trigger a warning.
DISAGREEMENT_RATIO = 2.0


@dataclass(frozen=True)
class Reconciled:
    """The reconciled value, in the methods' currency units.

    Attributes:
        value: weighted value.
        low: lower end of the range (about the 10th percentile), >= 0.
        high: upper end of the range (about the 90th percentile).
        weights: weight of each method by name (fractions summing to 1; 0 for insufficient ones).
        methods: the input results with ``weight`` set.
        warnings: plain-language caveats (methods dropped and why, disagreement, ...).
    """

    value: float
    low: float
    high: float
    weights: dict[str, float]
    methods: tuple[MethodResult, ...]
    warnings: tuple[str, ...]


def _check(result: MethodResult) -> None:
    for name in ("value", "low", "high"):
        x = getattr(result, name)
        if not isinstance(x, int | float) or not math.isfinite(x):
            raise ValuationError(f"{result.method}: {name} must be a finite number, got {x!r}")
    if result.sufficient and not result.low <= result.value <= result.high:
        raise ValuationError(
            f"{result.method}: expected low <= value <= high, got {result.low} / {result.value} / {result.high}"
        )


def _relative_sd(r: MethodResult) -> float:
    """Standard deviation relative to the value implied by an 80% range (0 if it cannot be measured)."""
    if r.low > 0:
        return math.log(r.high / r.low) / (2.0 * Z80)
    if r.value > 0:
        return (r.high - r.low) / (2.0 * Z80 * r.value)
    return 0.0


def _cdf(r: MethodResult, x: float) -> float:
    """P(value <= x) for one method: a split lognormal with median ``value`` whose 10th and
    90th percentiles are ``low`` and ``high`` (a split normal when ``low`` is not positive)."""
    if x == r.value or r.low == r.high:
        return 0.5 if x == r.value else float(x > r.value)
    if r.low > 0 and x > 0:
        z = math.log(x / r.value)
        scale = math.log(r.value / r.low) if x < r.value else math.log(r.high / r.value)
    else:
        z = x - r.value
        scale = (r.value - r.low) if x < r.value else (r.high - r.value)
    if scale <= 0:
        return float(x > r.value)
    return 0.5 * (1.0 + math.erf(z * Z80 / scale / math.sqrt(2.0)))


def _mixture_quantile(results: list[MethodResult], weights: dict[str, float], q: float) -> float:
    """The q-quantile of the weighted mixture of the methods' distributions (bisection)."""
    lo = min(r.low for r in results)
    hi = max(r.high for r in results)
    lo, hi = (lo / 10.0 if lo > 0 else lo - (hi - lo)), hi * 10.0 if hi > 0 else hi + 1.0
    for _ in range(80):  # 2^-80 of the bracket: far below a currency unit
        mid = (lo + hi) / 2.0
        if math.fsum(weights[r.method] * _cdf(r, mid) for r in results) < q:
            lo = mid
        else:
            hi = mid
    return max(0.0, (lo + hi) / 2.0)


def _reason(result: MethodResult) -> str:
    detail = "; ".join(result.warnings) if result.warnings else f"only {result.n_data} data point(s)"
    return f"{result.method}: {detail}"


def reconcile(results: list[MethodResult], *, min_methods: int = 1) -> Reconciled:
    """Weigh the approaches' results into one value and range.

    Args:
        results: one :class:`MethodResult` per approach (distinct ``method`` names); values in
            one currency, major units.
        min_methods: the least number of sufficient methods the caller accepts.

    Returns:
        The :class:`Reconciled` value, range, weights and warnings.

    Raises:
        ValuationError: no results, duplicate method names, a malformed result, or fewer than
            ``min_methods`` sufficient methods ("the data cannot support a value: ...").
    """
    if not results:
        raise ValuationError("the data cannot support a value: no valuation method was run")
    if min_methods < 1:
        raise ValuationError(f"min_methods must be >= 1, got {min_methods}")
    names = [r.method for r in results]
    if len(set(names)) != len(names):
        raise ValuationError(f"each method may appear once, got {names}")
    for r in results:
        _check(r)

    warnings: list[str] = []
    usable = [r for r in results if r.sufficient]
    for r in results:
        if not r.sufficient:
            warnings.append(f"{_reason(r)} -> weight 0 (insufficient data)")
    if len(usable) < min_methods:
        dropped = "; ".join(_reason(r) for r in results if not r.sufficient) or "none dropped"
        raise ValuationError(
            f"the data cannot support a value: {len(usable)} sufficient method(s), {min_methods} required ({dropped})"
        )

    precision: dict[str, float] = {}
    for r in usable:
        sd = _relative_sd(r)
        if sd < MIN_RELATIVE_SD:
            warnings.append(f"{r.method}: range too narrow to measure its uncertainty; assumed a 1% standard deviation")
            sd = MIN_RELATIVE_SD
        precision[r.method] = 1.0 / (sd * sd)
    total = math.fsum(precision.values())
    weights = {r.method: (precision[r.method] / total if r.method in precision else 0.0) for r in results}

    value = math.fsum(weights[r.method] * r.value for r in usable)
    # The range is the 10th-90th percentile of the weighted mixture of the methods' own
    # distributions (each a split lognormal through its low, value and high), so that methods
    # that disagree widen it without dragging it to absurd ends; the point value stays inside.
    low = min(_mixture_quantile(usable, weights, 0.10), value)
    high = max(_mixture_quantile(usable, weights, 0.90), value)

    if len(usable) == 1 and len(results) > 1:
        warnings.append(f"value rests on one method only ({usable[0].method})")
    positive = [r.value for r in usable if r.value > 0]
    if len(positive) >= 2 and max(positive) > DISAGREEMENT_RATIO * min(positive):
        spread = ", ".join(f"{r.method}={r.value:,.0f}" for r in usable)
        warnings.append(f"methods disagree by more than {DISAGREEMENT_RATIO:g}x ({spread}): review the inputs")
    for r in usable:
        warnings.extend(f"{r.method}: {w}" for w in r.warnings)

    weighted = tuple(replace(r, weight=weights[r.method]) for r in results)
    return Reconciled(value, low, high, weights, weighted, tuple(warnings))
