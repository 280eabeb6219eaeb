"""`ipledger value ID`: value one asset from the ledger (market, income, cost; reconciled)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ipledger.cli._common import (
    ConsentOpt,
    JsonOpt,
    LangOpt,
    ProfileOpt,
    console,
    load_existing,
    print_json,
    show_progress,
)

HtmlOpt = Annotated[Path | None, typer.Option("--html", help="Write the self-contained HTML report here.")]
AnchorOpt = Annotated[bool, typer.Option("--anchor", help="Anchor the report hash and figures on chain (valuer role).")]


def register(app: typer.Typer) -> None:
    app.command("value")(value)


def value(
    asset: Annotated[str, typer.Argument(help="Asset id (0x...) or registry number.")],
    profile: ProfileOpt = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Valuation date (YYYY-MM-DD); default today.")] = None,
    methods: Annotated[str, typer.Option(help="Comma-separated approaches.")] = "market,income,cost",
    revenue: Annotated[
        float | None,
        typer.Option(
            help="First-year sales of the product using the asset (major units); enables the income approach."
        ),
    ] = None,
    growth: Annotated[float, typer.Option("--growth", help="Yearly revenue growth as a fraction (0.03).")] = 0.0,
    consent: ConsentOpt = None,
    inputs: Annotated[
        list[str] | None,
        typer.Option("--input", help="Any valuation input as KEY=VALUE (e.g. discount_rate=0.12); repeatable."),
    ] = None,
    html: HtmlOpt = None,
    anchor: AnchorOpt = False,
    lang: LangOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Value an asset from its comparables, licences and costs on the ledger, reconciled into one
    value with a range; deterministic report hash for the same chain state and inputs."""
    from ipledger.cli._progress import spinner
    from ipledger.identity import identify
    from ipledger.ledger import Ledger
    from ipledger.reports import write_html
    from ipledger.workflows import anchor_valuation, value_with_options

    prof = load_existing(profile)
    with Ledger(prof) as ledger:
        ledger.sync(progress=False)
        ident = identify(ledger, asset)
        with spinner("valuing", enabled=show_progress(json_out)):
            v = value_with_options(
                ledger,
                asset,
                as_of=as_of,
                methods=methods,
                revenue=revenue,
                growth=growth,
                inputs=inputs,
                consent=consent,
            )
        if html:
            write_html(v, html, lang or prof.lang, ident)
        anchored = anchor_valuation(ledger, v) if anchor else None
    if json_out:
        # "amounts": the money as decimal strings at the currency's minor unit, beside the report.
        print_json(v.to_dict() | {"asset": ident.to_dict(), "amounts": {**v.amounts(), "currency": v.currency}})
        return
    from rich.table import Table

    table = Table(title=f"valuation of {ident.headline()} as of {v.as_of} ({v.currency})")
    cur = v.currency
    for c in ("method", f"value ({cur})", f"low ({cur})", f"high ({cur})", "weight", "data"):
        table.add_column(c, justify="right" if c != "method" else "left")
    for m in v.methods:
        table.add_row(
            m.method,
            f"{m.value:,.0f}",
            f"{m.low:,.0f}",
            f"{m.high:,.0f}",
            f"{v.weights.get(m.method, 0.0):.0%}",
            str(m.n_data),
        )
    table.add_row("[bold]reconciled[/]", f"[bold]{v.value:,.0f}[/]", f"{v.low:,.0f}", f"{v.high:,.0f}", "100%", "")
    console.print(table)
    for w in v.warnings:
        console.print(f"[yellow]warning:[/] {w}")
    console.print(f"report hash {v.report_hash} (ledger block {v.state_block})")
    if html:
        console.print(f"report written to {html}")
    if anchored:
        console.print(f"anchored in block {anchored.block_number} (record {anchored.first_record_id})")
