"""HTML rendering of a quote: a jinja2 template with an embedded base64 PNG chart."""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING, Any

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


def render_html(q: Quote, lang: str | None = None, identity: Any = None) -> str:
    """The quote as a self-contained HTML page.

    Args:
        q: the quote.
        lang: "en" or "zh-CN" (None: English); words from ``catalog_insurance``, money, numbers
            and percentages formatted for the locale.
        identity: the asset's :class:`~ipledger.identity.AssetIdentity`, shown at the top.
    """
    from ipledger.i18n import Translator

    t = Translator(lang)

    def loading(key: str) -> str:
        try:
            return t(f"quote.loading.{key}")
        except KeyError:  # a loading the catalogue does not know yet: its own name
            return key.replace("_", " ")

    return _ENV.get_template("quote.html.j2").render(
        q=q,
        t=t,
        ident=identity,
        chart=_chart_png(q),
        m=lambda x: t.money(x, q.currency),
        num=lambda x, d: t.number(x, digits=d),
        pct=lambda x: t.percent(x),
        loading=loading,
    )
