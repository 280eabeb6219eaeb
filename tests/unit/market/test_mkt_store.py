"""The market model's data-only form: exact predictions, keyed files, damaged or foreign files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor

from ipledger.sources.generator import Market
from ipledger.valuation.conformal import DEFAULT_PARAMS, StoredModel
from ipledger.valuation.market import build_context, get_context, training_data
from ipledger.valuation.market_model import MarketModel, weighted_conformal_quantile
from ipledger.valuation.model_store import Trees, load_model, model_key, save_model

CUT = pd.Timestamp("2024-07-01")


def test_trees_predict_exactly_as_the_booster() -> None:
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.integers(0, 40, 3000), rng.normal(size=3000), rng.normal(size=3000)]).astype(float)
    X[rng.random(3000) < 0.1, 1] = np.nan
    X[rng.random(3000) < 0.05, 0] = np.nan
    y = np.sin(np.nan_to_num(X[:, 0])) + np.nan_to_num(X[:, 1]) ** 2 + rng.normal(0, 0.1, 3000)
    cats = np.array([True, False, False])
    b = HistGradientBoostingRegressor(max_iter=40, categorical_features=cats, random_state=0).fit(X, y)
    Xt = X.copy()
    Xt[:5, 0] = [77, -3, 39, np.nan, 0]  # unseen, negative, known, missing categories
    assert np.array_equal(Trees.from_booster(b).predict(Xt), b.predict(Xt))
    plain = HistGradientBoostingRegressor(max_iter=20, random_state=0).fit(X, y)
    assert np.array_equal(Trees.from_booster(plain).predict(Xt), plain.predict(Xt))


def test_weighted_conformal_quantile() -> None:
    s = np.arange(1.0, 10.0)  # nine scores, equal weights: split conformal's ceil((n+1)c)-th
    assert weighted_conformal_quantile(s, np.ones(9), 0.8) == 8.0
    assert weighted_conformal_quantile(s, np.ones(9), 0.5) == 5.0
    # Down-weighting the small (old) scores pushes the quantile up.
    w = np.array([0.1] * 5 + [1.0] * 4)
    assert weighted_conformal_quantile(s, w, 0.5) == 8.0
    assert weighted_conformal_quantile(s, np.ones(9), 0.95) == 9.0  # capped at the largest


def test_calibration_uses_the_newest_rows() -> None:
    rng = np.random.default_rng(1)
    n = 2000
    t = np.sort(rng.uniform(0, 10, n))
    X = rng.normal(size=(n, 2))
    # Noise grows over time: time-ordered calibration sees the recent, wider errors.
    y = X[:, 0] + rng.normal(0, 1, n) * np.where(t > 8, 1.0, 0.2)
    timed = MarketModel(max_iter=30, random_state=0).fit(X, y, sample_time=t)
    shuffled = MarketModel(max_iter=30, random_state=0).fit(X, y)
    assert timed.conformal_width(0.8)[0] > 2 * shuffled.conformal_width(0.8)[0]


def test_persisted_model_reads_back_and_predicts_the_same(market: Market, tmp_path: Path) -> None:
    a, tx = market.assets, market.transactions
    first = build_context(a, tx, CUT, store=tmp_path)
    files = list(tmp_path.glob("market-*.npz"))
    assert len(files) == 1
    again = build_context(a, tx, CUT, store=tmp_path)
    assert isinstance(again.model, StoredModel)  # read, not refitted
    pd.testing.assert_series_equal(first.index, again.index, check_freq=False, check_names=False)
    tr = first.trades
    X, _ = training_data(first, tr[(tr["date"] >= CUT) & (tr["tx_kind"] == "assignment")])
    assert np.array_equal(first.model.predict(X), again.model.predict(X))
    assert np.array_equal(first.model.conformal_width(0.9, X), again.model.conformal_width(0.9, X))
    with np.load(files[0], allow_pickle=False) as z:  # data only: readable without pickle
        assert json.loads(bytes(z["meta"]).decode())["format"].startswith("ipledger.market-model/")


def test_changed_data_gives_a_new_key(market: Market, tmp_path: Path) -> None:
    a, tx = market.assets, market.transactions
    build_context(a, tx, CUT, store=tmp_path)
    fewer = tx[tx["record_id"] != tx.loc[tx["date"] < CUT, "record_id"].iloc[5]]
    build_context(a, fewer, CUT, store=tmp_path)
    assert len(list(tmp_path.glob("market-*.npz"))) == 2


def test_damaged_or_foreign_file_is_ignored(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(300, 3)), rng.normal(size=300)
    m = MarketModel(max_iter=10, random_state=0).fit(X, y)
    key = model_key("data", m.get_params(), {})
    path = tmp_path / "m.npz"
    save_model(path, m, key)
    loaded = load_model(path, key)
    assert loaded is not None and np.array_equal(loaded[0].predict(X), m.predict(X))
    assert load_model(path, "another key") is None
    path.write_bytes(path.read_bytes()[:200])  # truncated
    assert load_model(path, key) is None
    assert load_model(tmp_path / "missing.npz", key) is None
    # A crafted file with the right key but trees pointing out of bounds is refused.
    trees = m.trees_
    bad = {f"trees.{k}": v for k, v in vars(trees).items()}
    bad["trees.left"] = np.where(trees.is_leaf, trees.left, 10**9)
    bad |= {"calibration_scores": m.calibration_scores_, "calibration_weights": m.calibration_weights_}
    meta = {"format": "ipledger.market-model/1", "key": key, "n_features_in": 3, "n_iter": 10, "params": {}}
    bad["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(path, **bad)
    assert load_model(path, key) is None
    # Pickled objects are never loaded.
    np.savez(path, meta=np.array([{"key": key}], dtype=object))
    assert load_model(path, key) is None


def test_default_params_are_the_models() -> None:
    params = MarketModel().get_params()
    params.pop("n_threads")
    assert params == DEFAULT_PARAMS


def test_reading_a_persisted_model_does_not_import_scikit_learn(market: Market, tmp_path: Path) -> None:
    import subprocess
    import sys

    a, tx = market.assets, market.transactions
    build_context(a, tx, CUT, store=tmp_path / "models")
    a.to_pickle(tmp_path / "a.pkl")  # test fixture files only (the project never reads pickles)
    tx.to_pickle(tmp_path / "tx.pkl")
    code = (
        "import sys, pandas as pd\n"
        "from pathlib import Path\n"
        "from ipledger.valuation.market import build_context\n"
        f"d = Path({str(tmp_path)!r})\n"
        "ctx = build_context(pd.read_pickle(d / 'a.pkl'), pd.read_pickle(d / 'tx.pkl'),"
        f" pd.Timestamp({str(CUT.date())!r}), store=d / 'models')\n"
        "print(type(ctx.model).__name__, 'sklearn' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["StoredModel", "False"]


def test_get_context_trains_up_to_the_valuation_date(market: Market) -> None:
    a, tx = market.assets, market.transactions
    ctx = get_context(a, tx, pd.Timestamp("2025-06-30"))
    last = tx.loc[tx["date"] < "2025-06-30", "date"].max()
    assert ctx.cutoff == last.normalize() + pd.Timedelta(days=1)
    with pytest.raises(AttributeError):
        _ = ctx.model.base_  # predictions run on the data-only trees
