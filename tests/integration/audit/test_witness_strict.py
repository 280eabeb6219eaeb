"""Witnesses and --strict on the embedded chain: what a plain audit lets through, they catch."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ipledger.audit import Severity
from ipledger.audit.witness import (
    Witness,
    accumulator_seed,
    check_witness,
    load_witness,
    record_event_topics,
    save_witness,
)
from ipledger.chain.accumulator import record_topics
from ipledger.errors import ProvenanceError
from tests.integration.audit.conftest import Audited


def _witness(ledger: Audited, head: int | None = None) -> Witness:
    env = ledger.env
    return save_witness(
        env.backend, env.client.ledger_address, env.client.registry_address, ledger.built.start_block, head=head
    )


def test_record_events_follow_the_abi_rule() -> None:
    # The rule of docs/audit.md (first indexed input named recordId) gives the indexer's set.
    for contract in ("IPLedger", "ValuationRegistry"):
        assert record_event_topics(contract) == record_topics(contract)
        assert len(record_event_topics(contract)) >= 2


def test_witness_round_trip_and_clean_audit(ledger: Audited, tmp_path: Path) -> None:
    w = _witness(ledger)
    assert w.record_counts == {"IPLedger": 14, "ValuationRegistry": 3}
    assert w.head_block == ledger.env.backend.head()
    path = tmp_path / "w.json"
    w.write(path)
    again = load_witness(path)
    assert again == w and again.digest == w.digest
    assert json.loads(path.read_text())["witness_hash"] == "0x" + w.digest.hex()
    report = ledger.run(witness=w)
    assert report.passed, report.to_json()
    assert report.check("witness").counts["ledger_records_witnessed"] == 14
    # An edited field no longer matches the stated hash.
    data = json.loads(path.read_text())
    data["record_counts"]["IPLedger"] = 13
    path.write_text(json.dumps(data))
    with pytest.raises(ProvenanceError, match="edited"):
        load_witness(path)


def test_witness_mismatches_are_failures(ledger: Audited) -> None:
    env = ledger.env
    w = _witness(ledger)
    wrong = [
        (Witness(**{**w.__dict__, "head_block_hash": "0x" + "ab" * 32}), "head_hash"),
        (Witness(**{**w.__dict__, "genesis_hash": "0x" + "cd" * 32}), "genesis"),
        (Witness(**{**w.__dict__, "deployment_block_hash": "0x" + "ef" * 32}), "deployment"),
        (Witness(**{**w.__dict__, "head_block": env.backend.head() + 5}), "head_missing"),
        (Witness(**{**w.__dict__, "chain_id": 1}), "chain_id"),
        (Witness(**{**w.__dict__, "accumulators": {**w.accumulators, "IPLedger": "0x" + "12" * 32}}), "state"),
        (Witness(**{**w.__dict__, "record_counts": {**w.record_counts, "ValuationRegistry": 2}}), "state"),
    ]
    for bad, code in wrong:
        check = check_witness(env.backend, bad)
        assert not check.passed and code in {f.code for f in check.findings}, (code, check.to_dict())
        assert not ledger.run(witness=bad).passed


def test_seed_binds_chain_and_address_or_is_the_legacy_constant() -> None:
    a = accumulator_seed("IPLedger", 1, b"\x01" * 20)
    b = accumulator_seed("IPLedger", 1, b"\x02" * 20)
    c = accumulator_seed("IPLedger", 2, b"\x01" * 20)
    from eth_utils import keccak

    legacy = keccak(text="ipledger.IPLedger.v1")
    # Contracts compiled with the constant seed: all equal (a twin cannot be told by its seed).
    # Contracts with the v2 seed: all differ.
    assert (a == b == c == legacy) or len({a, b, c, legacy}) == 4


def test_strict_fails_deleted_documents(ledger: Audited) -> None:
    shutil.rmtree(ledger.documents.root)
    ledger.documents.root.mkdir()
    lenient = ledger.run()
    assert lenient.passed  # missing documents are only warnings
    missing = [f for f in lenient.check("documents").findings if f.code == "missing"]
    assert len(missing) >= 3
    strict = ledger.run(strict=True)
    assert not strict.passed
    codes = {(f.code, f.severity) for f in strict.check("documents").findings}
    assert ("missing", Severity.FAILURE) in codes and ("missing", Severity.WARNING) not in codes


def test_strict_fails_a_store_truncated_with_its_checkpoint(ledger: Audited) -> None:
    env = ledger.env
    cut = ledger.built.anchor_block - 1  # drop the two anchors, the claim and everything after
    deleted = ledger.store.rollback_to(cut, "0x" + env.backend.block(cut).hash.hex())
    assert deleted >= 3
    lenient = ledger.run()
    assert lenient.passed, lenient.to_json()  # consistent with the chain at its (older) checkpoint
    (warning,) = [f for f in lenient.check("completeness").findings if f.severity == Severity.WARNING]
    assert "holds 0 of the 3 records" in warning.message
    strict = ledger.run(strict=True, check_documents=False)
    assert {c.name for c in strict.checks if not c.passed} == {"completeness"}
    assert "incomplete" in {f.code for f in strict.check("completeness").findings}
