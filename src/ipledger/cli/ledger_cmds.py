"""`ipledger sync`, `ipledger assets`, `ipledger history ID`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ipledger.cli._common import JsonOpt, ProfileOpt, console, load, print_json


def register(app: typer.Typer) -> None:
    app.command("sync")(sync)
    app.command("assets")(assets)
    app.command("history")(history)


def _ledger(profile: str | None):  # type: ignore[no-untyped-def]
    from ipledger.ledger import Ledger

    return Ledger(load(profile))


def sync(
    profile: ProfileOpt = None,
    rebuild: bool = typer.Option(False, "--rebuild", help="Drop the store and index the whole chain again."),
    json_out: JsonOpt = False,
) -> None:
    """Index new blocks of the chain into the ledger store (resumable; handles reorgs)."""
    if rebuild:
        from ipledger.ledger import Store

        Store(load(profile).store_url).reset()
    with _ledger(profile) as ledger:
        r = ledger.sync(progress=None if not json_out else False)
        block, block_hash = ledger.state()
    data = {
        "from_block": r.from_block,
        "to_block": r.to_block,
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
    console.print(
        f"indexed blocks {r.from_block}..{r.to_block}: {r.events:,} events in {r.seconds:.2f} s"
        + (f" ({r.events_per_s:,.0f}/s)" if r.events else "")
        + (f"; {r.reorgs} reorg rolled back {r.rolled_back_rows} rows" if r.reorgs else "")
    )


def assets(
    profile: ProfileOpt = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind (invention, trademark, ...).")] = None,
    limit: Annotated[int, typer.Option(help="Rows to show (0 = all).")] = 20,
    json_out: JsonOpt = False,
) -> None:
    """List indexed assets with their current owner and status."""
    with _ledger(profile) as ledger:
        df = ledger.assets()
    if kind:
        df = df[df["kind"] == kind]
    if limit:
        df = df.head(limit)
    cols = ["asset_id", "registry_number", "jurisdiction", "kind", "class_code", "status", "owner", "filing_date"]
    if json_out:
        print_json(df[cols].to_dict(orient="records"))
        return
    table = Table(title=f"assets ({len(df)} shown)")
    for c in cols[1:]:
        table.add_column(c)
    for row in df[cols].itertuples(index=False):
        table.add_row(*(str(v)[:24] for v in row[1:]))
    console.print(table)


def history(
    asset: Annotated[str, typer.Argument(help="Asset id (0x...) or registry number.")],
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Every record of one asset in chain order, with its transaction hash."""
    with _ledger(profile) as ledger:
        df = ledger.history(asset)
    if json_out:
        print_json(df.to_dict(orient="records"))
        return
    table = Table(title=f"history of {asset}")
    for c in ("record", "event", "date", "detail", "organisation", "block", "tx"):
        table.add_column(c)
    for r in df.itertuples():
        date = "" if str(r.date) == "NaT" else str(r.date)[:10]
        org = r.organisation or str(r.by)[:10] + "…"
        table.add_row(str(r.record_id), r.event, date, r.detail, org, str(r.block_number), str(r.tx_hash)[:12] + "…")
    console.print(table)
