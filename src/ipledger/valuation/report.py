"""Valuation reports: canonical JSON and a self-contained HTML report in English or Chinese.

The HTML report follows the order of IVS 106 (documentation and reporting) or, when the
engagement names it, the China Appraisal Society's intangible-asset standard: the asset's
identity, the engagement, a summary with the weights and why, each approach with its inputs,
a sensitivity table, the comparable evidence with its adjustments, assumptions with sources,
limitations, and an appendix of on-chain references. Words come from
:mod:`ipledger.i18n.catalog_valuation`; numbers, money, percentages and dates are formatted for
the language by :class:`ipledger.i18n.Translator`. The range chart is drawn in HTML and CSS and
the comparables chart carries no words, so no font is needed for either language.
"""

from __future__ import annotations

import base64
import io
import math
import re
from importlib import resources
from typing import TYPE_CHECKING, Any

from ipledger.i18n import Translator
from ipledger.valuation._messages import say

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ipledger.valuation.result import Valuation

__all__ = ["comparables_chart", "render_html", "render_json"]

#: Inputs that are fractions, shown as percentages.
_RATES = {
    "tax_rate",
    "discount_rate",
    "revenue_growth",
    "discount_rate_sd",
    "economic_life_sd",
    "revenue_growth_sd",
    "terminal_growth",
    "cost_inflation",
    "price_change",
    "entrepreneurial_incentive",
    "functional_obsolescence",
    "economic_obsolescence",
    "royalty_rate_low",
    "royalty_rate_high",
    "ebitda_margin",
}
#: Inputs that are money in the valuation currency.
_MONEY = {"rd_cost", "revenue"}
#: Recorded inputs not shown in the assumptions table (shown elsewhere or internal).
_HIDDEN = {"caller_inputs", "methods", "min_methods", "legal_life", "legal_expiry", "fx_table_digest"}
#: English warnings of the market approach, mapped to message keys for other languages.
_MARKET_PATTERNS = (
    (re.compile(r"only (\d+) comparable trades before \S+ \(fewer than (\d+)\)"), "warn.market_thin", ("n", "min")),
    (re.compile(r"the asset has no remaining life at the valuation date"), "warn.market_no_life", ()),
    (re.compile(r"asset status is (\w+);"), "warn.market_status", ("status",)),
    (re.compile(r"(\d+) trade\(s\) in ([A-Z, ]+) left out"), "warn.fx_dropped", ("n", "currencies")),
)


def render_json(valuation: Valuation, *, indent: int | None = 2) -> str:
    """The report as JSON (``indent=None``: the canonical text whose SHA-256 is the report hash
    plus the hash itself)."""
    return valuation.to_json(indent=indent)


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    # no Software/date metadata: the same figure gives the same bytes
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def comparables_chart(valuation: Valuation) -> str | None:
    """Base64 PNG of the market comparables' adjusted values against their dates, sized by
    weight, with the reconciled value as a dashed line; no words (the caption is in the HTML).

    Returns:
        The PNG, base64-encoded, or None when there are no dated comparables.
    """
    import datetime as dt

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import DateFormatter, date2num
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    points = []
    for c in valuation.comparables:
        try:
            day = dt.date.fromisoformat(str(c.get("date"))[:10])
            amount = float(c.get("adjusted_value", c.get("amount")))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        points.append((date2num(day), amount, float(c.get("weight") or 0.0)))
    if not points:
        return None
    fig = Figure(figsize=(7.5, 3.2))
    FigureCanvasAgg(fig)
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
    ax.axhline(valuation.value, color="#1f4e79", linestyle="--", linewidth=1)
    ax.xaxis_date()
    ax.xaxis.set_major_formatter(DateFormatter("%Y-%m"))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:,.0f}"))
    fig.autofmt_xdate()
    fig.tight_layout()
    return _png(fig)


