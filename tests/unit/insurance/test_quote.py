"""Quotes: sum insured from a valuation, tiering asked by the thesis, subsidy, hash, rendering."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import pandas as pd
import pytest

from ipledger.errors import PricingError
from ipledger.insurance import ClaimsExperience, Loadings, RiskProfile, quote


@dataclass(frozen=True)
class FakeValuation:
    value: float
    low: float
    high: float
    currency: str = "CNY"
    asset_id: str = "CN-INV-ZL2016000001"
    report_hash: str = "ab" * 32


def test_sum_insured_ties_direct_loss_to_the_value() -> None:
    small = quote(1_000_000, "champion_patent_guard")
    assert small.sub_limits["direct_loss"] == 1_000_000
    assert small.sum_insured == 800_000 + 1_000_000
    big = quote(FakeValuation(5e6, 3e6, 8e6), "champion_patent_guard")
    assert big.sub_limits["direct_loss"] == 1_600_000
    assert big.sum_insured == 2_400_000
    assert big.asset_id == "CN-INV-ZL2016000001" and big.valuation_report_hash == "ab" * 32
    assert any("direct_loss" in line for line in big.sum_insured_explanation)
    low = quote(FakeValuation(1.2e6, 0.5e6, 2e6), "champion_patent_guard", basis="low")
    assert low.sub_limits["direct_loss"] == 500_000


def test_value_linked_sum_insured_follows_the_valuation_within_the_limits() -> None:
    # Enforcement cover: the sum insured is the valuation's basis value rounded to 10k CNY.
    small = quote(FakeValuation(195_645, 120_000, 300_000), "enforcement", RiskProfile(export_markets=("US",)))
    assert small.sum_insured == 200_000
    assert small.sum_insured_basis["departure"] is None
    assert small.sum_insured_basis["valuation_report_hash"] == "ab" * 32
    assert small.sum_insured_basis["percentile"] == 50 and small.sum_insured_basis["basis_value"] == 195_645
    assert max(small.sub_limits.values()) <= 200_000 and small.risk.aggregate_limit == 200_000
    big = quote(FakeValuation(12.2e6, 8e6, 20e6), "enforcement")
    assert big.sum_insured == 1_000_000 and big.sum_insured_basis["departure"] == "product cap"
    assert any("exceeds the product's aggregate" in line for line in big.sum_insured_explanation)
    tiny = quote(FakeValuation(20_000, 10_000, 30_000), "enforcement")
    assert tiny.sum_insured == 50_000 and tiny.sum_insured_basis["departure"] == "floor"
    # Percentiles of the range: P10 and P90 are the ends, in between a split lognormal.
    val = FakeValuation(400_000, 200_000, 900_000)
    assert quote(val, "enforcement", basis="p10").sum_insured == quote(val, "enforcement", basis="low").sum_insured
    assert quote(val, "enforcement", basis="p90").sum_insured == 900_000
    p75 = quote(val, "enforcement", basis="p75")
    assert 400_000 < p75.sum_insured_basis["basis_value"] < 900_000 and p75.sum_insured % 10_000 == 0
    assert p75.gross_premium > quote(val, "enforcement").gross_premium  # more cover costs more
    # The pilot's schedule is published: the quote says why it departs from the value.
    pilot = quote(FakeValuation(5e6, 3e6, 8e6), "champion_patent_guard")
    assert pilot.sum_insured_basis["rule"] == "schedule" and pilot.sum_insured_basis["departure"] == "schedule"
    with pytest.raises(PricingError, match="basis"):
        quote(val, "enforcement", basis="p100")


def test_quote_breakdown_adds_up() -> None:
    q = quote(3e6, "small_micro_patent_guard", RiskProfile(field="telecom_electronics"))
    assert sum(q.expected_loss_by_head.values()) + q.aggregate_adjustment == pytest.approx(q.expected_loss)
    assert q.expected_loss <= q.expected_ground_up_loss
    assert set(q.expected_loss_by_head) == set(q.sub_limits)
    loads = q.loadings
    assert loads["risk_load"] == pytest.approx(q.pure_premium * Loadings().risk_load_ratio)
    assert q.pure_premium + loads["fixed_expense"] + loads["variable_expense"] + loads["risk_load"] + loads[
        "profit"
    ] == pytest.approx(q.gross_premium)
    names = [f.name for f in q.factors]
    for needed in ("base frequency", "stage", "technical field", "export market", "portfolio size", "firm type"):
        assert needed in names
    assert all(f.source for f in q.factors)


def test_small_micro_subsidy_by_year_and_net_premium() -> None:
    q = quote(2e6, "small_micro_patent_guard", RiskProfile(firm_type="sme"))
    # Three-year term: written at inception, earned a third a year.
    assert q.written_premium == pytest.approx(3 * q.gross_premium)
    assert list(q.earned_by_year.values()) == pytest.approx([q.gross_premium] * 3)
    from ipledger.insurance.premium import earned_premium

    assert earned_premium(300.0, 3, 1.5) == pytest.approx(150.0) and earned_premium(300.0, 3, 9) == 300.0
    assert list(q.subsidy_by_year) == [1, 2, 3]
    assert q.net_premium == pytest.approx(0.0)
    assert q.net_premium_by_year[2] == pytest.approx(0.1 * q.gross_premium)
    assert q.net_premium_by_year[3] == pytest.approx(0.2 * q.gross_premium)
    champ = quote(2e6, "champion_patent_guard", RiskProfile(firm_type="champion"), year=3)
    assert champ.net_premium == pytest.approx(0.5 * champ.gross_premium)
    none = quote(2e6, "enforcement")
    assert none.subsidy_scheme is None and none.net_premium == none.gross_premium
    yantai = quote(2e6, "enforcement", RiskProfile(award_winning=True), subsidy="yantai")
    assert yantai.net_premium == pytest.approx(0.3 * yantai.gross_premium)


def test_tiers_asked_by_the_thesis() -> None:
    def gross(product: str = "infringement_liability", **kw: object) -> float:
        return quote(2e6, product, RiskProfile(**kw)).gross_premium  # type: ignore[arg-type]

    assert gross("infringement_liability") > gross("enforcement")  # liability pays damages too
    assert gross(stage="application") < gross(stage="early_life") < gross(stage="mature")
    assert gross(stage="near_expiry") < gross(stage="mature")  # less term left to enforce
    assert gross(export_markets=("US",)) > gross(export_markets=("EU",)) > gross()
    assert gross(export_markets=("UK",)) > gross()
    assert gross(ip_type="patent") > gross(ip_type="trademark")
    assert gross(ip_type="patent") > gross(ip_type="copyright")
    assert gross(field="telecom_electronics") > gross(field="machinery")
    assert gross(portfolio_size=1) > gross(portfolio_size=200)


def test_report_hash_is_deterministic_and_sensitive() -> None:
    a = quote(2e6, "champion_patent_guard", RiskProfile(firm_type="champion"))
    b = quote(2e6, "champion_patent_guard", RiskProfile(firm_type="champion"))
    c = quote(2.1e6, "champion_patent_guard", RiskProfile(firm_type="champion"))
    assert a.report_hash == b.report_hash and len(a.report_hash) == 66 and a.report_hash.startswith("0x")
    assert a.report_hash != c.report_hash
    d = json.loads(a.to_json())
    assert d["report_hash"] == a.report_hash
    assert d["sum_insured"] == a.sum_insured
    assert a.anchor_figures() == (round(a.sum_insured, 2), round(a.gross_premium, 2), round(a.net_premium, 2))


def test_html_is_self_contained(tmp_path: object) -> None:
    from pathlib import Path

    q = quote(FakeValuation(2e6, 1e6, 3e6), "small_micro_patent_guard", year=2)
    out = Path(str(tmp_path)) / "q.html"
    html = q.to_html(out)
    assert out.read_text(encoding="utf-8") == html
    assert "data:image/png;base64," in html
    png = html.split("data:image/png;base64,")[1].split('"')[0]
    assert base64.b64decode(png).startswith(b"\x89PNG")
    assert f"{q.gross_premium:,.2f}" in html and f"{q.sum_insured:,.2f}" in html
    assert q.report_hash in html
    assert "<script" not in html and "http" not in html.split("<body>")[1]


def test_inputs_are_checked() -> None:
    with pytest.raises(PricingError):
        quote(FakeValuation(2e6, 1e6, 3e6, currency="USD"), "champion_patent_guard")
    usd = quote(FakeValuation(2e5, 1e5, 3e5, currency="USD"), "champion_patent_guard", fx_rate=7.1)
    assert usd.value_at_risk == pytest.approx(2e5 * 7.1)
    with pytest.raises(PricingError):
        quote(2e6, "champion_patent_guard", RiskProfile(ip_type="trademark"))
    with pytest.raises(PricingError):
        quote(-5, "enforcement")
    with pytest.raises(PricingError):
        quote(FakeValuation(2e6, 3e6, 4e6), "enforcement")
    with pytest.raises(PricingError):
        quote(2e6, "no_such_product")
    with pytest.raises(PricingError):
        quote(2e6, "enforcement", {"stage": "ancient"})
    with pytest.raises(PricingError):
        quote(2e6, "enforcement", year=0)
    hist = pd.DataFrame({"date": ["2020-01-01", "2021-01-01"], "status": ["active", "ownership_dispute"]})
    with pytest.raises(PricingError, match="ownership dispute"):
        quote(2e6, "champion_patent_guard", RiskProfile(status_history=hist))
    ok = pd.DataFrame({"date": ["2020-01-01"], "status": ["active"]})
    assert quote(2e6, "champion_patent_guard", RiskProfile(status_history=ok)).gross_premium > 0


def test_credibility_blends_experience() -> None:
    manual = quote(2e6, "enforcement")
    bad = quote(2e6, "enforcement", experience=ClaimsExperience(500, 500 * manual.expected_loss * 3))
    assert 0 < bad.credibility < 1
    assert manual.pure_premium < bad.pure_premium < 3 * manual.expected_loss
    more = quote(2e6, "enforcement", experience=ClaimsExperience(5000, 5000 * manual.expected_loss * 3))
    assert more.credibility > bad.credibility


def test_minimum_premium() -> None:
    q = quote(10_000, "enforcement", RiskProfile(stage="application"), loadings=Loadings(minimum_premium=50_000))
    assert q.minimum_premium_applied and q.gross_premium == 50_000


def test_top_level_lazy_quote() -> None:
    import ipledger

    q = ipledger.quote(2e6, "enforcement", RiskProfile())
    assert q.product == "enforcement" and q.gross_premium > 0


def test_amounts_are_decimals_at_the_currencys_minor_unit() -> None:
    from decimal import Decimal

    q = quote(3e6, "small_micro_patent_guard", RiskProfile(field="telecom_electronics"))
    money = q.amounts()
    assert all(isinstance(v, Decimal) for v in money.values())
    assert money["gross_premium"] == Decimal(str(q.gross_premium)).quantize(Decimal("0.01"))
    assert money["gross_premium"].as_tuple().exponent == -2
    assert money["sum_insured"] == Decimal(str(q.sum_insured)).quantize(Decimal("0.01"))
    assert set(money) >= {"sum_insured", "gross_premium", "net_premium", "expected_loss"}


def test_valuation_amounts_follow_the_currency_exponent() -> None:
    from decimal import Decimal

    from ipledger.valuation.result import Valuation

    jpy = Valuation(
        asset_id="0x" + "11" * 32, as_of="2025-06-30", currency="JPY", value=1234.5, low=1000.4, high=2000.6
    )
    assert jpy.amounts() == {"value": Decimal("1234"), "low": Decimal("1000"), "high": Decimal("2001")}  # half-even
    cny = Valuation(
        asset_id="0x" + "11" * 32, as_of="2025-06-30", currency="CNY", value=2333.6630864122203, low=1, high=3
    )
    assert str(cny.amounts()["value"]) == "2333.66"
