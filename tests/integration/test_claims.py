"""Claims recorded on chain by the insurer role, indexed, and fed back into pricing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ipledger.errors import ContractRevert
from ipledger.insurance import quote
from ipledger.ledger import Ledger
from ipledger.valuation import value_asset
from ipledger.workflows import anchor_quote, claims_experience, record_claim, risk_profile_for
from tests.integration.conftest import market_ledger


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    led = market_ledger(tmp_path_factory.mktemp("claims"), seed=9, n_assets=60, n_transactions=400)
    yield led
    led.close()


def test_claims_round_trip_into_credibility(ledger: Ledger) -> None:
    a = ledger.assets()
    aid = str(a[a["status"] == "active"]["asset_id"].iloc[0])
    v = value_asset(ledger, aid, as_of="2025-06-30", inputs={"revenue": 1e7})
    q = quote(v, "enforcement", risk_profile_for(ledger, aid))
    anchor_quote(ledger, q, aid, v.state_block)
    record_claim(ledger, aid, q.report_hash, "opened", 300_000, claim_ref="C-1", date="2025-07-01")
    record_claim(ledger, aid, q.report_hash, "paid", 120_000, claim_ref="C-1", head="legal", date="2025-08-01")
    record_claim(ledger, aid, q.report_hash, "recovered", 20_000, claim_ref="C-1", date="2025-09-01")
    with pytest.raises(ContractRevert, match="ZeroAmount"):
        record_claim(ledger, aid, q.report_hash, "paid", 0, claim_ref="C-1")
    ledger.sync(progress=False)
    claims = ledger.claims()
    assert len(claims) == 3 and set(claims["kind"]) == {1, 2, 3}

    record_claim(ledger, aid, q.report_hash, "reserved", 0, claim_ref="C-1", date="2025-09-02")
    record_claim(ledger, aid, q.report_hash, "award_shared", 5_000, claim_ref="C-1", date="2025-09-03")
    with pytest.raises(ContractRevert, match="ZeroAmount"):
        record_claim(ledger, aid, q.report_hash, "award_shared", 0, claim_ref="C-1")
    ledger.sync(progress=False)
    exp = claims_experience(ledger, [q.report_hash], exposure_years=4.0, as_of="2025-12-31")
    assert exp.claims_paid == pytest.approx(105_000.0)  # paid + award shared - recovered
    # Incurred (reserve now 0) developed with the first-year factor 1 / 0.55.
    assert exp.incurred_ultimate == pytest.approx(105_000.0 / 0.55)
    blended = quote(v, "enforcement", risk_profile_for(ledger, aid), experience=exp)
    assert 0.0 < blended.credibility < 1.0
    assert blended.gross_premium > q.gross_premium  # bad experience raises the premium
    outsider = ledger.client.as_sender(ledger.backend.accounts()[9])
    ledger.client, saved = outsider, ledger.client
    try:
        with pytest.raises(ContractRevert, match="AccessControlUnauthorizedAccount"):
            record_claim(ledger, aid, q.report_hash, "paid", 5, claim_ref="C-2")
    finally:
        ledger.client = saved


def test_audit_reprices_anchored_quotes(ledger: Ledger) -> None:
    from ipledger.audit import audit_ledger
    from ipledger.insurance import DEFAULT_MODEL, LossModel

    a = ledger.assets()
    aid = str(a[(a["status"] == "active") & (a["kind"] == "invention")]["asset_id"].iloc[0])
    v = value_asset(ledger, aid, as_of="2025-06-30", inputs={"revenue": 1e7})
    plain = quote(v, "small_micro_patent_guard", risk_profile_for(ledger, aid, firm_type="sme"), year=2)
    custom = quote(v, "enforcement", risk_profile_for(ledger, aid), model=LossModel(frequency_multiplier=2.0))
    assert (
        custom.gross_premium > quote(v, "enforcement", risk_profile_for(ledger, aid), model=DEFAULT_MODEL).gross_premium
    )
    anchor_quote(ledger, plain, aid, v.state_block)
    anchor_quote(ledger, custom, aid, v.state_block)
    ledger.sync(progress=False)
    report = audit_ledger(ledger)
    reports = next(c for c in report.checks if c.name == "reports")
    assert report.passed
    assert reports.counts["reproduced"] >= 1  # the pilot-product quote, priced again to its hash
    assert reports.counts["not_recomputed"] >= 1  # the custom-model quote: hash-verified only
    assert any("custom loss model" in f.message for f in reports.findings)


def test_portfolio_from_the_policies_anchored_on_the_ledger(ledger: Ledger) -> None:
    from ipledger.insurance import aggregate, reinsurance
    from ipledger.insurance.portfolio import book_from_reports
    from ipledger.workflows import anchored_policy_reports

    a = ledger.assets()
    ids = [str(x) for x in a[(a["status"] == "active") & (a["kind"] == "invention")]["asset_id"].iloc[:3]]
    bound = []
    for aid in ids:
        v = value_asset(ledger, aid, as_of="2025-06-30")
        for firm in ("sme", "micro"):  # two policies on one patent share its claims pro rata
            prof = risk_profile_for(ledger, aid, firm_type=firm, as_of="2025-06-30")
            q = quote(v, "small_micro_patent_guard", prof, fx_rate=None if v.currency == "CNY" else 7.1)
            anchor_quote(ledger, q, aid, v.state_block, policy=True)
            bound.append(q)
    ledger.sync(progress=False)
    reports = anchored_policy_reports(ledger)
    assert {r["report_hash"] for r in reports} >= {q.report_hash for q in bound}
    book = book_from_reports(reports)
    assert book.group is not None and len(set(book.group.tolist())) < book.n
    claims = aggregate.simulate(book, 2_000, seed=1)
    res = reinsurance.apply(claims, float(book.premium.sum()))
    assert res.summary()["gross_premium"] == pytest.approx(sum(r["gross_premium"] for r in reports))
    # A document that does not hash to its anchor is refused.
    path = ledger.documents.path(bound[0].report_hash)
    saved = path.read_bytes()
    try:
        path.write_bytes(saved.replace(b'"gross_premium"', b'"gross_premium" ', 1))
        from ipledger.errors import LedgerError

        with pytest.raises(LedgerError, match="does not match"):
            anchored_policy_reports(ledger)
    finally:
        path.write_bytes(saved)
