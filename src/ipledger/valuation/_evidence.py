"""Reading the ledger's frames for one valuation: the asset, its lives, comparable licences."""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from ipledger.errors import ValuationError
from ipledger.valuation import royalty
from ipledger.valuation._messages import english
from ipledger.valuation.defaults import (
    class_code_system,
    field_defaults,
    field_from_class_code,
    kind_field,
    normalise_field,
)
from ipledger.valuation.life import DEAD_STATUSES, Life, remaining_life

YEAR_DAYS = 365.25
_CURRENCY_BY_JURISDICTION = {"CN": "CNY", "US": "USD", "EP": "EUR", "DE": "EUR", "FR": "EUR", "GB": "GBP", "JP": "JPY"}


@dataclass
class Context:
    """What one valuation knows: the asset row, the ledger's frames, the inputs and what was used.

    The frames are kept as the ledger returned them (all dates); every use filters records by
    ``as_of``. ``ledger`` and ``state`` key the caches of work derived from the frames.
    ``warnings`` and ``assumptions`` hold English text; ``notes`` and ``sources`` the same as
    message keys with their fields, so that a report can say them in any language.
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
    notes: list[dict[str, Any]] = field(default_factory=list)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)

    def pick(self, name: str, default: Any, source: str, /, **fields: Any) -> Any:
        """The caller's input ``name`` if given, else ``default`` (recorded with its source).

        Args:
            name: the input's name.
            default: the value used when the caller gave none.
            source: a message key (``src.*``) of the valuation catalogue naming the source.
            fields: the message's fields.
        """
        if name in self.given and self.given[name] is not None:
            value = self.given[name]
        else:
            value = default
            self.assumptions[name] = english(source, fields)
            self.sources[name] = {"key": source, "fields": fields}
        self.used[name] = value
        return value

    def warn(self, key: str, /, **fields: Any) -> None:
        """Add a warning by message key (``warn.*``) with its fields."""
        self.warnings.append(english(key, fields))
        self.notes.append({"key": key, "fields": fields})


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
        return str(ctx.pick("currency", found, "src.usual_currency"))
    default = _CURRENCY_BY_JURISDICTION.get(str(ctx.asset.get("jurisdiction") or "").upper(), "CNY")
    return str(ctx.pick("currency", default, "src.jurisdiction_currency"))


def field_name(ctx: Context) -> str:
    """The field used for defaults: the input, the recorded field, a valid IPC code's field, or
    the kind's default field (with a warning when the class code is not a valid code)."""
    a = ctx.asset
    code = a.get("class_code")
    recorded = normalise_field(a.get("field"))
    invalid = code and not _missing(code) and class_code_system(str(code)) is None
    if recorded is None and invalid and "field" not in ctx.given:
        ctx.warn("warn.unknown_class_code", code=str(code), kind=str(a.get("kind")), field=kind_field(a.get("kind")))
    name, _ = field_defaults(a.get("field"), None if _missing(code) else str(code), a.get("kind"))
    picked = ctx.pick("field", name, "src.recorded_field")
    name, _ = field_defaults(picked, None, a.get("kind"))
    ctx.used["field"] = name
    return name


