"""Market approach: a rolling-origin backtest per market scenario against fair baselines, and speed.

Markets: ``generate_market(seed=2024, scenario=NAME)`` for every scenario of
``ipledger.sources.scenarios`` (sizes as the scenario suggests); their price process is the
generator's own, not the model's (see that module). For each scenario the model is refitted at
three origins (2024-07-01, 2025-01-01, 2025-07-01) on every sale before the origin, exactly as
``build_context`` does for a valuation at that date, and tested on the assignments of the next
six months: its value at the trade date (features and comparables from trades strictly before
that date; index and model frozen at the origin, so up to six months stale) against the price
paid. Every test sale is scored (up to ``MAX_TEST`` per scenario, a seeded uniform sample
beyond it, which none of the shipped scenarios reaches), the same rows for the model and every
baseline.

Baselines, in the same run and on the same rows:

* ``last_sale``: the asset's previous sale, moved to the trade date by the ledger's price index
  (as estimated at the origin); where the asset never sold before, the adjusted comparables.
* ``comparables``: the weighted median of the project's own 25 adjusted comparables
  (``ComparableIndex.select``: time-, life- and licence-adjusted, the asset's own trades
  included).
* ``class_median``: the median earlier price of same-kind sales in the same class (IPC
  subclass, Nice class, ...), else of the same kind; not adjusted.

Per scenario, for all test sales and for first sales (no earlier sale of the asset) apart:
MdAPE of the model and of each baseline, the best baseline, the model's ratio to it, and the
empirical coverage of the 80% and 90% intervals. The intervals are **online**
(``coverage_*``): a model frozen at its origin for six months gets adaptive conformal widths
(:class:`ipledger.valuation.adaptive.AdaptiveConformal`) that learn from the window's sales
strictly before each test sale's date; ``static_coverage_*`` are the fitted model's own widths,
never updated. ``mdape_noise_floor``: the MdAPE of the generator's noiseless price (the best any
value can do); ``floor_ratio_to_best``: that floor over the best baseline (above 0.85 the MdAPE
target cannot be met by any model). ``mdape_bayes_oracle``: the MdAPE of the Bayes oracle
(:mod:`ipledger.sources.oracle`: the generator's structure, parameters and true index, and the
asset's earlier prices, but not its latent quality, firm effect or random walk), the best any
method working from the ledger could do; ``bayes_oracle_ratio_to_best``: that over the best
baseline, and ``mdape_target_attainable`` whether it is within the target (where it is not, no
method can meet the target). ``ratio_to_best_ci90``: a 90% paired-bootstrap interval of the
model's ratio (the scored sales resampled; a thin market's few hundred sales leave a wide one).
``window_*``: coverage on every sale of the test windows (the scored figures themselves while
every sale is scored). ``log_error_sd_robust``: 1.4826 x MAD of ln(value / price); their median
over scenarios is ``market_log_error_sd``, the reconciliation's market error sd.
Headline keys are the ``base`` scenario's.
Speed: ``value_p50_ms`` (market_approach on 200 assets, fitted model in memory),
``batch_10k_s`` (value_many over 10,000 assets, warm), ``batch_10k_cold_s`` (the same with the
context built and the model fitted first), ``batch_10k_loaded_s`` (context built, model read
from its persisted file), then ``value_asset``/``value_assets`` on a real ledger.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ipledger.sources.cuad import parse_cuad, rate_summary
from ipledger.sources.generator import generate_market
from ipledger.sources.oracle import oracle_values
from ipledger.sources.scenarios import SCENARIOS, price_noise
from ipledger.valuation import market as mk
from ipledger.valuation.adaptive import AdaptiveConformal
from ipledger.valuation.comparables import SALE_KINDS, index_at, weighted_quantile, years_since_2000
from ipledger.valuation.market import build_context, get_context, market_approach, training_data, value_many

SEED = 2024
N_ASSETS = 10_000
N_TRANSACTIONS = 100_000
ORIGINS = (pd.Timestamp("2024-07-01"), pd.Timestamp("2025-01-01"), pd.Timestamp("2025-07-01"))
END = pd.Timestamp("2026-01-01")
AS_OF = pd.Timestamp("2025-12-31")
MAX_TEST = 6000
COVERAGES = (0.8, 0.9)
BOOTSTRAP_DRAWS = 2000
TARGET_RATIO = 0.85
TARGET_COVERAGE_GAP = 0.04


def _class_median(sales: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """Median earlier price of same-kind, same-class sales (same kind when the class has none)."""
    by_class = {k: (g["date"].to_numpy(), g["amount"].to_numpy()) for k, g in sales.groupby(["kind", "L2"])}
    by_kind = {k: (g["date"].to_numpy(), g["amount"].to_numpy()) for k, g in sales.groupby("kind")}
    empty = (np.array([], dtype="datetime64[ns]"), np.array([]))
    out = np.full(len(test), np.nan)
    for i, r in enumerate(test.itertuples(index=False)):
        d = np.datetime64(r.date)
        dates, amounts = by_class.get((r.kind, r.L2), empty)
        k = int(np.searchsorted(dates, d, side="left"))
        if k == 0:
            dates, amounts = by_kind.get(r.kind, empty)
            k = int(np.searchsorted(dates, d, side="left"))
        if k:
            out[i] = float(np.median(amounts[:k]))
    return out


def _last_sale(sales: pd.DataFrame, test: pd.DataFrame, index: pd.Series) -> np.ndarray:
    """The asset's previous sale price moved to the trade date by the price index (NaN if none)."""
    groups = {a: (g["date"].to_numpy(), g["amount"].to_numpy()) for a, g in sales.groupby("asset_id")}
    out = np.full(len(test), np.nan)
    prev_dates = np.full(len(test), np.datetime64("NaT"), dtype="datetime64[ns]")
    for i, r in enumerate(test.itertuples(index=False)):
        dates, amounts = groups.get(r.asset_id, (None, None))
        if dates is None:
            continue
        k = int(np.searchsorted(dates, np.datetime64(r.date), side="left"))
        if k:
            out[i], prev_dates[i] = amounts[k - 1], dates[k - 1]
    has = ~np.isnat(prev_dates)
    dates = test["date"].to_numpy(dtype="datetime64[ns]")
    out[has] *= index_at(index, dates[has]) / index_at(index, prev_dates[has])
    return out


