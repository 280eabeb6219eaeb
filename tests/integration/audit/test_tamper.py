"""The audit on the embedded chain: a clean ledger passes; each kind of tampering is caught and
named (table and record, or file)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from ipledger.audit import AuditReport, LedgerAt, Severity, audit, store_report
from ipledger.audit.recompute import given_inputs
from ipledger.chain import AnchorInput, AnchorKind, LedgerClient, deploy, to_timestamp
from ipledger.chain.backend import RawLog
from ipledger.chain.embedded import EmbeddedBackend
from ipledger.ledger import Indexer, Store
from ipledger.money import to_minor
from tests.integration.audit.conftest import Audited, hexa


def failures(report: AuditReport, check: str) -> list[str]:
    return [f.message for f in report.check(check).findings if f.severity == Severity.FAILURE]


def failed_checks(report: AuditReport) -> set[str]:
    return {c.name for c in report.checks if not c.passed}


def test_clean_ledger_passes_every_check(ledger: Audited) -> None:
    report = ledger.run()
    assert report.passed, report.to_json()
    names = [c.name for c in report.checks]
    assert names == ["rows", "accumulators", "roles", "links", "consent", "documents", "reports", "completeness"]
    rows = report.check("rows").counts
    assert rows["transactions_rows"] == 10 and rows["anchors_rows"] == 2 and rows["claims_rows"] == 1
    assert rows["rows_compared"] == rows["logs"]
    assert report.check("accumulators").counts["ledger_records"] == 14
    assert report.check("accumulators").counts["registry_records"] == 3
    assert report.check("documents").counts["verified"] == 2  # the metadata and the licence contract
    reports = report.check("reports")
    assert reports.counts["reproduced"] == 1 and reports.counts["not_recomputed"] == 1
    assert any("quote reports verified by file hash only" in f.message for f in reports.findings)
    reference = rows["role_events_rows"] + rows["currency_events_rows"] + rows["organisations_rows"]
    assert report.check("roles").counts["rows"] == rows["rows_compared"] - reference
    # Missing documents (the test doc hashes 0x11..) are warnings, not failures.
    assert report.check("documents").warnings >= 1
    json.loads(report.to_json())


def test_price_edited_in_sqlite(ledger: Audited) -> None:
    rid = ledger.built.licence + 1
    ledger.execute("UPDATE transactions SET amount = :a WHERE record_id = :r", a="99", r=rid)
    report = ledger.run()
    # The stand-in valuation engine reads the store: the anchored report no longer follows from it.
    assert failed_checks(report) == {"rows", "reports"}
    (msg,) = failures(report, "rows")
    assert f"transactions #{rid}" in msg and "amount: store 99 != chain 200000000" in msg
    (finding,) = [f for f in report.check("rows").findings if f.severity == Severity.FAILURE]
    assert finding.code == "edited" and finding.location["record_id"] == rid
    assert finding.location["table"] == "transactions" and finding.location["columns"] == ["amount"]


def test_row_deleted(ledger: Audited) -> None:
    rid = ledger.built.licence + 2
    assert ledger.execute("DELETE FROM transactions WHERE record_id = :r", r=rid) == 1
    report = ledger.run()
    msgs = failures(report, "rows")
    assert any(f"transactions #{rid}" in m and "missing from the store: deleted" in m for m in msgs)
    assert any("the store holds 13 records" in m for m in failures(report, "accumulators"))


def test_row_inserted(ledger: Audited) -> None:
    row = ledger.row("transactions", ledger.built.licence + 1)
    row.update(record_id=500, amount=12_345_00, log_index=77)
    cols = ", ".join(row)
    ledger.execute(
        f"INSERT INTO transactions ({cols}) VALUES ({', '.join(':' + c for c in row)})",
        **{**row, "amount": str(row["amount"])},
    )
    report = ledger.run()
    assert any("transactions #500" in m and "no log on chain: inserted" in m for m in failures(report, "rows"))
    assert any("the store holds 15 records" in m for m in failures(report, "accumulators"))


def test_document_byte_changed(ledger: Audited) -> None:
    path = ledger.documents.path(ledger.built.metadata_hash)
    content = bytearray(path.read_bytes())
    content[3] ^= 0x01
    path.write_bytes(bytes(content))
    report = ledger.run()
    assert failed_checks(report) == {"documents"}
    (msg,) = failures(report, "documents")
    assert path.name in msg and "assets #1" in msg and "metadata_hash" in msg and "altered" in msg
    finding = report.check("documents").findings[0]
    assert finding.location["file"] == path.name


def test_document_missing_is_a_warning(ledger: Audited) -> None:
    path = ledger.documents.path(ledger.built.metadata_hash)
    path.unlink()
    report = ledger.run()
    assert report.passed
    assert any(path.name in f.message and f.code == "missing" for f in report.check("documents").findings)


def test_report_field_changed(ledger: Audited) -> None:
    path = ledger.documents.path(ledger.built.report_hash)
    report_json = json.loads(path.read_bytes())
    report_json["inputs"]["multiple"] = 4  # an input changed after anchoring
    path.write_text(json.dumps(report_json))
    report = ledger.run()
    assert failed_checks(report) == {"reports"}
    msgs = failures(report, "reports")
    assert any(path.name in m and "altered after anchoring" in m for m in msgs)
    assert any(path.name in m and "cannot be reproduced" in m for m in msgs)


def test_report_that_does_not_follow_from_the_ledger(ledger: Audited) -> None:
    """A report whose stored file is intact but whose figures the engine does not reproduce."""

    def stricter(report: dict[str, object], view: object, state_block: int) -> str:
        return "0x" + "ab" * 32

    report = ledger.run(recompute={1: stricter})
    (msg,) = failures(report, "reports")
    assert "valuation report" in msg and "cannot be reproduced" in msg and "anchors #1" in msg


def test_recompute_unavailable_is_noted_not_failed(ledger: Audited) -> None:
    from ipledger.audit import RecomputeUnavailable

    def unavailable(report: dict[str, object], view: object, state_block: int) -> str:
        raise RecomputeUnavailable("engine not installed")

    report = ledger.run(recompute={1: unavailable})
    assert report.passed
    assert any("engine not installed" in f.message for f in report.check("reports").findings)


def test_unstored_report_is_listed(ledger: Audited) -> None:
    ledger.documents.path(ledger.built.report_hash).unlink()
    report = ledger.run()
    assert report.passed
    assert any(f.code == "unstored" and "anchors #1" in f.message for f in report.check("reports").findings)


def test_recorder_without_role(ledger: Audited) -> None:
    rid = ledger.built.licence
    stranger = hexa(ledger.env.accounts[7])
    ledger.execute("UPDATE transactions SET recorder = :a WHERE record_id = :r", a=stranger, r=rid)
    report = ledger.run()
    assert failed_checks(report) == {"rows", "roles"}
    msgs = failures(report, "roles")
    assert any(f"transactions #{rid}" in m and f"recorder {stranger} held no RECORDER_ROLE" in m for m in msgs)
    assert any(f"transactions #{rid}" in m and "is not the sender" in m for m in msgs)


def test_role_revoked_before_record(ledger: Audited) -> None:
    """A genuine on-chain record by an account whose role was revoked later still passes; the
    role history is taken from the chain, not from the store."""
    (row,) = ledger.store.read("role_events", lambda t: t.c.role == hexa(b"\0" * 32))[:1]
    ledger.execute("DELETE FROM role_events")  # the role check does not trust the store's copy
    report = ledger.run()
    assert report.check("roles").passed
    assert any("role_events row" in m and "deleted" in m for m in failures(report, "rows"))
    assert row["granted"]


def test_fake_log_from_another_contract(ledger: Audited) -> None:
    env = ledger.env
    snap = env.backend.snapshot()
    try:
        impostor = deploy(env.backend)
        fake = LedgerClient(env.backend, impostor.ledger, impostor.registry)
        fake.register_asset(env.asset())
        for _ in range(30):  # record ids past ours, so the row fits the store
            fake.record(env.tx(ledger.built.asset, amount=1))
        forged = fake.record(env.tx(ledger.built.asset, amount=99_000_000_00))
        fake_store = Store(f"sqlite:///{ledger.store.url.removeprefix('sqlite:///')}.fake")
        Indexer(env.backend, fake_store, impostor.ledger, impostor.registry, start_block=impostor.block).sync()
        (row,) = fake_store.read("transactions", lambda t: t.c.record_id == forged.first_record_id)
        fake_store.close()
        assert row["contract"] == hexa(impostor.ledger)
        ours = Indexer(
            env.backend,
            ledger.store,
            env.client.ledger_address,
            env.client.registry_address,
            start_block=ledger.built.start_block,
        )
        assert ours.sync().events == 0  # the store is up to date: the impostor's logs are not ours
        cols = ", ".join(row)
        ledger.execute(
            f"INSERT INTO transactions ({cols}) VALUES ({', '.join(':' + c for c in row)})",
            **{**row, "amount": str(row["amount"])},
        )
        report = ledger.run()
    finally:
        env.backend.revert(snap)
    msgs = failures(report, "rows")
    rid = forged.first_record_id
    assert any(
        f"transactions #{rid}" in m and "not a contract of record" in m and "same event signature" in m for m in msgs
    ), msgs
    assert any(f"transactions #{rid}" in m and "not the IPLedger of record" in m for m in failures(report, "roles"))


class _Omitting(EmbeddedBackend):
    """A node that leaves one log out of its answers."""

    def __init__(self, inner: EmbeddedBackend, drop: tuple[int, int]) -> None:
        self.__dict__.update(inner.__dict__)
        self._drop = drop

    def get_logs(
        self, from_block: int, to_block: int, addresses: Sequence[bytes], topics0: Sequence[bytes] | None = None
    ) -> list[RawLog]:
        logs = super().get_logs(from_block, to_block, addresses, topics0)
        return [g for g in logs if (g.block_number, g.log_index) != self._drop]


def test_node_hiding_a_log_is_caught_by_the_accumulator(ledger: Audited) -> None:
    row = ledger.row("transactions", ledger.built.licence)
    lying = _Omitting(ledger.env.backend, (row["block_number"], row["log_index"]))  # type: ignore[arg-type]
    report = audit(
        lying, ledger.store, ledger.env.client, documents=ledger.documents, start_block=ledger.built.start_block
    )
    assert any("IPLedger at block" in m and "recomputed from the events" in m for m in failures(report, "accumulators"))


def test_block_hash_no_longer_on_chain(ledger: Audited) -> None:
    row = ledger.row("transactions", ledger.built.sale)
    ledger.execute("UPDATE blocks SET hash = :h WHERE number = :n", h="0x" + "ee" * 32, n=row["block_number"])
    report = ledger.run()
    msgs = failures(report, "rows")
    assert any(f"block {row['block_number']}: the store indexed hash 0x{'ee' * 32}" in m for m in msgs)
    assert any(f"transactions #{ledger.built.sale}" in m and "no longer the chain's" in m for m in msgs)


def test_void_pointing_to_another_asset(ledger: Audited) -> None:
    other_tx = [r for r in ledger.store.read("transactions") if r["asset_id"] == hexa(ledger.built.other_asset)]
    ledger.execute(
        "UPDATE voids SET target = :t WHERE record_id = :r", t=other_tx[-1]["record_id"], r=ledger.built.void
    )
    report = ledger.run()
    msgs = failures(report, "links")
    assert any(f"voids #{ledger.built.void}" in m and "of another asset" in m for m in msgs), msgs


def test_amendment_cycle(ledger: Audited) -> None:
    b = ledger.built
    ledger.execute("UPDATE transactions SET ref = :a WHERE record_id = :r", a=b.amendment, r=b.licence)
    report = ledger.run()
    msgs = failures(report, "links")
    assert any("point back to themselves" in m and f"#{b.licence}" in m and f"#{b.amendment}" in m for m in msgs)


def test_ownership_gap(ledger: Audited) -> None:
    b = ledger.built
    ledger.execute("UPDATE transactions SET seller = :s WHERE record_id = :r", s=hexa(ledger.env.accounts[5]), r=b.sale)
    report = ledger.run()
    msgs = failures(report, "links")
    assert any(f"transactions #{b.sale}" in m and "was not the owner" in m for m in msgs), msgs


def test_at_block_audits_the_past_state(ledger: Audited) -> None:
    report = ledger.run(at_block=ledger.built.anchor_block - 1)
    assert report.passed, report.to_json()
    assert report.to_block == ledger.built.anchor_block - 1
    assert report.check("reports").counts["anchors"] == 0
    # An edit after that block is outside the audited state.
    ledger.execute("UPDATE claims SET amount = '1'")
    assert ledger.run(at_block=ledger.built.anchor_block - 1).passed
    assert not ledger.run().passed


def test_asset_audit_and_html(ledger: Audited, tmp_path: object) -> None:
    b = ledger.built
    ledger.execute("UPDATE transactions SET amount = '5' WHERE record_id = :r", r=b.sale)
    report = ledger.run(asset_id=hexa(b.asset))
    assert report.asset_id == hexa(b.asset)
    assert not report.passed
    events = [e["event"] for e in report.timeline]
    assert events[0] == "registered" and "void" in events and "valuation" in events and "claim" in events
    html = report.to_html()
    assert "data:image/png;base64," in html and f"transactions #{b.sale}" in html
    assert report.check("rows").counts["transactions_rows"] == 8  # only this asset's records
    by_number = ledger.run(asset_id="ZL201910054321.0")
    assert by_number.passed and by_number.asset_id == hexa(b.other_asset)


def test_valuation_engine_reports_reproduce(ledger: Audited) -> None:
    """A report made by the real valuation engine, stored and anchored, is recomputed by the
    default recompute function (``ipledger.valuation.value_asset`` at the report's state block)."""
    valuation = pytest.importorskip("ipledger.valuation")
    canonical = pytest.importorskip("ipledger.valuation._canonical")
    env, b = ledger.env, ledger.built
    snap = env.backend.snapshot()
    try:
        cp = ledger.store.checkpoint()
        assert cp is not None
        view = LedgerAt(ledger.store, ledger.documents, cp[0])
        v = valuation.value_asset(
            view, hexa(b.other_asset), as_of="2024-06-30", inputs={"revenue": 1_000_000.0, "rd_cost": 500_000.0}
        )
        stored = store_report(ledger.documents, canonical.canonical_json(v.hash_payload()))
        assert stored == v.report_hash
        value, low, high = (to_minor(x, "CNY") for x in (v.value, v.low, v.high))
        env.client.anchor(
            AnchorInput(
                b.other_asset,
                AnchorKind.VALUATION,
                bytes.fromhex(stored[2:]),
                cp[0],
                to_timestamp("2024-06-30"),
                "CNY",
                value,
                min(low, value),
                max(high, value),
            )
        )
        Indexer(
            env.backend, ledger.store, env.client.ledger_address, env.client.registry_address, start_block=b.start_block
        ).sync()
        report = ledger.run(asset_id=hexa(b.other_asset), recompute={})  # the shipped recompute functions
    finally:
        env.backend.revert(snap)
    reports = report.check("reports")
    assert reports.counts["reproduced"] == 1, reports.findings
    assert report.passed


def test_inputs_recovered_from_a_valuation_report() -> None:
    report = {
        "inputs": {
            "revenue": 5.0,
            "revenues": [5.0, 5.0],
            "tax_rate": 0.25,
            "methods": ["income"],
            "min_methods": 1,
            "royalty_rate": {"p10": 0.03, "p50": 0.04, "p90": 0.05, "source": "inputs"},
            "note": "x",
        },
        "assumptions": {"tax_rate": "default"},
    }
    assert given_inputs(report) == {"revenue": 5.0, "royalty_rate": 0.04, "note": "x"}
    report["inputs"]["caller_inputs"] = {"revenue": 5.0}  # recorded by the engine: taken as is
    assert given_inputs(report) == {"revenue": 5.0}


def test_claim_under_a_policy_never_anchored(ledger: Audited) -> None:
    assert not any(f.code == "unanchored_policy" for f in ledger.run().check("links").findings)
    ledger.execute("UPDATE claims SET policy_hash = :h", h="0x" + "5a" * 32)
    report = ledger.run()
    assert any(f.code == "unanchored_policy" and "claims #3" in f.message for f in report.check("links").findings)
    assert any("claims #3" in m and "policy_hash" in m for m in failures(report, "rows"))


def test_renderings(ledger: Audited) -> None:
    from rich.console import Console

    from ipledger.errors import ProvenanceError

    ledger.execute("DELETE FROM voids")
    report = ledger.run()
    console = Console(record=True, width=160)
    console.print(report)
    text = console.export_text()
    assert "FAIL" in text and f"voids #{ledger.built.void}" in text and "FAILED" in text
    html = report.to_html()
    assert "<table>" in html and "data:image/png" not in html  # the chart is for asset audits
    data = json.loads(report.to_json())
    assert data["passed"] is False and {c["name"] for c in data["checks"]} >= {"rows", "links"}
    with pytest.raises(ProvenanceError):
        ledger.run(at_block=10**9)
