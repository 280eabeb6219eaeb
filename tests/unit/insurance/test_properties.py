"""Property tests: premiums move the right way; payments never exceed the limit or the mean."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from ipledger.insurance import PRODUCTS, RiskProfile, expected_payment, quote
from ipledger.insurance import calibration as cal

STAGES = ["application", "early_life", "mature", "near_expiry"]
FIELDS = sorted(cal.FIELD_FREQUENCY, key=cal.FIELD_FREQUENCY.__getitem__)
MARKETS = sorted(cal.EXPORT_FREQUENCY, key=cal.EXPORT_FREQUENCY.__getitem__)
values = st.floats(min_value=5e4, max_value=5e7)
products = st.sampled_from(sorted(PRODUCTS))
fast = settings(max_examples=40, deadline=None)


@fast
@given(values, products, st.integers(0, 1), st.integers(0, len(FIELDS) - 2), st.sampled_from(["sme", "champion"]))
def test_premium_never_falls_when_risk_worsens(value: float, product: str, stage: int, field: int, firm: str) -> None:
    base = RiskProfile(stage=STAGES[stage], field=FIELDS[field], firm_type=firm)
    worse = [
        RiskProfile(stage=STAGES[stage + 1], field=FIELDS[field], firm_type=firm),
        RiskProfile(stage=STAGES[stage], field=FIELDS[field + 1], firm_type=firm),
        RiskProfile(stage=STAGES[stage], field=FIELDS[field], firm_type=firm, export_markets=("US",)),
    ]
    g0 = quote(value, product, base).gross_premium
    for w in worse:
        assert quote(value, product, w).gross_premium >= g0 - 1e-9


@fast
@given(st.integers(0, len(MARKETS) - 2), values)
def test_premium_rises_with_a_riskier_export_market(i: int, value: float) -> None:
    a = quote(value, "overseas_liability", RiskProfile(export_markets=(MARKETS[i],))).gross_premium
    b = quote(value, "overseas_liability", RiskProfile(export_markets=(MARKETS[i + 1],))).gross_premium
    assert b >= a - 1e-9


@fast
@given(
    values,
    products,
    st.sampled_from(["investigation", "legal", "direct_loss", "third_party_damages", "evidence"]),
    st.floats(1.01, 5.0),
)
def test_premium_never_falls_when_a_limit_rises(value: float, name: str, head: str, factor: float) -> None:
    p = PRODUCTS[name]
    if head not in p.sub_limits:
        return
    higher = p.with_(sub_limits={**p.sub_limits, head: p.sub_limits[head] * factor})
    assert quote(value, higher).gross_premium >= quote(value, p).gross_premium - 1e-9


@fast
@given(values, products, st.floats(0.0, 2e5), st.floats(0.0, 2e5))
def test_premium_never_falls_when_the_deductible_falls(value: float, name: str, d1: float, d2: float) -> None:
    lo, hi = sorted((d1, d2))
    p = PRODUCTS[name]
    assert (
        quote(value, p.with_(deductible=lo)).gross_premium >= quote(value, p.with_(deductible=hi)).gross_premium - 1e-9
    )


@fast
@given(values, st.sampled_from(["enforcement", "infringement_liability"]), st.floats(0.5e6, 3e6))
def test_premium_never_falls_when_the_aggregate_rises(value: float, name: str, agg: float) -> None:
    p = PRODUCTS[name]
    a = quote(value, p.with_(aggregate_limit=agg)).gross_premium
    b = quote(value, p.with_(aggregate_limit=agg * 1.5)).gross_premium
    assert b >= a - 1e-9


@settings(max_examples=60, deadline=None)
@given(
    st.floats(0.2, 2.5),
    st.floats(1e3, 1e6),
    st.floats(0, 1e6),
    st.floats(0, 0.9),
    st.floats(0, 1e7),
)
def test_payment_bounded_by_limit_and_mean(sigma: float, scale: float, d: float, c: float, limit: float) -> None:
    for dist in (stats.lognorm(sigma, scale=scale), stats.gamma(1.0 / sigma, scale=scale)):
        e = expected_payment(dist, deductible=d, coinsurance=c, limit=limit)
        assert 0.0 <= e <= limit + 1e-9
        assert e <= dist.mean() * (1 + 1e-9)
        assert e >= expected_payment(dist, deductible=d * 1.1 + 1, coinsurance=c, limit=limit) - 1e-9


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0, 1e7), min_size=1, max_size=50),
    st.floats(0, 1e6),
    st.floats(0, 0.9),
    st.floats(0, 1e7),
)
def test_sample_payment_bounded(xs: list[float], d: float, c: float, limit: float) -> None:
    x = np.array(xs)
    e = expected_payment(x, deductible=d, coinsurance=c, limit=limit)
    assert 0.0 <= e <= limit + 1e-9
    assert e <= x.mean() + 1e-6
