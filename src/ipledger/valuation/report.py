"""Valuation reports: canonical JSON and a self-contained HTML page with embedded PNG charts.

Charts are drawn with matplotlib's object API on the Agg canvas (no pyplot, no global backend
switch, no display needed) and embedded as base64 PNG, so the HTML file needs nothing else.
"""

from __future__ import annotations

import base64
import io
import json
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ipledger.valuation.result import Valuation

__all__ = ["comparables_chart", "football_field_chart", "render_html", "render_json"]

_COMPARABLE_COLUMNS = ("record_id", "date", "amount", "weight", "tx_hash", "log_index")
_LICENCE_COLUMNS = ("record_id", "date", "royalty_rate", "exclusivity", "tx_hash", "log_index")


def render_json(valuation: Valuation, *, indent: int | None = 2) -> str:
    """The report as JSON (``indent=None``: the canonical text whose SHA-256 is the report hash
    plus the hash itself)."""
    return valuation.to_json(indent=indent)


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    # no Software/date metadata: the same figure gives the same bytes
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def _thousands() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _pos: f"{x:,.0f}")


def football_field_chart(valuation: Valuation) -> str:
    """Base64 PNG of each method's low-high range and value, and the reconciled range.

    Args:
        valuation: the valuation to draw.

    Returns:
        The PNG, base64-encoded.
    """
    rows = [(m.method, m.low, m.value, m.high, m.weight or 0.0, m.sufficient) for m in valuation.methods]
    rows.append(("reconciled", valuation.low, valuation.value, valuation.high, 1.0, True))
    fig = _figure(7.5, 0.6 * len(rows) + 1.2)
    ax = fig.add_subplot()
    for i, (name, low, value, high, _weight, ok) in enumerate(rows):
        colour = "#1f4e79" if name == "reconciled" else ("#5b9bd5" if ok else "#bbbbbb")
        ax.barh(i, high - low, left=low, height=0.5, color=colour, alpha=0.85 if ok else 0.5)
        if ok:
            ax.plot([value, value], [i - 0.3, i + 0.3], color="black", linewidth=2)
    labels = [
        name if name == "reconciled" else (f"{name}\n(weight {weight:.0%})" if ok else f"{name}\n(insufficient)")
        for name, _, _, _, weight, ok in rows
    ]
    ax.set_yticks(range(len(rows)), labels, fontsize=9)
    ax.invert_yaxis()
    ax.set_xlabel(f"value ({valuation.currency})")
    ax.set_title("Methods' ranges (10th-90th percentile) and the reconciled range")
    ax.xaxis.set_major_formatter(_thousands())
    fig.tight_layout()
    return _png(fig)


def comparables_chart(valuation: Valuation) -> str | None:
    """Base64 PNG of the market comparables' amounts against their dates, sized by weight.

    Returns:
        The PNG, base64-encoded, or None when there are no dated comparables.
    """
    import datetime as dt

    from matplotlib.dates import date2num

    points = []
    for c in valuation.comparables:
        try:
            day = dt.date.fromisoformat(str(c.get("date"))[:10])
            amount = float(c.get("amount"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        points.append((date2num(day), amount, float(c.get("weight") or 0.0)))
    if not points:
        return None
    fig = _figure(7.5, 3.6)
    ax = fig.add_subplot()
    top = max(w for _, _, w in points) or 1.0
    ax.scatter(
        [p[0] for p in points],
        [p[1] for p in points],
        s=[20 + 280 * (w / top) for _, _, w in points],
        alpha=0.6,
        color="#5b9bd5",
        edgecolors="#1f4e79",
    )
    ax.axhline(valuation.value, color="#1f4e79", linestyle="--", linewidth=1, label="reconciled value")
    ax.xaxis_date()
    ax.yaxis.set_major_formatter(_thousands())
    ax.set_ylabel(f"amount ({valuation.currency})")
    ax.set_title("Comparable transactions (size = weight)")
    ax.legend(loc="best", fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    return _png(fig)


def _money(x: float | None) -> str:
    return "" if x is None else f"{x:,.0f}"


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _cell(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"
    if isinstance(x, dict | list):
        return json.dumps(x, ensure_ascii=False, sort_keys=True, default=str)
    return "" if x is None else str(x)


def render_html(valuation: Valuation) -> str:
    """A self-contained HTML report: headline figures, charts, method, input and evidence tables.

    Args:
        valuation: the valuation to render.

    Returns:
        The HTML text (UTF-8, no external resources).
    """
    import jinja2

    source = resources.files("ipledger.valuation").joinpath("templates/report.html.j2").read_text("utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(source)
    licences: list[dict[str, Any]] = []
    for m in valuation.methods:
        licences.extend(m.details.get("licences", []))
    return template.render(
        v=valuation,
        money=_money,
        pct=_pct,
        cell=_cell,
        football=football_field_chart(valuation),
        comparables_png=comparables_chart(valuation),
        comparable_columns=_COMPARABLE_COLUMNS,
        licences=licences,
        licence_columns=_LICENCE_COLUMNS,
    )
