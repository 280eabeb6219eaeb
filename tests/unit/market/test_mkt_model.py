"""MarketModel (scikit-learn conformance, calibrated intervals) and the market approach."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from ipledger.errors import ValuationError
from ipledger.sources.generator import Market
from ipledger.valuation.market import (
    MarketContext,
    MarketModel,
    market_approach,
    training_data,
    value_many,
)
from ipledger.valuation.types import MethodResult

from .conftest import CUTOFF


@parametrize_with_checks(
    [
        MarketModel(max_iter=20, random_state=0),
        MarketModel(max_iter=10, loss="squared_error", mondrian_features=(0,), calibration_size=0.3, random_state=1),
        MarketModel(max_iter=30, loss="absolute_error", refit=False, random_state=2),
        MarketModel(max_iter=20, blend_features=(0,), mondrian_features=(0,), random_state=3),
    ]
)
def test_sklearn_compatible(estimator, check) -> None:  # type: ignore[no-untyped-def]
    check(estimator)


def test_init_only_stores_params() -> None:
    m = MarketModel(max_iter=7, refit=False)
    assert m.get_params()["max_iter"] == 7 and not hasattr(m, "base_")


def _held_out(context: MarketContext) -> tuple[np.ndarray, np.ndarray]:
    tr = context.trades
    test = tr[(tr["date"] >= CUTOFF) & (tr["tx_kind"] == "assignment") & np.isfinite(tr["z"])]
    return training_data(context, test)


def test_intervals_cover_held_out_sales(context: MarketContext) -> None:
    X, y = _held_out(context)
    assert len(y) > 500
    for nominal in (0.8, 0.9):
        lo, hi = context.model.predict_interval(X, coverage=nominal)
        cover = np.mean((y >= lo) & (y <= hi))
        assert abs(cover - nominal) < 0.07, (nominal, cover)


def test_model_beats_class_median(context: MarketContext) -> None:
    X, y = _held_out(context)
    ape = np.abs(np.exp(context.model.predict(X) - y) - 1)
    assert np.median(ape) < 0.4


def test_market_approach_result(market: Market) -> None:
    a, tx = market.assets, market.transactions
    as_of = pd.Timestamp("2025-06-30")
    traded = tx.loc[tx["kind"] == "assignment", "asset_id"].value_counts().index[0]
    r = market_approach(a, tx, traded, as_of)
    assert isinstance(r, MethodResult) and r.method == "market"
    assert 0 < r.low < r.value < r.high
    assert r.n_data == len(r.details["comparables"]) >= 5 and r.sufficient
    c = r.details["comparables"][0]
    assert {"record_id", "tx_hash", "log_index", "date", "amount", "weight", "asset_id"} <= set(c)
    assert all(pd.Timestamp(x["date"]) < as_of for x in r.details["comparables"])
    indexed = tx.assign(tx_hash=[bytes([i % 256]) * 32 for i in range(len(tx))], log_index=0)
    first = market_approach(a, indexed, traded, as_of).details["comparables"][0]
    assert first["tx_hash"].startswith("0x") and len(first["tx_hash"]) == 66 and first["log_index"] == 0
    assert sum(x["weight"] for x in r.details["comparables"]) == pytest.approx(1.0)
    wide = market_approach(a, tx, traded, as_of, inputs={"coverage": 0.95, "annual_revenue": 1e6})
    assert wide.low < r.low and wide.high > r.high and wide.value == pytest.approx(r.value)
    assert wide.details["implied_royalty_rate"] > 0
    rates = wide.details["comparable_royalty_rates"]
    assert rates["n"] >= 5 and 0.005 < rates["median"] < 0.2
    assert wide.details["royalty_capitalised_value"] > 0


def test_too_few_comparables_is_insufficient(market: Market) -> None:
    a, tx = market.assets, market.transactions
    subject = a[a["kind"] == "trade_secret"].iloc[0]
    others = tx[(tx["asset_id"].isin(a.loc[a["kind"] != "trade_secret", "asset_id"]))]
    few = tx[tx["asset_id"] == subject["asset_id"]].head(0)
    sparse = pd.concat([others, few])
    r = market_approach(a, sparse, subject["asset_id"], pd.Timestamp("2025-06-30"))
    assert r.n_data < 5 and not r.sufficient and r.warnings


def test_errors(market: Market) -> None:
    a, tx = market.assets, market.transactions
    with pytest.raises(ValuationError):
        market_approach(a, tx, "0x" + "ab" * 32, pd.Timestamp("2025-06-30"))
    with pytest.raises(ValuationError):
        market_approach(a, tx, a["asset_id"].iloc[0], pd.Timestamp("2014-06-30"))
    with pytest.raises(ValuationError):
        MarketModel().fit(np.random.rand(50, 3), np.random.rand(50)).predict_interval(np.zeros((1, 3)), 1.5)


def test_value_many_matches_single(market: Market) -> None:
    a, tx = market.assets, market.transactions
    as_of = pd.Timestamp("2025-06-30")
    ids = list(a["asset_id"].iloc[:40])
    df = value_many(a, tx, ids, as_of)
    assert list(df["asset_id"]) == ids and (df["value"] >= 0).all()
    one = market_approach(a, tx, ids[3], as_of)
    assert df["value"].iloc[3] == pytest.approx(one.value, rel=1e-9)
    assert df["n_data"].iloc[3] == one.n_data
