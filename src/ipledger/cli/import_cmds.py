"""`ipledger import assets|transactions|cuad FILE`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ipledger.cli._common import (
    EXIT_FINDINGS,
    JsonOpt,
    ProfileOpt,
    console,
    err_line,
    load,
    print_json,
    show_progress,
)

import_app = typer.Typer(
    rich_markup_mode="markdown",
    help="Import assets and transactions (CSV or JSON lines), validated before writing.",
    no_args_is_help=True,
)

FileArg = Annotated[Path, typer.Argument(help="CSV (header row) or JSON-lines file.")]
SkipOpt = Annotated[bool, typer.Option("--skip-invalid", help="Write the valid rows even when some rows are bad.")]
BatchOpt = Annotated[int, typer.Option("--batch-size", min=1, max=1000, help="Records per chain transaction.")]
StatusOpt = Annotated[
    Path | None,
    typer.Option("--status", help="File of dated status changes (asset, status, date) to replay with the trades."),
]
DryOpt = Annotated[bool, typer.Option("--dry-run", help="Validate and report; write nothing.")]


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")


def _run(
    kind: str,
    path: Path | None,
    profile: str | None,
    skip_invalid: bool,
    batch_size: int,
    dry_run: bool,
    json_out: bool,
    status_path: Path | None = None,
) -> None:
    from ipledger import importer
    from ipledger.cli._progress import progress_bar, spinner
    from ipledger.ledger import Ledger
    from ipledger.parties import PartyBook

    shown = path or status_path
    assert shown is not None
    with Ledger(load(profile)) as ledger:
        ledger.sync(progress=show_progress(json_out))
        with spinner(f"checking {shown.name}", enabled=show_progress(json_out)):
            if kind == "assets":
                assert path is not None
                plan = importer.plan_assets(path, set(ledger.assets()["asset_id"].astype(str)))
            else:
                plan = importer.plan_transactions(path, importer.ledger_view(ledger), status_path=status_path)
        written = 0
        blocked = bool(plan.errors) and not skip_invalid
        if not dry_run and not blocked and plan.rows:
            with progress_bar(f"writing {kind}", len(plan.rows), enabled=show_progress(json_out)) as advance:
                written = importer.execute(
                    plan, ledger.client, ledger.documents, batch_size, advance, PartyBook(ledger.profile.data_dir)
                )
            ledger.sync(progress=show_progress(json_out))
    summary = {
        "file": str(path) if path else None,
        "status_file": str(status_path) if status_path else None,
        "kind": kind,
        "rows": plan.total,
        "valid": len(plan.rows),
        "already_recorded": plan.already,
        "invalid": len(plan.errors),
        "written": written,
        "errors": [{"file": e.file or shown.name, "line": e.line, "reason": e.reason} for e in plan.errors],
    }
    if json_out:
        print_json(summary)
    else:
        for e in plan.errors:
            err_line(f"{e.file or shown.name}: {e}")
        if blocked:
            err_line(f"{len(plan.errors)} bad row(s): nothing written (fix them, or pass --skip-invalid)")
        else:
            console.print(
                f"{kind}: {written} written, {plan.already} already recorded, {len(plan.errors)} invalid"
                + (" (dry run)" if dry_run else ""),
                highlight=False,
            )
    if plan.errors:
        raise typer.Exit(EXIT_FINDINGS)


@import_app.command("assets")
def import_assets(
    path: FileArg,
    profile: ProfileOpt = None,
    skip_invalid: SkipOpt = False,
    batch_size: BatchOpt = 200,
    dry_run: DryOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Register assets: jurisdiction, kind, registry_number, class_code, filing_date, grant_date,
    expiry_date, status, owner, and metadata (title, field, claims, citations, family_size, rd_cost
    or metadata_file)."""
    _run("assets", path, profile, skip_invalid, batch_size, dry_run, json_out)


@import_app.command("transactions")
def import_transactions(
    path: FileArg,
    profile: ProfileOpt = None,
    skip_invalid: SkipOpt = False,
    batch_size: BatchOpt = 500,
    dry_run: DryOpt = False,
    json_out: JsonOpt = False,
    status: StatusOpt = None,
) -> None:
    """Record transactions: asset (registry number or id), kind, seller, buyer, date, currency (ISO
    4217), amount (major units), royalty_rate (fraction 0.035 or 3.5%), exclusivity, territory,
    term_end, ref, document. With --status, dated status changes are replayed with the trades in
    date order."""
    _run("transactions", path, profile, skip_invalid, batch_size, dry_run, json_out, status)


@import_app.command("status")
def import_status(
    path: FileArg,
    profile: ProfileOpt = None,
    skip_invalid: SkipOpt = False,
    dry_run: DryOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Record dated status changes: asset (registry number or id), status (active, lapsed, expired,
    invalidated, ...), date, document; written in date order."""
    _run("status", None, profile, skip_invalid, 1, dry_run, json_out, path)


@import_app.command("cuad")
def import_cuad(
    path: Annotated[Path, typer.Argument(help="A CUAD master_clauses.csv you downloaded (CC BY 4.0).")],
    profile: ProfileOpt = None,
    batch_size: BatchOpt = 200,
    dry_run: DryOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Record the licences of the CUAD contracts (Hendrycks et al., NeurIPS 2021; CC BY 4.0) whose
    clauses state a royalty rate: one asset per agreement and one licence record; rows without a
    usable rate are reported with the reason, never invented."""
    from ipledger.sources.cuad_import import write_import_files

    prof = load(profile)
    folder = prof.data_dir / "imports"
    assets_csv, licences_csv, rejected = write_import_files(path, folder)
    if not json_out:
        console.print(f"CUAD: {rejected} contract(s) without a usable royalty rate were left out (see {folder})")
    findings = False
    for kind, file in (("assets", assets_csv), ("transactions", licences_csv)):
        try:
            _run(kind, file, profile, True, batch_size, dry_run, json_out)
        except typer.Exit as exc:  # rows the ledger rejects are reported above; go on
            if exc.exit_code != EXIT_FINDINGS:
                raise
            findings = True
    if findings:  # a row was refused: say so in the exit code, as the other imports do
        raise typer.Exit(EXIT_FINDINGS)
