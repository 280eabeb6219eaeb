"""Store rows -> typed pandas DataFrames, with voids and amendments resolved."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from ipledger.chain.codes import AssetKind, Exclusivity, Status, TxKind
from ipledger.documents import DocumentStore
from ipledger.money import exponent

ASSET_KINDS = {int(k): k.name.lower() for k in AssetKind}
STATUSES = {int(k): k.name.lower() for k in Status}
TX_KINDS = {int(k): k.name.lower() for k in TxKind}
EXCLUSIVITY = {int(k): k.name.lower() for k in Exclusivity}
METADATA_FIELDS = ("title", "field", "claims", "citations", "family_size", "rd_cost")


def _dates(values: pd.Series, zero_is_nat: bool = True) -> pd.Series:
    v = values.astype("int64")
    out = pd.to_datetime(v, unit="s")
    if zero_is_nat:
        out = out.where(v != 0)
    return out


def transactions_frame(tx_rows: list[dict[str, Any]], void_rows: list[dict[str, Any]]) -> pd.DataFrame:
    """All transaction records with ``void`` (withdrawn or superseded by an amendment) resolved."""
    columns = [
        "record_id",
        "asset_id",
        "kind",
        "seller",
        "buyer",
        "date",
        "currency",
        "amount",
        "amount_minor",
        "royalty_rate",
        "royalty_bps",
        "exclusivity",
        "territory",
        "term_end",
        "ref",
        "amends",
        "doc_hash",
        "recorder",
        "consent",
        "tx_hash",
        "block_number",
        "log_index",
        "contract",
        "void",
        "voided_by",
        "amended_by",
        "released",
    ]
    if not tx_rows:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    df = pd.DataFrame.from_records(tx_rows)
    df = df.sort_values("record_id", kind="stable").reset_index(drop=True)
    kind_code = df["kind"].astype("int64")
    df["kind"] = kind_code.map(TX_KINDS).astype("string")
    df["amount_minor"] = df["amount"].astype(object)
    scale = df["currency"].map(lambda c: 10.0 ** -exponent(c))
    df["amount"] = df["amount_minor"].astype("float64") * scale
    df["royalty_rate"] = df["royalty_bps"].astype("float64") / 10_000
    # Parties who signed the terms: 0 recorder only, 1 one party, 2 both (stores before v2 lack it).
    df["consent"] = df["consent"].astype("int64") if "consent" in df else 0
    df["exclusivity"] = df["exclusivity"].astype("int64").map(EXCLUSIVITY).astype("string")
    df["date"] = _dates(df["date"], zero_is_nat=False)
    df["term_end"] = _dates(df["term_end"])
    is_release = kind_code == int(TxKind.RELEASE)
    df["amends"] = df["ref"].where(~is_release & (df["ref"] != 0), 0).astype("int64")
    amended_by = df.loc[df["amends"] != 0].drop_duplicates("amends", keep="first").set_index("amends")["record_id"]
    df["amended_by"] = df["record_id"].map(amended_by).fillna(0).astype("int64")
    voided = pd.DataFrame.from_records(void_rows) if void_rows else pd.DataFrame({"target": [], "record_id": []})
    voided_by = (
        voided.drop_duplicates("target", keep="first").set_index("target")["record_id"]
        if len(voided)
        else pd.Series(dtype="int64")
    )
    df["voided_by"] = df["record_id"].map(voided_by).fillna(0).astype("int64")
    df["void"] = (df["voided_by"] != 0) | (df["amended_by"] != 0)
    released = set(df.loc[is_release, "ref"].tolist()) - set(
        df.loc[is_release & df["record_id"].isin(voided_by.index), "ref"].tolist()
    )
    df["released"] = df["record_id"].isin(released)
    for c in ("record_id", "ref", "royalty_bps", "block_number", "log_index"):
        df[c] = df[c].astype("int64")
    for c in ("asset_id", "seller", "buyer", "currency", "territory", "doc_hash", "recorder", "tx_hash", "contract"):
        df[c] = df[c].astype("string")
    return df[columns]


def assets_frame(
    asset_rows: list[dict[str, Any]],
    status_rows: list[dict[str, Any]],
    tx: pd.DataFrame,
    void_rows: list[dict[str, Any]],
    documents: DocumentStore | None,
) -> pd.DataFrame:
    """Assets with their current status and owner, and features from their metadata document."""
    if not asset_rows:
        cols = [
            "asset_id",
            "registry_number",
            "jurisdiction",
            "kind",
            "class_code",
            "filing_date",
            "grant_date",
            "expiry_date",
            "status",
            "owner",
            *METADATA_FIELDS,
        ]
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    df = pd.DataFrame.from_records(asset_rows).sort_values("record_id", kind="stable").reset_index(drop=True)
    df["kind"] = df["kind"].astype("int64").map(ASSET_KINDS).astype("string")
    for c in ("filing_date", "grant_date", "expiry_date"):
        df[c] = _dates(df[c])

    status = df["initial_status"].astype("int64")
    if status_rows:
        sc = pd.DataFrame.from_records(status_rows).sort_values("record_id")
        last = sc.drop_duplicates("asset_id", keep="last").set_index("asset_id")["status"]
        status = df["asset_id"].map(last).fillna(status).astype("int64")
    df["status"] = status.map(STATUSES).astype("string")

    # Ownership follows the chain's rule: each sale (not an amendment) moves the asset to its
    # buyer; voiding a sale hands it back to the restored owner. The last such event wins.
    moves = []
    if len(tx):
        sales = tx[tx["kind"].isin(["assignment", "auction"]) & (tx["amends"] == 0)]
        moves.append(sales[["asset_id", "record_id", "buyer"]].rename(columns={"buyer": "owner"}))
    if void_rows:
        v = pd.DataFrame.from_records(void_rows)
        v = v[v["restored_owner"] != "0x" + "00" * 20]
        moves.append(v[["asset_id", "record_id", "restored_owner"]].rename(columns={"restored_owner": "owner"}))
    owner = df["initial_owner"]
    if moves:
        m = (
            pd.concat(moves)
            .sort_values("record_id")
            .drop_duplicates("asset_id", keep="last")
            .set_index("asset_id")["owner"]
        )
        moved = df["asset_id"].map(m).astype(object)  # float64 NaN when no asset moved: not a string column
        owner = moved.where(moved.notna(), owner.astype(object))
    df["owner"] = owner.astype("string")

    meta = _metadata(df["metadata_hash"].tolist(), documents)
    for field in METADATA_FIELDS:
        df[field] = [meta.get(h, {}).get(field) for h in df["metadata_hash"]]
    for field in ("claims", "citations", "family_size", "rd_cost"):
        df[field] = pd.to_numeric(df[field], errors="coerce").astype("float64")
    # Optional text stays object dtype with None: pandas' NA makes comparisons raise.
    for col in ("field", "title"):
        df[col] = df[col].astype(object).where(df[col].notna(), None)
    for c in (
        "asset_id",
        "registry_number",
        "jurisdiction",
        "class_code",
        "metadata_hash",
        "registrar",
        "tx_hash",
        "contract",
        "initial_owner",
    ):
        df[c] = df[c].astype("string")
    return df.drop(columns=["initial_status"])


def _metadata(hashes: list[str], documents: DocumentStore | None) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if documents is None:
        return out
    for h in set(hashes):
        if h == "0x" + "00" * 32 or not documents.has(h):
            continue
        try:
            data = json.loads(documents.get(h))
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(data, dict):
            out[h] = data
    return out


def status_frame(status_rows: list[dict[str, Any]]) -> pd.DataFrame:
    if not status_rows:
        return pd.DataFrame(
            {c: pd.Series(dtype="object") for c in ("record_id", "asset_id", "date", "status", "previous_status")}
        )
    df = pd.DataFrame.from_records(status_rows).sort_values("record_id").reset_index(drop=True)
    df["status"] = df["status"].astype("int64").map(STATUSES).astype("string")
    df["previous_status"] = df["previous_status"].astype("int64").map(STATUSES).astype("string")
    df["date"] = _dates(df["date"], zero_is_nat=False)
    return df


def plain_frame(rows: list[dict[str, Any]], amount_cols: tuple[str, ...] = ()) -> pd.DataFrame:
    df = pd.DataFrame.from_records(rows) if rows else pd.DataFrame()
    for c in amount_cols:
        if c in df:
            df[c] = df[c].astype(object)
    if "record_id" in df:
        df = df.sort_values("record_id").reset_index(drop=True)
    return df


__all__ = ["assets_frame", "np", "plain_frame", "status_frame", "transactions_frame"]
