"""Worked examples with hand-computed answers: terminal value, partial year, contributory asset
charges, the Monte Carlo range, remaining life, royalty screening and exchange rates."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ipledger.errors import ValuationError
from ipledger.valuation import relief_from_royalty
from ipledger.valuation.comparables import asset_life, prepare_trades
from ipledger.valuation.excess import ContributoryAssets, excess_margin
from ipledger.valuation.fx import load_fx
from ipledger.valuation.life import legal_expiry, legal_expiry_many, remaining_life
from ipledger.valuation.simulate import Stream, present_values, simulate, split_lognormal

FLAT = Stream(revenues=(100.0,), tax_rate=0.25, mid_year=False, tab_period=None, explicit_years=5, terminal_growth=0.02)


def pv(stream: Stream, rate: float, k: float, life: float, growth: float = 0.0) -> float:
    return float(present_values(stream, rate, k, life, growth)[0])


def test_terminal_value_gordon_growth() -> None:
    """Revenue 100 flat, royalty 10%, tax 25%, k 10%: 7.5 a year for 5 years = 7.5 x 3.790787 =
    28.4309; then 100 x 1.02 x 10% x 75% / (10% - 2%) = 95.625 at the end of year 5, / 1.1^5 =
    59.3756; total 87.8065."""
    assert pv(FLAT, 0.10, 0.10, math.inf) == pytest.approx(87.8065, abs=1e-4)
    # mid-year: every flow and the terminal value half a year earlier: 29.8186 + 62.2736
    mid = Stream((100.0,), 0.25, True, None, 5, 0.02)
    assert pv(mid, 0.10, 0.10, math.inf) == pytest.approx(pv(FLAT, 0.10, 0.10, math.inf) * 1.1**0.5, rel=1e-12)
    assert pv(mid, 0.10, 0.10, math.inf) == pytest.approx(92.0922, abs=1e-4)
    with pytest.raises(ValuationError, match="terminal growth"):
        pv(FLAT, 0.10, 0.015, math.inf)


def test_partial_final_year_discounted_at_its_own_time() -> None:
    """2.5 years of 7.5 a year at 10%: year-end 7.5/1.1 + 7.5/1.1^2 + 3.75/1.1^2.5 = 15.9715
    (the stub ends at 2.5, not 3); mid-year 7.5/1.1^0.5 + 7.5/1.1^1.5 + 3.75/1.1^2.25 = 16.6781."""
    assert pv(FLAT, 0.10, 0.10, 2.5) == pytest.approx(15.9715, abs=1e-4)
    mid = Stream((100.0,), 0.25, True, None, 5, 0.02)
    assert pv(mid, 0.10, 0.10, 2.5) == pytest.approx(16.6781, abs=1e-4)
    # whole years agree with the closed-form relief from royalty
    assert pv(FLAT, 0.10, 0.10, 3.0) == pytest.approx(relief_from_royalty([100, 100, 100], 0.1, 0.25, 0.1))
    # the forecast is extended at the growth rate: 100, 110, 121
    assert pv(FLAT, 0.10, 0.10, 3.0, growth=0.10) == pytest.approx(3 * 7.5 / 1.1)


def test_tab_gross_up_matches_closed_form() -> None:
    from ipledger.valuation import tab_factor

    tab = Stream((100.0,), 0.25, False, 10, 5, 0.02)
    assert pv(tab, 0.10, 0.15, 3.0) == pytest.approx(pv(FLAT, 0.10, 0.15, 3.0) * tab_factor(0.25, 0.15, 10))
    # CN 10 years at 15%: PVA = 5.0188, factor 1 / (1 - 0.25 x 5.0188 / 10) = 1.1434
    assert tab_factor(0.25, 0.15, 10) == pytest.approx(1.1434, abs=1e-4)


def test_contributory_asset_charges() -> None:
    """EBITDA 30%, depreciation 5%, tax 25%: after-tax EBIT 18.75%; charges: working capital
    15% x 8% = 1.2%, fixed assets 20% x 10% = 2.0%, workforce 5% x 12% = 0.6%, other intangibles
    2% x 75% = 1.5%; excess margin 13.45%. On 1,000 a year for 3 years at 15%:
    134.5 x 2.283225 = 307.09."""
    cac = ContributoryAssets(
        working_capital=0.15,
        working_capital_return=0.08,
        fixed_assets=0.20,
        fixed_assets_return=0.10,
        depreciation=0.05,
        workforce=0.05,
        workforce_return=0.12,
        other_intangibles_royalty=0.02,
    )
    margin, charges = excess_margin(0.30, 0.25, cac)
    assert margin == pytest.approx(0.1345)
    assert charges == pytest.approx(
        {
            "after_tax_ebit": 0.1875,
            "working_capital": 0.012,
            "fixed_assets": 0.02,
            "workforce": 0.006,
            "other_intangibles": 0.015,
        }
    )
    after_tax = Stream((1000.0,), 0.0, False, None, 5, 0.02)
    assert pv(after_tax, margin, 0.15, 3.0) == pytest.approx(307.094, abs=1e-3)
    with pytest.raises(ValuationError, match="no excess earnings"):
        excess_margin(0.05, 0.25, cac)
    with pytest.raises(ValuationError, match="unknown contributory"):
        ContributoryAssets.from_inputs({"goodwill": 0.1})


def test_split_lognormal_hits_its_percentiles() -> None:
    draws = split_lognormal(np.random.default_rng(1), 0.02, 0.06, 0.12, 200_000)
    assert np.percentile(draws, [10, 50, 90]) == pytest.approx([0.02, 0.06, 0.12], rel=0.01)


def test_monte_carlo_range() -> None:
    """No uncertainty: every draw is the point value. With uncertainty the p10-p90 range
    brackets the value and is narrower than the old joint extreme (p10 royalty at k + 2 points,
    p90 royalty at k - 2 points)."""
    fixed = simulate(FLAT, (0.05, 0.05, 0.05), 0.15, 0.0, 4.0, 0.0, 10.0, 0.0, 0.0)
    point = pv(FLAT, 0.05, 0.15, 4.0)
    assert fixed.percentile(10) == pytest.approx(point) == pytest.approx(fixed.percentile(90))
    d = simulate(FLAT, (0.02, 0.05, 0.10), 0.15, 0.02, 4.0, 0.2, 6.0, 0.0, 0.02)
    again = simulate(FLAT, (0.02, 0.05, 0.10), 0.15, 0.02, 4.0, 0.2, 6.0, 0.0, 0.02)
    assert np.array_equal(d.values, again.values)  # seeded
    assert d.percentile(10) < point < d.percentile(90)
    assert d.life.max() <= 6.0  # the legal life caps the drawn economic life
    # over the same inputs as the old range (royalty and discount rate only) the p10-p90 range
    # sits inside the old joint extreme
    same = simulate(FLAT, (0.02, 0.05, 0.10), 0.15, 0.02, 4.0, 0.0, 6.0, 0.0, 0.0)
    assert pv(FLAT, 0.02, 0.17, 4.0) < same.percentile(10) < point < same.percentile(90) < pv(FLAT, 0.10, 0.13, 4.0)


def test_statutory_terms_and_indefinite_lives() -> None:
    assert legal_expiry("invention", pd.Timestamp("2020-01-01"), pd.NaT) == pd.Timestamp("2040-01-01")
    assert legal_expiry("utility_model", pd.Timestamp("2020-01-01"), None) == pd.Timestamp("2030-01-01")
    assert legal_expiry("design", pd.Timestamp("2021-05-31"), None) == pd.Timestamp("2031-05-31")  # old law
    assert legal_expiry("design", pd.Timestamp("2021-06-01"), None) == pd.Timestamp("2036-06-01")  # 2021 law
    assert legal_expiry("invention", pd.Timestamp("2020-01-01"), pd.Timestamp("2030-05-05")) == pd.Timestamp(
        "2030-05-05"
    )
    assert legal_expiry("trademark", pd.Timestamp("2016-01-01"), pd.Timestamp("2026-01-01")) is None
    many = legal_expiry_many(
        np.array(["invention", "trademark", "design"]),
        np.array(["2020-01-01", "2016-01-01", "2019-01-01"], dtype="datetime64[ns]"),
        np.array(["NaT", "2026-01-01", "NaT"], dtype="datetime64[ns]"),
    )
    assert np.isnat(many[1]) and pd.Timestamp(many[2]).year == 2029 and pd.Timestamp(many[0]).year == 2040
    as_of = pd.Timestamp("2024-06-30")
    mark = {"kind": "trademark", "status": "active", "filing_date": pd.Timestamp("2016-01-01"), "expiry_date": pd.NaT}
    life = remaining_life(mark, as_of, 10.0)
    assert life.indefinite and life.basis == "indefinite"  # a mark in use: not 1.5 years left
    assert remaining_life({**mark, "status": "lapsed"}, as_of, 10.0).remaining == 0.0
    pending = {
        "kind": "invention",
        "status": "pending",
        "filing_date": pd.Timestamp("2020-01-01"),
        "expiry_date": pd.NaT,
    }
    life = remaining_life(pending, as_of, 30.0)
    assert life.basis == "legal" and life.remaining == pytest.approx((pd.Timestamp("2040-01-01") - as_of).days / 365.25)


def test_market_life_of_a_pending_patent_is_its_statutory_term() -> None:
    subject = {"kind": "invention", "filing_date": pd.Timestamp("2020-01-01"), "expiry_date": pd.NaT}
    rem, full = asset_life(subject, pd.Timestamp("2024-01-01"))
    assert math.isfinite(rem) and rem == pytest.approx(16.0, abs=0.01)
    assert full == pytest.approx(20.0, abs=0.01)
    assert asset_life({**subject, "kind": "trademark"}, pd.Timestamp("2024-01-01")) == (math.inf, math.inf)


def test_default_fx_table() -> None:
    fx = load_fx()
    assert fx.base == "CNY" and set(fx.currencies) == {"CNY", "USD", "EUR", "GBP", "JPY"}
    assert fx.rate("USD", "2020-06-30") == pytest.approx(6.8976)  # the 2020 annual average
    assert fx.convert(100.0, "USD", "CNY", "2024-03-01") == pytest.approx(712.17)
    assert fx.convert(100.0, "EUR", "USD", "2019-07-01") == pytest.approx(100 * 7.7355 / 6.8985)
    assert fx.rate("USD", "2014-12-31") is None  # before the table: not convertible
    assert fx.rate("CHF", "2020-01-01") is None


def test_user_fx_table_and_bad_tables(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "fx.csv"  # type: ignore[operator]
    path.write_text("# daily rates\ndate,currency,rate,base\n2024-01-02,USD,7.10,CNY\n2024-01-03,USD,7.12,CNY\n")
    fx = load_fx(path)
    assert fx.rate("USD", "2024-01-02") == 7.10 and fx.rate("USD", "2024-02-01") == 7.12
    bad = tmp_path / "bad.csv"  # type: ignore[operator]
    bad.write_text("date,currency,rate\n2024-01-02,USD,-1\n")
    with pytest.raises(ValuationError, match="positive"):
        load_fx(bad)
    mixed = tmp_path / "mixed.csv"  # type: ignore[operator]
    mixed.write_text("date,currency,rate,base\n2024-01-02,USD,7.1,CNY\n2024-01-02,CNY,0.14,USD\n")
    with pytest.raises(ValuationError, match="one base"):
        load_fx(mixed)


def test_market_trades_converted_at_their_dates_or_left_out() -> None:
    assets = pd.DataFrame(
        {
            "asset_id": ["0xa", "0xb", "0xc"],
            "kind": ["invention"] * 3,
            "jurisdiction": ["CN", "US", "CH"],
            "class_code": ["A61K31/00"] * 3,
            "field": ["pharmaceuticals"] * 3,
            "claims": [10.0] * 3,
            "citations": [1.0] * 3,
            "family_size": [1.0] * 3,
            "filing_date": pd.to_datetime(["2015-01-01"] * 3),
            "expiry_date": pd.to_datetime([pd.NaT] * 3),
        }
    )
    tx = pd.DataFrame(
        {
            "record_id": [1, 2, 3],
            "asset_id": ["0xa", "0xb", "0xc"],
            "kind": ["assignment"] * 3,
            "date": pd.to_datetime(["2020-03-01", "2020-03-01", "2020-03-01"]),
            "currency": ["CNY", "USD", "CHF"],
            "amount": [1_000_000.0, 100_000.0, 100_000.0],
            "royalty_rate": [0.0] * 3,
            "exclusivity": ["non_exclusive"] * 3,
            "territory": ["CN", "US", "CH"],
            "term_end": pd.to_datetime([pd.NaT] * 3),
            "void": [False] * 3,
        }
    )
    trades = prepare_trades(assets, tx)
    assert list(trades["record_id"]) == [1, 2]  # the CHF sale cannot be converted: left out
    assert trades["amount"].tolist() == pytest.approx([1_000_000.0, 689_760.0])  # USD at the 2020 average
    assert trades.attrs["fx_dropped"] == {"CHF": 1}
    assert set(trades["currency"]) == {"CNY"}
