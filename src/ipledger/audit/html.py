"""The audit report as one self-contained HTML page (styles inline, chart as base64 PNG)."""
# ruff: noqa: E501  (an HTML template and catalogue texts read best unbroken)

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING, Any

import jinja2

if TYPE_CHECKING:
    from ipledger.audit.report import AuditReport

__all__ = ["render_html", "timeline_chart"]

_TEMPLATE = """<!DOCTYPE html>
<html lang="{{ t.lang }}"><head><meta charset="utf-8">
<title>{{ t("audit.title") }}{% if ident %} {{ t("audit.of") }} {{ ident.registry_number }}{% elif r.asset_id %} {{ r.asset_id }}{% endif %}</title>
<style>
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Microsoft YaHei",system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top;font-size:14px}
th{background:#f3f3f3}
.pass{color:#17803d;font-weight:bold}.fail{color:#b91c1c;font-weight:bold}.skip{color:#777}
.failure{color:#b91c1c}.warning{color:#a16207}.note{color:#555}
code{font-size:12px;word-break:break-all}
.verdict{font-size:1.3em;padding:.5em 1em;display:inline-block;border-radius:4px}
.ok{background:#dcfce7}.bad{background:#fee2e2}
</style></head><body>
<h1>{{ t("audit.title") }}</h1>
<p class="verdict {{ 'ok' if r.passed else 'bad' }}">{{ t("audit.passed") if r.passed else t("audit.failed") }}</p>
{% if ident %}<table class="identity">
<tr><th>{{ t("audit.registry_number") }}</th><td><strong>{{ ident.registry_number }}</strong></td></tr>
<tr><th>{{ t("audit.asset_title") }}</th><td>{{ ident.title or "" }}</td></tr>
<tr><th>{{ t("audit.kind") }}</th><td>{{ ident.kind }}</td></tr>
<tr><th>{{ t("audit.jurisdiction") }}</th><td>{{ ident.jurisdiction }}</td></tr>
<tr><th>{{ t("audit.owner") }}</th><td>{{ ident.owner_label }}</td></tr>
<tr><th>{{ t("audit.asset_id") }}</th><td><code>{{ ident.asset_id }}</code></td></tr>
</table>{% endif %}
<table>
<tr><th>{{ t("audit.chain_id") }}</th><td>{{ r.chain_id }}</td></tr>
{% for name, addr in r.contracts.items() %}<tr><th>{{ name }}</th><td><code>{{ addr }}</code></td></tr>{% endfor %}
<tr><th>{{ t("audit.rows_audited") }}</th><td>{{ t("audit.blocks", start=r.from_block, end=r.to_block, head=r.head) }}</td></tr>
{% if r.at_block is not none %}<tr><th>{{ t("audit.at_block") }}</th><td>{{ r.at_block }}</td></tr>{% endif %}
{% if r.asset_id and not ident %}<tr><th>{{ t("audit.asset") }}</th><td><code>{{ r.asset_id }}</code></td></tr>{% endif %}
<tr><th>{{ t("audit.run") }}</th><td>{{ created }} ({{ t("audit.seconds", seconds=num(r.seconds, 2)) }})</td></tr>
</table>
<h2>{{ t("audit.summary") }}</h2>
<table><tr><th>{{ t("audit.check") }}</th><th>{{ t("audit.proves") }}</th><th>{{ t("audit.result") }}</th><th>{{ t("audit.failures") }}</th><th>{{ t("audit.warnings") }}</th><th>{{ t("audit.examined") }}</th></tr>
{% for c in r.checks %}<tr><td>{{ c.name }}</td><td>{{ title(c) }}</td>
{% set res = t("audit.skipped") if c.skipped else (t("audit.pass") if c.passed else t("audit.fail")) %}
<td class="{{ 'skip' if c.skipped else ('pass' if c.passed else 'fail') }}">{{ res }}</td>
<td>{{ num(c.failures, 0) }}</td><td>{{ num(c.warnings, 0) }}</td>
<td>{% for k, v in c.counts.items() %}{{ k.replace('_', ' ') }}: {{ num(v, 0) }}<br>{% endfor %}</td></tr>
{% endfor %}</table>
{% if chart %}<h2>{{ t("audit.timeline") }}</h2>
<p>{{ t("audit.timeline_note") }}</p>
<img alt="provenance timeline" src="data:image/png;base64,{{ chart }}">
<table><tr><th>{{ t("audit.block") }}</th><th>{{ t("audit.log") }}</th><th>{{ t("audit.record") }}</th><th>{{ t("audit.event") }}</th><th>{{ t("audit.transaction") }}</th></tr>
{% for e in r.timeline %}<tr><td>{{ e.block }}</td><td>{{ e.log_index }}</td><td>{{ e.table }} #{{ e.record_id }}</td>
<td>{{ e.event }}</td><td><code>{{ e.tx_hash }}</code></td></tr>{% endfor %}</table>{% endif %}
<h2>{{ t("audit.findings") }}</h2>
{% for c in r.checks %}{% if c.findings %}<h3>{{ c.name }}</h3>
<table><tr><th>{{ t("audit.severity") }}</th><th>{{ t("audit.message") }}</th><th>{{ t("audit.location") }}</th></tr>
{% for f in c.findings %}<tr><td class="{{ f.severity.value }}">{{ t("audit.severity." ~ f.severity.value) }}</td><td>{% if explain(f) %}<strong>{{ explain(f) }}</strong><br><span lang="en">{{ f.message }}</span>{% else %}{{ f.message }}{% endif %}</td>
<td>{% for k, v in f.location.items() %}{{ k }}: <code>{{ v }}</code><br>{% endfor %}</td></tr>{% endfor %}
{% for sev, n in c.omitted.items() %}<tr><td class="{{ sev }}">{{ t("audit.severity." ~ sev) }}</td>
<td>{{ t("audit.more", n=num(n, 0)) }}</td><td></td></tr>{% endfor %}
</table>{% endif %}{% else %}{% endfor %}
{% if not r.findings() %}<p>{{ t("audit.no_findings") }}</p>{% endif %}
</body></html>
"""


