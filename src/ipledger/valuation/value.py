"""value_asset: value one IP asset from the ledger by the market, income and cost approaches."""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Protocol

import numpy as np
import pandas as pd

from ipledger import __version__
from ipledger.errors import IPLedgerError, ValuationError
from ipledger.valuation import _evidence as ev
from ipledger.valuation._canonical import plain
from ipledger.valuation.comparables import CONSENT_CHOICES
from ipledger.valuation.cost import cost_value, depreciation_rate
from ipledger.valuation.defaults import TAB_PERIODS, TAX_RATE_CN, field_defaults
from ipledger.valuation.engagement import Engagement
from ipledger.valuation.excess import ContributoryAssets, excess_margin
from ipledger.valuation.fx import DEFAULT_TABLE, load_fx
from ipledger.valuation.life import Life
from ipledger.valuation.reconcile import METHOD_ERROR_SD, METHOD_ERROR_SOURCE, Z80, reconcile
from ipledger.valuation.result import Valuation
from ipledger.valuation.simulate import SEED, Stream, present_values, simulate, tab_factors
from ipledger.valuation.types import MethodResult

__all__ = ["DEFAULT_METHODS", "MODEL_VERSION", "LedgerLike", "value_asset"]

DEFAULT_METHODS: tuple[str, ...] = ("market", "income", "cost")
#: Bump when a formula, default or reconciliation rule changes: it is part of every report hash.
MODEL_VERSION = f"ipledger.valuation 2.0 (ipledger {__version__})"
#: Income methods: relief from royalty, or multi-period excess earnings.
INCOME_METHODS = ("relief_from_royalty", "excess_earnings")


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


def _insufficient(
    method: str, key: str, n_data: int = 0, details: dict[str, Any] | None = None, **fields: Any
) -> MethodResult:
    """A method without enough data: weight 0 and the reason (English, and as a message key)."""
    info = dict(details or {})
    info["notes"] = [{"key": key, "fields": fields}]
    return MethodResult(
        method, 0.0, 0.0, 0.0, n_data=n_data, sufficient=False, details=info, warnings=(ev.english(key, fields),)
    )


def _market(ctx: ev.Context, asset_id: str, cur: str) -> tuple[MethodResult, list[dict[str, Any]]]:
    fn = _load_market()
    if fn is None:
        return _insufficient("market", "why.market_unavailable"), []
    try:
        # the whole frame (the market approach uses only trades before as_of and caches per frame)
        result = fn(ctx.assets, ctx.all_transactions, asset_id, ctx.as_of, dict(ctx.given))
    except IPLedgerError as exc:
        return _insufficient("market", "why.market_failed", error=str(exc)), []
    if not isinstance(result, MethodResult):
        raise ValuationError(f"market_approach returned {type(result).__name__}, expected MethodResult")
    result, comparables = _market_in(ctx, result, cur)
    return result, [plain(c, digits=None) for c in comparables]


def _market_in(ctx: ev.Context, result: MethodResult, cur: str) -> tuple[MethodResult, list[dict[str, Any]]]:
    """The market result and comparables in the valuation currency (the market approach works in
    the FX table's base currency; amounts it could not convert were left out)."""
    comparables = list(result.details.get("comparables", []))
    base = str(result.details.get("base_currency") or "")
    if not base or base == cur or not result.sufficient:
        return result, comparables
    fx = load_fx(ctx.given.get("fx_table"))
    rate = fx.convert(1.0, base, cur, ctx.as_of)
    if rate is None:
        return _insufficient("market", "why.market_currency", base=base, currency=cur), []
    for c in comparables:
        if c.get("adjusted_value") is not None:
            c["adjusted_value"] = float(c["adjusted_value"]) * rate
    details = {**result.details, "fx_to_valuation_currency": rate, "comparables": comparables}
    return replace(
        result, value=result.value * rate, low=result.low * rate, high=result.high * rate, details=details
    ), comparables


def _tab(ctx: ev.Context, eng: Engagement) -> int | None:
    if "tab_period" in ctx.given:  # the caller's choice, None (or 0) meaning no TAB
        period = ctx.given["tab_period"]
        ctx.used["tab_period"] = int(period) if period else None
        return ctx.used["tab_period"]  # type: ignore[no-any-return]
    jurisdiction = str(ctx.asset.get("jurisdiction") or "").upper()
    if not eng.tab_applies:
        return ctx.pick("tab_period", None, "src.no_tab_basis", basis=eng.basis)  # type: ignore[no-any-return]
    known = TAB_PERIODS.get(jurisdiction)
    if known is None:
        ctx.warn("warn.no_tab_period", jurisdiction=jurisdiction)
        return ctx.pick("tab_period", None, "src.no_tab_jurisdiction", jurisdiction=jurisdiction)  # type: ignore[no-any-return]
    period, source = known
    return ctx.pick("tab_period", period, f"src.{source}")  # type: ignore[no-any-return]


