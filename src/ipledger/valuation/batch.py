"""Value many assets at once: the insurer's portfolio revaluation.

``value_assets`` runs the same approaches as ``value_asset`` and reconciles them the same way,
but shares the work: the market approach is one vectorised prediction for every asset
(``market.value_many``), and no per-asset report (comparables list, canonical JSON, hash) is
built. It returns a table; value any single asset with ``value_asset`` for its full,
anchorable report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pandas as pd

from ipledger.errors import IPLedgerError, ValuationError
from ipledger.valuation import _evidence as ev
from ipledger.valuation.defaults import field_defaults
from ipledger.valuation.engagement import Engagement
from ipledger.valuation.fx import load_fx
from ipledger.valuation.reconcile import METHOD_ERROR_SD, reconcile
from ipledger.valuation.types import MethodResult
from ipledger.valuation.value import DEFAULT_METHODS, _cost, _income, _insufficient


def _in_currency(result: MethodResult | None, cur: str, stamp: pd.Timestamp, given: dict[str, Any]) -> MethodResult:
    """A market result (in the FX table's base currency) in the valuation currency ``cur``."""
    if result is None:
        return _insufficient("market", "why.market_unavailable")
    fx = load_fx(given.get("fx_table"))
    if cur == fx.base or not result.sufficient:
        return result
    rate = fx.convert(1.0, fx.base, cur, stamp)
    if rate is None:
        return _insufficient("market", "why.market_currency", base=fx.base, currency=cur)
    return replace(result, value=result.value * rate, low=result.low * rate, high=result.high * rate)


def value_assets(
    ledger: Any,
    asset_ids: Sequence[str],
    *,
    as_of: Any = None,
    methods: Sequence[str] = DEFAULT_METHODS,
    inputs: dict[str, Any] | None = None,
    min_methods: int = 1,
    engagement: Engagement | dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Value ``asset_ids`` from the ledger; one row per asset.

    Args:
        ledger: as for :func:`~ipledger.valuation.value.value_asset`.
        asset_ids: ``0x`` asset ids.
        as_of: valuation date (None: today, UTC).
        methods: approaches to run.
        inputs: inputs shared by every asset (see ``value_asset``).
        min_methods: fewest sufficient methods accepted per asset.
        engagement: the engagement shared by every asset (see ``value_asset``).

    Returns:
        Columns ``asset_id``, ``currency``, ``value``, ``low``, ``high`` (major units), and for
        each method ``<method>_value``, ``<method>_weight``; ``error`` holds the reason when the
        data cannot support a value for an asset (its value is then NaN), never a silent number.
    """
    chosen = [m for m in DEFAULT_METHODS if m in methods]
    if not chosen:
        raise ValuationError(f"methods must be a non-empty subset of {DEFAULT_METHODS}, got {list(methods)}")
    given = dict(inputs or {})
    eng = Engagement.of(engagement)
    sds = {**METHOD_ERROR_SD, **dict(given.get("method_error_sd") or {})}
    assets = ledger.assets()
    transactions = ledger.transactions()
    stamp = ev.as_of_timestamp(as_of)
    block, block_hash = ledger.state()
    resolve = getattr(ledger, "resolve_asset", None)
    ids = [str(a).lower() if str(a).startswith("0x") or resolve is None else resolve(str(a)) for a in asset_ids]

    market: dict[str, MethodResult] = {}
    if "market" in chosen:
        from ipledger.valuation.market import MIN_COMPARABLES, value_many

        table = value_many(assets, transactions, ids, stamp, fx=load_fx(given.get("fx_table")))
        for row in table.itertuples(index=False):
            sufficient = bool(row.sufficient)
            warnings = () if sufficient else (f"fewer than {MIN_COMPARABLES} comparables",)
            market[str(row.asset_id)] = MethodResult(
                "market",
                float(row.value),
                float(row.low),
                float(row.high),
                int(row.n_data),
                sufficient,
                warnings=warnings,
            )

    by_id = assets.set_index("asset_id", drop=False)
    rows: list[dict[str, Any]] = []
    for aid in ids:
        out: dict[str, Any] = {"asset_id": aid}
        try:
            asset = by_id.loc[aid].to_dict()
            ctx = ev.Context(
                ledger=ledger,
                state=(int(block), str(block_hash)),
                asset=asset,
                assets=assets,
                all_transactions=transactions,
                as_of=stamp,
                given=dict(given),
            )
            out["currency"] = ev.currency(ctx)
            field = ev.field_name(ctx)
            _, d = field_defaults(field)
            life = ev.lives(
                ctx,
                float(
                    ctx.pick("economic_life", d.economic_life, "src.field_default", field=field, source=d.life_source)
                ),
            )
            results = []
            if "market" in chosen:
                results.append(_in_currency(market.get(aid), out["currency"], stamp, given))
            if "income" in chosen:
                results.append(_income(ctx, field, life, eng))
            if "cost" in chosen:
                results.append(_cost(ctx, life, float(sds["cost"])))
            rec = reconcile(
                results, min_methods=min_methods, error_sd=sds, cost_role=str(given.get("cost_role") or "check")
            )
            out.update(value=rec.value, low=rec.low, high=rec.high, error="")
            for r in rec.methods:
                out[f"{r.method}_value"] = r.value if r.sufficient else float("nan")
                out[f"{r.method}_weight"] = rec.weights.get(r.method, 0.0)
        except (IPLedgerError, KeyError, TypeError, ValueError) as exc:
            out.update(value=float("nan"), low=float("nan"), high=float("nan"), error=str(exc) or type(exc).__name__)
        rows.append(out)
    return pd.DataFrame(rows)
