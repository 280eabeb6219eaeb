"""The audit report: checks, their findings and counts; JSON, HTML and terminal renderings."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

__all__ = ["AuditReport", "Check", "Finding", "Severity"]

#: Findings of one severity kept in full per check; the rest are counted (see ``Check.omitted``).
MAX_FINDINGS = 500


class Severity(StrEnum):
    """How bad a finding is: a failure fails its check, a warning or a note does not."""

    FAILURE = "failure"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class Finding:
    """One problem (or remark), with where it is.

    Attributes:
        severity: failure, warning or note.
        message: plain-language description naming the row or file.
        location: where: ``table``, ``record_id``, ``block``, ``log_index``, ``tx_hash``,
            ``contract``, ``file``, ... (only the keys that apply).
        code: a short machine-readable kind, e.g. ``"edited"``, ``"deleted"``, ``"no_role"``.
    """

    severity: Severity
    message: str
    location: dict[str, Any] = field(default_factory=dict)
    code: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"severity": self.severity.value, "code": self.code, "message": self.message, "location": self.location}


@dataclass
class Check:
    """One audit check: what it proved (counts) and what it found.

    Attributes:
        name: short id of the check (``rows``, ``accumulators``, ``roles``, ...).
        title: one-line description.
        counts: what was examined, e.g. ``{"rows": 100000, "logs": 100000}``.
        findings: findings kept in full (at most ``MAX_FINDINGS`` per severity).
        omitted: findings counted but not kept, by severity.
        skipped: why the check could not run (it then passes with a note).
        seconds: how long the check took.
    """

    name: str
    title: str
    counts: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    omitted: dict[str, int] = field(default_factory=dict)
    skipped: str | None = None
    seconds: float = 0.0
    _by_severity: dict[str, int] = field(default_factory=dict, repr=False)

    def add(self, severity: Severity, message: str, code: str = "", **location: Any) -> None:
        key = severity.value
        self._by_severity[key] = self._by_severity.get(key, 0) + 1
        if self._by_severity[key] > MAX_FINDINGS:
            self.omitted[key] = self.omitted.get(key, 0) + 1
            return
        self.findings.append(Finding(severity, message, {k: v for k, v in location.items() if v is not None}, code))

    def fail(self, message: str, code: str = "", **location: Any) -> None:
        self.add(Severity.FAILURE, message, code, **location)

    def warn(self, message: str, code: str = "", **location: Any) -> None:
        self.add(Severity.WARNING, message, code, **location)

    def note(self, message: str, code: str = "", **location: Any) -> None:
        self.add(Severity.NOTE, message, code, **location)

    def count(self, severity: Severity) -> int:
        return self._by_severity.get(severity.value, 0)

    @property
    def failures(self) -> int:
        return self.count(Severity.FAILURE)

    @property
    def warnings(self) -> int:
        return self.count(Severity.WARNING)

    @property
    def passed(self) -> bool:
        return self.failures == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "passed": self.passed,
            "skipped": self.skipped,
            "seconds": round(self.seconds, 3),
            "counts": dict(self.counts),
            "failures": self.failures,
            "warnings": self.warnings,
            "findings": [f.to_dict() for f in self.findings],
            "omitted": dict(self.omitted),
        }


@dataclass
class AuditReport:
    """The result of ``audit_ledger``: every check with its findings.

    Attributes:
        checks: the checks in the order they ran.
        chain_id: the audited chain.
        contracts: ``{"IPLedger": "0x...", "ValuationRegistry": "0x..."}``.
        from_block, to_block: the block range whose rows were re-checked.
        head: the chain head at the time of the audit.
        at_block: the block the auditor named, if any.
        asset_id: the asset the audit was restricted to, if any.
        timeline: for an asset audit, the asset's records in chain order (for the chart).
        seconds: how long the audit took (``fetch_seconds`` of it reading the chain's logs,
            ``read_seconds`` reading the store; each check has its own ``seconds``).
    """

    checks: list[Check] = field(default_factory=list)
    chain_id: int = 0
    contracts: dict[str, str] = field(default_factory=dict)
    from_block: int = 0
    to_block: int = -1
    head: int = -1
    at_block: int | None = None
    asset_id: str | None = None
    timeline: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    fetch_seconds: float = 0.0
    read_seconds: float = 0.0
    created: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))

    @property
    def passed(self) -> bool:
        """True when no check has a failure."""
        return all(c.passed for c in self.checks)

    def check(self, name: str) -> Check:
        """The check called ``name`` (KeyError when there is none)."""
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    def findings(self, severity: Severity | None = None) -> list[Finding]:
        """Every kept finding, optionally of one severity."""
        return [f for c in self.checks for f in c.findings if severity is None or f.severity == severity]

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "created": self.created,
            "chain_id": self.chain_id,
            "contracts": dict(self.contracts),
            "from_block": self.from_block,
            "to_block": self.to_block,
            "head": self.head,
            "at_block": self.at_block,
            "asset_id": self.asset_id,
            "seconds": round(self.seconds, 3),
            "fetch_seconds": round(self.fetch_seconds, 3),
            "read_seconds": round(self.read_seconds, 3),
            "checks": [c.to_dict() for c in self.checks],
            "timeline": self.timeline,
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, default=str)

    def to_html(self, path: str | Path | None = None, *, lang: str | None = None, identity: Any = None) -> str:
        """A self-contained HTML page (summary per check, findings, and for an asset audit a
        provenance timeline chart embedded as PNG); also written to ``path`` when given.

        Args:
            path: file to write, or None.
            lang: "en" or "zh-CN" (None: English).
            identity: the audited asset's :class:`~ipledger.identity.AssetIdentity`.
        """
        from ipledger.audit.html import render_html

        text = render_html(self, lang=lang, identity=identity)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def __rich__(self) -> Any:
        from ipledger.audit.terminal import render_rich

        return render_rich(self)