class _View:
    """Formatting helpers bound to one language and currency."""

    def __init__(self, t: Translator, currency: str) -> None:
        self.t = t
        self.currency = currency

    def money(self, x: Any, currency: str | None = None) -> str:
        if x is None or (isinstance(x, float) and not math.isfinite(x)):
            return "—"
        return self.t.money(float(x), currency or self.currency, digits=0)

    def pct(self, x: Any, digits: int = 1) -> str:
        return "—" if x is None else self.t.percent(float(x), digits=digits)

    def num(self, x: Any, digits: int = 2) -> str:
        return "—" if x is None else self.t.number(float(x), digits=digits)

    def code(self, prefix: str, value: Any) -> str:
        if value is None or value == "":
            return "—"
        try:
            return self.t(f"{prefix}.{value}")
        except KeyError:
            return str(value)

    def date(self, value: Any) -> str:
        if not value:
            return "—"
        try:
            return self.t.date(str(value)[:10])
        except ValueError:
            return str(value)

    def years(self, x: Any) -> str:
        return self.t("v.indefinite") if x is None else self.t("v.years", n=self.num(x, 1))

    def input_value(self, name: str, value: Any) -> str:
        if value is None:
            return "—"
        if isinstance(value, bool):
            return self.t("v.yes" if value else "v.no")
        if name in _RATES and isinstance(value, int | float):
            return self.pct(value, 2)
        if name in _MONEY and isinstance(value, int | float):
            return self.money(value)
        if name == "revenues" and isinstance(value, list):
            return ", ".join(self.money(v) for v in value[:12]) + (" …" if len(value) > 12 else "")
        if name == "royalty_rate" and isinstance(value, dict):
            return " / ".join(self.pct(value.get(k), 2) for k in ("p10", "p50", "p90"))
        if name == "income_method":
            return self.code("method", value)
        if name == "cost_role":
            return self.code("role", value)
        if name == "field":
            return self.code("field", value)
        if isinstance(value, dict):
            parts = []
            for k, v in sorted(value.items()):
                label = self.code("charge", k) if name == "contributory_assets" else self.code("method", k)
                shown = self.pct(v, 2) if name == "contributory_assets" else self.num(v, 2)
                parts.append(f"{label} {shown}")
            return "; ".join(parts) or "—"
        if isinstance(value, float):
            return self.num(value, 2)
        return str(value)


def _note(t: Translator, text: str | None, note: dict[str, Any] | None) -> str:
    if note is not None:
        try:
            return say(t, str(note["key"]), dict(note.get("fields") or {}))
        except (KeyError, IndexError, ValueError):
            pass
    if text is not None:
        for pattern, key, names in _MARKET_PATTERNS:
            m = pattern.search(text)
            if m:
                return say(t, key, dict(zip(names, m.groups(), strict=True)))
        return text if t.lang == "en" else t("warn.other")
    return ""


def _warnings(v: Valuation, t: Translator) -> list[str]:
    if t.lang == "en":  # the recorded warnings are English already, and complete
        return list(v.warnings)
    out = [_note(t, None, n) for n in v.notes]
    for m in v.methods:
        notes = m.details.get("notes") if isinstance(m.details, dict) else None
        if notes:
            out.extend(f"{t('method.' + m.method)}: {_note(t, None, n)}" for n in notes)
        else:
            out.extend(f"{t('method.' + m.method)}: {_note(t, w, None)}" for w in m.warnings)
    seen: set[str] = set()
    return [w for w in out if w and not (w in seen or seen.add(w))]  # type: ignore[func-returns-value]


