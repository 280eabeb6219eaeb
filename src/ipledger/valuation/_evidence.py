"""Reading the ledger's frames for one valuation: the asset, its lives, comparable licences."""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ipledger.errors import ValuationError
from ipledger.valuation.defaults import (
    LEGAL_TERM_YEARS,
    SOURCES,
    field_defaults,
    field_from_class_code,
    normalise_field,
)

YEAR_DAYS = 365.25
#: Fewest comparable licences for a royalty-rate distribution from the ledger.
MIN_LICENCES = 3
#: The report lists at most this many of the licences used (the most recent); all of them enter
#: the percentiles, and the selection rule lets anyone with the ledger state recompute them.
LISTED_LICENCES = 25
_DEAD = {"lapsed", "invalidated", "expired"}
_CURRENCY_BY_JURISDICTION = {"CN": "CNY", "US": "USD", "EP": "EUR", "DE": "EUR", "FR": "EUR", "GB": "GBP", "JP": "JPY"}


@dataclass
class Context:
    """What one valuation knows: the asset row, the ledger's frames, the inputs and what was used.

    The frames are kept as the ledger returned them (all dates); every use filters records by
    ``as_of``. ``ledger`` and ``state`` key the caches of work derived from the frames.
    """

    ledger: object
    state: tuple[int, str]
    asset: dict[str, Any]
    assets: pd.DataFrame
    all_transactions: pd.DataFrame
    as_of: pd.Timestamp
    given: dict[str, Any]
    used: dict[str, Any] = field(default_factory=dict)
    assumptions: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def pick(self, name: str, default: Any, source: str) -> Any:
        """The caller's input ``name`` if given, else ``default`` (recorded with its source)."""
        if name in self.given and self.given[name] is not None:
            value = self.given[name]
        else:
            value = default
            self.assumptions[name] = source
        self.used[name] = value
        return value


def as_of_timestamp(as_of: Any) -> pd.Timestamp:
    """The valuation date as a tz-naive midnight timestamp (today in UTC when None)."""
    try:
        ts = pd.Timestamp.now(tz="UTC") if as_of is None else pd.Timestamp(as_of)
    except (TypeError, ValueError) as exc:
        raise ValuationError(f"as_of must be a date, got {as_of!r}: {exc}") from None
    if ts is pd.NaT:
        raise ValuationError("as_of must be a date, got NaT")
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.normalize()


def asset_row(assets: pd.DataFrame, asset_id: str) -> dict[str, Any]:
    """The asset's row as a dict, matching the id case-insensitively."""
    if not isinstance(asset_id, str) or not asset_id.startswith("0x"):
        raise ValuationError(f"asset_id must be a 0x-prefixed hex string, got {asset_id!r}")
    hits = assets.loc[assets["asset_id"] == asset_id]
    if hits.empty:  # ids are normally stored lower-case; accept any case at a slower path
        hits = assets.loc[assets["asset_id"].str.lower() == asset_id.lower()]
    if hits.empty:
        raise ValuationError(f"asset {asset_id} is not in the ledger")
    return dict(hits.iloc[0].to_dict())


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NaT


def _years(later: pd.Timestamp, earlier: Any) -> float | None:
    if _missing(earlier):
        return None
    return float((later - pd.Timestamp(earlier)).days) / YEAR_DAYS


def _usual_currencies(ctx: Context) -> dict[str, str]:
    """Each asset's most used transaction currency up to ``as_of`` (ties: alphabetical); cached
    per ledger state and date, since a batch asks it once per asset."""
    every = ctx.all_transactions
    key = ("currency", id(ctx.ledger), *ctx.state, len(every), ctx.as_of)
    hit = _MEMO.get(key)
    if hit is not None and hit[0] is ctx.ledger:
        return hit[1]  # type: ignore[no-any-return]
    dated = every.loc[(every["date"] <= ctx.as_of) & every["currency"].notna(), ["asset_id", "currency"]]
    counts = dated.groupby(["asset_id", "currency"], observed=True).size().reset_index(name="n")
    counts = counts.sort_values(["asset_id", "n", "currency"], ascending=[True, False, True], kind="stable")
    usual = dict(
        zip(
            counts.drop_duplicates("asset_id")["asset_id"].astype(str),
            counts.drop_duplicates("asset_id")["currency"].astype(str),
            strict=True,
        )
    )
    _remember(key, ctx.ledger, usual)
    return usual


def currency(ctx: Context) -> str:
    """The caller's currency, else the asset's usual transaction currency, else by jurisdiction."""
    found = _usual_currencies(ctx).get(str(ctx.asset["asset_id"]))
    if found is not None:
        default = found
        source = "the currency of most of the asset's own ledger transactions"
    else:
        default = _CURRENCY_BY_JURISDICTION.get(str(ctx.asset.get("jurisdiction") or "").upper(), "CNY")
        source = "the currency of the asset's jurisdiction"
    return str(ctx.pick("currency", default, source))


