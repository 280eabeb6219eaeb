"""Products: the Beijing pilot table, configurable products, eligibility rules."""

from __future__ import annotations

import pandas as pd
import pytest

from ipledger.errors import PricingError
from ipledger.insurance import COST_HEADS, PRODUCTS, make_product

# domain.md, table 1-1 (10k CNY)
PILOT_TABLE: dict[str, dict[str, float]] = {
    "champion_patent_guard": {
        "investigation": 20,
        "legal": 20,
        "evidence": 20,
        "invalidation_defence": 20,
        "direct_loss": 160,
        "deductible": 0,
        "term": 1,
        "premium": 2.5,
    },
    "small_micro_patent_guard": {
        "investigation": 20,
        "legal": 20,
        "evidence": 5,
        "invalidation_defence": 10,
        "direct_loss": 30,
        "deductible": 0,
        "term": 3,
        "premium": 1,
    },
}


@pytest.mark.parametrize("name", sorted(PILOT_TABLE))
def test_pilot_products_reproduce_the_table(name: str) -> None:
    row, p = PILOT_TABLE[name], PRODUCTS[name]
    for head in ("investigation", "legal", "evidence", "invalidation_defence", "direct_loss"):
        assert p.sub_limits[head] == row[head] * 10_000
    assert p.deductible == row["deductible"] * 10_000
    assert p.term_years == row["term"]
    assert p.flat_premium == row["premium"] * 10_000
    assert p.currency == "CNY"
    assert p.coinsurance == 0.0
    assert p.ip_types == ("patent",)
    assert "third_party_damages" not in p.sub_limits


def test_pilot_sub_limits_sum() -> None:
    assert PRODUCTS["champion_patent_guard"].total_sub_limits == 2_400_000
    assert PRODUCTS["small_micro_patent_guard"].total_sub_limits == 850_000
    for p in PRODUCTS.values():
        assert p.total_sub_limits == pytest.approx(sum(p.sub_limits[h] for h in p.heads))
        assert p.effective_aggregate <= p.total_sub_limits


def test_catalogue_has_the_configurable_kinds() -> None:
    assert {"enforcement", "infringement_loss", "infringement_liability", "overseas_liability"} <= set(PRODUCTS)
    assert "third_party_damages" in PRODUCTS["infringement_liability"].sub_limits
    assert "third_party_damages" not in PRODUCTS["enforcement"].sub_limits
    assert PRODUCTS["infringement_liability"].trigger == "liability"
    for p in PRODUCTS.values():
        assert set(p.heads) <= set(COST_HEADS)


def test_make_product_overrides_and_validates() -> None:
    p = make_product("enforcement", name="tm_enf", ip_types=("trademark",), coinsurance=0.25, aggregate_limit=500_000)
    assert p.name == "tm_enf" and p.coinsurance == 0.25 and p.effective_aggregate == 500_000
    with pytest.raises(PricingError):
        make_product("nope")
    with pytest.raises(PricingError):
        make_product("enforcement", coinsurance=1.0)
    with pytest.raises(PricingError):
        make_product("enforcement", sub_limits={"bribes": 1.0})
    with pytest.raises(TypeError):
        PRODUCTS["enforcement"].sub_limits["legal"] = 1.0  # type: ignore[index]


def _hist(*rows: tuple[str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["date", "status"])


@pytest.mark.parametrize(
    ("rows", "eligible"),
    [
        ([("2020-01-01", "pending"), ("2021-01-01", "active")], True),
        ([("2020-01-01", "pending")], False),
        ([("2020-01-01", "active"), ("2021-01-01", "lapsed")], False),
        ([("2020-01-01", "active"), ("2021-01-01", "invalidated")], False),
        ([("2020-01-01", "active"), ("2021-01-01", "expired")], False),
        ([("2020-01-01", "active"), ("2021-01-01", "ownership_dispute")], False),
        ([("2020-01-01", "active"), ("2021-01-01", "infringement_dispute")], False),
        ([("2020-01-01", "active"), ("2021-01-01", "infringement_dispute"), ("2021-06-01", "active")], True),
    ],
)
def test_eligibility_rules(rows: list[tuple[str, str]], eligible: bool) -> None:
    e = PRODUCTS["champion_patent_guard"].check_eligibility(_hist(*rows))
    assert e.eligible is eligible
    assert bool(e.reasons) is not eligible


def test_eligibility_as_of_and_bad_input() -> None:
    h = _hist(("2020-01-01", "active"), ("2022-01-01", "ownership_dispute"))
    p = PRODUCTS["small_micro_patent_guard"]
    assert p.check_eligibility(h, as_of="2021-06-30").eligible
    assert not p.check_eligibility(h, as_of="2022-06-30").eligible
    assert not p.check_eligibility(h, as_of="2019-01-01").eligible
    assert not p.check_eligibility(None).eligible
    with pytest.raises(PricingError):
        p.check_eligibility(_hist(("2020-01-01", "alive")))
    with pytest.raises(PricingError):
        p.check_eligibility(pd.DataFrame({"when": [1]}))
    relaxed = p.with_(requires_no_infringement_dispute=False)
    assert relaxed.check_eligibility(_hist(("2020-01-01", "active"), ("2021-01-01", "infringement_dispute"))).eligible