def _method_rows(v: Valuation, view: _View) -> list[dict[str, Any]]:
    t = view.t
    reasons = dict(v.reconciliation.get("reasons") or {})
    rows = []
    for m in v.methods:
        r = reasons.get(m.method) or {
            "role": "insufficient" if not m.sufficient else "leading",
            "reason": "why.insufficient",
        }
        sd = r.get("error_sd")
        reason = say(t, str(r["reason"]), {"sd": view.num(sd, 2) if sd is not None else ""})
        if not m.sufficient:
            notes = m.details.get("notes") if isinstance(m.details, dict) else None
            reason = _note(t, m.warnings[0] if m.warnings else None, notes[0] if notes else None) or reason
        rows.append(
            {
                "name": t("method." + m.method),
                "ok": m.sufficient,
                "value": view.money(m.value) if m.sufficient else "—",
                "low": view.money(m.low) if m.sufficient else "—",
                "high": view.money(m.high) if m.sufficient else "—",
                "weight": view.pct(m.weight or 0.0, 0),
                "role": view.code("role", r.get("role")),
                "reason": reason,
                "n": m.n_data,
                "details": _method_details(m, view),
            }
        )
    return rows


def _method_details(m: Any, view: _View) -> list[tuple[str, str]]:
    t, d = view.t, (m.details if isinstance(m.details, dict) else {})
    out: list[tuple[str, str]] = []
    if not m.sufficient:
        return out
    if m.method == "income":
        out.append((t("v.income.method"), view.code("method", d.get("income_method"))))
        if d.get("income_method") == "excess_earnings":
            out.append((t("v.income.margin"), view.pct(d.get("ebitda_margin"), 2)))
            for name, charge in (d.get("charges") or {}).items():
                out.append((t("v.income.charge", name=view.code("charge", name)), view.pct(charge, 2)))
            out.append((t("v.income.excess"), view.pct(d.get("excess_margin"), 2)))
        else:
            rate = d.get("royalty_screen") or {}
            licences = d.get("licences") or []
            out.append((t("v.income.royalty_source"), say(t, str(d.get("royalty_source_key") or "src.inputs"), {})))
            if m.n_data and rate:
                out.append(
                    (
                        t("v.income.licences_used"),
                        f"{m.n_data} · "
                        + t(
                            "v.income.screen",
                            above_cap=rate.get("above_cap", 0),
                            cap=view.pct(rate.get("cap"), 0),
                            short_term=rate.get("short_term", 0),
                            raw=view.pct(rate.get("median_raw"), 2),
                            adj=view.pct(rate.get("median_adjusted"), 2),
                        ),
                    )
                )
            del licences
        out.append((t("v.income.discount_rate"), view.pct(d.get("discount_rate"), 1)))
        out.append((t("v.income.tax_rate"), view.pct(d.get("tax_rate"), 0)))
        tab = d.get("tab_period")
        out.append(
            (
                t("v.income.tab"),
                t("v.income.tab_line", n=tab, factor=view.num(d.get("tab_factor"), 3)) if tab else t("v.none"),
            )
        )
        if d.get("indefinite"):
            share = d.get("terminal_share")
            out.append(
                (
                    t("v.income.life"),
                    t(
                        "v.income.terminal",
                        n=d.get("explicit_years"),
                        g=view.pct(d.get("terminal_growth"), 1),
                        share=view.pct(share, 0),
                    ),
                )
            )
        else:
            out.append((t("v.income.life"), view.years(d.get("remaining_life"))))
        mc = d.get("monte_carlo") or {}
        out.append(
            (
                t("v.income.mc"),
                t(
                    "v.income.mc_line",
                    draws=mc.get("draws"),
                    k_sd=view.pct(mc.get("discount_rate_sd"), 1),
                    life_sd=view.pct(mc.get("economic_life_sd"), 0),
                    g_sd=view.pct(mc.get("revenue_growth_sd"), 1),
                ),
            )
        )
    elif m.method == "cost":
        out += [
            (t("v.cost.rd_cost"), view.money(d.get("rd_cost"))),
            (t("v.cost.price_change"), view.pct(d.get("price_change"), 1)),
            (t("v.cost.incentive"), view.pct(d.get("entrepreneurial_incentive"), 0)),
            (t("v.cost.age"), view.pct(d.get("age_obsolescence"), 1)),
            (t("v.cost.functional"), view.pct(d.get("functional_obsolescence"), 0)),
            (t("v.cost.economic"), view.pct(d.get("economic_obsolescence"), 0)),
        ]
    elif m.method == "market":
        out += [
            (t("v.market.comparables"), str(m.n_data)),
            (t("v.market.life_factor"), view.num(d.get("life_factor"), 3)),
            (t("v.market.cutoff"), view.date(d.get("model_cutoff"))),
        ]
    return out


