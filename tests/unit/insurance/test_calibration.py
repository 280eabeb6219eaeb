"""Defaults that come from data are recomputed from the data."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ipledger.insurance import calibration as cal


def test_base_frequencies_from_the_court_table() -> None:
    f, src = cal.base_frequency("patent")
    # Cases over right-years of the in-force stock, not over the year's grants (a flow).
    assert f == pytest.approx(28_528 / (2_820_694 + 5_948_263 + 1_993_243)) and "table 3-1" in src
    assert f < 28_528 / 3_639_200 / 2.5
    assert cal.base_frequency("trademark")[0] == pytest.approx(78_157 / 30_173_000)
    assert cal.base_frequency("copyright")[1].startswith("assumption")


def test_lognormal_fit_recovers_a_lognormal() -> None:
    from scipy.stats import lognorm

    d = lognorm(1.7, scale=3.0)
    qs = {p: float(d.ppf(p)) for p in (0.5, 0.75, 0.9)}
    assert cal.lognormal_sigma_from_quantiles(qs) == pytest.approx(1.7)


@pytest.mark.skipif(cal.shared_data_dir() is None, reason="shared data folder not found")
def test_damages_sigma_matches_the_benchmarks_csv() -> None:
    data = cal.shared_data_dir()
    assert data is not None
    df = pd.read_csv(data / "benchmarks" / "patent_damages_benchmarks.csv")
    rows = df[df["case_or_metric"].str.startswith("compensatory damages P")]
    qs = {}
    for _, r in rows.iterrows():
        p = int(r["case_or_metric"].split("P")[1][:2]) / 100
        qs[p] = float(r["value_usd"])
    assert qs == cal.LEX_MACHINA_DAMAGES_QUANTILES
    sigma = cal.lognormal_sigma_from_quantiles(qs)
    assert sigma == pytest.approx(cal.DAMAGES_SIGMA_UNCONDITIONAL)
    assert 2.3 < sigma < 2.6
    assert pytest.approx(sigma * math.sqrt(1 - cal.DAMAGES_R2_EXPLAINED_BY_VALUE)) == cal.DAMAGES_SIGMA


def test_every_head_default_has_a_source() -> None:
    for d in cal.HEAD_DEFAULTS.values():
        assert d.source and d.sigma > 0 and 0 < d.probability <= 1


def test_stages_do_not_overlap_and_keep_the_stock_average() -> None:
    stock = sum(cal.STAGE_STOCK_MIX[s] * cal.STAGE_FREQUENCY[s] for s in cal.STAGE_STOCK_MIX)
    assert stock == pytest.approx(1.0)  # the base frequency stays a per-in-force-right-year rate
    assert cal.stage_of(granted=False) == "application"
    assert cal.stage_of(granted=True, years_in_force=1.0, years_to_expiry=15.0) == "early_life"
    assert cal.stage_of(granted=True, years_in_force=8.0, years_to_expiry=9.0) == "mature"
    assert cal.stage_of(granted=True, years_in_force=8.0, years_to_expiry=2.0) == "near_expiry"
    # A utility model granted 1 year ago with 2 years left is near expiry, not early life.
    assert cal.stage_of(granted=True, years_in_force=1.0, years_to_expiry=2.0) == "near_expiry"
