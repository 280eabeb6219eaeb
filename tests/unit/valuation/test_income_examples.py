"""Income approach against published worked examples (answers as printed, to their rounding).

Sources are Chinese asset-appraisal exam questions (资产评估师 CPV exam, 资产评估实务（二）, and the
self-study exam 自考 资产评估 00158), quoted by their wording, and the valuation literature on the
tax amortisation benefit. Amounts in the Chinese examples are in 万元 (10,000 CNY). The printed
answers use four-digit annuity tables, e.g. (P/A,10%,3) = 2.4869, so tolerances are a few 0.01.
"""

from __future__ import annotations

import math

import pytest

from ipledger.errors import ValuationError
from ipledger.valuation import (
    income_value,
    profit_split_share,
    profit_split_to_royalty,
    relief_from_royalty,
    royalty_to_profit_split,
    tab_factor,
)

# --- relief from royalty / profit split on a licence --------------------------------------


def test_trademark_licence_profit_share_pre_tax() -> None:
    """自考 资产评估 (single choice): A公司将商标使用权许可给B公司, 3 years; B pays 25% of the added
    profit; 20万台 x 100元, sales margin 20%, discount 10%. Published answer B: 248.69 万元
    (= 20 x 100 x 20% x 25% x 2.4869). As relief from royalty: royalty on sales = 25% x 20% = 5%."""
    royalty = profit_split_to_royalty(0.25, 0.20)
    assert royalty == pytest.approx(0.05)
    assert royalty_to_profit_split(royalty, 0.20) == pytest.approx(0.25)
    value = relief_from_royalty([20 * 100] * 3, royalty, 0.0, 0.10)
    assert value == pytest.approx(248.69, abs=0.01)


def test_trademark_licence_profit_share_after_tax() -> None:
    """自考 资产评估 (single choice, same facts with the fee at 25% of *after-tax* profit and income
    tax 25%). Published answer D: 187 万元 = 20 x 100 x 20% x (1 - 25%) x 25% x (P/A,10%,3), i.e.
    relief from royalty at 5% of 2000 万元 sales after 25% tax: 75 x 2.4869 = 186.5 -> 187."""
    value = relief_from_royalty([2000.0] * 3, 0.05, 0.25, 0.10)
    assert round(value) == 187


def test_trademark_excess_profit_licence() -> None:
    """自考 资产评估 计算题: 商标产品 1000元/台, 100元 above ordinary brands, 100,000 台 a year,
    3-year licence, fee 30% of the excess profit, discount 10%, tax ignored. Published answer:
    300万元 x (P/A,10%,3) = 300 x 2.4869 = 746.07 万元."""
    excess = 100 * 100_000 / 10_000  # 万元 a year
    fee = excess * 0.30
    assert income_value([fee] * 3, 0.10) == pytest.approx(746.07, abs=0.02)


# --- incremental profit (with-and-without) -------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "price", "cost", "answer"),
    [
        # CPV 资产评估实务（二）: 外观设计专利, 5万台 -> 8万台, 500/450 元, 3 yrs, 10%, tax 25%: B 279.78
        (5, 8, 500, 450, 279.78),
        # CPV: 专利技术, 10万台 -> 15万台, 550/450 元, 3 yrs, 10%, tax 25%: D 932.59
        (10, 15, 550, 450, 932.59),
    ],
)
def test_incremental_profit_exam(before: float, after: float, price: float, cost: float, answer: float) -> None:
    """超额收益 = (after - before) x (price - cost) x (1 - 25%); value = that x (P/A,10%,3)."""
    pre_tax = (after - before) * (price - cost)  # 万元 a year (万台 x 元)
    assert income_value([pre_tax] * 3, 0.10, tax_rate=0.25) == pytest.approx(answer, abs=0.03)


def test_toy_patent_excess_earnings() -> None:
    """自考 资产评估 计算题 (玩具企业购买专利): sales +15%, price +10%, cost -5%, 100万台 at 100元,
    cost 60元, 10-year life, tax 25%, discount 10%. Published: excess 6095 万元 a year, value
    6095 x 75% x (P/A,10%,10) = 4571.25 x 6.1446 = 28088.5 万元."""
    excess = 100 * 1.15 * 100 * 1.10 - 100 * 1.15 * 60 * 0.95
    assert excess == pytest.approx(6095)
    assert income_value([excess] * 10, 0.10, tax_rate=0.25) == pytest.approx(28088.5, rel=2e-5)


# --- equivalent-investment profit split 约当投资分成法 ---------------------------------------


@pytest.mark.parametrize(
    ("ip_cost", "ip_rate", "other_cost", "other_rate", "answer"),
    [
        (100, 2.00, 500, 0.10, 0.353),  # 单选: 技术投资 100万, 合作资产 500万, 200% / 10% -> D 35.3%
        (80 * 1.05, 4.00, 4000, 0.125, 0.0854),  # CPV: 账面 80万 x (1+5%), 400%; B 4000万, 12.5% -> D 8.54%
        (100, 5.00, 5000, 0.10, 0.0984),  # CPV: 100万, 500%; 乙 5000万, 10% -> B 9.84%
        (120, 4.00, 6000, 0.08, 0.0847),  # CPV: 120万, 400%; 乙 6000万, 8% -> A 8.47%
        (200, 4.00, 6000, 0.12, 0.1295),  # CPV: 涡轮专利 200万, 400%; B 6000万, 12% -> 12.95%
    ],
)
def test_equivalent_investment_exam(
    ip_cost: float, ip_rate: float, other_cost: float, other_rate: float, answer: float
) -> None:
    share = profit_split_share(ip_cost, ip_rate, other_cost, other_rate)
    assert round(share, 4 if answer < 0.3 else 3) == pytest.approx(answer)