def _income(ctx: ev.Context, field: str, life: Life, eng: Engagement) -> MethodResult:
    _, d = field_defaults(field)
    method = str(ctx.pick("income_method", "relief_from_royalty", "src.income_method"))
    if method not in INCOME_METHODS:
        raise ValuationError(f"income_method must be one of {INCOME_METHODS}, got {method!r}")
    tax = float(ctx.pick("tax_rate", TAX_RATE_CN, "src.cn_eit"))
    k = float(ctx.pick("discount_rate", d.discount_rate, "src.field_default", field=field, source=d.discount_source))
    mid_year = bool(ctx.pick("mid_year", False, "src.year_end"))
    tab = _tab(ctx, eng)
    growth = float(ctx.pick("revenue_growth", 0.0, "src.flat_revenue"))
    k_sd = float(ctx.pick("discount_rate_sd", 0.02, "src.assumption_k_sd"))
    life_sd = float(ctx.pick("economic_life_sd", 0.2, "src.assumption_life_sd"))
    growth_sd = float(ctx.pick("revenue_growth_sd", 0.02, "src.assumption_growth_sd"))
    details: dict[str, Any] = {"income_method": method, "notes": []}
    n_data = 0
    if method == "relief_from_royalty":
        if ctx.given.get("royalty_rate") is not None:
            point = float(ctx.given["royalty_rate"])
            low_rate = float(ctx.given.get("royalty_rate_low", point))
            high_rate = float(ctx.given.get("royalty_rate_high", point))
            rates: dict[str, Any] = {"licences": [], "source": "inputs", "source_key": "src.inputs", "n": 0}
            ctx.used["royalty_rate_low"], ctx.used["royalty_rate_high"] = low_rate, high_rate
        else:
            rates = ev.royalty_distribution(ctx, field)
            low_rate, point, high_rate, n_data = rates["p10"], rates["p50"], rates["p90"], rates["n"]
        if not 0 < low_rate <= point <= high_rate <= 1:
            raise ValuationError(
                f"royalty_rate must satisfy 0 < low <= rate <= high <= 1, got {low_rate}, {point}, {high_rate}"
            )
        ctx.used["royalty_rate"] = {
            "p10": low_rate,
            "p50": point,
            "p90": high_rate,
            "n": n_data,
            "source": rates["source"],
        }
        ctx.sources["royalty_rate"] = {"key": rates.get("source_key") or "src.inputs", "fields": {}}
        details.update(
            licences=rates["licences"],
            royalty_source=rates["source"],
            royalty_source_key=rates.get("source_key"),
            royalty_screen=rates.get("screen"),
        )
        income_rate = (low_rate, point, high_rate)
        stream_tax = tax
        if not n_data:
            details["notes"].append({"key": "warn.royalty_not_ledger", "fields": {}})
    else:
        margin = ctx.given.get("ebitda_margin")
        if margin is None:
            return _insufficient("income", "why.no_margin", details=details)
        cac = ContributoryAssets.from_inputs(dict(ctx.given.get("contributory_assets") or {}))
        ctx.used["contributory_assets"] = cac.__dict__
        excess, charges = excess_margin(float(margin), tax, cac)
        details.update(excess_margin=excess, charges=charges, ebitda_margin=float(margin))
        income_rate = (excess, excess, excess)
        stream_tax = 0.0  # the excess margin is already after tax
    if life.remaining <= 0:
        return _insufficient("income", "why.no_life", n_data, details)
    flows = ev.revenue_forecast(ctx)
    if flows is None:
        return _insufficient("income", "why.no_forecast", n_data, details)
    explicit = max(len(flows), int(ctx.pick("explicit_years", 5, "src.assumption_explicit"))) if life.indefinite else 0
    g_tv = float(ctx.pick("terminal_growth", 0.02, "src.assumption_terminal_growth")) if life.indefinite else 0.0
    if life.indefinite and k <= g_tv:
        raise ValuationError(f"discount_rate {k} must exceed terminal_growth {g_tv} for a terminal value")
    stream = Stream(tuple(flows), stream_tax, mid_year, None if tab is None else int(tab), explicit, g_tv, tax)
    value = float(present_values(stream, income_rate[1], k, life.remaining, growth)[0])
    legal = life.legal
    draws = simulate(stream, income_rate, k, k_sd, life.remaining, life_sd, legal, growth, growth_sd)
    low, high = min(draws.percentile(10), value), max(draws.percentile(90), value)
    details.update(
        years=None if life.indefinite else math.ceil(life.remaining - 1e-12),
        remaining_life=None if life.indefinite else life.remaining,
        indefinite=life.indefinite,
        discount_rate=k,
        tax_rate=tax,
        tab_period=tab,
        tab_factor=float(tab_factors(tax, np.array([k]), stream.tab_period, mid_year=mid_year)[0]),
        monte_carlo={
            "draws": len(draws.values),
            "seed": SEED,
            "p10": draws.percentile(10),
            "p50": draws.percentile(50),
            "p90": draws.percentile(90),
            "discount_rate_sd": k_sd,
            "economic_life_sd": life_sd,
            "revenue_growth_sd": growth_sd,
        },
        sensitivity=_sensitivity(stream, income_rate, k, life, growth),
    )
    if life.indefinite:
        details.update(explicit_years=explicit, terminal_growth=g_tv)
        details["terminal_share"] = (
            1.0
            - float(
                present_values(replace(stream, explicit_years=explicit), income_rate[1], k, float(explicit), growth)[0]
            )
            / value
            if value > 0
            else None
        )
    warnings = tuple(ev.english(n["key"], n["fields"]) for n in details["notes"])
    return MethodResult("income", value, low, high, n_data=n_data, sufficient=True, details=details, warnings=warnings)


