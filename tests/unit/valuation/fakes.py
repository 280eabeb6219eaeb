"""A small in-memory ledger and a stand-in market approach for the valuation tests."""

from __future__ import annotations

import sys
import types
from typing import Any

import numpy as np
import pandas as pd

from ipledger.valuation.types import MethodResult

SUBJECT = "0x" + "a1" * 32
STATE = (4242, "0x" + "5e" * 32)
AS_OF = "2024-06-30"


def _id(n: int) -> str:
    return "0x" + f"{n:064x}"


class FakeLedger:
    """Holds the three frames a Ledger returns; ``transactions`` filters like the real one."""

    def __init__(self, assets: pd.DataFrame, transactions: pd.DataFrame, state: tuple[int, str] = STATE) -> None:
        self._assets = assets
        self._tx = transactions
        self._state = state
        self._live = transactions.loc[~transactions["void"]]

    def assets(self) -> pd.DataFrame:
        return self._assets.copy()  # fresh copies each call, as the real ledger hands out

    def transactions(
        self, asset_id: str | None = None, kind: str | None = None, since: Any = None, include_void: bool = False
    ) -> pd.DataFrame:
        tx = self._tx if include_void else self._live
        if asset_id is not None:
            tx = tx.loc[tx["asset_id"] == asset_id]
        if kind is not None:
            tx = tx.loc[tx["kind"] == kind]
        if since is not None:
            tx = tx.loc[tx["date"] >= pd.Timestamp(since)]
        return tx.reset_index(drop=True)

    def state(self) -> tuple[int, str]:
        return self._state


def _asset(asset_id: str, **kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "asset_id": asset_id,
        "registry_number": "CN" + asset_id[-6:],
        "jurisdiction": "CN",
        "kind": "invention",
        "class_code": "A61K31/00",
        "filing_date": pd.Timestamp("2016-03-01"),
        "grant_date": pd.Timestamp("2019-05-01"),
        "expiry_date": pd.NaT,
        "status": "active",
        "owner": "0x" + "0b" * 20,
        "metadata_hash": "0x" + "00" * 32,
        "field": "pharmaceuticals",
        "claims": 12.0,
        "citations": 4.0,
        "family_size": 3.0,
        "rd_cost": np.nan,
    }
    row.update(kw)
    return row


def sample_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The subject pharma invention, five licensed pharma peers (nine royalty licences, a revenue
    share and a trial licence), two assigned peers, a design."""
    assets = [_asset(SUBJECT, rd_cost=2_000_000.0)]
    assets += [_asset(_id(i), registry_number=f"CN{i:06d}") for i in range(1, 8)]
    assets.append(_asset(_id(9), kind="design", class_code="D06", field=None))
    assets_df = pd.DataFrame(assets)
    for col in ("filing_date", "grant_date", "expiry_date"):
        assets_df[col] = pd.to_datetime(assets_df[col])

    rows: list[dict[str, Any]] = []

    def tx(asset: str, kind: str, date: str, amount: float, rate: float = np.nan, **kw: Any) -> None:
        n = len(rows) + 1
        rows.append(
            {
                "record_id": n,
                "asset_id": asset,
                "kind": kind,
                "seller": "0x" + "01" * 20,
                "buyer": "0x" + "02" * 20,
                "date": pd.Timestamp(date),
                "currency": "CNY",
                "amount": amount,
                "royalty_rate": rate,
                "exclusivity": kw.get("exclusivity", "non_exclusive"),
                "territory": "CN",
                "term_end": pd.Timestamp(kw["term_end"]) if "term_end" in kw else pd.NaT,
                "ref": 0,
                "doc_hash": "0x" + f"{n:064x}",
                "recorder": "0x" + "03" * 20,
                "tx_hash": "0x" + f"{1000 + n:064x}",
                "block_number": 100 + n,
                "log_index": n % 3,
                "void": kw.get("void", False),
            }
        )

    # nine running-royalty licences of pharma peers: six non-exclusive, three exclusive
    for i, rate in enumerate((0.03, 0.045, 0.05, 0.06, 0.08), start=1):
        tx(_id(i), "licence", f"2021-0{i}-15", 0.0, rate)
    for i, rate in enumerate((0.035, 0.04, 0.055, 0.07), start=1):
        tx(_id(i), "licence", f"2022-0{i}-10", 0.0, rate, exclusivity="non_exclusive" if i == 4 else "exclusive")
    tx(_id(2), "licence", "2022-06-01", 0.0, 0.40)  # a 40% revenue share: not a royalty
    tx(_id(3), "licence", "2022-07-01", 0.0, 0.09, term_end="2022-10-01")  # a 3-month trial licence
    tx(_id(6), "assignment", "2022-02-01", 3_000_000.0)
    tx(_id(7), "assignment", "2023-04-01", 4_000_000.0)
    tx(_id(6), "assignment", "2022-03-01", 90_000_000.0, void=True)  # voided typo
    tx(_id(1), "licence", "2025-01-01", 0.0, 0.50)  # after as_of: must be ignored
    tx(SUBJECT, "pledge", "2023-01-10", 1_500_000.0)
    tx(_id(9), "licence", "2022-01-01", 0.0, 0.02)  # a design licence: other kind
    tx_df = pd.DataFrame(rows)
    tx_df["term_end"] = pd.to_datetime(tx_df["term_end"])
    return assets_df, tx_df


def sample_ledger() -> FakeLedger:
    assets, tx = sample_frames()
    return FakeLedger(assets, tx)


def fake_market_approach(
    assets: pd.DataFrame, transactions: pd.DataFrame, asset_id: str, as_of: pd.Timestamp, inputs: dict[str, Any]
) -> MethodResult:
    """Median of same-kind assignments as value, their min-max as range (a stand-in, not a model)."""
    kinds = assets.set_index("asset_id")["kind"]
    subject_kind = kinds[asset_id]
    known = transactions.loc[transactions["date"] < as_of]
    sales = known.loc[(known["kind"] == "assignment") & (known["asset_id"].map(kinds) == subject_kind)].sort_values(
        "date"
    )
    if sales.empty:
        return MethodResult("market", 0.0, 0.0, 0.0, n_data=0, sufficient=False, warnings=("no comparable sales",))
    amounts = sales["amount"].to_numpy(float)
    comps = [
        {
            "record_id": int(r.record_id),
            "tx_hash": r.tx_hash,
            "log_index": int(r.log_index),
            "date": r.date,
            "amount": float(r.amount),
            "weight": 1.0 / len(sales),
        }
        for r in sales.itertuples()
    ]
    return MethodResult(
        "market",
        float(np.median(amounts)),
        float(amounts.min()) * 0.8,
        float(amounts.max()) * 1.2,
        n_data=len(sales),
        sufficient=len(sales) >= 2,
        details={"comparables": comps},
    )


def install_market(module_dict: Any, fn: Any = fake_market_approach) -> None:
    """Put a stand-in ``ipledger.valuation.market`` into ``module_dict`` (``sys.modules`` or a monkeypatch)."""
    module = types.ModuleType("ipledger.valuation.market")
    module.market_approach = fn  # type: ignore[attr-defined]
    module_dict["ipledger.valuation.market"] = module


def run_in_subprocess() -> str:
    """Entry point for the cross-process determinism test: print the report hash."""
    install_market(sys.modules)
    from ipledger.valuation import value_asset

    v = value_asset(sample_ledger(), SUBJECT, as_of=AS_OF, inputs=INPUTS)
    return v.report_hash


INPUTS: dict[str, Any] = {"revenues": [10_000_000.0, 11_000_000.0, 12_000_000.0], "revenue_growth": 0.03}
