"""Subsidy rules of the Beijing, Foshan Chancheng, Fuzhou and Yantai pilots."""

from __future__ import annotations

import pytest

from ipledger.errors import PricingError
from ipledger.insurance import BeijingSubsidy, FoshanChanchengSubsidy, FuzhouSubsidy, YantaiSubsidy
from ipledger.insurance.subsidies import scheme_for, subsidy_schedule


def test_beijing_taper() -> None:
    champ = BeijingSubsidy("champion")
    sme = BeijingSubsidy("key_field_sme")
    assert [champ.subsidy(25_000, y) for y in (1, 2, 3, 4)] == [25_000, 20_000, 12_500, 0]
    assert [sme.subsidy(10_000, y) for y in (1, 2, 3)] == pytest.approx([10_000, 9_000, 8_000])


def test_beijing_caps() -> None:
    assert BeijingSubsidy("champion", "champion_demonstration").subsidy(900_000, 1) == 500_000
    assert BeijingSubsidy("champion", "champion_product").subsidy(900_000, 1) == 300_000
    assert BeijingSubsidy("champion", "champion_product").subsidy(100_000, 1, used=250_000) == 50_000
    assert BeijingSubsidy("champion", "champion_product").subsidy(100_000, 1, used=400_000) == 0
    assert BeijingSubsidy("key_field_sme").subsidy(2_000_000, 1) == 2_000_000
    with pytest.raises(PricingError):
        BeijingSubsidy("bank")


def test_foshan_by_patent_count() -> None:
    assert [FoshanChanchengSubsidy(n).subsidy(10_000, 1) for n in (1, 5, 6, 10, 11, 50)] == [
        2_000,
        2_000,
        3_000,
        3_000,
        4_000,
        4_000,
    ]
    assert FoshanChanchengSubsidy(20).subsidy(1_500, 1) == 1_500  # never more than the premium


def test_fuzhou_and_yantai() -> None:
    assert FuzhouSubsidy().subsidy(40_000, 1) == 20_000
    assert FuzhouSubsidy().subsidy(400_000, 1) == 50_000
    assert FuzhouSubsidy().subsidy(40_000, 1, used=40_000) == 10_000
    assert YantaiSubsidy().subsidy(10_000, 1) == 5_000
    assert YantaiSubsidy(award_winning=True).subsidy(10_000, 1) == 7_000


def test_schedule_and_errors() -> None:
    assert subsidy_schedule(None, {1: 5.0}) == {1: 0.0}
    assert subsidy_schedule(BeijingSubsidy("champion"), {1: 100.0, 2: 100.0}) == {1: 100.0, 2: 80.0}
    with pytest.raises(PricingError):
        FuzhouSubsidy().subsidy(-1.0, 1)
    with pytest.raises(PricingError):
        YantaiSubsidy().subsidy(1.0, 0)
    with pytest.raises(PricingError):
        scheme_for("atlantis")
    assert scheme_for("beijing", firm_type="champion").name == "beijing"
