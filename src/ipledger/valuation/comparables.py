"""Comparable transactions for the market approach: selection, similarity weights, adjustments.

Conversions, each a documented assumption (all amounts major units, rates fractions, years):

* **Remaining life**: an asset's value is proportional to the annuity factor of its remaining
  economic life at ``DISCOUNT_RATE`` (15%), i.e. a level income stream; the life factor is
  ``a(remaining) / a(full term)``. Trademarks and trade secrets (renewable or unlimited) have an
  infinite life (``a = 1 / r``); a right with no recorded expiry ends at its statutory term from
  filing (:mod:`ipledger.valuation.life`).
* **Time**: prices move with a market index estimated from the ledger itself by a hedonic
  time-dummy regression of log sale prices (see :func:`estimate_price_index`).
* **Lump-sum licence -> asset value**: a lump sum ``L`` for a licence of ``T`` years with
  exclusivity share ``s`` (exclusive 0.8, sole 0.5, non-exclusive 0.2 of the whole asset's
  income) buys ``s`` of the income for ``T`` years, so the whole asset over its remaining life
  ``R`` is worth ``L * a(R) / a(T) / s``.
* **Running royalty -> asset value**: needs an annual revenue (royalty base) ``B``:
  ``rate * B * a(R) / s``. Without a revenue the licence is a royalty-rate comparable only.
* **Sale -> implied royalty rate**: ``price / (B * a(R))``, the rate whose full-life stream on
  revenue ``B`` is worth the price (the relief-from-royalty identity solved for the rate).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ipledger.errors import ValidationError, ValuationError
from ipledger.valuation.fx import FxTable, load_fx
from ipledger.valuation.life import legal_expiry, legal_expiry_many

DISCOUNT_RATE = 0.15
EXCLUSIVITY_SHARE = {"non_exclusive": 0.2, "sole": 0.5, "exclusive": 0.8}
SALE_KINDS = ("assignment", "auction")
# Proximity when two class codes first agree at hierarchy level 0..4
# (IPC: section, class, subclass, main group, full group).
LEVEL_PROXIMITY = np.array([0.15, 0.35, 0.6, 0.85, 1.0])
_IPC = re.compile(r"^([A-H])(\d\d)([A-Z])(\d{1,4})(?:/(\d{1,6}))?$")
_IPC_SUBCLASS = re.compile(r"^([A-H])(\d\d)([A-Z])$")
_LOCARNO = re.compile(r"^(\d\d)-(\d\d)$")
_EPOCH = np.datetime64("2000-01-01", "ns")
_YEAR_NS = 365.25 * 86400e9


def annuity_factor(years: Any, rate: float = DISCOUNT_RATE) -> Any:
    """Present value of 1 a year for ``years`` years at ``rate`` (infinite years: 1 / rate)."""
    y = np.clip(np.asarray(years, dtype=float), 0.0, None)
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.where(np.isinf(y), 1.0 / rate, (1.0 - (1.0 + rate) ** -np.where(np.isinf(y), 0, y)) / rate)
    return float(out) if out.ndim == 0 else out


def life_factor(remaining_years: Any, full_years: Any, rate: float = DISCOUNT_RATE) -> Any:
    """Share of full-life value left with ``remaining_years`` of a ``full_years`` life (0..1)."""
    full = annuity_factor(full_years, rate)
    rem = annuity_factor(
        np.minimum(np.asarray(remaining_years, dtype=float), np.asarray(full_years, dtype=float)), rate
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.clip(np.where(np.asarray(full) > 0, np.asarray(rem) / np.asarray(full), 0.0), 0.0, 1.0)
    return float(out) if np.ndim(out) == 0 else out


def licence_to_value(
    amount: float,
    exclusivity: str,
    term_years: float,
    remaining_years: float,
    royalty_rate: float = 0.0,
    revenue: float | None = None,
    rate: float = DISCOUNT_RATE,
) -> float:
    """Whole-asset value implied by a licence (major units); NaN when it cannot be converted.

    Args:
        amount: lump sum paid for the licence.
        exclusivity: ``non_exclusive``, ``sole`` or ``exclusive``.
        term_years: licence term (inf when open-ended).
        remaining_years: the asset's remaining life at the licence date.
        royalty_rate: running royalty, fraction of revenue.
        revenue: annual royalty base; needed to capitalise a running royalty.
        rate: discount rate.
    """
    share = EXCLUSIVITY_SHARE.get(exclusivity, EXCLUSIVITY_SHARE["non_exclusive"])
    term = min(term_years, remaining_years)
    a_rem, a_term = annuity_factor(remaining_years, rate), annuity_factor(term, rate)
    if royalty_rate > 0 and not revenue:
        return math.nan
    value = 0.0
    if amount > 0 and a_term > 0:
        value += amount * a_rem / a_term / share
    if royalty_rate > 0 and revenue:
        value += royalty_rate * revenue * a_rem / share
    return value if value > 0 else math.nan


def sale_to_royalty(price: float, remaining_years: float, revenue: float, rate: float = DISCOUNT_RATE) -> float:
    """Royalty rate (fraction) implied by a sale price and an annual revenue (major units)."""
    if revenue <= 0:
        raise ValuationError(f"revenue must be > 0 to imply a royalty rate, got {revenue}")
    return price / (revenue * annuity_factor(remaining_years, rate))


def class_levels(code: str) -> tuple[str, str, str, str, str]:
    """Hierarchy keys of a class code, least to most specific (see ``LEVEL_PROXIMITY``).

    IPC/CPC ``A61K31/00`` -> section, class, subclass, main group, full; a bare subclass repeats
    itself below; Nice classes share only "goods" or "services" unless equal; Locarno
    ``14-03`` -> class, subclass; other codes (``CR-film``) share their prefix.
    """
    c = str(code).strip().upper().replace(" ", "")
    m = _IPC.match(c)
    if m:
        sec, cls, sub, grp, sg = m.groups()
        full = f"{sec}{cls}{sub}{int(grp)}/{sg or '00'}"
        return sec, sec + cls, sec + cls + sub, f"{sec}{cls}{sub}{int(grp)}", full
    m = _IPC_SUBCLASS.match(c)
    if m:
        return c[0], c[:3], c, c, c
    if c.isdigit():
        tag = "NICE-G" if int(c) <= 34 else "NICE-S"
        full = f"N{int(c)}"
        return tag, full, full, full, full
    m = _LOCARNO.match(c)
    if m:
        return "LOC", "LOC" + m.group(1), "LOC" + m.group(1), c, c
    prefix = c.split("-")[0]
    return prefix, c, c, c, c


def class_proximity(a: str, b: str) -> float:
    """Proximity of two class codes in 0..1: same group 1.0 > main group > subclass > class > section."""
    la, lb = class_levels(a), class_levels(b)
    for level in range(4, -1, -1):
        if la[level] == lb[level]:
            return float(LEVEL_PROXIMITY[level])
    return 0.0


def years_since_2000(dates: Any) -> np.ndarray:
    """Decimal years since 2000-01-01 of datetime64 values."""
    d = np.asarray(pd.to_datetime(dates), dtype="datetime64[ns]")
    return (d - _EPOCH).astype(np.int64) / _YEAR_NS


def _to_base(tx: pd.DataFrame, fx: FxTable) -> tuple[pd.DataFrame, dict[str, int]]:
    """Amounts in the FX table's base currency at each trade's date; trades with an amount that
    cannot be converted are left out (never mixed in raw), counted by currency."""
    if "currency" not in tx or not len(tx):
        return tx, {}
    cur = tx["currency"].fillna("").astype(str).str.upper()
    if bool((cur == fx.base).all()):
        return tx, {}
    amount = tx["amount"].to_numpy(dtype=float)
    converted = fx.to_base(amount, cur.to_numpy(), tx["date"].to_numpy())
    bad = np.isnan(converted) & (amount != 0)
    dropped = {str(k): int(v) for k, v in cur[bad].value_counts().sort_index().items()}
    out = tx.loc[~bad].copy()
    out["amount_original"] = amount[~bad]
    out["currency_original"] = cur[~bad].to_numpy()
    out["amount"] = np.nan_to_num(converted[~bad])
    out["currency"] = fx.base
    return out, dropped


CONSENT_CHOICES = ("any", "prefer", "require")
# "prefer" keeps only trades a party signed when at least this many remain (the comparables'
# min_candidates default); otherwise every trade. An assumption: enough for a class-level search.
MIN_CONSENTED = 60


def consent_filter(transactions: pd.DataFrame, consent: str = "any") -> pd.DataFrame:
    """Transactions by party consent: ``"any"`` (default: consent is new, most history has none),
    ``"prefer"`` (only records at least one party signed, when there are ``MIN_CONSENTED``) or
    ``"require"`` (only those). See docs/decisions/0011-trust-consent.md."""
    if consent not in CONSENT_CHOICES:
        raise ValidationError(f"consent must be one of {', '.join(CONSENT_CHOICES)}, not {consent!r}")
    if consent == "any":
        return transactions
    level = transactions["consent"] if "consent" in transactions else pd.Series(0, index=transactions.index)
    signed = level.fillna(0).astype(int) >= 1
    if consent == "require" or int(signed.sum()) >= MIN_CONSENTED:
        return transactions[signed]
    return transactions


def prepare_trades(
    assets: pd.DataFrame, transactions: pd.DataFrame, fx: FxTable | None = None, consent: str = "any"
) -> pd.DataFrame:
    """Non-void sales and licences joined with their asset's attributes.

    Columns added: ``tx_kind`` (the transaction's kind), ``kind`` (the asset's), ``t`` (years
    since 2000), ``rem_years`` / ``full_years`` (remaining and full life; inf when unlimited),
    ``lf`` (life factor), ``term_years`` and ``value`` (whole-asset value in major units: the
    price of a sale, a lump-sum licence converted by :func:`licence_to_value`, NaN otherwise),
    and the class hierarchy keys ``L0``..``L4``. Amounts are in the FX table's base currency
    (``fx``, default the shipped table) at each trade's date; trades that cannot be converted
    are left out and counted in ``attrs["fx_dropped"]`` by currency.
    ``consent`` filters by party consent (:func:`consent_filter`).
    """
    tx = consent_filter(transactions, consent)
    if "void" in tx:
        tx = tx[~tx["void"].astype(bool)]
    tx = tx[tx["kind"].isin((*SALE_KINDS, "licence"))]
    tx, dropped = _to_base(tx, fx if fx is not None else load_fx())
    keep = [
        "asset_id",
        "kind",
        "jurisdiction",
        "class_code",
        "field",
        "claims",
        "citations",
        "family_size",
        "filing_date",
        "expiry_date",
    ]
    a = assets[[c for c in keep if c in assets]].rename(columns={"kind": "asset_kind"})
    df = tx.rename(columns={"kind": "tx_kind"}).merge(a, on="asset_id", how="inner")
    df = df.rename(columns={"asset_kind": "kind"})
    df = df.sort_values(["date", "record_id"], kind="stable").reset_index(drop=True)
    date = df["date"].to_numpy(dtype="datetime64[ns]")
    filing = df["filing_date"].to_numpy(dtype="datetime64[ns]")
    expiry = legal_expiry_many(df["kind"].to_numpy(), filing, df["expiry_date"].to_numpy(dtype="datetime64[ns]"))
    unlimited = np.isnat(expiry)
    rem = np.where(unlimited, np.inf, (expiry - date).astype(np.int64) / _YEAR_NS)
    full = np.where(unlimited, np.inf, (expiry - filing).astype(np.int64) / _YEAR_NS)
    df["t"] = years_since_2000(date)
    df["rem_years"] = np.clip(rem, 0.0, None)
    df["full_years"] = full
    df["lf"] = life_factor(df["rem_years"].to_numpy(), full)
    term_end = (
        df["term_end"].to_numpy(dtype="datetime64[ns]") if "term_end" in df else np.full(len(df), np.datetime64("NaT"))
    )
    df["term_years"] = np.where(np.isnat(term_end), np.inf, (term_end - date).astype(np.int64) / _YEAR_NS)
    amount = df["amount"].to_numpy(dtype=float)
    rate = df["royalty_rate"].fillna(0).to_numpy(dtype=float) if "royalty_rate" in df else np.zeros(len(df))
    is_sale = df["tx_kind"].isin(SALE_KINDS).to_numpy()
    share = df["exclusivity"].map(EXCLUSIVITY_SHARE).fillna(0.2).to_numpy(dtype=float)
    term = np.minimum(df["term_years"].to_numpy(), df["rem_years"].to_numpy())
    a_term = annuity_factor(term)
    with np.errstate(divide="ignore", invalid="ignore"):
        lic_value = amount * annuity_factor(df["rem_years"].to_numpy()) / a_term / share
    lump_licence = (~is_sale) & (rate == 0) & (amount > 0) & (a_term > 0)
    df["value"] = np.where(is_sale & (amount > 0), amount, np.where(lump_licence, lic_value, np.nan))
    levels = np.array([class_levels(c) for c in df["class_code"].astype(str)], dtype=object).reshape(-1, 5)
    for i in range(5):
        df[f"L{i}"] = levels[:, i]
    for col in ("tx_hash", "log_index"):
        if col not in df:
            df[col] = None
    df.attrs["fx_dropped"] = dropped
    return df


def estimate_price_index(trades: pd.DataFrame, freq: str = "Q", alpha: float = 1.0) -> pd.Series:
    """Market price index from the ledger: hedonic time-dummy regression on log sale prices.

    ``log(price / life factor) ~ kind + jurisdiction + subclass + log1p(claims) +
    log1p(citations) + log(family) + auction + period dummies`` (ridge, ``alpha``), then a
    centred 3-period moving average of the period effects against noise in thin periods.

    Args:
        trades: from :func:`prepare_trades` (only sales with a positive price are used).
        freq: period of the dummies (pandas frequency, quarterly by default).
        alpha: ridge penalty.

    Returns:
        Index by period start, 1.0 in the first period.
    """
    # Imported here: a process that reads a persisted market model (and its index) never needs them.
    from scipy import sparse
    from sklearn.linear_model import Ridge

    s = trades[trades["tx_kind"].isin(SALE_KINDS) & (trades["amount"] > 0)]
    if len(s) < 10:
        raise ValuationError(f"{len(s)} sales are too few to estimate a price index")
    y = np.log(s["amount"].to_numpy(dtype=float)) - np.log(np.clip(s["lf"].to_numpy(), 1e-3, None))
    period = s["date"].dt.to_period(freq)
    periods = pd.period_range(period.min(), period.max(), freq=freq)
    blocks = [
        sparse.csr_matrix(
            pd.get_dummies(period.astype(str)).reindex(columns=periods.astype(str), fill_value=0).to_numpy(dtype=float)
        )
    ]
    for col in ("kind", "jurisdiction", "L2"):
        blocks.append(sparse.csr_matrix(pd.get_dummies(s[col].astype(str)).to_numpy(dtype=float)))
    num = np.column_stack(
        [
            np.log1p(s["claims"].fillna(0).to_numpy(dtype=float)),
            np.log1p(s["citations"].fillna(0).to_numpy(dtype=float)),
            np.log(s["family_size"].fillna(1).clip(lower=1).to_numpy(dtype=float)),
            (s["tx_kind"] == "auction").to_numpy(dtype=float),
        ]
    )
    blocks.append(sparse.csr_matrix(num))
    X = sparse.hstack(blocks).tocsr()
    coef = Ridge(alpha=alpha).fit(X, y).coef_[: len(periods)]
    smooth = pd.Series(coef).rolling(3, center=True, min_periods=1).mean().to_numpy()
    return pd.Series(np.exp(smooth - smooth[0]), index=periods.start_time, name="price_index")


def index_at(index: pd.Series, dates: Any) -> np.ndarray:
    """Index level at each date (flat before the first and after the last period)."""
    pos = (
        np.searchsorted(
            index.index.to_numpy(dtype="datetime64[ns]"), np.asarray(dates, dtype="datetime64[ns]"), side="right"
        )
        - 1
    )
    return index.to_numpy()[np.clip(pos, 0, len(index) - 1)]


@dataclass
class ComparableIndex:
    """Prepared trades with per-kind arrays for fast comparable selection.

    Args:
        trades: from :func:`prepare_trades`.
        index: market price index (:func:`estimate_price_index`).
    """

    trades: pd.DataFrame
    index: pd.Series
    _codes: dict[int, dict[str, int]] = field(default_factory=dict)
    _levels: np.ndarray = field(default_factory=lambda: np.zeros((0, 5), dtype=np.int64))
    _groups: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        tr = self.trades = self.trades[np.isfinite(self.trades["value"].to_numpy(dtype=float))].reset_index(drop=True)
        levels = np.zeros((len(tr), 5), dtype=np.int64)
        for i in range(5):
            codes, uniques = pd.factorize(tr[f"L{i}"])
            levels[:, i] = codes
            self._codes[i] = {u: j for j, u in enumerate(uniques)}
        self._levels = levels
        self._date = tr["date"].to_numpy(dtype="datetime64[ns]")
        self._t = tr["t"].to_numpy()
        self._rem = np.minimum(tr["rem_years"].to_numpy(), 30.0)
        self._lf = tr["lf"].to_numpy()
        self._value_defl = (
            tr["value"].to_numpy(dtype=float) / index_at(self.index, self._date) / np.clip(self._lf, 1e-3, None)
        )
        self._jur = tr["jurisdiction"].to_numpy()
        self._asset = tr["asset_id"].to_numpy()
        self._sale = tr["tx_kind"].isin(SALE_KINDS).to_numpy()
        self._excl = tr["exclusivity"].to_numpy()
        self._terr = tr["territory"].to_numpy()
        for key, rows in tr.groupby(["kind", "L1"]).indices.items():
            self._groups[(str(key[0]), str(key[1]))] = np.sort(rows)
        for key, rows in tr.groupby("kind").indices.items():
            self._groups[(str(key), "")] = np.sort(rows)

    def select(
        self,
        subject: pd.Series | dict[str, Any],
        as_of: pd.Timestamp,
        k: int = 25,
        licence: dict[str, str] | None = None,
        min_candidates: int = 60,
    ) -> pd.DataFrame:
        """The ``k`` most similar trades before ``as_of``, with weights and adjusted values.

        Same asset kind is required. The similarity weight is ``exp(-penalty)`` with
        ``3 * (1 - class proximity) + 0.7 * (other jurisdiction) + |remaining life gap| / 8 +
        age in years / 4 + 0.3 * (licence rather than sale) - 1 * (the same asset)``; with
        ``licence`` terms (``exclusivity``, ``territory``) a mismatch adds 0.5 each.

        Args:
            subject: the asset (a row of the assets frame).
            as_of: valuation date; only trades strictly before it are used.
            k: number of comparables.
            licence: optional licence terms of the subject valuation.
            min_candidates: below this many trades in the subject's IPC class (or equivalent)
                the search widens to the whole kind.

        Returns:
            Comparables, best first: the trade's columns plus ``weight`` (sums to 1),
            ``adjusted_value`` (time- and life-adjusted to the subject at ``as_of``) and
            ``proximity``.
        """
        kind = str(subject["kind"])
        levels = class_levels(str(subject["class_code"]))
        cut = np.datetime64(pd.Timestamp(as_of).to_datetime64(), "ns")
        rows = self._candidates(kind, levels[1], cut, min_candidates)
        if len(rows) == 0:
            return self.trades.iloc[0:0].assign(weight=[], adjusted_value=[], proximity=[])
        prox = np.zeros(len(rows))
        for lvl in range(5):  # least to most specific: a deeper match overrides
            code = self._codes[lvl].get(levels[lvl], -2)
            prox = np.where(self._levels[rows, lvl] == code, LEVEL_PROXIMITY[lvl], prox)
        rem_s, full_s = asset_life(subject, as_of)
        t_now = float(years_since_2000([cut])[0])
        penalty = (
            3.0 * (1.0 - prox)
            + 0.7 * (self._jur[rows] != subject["jurisdiction"])
            + np.abs(self._rem[rows] - min(rem_s, 30.0)) / 8.0
            + (t_now - self._t[rows]) / 4.0
            + 0.3 * ~self._sale[rows]
            - 1.0 * (self._asset[rows] == subject["asset_id"])
        )
        if licence:
            if "exclusivity" in licence:
                penalty = penalty + 0.5 * (self._excl[rows] != licence["exclusivity"])
            if "territory" in licence:
                penalty = penalty + 0.5 * (self._terr[rows] != licence["territory"])
        top = np.argsort(penalty, kind="stable")[:k]
        chosen = rows[top]
        w = np.exp(-(penalty[top] - penalty[top].min()))
        lf_s = life_factor(rem_s, full_s)
        adjusted = self._value_defl[chosen] * float(index_at(self.index, [cut])[0]) * lf_s
        out = self.trades.iloc[chosen].copy()
        out["weight"] = w / w.sum()
        out["adjusted_value"] = adjusted
        out["proximity"] = prox[top]
        return out

    def _candidates(self, kind: str, level1: str, cut: np.datetime64, min_candidates: int) -> np.ndarray:
        """Rows of the kind's class group before ``cut``; the whole kind when that has too few."""
        empty = np.zeros(0, dtype=np.int64)
        rows = self._groups.get((kind, level1), empty)
        rows = rows[: np.searchsorted(self._date[rows], cut, side="left")]
        if len(rows) < min_candidates:
            rows = self._groups.get((kind, ""), empty)
            rows = rows[: np.searchsorted(self._date[rows], cut, side="left")]
        return rows

    def count(
        self, subject: pd.Series | dict[str, Any], as_of: pd.Timestamp, k: int = 25, min_candidates: int = 60
    ) -> int:
        """How many comparables :meth:`select` would return, without ranking them."""
        cut = np.datetime64(pd.Timestamp(as_of).to_datetime64(), "ns")
        level1 = class_levels(str(subject["class_code"]))[1]
        return min(k, len(self._candidates(str(subject["kind"]), level1, cut, min_candidates)))


def asset_life(subject: pd.Series | dict[str, Any], as_of: pd.Timestamp) -> tuple[float, float]:
    """Remaining and full life in years of an asset row at ``as_of`` (inf when unlimited).

    Trademarks (renewable) and trade secrets are unlimited; a right without a recorded expiry
    ends at its statutory term from filing (:func:`ipledger.valuation.life.legal_expiry`).
    """
    expiry = legal_expiry(str(subject["kind"]), subject.get("filing_date"), subject.get("expiry_date"))
    if expiry is None:
        return math.inf, math.inf
    rem = (pd.Timestamp(expiry) - pd.Timestamp(as_of)).days / 365.25
    full = (pd.Timestamp(expiry) - pd.Timestamp(subject["filing_date"])).days / 365.25
    return max(rem, 0.0), max(full, 1e-3)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Quantile ``q`` (0..1) of ``values`` under ``weights``."""
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cw = np.cumsum(w) / w.sum()
    return float(np.interp(q, cw - w / (2 * w.sum()), v))