def test_equivalent_investment_then_income() -> None:
    """The 涡轮专利 question continues: product profit 1200万元 a year, tax 25%; published
    收益额 = 1200 x 12.95% x (1 - 25%) = 116.55 万元 (with the share rounded to 12.95%)."""
    share = round(profit_split_share(200, 4.0, 6000, 0.12), 4)
    assert 1200 * share * (1 - 0.25) == pytest.approx(116.55)


def test_profit_split_patent_licence_reconstructed() -> None:
    """自考 资产评估 计算题 (甲企业将专利使用权转让给乙企业, 利润分成): book cost 80万, prices +25% ->
    replacement cost 100万; cost-profit rate 400%; 乙 5000万 at 15%; 5-year life; 100元 net profit a
    unit on 15, 15, 14, 14, 13 万台; discount 10%. The answer is not printed in the copy seen: the
    textbook arithmetic gives share 500 / (500 + 5750) = 8% and value 8% x 5418.4 = 433.48 万元."""
    share = profit_split_share(80 * 1.25, 4.0, 5000, 0.15)
    assert share == pytest.approx(0.08)
    profits = [100 * q for q in (15, 15, 14, 14, 13)]  # 万元 (元 x 万台)
    assert income_value([share * p for p in profits], 0.10) == pytest.approx(433.48, abs=0.02)


# --- tax amortisation benefit ---------------------------------------------------------------


def test_tab_factor_published_example() -> None:
    """Worked figure in practitioner guidance on the TAB (e.g. OPAG valuation FAQ "What is the Tax
    Amortisation Benefit and how is it calculated?"): 25% tax, 15-year straight-line amortisation,
    12% discount rate -> TAB factor about 1.13."""
    assert tab_factor(0.25, 0.12, 15) == pytest.approx(1.13, abs=0.005)


@pytest.mark.parametrize(("t", "k", "n"), [(0.40, 0.15, 15), (0.25, 0.12, 15), (0.30, 0.10, 10), (0.21, 0.08, 15)])
def test_tab_factor_matches_closed_form(t: float, k: float, n: int) -> None:
    """The end-year closed form 1 / (1 - t/n * (1/k - 1/(k (1+k)^n))) (Wikipedia, "Tax amortization
    benefit"; AICPA practice aid on assets acquired in a business combination)."""
    closed = 1.0 / (1.0 - t / n * (1.0 / k - 1.0 / (k * (1.0 + k) ** n)))
    assert tab_factor(t, k, n) == pytest.approx(closed, rel=1e-12)


def test_tab_factor_us_textbook_case_reconstructed() -> None:
    """US purchase-price-allocation case (IRC section 197: 15 years), 40% tax, 15% discount rate:
    PVA(15%, 15) = 5.8474, TAB = 1 / (1 - 0.40 x 5.8474 / 15) = 1 / 0.84407 = 1.1847 (arithmetic
    shown, a reconstruction of the usual textbook illustration, not a quoted answer)."""
    assert tab_factor(0.40, 0.15, 15) == pytest.approx(1.1847, abs=1e-4)


def test_relief_from_royalty_with_tab() -> None:
    base = relief_from_royalty([1000.0] * 5, 0.05, 0.25, 0.12)
    grossed = relief_from_royalty([1000.0] * 5, 0.05, 0.25, 0.12, tab_period=15)
    assert grossed == pytest.approx(base * tab_factor(0.25, 0.12, 15))


def test_mid_year_convention() -> None:
    end = income_value([100.0], 0.10)
    mid = income_value([100.0], 0.10, mid_year=True)
    assert end == pytest.approx(100 / 1.1)
    assert mid == pytest.approx(100 / math.sqrt(1.1))


def test_zero_discount_rate() -> None:
    assert relief_from_royalty([100.0, 200.0], 0.1, 0.0, 0.0) == pytest.approx(30.0)
    assert tab_factor(0.25, 0.0, 10) == pytest.approx(1 / 0.75)


# --- bad inputs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: relief_from_royalty([], 0.05, 0.25, 0.1), "must not be empty"),
        (lambda: relief_from_royalty([100, -1], 0.05, 0.25, 0.1), "revenues\\[1\\] must be >= 0"),
        (lambda: relief_from_royalty([100], -0.05, 0.25, 0.1), "royalty_rate"),
        (lambda: relief_from_royalty([100], 5.0, 0.25, 0.1), "0.25 means 25%"),
        (lambda: relief_from_royalty([100], 0.05, 1.0, 0.1), "tax_rate"),
        (lambda: relief_from_royalty([100], 0.05, 0.25, -1.0), "> -1"),
        (lambda: relief_from_royalty([100], 0.05, 0.25, float("nan")), "finite"),
        (lambda: relief_from_royalty("100", 0.05, 0.25, 0.1), "string"),  # type: ignore[arg-type]
        (lambda: income_value([], 0.1), "must not be empty"),
        (lambda: income_value([1.0], -2.0), "> -1"),
        (lambda: tab_factor(0.25, 0.1, 0), "period"),
        (lambda: tab_factor(0.25, 0.1, 7.5), "whole number"),  # type: ignore[arg-type]
        (lambda: tab_factor(0.9, -0.5, 10), "undefined"),
        (lambda: profit_split_share(0, 1, 0, 1), "both zero"),
        (lambda: profit_split_share(100, -0.5, 100, 0.1), "ip_profit_rate"),
        (lambda: royalty_to_profit_split(0.3, 0.2), "exceeds the operating margin"),
        (lambda: royalty_to_profit_split(0.05, 0.0), "operating_margin must be > 0"),
    ],
)
def test_bad_inputs_raise(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValuationError, match=message):
        call()


def test_valuation_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        income_value([], 0.1)