def _comparables(ctx: mk.MarketContext, test: pd.DataFrame) -> np.ndarray:
    """Weighted median adjusted value of the project's 25 comparables for each test sale."""
    out = np.full(len(test), np.nan)
    for i, (aid, d) in enumerate(zip(test["asset_id"], test["date"], strict=True)):
        comps = ctx.comps.select(ctx.assets.iloc[ctx.asset_pos[aid]], pd.Timestamp(d))
        if len(comps):
            out[i] = weighted_quantile(comps["adjusted_value"].to_numpy(), comps["weight"].to_numpy(), 0.5)
    return out


def _mdape(pred: np.ndarray, price: np.ndarray) -> float | None:
    ape = np.abs(pred / price - 1.0)
    ape = ape[np.isfinite(ape)]
    return round(float(np.median(ape)), 4) if len(ape) else None


def _ratio_ci(model: np.ndarray, baseline: np.ndarray, price: np.ndarray, seed: int) -> list[float]:
    """90% paired-bootstrap interval of MdAPE(model) / MdAPE(baseline) over the scored sales.

    Sales are resampled with replacement, the same draw for both (percentile interval, 2,000
    draws; Efron and Tibshirani, "An Introduction to the Bootstrap", 1993, ch. 13). It says
    whether a ratio's distance from the target is more than the sample's own noise.
    """
    ok = np.isfinite(model) & np.isfinite(baseline)
    a, b = np.abs(model[ok] / price[ok] - 1.0), np.abs(baseline[ok] / price[ok] - 1.0)
    draws = np.random.default_rng(seed).integers(0, len(a), size=(BOOTSTRAP_DRAWS, len(a)))
    ratios = np.median(a[draws], axis=1) / np.median(b[draws], axis=1)
    lo, hi = np.quantile(ratios, [0.05, 0.95])
    return [round(float(lo), 4), round(float(hi), 4)]


