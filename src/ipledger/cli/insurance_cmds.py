"""`ipledger quote ID --product NAME` and `ipledger portfolio simulate`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ipledger.cli._common import ConsentOpt, JsonOpt, LangOpt, ProfileOpt, console, load_existing, print_json

portfolio_app = typer.Typer(
    rich_markup_mode="markdown", help="Insurance books: Monte Carlo of loss ratios and subsidies.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.command("quote")(quote_cmd)
    app.add_typer(portfolio_app, name="portfolio")


def quote_cmd(
    asset: Annotated[str, typer.Argument(help="Asset id (0x...) or registry number.")],
    product: Annotated[
        str, typer.Option("--product", help="Product key, e.g. enforcement, champion_patent_guard.")
    ] = "enforcement",
    profile: ProfileOpt = None,
    firm_type: Annotated[str, typer.Option(help="champion, sme, micro or other.")] = "sme",
    export: Annotated[str, typer.Option(help="Comma-separated export markets, e.g. US,UK.")] = "",
    year: Annotated[int, typer.Option(help="Year of participation in the subsidy scheme (1-based).")] = 1,
    revenue: Annotated[
        float | None, typer.Option(help="First-year sales of the product using the asset; enables the income approach.")
    ] = None,
    growth: Annotated[float, typer.Option("--growth", help="Yearly revenue growth as a fraction (0.03).")] = 0.0,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Valuation date (YYYY-MM-DD); default today.")] = None,
    methods: Annotated[str, typer.Option(help="Comma-separated valuation approaches.")] = "market,income,cost",
    consent: ConsentOpt = None,
    inputs: Annotated[
        list[str] | None,
        typer.Option("--input", help="Any valuation input as KEY=VALUE (as for `value`); repeatable."),
    ] = None,
    basis: Annotated[
        str, typer.Option(help="Valuation figure the sum insured follows: value (P50), low (P10), high (P90) or pNN.")
    ] = "value",
    html: Annotated[Path | None, typer.Option("--html", help="Write the HTML quote here.")] = None,
    anchor: Annotated[bool, typer.Option("--anchor", help="Anchor the quote on chain (insurer role).")] = False,
    lang: LangOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Price insurance on one asset: sum insured from its valuation, sub-limits, expected loss by
    cost head, every rating factor, loadings, subsidy and the net premium. The asset is valued
    exactly as `ipledger value` values it with the same options (same function, same inputs)."""
    from ipledger.identity import identify
    from ipledger.insurance import quote
    from ipledger.ledger import Ledger
    from ipledger.workflows import anchor_quote, risk_profile_for, value_with_options

    prof = load_existing(profile)
    with Ledger(prof) as ledger:
        ledger.sync(progress=False)
        aid = ledger.resolve_asset(asset)
        ident = identify(ledger, aid)
        valuation = value_with_options(
            ledger, aid, as_of=as_of, methods=methods, revenue=revenue, growth=growth, inputs=inputs, consent=consent
        )
        markets = tuple(m.strip().upper() for m in export.split(",") if m.strip())
        risk = risk_profile_for(ledger, aid, firm_type=firm_type, export_markets=markets)
        q = quote(valuation, product, risk, year=year, basis=basis)
        if html:
            q.to_html(html, lang=lang or prof.lang, identity=ident)
        anchored = anchor_quote(ledger, q, aid, valuation.state_block) if anchor else None
    if json_out:
        print_json(q.to_dict() | {"asset": ident.to_dict(), "amounts": {**q.amounts(), "currency": q.currency}})
        return
    d = q.to_dict()
    from rich.table import Table

    table = Table(title=f"quote: {product} on {ident.headline()} (amounts in {q.currency})", show_header=False)
    si, gross, net = q.anchor_figures()
    b = q.sum_insured_basis
    table.add_row("valuation", f"{valuation.value:,.0f} ({valuation.low:,.0f} to {valuation.high:,.0f})")
    table.add_row("valuation report", str(b["valuation_report_hash"]))
    table.add_row(
        "sum insured basis", f"P{b['percentile']:g} of the range = {b['basis_value']:,.0f} ({b['rule']} rule)"
    )
    table.add_row(
        "sum insured", f"{si:,.0f}" + (f" (departs from the value: {b['departure']})" if b["departure"] else "")
    )
    for head, limit in (d.get("sub_limits") or {}).items():
        exp = (d.get("expected_loss_by_head") or {}).get(head)
        table.add_row(f"  {head}", f"limit {limit:,.0f}" + (f", expected loss {exp:,.2f}" if exp is not None else ""))
    for f in d.get("factors") or []:
        if isinstance(f, dict):
            table.add_row(f"  factor {f.get('name')}", f"{f.get('value')} ({f.get('source', '')})"[:90])
    table.add_row("gross premium", f"{gross:,.2f}")
    table.add_row("net premium (after subsidy)", f"{net:,.2f}")
    console.print(table)
    if html:
        console.print(f"quote written to {html}")
    if anchored:
        console.print(f"anchored in block {anchored.block_number}")


