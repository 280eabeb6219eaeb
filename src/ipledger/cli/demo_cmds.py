"""`ipledger demo`: the whole job on the embedded chain, with progress bars."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ipledger.cli._common import EXIT_FINDINGS, JsonOpt, ProfileOpt, console, load, print_json


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    profile: ProfileOpt = None,
    assets: Annotated[int, typer.Option(help="Assets in the generated market.")] = 3000,
    transactions: Annotated[int, typer.Option(help="Transactions in the generated market.")] = 30000,
    seed: Annotated[int, typer.Option(help="Seed of the generated market.")] = 7,
    out: Annotated[Path, typer.Option(help="Folder for the HTML and JSON reports.")] = Path("reports"),
    screenshots: Annotated[
        bool, typer.Option(help="Photograph every web platform page into the reports folder (needs Chromium).")
    ] = True,
    json_out: JsonOpt = False,
) -> None:
    """Deploy, record a realistic generated market, index it, value an asset, quote and anchor
    insurance, and audit it all; prints where the reports are."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    from ipledger.config import CONFIG_FILE, DEFAULT_TOML, find_config
    from ipledger.demo import run_demo

    if find_config() is None:
        Path(CONFIG_FILE).write_text(DEFAULT_TOML)
    prof = load(profile)
    with Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=json_out,
        console=console,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def step(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=total or None)
            bar.update(tasks[label], completed=done, total=total or None)

        result = run_demo(
            prof,
            n_assets=assets,
            n_transactions=transactions,
            seed=seed,
            out_dir=out,
            step=step,
            screenshots=screenshots,
        )
    if json_out:
        print_json(
            {
                "reports": {k: str(v) for k, v in result.reports.items()},
                "figures": result.figures,
                "timings": {k: round(v, 2) for k, v in result.timings.items()},
                "audit_passed": result.audit_passed,
            }
        )
    else:
        f = result.figures
        console.print(
            f"\n[bold]ledger[/]: {f['assets']:,} assets, {f['transactions']:,} live transactions, "
            f"{f['events_indexed']:,} events indexed"
        )
        console.print(
            f"[bold]valuation[/] of {f['asset']['registry_number']} ({f['asset']['title'] or f['asset']['kind']}): "
            f"{f['value']:,.0f} {f['currency']} "
            f"(range {f['low']:,.0f} to {f['high']:,.0f}), anchored as {f['valuation_hash'][:18]}…"
        )
        console.print(
            f"[bold]quote[/] (enforcement): sum insured {f['sum_insured']:,.0f} {f['currency']}, gross premium "
            f"{f['gross_premium']:,.2f} {f['currency']}, net premium {f['net_premium']:,.2f} {f['currency']}"
        )
        verdict = "[green]passed[/]" if result.audit_passed else "[red]FAILED[/]"
        console.print(f"[bold]audit[/]: {verdict}")
        console.print("\nreports:")
        for name, path in result.reports.items():
            console.print(f"  {name:<10} {path.resolve()}")
        if "screenshots" in f:
            console.print(f"  {f['screenshots']} pictures of the web platform's pages: {out.resolve()}/platform-*.png")
        elif "screenshots_skipped" in f:
            console.print(f"  platform screenshots skipped: {f['screenshots_skipped']}")
        console.print(
            "\nnext: ipledger assets · ipledger history ID · ipledger value ID --html v.html · "
            "ipledger quote ID --product enforcement · ipledger audit --asset ID · ipledger serve · ipledger --help"
        )
    if not result.audit_passed:
        raise typer.Exit(EXIT_FINDINGS)
