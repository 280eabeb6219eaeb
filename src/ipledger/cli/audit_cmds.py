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
    load,
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
    witness: Annotated[
        Path | None,
        typer.Option("--witness", help="Audit the contracts of this witness file and check the chain still holds it."),
    ] = None,
    witness_from: Annotated[
        str | None,
        typer.Option("--witness-from", help="Audit against the newest witness anchored on this profile's chain."),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Warnings are failures (missing documents, an incomplete store, ...).")
    ] = False,
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
    ident = None
    if witness is not None or witness_from is not None:
        with spinner("auditing against the witnessed chain", enabled=show_progress(json_out)):
            report = _audit_witnessed(prof, witness, witness_from, at_block, asset, documents, reports, strict)
    else:
        with Ledger(prof) as ledger:
            if asset is not None:
                ledger.sync(progress=show_progress(json_out))
                ident = identify(ledger, asset)
            with spinner("auditing against the chain", enabled=show_progress(json_out)):
                report = audit_ledger(
                    ledger, at_block=at_block, asset_id=asset, documents=documents, reports=reports, strict=strict
                )
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


def _audit_witnessed(  # type: ignore[no-untyped-def]
    prof, witness_path: Path | None, anchor_profile: str | None, at_block, asset, documents, reports, strict
):
    """The audit of the witnessed contracts: addresses and deployment block from the witness, never
    from deployment.json in the data folder, which may point at a same-code twin."""
    from ipledger.audit import audit
    from ipledger.audit.anchor import witness_from
    from ipledger.audit.witness import load_witness, reader
    from ipledger.chain.connect import open_backend
    from ipledger.documents import DocumentStore
    from ipledger.errors import ProvenanceError
    from ipledger.ledger.store import Store

    with open_backend(prof) as backend:
        anchor_check = None
        witnessed = load_witness(witness_path) if witness_path is not None else None
        if anchor_profile is not None:
            anchor_prof = load(anchor_profile)
            with open_backend(anchor_prof) as anchor_backend:
                accounts = anchor_backend.accounts()
                anchored, anchor_check = witness_from(
                    anchor_backend, anchor_prof.data_dir, backend.chain_id, accounts[0] if accounts else None
                )
            if witnessed is not None and anchored is not None and anchored.digest != witnessed.digest:
                anchor_check.fail(
                    f"the witness file {witness_path} is not the newest anchored witness (0x{anchored.digest.hex()})",
                    "not_anchored",
                )
            witnessed = witnessed or anchored
        if witnessed is None:
            if anchor_check is None:  # pragma: no cover - the caller passes one of the two
                raise ProvenanceError("no witness given")
            from ipledger.audit.report import AuditReport

            return AuditReport(checks=[anchor_check], chain_id=backend.chain_id)
        client = reader(backend, witnessed.address("IPLedger"), witnessed.address("ValuationRegistry"))
        store = Store(prof.store_url)
        try:
            report = audit(
                backend,
                store,
                client,
                documents=DocumentStore(prof.documents_dir),
                start_block=witnessed.deployment_block,
                at_block=at_block,
                asset_id=asset,
                check_documents=documents,
                reports=reports,
                witness=witnessed,
                strict=strict,
            )
        finally:
            store.close()
    if anchor_check is not None:
        report.checks.insert(0, anchor_check)
    return report
