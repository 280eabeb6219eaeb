"""The portfolio page's figures: premium from anchored quotes, claims paid less recovered."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from tests.web.conftest import DemoLedger


def test_loss_ratio_is_claims_net_of_recoveries_over_premium(demo_ledger: DemoLedger, tmp_path: Path) -> None:
    from ipledger.ledger import Ledger
    from ipledger.web.data import LedgerView
    from ipledger.workflows import record_claim

    # A copy of the demo ledger of its own: this test writes claims, other tests must not see them.
    shutil.copytree(demo_ledger.profile.data_dir, tmp_path / "data")
    with Ledger.open(replace(demo_ledger.profile, data_dir=tmp_path / "data")) as ledger:
        view = LedgerView(ledger)
        quotes = view.anchors(demo_ledger.asset_id, "quote")
        assert quotes, "the demo anchors a quote"
        q = quotes[0]
        before = view.portfolio()
        record_claim(ledger, q["asset_id"], q["report_hash"], "paid", 1_200.0, claim_ref="T-1", head="legal")
        record_claim(ledger, q["asset_id"], q["report_hash"], "recovered", 200.0, claim_ref="T-1", head="legal")
        ledger.sync(progress=False)
        view.invalidate()
        after = view.portfolio()
        field = view.asset(q["asset_id"])["field"] or "other"
    assert after["claims"] == pytest.approx(before["claims"] + 1_000.0)
    assert after["premium"] == pytest.approx(before["premium"])
    assert after["loss_ratio"] == pytest.approx(after["claims"] / after["premium"])
    row = next(r for r in after["by_field"] if r["field"] == field)
    assert row["claims"] >= 1_000.0 and row["loss_ratio"] == pytest.approx(row["claims"] / row["premium"])
    assert sum(d["policies"] for d in after["by_decile"]) == after["policies"]
    assert sum(d["claims"] for d in after["by_decile"]) == pytest.approx(after["claims"])
