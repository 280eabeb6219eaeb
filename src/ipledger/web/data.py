"""What the pages and the API read: the public Ledger API, indexed once per ledger state.

A page must answer in milliseconds on a 100k-record ledger, so per ledger state (the indexed
block) the view builds look-ups once: asset rows by id, transactions by asset, and caches each
asset's ``Ledger.history`` (least recently used). Everything comes from ``Ledger.assets()``,
``transactions()``, ``status_history()``, ``history()``, ``anchors()`` and ``claims()``; the
organisations directory from ``Ledger.organisations()`` where this version has it.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ipledger.chain.codes import AnchorKind, ClaimKind
from ipledger.errors import LedgerError
from ipledger.money import to_major

ASSET_COLUMNS = ("registry_number", "title", "kind", "class_code", "jurisdiction", "owner", "status")
HISTORY_CACHE = 4096
MAX_PER_PAGE = 100


def _jsonable(v: Any) -> Any:
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return None if math.isnan(v) else float(v)
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def _day(seconds: Any) -> str | None:
    """A chain timestamp (seconds since 1970, UTC) as an ISO date."""
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(int(seconds), dt.UTC).date().isoformat()


def record(row: dict[str, Any]) -> dict[str, Any]:
    """A frame row as JSON-ready values (dates as ISO strings, NaN as None)."""
    return {k: _jsonable(v) for k, v in row.items()}


@dataclass
class _Index:
    state: tuple[int, str]
    assets: pd.DataFrame
    position: dict[str, int]
    search: pd.Series  # lower-case registry number + title, for the search box
    tx: pd.DataFrame
    tx_by_asset: dict[str, np.ndarray]
    anchors: list[dict[str, Any]]
    claims: list[dict[str, Any]]
    anchors_by_asset: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    bundles: OrderedDict[str, dict[str, Any]] = field(default_factory=OrderedDict)


class LedgerView:
    """Read access for the platform over one :class:`ipledger.ledger.Ledger`.

    Thread-safe: index building and ledger calls hold a lock; built indexes are read-only.
    """

    def __init__(self, ledger: Any, state_ttl: float = 1.0) -> None:
        self.ledger = ledger
        self.state_ttl = state_ttl
        self._lock = threading.RLock()
        self._index: _Index | None = None
        self._checked = 0.0

    # ------------------------------------------------------------ state and indexes

    def state(self) -> tuple[int, str]:
        with self._lock:
            return tuple(self.ledger.state())  # type: ignore[return-value]

    def index(self) -> _Index:
        """The look-ups for the current ledger state, rebuilt when the indexed state changed.

        The state (one store query) is checked at most every ``state_ttl`` seconds, so blocks
        another process indexes show within that time; this process's own syncs show at once
        (:meth:`invalidate`).
        """
        ix = self._index
        if ix is not None and time.monotonic() - self._checked < self.state_ttl:
            return ix
        with self._lock:
            state = tuple(self.ledger.state())
            self._checked = time.monotonic()
            if self._index is None or self._index.state != state:
                self._index = self._build(state)  # type: ignore[arg-type]
            return self._index

    def invalidate(self) -> None:
        """Check the ledger state on the next read (after this process synced)."""
        self._checked = 0.0

    def _build(self, state: tuple[int, str]) -> _Index:
        a = self.ledger.assets().reset_index(drop=True)
        tx = self.ledger.transactions(include_void=True).reset_index(drop=True)
        groups = tx.groupby("asset_id", sort=False).indices if len(tx) else {}
        text = pd.Series(
            [
                f"{r} {t}".lower() if isinstance(t, str) else str(r).lower()
                for r, t in zip(a["registry_number"], a["title"], strict=True)
            ],
            dtype=object,
        )
        anchors = [record(r) for r in self.ledger.anchors().to_dict("records")]
        for r in anchors:
            cur = str(r["currency"])
            for k in ("value", "low", "high"):
                r[k] = to_major(int(r[k]), cur)
            r["kind_name"] = AnchorKind(int(r["kind"])).name.lower()
            r["as_of"] = _day(r["as_of"])
        claims = [record(r) for r in self.ledger.claims().to_dict("records")]
        for r in claims:
            r["amount"] = to_major(int(r["amount"]), str(r["currency"]))
            r["kind_name"] = ClaimKind(int(r["kind"])).name.lower()
            r["date"] = _day(r["date"])
        by_asset: dict[str, list[dict[str, Any]]] = {}
        for r in sorted(anchors, key=lambda r: (r["block_number"], r["log_index"]), reverse=True):
            by_asset.setdefault(str(r["asset_id"]), []).append(r)
        return _Index(
            state=state,
            anchors_by_asset=by_asset,
            assets=a,
            position={aid: i for i, aid in enumerate(a["asset_id"])},
            search=text,
            tx=tx,
            tx_by_asset={str(k): v for k, v in groups.items()},
            anchors=anchors,
            claims=claims,
        )

    # ------------------------------------------------------------ assets

    def resolve(self, text: str) -> str:
        """A 0x asset id from an id or a registry number; LedgerError when unknown."""
        ix = self.index()
        t = text.strip().lower()
        if t in ix.position:
            return t
        with self._lock:
            return str(self.ledger.resolve_asset(text))

    def search(
        self, q: str = "", page: int = 1, per_page: int = 25, **filters: str | None
    ) -> tuple[list[dict[str, Any]], int]:
        """Assets matching the text ``q`` (registry number or title) and exact ``filters``
        (kind, jurisdiction, status, class_code prefix, owner), one page in registration order;
        returns (rows, total matches)."""
        ix = self.index()
        a = ix.assets
        mask = np.ones(len(a), dtype=bool)
        if q.strip():
            needle = q.strip().lower()
            mask &= np.fromiter((needle in t for t in ix.search), dtype=bool, count=len(ix.search))
        for key, value in filters.items():
            if not value:
                continue
            if key == "class_code":
                mask &= a["class_code"].str.upper().str.startswith(value.upper()).to_numpy()
            elif key == "owner":
                mask &= (a["owner"] == value.lower()).to_numpy()
            elif key in ("kind", "jurisdiction", "status"):
                mask &= (a[key] == value).to_numpy()
            else:
                raise LedgerError(f"unknown filter {key!r}")
        hits = np.flatnonzero(mask)
        per_page = max(1, min(per_page, MAX_PER_PAGE))
        start = (max(page, 1) - 1) * per_page
        rows = a.iloc[hits[start : start + per_page]]
        cols = ["asset_id", *ASSET_COLUMNS]
        return [record(r) for r in rows[cols].to_dict("records")], len(hits)

    def facets(self) -> dict[str, list[str]]:
        """The distinct kinds, jurisdictions and statuses (for the filter menus)."""
        a = self.index().assets
        return {k: sorted(a[k].dropna().astype(str).unique().tolist()) for k in ("kind", "jurisdiction", "status")}

    def _bundle(self, asset_id: str) -> dict[str, Any]:
        """Everything the asset page shows of one asset, built on its first visit per state."""
        ix = self.index()
        aid = self.resolve(asset_id)
        hit = ix.bundles.get(aid)
        if hit is not None:
            return hit
        asset = self.asset(aid)
        with self._lock:
            pos = ix.tx_by_asset.get(aid)
            tx = [] if pos is None else [record(r) for r in ix.tx.iloc[pos].to_dict("records")]
            rows = [record(r) for r in self.ledger.history(aid).to_dict("records")]
        by_id = {t["record_id"]: t for t in tx}
        orgs = self.organisation_names()
        for r in rows:
            t = by_id.get(r["record_id"])
            r["consent"] = t.get("consent") if t else None  # a column the trust work adds
            by = t.get("recorder") if t else None
            r["by"] = by
            r["organisation"] = orgs.get(str(by).lower()) if by else None
        docs: list[dict[str, Any]] = [
            {"what": "metadata", "record_id": asset["record_id"], "hash": asset["metadata_hash"]}
        ]
        for t in tx:
            if t["doc_hash"] and int(t["doc_hash"], 16):
                docs.append({"what": t["kind"], "record_id": t["record_id"], "hash": t["doc_hash"]})
        for an in ix.anchors_by_asset.get(aid, []):
            docs.append({"what": an["kind_name"], "record_id": an["record_id"], "hash": an["report_hash"]})
        store = self.ledger.documents
        for d in docs:
            d["stored"] = bool(store.has(d["hash"]))
        bundle = {
            "asset": asset,
            "transactions": tx,
            "history": rows,
            "documents": docs,
            "prices": [
                {"date": t["date"], "kind": t["kind"], "amount": t["amount"], "currency": t["currency"]}
                for t in tx
                if not t["void"] and t["amount"]
            ],
        }
        with self._lock:
            ix.bundles[aid] = bundle
            if len(ix.bundles) > HISTORY_CACHE:
                ix.bundles.popitem(last=False)
        return bundle

    def asset(self, asset_id: str) -> dict[str, Any]:
        """One asset's identity and current state (a copy the caller may change)."""
        ix = self.index()
        aid = self.resolve(asset_id)
        row = ix.rows.get(aid)
        if row is None:
            with self._lock:
                row = record(ix.assets.iloc[ix.position[aid]].to_dict())
            row["owner_organisation"] = self.organisation_of(row["owner"])
            ix.rows[aid] = row
        return dict(row)

    def transactions(self, asset_id: str) -> list[dict[str, Any]]:
        """An asset's transaction records (void ones flagged) in chain order."""
        return list(self._bundle(asset_id)["transactions"])

    def history(self, asset_id: str) -> list[dict[str, Any]]:
        """``Ledger.history`` of an asset as records, with each record's recording account,
        organisation and consent level where the ledger has them."""
        return list(self._bundle(asset_id)["history"])

    def documents(self, asset_id: str) -> list[dict[str, Any]]:
        """Every document hash an asset's records name, with whether the store holds it."""
        return list(self._bundle(asset_id)["documents"])

    def anchors(self, asset_id: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
        """Anchored valuations, quotes and policies (amounts in major units), newest first."""
        ix = self.index()
        if asset_id:
            rows = ix.anchors_by_asset.get(self.resolve(asset_id), [])
        else:
            rows = sorted(ix.anchors, key=lambda r: (r["block_number"], r["log_index"]), reverse=True)
        return [dict(r) for r in rows if kind is None or r["kind_name"] == kind]

    def report(self, report_hash: str) -> tuple[dict[str, Any], bytes | None]:
        """An anchor by its report hash, and the stored report's bytes (None when not stored)."""
        h = report_hash.lower()
        for r in self.index().anchors:
            if r["report_hash"] == h:
                store = self.ledger.documents
                return r, store.get(h) if store.has(h) else None
        raise LedgerError(f"no anchored report {report_hash!r}")

    def price_history(self, asset_id: str) -> list[dict[str, Any]]:
        """An asset's live priced transactions: date, kind, amount (major units), currency."""
        return list(self._bundle(asset_id)["prices"])

    # ------------------------------------------------------------ organisations

    def organisations(self) -> tuple[list[dict[str, Any]], str | None]:
        """The on-chain organisations directory and, when this ledger has none, why."""
        fn = getattr(self.ledger, "organisations", None)
        if fn is None:
            return [], "this ledger version has no organisations directory (Ledger.organisations)"
        with self._lock:
            df = fn()
        return [record(r) for r in df.to_dict("records")], None

    def organisation_names(self) -> dict[str, str]:
        """Chain account (lower-case 0x) -> organisation name, from the directory."""
        rows, _ = self.organisations()
        return {str(r["account"]).lower(): str(r.get("name") or r.get("org_id")) for r in rows}

    def organisation_of(self, account: str) -> str | None:
        fn = getattr(self.ledger, "organisation_of", None)
        if fn is None:
            return None
        with self._lock:
            out = fn(account)
        return None if out is None else str(out)

    # ------------------------------------------------------------ portfolio

    def portfolio(self) -> dict[str, Any]:
        """The anchored book's experience: premium written (gross premium of the latest quote
        or policy per asset), claims paid less recovered under those policies, and loss ratios
        by field and by decile of rate on line (gross premium / sum insured)."""
        ix = self.index()
        latest: dict[str, dict[str, Any]] = {}
        for r in sorted(ix.anchors, key=lambda r: (r["block_number"], r["log_index"])):
            if r["kind_name"] in ("quote", "policy"):
                latest[r["asset_id"]] = r
        net_claims: dict[str, float] = {}
        for c in ix.claims:
            sign = {"paid": 1.0, "recovered": -1.0}.get(c["kind_name"], 0.0)
            net_claims[c["policy_hash"]] = net_claims.get(c["policy_hash"], 0.0) + sign * c["amount"]
        rows = []
        for aid, q in latest.items():
            pos = ix.position.get(aid)
            fld = ix.assets.iloc[pos]["field"] if pos is not None else None
            rows.append(
                {
                    "asset_id": aid,
                    "field": str(fld) if fld is not None and not pd.isna(fld) else "other",
                    "sum_insured": q["value"],
                    "premium": q["low"],  # quote anchors carry (sum insured, gross, net)
                    "claims": max(net_claims.get(q["report_hash"], 0.0), 0.0),
                }
            )
        df = pd.DataFrame(rows, columns=["asset_id", "field", "sum_insured", "premium", "claims"])
        out: dict[str, Any] = {
            "policies": len(df),
            "premium": float(df["premium"].sum()),
            "claims": float(df["claims"].sum()),
        }
        out["loss_ratio"] = out["claims"] / out["premium"] if out["premium"] else None
        by_field = df.groupby("field")[["premium", "claims"]].sum().reset_index() if len(df) else df
        out["by_field"] = [
            {
                "field": r["field"],
                "premium": r["premium"],
                "claims": r["claims"],
                "loss_ratio": r["claims"] / r["premium"] if r["premium"] else None,
            }
            for r in by_field.to_dict("records")
        ]
        deciles: list[dict[str, Any]] = []
        if len(df):
            rate = (df["premium"] / df["sum_insured"].where(df["sum_insured"] > 0)).fillna(0.0)
            order = np.argsort(rate.to_numpy(), kind="stable")
            dec = np.empty(len(df), dtype=int)
            dec[order] = np.arange(len(df)) * 10 // len(df)
            df = df.assign(decile=dec + 1)
            for d, g in df.groupby("decile"):
                prem, paid = float(g["premium"].sum()), float(g["claims"].sum())
                deciles.append(
                    {
                        "decile": int(d),
                        "policies": len(g),
                        "premium": prem,
                        "claims": paid,
                        "loss_ratio": paid / prem if prem else None,
                    }
                )
        out["by_decile"] = deciles
        return out