def _sensitivity(
    stream: Stream, rate: tuple[float, float, float], k: float, life: Life, growth: float
) -> dict[str, Any]:
    """Values on a grid of royalty (or margin) x discount rate x life: p10/p50/p90 rate, k -/+ 2
    points, life 80%/100%/120% (capped by the legal life; 10 years, 20 years and indefinite for
    an indefinite life)."""
    rates = sorted(set(rate))
    ks = [max(k - 0.02, stream.terminal_growth + 0.005) if life.indefinite else k - 0.02, k, k + 0.02]
    if life.indefinite:
        lives = [10.0, 20.0, math.inf]
    else:
        cap = life.legal
        lives = sorted({min(life.remaining * f, cap) for f in (0.8, 1.0, 1.2)})
    grid = np.array([(r, kk, lf) for lf in lives for kk in ks for r in rates])
    values = present_values(stream, grid[:, 0], grid[:, 1], grid[:, 2], np.full(len(grid), growth))
    table = values.reshape(len(lives), len(ks), len(rates))
    return {
        "rates": rates,
        "discount_rates": ks,
        "lives": [None if math.isinf(x) else x for x in lives],
        "values": table.tolist(),
    }


def _cost(ctx: ev.Context, life: Life, error_sd: float) -> MethodResult:
    rd = ctx.asset.get("rd_cost")
    recorded = None if rd is None or (isinstance(rd, float) and math.isnan(rd)) else float(rd)
    cost = ctx.pick("rd_cost", recorded, "src.rd_cost")
    inflation = float(ctx.pick("cost_inflation", 0.02, "src.cost_inflation"))
    incentive = float(ctx.pick("entrepreneurial_incentive", 0.10, "src.entrepreneurial_incentive"))
    func = float(ctx.pick("functional_obsolescence", 0.0, "src.no_obsolescence"))
    econ = float(ctx.pick("economic_obsolescence", 0.0, "src.no_obsolescence"))
    if cost is None or float(cost) <= 0:
        return _insufficient("cost", "why.no_rd_cost")
    used = life.used
    if used is None:
        return _insufficient("cost", "why.no_age", 1)
    if life.remaining <= 0:
        return _insufficient("cost", "why.no_life", 1)
    change = ctx.pick("price_change", (1.0 + inflation) ** used - 1.0, "src.price_change")
    value = cost_value(
        float(cost),
        used,
        life.remaining,
        price_change=float(change),
        entrepreneurial_incentive=incentive,
        functional_obsolescence=func,
        economic_obsolescence=econ,
    )
    details = {
        "rd_cost": float(cost),
        "price_change": float(change),
        "entrepreneurial_incentive": incentive,
        "functional_obsolescence": func,
        "economic_obsolescence": econ,
        "years_used": used,
        "years_remaining": None if life.indefinite else life.remaining,
        "age_obsolescence": depreciation_rate(used, life.remaining),
        "error_sd": error_sd,
    }
    # the range is the method's error band from the named table (reconcile.METHOD_ERROR_SD)
    spread = math.exp(Z80 * error_sd)
    return MethodResult("cost", value, value / spread, value * spread, n_data=1, details=details)


