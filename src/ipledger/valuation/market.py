"""Market approach: a hedonic + comparables model of IP sale prices, and the method result.

The model works on **deflated, life-normalised log prices**: ``z = log(price) - log(I(date)) -
log(life factor)``, with ``I`` the ledger's own price index (see
:func:`~ipledger.valuation.comparables.estimate_price_index`). A value at ``as_of`` is
``exp(z_hat) * I(as_of) * life factor(as_of)``. Features per trade (all from data strictly
before the trade date): asset kind, jurisdiction, field and class (categorical codes), claims,
citations, family size, remaining life, auction flag; and the comparables, as features:
the time-decayed mean ``z`` of the asset's own earlier sales and converted licences (repeat
sales), of earlier sales in the same class code and in the same IPC subclass (or Nice class,
Locarno class), with their decayed weights. :class:`MarketModel` fits a gradient-boosted
hedonic regression on every sale before the valuation date and calibrates its intervals by
conformal prediction on the most recent of those sales, weighted toward the newest (so that
they hold under drift), per Mondrian group (whether the asset, and its class code, traded
before), so that coverage holds for any mix of repeat and first sales.

Training data are sales (assignments, auctions); lump-sum licences enter as converted values
in the asset's own history and in the comparables list; running-royalty licences give the
comparable royalty rates (see :mod:`ipledger.valuation.comparables` for every conversion).
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from ipledger.errors import ValuationError
from ipledger.valuation.comparables import (
    SALE_KINDS,
    ComparableIndex,
    asset_life,
    class_levels,
    estimate_price_index,
    index_at,
    licence_to_value,
    life_factor,
    prepare_trades,
    sale_to_royalty,
    weighted_quantile,
    years_since_2000,
)
from ipledger.valuation.conformal import (
    _LF_FLOOR,
    _MAX_CATEGORIES,
    _TAU_YEARS,
    CATEGORICAL,
    DEFAULT_PARAMS,
    FEATURES,
    MIN_COMPARABLES,
    MIN_SALES,
    MONDRIAN,
    ConformalPredictor,
)
from ipledger.valuation.fx import FxTable, load_fx
from ipledger.valuation.life import legal_expiry_many

if TYPE_CHECKING:
    from ipledger.valuation.market_model import MarketModel

__all__ = [
    "FEATURES",
    "MIN_COMPARABLES",
    "MarketContext",
    "MarketModel",
    "build_context",
    "get_context",
    "market_approach",
    "training_data",
    "value_many",
]
from ipledger.valuation.types import MethodResult


def __getattr__(name: str) -> Any:
    # MarketModel needs scikit-learn: imported when asked for, so that reading a persisted
    # model does not pay for it.
    if name == "MarketModel":
        from ipledger.valuation.market_model import MarketModel

        return MarketModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _Decayed:
    """Time-decayed mean of values per key, over observations strictly before a query time."""

    def __init__(self, keys: np.ndarray, t: np.ndarray, z: np.ndarray, tau: float = _TAU_YEARS) -> None:
        self.tau = tau
        self.groups: dict[Any, tuple[np.ndarray, np.ndarray, np.ndarray, float]] = {}
        for key, rows in pd.Series(keys).groupby(keys, sort=False).indices.items():
            order = rows[np.argsort(t[rows], kind="stable")]
            ts, zs = t[order], z[order]
            t0 = float(ts[0])
            w = np.exp((ts - t0) / tau)
            self.groups[key] = (
                ts,
                np.concatenate([[0.0], np.cumsum(w * zs)]),
                np.concatenate([[0.0], np.cumsum(w)]),
                t0,
            )

    def query(self, keys: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Decayed mean, decayed weight and age (years since the last observation) per query."""
        n = len(keys)
        mean, weight, age = np.full(n, np.nan), np.zeros(n), np.full(n, np.nan)
        for key, rows in pd.Series(keys).groupby(keys, sort=False).indices.items():
            g = self.groups.get(key)
            if g is None:
                continue
            ts, cwz, cw, t0 = g
            k = np.searchsorted(ts, t[rows], side="left")
            decay = np.exp(-(t[rows] - t0) / self.tau)
            w = cw[k] * decay
            with np.errstate(invalid="ignore", divide="ignore"):
                mean[rows] = np.where(k > 0, cwz[k] / cw[k], np.nan)
            weight[rows] = w
            age[rows] = np.where(k > 0, t[rows] - ts[np.maximum(k - 1, 0)], np.nan)
        return mean, weight, age