@portfolio_app.command("simulate")
def simulate(
    policies: Annotated[int, typer.Option(help="Policies in the generated book.")] = 10_000,
    sims: Annotated[int, typer.Option(help="Monte Carlo simulations (years).")] = 10_000,
    years: Annotated[int, typer.Option(help="Policy years per simulated horizon (tiered vs flat table).")] = 1,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    from_ledger: Annotated[
        bool, typer.Option("--from-ledger", help="Simulate the policies anchored on the ledger, not a generated book.")
    ] = False,
    include_quotes: Annotated[
        bool, typer.Option(help="With --from-ledger, anchored quotes count as policies.")
    ] = False,
    profile: ProfileOpt = None,
    xol_retention: Annotated[float, typer.Option(help="Per-risk excess of loss: retention (CNY).")] = 500_000.0,
    xol_limit: Annotated[float, typer.Option(help="Per-risk excess of loss: limit (CNY); 0 for none.")] = 1_500_000.0,
    quota_share: Annotated[float, typer.Option(help="Quota share ceded (fraction); 0 for none.")] = 0.3,
    stop_loss: Annotated[
        float, typer.Option(help="Subsidiser's aggregate stop-loss attachment (net loss ratio).")
    ] = 1.1,
    independent: Annotated[
        bool, typer.Option("--independent", help="No parameter uncertainty or campaigns (independent claims).")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Simulate a book priced flat (the pilot) and risk-tiered: loss ratios by risk decile and
    technical field, gross and net of reinsurance (per-risk excess of loss, quota share, the
    subsidiser's stop-loss), capital (TVaR 99%), insurer's and subsidiser's costs."""
    from rich.progress import Progress

    from ipledger.insurance import aggregate, reinsurance
    from ipledger.insurance.book import book_from_reports, flat_premium, synthetic_book
    from ipledger.insurance.portfolio import simulate_claims, simulate_portfolio

    if from_ledger:
        from ipledger.ledger import Ledger
        from ipledger.workflows import anchored_policy_reports

        with Ledger(load_existing(profile)) as ledger:
            ledger.sync(progress=False)
            book = book_from_reports(anchored_policy_reports(ledger, include_quotes=include_quotes))
    else:
        book = synthetic_book(policies, seed=seed)
    dependence = aggregate.INDEPENDENT if independent else aggregate.Dependence()
    if book.field is None and dependence.campaign_prob > 0:
        dependence = aggregate.Dependence(dependence.param_cv, 0.0, 0.0)
    treaties = reinsurance.Treaties(
        xol_retention=xol_retention, xol_limit=xol_limit, quota_share=quota_share, stop_loss_attachment=stop_loss
    )
    with Progress(console=console, transient=True, disable=json_out) as bar:
        task = bar.add_task("simulating claims", total=sims)
        claims = aggregate.simulate(
            book, sims, dependence=dependence, seed=seed + 1, progress=lambda done: bar.update(task, completed=done)
        )
    ri = reinsurance.apply(claims, float(book.premium.sum()), treaties)
    tables = aggregate.breakdown(book, claims)
    one = simulate_claims(book, sims, seed=seed + 1) if years == 1 else None
    tiered = simulate_portfolio(book, n_sims=sims, n_years=years, seed=seed + 1, claims=one)
    flat = simulate_portfolio(
        book.with_premium(flat_premium(book)), n_sims=sims, n_years=years, seed=seed + 1, claims=one
    )
    out: dict[str, Any] = {
        "n_policies": book.n,
        "tiered": tiered.summary() | {"max_decile_dev": tiered.max_decile_deviation},
        "flat": flat.summary() | {"max_decile_dev": flat.max_decile_deviation},
        "reinsurance": ri.summary(),
        "by_decile": tables["decile"],
        "by_field": tables["field"],
    }
    if json_out:
        print_json(out)
        return
    from rich.table import Table

    table = Table(title=f"book of {book.n:,} policies, {sims:,} simulations, {years} year(s), independent claims")
    table.add_column("figure")
    table.add_column("risk-tiered", justify="right")
    table.add_column("flat (pilot)", justify="right")
    for key in out["tiered"]:
        a, b = out["tiered"][key], out["flat"].get(key, float("nan"))
        table.add_row(key, f"{a:,.4g}", f"{b:,.4g}")
    console.print(table)
    gn = Table(title="tiered book with correlated claims: gross and net of reinsurance (per year)")
    for c in ("figure", "gross", "net"):
        gn.add_column(c, justify="left" if c == "figure" else "right")
    summ = out["reinsurance"]
    for key in (
        "premium",
        "expected_claims",
        "loss_ratio",
        "loss_ratio_p99",
        "expected_result",
        "result_p01",
        "prob_loss",
        "capital_tvar99",
    ):
        gn.add_row(key, f"{summ[f'gross_{key}']:,.4g}", f"{summ[f'net_{key}']:,.4g}")
    console.print(gn)
    ceded = Table(title="treaties")
    ceded.add_column("figure")
    ceded.add_column("amount", justify="right")
    for key in (
        "xol_premium",
        "xol_expected_ceded",
        "qs_premium",
        "qs_commission",
        "qs_expected_ceded",
        "stop_loss_expected_cost",
        "stop_loss_p99_cost",
        "stop_loss_prob_triggered",
    ):
        ceded.add_row(key, f"{summ[key]:,.4g}")
    console.print(ceded)
    for name, rows in (("risk decile (1 = lowest rated risk)", tables["decile"]), ("technical field", tables["field"])):
        t = Table(title=f"tiered pricing by {name}")
        for c in ("group", "policies", "premium", "expected claims", "loss ratio", "capital share"):
            t.add_column(c, justify="left" if c == "group" else "right")
        for r in rows:
            t.add_row(
                str(r["group"]),
                f"{r['policies']:,}",
                f"{r['premium']:,.0f}",
                f"{r['expected_claims']:,.0f}",
                f"{r['loss_ratio']:.3f}",
                f"{r['capital_share']:.1%}",
            )
        console.print(t)
