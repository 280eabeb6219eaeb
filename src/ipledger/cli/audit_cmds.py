"""`ipledger audit`: prove the indexed ledger, its documents, roles, values and quotes against the chain."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ipledger.cli._common import (
    EXIT_FINDINGS,
    JsonOpt,
    LangOpt,
    ProfileOpt,
    console,
    err_line,
    load_existing,
    print_json,
    show_progress,
)


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)


def audit(
    profile: ProfileOpt = None,
    at_block: Annotated[
        int | None, typer.Option("--at-block", help="Also audit the state at this block (rows up to it).", min=0)
    ] = None,
    asset: Annotated[
        str | None, typer.Option("--asset", help="Audit one asset (0x id or registry number), with a timeline.")
    ] = None,
    json_out: JsonOpt = False,
    html: Annotated[Path | None, typer.Option("--html", help="Write a self-contained HTML report to FILE.")] = None,
    documents: Annotated[bool, typer.Option("--documents/--no-documents", help="Check stored documents.")] = True,
    reports: Annotated[bool, typer.Option("--reports/--no-reports", help="Check anchored reports.")] = True,
    lang: LangOpt = None,
) -> None:
    """Re-check every indexed row, accumulator, role, link, document and anchored report against
    the chain. Exit code 0 when every check passes, 3 when any fails, 1 when it cannot run."""
    from ipledger.audit import audit_ledger
    from ipledger.audit.terminal import render_rich
    from ipledger.cli._progress import spinner
    from ipledger.identity import identify
    from ipledger.ledger import Ledger

    prof = load_existing(profile)
    lang = lang or prof.lang
    with Ledger(prof) as ledger:
        ident = None
        if asset is not None:
            ledger.sync(progress=show_progress(json_out))
            ident = identify(ledger, asset)
        with spinner("auditing against the chain", enabled=show_progress(json_out)):
            report = audit_ledger(ledger, at_block=at_block, asset_id=asset, documents=documents, reports=reports)
    if html is not None:
        report.to_html(html, lang=lang, identity=ident)
    if json_out:
        print_json(report.to_dict() | ({"asset": ident.to_dict()} if ident else {}))
    else:
        console.print(render_rich(report, lang=lang, identity=ident))
        if html is not None:
            console.print(f"HTML report written to {html}", highlight=False)
    if not report.passed:
        if json_out:
            err_line("audit failed")
        raise typer.Exit(EXIT_FINDINGS)
