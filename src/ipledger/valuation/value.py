"""value_asset: value one IP asset from the ledger by the market, income and cost approaches."""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import pandas as pd

from ipledger import __version__
from ipledger.errors import IPLedgerError, ValuationError
from ipledger.valuation import _evidence as ev
from ipledger.valuation._canonical import plain
from ipledger.valuation.cost import cost_value
from ipledger.valuation.defaults import SOURCES, TAX_RATE_CN, field_defaults
from ipledger.valuation.income import relief_from_royalty
from ipledger.valuation.reconcile import reconcile
from ipledger.valuation.result import Valuation
from ipledger.valuation.types import MethodResult

__all__ = ["DEFAULT_METHODS", "MODEL_VERSION", "LedgerLike", "value_asset"]

DEFAULT_METHODS: tuple[str, ...] = ("market", "income", "cost")
#: Bump when a formula, default or reconciliation rule changes: it is part of every report hash.
MODEL_VERSION = f"ipledger.valuation 1.0 (ipledger {__version__})"


class LedgerLike(Protocol):
    """What value_asset needs from a ledger (``ipledger.ledger.Ledger`` implements it).

    ``transactions()`` is called without arguments and must leave out void and superseded
    records. Work derived from the frames (the licence table) is cached per ledger object and
    ``state()``, so a ledger must report a new state whenever its data change.
    """

    def assets(self) -> pd.DataFrame: ...

    def transactions(self) -> pd.DataFrame: ...

    def state(self) -> tuple[int, str]: ...


def _load_market() -> Callable[..., MethodResult] | None:
    # The market approach pulls in scikit-learn: import it on demand.
    try:
        module = importlib.import_module("ipledger.valuation.market")
    except ImportError:
        return None
    fn = getattr(module, "market_approach", None)
    return fn if callable(fn) else None


def _insufficient(method: str, reason: str, n_data: int = 0, **details: Any) -> MethodResult:
    return MethodResult(method, 0.0, 0.0, 0.0, n_data=n_data, sufficient=False, details=details, warnings=(reason,))


def _market(ctx: ev.Context, asset_id: str) -> tuple[MethodResult, list[dict[str, Any]]]:
    fn = _load_market()
    if fn is None:
        return _insufficient("market", "market approach unavailable (ipledger.valuation.market not importable)"), []
    try:
        # the whole frame (the market approach uses only trades before as_of and caches per frame)
        result = fn(ctx.assets, ctx.all_transactions, asset_id, ctx.as_of, dict(ctx.given))
    except IPLedgerError as exc:
        return _insufficient("market", f"market approach failed: {exc}"), []
    if not isinstance(result, MethodResult):
        raise ValuationError(f"market_approach returned {type(result).__name__}, expected MethodResult")
    comparables = [plain(c, digits=None) for c in result.details.get("comparables", [])]
    return result, comparables


