"""Reconciliation: one value and range from the market, income and cost approaches.

The rule, in the spirit of IVS 105 (the valuer weighs the approaches by the nature of the asset
and the sufficiency of their data, and says why):

1. **Sufficiency.** A method without enough data (its result says so) gets weight 0.
2. **Nature of the asset.** IP that produces income is valued by what it earns or what it
   would sell for: the income and market approaches lead (IVS 210 s.60-80; the China Appraisal
   Society's intangible-asset standard names the same order of preference). The cost approach
   is then a **check** (weight 0; a value far below cost is flagged as a sign of economic
   obsolescence) or, when the engagement asks for it (``cost_role="floor"``), a **floor**.
   Only when neither income nor market is sufficient does the cost approach carry the value,
   with a warning.
3. **Statistics refine the weights among the leading methods**, in log space: each method's
   error is a log-normal factor with standard deviation :data:`METHOD_ERROR_SD` (a named table:
   the market figure calibrated by the backtest, income and cost labelled assumptions), weights are
   ``(1 / sd**2)`` normalised, and the value is the **weighted geometric mean**
   ``exp(sum_i w_i ln v_i)`` (the methods' results are log-normal; an arithmetic mean of them is
   biased towards the larger).
4. **Range.** The 10th and 90th percentiles of the weighted mixture of the leading methods' own
   distributions (each a split log-normal through its low, value and high), widened if needed to
   contain the value: it does not shrink as methods are added and widens when they disagree.

Every reconciliation returns its weights with the reason for each (``reasons``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from ipledger.errors import ValuationError
from ipledger.valuation.types import MethodResult

__all__ = ["METHOD_ERROR_SD", "METHOD_ERROR_SOURCE", "Z80", "Reconciled", "reconcile"]

#: Standard normal quantile of 0.90: a 10th-90th percentile range spans 2 * Z80 standard deviations.
Z80 = 1.2815515655446004

#: Standard deviation of each method's log error (ln of value / price); pass ``error_sd`` to
#: override. **market**: calibrated by the backtest (``benchmarks/valuation.py``, key
#: ``market_log_error_sd`` of ``benchmarks/results/valuation.json``): the median over the nine
#: generated-market scenarios of each one's robust sd (1.4826 x MAD) of ln(value / price) on its
#: time-ordered test sales (per scenario 0.41 to 1.28; the base market 0.41). **income** and
#: **cost**: assumptions, because the generated market has sale prices but no income streams or
#: reproduction costs to test them against; the income figure is the cross-licence spread of
#: royalty rates alone (about 0.5 in logs: Parr/IPRA p10-p90 1%-9.8%) plus forecast error, and
#: cost is a weak guide to the value of IP (IVS 210).
METHOD_ERROR_SD: dict[str, float] = {"market": 0.54, "income": 0.55, "cost": 0.90}
#: Where each error sd comes from.
METHOD_ERROR_SOURCE: dict[str, str] = {"market": "backtest", "income": "assumption", "cost": "assumption"}

#: Methods whose values differ by more than this ratio trigger a warning.
DISAGREEMENT_RATIO = 2.0
#: A leading value below this share of the cost approach's value is flagged.
BELOW_COST_RATIO = 0.5
LEADING = ("market", "income")
COST_ROLES = ("check", "floor")


@dataclass(frozen=True)
class Reconciled:
    """The reconciled value, in the methods' currency units.

    Attributes:
        value: weighted geometric mean of the leading methods (or the cost floor).
        low: lower end of the range (about the 10th percentile), >= 0.
        high: upper end of the range (about the 90th percentile).
        weights: weight of each method by name (fractions summing to 1; 0 for checks and
            insufficient methods).
        methods: the input results with ``weight`` set.
        warnings: plain-language caveats.
        reasons: why each method has its weight: ``{method: {"role": ..., "reason": key}}``
            with role ``"leading"``, ``"check"``, ``"floor"``, ``"sole"`` or ``"insufficient"``
            and a message key of the report catalogue.
        error_sd: the error standard deviations used, by method.
        rule: the name of the rule applied.
        notes: the reconciliation's own warnings as ``{"key", "fields"}`` message records.
    """

    value: float
    low: float
    high: float
    weights: dict[str, float]
    methods: tuple[MethodResult, ...]
    warnings: tuple[str, ...]
    reasons: dict[str, dict[str, Any]]
    error_sd: dict[str, float]
    rule: str = "ivs105-leading-geometric"
    notes: tuple[dict[str, Any], ...] = ()


def _check(result: MethodResult) -> None:
    for name in ("value", "low", "high"):
        x = getattr(result, name)
        if not isinstance(x, int | float) or not math.isfinite(x):
            raise ValuationError(f"{result.method}: {name} must be a finite number, got {x!r}")
    if result.sufficient and not result.low <= result.value <= result.high:
        raise ValuationError(
            f"{result.method}: expected low <= value <= high, got {result.low} / {result.value} / {result.high}"
        )


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


def _error_sd(error_sd: dict[str, float] | None) -> dict[str, float]:
    table = dict(METHOD_ERROR_SD)
    for name, sd in (error_sd or {}).items():
        sd = float(sd)
        if not (math.isfinite(sd) and sd > 0):
            raise ValuationError(f"error_sd[{name!r}] must be a positive number, got {sd}")
        table[str(name)] = sd
    return table


def reconcile(
    results: list[MethodResult],
    *,
    min_methods: int = 1,
    error_sd: dict[str, float] | None = None,
    cost_role: str = "check",
) -> Reconciled:
    """Weigh the approaches' results into one value and range by the documented rule.

    Args:
        results: one :class:`MethodResult` per approach (distinct ``method`` names); values in
            one currency, major units.
        min_methods: the least number of sufficient methods the caller accepts.
        error_sd: overrides of :data:`METHOD_ERROR_SD` by method (log-error standard
            deviations, e.g. calibrated by a backtest).
        cost_role: ``"check"`` (default: cost has weight 0 while income or market is
            sufficient) or ``"floor"`` (the value is at least the cost approach's value).

    Returns:
        The :class:`Reconciled` value, range, weights, reasons and warnings.

    Raises:
        ValuationError: no results, duplicate method names, a malformed result, an unknown
            cost role, or fewer than ``min_methods`` sufficient methods ("the data cannot
            support a value: ...").
    """
    if not results:
        raise ValuationError("the data cannot support a value: no valuation method was run")
    if min_methods < 1:
        raise ValuationError(f"min_methods must be >= 1, got {min_methods}")
    if cost_role not in COST_ROLES:
        raise ValuationError(f"cost_role must be one of {COST_ROLES}, got {cost_role!r}")
    names = [r.method for r in results]
    if len(set(names)) != len(names):
        raise ValuationError(f"each method may appear once, got {names}")
    for r in results:
        _check(r)
    sds = _error_sd(error_sd)

    warnings: list[str] = []
    notes: list[dict[str, Any]] = []
    reasons: dict[str, dict[str, Any]] = {}
    usable = [r for r in results if r.sufficient]
    for r in results:
        if not r.sufficient:
            warnings.append(f"{_reason(r)} -> weight 0 (insufficient data)")
            reasons[r.method] = {"role": "insufficient", "reason": "why.insufficient"}
    if len(usable) < min_methods:
        dropped = "; ".join(_reason(r) for r in results if not r.sufficient) or "none dropped"
        raise ValuationError(
            f"the data cannot support a value: {len(usable)} sufficient method(s), {min_methods} required ({dropped})"
        )

    leading = [r for r in usable if r.method != "cost"]
    cost = next((r for r in usable if r.method == "cost"), None)
    if not leading:  # nothing but cost: it carries the value
        leading = usable
        reasons[usable[0].method] = {"role": "sole", "reason": "why.cost_sole"}
        warnings.append("no income or market evidence is sufficient: the value rests on the cost approach")
        notes.append({"key": "warn.cost_only", "fields": {}})
    elif cost is not None:
        reasons["cost"] = {"role": cost_role, "reason": f"why.cost_{cost_role}"}

    positive = [r for r in leading if r.value > 0]
    precision = {r.method: 1.0 / sds.get(r.method, max(sds.values())) ** 2 for r in positive}
    total = math.fsum(precision.values())
    weights = {r.method: (precision[r.method] / total if r.method in precision else 0.0) for r in results}
    for r in leading:
        if r.method not in reasons:
            key = "why.leading_single" if len(positive) == 1 else "why.leading_shared"
            reasons[r.method] = {"role": "leading", "reason": key, "error_sd": sds.get(r.method)}
    # the weighted geometric mean: the methods' errors are log-normal
    value = math.exp(math.fsum(weights[r.method] * math.log(r.value) for r in positive)) if positive else 0.0
    mix = positive or leading
    mix_w = weights if positive else {r.method: 1.0 / len(leading) for r in leading}
    low = min(_mixture_quantile(mix, mix_w, 0.10), value)
    high = max(_mixture_quantile(mix, mix_w, 0.90), value)

    if cost is not None and cost not in leading:
        if cost_role == "floor" and cost.value > value:
            warnings.append(f"the cost approach's value {cost.value:,.0f} is a floor: the value is raised to it")
            value, low, high = cost.value, max(low, cost.low), max(high, cost.value)
            notes.append({"key": "warn.cost_floor", "fields": {}})
        elif value < BELOW_COST_RATIO * cost.value:
            warnings.append(
                f"the value is below {BELOW_COST_RATIO:.0%} of the depreciated replacement cost "
                f"({cost.value:,.0f}): economic obsolescence is indicated; review the inputs"
            )
            notes.append({"key": "warn.below_cost", "fields": {"ratio": BELOW_COST_RATIO}})

    if len(usable) == 1 and len(results) > 1:
        warnings.append(f"value rests on one method only ({usable[0].method})")
        notes.append({"key": "warn.one_method", "fields": {"method": usable[0].method}})
    vals = [r.value for r in positive]
    if len(vals) >= 2 and max(vals) > DISAGREEMENT_RATIO * min(vals):
        spread = ", ".join(f"{r.method}={r.value:,.0f}" for r in positive)
        warnings.append(f"methods disagree by more than {DISAGREEMENT_RATIO:g}x ({spread}): review the inputs")
        notes.append({"key": "warn.disagree", "fields": {"ratio": DISAGREEMENT_RATIO}})
    for r in usable:
        warnings.extend(f"{r.method}: {w}" for w in r.warnings)

    weighted = tuple(replace(r, weight=weights[r.method]) for r in results)
    used_sd = {r.method: sds.get(r.method, max(sds.values())) for r in results}
    for r in leading:
        if r.method in reasons and reasons[r.method]["role"] == "leading":
            reasons[r.method]["error_sd"] = used_sd[r.method]
    return Reconciled(value, low, high, weights, weighted, tuple(warnings), reasons, used_sd, notes=tuple(notes))