def field_name(ctx: Context) -> str:
    """The technical field used for defaults (input, recorded field, IPC guess or general)."""
    name, _ = field_defaults(ctx.asset.get("field"), ctx.asset.get("class_code"))
    picked = ctx.pick("field", name, "the asset's recorded field, else guessed from its IPC class")
    name, _ = field_defaults(picked)
    ctx.used["field"] = name
    return name


def lives(ctx: Context, economic_life: float) -> tuple[float, float | None]:
    """Remaining useful life and years used, in years, capped by the legal term.

    Returns:
        ``(remaining, used)``; ``remaining`` is 0 for a right that is dead or expired, ``used`` is
        None when neither filing nor grant date is known and no ``years_used`` input is given.
    """
    a = ctx.asset
    start = a.get("filing_date")
    if _missing(start):
        start = a.get("grant_date")
    age = _years(ctx.as_of, start)
    used = ctx.pick("years_used", None if age is None else max(age, 0.0), "years since filing (else grant)")
    legal: float = math.inf
    if not _missing(a.get("expiry_date")):
        legal = float((pd.Timestamp(a["expiry_date"]) - ctx.as_of).days) / YEAR_DAYS
    else:
        term = LEGAL_TERM_YEARS.get(str(a.get("kind")))
        if term is not None and age is not None:
            legal = term - age
    status = str(a.get("status") or "")
    if status in _DEAD:
        ctx.warnings.append(f"the right is {status}: it has no remaining legal life")
        legal = 0.0
    elif status == "pending":
        ctx.warnings.append("the right is pending: its value is contingent on grant")
    elif status.endswith("_dispute"):
        ctx.warnings.append(f"the right is under {status.replace('_', ' ')}: title or value may change")
    if legal <= 0 and status not in _DEAD:
        ctx.warnings.append("the legal term has ended at the valuation date")
    econ_remaining = economic_life - (used or 0.0)
    if econ_remaining < 1.0 and legal > 0 and ctx.given.get("remaining_life") is None:
        ctx.warnings.append(f"the default economic life ({economic_life:g} years) is used up; one more year assumed")
        econ_remaining = 1.0
    default = max(0.0, min(legal, econ_remaining))
    remaining = float(ctx.pick("remaining_life", default, "economic life by field less age, capped by legal term"))
    if not remaining >= 0:
        raise ValuationError(f"remaining_life must be >= 0 years, got {remaining}")
    if remaining > legal:
        ctx.warnings.append(f"remaining_life {remaining:g} exceeds the legal term left ({max(legal, 0):.2f}); capped")
        remaining = max(legal, 0.0)
        ctx.used["remaining_life"] = remaining
    return remaining, (None if used is None else float(used))


def _comparable_fields(meta: pd.DataFrame) -> pd.Series:
    """Field of each asset: recorded field, else guessed from its IPC class."""
    recorded = meta["field"].map(normalise_field) if "field" in meta else pd.Series(None, index=meta.index)
    guessed = meta["class_code"].map(field_from_class_code) if "class_code" in meta else recorded
    return recorded.where(recorded.notna(), guessed)


# Licence tables by ledger and ledger state. A ledger's data change only with its state (block
# number and hash), so the join below runs once per state, not once per valuation, even though
# the ledger hands out fresh copies of its frames. The entry holds the ledger object, so its id
# cannot be reused while the entry lives; the frame lengths guard against a ledger whose frames
# change without a new state.
_LICENCE_CACHE: OrderedDict[tuple[Any, ...], tuple[object, pd.DataFrame]] = OrderedDict()
_CACHE_SIZE = 4
# Small results derived from the frames (usual currencies, royalty distributions by kind and
# field), each tied to the object it was derived from; a batch of valuations reuses them.
_MEMO: OrderedDict[tuple[Any, ...], tuple[object, Any]] = OrderedDict()
_MEMO_SIZE = 512


def _remember(key: tuple[Any, ...], owner: object, value: Any) -> None:
    _MEMO[key] = (owner, value)
    while len(_MEMO) > _MEMO_SIZE:
        _MEMO.popitem(last=False)


def licence_table(ctx: Context) -> pd.DataFrame:
    """Licences with a usable royalty rate, joined to their asset's kind and field (cached).

    Returns:
        Columns of the transactions plus ``asset_kind`` and ``asset_field``, sorted by date,
        block number and log index.
    """
    assets, transactions = ctx.assets, ctx.all_transactions
    key = (id(ctx.ledger), *ctx.state, len(assets), len(transactions))
    hit = _LICENCE_CACHE.get(key)
    if hit is not None and hit[0] is ctx.ledger:
        _LICENCE_CACHE.move_to_end(key)
        return hit[1]
    tx = transactions
    rate = tx["royalty_rate"]
    lic = tx.loc[(tx["kind"] == "licence") & rate.notna() & (rate > 0) & (rate <= 1)].copy()
    lic["_key"] = lic["asset_id"].str.lower()
    meta = pd.DataFrame(
        {
            "_key": assets["asset_id"].str.lower(),
            "asset_kind": assets["kind"],
            "asset_field": _comparable_fields(assets),
        }
    ).drop_duplicates("_key")
    table = lic.merge(meta, on="_key", how="left").drop(columns="_key")
    table = table.sort_values(["date", "block_number", "log_index"], kind="stable").reset_index(drop=True)
    _LICENCE_CACHE[key] = (ctx.ledger, table)
    while len(_LICENCE_CACHE) > _CACHE_SIZE:
        _LICENCE_CACHE.popitem(last=False)
    return table


