"""Provenance audit: every indexed row, document, role, value and quote re-checked against the chain.

``audit_ledger(ledger)`` returns an :class:`AuditReport`; ``report.passed`` is False when any
check found a failure. See docs/audit.md for what each check proves.
"""

from __future__ import annotations

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

__all__ = [
    "AuditReport",
    "Check",
    "Finding",
    "LedgerAt",
    "RecomputeUnavailable",
    "Severity",
    "audit",
    "audit_ledger",
    "default_recompute",
    "ledger_at",
    "recompute_quote",
    "recompute_valuation",
    "report_bytes",
    "store_report",
]