@dataclass
class MarketContext:
    """Everything the market approach derives once from a ledger snapshot.

    Build with :func:`build_context`; the model is trained on sales before ``cutoff``, while
    features and comparables at a valuation date use every trade strictly before that date.
    """

    assets: pd.DataFrame
    trades: pd.DataFrame
    index: pd.Series
    cutoff: pd.Timestamp
    comps: ComparableIndex
    vocab: dict[str, dict[str, int]]
    own: _Decayed
    own_lic: _Decayed
    code: _Decayed
    sub: _Decayed
    model: ConformalPredictor
    asset_pos: dict[str, int]
    rates: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]
    base_currency: str = "CNY"
    fx_dropped: dict[str, int] = field(default_factory=dict)

    def royalty_rates(self, kind: str, class_code: str, as_of: pd.Timestamp, last: int = 50) -> np.ndarray:
        """Running-royalty rates (fractions) of the latest ``last`` licences of the same kind and
        subclass (IPC subclass, Nice class, ...) before ``as_of``; the whole kind when fewer than 5."""
        cut = np.datetime64(pd.Timestamp(as_of).to_datetime64(), "ns")
        for key in ((kind, class_levels(class_code)[2]), (kind, "")):
            dates, rates = self.rates.get(key, (np.zeros(0, dtype="datetime64[ns]"), np.zeros(0)))
            k = int(np.searchsorted(dates, cut, side="left"))
            if k >= 5 or key[1] == "":
                return rates[max(k - last, 0) : k]
        return np.zeros(0)

    def features(self, rows: pd.DataFrame, dates: np.ndarray, auction: np.ndarray | None = None) -> np.ndarray:
        """Feature matrix (columns :data:`FEATURES`) for asset rows valued at ``dates``."""
        n = len(rows)
        dates = np.asarray(dates, dtype="datetime64[ns]")
        t = years_since_2000(dates)
        kind = rows["kind"].astype(str).to_numpy()
        rem, full = _lives(rows, dates)
        lf = np.clip(life_factor(rem, full), _LF_FLOOR, 1.0)
        levels = [class_levels(c) for c in rows["class_code"].astype(str)]
        sub = np.array([f"{k}|{lv[2]}" for k, lv in zip(kind, levels, strict=True)], dtype=object)
        code = np.array([f"{k}|{lv[4]}" for k, lv in zip(kind, levels, strict=True)], dtype=object)
        aid = rows["asset_id"].to_numpy(dtype=object)
        own_z, own_w, own_age = self.own.query(aid, t)
        lic_z, lic_w, _ = self.own_lic.query(aid, t)
        code_z, code_w, _ = self.code.query(code, t)
        sub_z, sub_w, _ = self.sub.query(sub, t)

        def cat(name: str, values: np.ndarray) -> np.ndarray:
            m = self.vocab[name]
            return np.array([m.get(str(v), np.nan) for v in values], dtype=float)

        X = np.column_stack(
            [
                cat("kind", kind),
                cat("jurisdiction", rows["jurisdiction"].to_numpy()),
                cat("field", rows["field"].to_numpy()),
                cat("subclass", sub),
                np.log1p(rows["claims"].to_numpy(dtype=float)),
                np.log1p(rows["citations"].to_numpy(dtype=float)),
                np.log(rows["family_size"].to_numpy(dtype=float)),
                np.minimum(rem, 60.0),
                np.log(lf),
                np.zeros(n) if auction is None else auction.astype(float),
                own_z,
                own_w,
                own_age,
                lic_z,
                lic_w,
                code_z,
                code_w,
                sub_z,
                sub_w,
            ]
        )
        return X

    def multiplier(self, rows: pd.DataFrame, dates: np.ndarray) -> np.ndarray:
        """``I(date) * life factor``: turns a deflated value into major units at ``dates``."""
        rem, full = _lives(rows, np.asarray(dates, dtype="datetime64[ns]"))
        return np.asarray(index_at(self.index, dates) * life_factor(rem, full))


