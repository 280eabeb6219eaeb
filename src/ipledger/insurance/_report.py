"""HTML rendering of a quote: a jinja2 template with an embedded base64 PNG chart."""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING

import jinja2

if TYPE_CHECKING:
    from ipledger.insurance.quote import Quote

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("ipledger.insurance", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"]),
)


def _chart_png(q: Quote) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [*q.expected_loss_by_head, "limits/aggregate", "fixed expense", "variable expense", "profit"]
    values = [
        *q.expected_loss_by_head.values(),
        q.aggregate_adjustment,
        q.loadings["fixed_expense"],
        q.loadings["variable_expense"],
        q.loadings["profit"],
    ]
    if q.pure_premium != q.expected_loss:
        labels.append("credibility adjustment")
        values.append(q.pure_premium - q.expected_loss)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.barh(
        labels,
        values,
        color=["#4c72b0"] * len(q.expected_loss_by_head) + ["#999999"] * (len(labels) - len(q.expected_loss_by_head)),
    )
    ax1.set_title(f"Gross premium {q.gross_premium:,.0f} {q.currency}: components")
    ax1.invert_yaxis()
    years = [str(y) for y in q.subsidy_by_year]
    nets = list(q.net_premium_by_year.values())
    subs = list(q.subsidy_by_year.values())
    ax2.bar(years, nets, label="net (firm pays)", color="#55a868")
    ax2.bar(years, subs, bottom=nets, label="subsidy", color="#c44e52")
    ax2.set_xlabel("year of participation")
    ax2.set_title("Gross premium split by year")
    ax2.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def render_html(q: Quote) -> str:
    """The quote as a self-contained HTML page."""
    from ipledger.i18n import Translator

    return _ENV.get_template("quote.html.j2").render(
        q=q,
        t=Translator(),
        chart=_chart_png(q),
        money=lambda x: f"{x:,.2f}",
        pct=lambda x: f"{100 * x:.1f}%",
    )