def timeline_chart(report: AuditReport, name: str | None = None) -> str:
    """Base64 PNG of the asset's records, one row per kind of event: on the left by the date each
    record states, on the right by block (chain order). Records a check failed are red. Empty
    string when the report has no timeline."""
    if not report.timeline:
        return ""
    import datetime as dt

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    flagged: set[tuple[str, int]] = set()
    for c in report.checks:
        for f in c.findings:
            if f.severity.value == "failure" and "table" in f.location and "record_id" in f.location:
                flagged.add((str(f.location["table"]), int(f.location["record_id"])))
    rows = list(dict.fromkeys(e["event"] for e in report.timeline))
    fig = Figure(figsize=(11, 1.4 + 0.42 * len(rows)))
    FigureCanvasAgg(fig)
    by_date: Any = fig.add_subplot(1, 2, 1)
    by_block: Any = fig.add_subplot(1, 2, 2, sharey=by_date)
    for colour, bad in (("#2563eb", False), ("#dc2626", True)):
        pts = [e for e in report.timeline if ((e["table"], e["record_id"]) in flagged) == bad]
        if not pts:
            continue
        label = "failed a check" if bad else "verified"
        dated = [e for e in pts if e["date"] > 0]
        by_date.scatter(
            [dt.datetime.fromtimestamp(e["date"], dt.UTC) for e in dated],
            [rows.index(e["event"]) for e in dated],
            c=colour,
            s=36,
            zorder=3,
            label=label,
        )
        by_block.scatter(
            [e["block"] for e in pts], [rows.index(e["event"]) for e in pts], c=colour, s=36, zorder=3, label=label
        )
    by_date.set_yticks(range(len(rows)))
    by_date.set_yticklabels(rows)
    by_date.set_xlabel("date stated in the record")
    by_block.set_xlabel("block (chain order)")
    by_block.tick_params(labelleft=False)
    for ax in (by_date, by_block):
        ax.grid(axis="x", alpha=0.3)
    by_block.legend(loc="upper left", fontsize=8)
    fig.autofmt_xdate()
    fig.suptitle(f"provenance of {name}" if name else f"provenance of asset {str(report.asset_id)[:18]}…")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def check_title(t: Any, check: Any) -> str:
    """A check's one-line description in the translator's language (its own text if unknown)."""
    try:
        return str(t(f"audit.check.{check.name}")) if t.lang != "en" else str(check.title)
    except KeyError:
        return str(check.title)


def finding_explanation(t: Any, finding: Any) -> str | None:
    """What a finding's kind means, in the translator's language, for reports not in English
    (the finding's own message, in English, names the row); None in English or for no code."""
    if t.lang == "en" or not finding.code:
        return None
    try:
        return str(t(f"audit.finding.{finding.code}"))
    except KeyError:
        return None


def render_html(report: AuditReport, lang: str | None = None, identity: Any = None) -> str:
    """The report as one HTML page in ``lang`` ("en" or "zh-CN"), with the asset's identity block
    (an :class:`~ipledger.identity.AssetIdentity`) when the audit is of one asset. Findings keep
    the wording of the check that made them; in Chinese, each under an explanation of its kind."""
    from ipledger.i18n import Translator

    t = Translator(lang)
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    created = str(report.created)
    try:
        import datetime as dt

        stamp = dt.datetime.fromisoformat(created)
        created = f"{t.date(stamp)} {stamp:%H:%M:%S} UTC"
    except ValueError:
        pass
    return env.from_string(_TEMPLATE).render(
        r=report,
        t=t,
        ident=identity,
        created=created,
        num=lambda x, d: t.number(x, digits=d),
        title=lambda c: check_title(t, c),
        explain=lambda f: finding_explanation(t, f),
        chart=timeline_chart(report, identity.registry_number if identity is not None else None),
    )