def lives(ctx: Context, economic_life: float | None) -> Life:
    """Remaining useful life (legal and economic, :func:`ipledger.valuation.life.remaining_life`)
    with the caller's ``remaining_life`` / ``years_used`` / ``in_use`` inputs and the warnings.

    Returns:
        The :class:`~ipledger.valuation.life.Life`; ``remaining`` is 0 for a dead or ended right
        and ``inf`` for a mark or secret in use.
    """
    a = ctx.asset
    in_use = bool(ctx.pick("in_use", str(a.get("status") or "") not in DEAD_STATUSES, "src.in_use"))
    life = remaining_life(a, ctx.as_of, economic_life, in_use=in_use)
    used = ctx.pick("years_used", life.used, "src.years_since_filing")
    status = str(a.get("status") or "")
    if status in DEAD_STATUSES:
        ctx.warn("warn.status_dead", status=status)
    elif status == "pending":
        ctx.warn("warn.pending")
    elif status.endswith("_dispute"):
        ctx.warn("warn.dispute", status=status)
    if life.legal <= 0 and status not in DEAD_STATUSES:
        ctx.warn("warn.legal_ended")
    remaining = life.remaining
    if ctx.given.get("remaining_life") is None and not life.indefinite and life.legal > 0 and life.economic < 1.0:
        ctx.warn("warn.econ_used_up", life=economic_life)
        remaining = min(1.0, life.legal)
    remaining = float(ctx.pick("remaining_life", remaining, f"src.life_{life.basis}"))
    if not remaining >= 0:
        raise ValuationError(f"remaining_life must be >= 0 years, got {remaining}")
    if remaining > life.legal:
        ctx.warn("warn.remaining_capped", given=remaining, legal=round(max(life.legal, 0.0), 2))
        remaining = max(life.legal, 0.0)
        ctx.used["remaining_life"] = remaining
    ctx.used["remaining_life"] = None if math.isinf(remaining) else remaining
    ctx.used["legal_life"] = None if math.isinf(life.legal) else life.legal
    ctx.used["legal_expiry"] = life.expiry
    return replace(
        life,
        remaining=remaining,
        used=None if used is None else float(used),
        indefinite=math.isinf(remaining),
        basis=life.basis if remaining == life.remaining else "input",
    )


def _comparable_fields(meta: pd.DataFrame) -> pd.Series:
    """Field of each asset: recorded field, else guessed from its IPC class."""
    recorded = meta["field"].map(normalise_field) if "field" in meta else pd.Series(None, index=meta.index)
    guessed = meta["class_code"].map(field_from_class_code) if "class_code" in meta else recorded
    by_kind = meta["kind"].map(kind_field) if "kind" in meta else pd.Series(None, index=meta.index)
    return recorded.where(recorded.notna(), guessed).where(lambda x: x.notna(), by_kind)


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
    table = royalty.screen(table)  # once per ledger state, not once per valuation
    _LICENCE_CACHE[key] = (ctx.ledger, table)
    while len(_LICENCE_CACHE) > _CACHE_SIZE:
        _LICENCE_CACHE.popitem(last=False)
    return table


def royalty_distribution(ctx: Context, field: str) -> dict[str, Any]:
    """The screened royalty-rate distribution for the subject (see :mod:`ipledger.valuation.royalty`).

    Cached per licence table, kind, field, jurisdiction and date, since a batch asks the same
    question for many assets; the notes are replayed into each valuation's warnings.
    """
    table = licence_table(ctx)
    kind = ctx.asset.get("kind")
    jurisdiction = str(ctx.asset.get("jurisdiction") or "")
    memo_key = ("royalty", id(table), kind, field, jurisdiction, ctx.as_of)
    memo = _MEMO.get(memo_key)
    if memo is not None and memo[0] is table:
        result, notes = memo[1]
    else:
        result, notes = royalty.distribution(table, ctx.as_of, kind, field, jurisdiction)
        _remember(memo_key, table, (result, notes))
    for key, fields in notes:
        ctx.warn(key, **fields)
    return dict(result)


def revenue_forecast(ctx: Context) -> list[float] | None:
    """The caller's revenue forecast from year 1 (major units a year), or None without one.

    ``inputs["revenues"]`` (one figure per year) or ``inputs["revenue"]`` (the first year); the
    income engine extends it at ``revenue_growth`` and cuts it at the remaining life (the last
    year pro rata, discounted at its own time).
    """
    g = ctx.given
    if g.get("revenues") is None and g.get("revenue") is None:
        return None
    base = list(g["revenues"]) if g.get("revenues") is not None else [g["revenue"]]
    if not base:
        raise ValuationError("inputs['revenues'] must not be empty")
    flows = [float(x) for x in base]
    if any(not math.isfinite(x) or x < 0 for x in flows):
        raise ValuationError(f"revenues must be finite and >= 0, got {flows}")
    return flows
