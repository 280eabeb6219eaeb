"""The generated market: determinism, calibration, consistency, and writing it on chain."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from ipledger.sources.generator import PATENTS, Market, generate_market, parr_rate, write_market

# Parr / IPRA cumulative shares of technology royalty rates (royalty_rate_benchmarks.csv).
PARR = {0.02: 0.20, 0.03: 0.35, 0.05: 0.67, 0.10: 0.92}


def test_same_seed_same_market() -> None:
    a = generate_market(seed=3, n_assets=150, n_transactions=1500)
    b = generate_market(seed=3, n_assets=150, n_transactions=1500)
    pd.testing.assert_frame_equal(a.assets, b.assets)
    pd.testing.assert_frame_equal(a.transactions, b.transactions)
    assert a.documents == b.documents
    c = generate_market(seed=4, n_assets=150, n_transactions=1500)
    assert not a.transactions["amount"].equals(c.transactions["amount"])


def test_sizes_and_kind_mix(market: Market) -> None:
    assert len(market.assets) == 1500
    assert len(market.transactions) == 20000
    share = market.assets["kind"].value_counts(normalize=True)
    assert share[list(PATENTS)].sum() > 0.6
    assert {"trademark", "copyright", "software"} <= set(share.index)
    assert market.assets["jurisdiction"].value_counts(normalize=True)["CN"] > 0.6
    assert market.assets["asset_id"].is_unique and market.assets["registry_number"].is_unique
    assert set(market.transactions["kind"]) == {"assignment", "licence", "pledge", "release", "auction"}


def test_royalty_rates_follow_parr(market: Market) -> None:
    tx = market.transactions
    rates = tx.loc[(tx["kind"] == "licence") & (tx["royalty_rate"] > 0), "royalty_rate"]
    assert len(rates) > 3000
    for threshold, share in PARR.items():
        assert abs((rates <= threshold + 1e-9).mean() - share) < 0.04, threshold
    assert 0.04 <= rates.median() <= 0.055
    assert parr_rate(np.array([0.5]))[0] == pytest.approx(0.04 + 0.01 * (0.5 - 0.43) / 0.24)


def test_rates_rise_with_value(market: Market) -> None:
    tx = market.transactions.merge(market.assets[["asset_id", "latent_value"]], on="asset_id")
    lic = tx[(tx["kind"] == "licence") & (tx["royalty_rate"] > 0)]
    rho = np.corrcoef(np.log(lic["latent_value"]), lic["royalty_rate"].rank())[0, 1]
    assert rho > 0.2


def test_ownership_chain_is_valid(market: Market) -> None:
    owners = dict(zip(market.assets["asset_id"], market.assets["applicant"], strict=True))
    pledges: dict[int, tuple[str, str]] = {}
    released: set[int] = set()
    for t in market.transactions.sort_values("record_id").itertuples(index=False):
        if t.kind in ("assignment", "auction"):
            assert t.seller == owners[t.asset_id]
            assert t.buyer != t.seller
            owners[t.asset_id] = t.buyer
        elif t.kind == "pledge":
            pledges[t.record_id] = (t.asset_id, t.seller)
        elif t.kind == "release":
            assert t.ref in pledges and pledges[t.ref][0] == t.asset_id and t.ref not in released
            released.add(t.ref)
    final = market.assets.set_index("asset_id")["owner"]
    assert all(final[a] == o for a, o in owners.items())


def test_dates_are_consistent_and_past(market: Market) -> None:
    a, tx = market.assets, market.transactions
    today = pd.Timestamp.now().normalize()
    assert (a["filing_date"] < today).all() and (tx["date"] < today).all()
    assert (a["grant_date"].dropna() >= a.loc[a["grant_date"].notna(), "filing_date"]).all()
    has_exp = a["expiry_date"].notna()
    assert (a.loc[has_exp, "expiry_date"] > a.loc[has_exp, "filing_date"]).all()
    inv = a[(a["kind"] == "invention")]
    years = (inv["expiry_date"] - inv["filing_date"]).dt.days / 365.25
    assert years.between(19.9, 20.1).all()
    m = tx.merge(a[["asset_id", "filing_date", "status", "status_date"]], on="asset_id")
    assert (m["date"] >= m["filing_date"]).all()
    blocked = m[m["status_date"].notna() & (m["kind"] != "release")]
    assert (blocked["date"] <= blocked["status_date"]).all()
    lic = tx[tx["term_end"].notna()]
    assert (lic["term_end"] >= lic["date"]).all()
    assert (
        (tx.loc[tx["kind"] != "release", "amount"].gt(0) | tx["royalty_rate"].gt(0)).loc[tx["kind"] != "release"].all()
    )
    assert {"lapsed", "expired", "infringement_dispute"} <= set(a["status"])


def test_metadata_documents_match_assets(market: Market) -> None:
    for row in market.assets.head(50).itertuples(index=False):
        blob = market.documents[row.metadata_hash]
        assert "0x" + hashlib.sha256(blob).hexdigest() == row.metadata_hash
        meta = json.loads(blob)
        assert meta["field"] == row.field
        assert (meta["claims"] is None) == np.isnan(row.claims)


def test_price_index_drifts_up(market: Market) -> None:
    idx = market.price_index
    assert idx.iloc[0] == 1.0 and idx.iloc[-1] > 1.2


def test_write_market_on_embedded_chain(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from ipledger.chain.client import LedgerClient
    from ipledger.chain.deploy import deploy
    from ipledger.chain.embedded import EmbeddedBackend
    from ipledger.documents import DocumentStore

    backend = EmbeddedBackend(None)
    d = deploy(backend)
    client = LedgerClient(backend, d.ledger, d.registry)
    m = generate_market(seed=5, n_assets=50, n_transactions=300)
    steps: list[str] = []
    store = DocumentStore(tmp_path)
    out = write_market(client, m, documents=store, batch_size=120, progress=lambda s, done, total: steps.append(s))
    blocked = m.assets["status"].isin(["lapsed", "invalidated", "expired", "ownership_dispute"]).sum()
    assert client.record_count() == 50 + 300 + blocked == out["last_record_id"]
    assert out["transactions"] == 300 and out["documents"] == 50
    assert {"documents", "assets", "transactions"} <= set(steps)
    for row in m.assets.head(10).itertuples(index=False):
        state = client.asset_state(bytes.fromhex(row.asset_id[2:]))
        assert "0x" + state.owner.hex() == row.owner
        assert store.has(row.metadata_hash)
    pledges = m.transactions[m.transactions["kind"] == "release"]["ref"]
    for ref in pledges.head(5):
        kind, void, released = client.record_info(int(ref) + out["record_id_offset"])
        assert kind == 3 and released and not void


def test_write_market_on_a_used_chain_remaps_releases() -> None:
    from ipledger.chain.client import LedgerClient
    from ipledger.chain.deploy import deploy
    from ipledger.chain.embedded import EmbeddedBackend

    backend = EmbeddedBackend(None)
    d = deploy(backend)
    client = LedgerClient(backend, d.ledger, d.registry)
    first = write_market(client, generate_market(seed=21, n_assets=30, n_transactions=150))
    m = generate_market(seed=22, n_assets=30, n_transactions=150)
    out = write_market(client, m, batch_size=1000)
    assert out["record_id_offset"] == first["last_record_id"]
    releases = m.transactions.loc[m.transactions["kind"] == "release", "ref"]
    assert len(releases)
    for ref in releases:
        assert client.record_info(int(ref) + out["record_id_offset"])[2]
