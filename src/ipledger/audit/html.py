"""The audit report as one self-contained HTML page (styles inline, chart as base64 PNG)."""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING, Any

import jinja2

if TYPE_CHECKING:
    from ipledger.audit.report import AuditReport

__all__ = ["render_html", "timeline_chart"]

_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>ipledger audit{% if r.asset_id %} of {{ r.asset_id }}{% endif %}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top;font-size:14px}
th{background:#f3f3f3}
.pass{color:#17803d;font-weight:bold}.fail{color:#b91c1c;font-weight:bold}.skip{color:#777}
.failure{color:#b91c1c}.warning{color:#a16207}.note{color:#555}
code{font-size:12px;word-break:break-all}
.verdict{font-size:1.3em;padding:.5em 1em;display:inline-block;border-radius:4px}
.ok{background:#dcfce7}.bad{background:#fee2e2}
</style></head><body>
<h1>ipledger provenance audit</h1>
<p class="verdict {{ 'ok' if r.passed else 'bad' }}">{{ 'PASSED' if r.passed else 'FAILED' }}</p>
<table>
<tr><th>chain id</th><td>{{ r.chain_id }}</td></tr>
{% for name, addr in r.contracts.items() %}<tr><th>{{ name }}</th><td><code>{{ addr }}</code></td></tr>{% endfor %}
<tr><th>rows audited</th><td>blocks {{ r.from_block }} to {{ r.to_block }} (chain head {{ r.head }})</td></tr>
{% if r.at_block is not none %}<tr><th>at block</th><td>{{ r.at_block }}</td></tr>{% endif %}
{% if r.asset_id %}<tr><th>asset</th><td><code>{{ r.asset_id }}</code></td></tr>{% endif %}
<tr><th>run</th><td>{{ r.created }} ({{ '%.2f' % r.seconds }} s)</td></tr>
</table>
<h2>Summary</h2>
<table><tr><th>check</th><th>what it proves</th><th>result</th><th>failures</th><th>warnings</th><th>examined</th></tr>
{% for c in r.checks %}<tr><td>{{ c.name }}</td><td>{{ c.title }}</td>
{% set res = 'skipped' if c.skipped else ('pass' if c.passed else 'FAIL') %}
<td class="{{ 'skip' if c.skipped else ('pass' if c.passed else 'fail') }}">{{ res }}</td>
<td>{{ c.failures }}</td><td>{{ c.warnings }}</td>
<td>{% for k, v in c.counts.items() %}{{ k.replace('_', ' ') }}: {{ '{:,}'.format(v) }}<br>{% endfor %}</td></tr>
{% endfor %}</table>
{% if chart %}<h2>Provenance timeline</h2>
<p>Every record of the asset, by the date it states and by block; records with a failure are red.</p>
<img alt="provenance timeline" src="data:image/png;base64,{{ chart }}">
<table><tr><th>block</th><th>log</th><th>record</th><th>event</th><th>transaction</th></tr>
{% for e in r.timeline %}<tr><td>{{ e.block }}</td><td>{{ e.log_index }}</td><td>{{ e.table }} #{{ e.record_id }}</td>
<td>{{ e.event }}</td><td><code>{{ e.tx_hash }}</code></td></tr>{% endfor %}</table>{% endif %}
<h2>Findings</h2>
{% for c in r.checks %}{% if c.findings %}<h3>{{ c.name }}</h3>
<table><tr><th>severity</th><th>message</th><th>location</th></tr>
{% for f in c.findings %}<tr><td class="{{ f.severity.value }}">{{ f.severity.value }}</td><td>{{ f.message }}</td>
<td>{% for k, v in f.location.items() %}{{ k }}: <code>{{ v }}</code><br>{% endfor %}</td></tr>{% endfor %}
{% for sev, n in c.omitted.items() %}<tr><td class="{{ sev }}">{{ sev }}</td>
<td>... and {{ '{:,}'.format(n) }} more not listed</td><td></td></tr>{% endfor %}
</table>{% endif %}{% else %}{% endfor %}
{% if not r.findings() %}<p>No findings.</p>{% endif %}
</body></html>
"""


def timeline_chart(report: AuditReport) -> str:
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
    fig.suptitle(f"provenance of asset {str(report.asset_id)[:18]}…")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def render_html(report: AuditReport) -> str:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(_TEMPLATE).render(r=report, chart=timeline_chart(report))