def _lives(rows: pd.DataFrame, dates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Remaining and full life in years (inf when unlimited) of asset rows at ``dates``."""
    kind = rows["kind"].astype(str).to_numpy()
    filing = rows["filing_date"].to_numpy(dtype="datetime64[ns]")
    # the same legal life as the income approach: a pending patent ends at its statutory term
    expiry = legal_expiry_many(kind, filing, rows["expiry_date"].to_numpy(dtype="datetime64[ns]"))
    unlimited = np.isnat(expiry)
    year_ns = 365.25 * 86400e9
    with np.errstate(invalid="ignore"):
        rem = np.where(unlimited, np.inf, np.clip((expiry - dates).astype(np.int64) / year_ns, 0, None))
        full = np.where(unlimited, np.inf, (expiry - filing).astype(np.int64) / year_ns)
    return rem, full


def _vocab(values: pd.Series) -> dict[str, int]:
    top = values.astype(str).value_counts().index[:_MAX_CATEGORIES]
    return {v: i for i, v in enumerate(sorted(top))}


def build_context(
    assets: pd.DataFrame,
    transactions: pd.DataFrame,
    cutoff: pd.Timestamp,
    model: MarketModel | None = None,
    random_state: int = 0,
    store: Path | None = None,
    state_key: object = None,
    fx: FxTable | None = None,
    consent: str = "any",
) -> MarketContext:
    """Prepare trades, the price index, comparables and a fitted model from a ledger snapshot.

    Args:
        assets: assets frame (indexer schema).
        transactions: transactions frame (indexer schema; void records are dropped).
        cutoff: the model and the price index use sales strictly before this date.
        model: an unfitted (or fitted) MarketModel; default ``MarketModel(random_state=...)``.
        random_state: seed of the default model.
        store: folder of persisted models (see :mod:`ipledger.valuation.model_store`): an
            unfitted model is read from there when its key matches, else fitted and written.
        state_key: what identifies the data (the ledger state); None hashes the frames.
        fx: exchange rates to convert amounts at their dates (default: the shipped table).
        consent: comparables by party consent, "any", "prefer" or "require" (see
            ``comparables.consent_filter``).
    """
    cutoff = pd.Timestamp(cutoff)
    fx = fx if fx is not None else load_fx()
    trades = prepare_trades(assets, transactions, fx, consent)
    known = trades[trades["date"] < cutoff]
    if int((known["tx_kind"].isin(SALE_KINDS) & (known["amount"] > 0)).sum()) < MIN_SALES:
        raise ValuationError(
            f"fewer than {MIN_SALES} sales before {cutoff.date()}: the market approach needs more data"
        )
    path, key, stored = None, "", None
    if store is not None and model is None:
        # A model fitted earlier on the same data, read back without importing scikit-learn;
        # the price index it was fitted with is kept beside it.
        from ipledger.valuation import model_store

        data = repr(state_key) if state_key is not None else _fingerprint(assets, transactions, cutoff)
        params = DEFAULT_PARAMS | {
            "categorical_features": CATEGORICAL,
            "mondrian_features": MONDRIAN,
            "random_state": random_state,
        }
        key = model_store.model_key(data, params, {"cutoff": cutoff.isoformat(), "consent": consent})
        path = Path(store) / f"market-{key[:24]}.npz"
        stored = model_store.load_model(path, key)
    if stored is not None and {"index_dates", "index_values"} <= set(stored[1]):
        extra = stored[1]
        index = pd.Series(extra["index_values"], index=pd.DatetimeIndex(extra["index_dates"]), name="price_index")
    else:
        stored = None
        index = estimate_price_index(known)
    date = trades["date"].to_numpy(dtype="datetime64[ns]")
    lf = np.clip(trades["lf"].to_numpy(), _LF_FLOOR, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        trades["z"] = np.log(trades["value"].to_numpy(dtype=float)) - np.log(index_at(index, date)) - np.log(lf)
    sale = trades["tx_kind"].isin(SALE_KINDS).to_numpy() & np.isfinite(trades["z"].to_numpy())
    lic = ~trades["tx_kind"].isin(SALE_KINDS).to_numpy() & np.isfinite(trades["z"].to_numpy())
    kind = trades["kind"].astype(str)
    sub_key = (kind + "|" + trades["L2"].astype(str)).to_numpy(dtype=object)
    code_key = (kind + "|" + trades["L4"].astype(str)).to_numpy(dtype=object)
    t = trades["t"].to_numpy()
    z = trades["z"].to_numpy()
    aid = trades["asset_id"].to_numpy(dtype=object)
    sub_all = pd.Series(
        [
            f"{k}|{class_levels(c)[2]}"
            for k, c in zip(assets["kind"].astype(str), assets["class_code"].astype(str), strict=True)
        ]
    )
    vocab = {
        "kind": _vocab(assets["kind"]),
        "jurisdiction": _vocab(assets["jurisdiction"]),
        "field": _vocab(assets["field"]),
        "subclass": _vocab(sub_all),
    }
    ctx = MarketContext(
        assets=assets,
        trades=trades,
        index=index,
        cutoff=cutoff,
        comps=ComparableIndex(trades, index),
        vocab=vocab,
        own=_Decayed(aid[sale], t[sale], z[sale]),
        own_lic=_Decayed(aid[lic], t[lic], z[lic]),
        code=_Decayed(code_key[sale], t[sale], z[sale]),
        sub=_Decayed(sub_key[sale], t[sale], z[sale]),
        model=stored[0] if stored is not None else (model if model is not None else _new_model(random_state)),
        asset_pos={a: i for i, a in enumerate(assets["asset_id"])},
        rates=_rate_table(trades),
        base_currency=fx.base,
        fx_dropped=dict(trades.attrs.get("fx_dropped", {})),
    )
    if not hasattr(ctx.model, "trees_"):
        fresh = cast("MarketModel", ctx.model)
        fresh.set_params(categorical_features=CATEGORICAL, mondrian_features=MONDRIAN)
        # Train on every sale before the cutoff (the valuation date's data), in time order:
        # the model calibrates its intervals on the newest of them.
        train = trades[sale & (trades["date"] < cutoff).to_numpy()]
        X, y = training_data(ctx, train)
        fresh.fit(X, y, sample_time=train["t"].to_numpy(dtype=float))
        if path is not None:
            extra = {
                "index_dates": index.index.to_numpy(),  # datetime64 in its own unit (no pickle needed)
                "index_values": index.to_numpy(dtype=float),
            }
            _persist(path, fresh, key, extra)
    return ctx


def _fingerprint(assets: pd.DataFrame, transactions: pd.DataFrame, cutoff: pd.Timestamp) -> str:
    """sha-256 over the assets and the transactions before ``cutoff`` (every column)."""
    h = hashlib.sha256()
    tx = transactions[pd.to_datetime(transactions["date"]) < cutoff] if "date" in transactions else transactions
    for frame in (assets, tx):
        plain = frame.apply(lambda c: c.map(repr) if c.dtype == object else c)
        h.update(pd.util.hash_pandas_object(plain, index=False).to_numpy().tobytes())
        h.update(repr(list(frame.columns)).encode())
    return h.hexdigest()


def _new_model(random_state: int) -> MarketModel:
    from ipledger.valuation.market_model import MarketModel

    return MarketModel(random_state=random_state)


def _persist(path: Path, model: MarketModel, key: str, extra: dict[str, np.ndarray], keep: int = 4) -> None:
    """Write the model beside the ledger; keep the ``keep`` newest files. A folder that cannot
    be written only costs a refit next time."""
    from ipledger.valuation import model_store

    try:
        model_store.save_model(path, model, key, extra)
        old = sorted(path.parent.glob("market-*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in old[keep:]:
            stale.unlink(missing_ok=True)
    except OSError:
        pass


def _rate_table(trades: pd.DataFrame) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    """Licences with a running royalty by (kind, subclass) and by (kind, ""), in date order."""
    rate = trades["royalty_rate"].fillna(0) if "royalty_rate" in trades else pd.Series(0.0, index=trades.index)
    lic = trades[(trades["tx_kind"] == "licence") & (rate > 0)]
    out: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
    for keys in (["kind", "L2"], ["kind"]):
        for key, g in lic.groupby(keys):
            k = (str(key[0]), str(key[1]) if len(keys) == 2 else "")
            out[k] = (g["date"].to_numpy(dtype="datetime64[ns]"), g["royalty_rate"].to_numpy(dtype=float))
    return out


def training_data(ctx: MarketContext, sales: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Features (at each sale's date) and deflated log prices of ``sales`` (rows of ctx.trades)."""
    rows = ctx.assets.iloc[[ctx.asset_pos[a] for a in sales["asset_id"]]]
    X = ctx.features(rows, sales["date"].to_numpy(), auction=(sales["tx_kind"] == "auction").to_numpy())
    return X, sales["z"].to_numpy(dtype=float)


_CACHE: OrderedDict[tuple[object, ...], MarketContext] = OrderedDict()
_CACHE_SIZE = 4


def get_context(
    assets: pd.DataFrame,
    transactions: pd.DataFrame,
    as_of: pd.Timestamp,
    model: MarketModel | None = None,
    fx: FxTable | None = None,
) -> MarketContext:
    """Cached :func:`build_context` for a valuation at ``as_of``.

    The model is trained on every sale strictly before ``as_of``: the cutoff is the day after
    the last trade before ``as_of``, so every valuation date after the same last trade shares
    one fitted model. Frames from an ipledger ``Ledger`` carry their ledger state and the
    folder of persisted models (``attrs["ledger_state"]``, ``attrs["model_dir"]``): the fitted
    model is then read from that folder when its key (ledger state, cutoff, model settings and
    version) matches, so a new process does not refit on an unchanged ledger.
    """
    as_of = pd.Timestamp(as_of)
    dates = pd.to_datetime(transactions["date"]) if len(transactions) else pd.Series(dtype="datetime64[ns]")
    before = dates[dates < as_of]
    cutoff = (before.max().normalize() + pd.Timedelta(days=1)) if len(before) else as_of.normalize()
    # Identity plus a cheap fingerprint, so that a new frame reusing a freed id is not mistaken.
    last = int(transactions["record_id"].iloc[-1]) if len(transactions) and "record_id" in transactions else 0
    # Frames from an ipledger Ledger carry the state they were built from: key on that, since
    # the Ledger hands out a fresh frame object on every call.
    tx_tag = transactions.attrs.get("ledger_state") or id(transactions)
    asset_tag = assets.attrs.get("ledger_state") or id(assets)
    fx = fx if fx is not None else load_fx()
    key = (tx_tag, len(transactions), last, asset_tag, len(assets), cutoff, fx.digest)
    if model is None and key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    model_dir = transactions.attrs.get("model_dir")
    state = transactions.attrs.get("ledger_state")
    if model is None and model_dir and state is not None and state == assets.attrs.get("ledger_state"):
        ctx = build_context(assets, transactions, cutoff, store=Path(model_dir), state_key=(state, fx.digest), fx=fx)
    else:
        ctx = build_context(assets, transactions, cutoff, model, fx=fx)
    if model is None:
        _CACHE[key] = ctx
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return ctx


def _subject(ctx: MarketContext, asset_id: str) -> pd.DataFrame:
    pos = ctx.asset_pos.get(asset_id)
    if pos is None:
        raise ValuationError(f"asset {asset_id} is not in the assets frame")
    return ctx.assets.iloc[[pos]]


def market_approach(
    assets: pd.DataFrame,
    transactions: pd.DataFrame,
    asset_id: str,
    as_of: pd.Timestamp,
    inputs: dict[str, Any] | None = None,
    model: MarketModel | None = None,
) -> MethodResult:
    """Value one asset from comparable trades on the ledger.

    Args:
        assets: assets frame (indexer schema).
        transactions: transactions frame (indexer schema).
        asset_id: the subject ("0x" + 64 hex).
        as_of: valuation date; only trades before it are used.
        inputs: optional ``coverage`` (of the low-high range, default 0.8), ``k`` (comparables
            listed, default 25), ``licence`` (``{"exclusivity": ..., "territory": ...}`` to
            prefer comparables with those terms), ``annual_revenue`` (major units a year; adds
            the implied royalty rate of the value).
        model: a MarketModel to use (fitted: used as is; unfitted: fitted here); default a
            cached model per ledger snapshot and year.

    Returns:
        MethodResult(method="market") with value/low/high in major units of the ledger's
        currency; ``n_data`` = number of comparables; ``details["comparables"]`` lists them.
    """
    inputs = dict(inputs or {})
    as_of = pd.Timestamp(as_of)
    ctx = get_context(assets, transactions, as_of, model, fx=load_fx(inputs.get("fx_table")))
    subj = _subject(ctx, asset_id)
    coverage = float(inputs.get("coverage", 0.8))
    X = ctx.features(subj, np.array([as_of.to_datetime64()]))
    z_hat = float(ctx.model.predict(X)[0])
    half = float(ctx.model.conformal_width(coverage, X)[0])
    index_now = float(index_at(ctx.index, [as_of.to_datetime64()])[0])
    rem, full = asset_life(subj.iloc[0], as_of)
    lf = float(life_factor(rem, full))
    mult = index_now * lf
    value, low, high = math.exp(z_hat) * mult, math.exp(z_hat - half) * mult, math.exp(z_hat + half) * mult
    comps = ctx.comps.select(subj.iloc[0], as_of, k=int(inputs.get("k", 25)), licence=inputs.get("licence"))
    warnings: list[str] = []
    if len(comps) < MIN_COMPARABLES:
        warnings.append(f"only {len(comps)} comparable trades before {as_of.date()} (fewer than {MIN_COMPARABLES})")
    if lf == 0.0:
        warnings.append("the asset has no remaining life at the valuation date")
    if ctx.fx_dropped:
        n, codes = sum(ctx.fx_dropped.values()), ", ".join(sorted(ctx.fx_dropped))
        warnings.append(f"{n} trade(s) in {codes} left out of the market evidence: the FX table cannot convert them")
    status = str(subj.iloc[0].get("status", ""))
    if status in ("lapsed", "invalidated", "expired", "ownership_dispute", "infringement_dispute"):
        warnings.append(f"asset status is {status}; comparable prices assume a valid, undisputed right")
    details: dict[str, Any] = {
        "currency": ctx.base_currency,
        "base_currency": ctx.base_currency,
        "fx_dropped": dict(ctx.fx_dropped),
        "as_of": as_of.date().isoformat(),
        "model_cutoff": ctx.cutoff.date().isoformat(),
        "price_index_at_as_of": index_now,
        "life_factor": lf,
        "remaining_years": None if math.isinf(rem) else rem,
        "log_deflated_value": z_hat,
        "coverage": coverage,
        "comparables": [_comparable_dict(r) for r in comps.itertuples(index=False)],
    }
    if len(comps):
        adj = comps["adjusted_value"].to_numpy(dtype=float)
        details["comparables_weighted_median"] = weighted_quantile(adj, comps["weight"].to_numpy(), 0.5)
    rates = ctx.royalty_rates(str(subj.iloc[0]["kind"]), str(subj.iloc[0]["class_code"]), as_of)
    details["comparable_royalty_rates"] = {
        "n": len(rates),
        "median": float(np.median(rates)) if len(rates) else None,
        "p25": float(np.quantile(rates, 0.25)) if len(rates) else None,
        "p75": float(np.quantile(rates, 0.75)) if len(rates) else None,
    }
    revenue = inputs.get("annual_revenue")
    if revenue:
        # Sale -> implied rate, and the comparable licences' median rate capitalised over the
        # remaining life as a whole-asset (exclusive) value; see the comparables module.
        details["implied_royalty_rate"] = sale_to_royalty(value, rem, float(revenue))
        if len(rates):
            details["royalty_capitalised_value"] = licence_to_value(
                0.0, "exclusive", rem, rem, royalty_rate=float(np.median(rates)), revenue=float(revenue)
            )
    return MethodResult(
        method="market",
        value=value,
        low=low,
        high=high,
        n_data=len(comps),
        sufficient=len(comps) >= MIN_COMPARABLES,
        details=details,
        warnings=tuple(warnings),
    )


def _comparable_dict(r: Any) -> dict[str, Any]:
    log_index = getattr(r, "log_index", None)
    tx_hash = getattr(r, "tx_hash", None)
    if isinstance(tx_hash, bytes | bytearray):
        tx_hash = "0x" + bytes(tx_hash).hex()
    elif tx_hash is not None and not isinstance(tx_hash, str):
        tx_hash = None if pd.isna(tx_hash) else str(tx_hash)
    return {
        "record_id": int(r.record_id),
        "tx_hash": tx_hash,
        "log_index": None if log_index is None or pd.isna(log_index) else int(log_index),
        "date": pd.Timestamp(r.date).date().isoformat(),
        "amount": float(r.amount),
        "currency": str(getattr(r, "currency", "") or ""),
        "amount_original": float(getattr(r, "amount_original", r.amount)),
        "currency_original": str(getattr(r, "currency_original", getattr(r, "currency", "")) or ""),
        "weight": float(r.weight),
        "asset_id": str(r.asset_id),
        "kind": str(r.tx_kind),
        "adjusted_value": float(r.adjusted_value),
    }


def value_many(
    assets: pd.DataFrame,
    transactions: pd.DataFrame,
    asset_ids: Any,
    as_of: pd.Timestamp,
    coverage: float = 0.8,
    model: MarketModel | None = None,
    fx: FxTable | None = None,
) -> pd.DataFrame:
    """Market values of many assets at once (vectorised features and predictions).

    Returns:
        One row per asset id: ``asset_id``, ``value``, ``low``, ``high`` (major units of the FX
        table's base currency, ``fx`` default the shipped table: CNY),
        ``n_data`` (comparables found, at most 25) and ``sufficient``.
    """
    as_of = pd.Timestamp(as_of)
    ctx = get_context(assets, transactions, as_of, model, fx=fx)
    ids = list(asset_ids)
    missing = [a for a in ids if a not in ctx.asset_pos]
    if missing:
        raise ValuationError(f"{len(missing)} asset ids are not in the assets frame, e.g. {missing[0]}")
    rows = ctx.assets.iloc[[ctx.asset_pos[a] for a in ids]]
    dates = np.full(len(ids), as_of.to_datetime64(), dtype="datetime64[ns]")
    X = ctx.features(rows, dates)
    z_hat = ctx.model.predict(X)
    half = ctx.model.conformal_width(coverage, X)
    mult = ctx.multiplier(rows, dates)
    n_data = np.array([ctx.comps.count(r, as_of) for r in rows[["kind", "class_code"]].to_dict("records")], dtype=int)
    return pd.DataFrame(
        {
            "asset_id": ids,
            "value": np.exp(z_hat) * mult,
            "low": np.exp(z_hat - half) * mult,
            "high": np.exp(z_hat + half) * mult,
            "n_data": n_data,
            "sufficient": n_data >= MIN_COMPARABLES,
        }
    )
