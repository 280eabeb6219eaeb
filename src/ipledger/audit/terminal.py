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


def render_rich(
    report: AuditReport, shown_per_check: int = SHOWN_PER_CHECK, lang: str | None = None, identity: Any = None
) -> Any:
    """A Rich renderable of the report (print it with ``rich.console.Console().print``).

    Args:
        report: the audit report.
        shown_per_check: findings listed per check before "... and N more".
        lang: "en" or "zh-CN" (None: English).
        identity: the audited asset's :class:`~ipledger.identity.AssetIdentity`, named in the title.
    """
    from ipledger.audit.html import check_title
    from ipledger.i18n import Translator

    t = Translator(lang)
    scope = t("audit.blocks", start=report.from_block, end=report.to_block, head=report.head)
    if report.at_block is not None:
        scope += f", {t('audit.at_block')} {report.at_block}"
    if identity is not None:
        scope += f", {t('audit.asset')} {identity.headline()}"
    elif report.asset_id:
        scope += f", {t('audit.asset')} {report.asset_id}"
    summary = Table(title=f"{t('audit.title')}: {scope}", title_justify="left")
    summary.add_column(t("audit.check"))
    summary.add_column(t("audit.result"))
    summary.add_column(t("audit.failures"), justify="right")
    summary.add_column(t("audit.warnings"), justify="right")
    summary.add_column(t("audit.examined"))
    for c in report.checks:
        if c.skipped:
            result = Text(t("audit.skipped"), style="dim")
        else:
            result = Text(t("audit.pass"), style="green") if c.passed else Text(t("audit.fail"), style="bold red")
        summary.add_row(c.name, result, str(c.failures), str(c.warnings), _counts(c.counts))
    parts: list[Any] = [summary]
    for c in report.checks:
        if not c.findings:
            continue
        findings = Table(title=f"{c.name}: {check_title(t, c)}", title_justify="left", show_header=False, expand=False)
        findings.add_column("severity")
        findings.add_column("message", overflow="fold")
        for f in c.findings[:shown_per_check]:
            findings.add_row(Text(t(f"audit.severity.{f.severity.value}"), style=STYLE[f.severity]), f.message)
        more = len(c.findings) - shown_per_check + sum(c.omitted.values())
        if more > 0:
            findings.add_row("", Text(t("audit.more_terminal", n=t.number(more)), style="dim"))
        parts.append(findings)
    seconds = t("audit.seconds", seconds=t.number(report.seconds, digits=1))
    verdict = (
        Text(t("audit.verdict_passed", seconds=seconds), style="bold green")
        if report.passed
        else Text(
            t(
                "audit.verdict_failed",
                n=t.number(sum(c.failures for c in report.checks)),
                checks=", ".join(c.name for c in report.checks if not c.passed),
                seconds=seconds,
            ),
            style="bold red",
        )
    )
    parts.append(verdict)
    return Group(*parts)
