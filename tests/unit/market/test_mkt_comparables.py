"""Comparable selection, similarity ordering, conversions and the ledger's price index."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipledger.sources.generator import Market
from ipledger.valuation.comparables import (
    ComparableIndex,
    annuity_factor,
    class_proximity,
    estimate_price_index,
    licence_to_value,
    life_factor,
    prepare_trades,
    sale_to_royalty,
)


def test_class_proximity_follows_the_ipc_hierarchy() -> None:
    s = "A61K31/40"
    ranks = [
        class_proximity(s, c) for c in ("A61K31/40", "A61K31/00", "A61K9/00", "A61P35/00", "A23L33/00", "H04W72/04")
    ]
    assert ranks == sorted(ranks, reverse=True) and len(set(ranks)) == 6
    assert class_proximity("35", "35") == 1.0 > class_proximity("35", "36") > class_proximity("35", "9")
    assert class_proximity("14-03", "14-01") > class_proximity("14-03", "12-08")
    assert class_proximity("A61K", "A61K31/00") > class_proximity("A61K", "A61P35/00")


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    codes = ["A61K31/40", "A61K31/00", "A61K9/00", "A61P35/00", "A23L33/00", "H04W72/04"] * 3
    n = len(codes)
    assets = pd.DataFrame(
        {
            "asset_id": [f"0x{i:064x}" for i in range(n + 1)],
            "kind": "invention",
            "jurisdiction": "CN",
            "class_code": ["A61K31/40", *codes],
            "field": "pharmaceuticals",
            "claims": 10.0,
            "citations": 3.0,
            "family_size": 2.0,
            "filing_date": pd.Timestamp("2016-01-01"),
            "expiry_date": pd.Timestamp("2036-01-01"),
        }
    )
    tx = pd.DataFrame(
        {
            "record_id": np.arange(n) + 100,
            "asset_id": assets["asset_id"].iloc[1:].to_numpy(),
            "kind": "assignment",
            "date": pd.Timestamp("2020-06-01"),
            "amount": 1e6,
            "royalty_rate": 0.0,
            "exclusivity": "non_exclusive",
            "territory": "CN",
            "term_end": pd.NaT,
            "void": False,
        }
    )
    return assets, tx


def test_closer_class_code_ranks_higher() -> None:
    assets, tx = _frames()
    trades = prepare_trades(assets, tx)
    idx = pd.Series([1.0], index=[pd.Timestamp("2015-01-01")])
    comps = ComparableIndex(trades, idx).select(assets.iloc[0], pd.Timestamp("2021-01-01"), k=18, min_candidates=1000)
    prox = comps["proximity"].to_numpy()
    assert (np.diff(prox) <= 0).all() and prox[0] == 1.0
    assert (np.diff(comps["weight"].to_numpy()) <= 1e-12).all()
    assert comps["weight"].sum() == pytest.approx(1.0)


def test_void_and_later_trades_are_excluded() -> None:
    assets, tx = _frames()
    tx.loc[0, "void"] = True
    tx.loc[1, "date"] = pd.Timestamp("2022-01-01")
    trades = prepare_trades(assets, tx)
    idx = pd.Series([1.0], index=[pd.Timestamp("2015-01-01")])
    comps = ComparableIndex(trades, idx).select(assets.iloc[0], pd.Timestamp("2021-01-01"), k=50, min_candidates=1000)
    assert 100 not in set(comps["record_id"]) and 101 not in set(comps["record_id"])
    assert len(comps) == len(tx) - 2


def test_adjustments_use_index_and_remaining_life() -> None:
    assets, tx = _frames()
    trades = prepare_trades(assets, tx)
    idx = pd.Series([1.0, 1.5], index=[pd.Timestamp("2015-01-01"), pd.Timestamp("2021-01-01")])
    comps = ComparableIndex(trades, idx).select(assets.iloc[0], pd.Timestamp("2021-06-01"), k=1, min_candidates=1)
    lf_then = life_factor((pd.Timestamp("2036-01-01") - pd.Timestamp("2020-06-01")).days / 365.25, 20.0)
    lf_now = life_factor((pd.Timestamp("2036-01-01") - pd.Timestamp("2021-06-01")).days / 365.25, 20.0)
    assert comps["adjusted_value"].iloc[0] == pytest.approx(1e6 * 1.5 * lf_now / lf_then, rel=1e-3)


def test_life_and_annuity_factors() -> None:
    assert annuity_factor(math.inf) == pytest.approx(1 / 0.15)
    assert annuity_factor(0) == 0
    lfs = life_factor(np.array([0, 5, 10, 20, 30]), 20.0)
    assert (np.diff(lfs) >= 0).all() and lfs[0] == 0 and lfs[-1] == 1
    assert life_factor(math.inf, math.inf) == 1.0


def test_licence_and_royalty_conversions_invert() -> None:
    value, rem, term = 2e6, 12.0, 5.0
    lump = value * 0.8 * annuity_factor(term) / annuity_factor(rem)
    assert licence_to_value(lump, "exclusive", term, rem) == pytest.approx(value)
    assert math.isnan(licence_to_value(0.0, "sole", term, rem, royalty_rate=0.05))
    revenue = 1e6
    rate = sale_to_royalty(value, rem, revenue)
    assert licence_to_value(0.0, "exclusive", rem, rem, royalty_rate=rate, revenue=revenue) == pytest.approx(
        value / 0.8
    )


def test_price_index_tracks_the_true_index(market: Market) -> None:
    trades = prepare_trades(market.assets, market.transactions)
    est = estimate_price_index(trades, freq="Y")
    true = market.price_index.resample("YS").mean()
    common = est.index.intersection(true.index)
    ratio = est[common] / (true[common] / true[common].iloc[0])
    assert ratio.between(0.85, 1.15).all()


@given(
    value=st.floats(1e3, 1e9),
    rem=st.floats(0.5, 30),
    term=st.floats(0.1, 30),
    excl=st.sampled_from(["non_exclusive", "sole", "exclusive"]),
)
def test_lump_sum_conversion_round_trips(value: float, rem: float, term: float, excl: str) -> None:
    share = {"non_exclusive": 0.2, "sole": 0.5, "exclusive": 0.8}[excl]
    lump = value * share * annuity_factor(min(term, rem)) / annuity_factor(rem)
    assert licence_to_value(lump, excl, term, rem) == pytest.approx(value, rel=1e-9)


@given(a=st.floats(0, 40), b=st.floats(0, 40), full=st.floats(1, 50))
def test_life_factor_is_monotone_and_bounded(a: float, b: float, full: float) -> None:
    lo, hi = sorted((a, b))
    assert 0 <= life_factor(lo, full) <= life_factor(hi, full) <= 1