def _coverage(d: pd.DataFrame, half: str) -> float:
    """Share of rows whose log price lies within the half-width column ``half`` of the prediction."""
    inside = np.abs(d["y"].to_numpy() - d["pred"].to_numpy()) <= d[half].to_numpy()
    return round(float(inside.mean()), 4)


def _noise_floor(name: str, n: int = 200_000) -> float:
    """MdAPE of the generator's own noiseless price against the price paid: no model can do
    better on average (the scale of the value is chosen to minimise it, so even a biased value
    cannot). Drawn from the scenario's price noise after ORIGINS[0], the test windows' dates."""
    sc = SCENARIOS[name]
    after = np.full(n, sc.shift_date is not None and pd.Timestamp(sc.shift_date) <= ORIGINS[0])
    ratio = np.exp(-price_noise(np.random.default_rng(SEED), sc, n, after))
    return round(float(min(np.median(np.abs(c * ratio - 1.0)) for c in np.linspace(0.7, 1.3, 61))), 4)


def _scenario(name: str) -> dict[str, Any]:
    """Rolling-origin backtest of one scenario (see the module docstring)."""
    sc = SCENARIOS[name]
    t0 = time.perf_counter()
    m = generate_market(seed=SEED, n_assets=sc.n_assets, n_transactions=sc.n_transactions, scenario=name)
    parts = []
    windows: list[pd.DataFrame] = []  # every test-window sale: coverage needs no baseline
    fit_s = 0.0
    for k, origin in enumerate(ORIGINS):
        stop = ORIGINS[k + 1] if k + 1 < len(ORIGINS) else END
        t = time.perf_counter()
        ctx = build_context(m.assets, m.transactions, origin)
        fit_s += time.perf_counter() - t
        tr = ctx.trades
        window = (tr["date"] >= origin) & (tr["date"] < stop) & (tr["tx_kind"] == "assignment")
        test = tr[window & np.isfinite(tr["z"]) & (tr["amount"] > 0)]
        test = test.sort_values("date", kind="stable")
        X, y = training_data(ctx, test)
        pred = ctx.model.predict(X)
        # Online intervals: each test sale's width uses the outcomes of the window's sales
        # strictly before its date (adaptive conformal inference), never its own or later ones.
        start = float(years_since_2000(np.array([origin.to_datetime64()]))[0])
        online = AdaptiveConformal(ctx.model, start, COVERAGES).run(X, y, test["t"].to_numpy(dtype=float))
        sales = tr[tr["tx_kind"].isin(SALE_KINDS) & (tr["amount"] > 0)].sort_values("date", kind="stable")
        frame = pd.DataFrame(
            {
                "origin": origin,
                "price": test["amount"].to_numpy(dtype=float),
                "model": test["amount"].to_numpy(dtype=float) * np.exp(pred - y),
                "y": y,
                "pred": pred,
                "first": ~np.isfinite(_last_sale(sales, test, ctx.index)),
            }
        )
        for c in COVERAGES:
            frame[f"half_{int(c * 100)}"] = online[c]
            frame[f"static_half_{int(c * 100)}"] = ctx.model.conformal_width(c, X)
        windows.append(frame[["first", "y", "pred", "half_80", "half_90"]])
        take = np.random.default_rng(SEED + k).permutation(len(test))[: MAX_TEST // len(ORIGINS)]
        take = np.sort(take)
        sub = test.iloc[take]
        frame = frame.iloc[take].reset_index(drop=True)
        frame["last_sale_only"] = _last_sale(sales, sub, ctx.index)
        frame["comparables"] = _comparables(ctx, sub)
        frame["class_median"] = _class_median(sales, sub)
        frame["last_sale"] = frame["last_sale_only"].fillna(frame["comparables"])
        frame["bayes_oracle"] = oracle_values(m, sub)
        parts.append(frame)
    df = pd.concat(parts, ignore_index=True)
    out: dict[str, Any] = {
        "n_assets": sc.n_assets,
        "n_transactions": sc.n_transactions,
        "n_test": len(df),
        "share_first_sale": round(float(df["first"].mean()), 4),
        "fit_s_per_origin": round(fit_s / len(ORIGINS), 2),
        "wall_s": 0.0,
    }
    for label, rows in (("", np.ones(len(df), dtype=bool)), ("first_sale_", df["first"].to_numpy())):
        d = df[rows]
        out[f"{label}n"] = len(d)
        if not len(d):
            continue
        price = d["price"].to_numpy()
        out[f"{label}mdape_model"] = _mdape(d["model"].to_numpy(), price)
        # A first sale has no last sale: its "last_sale" is the comparables' value, not counted twice.
        names = ("comparables", "class_median") if label else ("last_sale", "comparables", "class_median")
        base = {b: _mdape(d[b].to_numpy(), price) for b in names}
        for b, v in base.items():
            out[f"{label}mdape_{b}"] = v
        valid = {b: v for b, v in base.items() if v is not None}
        if valid:
            best = min(valid, key=lambda b: valid[b])
            out[f"{label}best_baseline"] = best
            out[f"{label}mdape_best_baseline"] = valid[best]
            out[f"{label}ratio_to_best"] = round(float(out[f"{label}mdape_model"]) / valid[best], 4)
            out[f"{label}ratio_to_best_ci90"] = _ratio_ci(d["model"].to_numpy(), d[best].to_numpy(), price, SEED)
            # the best any method could do with the market's true structure and the ledger's prices
            oracle = _mdape(d["bayes_oracle"].to_numpy(), price)
            out[f"{label}mdape_bayes_oracle"] = oracle
            if oracle is not None:
                out[f"{label}bayes_oracle_ratio_to_best"] = round(oracle / valid[best], 4)
        for c in COVERAGES:
            for kind in ("", "static_"):
                out[f"{label}{kind}coverage_{int(c * 100)}"] = _coverage(d, f"{kind}half_{int(c * 100)}")
        below = d["y"].to_numpy() < d["pred"].to_numpy() - d["half_80"].to_numpy()
        out[f"{label}miss_below_80"] = round(float(below.mean()), 4)
    # Coverage on every sale of the test windows: the scored rows themselves unless a market is
    # larger than MAX_TEST (the baselines are slow; the intervals are not).
    every = pd.concat(windows, ignore_index=True)
    for label, rows in (("", np.ones(len(every), dtype=bool)), ("first_sale_", every["first"].to_numpy())):
        d = every[rows]
        out[f"window_{label}n"] = len(d)
        for c in COVERAGES:
            out[f"window_{label}coverage_{int(c * 100)}"] = _coverage(d, f"half_{int(c * 100)}") if len(d) else None
    repeat = ~df["first"].to_numpy()
    if repeat.any():
        price = df.loc[repeat, "price"].to_numpy()
        out["repeat_mdape_model"] = _mdape(df.loc[repeat, "model"].to_numpy(), price)
        out["repeat_mdape_last_sale"] = _mdape(df.loc[repeat, "last_sale_only"].to_numpy(), price)
    out["median_value_to_price"] = round(float(np.median(df["model"] / df["price"])), 4)
    err = np.log(df["model"] / df["price"]).to_numpy()
    out["log_error_sd_robust"] = round(float(1.4826 * np.median(np.abs(err - np.median(err)))), 4)
    # the noise floor: the best MdAPE any value could reach, and what it allows against the target
    out["mdape_noise_floor"] = _noise_floor(name)
    out["floor_ratio_to_best"] = round(out["mdape_noise_floor"] / float(out["mdape_best_baseline"]), 4)
    out["targets"] = _targets(out)
    # whether the MdAPE target can be met at all: the Bayes oracle's ratio to the best baseline
    out["mdape_target_attainable"] = {
        label.rstrip("_") or "all": bool(out[f"{label}bayes_oracle_ratio_to_best"] <= TARGET_RATIO)
        for label in ("", "first_sale_")
        if f"{label}bayes_oracle_ratio_to_best" in out
    }
    out["wall_s"] = round(time.perf_counter() - t0, 1)
    return out


def _targets(s: dict[str, Any]) -> dict[str, bool]:
    """Which targets the scenario meets (all test sales and first sales apart)."""
    met: dict[str, bool] = {}
    for label in ("", "first_sale_"):
        if f"{label}ratio_to_best" not in s:
            continue
        met[f"{label}mdape"] = bool(s[f"{label}ratio_to_best"] <= TARGET_RATIO)
        for c in COVERAGES:
            gap = abs(s[f"{label}coverage_{int(c * 100)}"] - c)
            met[f"{label}coverage_{int(c * 100)}"] = bool(gap <= TARGET_COVERAGE_GAP)
    return met


def _backtest() -> dict[str, Any]:
    scenarios: dict[str, Any] = {}
    for name in SCENARIOS:
        print(f"backtest {name} ...", file=sys.stderr)
        scenarios[name] = _scenario(name)
    return summary(scenarios)


def summary(scenarios: dict[str, Any]) -> dict[str, Any]:
    """The headline keys (the ``base`` scenario's) and the per-scenario objects."""
    base = scenarios["base"]
    return {
        "scenarios": scenarios,
        "backtest_mdape_model": base["mdape_model"],
        "backtest_mdape_baseline": base["mdape_best_baseline"],
        "backtest_best_baseline": base["best_baseline"],
        "backtest_mdape_last_sale": base["mdape_last_sale"],
        "backtest_mdape_comparables": base["mdape_comparables"],
        "backtest_mdape_class_median": base["mdape_class_median"],
        "backtest_mdape_model_first_sale": base.get("first_sale_mdape_model"),
        "backtest_ratio_to_best": base["ratio_to_best"],
        "backtest_n_test": base["n_test"],
        "coverage_80": base["coverage_80"],
        "coverage_90": base["coverage_90"],
        "backtest_targets_met": sum(all(s["targets"].values()) for s in scenarios.values()),
        # the market approach's log-error sd for reconciliation: the median over scenarios of
        # each one's robust (1.4826 x MAD) sd of ln(value / price)
        "market_log_error_sd": round(float(np.median([s["log_error_sd_robust"] for s in scenarios.values()])), 2),
        "backtest_scenarios": len(scenarios),
    }


def _speed(market: Any) -> dict[str, Any]:
    a, tx = market.assets, market.transactions
    batch_ids = list(a["asset_id"].iloc[:10_000])
    mk._CACHE.clear()
    t = time.perf_counter()
    value_many(a, tx, batch_ids, AS_OF)  # builds the context and fits the model first
    cold_s = time.perf_counter() - t
    ids = list(a["asset_id"].sample(200, random_state=1))
    times = []
    for aid in ids:
        t = time.perf_counter()
        market_approach(a, tx, aid, AS_OF)
        times.append(time.perf_counter() - t)
    t = time.perf_counter()
    df = value_many(a, tx, batch_ids, AS_OF)
    batch_s = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        cutoff = get_context(a, tx, AS_OF).cutoff
        t = time.perf_counter()
        build_context(a, tx, cutoff, store=Path(tmp))
        fit_save_s = time.perf_counter() - t
        t = time.perf_counter()
        ctx = build_context(a, tx, cutoff, store=Path(tmp))
        load_s = time.perf_counter() - t
        rows = ctx.assets.iloc[[ctx.asset_pos[x] for x in batch_ids]]
        dates = np.full(len(rows), AS_OF.to_datetime64(), dtype="datetime64[ns]")
        t = time.perf_counter()
        X = ctx.features(rows, dates)
        ctx.model.predict(X), ctx.model.conformal_width(0.8, X)
        predict_loaded_s = time.perf_counter() - t
        model_bytes = sum(p.stat().st_size for p in Path(tmp).glob("*.npz"))
    return {
        "value_p50_ms": round(statistics.median(times) * 1000, 2),
        "value_p95_ms": round(float(np.percentile(times, 95)) * 1000, 2),
        "batch_10k_s": round(batch_s, 2),
        "batch_10k_cold_s": round(cold_s, 2),
        "batch_10k_loaded_s": round(load_s + predict_loaded_s, 2),
        "batch_n_assets": len(df),
        "context_fit_and_save_s": round(fit_save_s, 2),
        "context_with_persisted_model_s": round(load_s, 2),
        "persisted_model_bytes": model_bytes,
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
    through the contracts of an embedded chain and indexed into SQLite; value_assets over 10k
    assets cold (market model fitted first), with the model read from its file beside the
    ledger, and warm."""
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
        batch_ids = list(ledger.assets()["asset_id"][:10_000])
        mk._CACHE.clear()
        t0 = time.perf_counter()
        value_assets(ledger, batch_ids, as_of=AS_OF, inputs=inputs)  # fits and persists the model
        batch_cold_s = time.perf_counter() - t0
        mk._CACHE.clear()  # as a new process would: the model is read from the data folder
        t0 = time.perf_counter()
        value_asset(ledger, ids[0], as_of=AS_OF, inputs=inputs)
        first_loaded_s = time.perf_counter() - t0
        mk._CACHE.clear()
        t0 = time.perf_counter()
        value_assets(ledger, batch_ids, as_of=AS_OF, inputs=inputs)
        batch_loaded_s = time.perf_counter() - t0
        times = []
        for aid in ids:
            t = time.perf_counter()
            value_asset(ledger, aid, as_of=AS_OF, inputs=inputs)
            times.append(time.perf_counter() - t)
        t0 = time.perf_counter()
        table = value_assets(ledger, batch_ids, as_of=AS_OF, inputs=inputs)
        batch_warm_s = time.perf_counter() - t0
        ledger.close()
    return {
        "ledger_transactions": n_tx,
        "ledger_write_s": round(write_s, 1),
        "ledger_sync_s": round(sync_s, 2),
        "value_asset_first_call_loaded_s": round(first_loaded_s, 2),
        "value_asset_p50_ms": round(statistics.median(times) * 1000, 2),
        "value_asset_p95_ms": round(float(np.percentile(times, 95)) * 1000, 2),
        "value_assets_batch_10k_cold_s": round(batch_cold_s, 2),
        "value_assets_batch_10k_loaded_s": round(batch_loaded_s, 2),
        "value_assets_batch_10k_s": round(batch_warm_s, 2),
        "value_assets_batch_n": len(table),
        "value_assets_batch_refused": int((table["error"] != "").sum()),
    }


def run() -> dict[str, Any]:
    """Backtest and speed figures as a dict (see the module docstring)."""
    out: dict[str, Any] = {"load_average_start": round(os.getloadavg()[0], 2)}
    out.update(_backtest())
    t0 = time.perf_counter()
    market = generate_market(seed=SEED, n_assets=N_ASSETS, n_transactions=N_TRANSACTIONS)
    out |= {
        "market_assets": len(market.assets),
        "market_transactions": len(market.transactions),
        "generate_s": round(time.perf_counter() - t0, 2),
    }
    print("speed ...", file=sys.stderr)
    out.update(_speed(market))
    out.update(_cuad())
    if os.environ.get("IPLEDGER_BENCH_SKIP_LEDGER") != "1":
        print("value_asset on a real ledger ...", file=sys.stderr)
        out.update(_ledger_speed(market))
    out["load_average_end"] = round(os.getloadavg()[0], 2)
    out["run_note"] = (
        "accuracy and coverage figures are deterministic; timings (value_p50_ms, batch_10k_s, ...) "
        "depend on the machine's load (1-minute load averages at start and end beside them)"
    )
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2, sort_keys=True))
