"""Market approach: a time-ordered backtest on a generated market, and valuation speed.

Market: ``generate_market(seed=2024, n_assets=10_000, n_transactions=100_000)`` (see
``ipledger.sources.generator`` for its calibration). The MarketModel is trained on sales
before 2024-01-01 and tested on every later assignment: its value at the trade date (features
from trades strictly before that date, index and model frozen at the cutoff) against the
price paid. Baseline: the median price of same-kind sales in the same class (IPC subclass,
Nice class, Locarno class, copyright/software category) before the trade date, falling back
to the same kind. Figures: MdAPE of both, empirical coverage of the 80% and 90% conformal
intervals, ``value_p50_ms`` (market_approach on 200 assets with the fitted model cached) and
``batch_10k_s`` (value_many over 10,000 assets).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ipledger.sources.cuad import parse_cuad, rate_summary
from ipledger.sources.generator import generate_market
from ipledger.valuation.market import build_context, get_context, market_approach, training_data, value_many

SEED = 2024
N_ASSETS = 10_000
N_TRANSACTIONS = 100_000
CUTOFF = pd.Timestamp("2024-01-01")
AS_OF = pd.Timestamp("2025-12-31")


def _baseline(trades: pd.DataFrame, test: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Median earlier price of same-kind, same-class sales (same kind when the class has none)."""
    sales = trades[trades["tx_kind"].isin(("assignment", "auction")) & (trades["amount"] > 0)]
    by_class = {k: (g["date"].to_numpy(), g["amount"].to_numpy()) for k, g in sales.groupby(["kind", "L2"])}
    by_kind = {k: (g["date"].to_numpy(), g["amount"].to_numpy()) for k, g in sales.groupby("kind")}
    empty = (np.array([], dtype="datetime64[ns]"), np.array([]))
    out = np.full(len(test), np.nan)
    fallbacks = 0
    for i, r in enumerate(test.itertuples(index=False)):
        d = np.datetime64(r.date)
        dates, amounts = by_class.get((r.kind, r.L2), empty)
        k = int(np.searchsorted(dates, d, side="left"))
        if k == 0:
            fallbacks += 1
            dates, amounts = by_kind.get(r.kind, empty)
            k = int(np.searchsorted(dates, d, side="left"))
        if k:
            out[i] = float(np.median(amounts[:k]))
    return out, fallbacks


def _backtest(market: Any) -> dict[str, Any]:
    t0 = time.perf_counter()
    ctx = build_context(market.assets, market.transactions, CUTOFF)
    fit_s = time.perf_counter() - t0
    tr = ctx.trades
    test = tr[(tr["date"] >= CUTOFF) & (tr["tx_kind"] == "assignment") & np.isfinite(tr["z"])]
    X, y = training_data(ctx, test)
    pred = ctx.model.predict(X)
    ape = np.abs(np.exp(pred - y) - 1.0)
    base, fallbacks = _baseline(tr, test)
    ok = np.isfinite(base)
    ape_base = np.abs(base[ok] / test["amount"].to_numpy()[ok] - 1.0)
    out: dict[str, Any] = {
        "backtest_mdape_model": round(float(np.median(ape)), 4),
        "backtest_mdape_baseline": round(float(np.median(ape_base)), 4),
        "backtest_mdape_model_same_rows": round(float(np.median(ape[ok])), 4),
        "backtest_n_test": len(test),
        "backtest_n_train_sales": int((tr["tx_kind"].isin(("assignment", "auction")) & (tr["date"] < CUTOFF)).sum()),
        "backtest_baseline_kind_fallbacks": fallbacks,
        "backtest_fit_s": round(fit_s, 2),
    }
    out["backtest_improvement"] = round(1 - out["backtest_mdape_model"] / out["backtest_mdape_baseline"], 4)
    for nominal in (0.8, 0.9):
        lo, hi = ctx.model.predict_interval(X, coverage=nominal)
        out[f"coverage_{int(nominal * 100)}"] = round(float(np.mean((y >= lo) & (y <= hi))), 4)
    repeat = np.isfinite(X[:, 10])
    out["backtest_share_with_earlier_sale"] = round(float(repeat.mean()), 4)
    out["backtest_mdape_model_first_sale"] = round(float(np.median(ape[~repeat])), 4) if (~repeat).any() else None
    for kind in ("invention", "utility_model", "design", "trademark"):
        m = (test["kind"] == kind).to_numpy()
        out[f"backtest_mdape_model_{kind}"] = round(float(np.median(ape[m])), 4)
    return out


