"""A realistic, seeded market of IP assets and trades, and a writer that puts it on chain.

No public, redistributable set of IP sale prices exists, so the market approach is built and
tested on this generated market. What it is calibrated to (figures in the shared benchmark
tables; see ``SOURCES.md`` beside them):

* **Royalty rates** follow the Parr / IPRA cumulative distribution of technology royalty rates
  (20% of rates <= 2%, 35% <= 3%, 43% <= 4%, 67% <= 5%, ... 92% <= 10%, 96% <= 15%), median about
  5% (RoyaltyStat's cross-industry 5-6%). A Gaussian copula ties a licence's rate to the asset's
  latent value and its field, so rates "follow value" while the pooled marginal stays Parr's.
* **Price tails**: the Lex Machina award distribution (P50 about 2M, P75 10M, P90 50M USD) has
  a log-normal sigma of about 2.4; litigated awards are a selected top tail, so the generated
  sale prices use a smaller total log sigma (about 1.5 within a kind) with a Student-t(5)
  asset effect for the heavy tail. The median CN invention trades near 300k CNY at 2015
  prices; US assets about 3.3x that (around 140k USD), so the largest generated US sales reach
  the tens of millions of USD, the order of the PwC median damages awards (5.9M USD
  1998-2017) and below the top awards (0.5-2.5B USD). USD figures use 7 CNY per USD.
* **Price process**: written independently of the valuation (own latent quality, own
  remaining-life curve, own licence shares), with scenario settings for heavy tails,
  nonlinear and interaction effects, an omitted driver, a regime shift, noisy prices and thin
  or first-sale markets; see :mod:`ipledger.sources.scenarios`.
* **Market drift**: a monthly price index, log random walk with about 4% a year of drift and a
  2020 dip, starting at 1.0 in the month of ``start``.

Statutory terms from filing: invention 20 years; utility model 10; design 10 (15 for CN
designs filed from 2021-06-01, the 2021 Patent Law); trademarks 10 years from registration,
renewed with probability 0.8 each time; copyright and software 50 years; trade secrets have
none. All amounts are in ``currency`` (major units), whatever the jurisdiction.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ipledger.chain.codes import AssetKind
from ipledger.chain.records import asset_id
from ipledger.errors import ValidationError
from ipledger.sources.scenarios import (
    MAX_PRICE,
    MIN_PRICE,
    Scenario,
    get_scenario,
    licence_share,
    life_curve,
    observable_effects,
    price_noise,
    quality,
    shift_effect,
)

# (share, log median price in CNY at 2015 prices for a full-life CN asset)
KINDS: dict[str, tuple[float, float]] = {
    "invention": (0.38, math.log(300_000)),
    "utility_model": (0.22, math.log(60_000)),
    "design": (0.12, math.log(40_000)),
    "trademark": (0.14, math.log(150_000)),
    "copyright": (0.05, math.log(80_000)),
    "software": (0.07, math.log(120_000)),
    "trade_secret": (0.02, math.log(500_000)),
}
PATENTS = ("invention", "utility_model", "design")

# technical field: (share of patents, log value effect, royalty-rate shift, {IPC subclass: main groups})
FIELDS: dict[str, tuple[float, float, float, dict[str, tuple[int, ...]]]] = {
    "pharmaceuticals": (0.07, 0.8, 0.6, {"A61K": (31, 9, 38, 47), "A61P": (35, 25, 3)}),
    "biotechnology": (0.05, 0.7, 0.5, {"C12N": (15, 5, 9), "C12Q": (1,), "C07K": (14, 16)}),
    "medical devices": (0.07, 0.5, 0.3, {"A61B": (5, 17, 34), "A61M": (5, 25), "A61F": (2, 13)}),
    "organic chemistry": (0.05, 0.3, 0.2, {"C07D": (401, 471, 487), "C07C": (67, 231)}),
    "polymers and materials": (0.07, 0.0, -0.1, {"C08L": (23, 67), "C08K": (3, 5), "B32B": (27, 15)}),
    "semiconductors": (0.05, 0.6, 0.1, {"H01L": (21, 23, 27, 29, 33)}),
    "telecommunications": (0.08, 0.7, 0.0, {"H04W": (72, 4, 24), "H04L": (5, 9, 67), "H04B": (7,)}),
    "computing and AI": (0.12, 0.5, 0.1, {"G06F": (3, 16, 9), "G06N": (3, 20), "G06Q": (10, 30, 50)}),
    "batteries and power": (0.06, 0.4, 0.0, {"H01M": (10, 4), "H02J": (7, 3), "H02K": (1,)}),
    "measurement and optics": (0.08, 0.1, -0.1, {"G01N": (21, 33), "G01B": (11,), "G02B": (6, 27)}),
    "vehicles": (0.06, 0.2, -0.2, {"B60L": (53, 58), "B60W": (30, 10), "B62D": (21, 25)}),
    "machinery": (0.10, -0.2, -0.3, {"F16H": (57, 1), "F16K": (31, 27), "B23K": (26, 37)}),
    "construction": (0.05, -0.4, -0.4, {"E04B": (1, 2), "E04G": (21,), "E01D": (19,)}),
    "agriculture and food": (0.04, -0.1, -0.2, {"A01B": (49,), "A01N": (43, 25), "A23L": (33, 2)}),
    "household goods": (0.03, -0.3, -0.2, {"A47J": (27, 31, 36), "A47L": (11,), "D06F": (39, 58)}),
    "environmental technology": (0.02, 0.0, -0.1, {"B01D": (53, 46), "C02F": (1, 9), "F24S": (10,)}),
}
SUBGROUPS = ("00", "00", "02", "04", "10", "12", "20")
# Nice classes for trademarks: class -> (sector, log value effect)
NICE: dict[str, tuple[str, float]] = {
    "3": ("cosmetics", 0.2),
    "5": ("pharmaceutical brands", 0.4),
    "7": ("machinery brands", -0.2),
    "9": ("electronics brands", 0.4),
    "11": ("appliance brands", 0.0),
    "12": ("vehicle brands", 0.3),
    "25": ("clothing", 0.1),
    "29": ("food", -0.1),
    "30": ("food", -0.1),
    "32": ("beverages", 0.2),
    "33": ("alcoholic beverages", 0.5),
    "35": ("retail and advertising", 0.1),
    "36": ("financial services", 0.3),
    "41": ("education and entertainment", 0.0),
    "42": ("technology services", 0.3),
    "43": ("restaurants", -0.2),
}
# Locarno classes for designs: code -> (field, log value effect)
LOCARNO: dict[str, tuple[str, float]] = {
    "02-02": ("garments", -0.2),
    "06-01": ("furniture", -0.1),
    "07-02": ("cooking appliances", 0.0),
    "09-01": ("packaging", -0.3),
    "10-02": ("watches", 0.2),
    "12-08": ("vehicles", 0.4),
    "14-03": ("telecommunications equipment", 0.5),
    "26-05": ("lighting", -0.1),
}
COPYRIGHT: dict[str, tuple[str, float]] = {
    "CR-film": ("film and video", 0.5),
    "CR-music": ("music", 0.0),
    "CR-literary": ("literature", -0.2),
    "CR-art": ("fine art", -0.1),
    "CR-photo": ("photography", -0.5),
}
SOFTWARE: dict[str, tuple[str, float]] = {
    "SW-enterprise": ("enterprise software", 0.3),
    "SW-mobile": ("mobile apps", 0.0),
    "SW-games": ("games", 0.2),
    "SW-industrial": ("industrial control software", 0.1),
    "SW-fintech": ("financial software", 0.4),
}
JURISDICTIONS: dict[str, tuple[float, float]] = {  # share, log value effect
    "CN": (0.76, 0.0),
    "US": (0.08, 1.2),
    "EP": (0.06, 0.9),
    "JP": (0.05, 0.6),
    "KR": (0.05, 0.4),
}
TERMS_YEARS = {"invention": 20, "utility_model": 10, "design": 10, "copyright": 50, "software": 50}
# Parr / IPRA cumulative distribution (share of rates <= threshold), with end points added.
PARR_CDF = np.array([0.0, 0.20, 0.35, 0.43, 0.67, 0.72, 0.77, 0.81, 0.82, 0.92, 0.96, 1.0])
PARR_RATE = np.array([0.0025, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.10, 0.15, 0.25])
TX_KIND_P = {"assignment": 0.46, "licence": 0.38, "pledge": 0.14, "auction": 0.02}
EXCLUSIVITY_P = {"non_exclusive": 0.6, "sole": 0.15, "exclusive": 0.25}
_DAY = np.timedelta64(1, "D")


@dataclass(frozen=True)
class MarketTruth:
    """What the price process knows and no ledger holds, for measuring the best any method can do
    (the benchmark's Bayes oracle); never used by the valuation.

    Attributes:
        scenario: the scenario the market was drawn from.
        latent: per asset (rows of ``assets``), the log-price effect no feature carries: quality
            times its scale plus the firm effect.
        walk_start: per asset, the date the asset's random walk starts (0 there).
        known: per transaction (rows of ``transactions``), the log price before the latent
            effect, the asset's random walk and the price noise: the observable effects, the
            true index, the remaining-life curve, the regime shift, the auction discount and the
            licence share (NaN for pledges and releases).
        walk: per transaction, the asset's random walk at its date.
    """

    scenario: Scenario
    latent: np.ndarray
    walk_start: np.ndarray
    known: np.ndarray
    walk: np.ndarray


@dataclass
class Market:
    """A generated market.

    Attributes:
        assets: the assets frame (indexer schema) plus ``applicant`` (first owner, registered on
            chain), ``status_date`` (when a final status other than active/pending/dispute was
            reached) and ``latent_value`` (true full-life value in major units at the price
            index base, for a CN-style asset of its features).
        transactions: the transactions frame (indexer schema minus chain-only columns);
            ``record_id`` is the id the record gets on a fresh chain (assets take 1..n first).
        documents: metadata documents by ``metadata_hash`` ("0x" + sha-256 hex).
        price_index: monthly market price index (1.0 in the first month).
        currency: ISO 4217 code of every amount.
    """

    assets: pd.DataFrame
    transactions: pd.DataFrame
    documents: dict[str, bytes] = field(default_factory=dict)
    price_index: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    currency: str = "CNY"
    truth: MarketTruth | None = None

    @property
    def latent_value(self) -> pd.Series:
        """True full-life value per asset id, major units at the index base."""
        return self.assets.set_index("asset_id")["latent_value"]


def _addresses(prefix: str, n: int) -> list[str]:
    return ["0x" + hashlib.sha256(f"{prefix}{i}".encode()).hexdigest()[:40] for i in range(n)]


def _price_index(rng: np.random.Generator, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    months = pd.date_range(start.to_period("M").to_timestamp(), end, freq="MS")
    steps = rng.normal(0.04 / 12, 0.015, len(months))
    steps[0] = 0.0
    log_index = np.cumsum(steps)
    # A dip in spring 2020 that recovers over the following year.
    t = (months - pd.Timestamp("2020-03-01")).days.to_numpy() / 365.25
    log_index += np.where(t >= 0, -0.12 * np.exp(-t / 0.7), 0.0)
    log_index -= log_index[0]
    return pd.Series(np.exp(log_index), index=months, name="price_index")


def parr_rate(u: np.ndarray) -> np.ndarray:
    """Royalty rate (fraction) at cumulative probability ``u`` of the Parr / IPRA distribution."""
    return np.interp(u, PARR_CDF, PARR_RATE)


def _pick(rng: np.random.Generator, table: dict[str, Any], n: int, weights: list[float] | None = None) -> np.ndarray:
    keys = list(table)
    p = np.asarray(weights if weights is not None else [1.0] * len(keys), dtype=float)
    return np.asarray(keys, dtype=object)[rng.choice(len(keys), size=n, p=p / p.sum())]


def _assets(rng: np.random.Generator, n: int, start: pd.Timestamp, end: pd.Timestamp, sc: Scenario) -> pd.DataFrame:
    kind = _pick(rng, KINDS, n, [v[0] for v in KINDS.values()])
    jur = _pick(rng, JURISDICTIONS, n, [v[0] for v in JURISDICTIONS.values()])
    # Copyright and software registrations are Chinese here (the CN registration systems).
    jur[np.isin(kind, ("copyright", "software"))] = "CN"
    techfield = _pick(rng, FIELDS, n, [v[0] for v in FIELDS.values()])
    class_code = np.empty(n, dtype=object)
    fld = np.empty(n, dtype=object)
    effect = np.zeros(n)
    rshift = np.zeros(n)
    for i in range(n):
        k = kind[i]
        if k in ("invention", "utility_model", "trade_secret"):
            _share, eff, rs, groups = FIELDS[techfield[i]]
            sub = list(groups)[rng.integers(len(groups))]
            grp = groups[sub][rng.integers(len(groups[sub]))]
            class_code[i] = sub if k == "trade_secret" else f"{sub}{grp}/{SUBGROUPS[rng.integers(len(SUBGROUPS))]}"
            fld[i], effect[i], rshift[i] = techfield[i], eff, rs
        else:
            table = {"design": LOCARNO, "trademark": NICE, "copyright": COPYRIGHT, "software": SOFTWARE}[k]
            code = list(table)[rng.integers(len(table))]
            class_code[i] = code
            fld[i], effect[i] = table[code]
            rshift[i] = effect[i] / 2
    is_patent = np.isin(kind, PATENTS)
    # Filings grow over time: more recent filings are more frequent.
    span = (end - pd.DateOffset(days=60)) - (start - pd.DateOffset(years=10))
    filing = (start - pd.DateOffset(years=10)) + pd.to_timedelta(rng.random(n) ** 0.7 * span.days, unit="D")
    filing = pd.DatetimeIndex(filing).normalize()
    lag_years = np.select(
        [kind == "invention", np.isin(kind, ("utility_model", "design")), kind == "trademark"],
        [rng.lognormal(math.log(2.2), 0.3, n), rng.uniform(0.4, 1.0, n), rng.uniform(0.7, 1.5, n)],
        rng.uniform(0.05, 0.25, n),
    )
    grant = filing + pd.to_timedelta(lag_years * 365.25, unit="D").round("D")
    grant = grant.where((grant <= end) & (kind != "trade_secret"))
    years = np.array([TERMS_YEARS.get(k, 0) for k in kind])
    new_cn_design = (kind == "design") & (jur == "CN") & (filing >= pd.Timestamp("2021-06-01"))
    years[new_cn_design] = 15
    expiry_list = [f + pd.DateOffset(years=int(y)) if y else pd.NaT for f, y in zip(filing, years, strict=True)]
    # Trademarks: 10-year periods from registration, each renewed with probability 0.8.
    for j in np.flatnonzero((kind == "trademark") & grant.notna()):
        exp = grant[j] + pd.DateOffset(years=10)
        while exp <= end and rng.random() < 0.8:
            exp += pd.DateOffset(years=10)
        expiry_list[j] = exp
    expiry = pd.DatetimeIndex(expiry_list)
    claims = np.where(
        kind == "invention",
        1 + rng.negative_binomial(3, 3 / 11, n),
        np.where(kind == "utility_model", 1 + rng.negative_binomial(3, 3 / 7, n), np.where(kind == "design", 1, -1)),
    ).astype(float)
    claims[claims < 0] = np.nan
    citations = np.where(
        kind == "invention",
        rng.negative_binomial(2, 2 / 8, n),
        np.where(kind == "utility_model", rng.negative_binomial(2, 2 / 4, n), -1),
    ).astype(float)
    citations[citations < 0] = np.nan
    family = np.where(is_patent, 1 + rng.geometric(0.6, n) - 1 + (jur != "CN") * rng.integers(0, 4, n), -1)
    family = np.where(kind == "invention", family + rng.geometric(0.5, n) - 1, family).astype(float)
    family[family < 0] = np.nan
    owner_pool = _addresses("ipledger-firm-", max(50, n // 8))
    firm_p = 1.0 / np.arange(1, len(owner_pool) + 1) ** 0.8
    applicant = np.asarray(owner_pool, dtype=object)[rng.choice(len(owner_pool), size=n, p=firm_p / firm_p.sum())]

    # The generator's own price drivers (see ipledger.sources.scenarios): latent quality,
    # observable effects in the scenario's functional form, and a firm effect no feature holds.
    q = quality(rng, sc, n)
    firm_effect = dict(zip(owner_pool, rng.normal(0.0, sc.firm_sd, len(owner_pool)), strict=True))
    firm = np.array([firm_effect[a] for a in applicant])
    log_value = (
        np.array([KINDS[k][1] for k in kind])
        + effect
        + np.array([JURISDICTIONS[j][1] for j in jur])
        + observable_effects(sc, kind, jur, fld, class_code, claims, citations, family)
        + sc.quality_sd * q
        + firm
    )
    log_value = np.minimum(log_value, math.log(MAX_PRICE))  # overflow guard for heavy tails
    rd = np.where(
        np.isin(kind, (*PATENTS, "software", "trade_secret")), np.exp(log_value - 0.6 + rng.normal(0, 0.6, n)), np.nan
    )
    rd[rng.random(n) < 0.3] = np.nan

    # Statuses. `status_date` is when an asset stopped being tradable.
    status = np.where(grant.isna() & (kind != "trade_secret"), "pending", "active").astype(object)
    status_date = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    expired = expiry.notna() & (expiry <= end)
    status[expired] = "expired"
    status_date[expired] = expiry[expired]
    u = rng.random(n)
    live_granted = (status == "active") & is_patent
    lapse = live_granted & (u < 0.08)
    inval = live_granted & (u >= 0.08) & (u < 0.095)
    owndis = (status == "active") & (u >= 0.095) & (u < 0.105)
    infdis = (status == "active") & (u >= 0.105) & (u < 0.13)
    for mask, name in ((lapse, "lapsed"), (inval, "invalidated"), (owndis, "ownership_dispute")):
        idx = np.flatnonzero(mask)
        g = grant[idx].to_numpy(dtype="datetime64[ns]")
        lo = np.where(np.isnat(g), filing[idx].to_numpy(dtype="datetime64[ns]"), g)  # trade secrets: no grant
        days = (((end.to_datetime64() - lo) / _DAY) * rng.uniform(0.3, 1.0, len(idx))).astype(int)
        status[idx] = name
        status_date.iloc[idx] = lo + days * _DAY
    status[infdis] = "infringement_dispute"

    numbers = _registry_numbers(rng, kind, jur, filing)
    ids = ["0x" + asset_id(j, AssetKind[k.upper()], r).hex() for j, k, r in zip(jur, kind, numbers, strict=True)]
    return pd.DataFrame(
        {
            "asset_id": ids,
            "registry_number": numbers,
            "jurisdiction": jur,
            "kind": kind,
            "class_code": class_code,
            "filing_date": filing.astype("datetime64[ns]"),
            "grant_date": pd.DatetimeIndex(grant).astype("datetime64[ns]"),
            "expiry_date": expiry.astype("datetime64[ns]"),
            "status": status,
            "owner": applicant,
            "applicant": applicant,
            "metadata_hash": "",
            "field": fld,
            "claims": claims,
            "citations": citations,
            "family_size": family,
            "rd_cost": np.round(rd, -2),
            "status_date": status_date.astype("datetime64[ns]").to_numpy(),
            "latent_value": np.exp(log_value),
            "_latent": sc.quality_sd * q + firm,
            "_rshift": rshift,
            "_field": fld,
        }
    )


def _registry_numbers(
    rng: np.random.Generator, kind: np.ndarray, jur: np.ndarray, filing: pd.DatetimeIndex
) -> list[str]:
    # Each (jurisdiction, kind, year) series starts at a seeded offset, so that markets of
    # different seeds can share a chain without duplicate registry numbers.
    counters: dict[tuple[str, str, int], int] = {}
    out = []
    cn_type = {"invention": "1", "utility_model": "2", "design": "3"}
    for k, j, f in zip(kind, jur, filing, strict=True):
        key = (j, k, f.year)
        if key not in counters:
            counters[key] = int(rng.integers(100_000, 900_000))
        seq = counters[key] = counters[key] + 1
        y = f.year
        if k == "trademark":
            out.append(f"{j}TM{y % 100:02d}{seq:07d}")
        elif k == "copyright":
            out.append(f"{y}-L-{seq:08d}")
        elif k == "software":
            out.append(f"{y}SR{seq:07d}")
        elif k == "trade_secret":
            out.append(f"{j}-TS-{y}-{seq:06d}")
        elif j == "CN":
            body = f"{y}{cn_type[k]}{seq:07d}"
            check = sum(int(c) * w for c, w in zip(body[-8:], (2, 3, 4, 5, 6, 7, 8, 9), strict=True)) % 11
            out.append(f"ZL{body}.{'X' if check == 10 else check}")  # canonical CN form
        else:
            out.append(f"{j}{y}{cn_type[k]}{seq:06d}")
    return out


def _documents(assets: pd.DataFrame) -> dict[str, bytes]:
    docs: dict[str, bytes] = {}
    hashes = []
    for row in assets.itertuples(index=False):
        meta = {
            "title": f"{row.kind.replace('_', ' ')} in {row.field} ({row.registry_number})",
            "field": row.field,
            "claims": None if np.isnan(row.claims) else int(row.claims),
            "citations": None if np.isnan(row.citations) else int(row.citations),
            "family_size": None if np.isnan(row.family_size) else int(row.family_size),
            "rd_cost": None if np.isnan(row.rd_cost) else float(row.rd_cost),
        }
        blob = json.dumps(meta, sort_keys=True, separators=(",", ":")).encode()
        h = "0x" + hashlib.sha256(blob).hexdigest()
        docs[h] = blob
        hashes.append(h)
    assets["metadata_hash"] = hashes
    return docs


def generate_market(
    seed: int = 0,
    n_assets: int = 2000,
    n_transactions: int = 20000,
    start: str = "2015-01-01",
    end: str = "2025-12-31",
    currency: str = "CNY",
    scenario: str | Scenario = "base",
) -> Market:
    """Generate a seeded, deterministic market of IP assets and their trades.

    Args:
        seed: random seed; the same arguments give the same market.
        n_assets: number of assets.
        n_transactions: number of transaction records (releases included).
        start: first trade date (ISO).
        end: last trade date (ISO); clipped to yesterday so that every date is in the past.
        currency: ISO 4217 code of every amount (major units in the frames).
        scenario: price-process settings, a name of
            :data:`~ipledger.sources.scenarios.SCENARIOS` or a
            :class:`~ipledger.sources.scenarios.Scenario` (its suggested sizes are not applied:
            ``n_assets`` and ``n_transactions`` are).

    Returns:
        The market; see :class:`Market`.
    """
    if n_assets < 1 or n_transactions < 0:
        raise ValidationError(f"need n_assets >= 1 and n_transactions >= 0, got {n_assets}, {n_transactions}")
    sc = get_scenario(scenario)
    rng = np.random.default_rng(seed)
    start_ts = pd.Timestamp(start)
    end_ts = min(pd.Timestamp(end), pd.Timestamp.now().normalize() - pd.Timedelta(days=1))
    if end_ts <= start_ts:
        raise ValidationError(f"end {end} must be after start {start} and in the past")
    index = _price_index(rng, start_ts, end_ts)
    assets = _assets(rng, n_assets, start_ts, end_ts, sc)
    docs = _documents(assets)
    tx = _transactions(rng, assets, index, n_transactions, start_ts, end_ts, currency, sc)
    # Current owner: the buyer of the last assignment or auction.
    moves = tx[tx["kind"].isin(["assignment", "auction"])]
    last = moves.groupby("asset_id")["buyer"].last()
    assets["owner"] = assets["asset_id"].map(last).fillna(assets["applicant"])
    walk_start = np.maximum(assets["filing_date"].to_numpy(), start_ts.to_datetime64())
    truth = MarketTruth(
        sc, assets["_latent"].to_numpy(), walk_start, tx.pop("_known").to_numpy(), tx.pop("_walk").to_numpy()
    )
    assets = assets.drop(columns=["_rshift", "_field", "_latent"])
    return Market(assets, tx, docs, index, currency, truth)


def _years(delta: np.ndarray) -> np.ndarray:
    return np.asarray(delta / _DAY / 365.25, dtype=float)


def _transactions(
    rng: np.random.Generator,
    assets: pd.DataFrame,
    index: pd.Series,
    n_tx: int,
    start: pd.Timestamp,
    end: pd.Timestamp,
    currency: str,
    sc: Scenario,
) -> pd.DataFrame:
    n = len(assets)
    lo = np.maximum(assets["filing_date"].to_numpy(), start.to_datetime64())
    stop = assets["status_date"].fillna(end).to_numpy()
    hi = np.minimum(stop, end.to_datetime64())
    window = (hi - lo) / _DAY
    log_v = np.log(assets["latent_value"].to_numpy())
    weight = np.where(window > 30, window * np.exp(0.3 * (log_v - log_v.mean())), 0.0)
    if weight.sum() == 0:
        raise ValidationError("no asset is tradable between start and end")
    counts = rng.multinomial(n_tx, weight / weight.sum())
    # Royalty-rate copula: standardised value and field shift plus noise, mapped through Parr.
    z_value = (log_v - log_v.mean()) / log_v.std()
    rshift = assets["_rshift"].to_numpy()
    banks = _addresses("ipledger-bank-", 20)
    firms = sorted(set(assets["applicant"]))
    kinds = list(TX_KIND_P)
    kind_p = np.array(list(TX_KIND_P.values()))
    excl_names = list(EXCLUSIVITY_P)
    excl_p = np.array(list(EXCLUSIVITY_P.values()))
    rows: list[tuple[Any, ...]] = []
    walks: list[float] = []
    akind = assets["kind"].to_numpy()
    jur = assets["jurisdiction"].to_numpy()
    expiry = assets["expiry_date"].to_numpy()
    applicants = assets["applicant"].to_numpy()
    year_days = 365.25
    # The loop draws the structure (who trades what, when, on which terms); prices are set
    # afterwards, vectorised, from the scenario's price process.
    for i in np.flatnonzero(counts):
        k = counts[i]
        days = np.sort(rng.integers(0, int(window[i]) + 1, k))
        dates = lo[i] + days * _DAY
        steps = rng.normal(0.0, 1.0, k) * sc.drift_sd * np.sqrt(np.diff(days, prepend=0) / year_days)
        walk = np.cumsum(steps)
        owner = applicants[i]
        open_pledge: int | None = None
        for j, d in enumerate(dates):
            if open_pledge is not None and rng.random() < 0.5:
                pledge = rows[open_pledge]
                rows.append(
                    (i, d, "release", pledge[3], pledge[4], 0.0, 0.0, "non_exclusive", jur[i], pd.NaT, open_pledge)
                )
                walks.append(walk[j])
                open_pledge = None
                continue
            kind = kinds[rng.choice(4, p=kind_p)]
            if kind == "pledge" and open_pledge is not None:
                kind = "licence"
            other = firms[rng.integers(len(firms))]
            while other == owner:
                other = firms[rng.integers(len(firms))]
            if kind in ("assignment", "auction"):
                rows.append((i, d, kind, owner, other, 0.0, 0.0, "non_exclusive", jur[i], pd.NaT, None))
                owner = other
            elif kind == "licence":
                excl = excl_names[rng.choice(3, p=excl_p)]
                term_years = int(rng.integers(1, 6 if akind[i] in ("trademark", "copyright") else 11))
                term_end = d + np.timedelta64(int(term_years * 365.25), "D")
                if not np.isnat(expiry[i]) and term_end > expiry[i]:
                    term_end = expiry[i]
                # A latent score for the rate; mapped through Parr once all licences are drawn.
                rate = 0.45 * z_value[i] + 0.6 * rshift[i] + math.sqrt(1 - 0.45**2 - 0.15) * rng.normal()
                # Running royalty only (45%), lump sum only (25%), or both (30%); 1.0 marks the lump.
                u = rng.random()
                amount, r = (0.0, rate) if u < 0.45 else ((1.0, math.nan) if u < 0.7 else (0.3, rate))
                territory = jur[i] if rng.random() < 0.85 else "WW"
                rows.append((i, d, kind, owner, other, amount, r, excl, territory, term_end, None))
            else:  # pledge
                bank = banks[rng.integers(len(banks))]
                term_end = d + np.timedelta64(int(365 * rng.integers(1, 4)), "D")
                rows.append((i, d, kind, owner, bank, 1.0, 0.0, "non_exclusive", jur[i], term_end, None))
                open_pledge = len(rows) - 1
            walks.append(walk[j])
    cols = [
        "_asset",
        "date",
        "kind",
        "seller",
        "buyer",
        "amount",
        "royalty_rate",
        "exclusivity",
        "territory",
        "term_end",
        "_ref",
    ]
    tx = pd.DataFrame(rows, columns=cols)
    tx["amount"], known = _prices(rng, sc, assets, index, tx, np.asarray(walks))
    tx["_known"], tx["_walk"] = known, np.asarray(walks)
    # Standardise the licences' latent scores so that the pooled rates follow Parr exactly.
    lic = (tx["kind"] == "licence").to_numpy()
    score = tx["royalty_rate"].to_numpy(dtype=float)
    has = lic & ~np.isnan(score)
    z = (score[has] - score[has].mean()) / (score[has].std() or 1.0)
    rates = np.zeros(len(tx))
    rates[has] = np.round(parr_rate(stats.norm.cdf(z)), 4)
    tx["royalty_rate"] = rates
    tx["_row"] = np.arange(len(tx))
    tx = tx.sort_values(["date", "_asset", "_row"], kind="stable").reset_index(drop=True)
    tx["record_id"] = np.arange(len(tx), dtype=np.int64) + n + 1
    rid_of_row = pd.Series(tx["record_id"].to_numpy(), index=tx["_row"].to_numpy())
    tx["ref"] = tx["_ref"].map(lambda r: 0 if r is None or pd.isna(r) else int(rid_of_row[int(r)])).astype(np.int64)
    tx["asset_id"] = assets["asset_id"].to_numpy()[tx["_asset"].to_numpy()]
    tx["currency"] = currency
    tx["date"] = tx["date"].astype("datetime64[ns]")
    tx["term_end"] = pd.to_datetime(tx["term_end"]).astype("datetime64[ns]")
    tx["doc_hash"] = ""
    tx["void"] = False
    order = [
        "record_id",
        "asset_id",
        "kind",
        "seller",
        "buyer",
        "date",
        "currency",
        "amount",
        "royalty_rate",
        "exclusivity",
        "territory",
        "term_end",
        "ref",
        "doc_hash",
        "void",
        "_known",
        "_walk",
    ]
    return tx[order]


def _prices(
    rng: np.random.Generator,
    sc: Scenario,
    assets: pd.DataFrame,
    index: pd.Series,
    tx: pd.DataFrame,
    walk: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Amounts of the drawn trades (major units), from the scenario's price process, and each
    trade's log price before the asset's latent effect, its random walk and the noise (NaN for
    pledges and releases; see :class:`MarketTruth`)."""
    i = tx["_asset"].to_numpy()
    kind = tx["kind"].to_numpy()
    d = tx["date"].to_numpy(dtype="datetime64[ns]")
    akind = assets["kind"].to_numpy()[i]
    fld = assets["_field"].to_numpy()[i]
    expiry = assets["expiry_date"].to_numpy(dtype="datetime64[ns]")[i]
    filing = assets["filing_date"].to_numpy(dtype="datetime64[ns]")[i]
    unlimited = np.isnat(expiry)
    with np.errstate(invalid="ignore"):
        rem = np.where(unlimited, np.inf, np.clip(_years(expiry - d), 0.0, None))
        full = np.where(unlimited, np.inf, _years(expiry - filing))
    month = np.clip(np.searchsorted(index.index.to_numpy(), d, side="right") - 1, 0, len(index) - 1)
    shift = shift_effect(sc, d, akind, fld)
    log_value = (
        np.log(assets["latent_value"].to_numpy()[i])
        + np.log(index.to_numpy()[month])
        + np.log(np.maximum(life_curve(akind, rem, full), 1e-12))
        + walk
        + shift
    )
    noise = price_noise(rng, sc, len(tx), shift != 0)
    amount = tx["amount"].to_numpy(dtype=float)
    out = np.zeros(len(tx))
    sale = np.isin(kind, ("assignment", "auction"))
    out[sale] = log_value[sale] + noise[sale] - np.where(kind[sale] == "auction", 0.35, 0.0)
    lic = (kind == "licence") & (amount > 0)
    term = np.maximum(_years(tx["term_end"].to_numpy(dtype="datetime64[ns]")[lic] - d[lic]), 0.1)
    share = licence_share(tx["exclusivity"].to_numpy()[lic], term, rem[lic]) * amount[lic]
    out[lic] = log_value[lic] + np.log(share) + noise[lic]
    pledge = kind == "pledge"
    out[pledge] = log_value[pledge] + np.log(rng.uniform(0.3, 0.6, int(pledge.sum()))) + noise[pledge] / 2
    price = np.exp(np.minimum(out, math.log(MAX_PRICE)))
    priced = sale | lic | pledge
    price = np.where(priced, np.maximum(np.round(price, 2), MIN_PRICE), 0.0)
    price[pledge] = np.maximum(np.round(price[pledge], -2), 100.0)
    known = np.full(len(tx), np.nan)
    base = log_value - assets["_latent"].to_numpy()[i] - walk
    known[sale] = base[sale] - np.where(kind[sale] == "auction", 0.35, 0.0)
    known[lic] = base[lic] + np.log(share)
    return np.asarray(price), known


def write_market(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """See :func:`ipledger.sources.market_writer.write_market` (kept here for callers of the
    generator module)."""
    from ipledger.sources.market_writer import write_market as _write

    return _write(*args, **kwargs)