def _bars(v: Valuation, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Positions (percent of the chart width) of each method's range and value, and the result's."""
    items = [(r["name"], m.low, m.value, m.high, m.sufficient) for r, m in zip(rows, v.methods, strict=True)]
    items = [i for i in items if i[4]]
    span = [x for _, lo, _, hi, _ in items for x in (lo, hi)] + [v.low, v.high]
    top = max(span) * 1.05 or 1.0

    def at(x: float) -> float:
        return round(100.0 * max(x, 0.0) / top, 2)

    bars = [
        {"name": n, "left": at(lo), "width": max(at(hi) - at(lo), 0.3), "mark": at(val), "main": False}
        for n, lo, val, hi, _ in items
    ]
    bars.append(
        {"name": "", "left": at(v.low), "width": max(at(v.high) - at(v.low), 0.3), "mark": at(v.value), "main": True}
    )
    return bars


def _sensitivity(v: Valuation, view: _View) -> list[dict[str, Any]]:
    income = next((m for m in v.methods if m.method == "income" and m.sufficient), None)
    if income is None or not isinstance(income.details, dict) or not income.details.get("sensitivity"):
        return []
    s = income.details["sensitivity"]
    tables = []
    for lf, block in zip(s["lives"], s["values"], strict=True):
        tables.append(
            {
                "life": view.years(lf),
                "ks": [view.pct(k, 1) for k in s["discount_rates"]],
                "rows": [
                    (view.pct(rate, 2), [view.money(block[j][i]) for j in range(len(s["discount_rates"]))])
                    for i, rate in enumerate(s["rates"])
                ],
            }
        )
    return tables


def _assumptions(v: Valuation, view: _View) -> list[tuple[str, str, str]]:
    t = view.t
    rows = []
    for name, value in sorted(v.inputs.items()):
        if name in _HIDDEN:
            continue
        try:
            label = t("in." + name)
        except KeyError:
            label = name
        src = v.sources.get(name)
        if src:
            source = say(t, str(src["key"]), dict(src.get("fields") or {}))
        elif name in v.assumptions:
            source = v.assumptions[name] if t.lang == "en" else t("warn.other")
        else:
            source = t("v.given_by_valuer")
        rows.append((label, view.input_value(name, value), source))
    return rows


def render_html(valuation: Valuation, *, lang: str | None = None) -> str:
    """A self-contained HTML report (see the module docstring for its sections).

    Args:
        valuation: the valuation to render.
        lang: ``"en"`` (default) or ``"zh-CN"``.

    Returns:
        The HTML text (UTF-8, no external resources).
    """
    import jinja2

    t = Translator(lang)
    v = valuation
    view = _View(t, v.currency)
    source = resources.files("ipledger.valuation").joinpath("templates/report.html.j2").read_text("utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(source)
    eng = dict(v.engagement or {})
    a = dict(v.asset or {})
    basis = view.code("basis", eng.get("basis", "market"))
    rows = _method_rows(v, view)
    licences: list[dict[str, Any]] = []
    for m in v.methods:
        if isinstance(m.details, dict):
            licences.extend(m.details.get("licences", []))
    identity = [
        (t("v.registry_number"), a.get("registry_number") or "—"),
        (t("v.asset_title"), a.get("title") or "—"),
        (t("v.kind"), view.code("kind", a.get("kind"))),
        (t("v.class_code"), a.get("class_code") or "—"),
        (t("v.jurisdiction"), a.get("jurisdiction") or "—"),
        (t("v.field"), view.code("field", v.inputs.get("field")) if v.inputs.get("field") else "—"),
        (t("v.owner"), a.get("owner_name") or a.get("owner") or "—"),
        (t("v.status"), view.code("status", a.get("status"))),
        (t("v.filing_date"), view.date(a.get("filing_date"))),
        (t("v.legal_expiry"), view.date(a.get("legal_expiry")) if a.get("legal_expiry") else t("v.indefinite")),
        (
            t("v.remaining_life"),
            view.years(a.get("remaining_life"))
            + (f" ({view.code('v.life_basis', a.get('life_basis'))})" if a.get("life_basis") else ""),
        ),
        (t("v.asset_id"), v.asset_id),
    ]
    engagement = [
        (t("v.purpose"), view.code("purpose", eng.get("purpose"))),
        (t("v.basis"), basis),
        (t("v.premise"), view.code("premise", eng.get("premise"))),
        (t("v.valuation_date"), view.date(v.as_of)),
        (t("v.report_date"), view.date(eng.get("report_date") or v.as_of)),
        (t("v.valuer"), eng.get("valuer") or t("v.not_stated")),
        (t("v.organisation"), eng.get("organisation") or t("v.not_stated")),
        (t("v.client"), eng.get("client") or t("v.not_stated")),
        (t("v.scope"), eng.get("scope") or t("v.not_stated")),
        (t("v.currency"), v.currency),
    ]
    conclusion = t(
        "v.conclusion",
        basis=basis,
        date=view.date(v.as_of),
        value=view.money(v.value),
        low=view.money(v.low),
        high=view.money(v.high),
    )
    weights_lines = [t("v.weights_line", method=r["name"], weight=r["weight"], reason=r["reason"]) for r in rows]
    chain_refs = [
        (str(c.get("record_id", "")), view.date(c.get("date")), c.get("tx_hash") or "—", c.get("log_index"))
        for c in [*v.comparables, *licences]
    ]
    fx_source = f"{v.inputs['fx_table']} ({v.inputs.get('fx_table_digest', '')})" if v.inputs.get("fx_table") else None
    return template.render(
        v=v,
        t=t,
        lang=t.lang,
        standard=t("v.standard." + str(eng.get("standard", "IVS"))),
        identity=identity,
        engagement=engagement,
        special=list(eng.get("special_assumptions") or []),
        conclusion=conclusion,
        weights_lines=weights_lines,
        headline=view.money(v.value),
        rows=rows,
        reconciled=(view.money(v.value), view.money(v.low), view.money(v.high)),
        bars=_bars(v, rows),
        sensitivity=_sensitivity(v, view),
        comparables=[
            {
                "record": c.get("record_id"),
                "date": view.date(c.get("date")),
                "kind": view.code("tx", c.get("kind")),
                "amount": view.money(
                    c.get("amount_original", c.get("amount")),
                    c.get("currency_original") or c.get("currency") or v.currency,
                ),
                "weight": view.pct(c.get("weight"), 1),
                "adjusted": view.money(c.get("adjusted_value")),
            }
            for c in v.comparables
        ],
        comparables_png=comparables_chart(v),
        licences=[
            {
                "record": c.get("record_id"),
                "date": view.date(c.get("date")),
                "raw": view.pct(c.get("royalty_rate"), 2),
                "exclusivity": view.code("excl", c.get("exclusivity")),
                "territory": c.get("territory") or "—",
                "factor": view.num(c.get("factor", 1.0), 2),
                "adjusted": view.pct(c.get("adjusted_rate", c.get("royalty_rate")), 2),
            }
            for c in licences
        ],
        assumptions=_assumptions(v, view),
        warnings=_warnings(v, t),
        chain_refs=chain_refs,
        fx_source=fx_source,
    )