def _speed(market: Any) -> dict[str, Any]:
    a, tx = market.assets, market.transactions
    t0 = time.perf_counter()
    get_context(a, tx, AS_OF)
    warm_s = time.perf_counter() - t0
    ids = list(a["asset_id"].sample(200, random_state=1))
    times = []
    for aid in ids:
        t = time.perf_counter()
        market_approach(a, tx, aid, AS_OF)
        times.append(time.perf_counter() - t)
    batch_ids = list(a["asset_id"].iloc[:10_000])
    t = time.perf_counter()
    df = value_many(a, tx, batch_ids, AS_OF)
    batch_s = time.perf_counter() - t
    return {
        "value_p50_ms": round(statistics.median(times) * 1000, 2),
        "value_p95_ms": round(float(np.percentile(times, 95)) * 1000, 2),
        "batch_10k_s": round(batch_s, 2),
        "batch_n_assets": len(df),
        "context_build_s": round(warm_s, 2),
    }


def _cuad() -> dict[str, Any]:
    """Royalty rates usable from CUAD (shared data beside the repository, or $IPLEDGER_SHARED_DATA)."""
    root = Path(__file__).resolve().parent.parent
    path = Path(os.environ.get("IPLEDGER_SHARED_DATA", root.parent / "shared" / "data")) / "licences"
    path = path / "cuad_master_clauses.csv"
    if not path.is_file():
        return {"cuad_available": False}
    licences, rejected = parse_cuad(path)
    s = rate_summary(licences)
    return {
        "cuad_available": True,
        "cuad_rows": len(licences) + len(rejected),
        "cuad_usable_rates": len(licences),
        "cuad_rate_median": round(float(s.get("median", float("nan"))), 4),
    }


def _ledger_speed(market: Any) -> dict[str, Any]:
    """value_asset (all three approaches, reconciled) on a real Ledger: the market written
    through the contracts of an embedded chain and indexed into SQLite."""
    import tempfile
    from dataclasses import replace

    from ipledger.chain.connect import ensure_deployed, open_backend
    from ipledger.config import load_profile
    from ipledger.ledger import Ledger
    from ipledger.sources.generator import write_market
    from ipledger.valuation import value_asset, value_assets

    with tempfile.TemporaryDirectory() as tmp:
        profile = replace(load_profile("local"), data_dir=Path(tmp), db_url=None)
        backend = open_backend(profile)
        ensure_deployed(profile, backend)
        ledger = Ledger(profile, backend)
        t0 = time.perf_counter()
        write_market(ledger.client, market, ledger.documents, batch_size=500)
        write_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        ledger.sync(progress=False)
        sync_s = time.perf_counter() - t0
        n_tx = len(ledger.transactions())
        inputs = {"revenue": 40_000_000.0, "revenue_growth": 0.03}
        active = ledger.assets()
        active = active[active["status"] == "active"]
        ids = list(active["asset_id"].sample(200, random_state=2))
        t0 = time.perf_counter()
        value_asset(ledger, ids[0], as_of=AS_OF, inputs=inputs)  # fits and caches the market model
        first_s = time.perf_counter() - t0
        times = []
        for aid in ids:
            t = time.perf_counter()
            value_asset(ledger, aid, as_of=AS_OF, inputs=inputs)
            times.append(time.perf_counter() - t)
        batch_ids = list(ledger.assets()["asset_id"][:10_000])
        t0 = time.perf_counter()
        table = value_assets(ledger, batch_ids, as_of=AS_OF, inputs=inputs)
        batch_full_s = time.perf_counter() - t0
        ledger.close()
    return {
        "ledger_transactions": n_tx,
        "ledger_write_s": round(write_s, 1),
        "ledger_sync_s": round(sync_s, 2),
        "value_asset_first_call_s": round(first_s, 2),
        "value_asset_p50_ms": round(statistics.median(times) * 1000, 2),
        "value_asset_p95_ms": round(float(np.percentile(times, 95)) * 1000, 2),
        "value_assets_batch_10k_s": round(batch_full_s, 2),
        "value_assets_batch_n": len(table),
        "value_assets_batch_refused": int((table["error"] != "").sum()),
    }


def run() -> dict[str, Any]:
    """Backtest and speed figures as a flat dict (see the module docstring)."""
    t0 = time.perf_counter()
    market = generate_market(seed=SEED, n_assets=N_ASSETS, n_transactions=N_TRANSACTIONS)
    out: dict[str, Any] = {
        "market_assets": len(market.assets),
        "market_transactions": len(market.transactions),
        "generate_s": round(time.perf_counter() - t0, 2),
    }
    print("backtest ...", file=sys.stderr)
    out.update(_backtest(market))
    print("speed ...", file=sys.stderr)
    out.update(_speed(market))
    out.update(_cuad())
    print("value_asset on a real ledger ...", file=sys.stderr)
    out.update(_ledger_speed(market))
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2, sort_keys=True))
