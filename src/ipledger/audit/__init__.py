"""Provenance audit: every indexed row, document, role, value and quote re-checked against the chain.

``audit_ledger(ledger)`` returns an :class:`AuditReport`; ``report.passed`` is False when any
check found a failure. See docs/audit.md for what each check proves.
"""

from __future__ import annotations

from ipledger.audit.anchor import AnchorRecord, anchor_witness, witness_from
from ipledger.audit.core import audit, audit_ledger
from ipledger.audit.recompute import (
    LedgerAt,
    RecomputeUnavailable,
    default_recompute,
    ledger_at,
    recompute_quote,
    recompute_valuation,
    report_bytes,
    store_report,
)
from ipledger.audit.report import AuditReport, Check, Finding, Severity
from ipledger.audit.witness import Witness, check_witness, load_witness, save_witness

__all__ = [
    "AnchorRecord",
    "AuditReport",
    "Check",
    "Finding",
    "LedgerAt",
    "RecomputeUnavailable",
    "Severity",
    "Witness",
    "anchor_witness",
    "audit",
    "audit_ledger",
    "check_witness",
    "default_recompute",
    "ledger_at",
    "load_witness",
    "recompute_quote",
    "recompute_valuation",
    "report_bytes",
    "save_witness",
    "store_report",
    "witness_from",
]
