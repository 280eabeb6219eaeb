"""`ipledger orgs set|list`: the on-chain organisation directory (thin over the library)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ipledger.cli._common import JsonOpt, ProfileOpt, console, load, print_json

orgs_app = typer.Typer(help="The on-chain organisation directory (admin writes, anyone reads).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(orgs_app, name="orgs")


@orgs_app.command("set")
def orgs_set(
    account: Annotated[str, typer.Argument(help="The 0x account the organisation writes from.")],
    org_id: Annotated[str, typer.Option("--org-id", help="The organisation's identifier (e.g. a registration code).")],
    name: Annotated[str, typer.Option("--name", help="The organisation's name as reports show it.")],
    kind: Annotated[
        str, typer.Option("--kind", help="registry, exchange, valuer, insurer, auditor or holder; 'removed' removes.")
    ],
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Name the organisation behind ACCOUNT (the deployment's admin only)."""
    from eth_utils import to_canonical_address

    from ipledger.chain.codes import OrgKind, parse_enum
    from ipledger.chain.connect import connect, open_backend
    from ipledger.errors import ValidationError

    try:
        address = bytes(to_canonical_address(account))
    except ValueError as exc:
        raise ValidationError(f"not an address: {account!r}") from exc
    try:
        code = 0 if kind.strip().lower() == "removed" else parse_enum(OrgKind, kind)
    except (KeyError, ValueError) as exc:
        raise ValidationError(
            f"unknown organisation kind {kind!r} (registry, exchange, valuer, insurer, auditor, holder, removed)"
        ) from exc
    prof = load(profile)
    with open_backend(prof) as backend:
        res = connect(prof, backend).set_organisation(address, org_id if code else "", name if code else "", code)
    data = {
        "account": "0x" + address.hex(),
        "org_id": org_id,
        "name": name,
        "kind": kind.lower(),
        "tx": "0x" + res.tx_hash.hex(),
    }
    if json_out:
        print_json(data)
        return
    console.print(f"{data['account']} is now {name!r} ({kind.lower()}) in tx {data['tx'][:12]}…")


@orgs_app.command("list")
def orgs_list(profile: ProfileOpt = None, json_out: JsonOpt = False) -> None:
    """The organisation directory as indexed (syncs first)."""
    from ipledger.ledger import Ledger

    with Ledger(load(profile)) as ledger:
        ledger.sync(progress=False)
        df = ledger.organisations()
    if json_out:
        print_json(df.to_dict(orient="records"))
        return
    table = Table(title=f"organisations ({len(df)})")
    for c in ("account", "org_id", "name", "kind", "block"):
        table.add_column(c)
    for r in df.itertuples():
        table.add_row(r.account, r.org_id, r.name, r.kind, str(r.block_number))
    console.print(table)
