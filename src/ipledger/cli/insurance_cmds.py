"""`ipledger quote ID --product NAME` and `ipledger portfolio simulate`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ipledger.cli._common import JsonOpt, LangOpt, ProfileOpt, console, load_existing, print_json

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
    html: Annotated[Path | None, typer.Option("--html", help="Write the HTML quote here.")] = None,
    anchor: Annotated[bool, typer.Option("--anchor", help="Anchor the quote on chain (insurer role).")] = False,
    lang: LangOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Price insurance on one asset: sum insured from its valuation, sub-limits, expected loss by
    cost head, every rating factor, loadings, subsidy and the net premium."""
    from ipledger.identity import identify
    from ipledger.insurance import quote
    from ipledger.ledger import Ledger
    from ipledger.valuation import value_asset
    from ipledger.workflows import anchor_quote, risk_profile_for

    prof = load_existing(profile)
    with Ledger(prof) as ledger:
        ledger.sync(progress=False)
        aid = ledger.resolve_asset(asset)
        ident = identify(ledger, aid)
        valuation = value_asset(ledger, aid, inputs={"revenue": revenue} if revenue is not None else None)
        markets = tuple(m.strip().upper() for m in export.split(",") if m.strip())
        risk = risk_profile_for(ledger, aid, firm_type=firm_type, export_markets=markets)
        q = quote(valuation, product, risk, year=year)
        if html:
            q.to_html(html, lang=lang or prof.lang, identity=ident)
        anchored = anchor_quote(ledger, q, aid, valuation.state_block) if anchor else None
    if json_out:
        print_json(q.to_dict() | {"asset": ident.to_dict()})
        return
    d = q.to_dict()
    from rich.table import Table

    table = Table(title=f"quote: {product} on {ident.headline()} (amounts in {q.currency})", show_header=False)
    si, gross, net = q.anchor_figures()
    table.add_row("valuation", f"{valuation.value:,.0f} ({valuation.low:,.0f} to {valuation.high:,.0f})")
    table.add_row("sum insured", f"{si:,.0f}")
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
    sims: Annotated[int, typer.Option(help="Monte Carlo simulations.")] = 10_000,
    years: Annotated[int, typer.Option(help="Policy years per simulated horizon.")] = 1,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    json_out: JsonOpt = False,
) -> None:
    """Simulate a generated book priced flat (the pilot) and risk-tiered: loss ratios by risk
    decile, probability that claims exceed premiums, insurer's and subsidiser's costs."""
    from ipledger.insurance.portfolio import flat_premium, simulate_claims, simulate_portfolio, synthetic_book

    book = synthetic_book(policies, seed=seed)
    claims = simulate_claims(book, sims, seed=seed + 1) if years == 1 else None
    tiered = simulate_portfolio(book, n_sims=sims, n_years=years, seed=seed + 1, claims=claims)
    flat = simulate_portfolio(
        book.with_premium(flat_premium(book)), n_sims=sims, n_years=years, seed=seed + 1, claims=claims
    )
    out = {
        "tiered": tiered.summary() | {"max_decile_dev": tiered.max_decile_deviation},
        "flat": flat.summary() | {"max_decile_dev": flat.max_decile_deviation},
    }
    if json_out:
        print_json(out)
        return
    from rich.table import Table

    table = Table(title=f"book of {policies:,} policies, {sims:,} simulations, {years} year(s)")
    table.add_column("figure")
    table.add_column("risk-tiered", justify="right")
    table.add_column("flat (pilot)", justify="right")
    for key in out["tiered"]:
        a, b = out["tiered"][key], out["flat"].get(key, float("nan"))
        table.add_row(key, f"{a:,.4g}", f"{b:,.4g}")
    console.print(table)
