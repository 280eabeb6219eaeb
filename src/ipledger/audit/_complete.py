"""Checks 7 and 8: the store is complete up to the chain's head, and the chain holds the witness.

Check 7 (``completeness``) compares the records the store holds with the contracts'
``recordCount`` at the chain head. Deleting the newest rows together with the checkpoint leaves a
store that is consistent with itself and with the chain at its (older) checkpoint: only the head
shows what is missing. Without ``--strict`` a shortfall is a warning (the index may simply be
behind); ``--strict`` turns it, and every other warning, into a failure.

Check 8 (``witness``) runs :func:`ipledger.audit.witness.check_witness` against the witness the
auditor kept.
"""

from __future__ import annotations

from ipledger.audit import witness as _witness
from ipledger.audit._base import LEDGER_RECORD_TABLES, REGISTRY_TABLES, AuditBase, _hex
from ipledger.audit.report import Check, Finding, Severity
from ipledger.audit.witness import Witness
from ipledger.errors import ChainError


class CompletenessCheck(AuditBase):
    witness: Witness | None
    strict: bool

    # ------------------------------------------------------------------ 7. completeness

    def check_completeness(self) -> Check:
        check = Check("completeness", "The store holds every record the contracts count at the chain head")
        if self.asset_id:
            check.skipped = "asset audit"
            check.note("one asset audited: store completeness not checked", "skipped")
            return check
        block = self.head if self.at_block is None else self.at_block
        for label, contract, tables in (
            ("ledger", "IPLedger", LEDGER_RECORD_TABLES),
            ("registry", "ValuationRegistry", REGISTRY_TABLES),
        ):
            stored = sum(1 for t in tables for r in self.rows[t] if int(r["block_number"]) <= block)
            try:
                on_chain = self.client.record_count(label, block=block)
            except ChainError as exc:
                check.fail(f"{contract}: cannot read recordCount at block {block}: {exc}", "unreadable", block=block)
                continue
            check.counts[f"{label}_records_on_chain"] = on_chain
            check.counts[f"{label}_records_stored"] = stored
            if stored < on_chain:
                check.warn(
                    f"{contract}: the store holds {stored} of the {on_chain} records the contract counts at block "
                    f"{block} (indexed to block {self.indexed_to}): the index is behind the chain, or its newest rows "
                    "were deleted together with the checkpoint; run `ipledger sync`",
                    "incomplete",
                    contract=_hex(self.ledger_address if label == "ledger" else self.registry_address),
                    block=block,
                )
        return check

    # ------------------------------------------------------------------ 8. witness

    def check_witness(self) -> Check:
        assert self.witness is not None
        w = self.witness
        same = (
            w.deployment_block == self.start_block
            and w.address("IPLedger") == self.ledger_address
            and w.address("ValuationRegistry") == self.registry_address
        )
        check = _witness.check_witness(self.backend, w, self.logs if same else None)
        if not same:
            check.fail(
                f"the audited contracts {_hex(self.ledger_address)} / {_hex(self.registry_address)} from block "
                f"{self.start_block} are not the witnessed ones {w.contracts['IPLedger']} / "
                f"{w.contracts['ValuationRegistry']} from block {w.deployment_block}",
                "contracts",
            )
        return check


def promote_warnings(check: Check) -> None:
    """Strict mode: every warning of ``check`` becomes a failure (kept in place, code unchanged)."""
    if not check.warnings:
        return
    check.findings = [
        Finding(Severity.FAILURE, f"[strict] {f.message}", f.location, f.code) if f.severity == Severity.WARNING else f
        for f in check.findings
    ]
    counts = check._by_severity
    counts[Severity.FAILURE.value] = counts.get(Severity.FAILURE.value, 0) + counts.pop(Severity.WARNING.value, 0)
    if Severity.WARNING.value in check.omitted:
        omitted = check.omitted.pop(Severity.WARNING.value)
        check.omitted[Severity.FAILURE.value] = check.omitted.get(Severity.FAILURE.value, 0) + omitted