def royalty_distribution(ctx: Context, field: str) -> dict[str, Any]:
    """Royalty rates of comparable licences in the ledger: same kind and field, else same kind.

    Returns:
        ``{"p10", "p50", "p90", "n", "source", "licences"}``; with fewer than
        :data:`MIN_LICENCES` licences the percentiles come from the field's published or assumed
        defaults and ``n`` is 0.
    """
    table = licence_table(ctx)
    kind = ctx.asset.get("kind")
    # The distribution depends only on kind, field and date: cache it for batches.
    memo_key = ("royalty", id(table), kind, field, ctx.as_of)
    memo = _MEMO.get(memo_key)
    if memo is not None and memo[0] is table:
        result, warnings = memo[1]
        ctx.warnings.extend(warnings)
        return dict(result)
    before = len(ctx.warnings)
    result = _royalty_distribution(ctx, table, kind, field)
    _remember(memo_key, table, (result, list(ctx.warnings[before:])))
    return dict(result)


def _royalty_distribution(ctx: Context, table: pd.DataFrame, kind: Any, field: str) -> dict[str, Any]:
    in_time = (table["date"] <= ctx.as_of).to_numpy(bool)
    same_kind = in_time & (table["asset_kind"] == kind).to_numpy(bool)
    same_field = same_kind & (table["asset_field"] == field).to_numpy(bool)
    chosen = table.iloc[0:0]
    source = ""
    if same_field.sum() >= MIN_LICENCES:
        chosen, source = table.loc[same_field], f"ledger licences of {kind} assets in {field}"
    elif same_kind.sum() >= MIN_LICENCES:
        chosen, source = table.loc[same_kind], f"ledger licences of {kind} assets (all fields)"
        ctx.warnings.append(f"fewer than {MIN_LICENCES} licences in {field}: royalty rates from all {kind} licences")
    if len(chosen) >= MIN_LICENCES:
        p10, p50, p90 = (float(x) for x in np.percentile(chosen["royalty_rate"].to_numpy(float), [10, 50, 90]))
        recent = chosen.tail(LISTED_LICENCES)  # the table is in date order
        licences = [
            {
                "record_id": int(r.record_id),
                "tx_hash": str(r.tx_hash),
                "log_index": int(r.log_index),
                "date": pd.Timestamp(r.date).date().isoformat(),
                "royalty_rate": float(r.royalty_rate),
                "exclusivity": str(r.exclusivity),
            }
            for r in recent.itertuples()
        ]
        return {"p10": p10, "p50": p50, "p90": p90, "n": len(chosen), "source": source, "licences": licences}
    _, d = field_defaults(field)
    ctx.warnings.append(
        f"fewer than {MIN_LICENCES} comparable licences in the ledger: royalty rates are defaults for {field}"
    )
    return {
        "p10": d.royalty_p10,
        "p50": d.royalty_p50,
        "p90": d.royalty_p90,
        "n": 0,
        "source": SOURCES[d.royalty_source],
        "licences": [],
    }


def revenue_forecast(ctx: Context, remaining: float) -> list[float] | None:
    """Revenue per year over the remaining life (the last year pro rata), or None without a forecast.

    Uses ``inputs["revenues"]`` (one figure per year; extended by ``revenue_growth`` if short) or
    ``inputs["revenue"]`` (the first year) grown at ``revenue_growth`` (default 0).
    """
    g = ctx.given
    if g.get("revenues") is None and g.get("revenue") is None:
        return None
    growth = float(ctx.pick("revenue_growth", 0.0, "assumption: flat revenue"))
    base = list(g["revenues"]) if g.get("revenues") is not None else [g["revenue"]]
    if not base:
        raise ValuationError("inputs['revenues'] must not be empty")
    years = max(1, math.ceil(remaining - 1e-9))
    flows = [float(x) for x in base[:years]]
    if len(base) < years and len(base) > 1:
        ctx.warnings.append(f"revenue forecast covers {len(base)} of {years} years; extended at {growth:.1%} a year")
    while len(flows) < years:
        flows.append(flows[-1] * (1.0 + growth))
    flows[-1] *= remaining - (years - 1) if remaining > 0 else 1.0
    ctx.used["revenues"] = flows
    return flows