def _income(ctx: ev.Context, field: str, remaining: float) -> MethodResult:
    _, d = field_defaults(field)
    if ctx.given.get("royalty_rate") is not None:
        point = float(ctx.given["royalty_rate"])
        low_rate = float(ctx.given.get("royalty_rate_low", point))
        high_rate = float(ctx.given.get("royalty_rate_high", point))
        rates: dict[str, Any] = {"licences": [], "source": "inputs"}
        n_data = 0
    else:
        rates = ev.royalty_distribution(ctx, field)
        low_rate, point, high_rate, n_data = rates["p10"], rates["p50"], rates["p90"], rates["n"]
    ctx.used["royalty_rate"] = {"p10": low_rate, "p50": point, "p90": high_rate, "n": n_data, "source": rates["source"]}
    tax = float(ctx.pick("tax_rate", TAX_RATE_CN, SOURCES["cn_eit"]))
    k = float(ctx.pick("discount_rate", d.discount_rate, f"default for {field}: {SOURCES[d.discount_source]}"))
    spread = float(ctx.pick("discount_rate_spread", 0.02, "assumption: +/-2 points of discount-rate uncertainty"))
    mid_year = bool(ctx.pick("mid_year", False, "year-end discounting (Chinese appraisal convention)"))
    tab = ctx.pick("tab_period", None, "no tax amortisation benefit (value in use)")
    details = {"licences": rates["licences"], "royalty_source": rates["source"]}
    if remaining <= 0:
        return _insufficient("income", "no remaining useful life", n_data, **details)
    flows = ev.revenue_forecast(ctx, remaining)
    if flows is None:
        return _insufficient("income", "no revenue forecast (give inputs 'revenues' or 'revenue')", n_data, **details)

    def rfr(rate: float, disc: float) -> float:
        return relief_from_royalty(flows, rate, tax, disc, mid_year=mid_year, tab_period=tab)

    value = rfr(point, k)
    low = min(value, rfr(low_rate, k + spread))
    high = max(value, rfr(high_rate, max(k - spread, -0.99)))
    warnings = () if n_data else ("royalty rate not from ledger licences",)
    details.update(years=len(flows), remaining_life=remaining, discount_rate=k, tax_rate=tax)
    return MethodResult("income", value, low, high, n_data=n_data, sufficient=True, details=details, warnings=warnings)


def _cost(ctx: ev.Context, remaining: float, used: float | None) -> MethodResult:
    rd = ctx.asset.get("rd_cost")
    recorded = None if rd is None or (isinstance(rd, float) and math.isnan(rd)) else float(rd)
    cost = ctx.pick("rd_cost", recorded, "the asset's recorded development cost in the ledger")
    inflation = float(ctx.pick("cost_inflation", 0.02, "assumption: 2% a year, near China's average CPI 2010-2020"))
    func = float(ctx.pick("functional_obsolescence", 0.0, "assumption: none"))
    econ = float(ctx.pick("economic_obsolescence", 0.0, "assumption: none"))
    factor = float(
        ctx.pick(
            "cost_range_factor",
            2.0,
            "assumption: range value/2 to value*2; development cost is a weak guide to the value of income-"
            "producing IP (IVS 210 prefers market or income approaches for it)",
        )
    )
    if factor < 1:
        raise ValuationError(f"cost_range_factor must be >= 1, got {factor}")
    if cost is None or float(cost) <= 0:
        return _insufficient("cost", "no recorded development cost (rd_cost)")
    if used is None:
        return _insufficient("cost", "age unknown (no filing or grant date; give inputs 'years_used')", 1)
    if remaining <= 0:
        return _insufficient("cost", "no remaining useful life", 1)
    change = ctx.pick("price_change", (1.0 + inflation) ** used - 1.0, "cost_inflation compounded over years used")
    value = cost_value(
        float(cost),
        used,
        remaining,
        price_change=float(change),
        functional_obsolescence=func,
        economic_obsolescence=econ,
    )
    details = {"rd_cost": float(cost), "price_change": float(change), "years_used": used, "years_remaining": remaining}
    return MethodResult("cost", value, value / factor, value * factor, n_data=1, details=details)


