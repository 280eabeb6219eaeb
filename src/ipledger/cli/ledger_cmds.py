"""`ipledger sync`, `ipledger assets`, `ipledger history ID`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ipledger.cli._common import JsonOpt, ProfileOpt, console, load_existing, print_json, show_progress


def register(app: typer.Typer) -> None:
    app.command("sync")(sync)
    app.command("assets")(assets)
    app.command("history")(history)


def _ledger(profile: str | None) -> Any:
    prof = load_existing(profile)  # before the chain modules load: a wrong folder fails fast
    from ipledger.ledger import Ledger

    return Ledger(prof)


def open_indexed(profile: str | None) -> Any:
    """The ledger of a profile for reading; a one-line error when its store was never filled
    (deleted, emptied, or never synced) while the chain holds records."""
    from ipledger.errors import LedgerError

    ledger = _ledger(profile)
    if ledger.store.is_empty():
        where = ledger.store.path or "the configured database"
        ledger.close()
        raise LedgerError(
            f"the ledger store {where} is missing or empty (or was written by an older ipledger and emptied): "
            "run `ipledger sync` to index the chain"
        )
    return ledger


def sync(
    profile: ProfileOpt = None,
    rebuild: bool = typer.Option(False, "--rebuild", help="Recreate the store and index the whole chain again."),
    json_out: JsonOpt = False,
) -> None:
    """Index new blocks of the chain into the ledger store (resumable; handles reorgs)."""
    prof = load_existing(profile)
    if rebuild:
        from ipledger.ledger import Store

        Store.recreate(prof.store_url).close()
    with _ledger(profile) as ledger:
        r = ledger.sync(progress=show_progress(json_out))
        block, block_hash = ledger.state()
    data = {
        "from_block": r.from_block,
        "to_block": r.to_block,
        "new_blocks": max(0, r.to_block - r.from_block + 1),
        "events": r.events,
        "seconds": round(r.seconds, 3),
        "events_per_s": round(r.events_per_s),
        "reorgs": r.reorgs,
        "rolled_back_rows": r.rolled_back_rows,
        "checkpoint": block,
        "checkpoint_hash": block_hash,
    }
    if json_out:
        print_json(data)
        return
    if r.to_block < r.from_block and not r.reorgs:
        console.print(f"nothing new: the store is up to date with the chain (block {block})", highlight=False)
        return
    console.print(
        f"indexed blocks {r.from_block}..{r.to_block}: {r.events:,} events in {r.seconds:.2f} s"
        + (f" ({r.events_per_s:,.0f}/s)" if r.events else "")
        + (f"; {r.reorgs} reorg rolled back {r.rolled_back_rows} rows" if r.reorgs else ""),
        highlight=False,
    )


def _date(value: Any) -> str:
    return "" if value is None or str(value) in ("NaT", "<NA>") else str(value)[:10]


def assets(
    profile: ProfileOpt = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind (invention, trademark, ...).")] = None,
    limit: Annotated[int, typer.Option(help="Rows to show (0 = all).")] = 20,
    json_out: JsonOpt = False,
) -> None:
    """List indexed assets with their title, current owner and status."""
    from rich.table import Table

    with open_indexed(profile) as ledger:
        df = ledger.assets()
        names = ledger.party_names()
    total = len(df)
    if kind:
        df = df[df["kind"] == kind]
    if limit:
        df = df.head(limit)
    cols = ["asset_id", "registry_number", "title", "jurisdiction", "kind", "class_code", "status", "owner"]
    rows = []
    for r in df.to_dict(orient="records"):
        out = {c: r.get(c) for c in cols}
        out["title"] = r.get("title") or None
        out["owner_name"] = names.get(str(r["owner"]).lower())
        for c in ("filing_date", "grant_date", "expiry_date"):
            out[c] = _date(r.get(c)) or None
        rows.append(out)
    if json_out:
        print_json(rows)
        return
    table = Table(title=f"assets ({len(df)} of {total} shown)")
    table.add_column("registry number", no_wrap=True)
    for c in ("title", "jurisdiction", "kind", "status", "owner", "filing date"):
        table.add_column(c, no_wrap=c in ("jurisdiction", "kind", "status", "filing date"))
    for r in rows:
        table.add_row(
            str(r["registry_number"]),
            str(r["title"] or ""),
            str(r["jurisdiction"]),
            str(r["kind"]),
            str(r["status"]),
            str(r["owner_name"] or r["owner"]),
            str(r["filing_date"] or ""),
        )
    console.print(table)


def history(
    asset: Annotated[str, typer.Argument(help="Asset id (0x...) or registry number.")],
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Every record of one asset in chain order, with party names and its transaction hash."""
    from rich.table import Table

    from ipledger.identity import identify

    with open_indexed(profile) as ledger:
        df = ledger.history(asset)
        ident = identify(ledger, asset)
    if json_out:
        records = [
            {
                "record_id": r["record_id"],
                "event": r["event"],
                "date": _date(r["date"]) or None,
                "detail": r["fields"],
                "text": r["detail"],
                "recorded_by": r.get("by"),
                "organisation": r.get("organisation"),
                "consent": r.get("consent"),
                "block_number": r["block_number"],
                "tx_hash": r["tx_hash"],
            }
            for r in df.to_dict(orient="records")
        ]
        print_json({"asset": ident.to_dict(), "records": records})
        return
    table = Table(title=f"history of {ident.headline()}")
    for c in ("record", "event", "date", "detail", "organisation", "block", "tx"):
        table.add_column(c, no_wrap=c in ("record", "event", "date", "block"))
    for r in df.itertuples():
        org = r.organisation or str(r.by)[:10] + "…"
        table.add_row(
            str(r.record_id), r.event, _date(r.date), r.detail, org, str(r.block_number), str(r.tx_hash)[:12] + "…"
        )
    console.print(table)
