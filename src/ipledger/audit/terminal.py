"""The audit report in the terminal (Rich): a summary table, then the findings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ipledger.audit.report import Severity

if TYPE_CHECKING:
    from ipledger.audit.report import AuditReport

STYLE = {Severity.FAILURE: "bold red", Severity.WARNING: "yellow", Severity.NOTE: "dim"}
SHOWN_PER_CHECK = 20


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in counts.items())


def render_rich(report: AuditReport, shown_per_check: int = SHOWN_PER_CHECK) -> Any:
    """A Rich renderable of the report (print it with ``rich.console.Console().print``)."""
    scope = f"blocks {report.from_block}..{report.to_block} (head {report.head})"
    if report.at_block is not None:
        scope += f", at block {report.at_block}"
    if report.asset_id:
        scope += f", asset {report.asset_id}"
    summary = Table(title=f"ipledger audit: {scope}", title_justify="left")
    summary.add_column("check")
    summary.add_column("result")
    summary.add_column("failures", justify="right")
    summary.add_column("warnings", justify="right")
    summary.add_column("examined")
    for c in report.checks:
        if c.skipped:
            result = Text("skipped", style="dim")
        else:
            result = Text("pass", style="green") if c.passed else Text("FAIL", style="bold red")
        summary.add_row(c.name, result, str(c.failures), str(c.warnings), _counts(c.counts))
    parts: list[Any] = [summary]
    for c in report.checks:
        if not c.findings:
            continue
        findings = Table(title=f"{c.name}: {c.title}", title_justify="left", show_header=False, expand=False)
        findings.add_column("severity")
        findings.add_column("message", overflow="fold")
        for f in c.findings[:shown_per_check]:
            findings.add_row(Text(f.severity.value, style=STYLE[f.severity]), f.message)
        more = len(c.findings) - shown_per_check + sum(c.omitted.values())
        if more > 0:
            findings.add_row("", Text(f"... and {more:,} more (use --json or --html for all)", style="dim"))
        parts.append(findings)
    verdict = (
        Text(f"PASSED: every check passed ({report.seconds:.1f} s)", style="bold green")
        if report.passed
        else Text(
            f"FAILED: {sum(c.failures for c in report.checks):,} failures in "
            f"{', '.join(c.name for c in report.checks if not c.passed)} ({report.seconds:.1f} s)",
            style="bold red",
        )
    )
    parts.append(verdict)
    return Group(*parts)
