"""The portfolio page's figures: premium from anchored quotes, claims paid less recovered."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import DemoLedger


def test_loss_ratio_is_claims_net_of_recoveries_over_premium(platform_app: Any, demo_ledger: DemoLedger) -> None:
    from ipledger.workflows import record_claim

    view = platform_app.state.platform.view
    quotes = view.anchors(demo_ledger.asset_id, "quote")
    assert quotes, "the demo anchors a quote"
    q = quotes[0]
    before = view.portfolio()
    with view._lock:
        ledger = view.ledger
        record_claim(ledger, q["asset_id"], q["report_hash"], "paid", 1_200.0, claim_ref="T-1", head="legal")
        record_claim(ledger, q["asset_id"], q["report_hash"], "recovered", 200.0, claim_ref="T-1", head="legal")
        ledger.sync(progress=False)
    view.invalidate()
    after = view.portfolio()
    assert after["claims"] == pytest.approx(before["claims"] + 1_000.0)
    assert after["premium"] == pytest.approx(before["premium"])
    assert after["loss_ratio"] == pytest.approx(after["claims"] / after["premium"])
    field = view.asset(q["asset_id"])["field"] or "other"
    row = next(r for r in after["by_field"] if r["field"] == field)
    assert row["claims"] >= 1_000.0 and row["loss_ratio"] == pytest.approx(row["claims"] / row["premium"])
    assert sum(d["policies"] for d in after["by_decile"]) == after["policies"]
    assert sum(d["claims"] for d in after["by_decile"]) == pytest.approx(after["claims"])