def value_asset(
    ledger: LedgerLike,
    asset_id: str,
    *,
    as_of: Any = None,
    methods: Sequence[str] = DEFAULT_METHODS,
    inputs: dict[str, Any] | None = None,
    min_methods: int = 1,
) -> Valuation:
    """Value one IP asset from the ledger's records and reconcile the approaches.

    Market: ``market_approach`` on the ledger's comparable trades. Income:
    relief from royalty with the royalty-rate distribution of comparable ledger licences (same
    kind and field: median as point, 10th-90th percentiles as range), a revenue forecast from
    ``inputs``, tax and discount rates and the remaining life from ``inputs`` or documented
    defaults. Cost: the recorded ``rd_cost`` indexed to ``as_of``, less used/(used+remaining).

    Args:
        ledger: any object with ``assets()``, ``transactions()`` and ``state()`` returning the
            ledger's frames (see :class:`LedgerLike`).
        asset_id: the asset's ``0x`` hex id, or its registry number when the ledger can resolve it.
        as_of: valuation date (str, date or Timestamp); None means today (UTC). Records dated
            after it are ignored.
        methods: approaches to run, any of ``"market"``, ``"income"``, ``"cost"``.
        inputs: optional inputs, money in major units and rates as fractions: ``revenues``
            (list per year) or ``revenue`` with ``revenue_growth``; ``royalty_rate`` (with
            ``royalty_rate_low``/``_high``), ``tax_rate``, ``discount_rate``,
            ``discount_rate_spread``, ``mid_year``, ``tab_period``, ``remaining_life`` and
            ``years_used`` (years), ``rd_cost``, ``cost_inflation`` or ``price_change``,
            ``functional_obsolescence``, ``economic_obsolescence``, ``cost_range_factor``,
            ``currency``, ``field``; market inputs are passed on to the market approach.
        min_methods: fewest sufficient methods accepted.

    Returns:
        The :class:`Valuation`.

    Raises:
        ValuationError: unknown asset or method, invalid inputs, or data too thin for a value.
    """
    unknown = sorted(set(methods) - set(DEFAULT_METHODS))
    if unknown or not methods:
        raise ValuationError(f"methods must be a non-empty subset of {DEFAULT_METHODS}, got {list(methods)}")
    chosen = [m for m in DEFAULT_METHODS if m in methods]
    given = dict(inputs or {})
    if not str(asset_id).startswith("0x") and hasattr(ledger, "resolve_asset"):
        asset_id = ledger.resolve_asset(asset_id)  # a registry number
    assets = ledger.assets()
    asset = ev.asset_row(assets, asset_id)
    stamp = ev.as_of_timestamp(as_of)
    block, block_hash = ledger.state()
    ctx = ev.Context(
        ledger=ledger,
        state=(int(block), str(block_hash)),
        asset=asset,
        assets=assets,
        all_transactions=ledger.transactions(),
        as_of=stamp,
        given=given,
    )

    cur = ev.currency(ctx)
    field = ev.field_name(ctx)
    _, d = field_defaults(field)
    economic_life = float(ctx.pick("economic_life", d.economic_life, f"default for {field}: {SOURCES[d.life_source]}"))
    remaining, used = ev.lives(ctx, economic_life)

    results: list[MethodResult] = []
    comparables: list[dict[str, Any]] = []
    if "market" in chosen:
        market, comparables = _market(ctx, str(asset["asset_id"]))
        results.append(market)
    try:  # the caller's inputs are converted with float(); name the failure as a valuation error
        if "income" in chosen:
            results.append(_income(ctx, field, remaining))
        if "cost" in chosen:
            results.append(_cost(ctx, remaining, used))
    except (TypeError, ValueError) as exc:
        if isinstance(exc, IPLedgerError):
            raise
        raise ValuationError(f"invalid valuation input: {exc}") from exc
    rec = reconcile(results, min_methods=min_methods)
    extra = {k: v for k, v in given.items() if k not in ctx.used}
    return Valuation(
        asset_id=str(asset["asset_id"]),
        as_of=stamp.date().isoformat(),
        currency=cur,
        value=rec.value,
        low=rec.low,
        high=rec.high,
        methods=list(rec.methods),
        weights=rec.weights,
        comparables=comparables,
        inputs=plain(
            {
                **extra,
                **ctx.used,
                "methods": chosen,
                "min_methods": min_methods,
                # What the caller passed, so that an auditor can re-run exactly this valuation.
                "caller_inputs": dict(inputs or {}),
            },
            digits=None,
        ),
        assumptions=dict(sorted(ctx.assumptions.items())),
        warnings=[*ctx.warnings, *rec.warnings],
        model_version=MODEL_VERSION,
        state_block=int(block),
        state_hash=str(block_hash),
    )
