"""Cost approach (成本法, 成新率) and damages (the component-patent judgment) against published figures."""

from __future__ import annotations

import pytest

from ipledger.errors import ValuationError
from ipledger.valuation import (
    choose_damages_base,
    cost_value,
    damages,
    depreciation_rate,
    rd_replacement_cost,
    statutory_damages,
)

# --- cost approach -------------------------------------------------------------------------


def test_patent_cost_approach_exam() -> None:
    """CPV-style single choice: 某企业5年前获得一项专利, 法定寿命10年; 重置成本 120万元, 尚可使用3年.
    Published answer A: 贬值率 = 5 / (5 + 3) = 62.5%, 评估值 = 120 x (1 - 62.5%) = 45 万元."""
    assert depreciation_rate(5, 3) == pytest.approx(0.625)
    assert cost_value(120, 5, 3) == pytest.approx(45.0)


def test_software_cost_approach_exam() -> None:
    """Exam bank, 计算机软件评估: 已使用4年, 尚可使用2年, 重置成本 60万元. Published answer A:
    成新率 = 2 / 6 = 33.33%, 评估值 = 60 x 33.33% = 20 万元."""
    assert cost_value(60, 4, 2) == pytest.approx(20.0)


def test_know_how_multiplier_method_exam() -> None:
    """CPV 资产评估实务（二）, 专有技术 by the multiplier method (倍加系数法): replacement cost
    (15 + 20 + 30 x 1.2) / (1 - 0.4) x (1 + 20%) = 142 万元; 贬值率 3 / (3 + 5) = 37.5%; published
    value 142 x (1 - 37.5%) = 88.75 万元."""
    rc = rd_replacement_cost(15 + 20, 30, labour_multiplier=1.2, research_risk=0.4, return_rate=0.20)
    assert rc == pytest.approx(142.0)
    assert cost_value(rc, 3, 5) == pytest.approx(88.75)


def test_price_index_restatement_exam() -> None:
    """The 约当投资 questions restate book cost with a price index: 80万 x (1 + 25%) = 100万 and
    80万 x (1 + 5%) = 84万 (no age deduction at years_used = 0)."""
    assert cost_value(80, 0, 7, price_change=0.25) == pytest.approx(100.0)
    assert cost_value(80, 0, 6, price_change=0.05) == pytest.approx(84.0)


def test_obsolescence_is_multiplicative() -> None:
    value = cost_value(1000, 2, 8, price_change=0.1, functional_obsolescence=0.1, economic_obsolescence=0.2)
    assert value == pytest.approx(1000 * 1.1 * 0.8 * 0.9 * 0.8)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"replacement_cost": -1, "years_used": 1, "years_remaining": 1}, "replacement_cost"),
        ({"replacement_cost": 1, "years_used": -1, "years_remaining": 1}, "years_used"),
        ({"replacement_cost": 1, "years_used": 1, "years_remaining": 0}, "years_remaining must be > 0"),
        ({"replacement_cost": 1, "years_used": 1, "years_remaining": 1, "price_change": -1}, "price_change"),
        ({"replacement_cost": 1, "years_used": 1, "years_remaining": 1, "functional_obsolescence": 1.5}, "functional"),
        ({"replacement_cost": 1, "years_used": 1, "years_remaining": 1, "economic_obsolescence": -0.1}, "economic"),
    ],
)
def test_cost_bad_inputs(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValuationError, match=message):
        cost_value(**kwargs)


def test_rd_replacement_cost_bad_risk() -> None:
    with pytest.raises(ValuationError, match="research_risk"):
        rd_replacement_cost(10, 10, research_risk=1.0)


# --- damages: Guangzhou IP Court (2018) 粤73民初1538号, SPC (2020) 最高法知民终589号 -----------------

AWARD = 1_327_980.0
UNITS, PRICE = 1300, 1600.0


def test_court_case_award() -> None:
    """1,300 cleaning baskets x 1,600 CNY x margin x 100% contribution = 1,327,980 CNY; the court
    said the margin was below 66%, and the award implies 1,327,980 / 2,080,000 = 63.845%."""
    implied = AWARD / (UNITS * PRICE)
    assert implied == pytest.approx(0.638452, abs=1e-6)
    assert implied < 0.66
    assert damages(UNITS, PRICE, implied, 1.0) == pytest.approx(AWARD, rel=1e-12)
    assert damages(UNITS, PRICE, implied) == pytest.approx(AWARD, rel=1e-12)


def test_court_case_chooses_component() -> None:
    """The basket is separable, sold on its own as a consumable, its tender price and volume are
    documented, and its own price carries its synergy value: the component is the base."""
    choice = choose_damages_base(
        separable=True,
        sold_separately=True,
        component_data_documented=True,
        synergy_with_other_parts=False,
        whole_product_data_documented=True,
    )
    assert choice.base == "component"
    assert not choice.apportion
    assert any("sold on its own" in r for r in choice.reasons)


def test_whole_product_when_component_not_sold_alone() -> None:
    choice = choose_damages_base(
        separable=True, sold_separately=False, component_data_documented=False, other_patents_in_product=True
    )
    assert choice.base == "whole_product"
    assert choice.apportion
    assert any("other patents" in r for r in choice.reasons)


def test_synergy_points_to_whole_product() -> None:
    choice = choose_damages_base(
        separable=True, sold_separately=True, component_data_documented=True, synergy_with_other_parts=True
    )
    assert choice.base == "whole_product"


def test_no_documented_base_raises() -> None:
    with pytest.raises(ValuationError, match="no damages base"):
        choose_damages_base(
            separable=False, sold_separately=False, component_data_documented=False, whole_product_data_documented=False
        )


def test_statutory_order() -> None:
    assert statutory_damages(AWARD, 2e6, 1e5).basis == "actual_loss"
    assert statutory_damages(None, 2e6, 1e5).basis == "infringer_profit"
    basis = statutory_damages(None, None, 1e5, royalty_multiple=3)
    assert (basis.basis, basis.amount) == ("royalty_multiple", pytest.approx(3e5))
    with pytest.raises(ValuationError, match="between 1 and 5"):
        statutory_damages(None, None, 1e5, royalty_multiple=6)
    with pytest.raises(ValuationError, match="no statutory basis"):
        statutory_damages()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((-1, 1, 0.5, 1.0), "units"),
        ((1, -1, 0.5, 1.0), "unit_price"),
        ((1, 1, 1.5, 1.0), "profit_margin"),
        ((1, 1, 0.5, 1.1), "contribution"),
        ((1, 1, 0.5, -0.1), "contribution"),
    ],
)
def test_damages_bad_inputs(args: tuple[float, float, float, float], message: str) -> None:
    with pytest.raises(ValuationError, match=message):
        damages(*args)
