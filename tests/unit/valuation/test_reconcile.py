"""Reconciliation: inverse-variance weights, insufficient methods, ranges, refusal to guess."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipledger.errors import ValuationError
from ipledger.valuation import MethodResult, reconcile
from ipledger.valuation.reconcile import Z80


def mr(method: str, value: float, low: float, high: float, sufficient: bool = True, **kw: object) -> MethodResult:
    return MethodResult(method, value, low, high, sufficient=sufficient, **kw)  # type: ignore[arg-type]


def test_single_method_passes_through() -> None:
    rec = reconcile([mr("income", 100.0, 80.0, 130.0)])
    assert (rec.value, rec.low, rec.high) == pytest.approx((100.0, 80.0, 130.0))
    assert rec.weights == {"income": 1.0}
    assert rec.methods[0].weight == 1.0


def test_inverse_variance_weights() -> None:
    # relative sds ln(high/low)/(2 z): ln(1.5)/2z vs ln(2.25)/2z = 2x -> weights 4:1
    a = mr("market", 100.0, 100 / math.sqrt(1.5), 100 * math.sqrt(1.5))
    b = mr("income", 200.0, 200 / 1.5, 200 * 1.5)
    rec = reconcile([a, b])
    assert rec.weights["market"] == pytest.approx(0.8)
    assert rec.weights["income"] == pytest.approx(0.2)
    assert rec.value == pytest.approx(0.8 * 100 + 0.2 * 200)
    assert sum(rec.weights.values()) == pytest.approx(1.0)


def test_smaller_value_gains_no_weight_from_scale() -> None:
    """Two methods with the same relative uncertainty get equal weight whatever their size."""
    rec = reconcile([mr("market", 100.0, 80.0, 125.0), mr("cost", 1000.0, 800.0, 1250.0)])
    assert rec.weights["market"] == pytest.approx(0.5)


def test_insufficient_method_gets_zero_weight_and_a_reason() -> None:
    rec = reconcile([mr("market", 0.0, 0.0, 0.0, False, warnings=("2 comparables",)), mr("cost", 50.0, 40.0, 60.0)])
    assert rec.weights == {"market": 0.0, "cost": 1.0}
    assert rec.value == pytest.approx(50.0)
    assert any("market: 2 comparables" in w and "weight 0" in w for w in rec.warnings)
    assert any("one method only" in w for w in rec.warnings)


def test_no_sufficient_method_raises() -> None:
    results = [
        mr("market", 0.0, 0.0, 0.0, False, warnings=("no comparable sales",)),
        mr("income", 0.0, 0.0, 0.0, False, warnings=("no revenue forecast",)),
    ]
    with pytest.raises(ValuationError, match=r"the data cannot support a value: .*no comparable sales"):
        reconcile(results)


def test_min_methods() -> None:
    with pytest.raises(ValuationError, match="2 required"):
        reconcile([mr("cost", 50.0, 40.0, 60.0)], min_methods=2)
    with pytest.raises(ValuationError, match="min_methods"):
        reconcile([mr("cost", 50.0, 40.0, 60.0)], min_methods=0)


def test_empty_and_malformed_inputs() -> None:
    with pytest.raises(ValuationError, match="no valuation method"):
        reconcile([])
    with pytest.raises(ValuationError, match="low <= value <= high"):
        reconcile([mr("cost", 50.0, 60.0, 70.0)])
    with pytest.raises(ValuationError, match="once"):
        reconcile([mr("cost", 50.0, 40.0, 60.0), mr("cost", 51.0, 40.0, 60.0)])
    with pytest.raises(ValuationError, match="finite"):
        reconcile([mr("cost", float("nan"), 40.0, 60.0)])


def test_disagreement_warning_and_range_covers_methods() -> None:
    rec = reconcile([mr("market", 100.0, 80.0, 125.0), mr("income", 400.0, 320.0, 500.0)])
    assert any("disagree" in w for w in rec.warnings)
    assert rec.low < 100.0 < 400.0 < rec.high  # covers both point values
    # the spread between the methods widens the range beyond either method's own
    assert rec.high - rec.low > 125.0 - 80.0


def test_zero_width_range_is_floored() -> None:
    rec = reconcile([mr("cost", 50.0, 50.0, 50.0), mr("income", 60.0, 50.0, 72.0)])
    assert any("too narrow" in w for w in rec.warnings)
    assert 0.0 < rec.weights["income"] < rec.weights["cost"] < 1.0


def test_method_warnings_are_carried() -> None:
    rec = reconcile([mr("income", 100.0, 80.0, 130.0, warnings=("royalty rate not from ledger licences",))])
    assert "income: royalty rate not from ledger licences" in rec.warnings


value = st.floats(min_value=1.0, max_value=1e9)
spread = st.floats(min_value=0.0, max_value=0.9)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(value, spread, spread), min_size=1, max_size=3))
def test_reconciled_value_within_methods_and_range_ordered(specs: list[tuple[float, float, float]]) -> None:
    results = [
        mr(name, v, v * (1 - d), v * (1 + u))
        for name, (v, d, u) in zip(("market", "income", "cost"), specs, strict=False)
    ]
    rec = reconcile(results)
    values = [r.value for r in results]
    assert min(values) * (1 - 1e-9) <= rec.value <= max(values) * (1 + 1e-9)
    assert 0.0 <= rec.low <= rec.value <= rec.high
    assert sum(rec.weights.values()) == pytest.approx(1.0)


def test_z80() -> None:
    from statistics import NormalDist

    assert NormalDist().inv_cdf(0.9) == pytest.approx(Z80)