def _organisation(ledger: Any, eng: Engagement) -> Engagement:
    """The engagement with the valuer's organisation from the ledger's directory when not given."""
    if eng.organisation is not None or not eng.valuer:
        return eng
    lookup = getattr(ledger, "organisation_of", None)
    if not callable(lookup):
        return eng
    try:
        org = lookup(str(eng.valuer).lower())
    except IPLedgerError:
        org = None
    return replace(eng, organisation=None if org is None else str(org))


def value_asset(
    ledger: LedgerLike,
    asset_id: str,
    *,
    as_of: Any = None,
    methods: Sequence[str] = DEFAULT_METHODS,
    inputs: dict[str, Any] | None = None,
    min_methods: int = 1,
    engagement: Engagement | dict[str, Any] | None = None,
) -> Valuation:
    """Value one IP asset from the ledger's records and reconcile the approaches.

    Market: ``market_approach`` on the ledger's comparable trades (amounts converted at their
    dates by the FX table). Income: relief from royalty with the screened royalty-rate
    distribution of comparable ledger licences (:mod:`ipledger.valuation.royalty`), or excess
    earnings with contributory asset charges (``income_method="excess_earnings"``), over the
    remaining useful life (:mod:`ipledger.valuation.life`; a terminal value for a mark or secret
    in use), the range from a Monte Carlo over the inputs. Cost: the recorded ``rd_cost``
    indexed to ``as_of``, plus entrepreneurial incentive, less age and other obsolescence.
    Reconciled by :func:`ipledger.valuation.reconcile.reconcile` (income and market lead, cost
    checks).

    Args:
        ledger: any object with ``assets()``, ``transactions()`` and ``state()`` returning the
            ledger's frames (see :class:`LedgerLike`); ``organisation_of(account)`` is used when
            present.
        asset_id: the asset's ``0x`` hex id, or its registry number when the ledger can resolve it.
        as_of: valuation date (str, date or Timestamp); None means today (UTC). Records dated
            after it are ignored.
        methods: approaches to run, any of ``"market"``, ``"income"``, ``"cost"``.
        inputs: optional inputs, money in major units of the valuation currency and rates as
            fractions: ``revenues`` (list per year) or ``revenue`` with ``revenue_growth``;
            ``royalty_rate`` (with ``royalty_rate_low``/``_high``), ``tax_rate``,
            ``discount_rate``, ``mid_year``, ``tab_period``, ``remaining_life``,
            ``economic_life`` and ``years_used`` (years), ``in_use``, ``explicit_years``,
            ``terminal_growth``, ``discount_rate_sd``, ``economic_life_sd``,
            ``revenue_growth_sd``; ``income_method`` (``"relief_from_royalty"`` or
            ``"excess_earnings"`` with ``ebitda_margin`` and ``contributory_assets``);
            ``rd_cost``, ``cost_inflation`` or ``price_change``, ``entrepreneurial_incentive``,
            ``functional_obsolescence``, ``economic_obsolescence``; ``currency``, ``field``,
            ``fx_table`` (CSV path), ``consent`` (comparable trades by party consent:
            ``"any"``, the default, ``"prefer"`` or ``"require"``), ``method_error_sd`` (dict),
            ``cost_role`` (``"check"`` or ``"floor"``); market inputs are passed on to the market approach.
        min_methods: fewest sufficient methods accepted.
        engagement: purpose, basis and premise of value, report date, valuer, standard, scope
            and special assumptions (:class:`~ipledger.valuation.engagement.Engagement` or a
            dict of its fields); None: market value for insurance under IVS.

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
    eng = _organisation(ledger, Engagement.of(engagement))
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
    try:  # the caller's inputs are converted with float(); name the failure as a valuation error
        cur = ev.currency(ctx)
        fx = load_fx(given.get("fx_table"))
        ctx.pick("fx_table", DEFAULT_TABLE, "src.fx_default")
        ctx.used["fx_table_digest"] = fx.digest  # which table converted the amounts
        if cur not in fx.currencies:
            raise ValuationError(f"currency {cur} is not in the FX table ({', '.join(fx.currencies)})")
        field = ev.field_name(ctx)
        consent = str(ctx.pick("consent", "any", "src.consent_any"))
        if consent not in CONSENT_CHOICES:
            raise ValuationError(f"consent must be one of {', '.join(CONSENT_CHOICES)}, not {consent!r}")
        life, results, comparables = _run(ctx, chosen, field, cur, eng)
        error_sd = {**METHOD_ERROR_SD, **dict(ctx.pick("method_error_sd", dict(METHOD_ERROR_SD), "src.error_sd") or {})}
        cost_role = str(ctx.pick("cost_role", "check", "src.cost_role"))
        rec = reconcile(results, min_methods=min_methods, error_sd=error_sd, cost_role=cost_role)
        liquidation = _liquidation(ctx, eng, rec.value)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, IPLedgerError):
            raise
        raise ValuationError(f"invalid valuation input: {exc}") from exc
    extra = {k: v for k, v in given.items() if k not in ctx.used}
    keep = 1.0 - (liquidation["discount"] if liquidation else 0.0)
    return Valuation(
        asset_id=str(asset["asset_id"]),
        as_of=stamp.date().isoformat(),
        currency=cur,
        value=rec.value * keep,
        low=rec.low * keep,
        high=rec.high * keep,
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
        engagement=plain(eng.to_dict()),
        asset=_identity(asset, life),
        reconciliation=plain(
            {
                "rule": rec.rule,
                "reasons": rec.reasons,
                "error_sd": rec.error_sd,
                "error_sd_source": {
                    m: METHOD_ERROR_SOURCE.get(m, "input") if m not in (given.get("method_error_sd") or {}) else "input"
                    for m in rec.error_sd
                },
                **(
                    {
                        "liquidation": {
                            **liquidation,
                            "value_before": rec.value,
                            "low_before": rec.low,
                            "high_before": rec.high,
                        }
                    }
                    if liquidation
                    else {}
                ),
            }
        ),
        notes=plain([*ctx.notes, *rec.notes]),
        sources=plain(ctx.sources),
    )


#: Assumption, not data: the share of the reconciled (market) value a right loses when it must
#: be sold within a liquidation's marketing period, by premise of value (IVS 104 s.160-170). No
#: published table of IP liquidation discounts is shipped; these are round figures of the order
#: of the advance rates lenders apply to appraised IP, and the valuer should set
#: ``liquidation_discount`` from the engagement's own evidence (the report shows both values).
LIQUIDATION_DISCOUNT = {"orderly_liquidation": 0.35, "forced_sale": 0.60}


def _liquidation(ctx: ev.Context, eng: Engagement, value: float) -> dict[str, Any] | None:
    """Under a liquidation basis of value, the discount from the reconciled value (recorded with
    its source, and warned about with the value before it); None under any other basis."""
    if eng.basis != "liquidation":
        return None
    premise = eng.premise if eng.premise in LIQUIDATION_DISCOUNT else "orderly_liquidation"
    default = LIQUIDATION_DISCOUNT[premise]
    d = float(
        ctx.pick(
            "liquidation_discount",
            default,
            "src.liquidation_discount",
            premise=premise.replace("_", " "),
            discount=f"{default:.0%}",
        )
    )
    if not 0.0 <= d < 1.0:
        raise ValuationError(f"liquidation_discount must be a fraction in [0, 1), got {d:g}")
    ctx.warn("warn.liquidation", discount=f"{d:.0%}", premise=premise.replace("_", " "), before=f"{value:,.0f}")
    return {"discount": d, "premise": premise}


def _run(
    ctx: ev.Context, chosen: list[str], field: str, cur: str, eng: Engagement
) -> tuple[Life, list[MethodResult], list[dict[str, Any]]]:
    """The remaining life and each chosen method's result (the market's comparables too)."""
    _, d = field_defaults(field)
    economic_life = float(
        ctx.pick("economic_life", d.economic_life, "src.field_default", field=field, source=d.life_source)
    )
    life = ev.lives(ctx, economic_life)
    sds = {**METHOD_ERROR_SD, **dict(ctx.given.get("method_error_sd") or {})}
    results: list[MethodResult] = []
    comparables: list[dict[str, Any]] = []
    if "market" in chosen:
        market, comparables = _market(ctx, str(ctx.asset["asset_id"]), cur)
        results.append(market)
    if "income" in chosen:
        results.append(_income(ctx, field, life, eng))
    if "cost" in chosen:
        results.append(_cost(ctx, life, float(sds["cost"])))
    return life, results, comparables


def _identity(asset: dict[str, Any], life: Life) -> dict[str, Any]:
    """The asset's identity for the report: registry number, title, kind, class, jurisdiction,
    owner, status and remaining life."""
    keys = (
        "registry_number",
        "title",
        "kind",
        "class_code",
        "jurisdiction",
        "owner",
        "owner_name",
        "status",
        "field",
        "filing_date",
        "grant_date",
    )
    out: dict[str, Any] = {k: asset.get(k) for k in keys if k in asset}
    out.update(
        legal_expiry=life.expiry,
        remaining_life=None if life.indefinite else life.remaining,
        indefinite_life=life.indefinite,
        life_basis=life.basis,
    )
    return plain(out)  # type: ignore[no-any-return]
