"""`ipledger orgs set|list` (the on-chain organisation directory) and `ipledger sign` (party consent)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ipledger.cli._common import JsonOpt, ProfileOpt, console, load, print_json

orgs_app = typer.Typer(help="The on-chain organisation directory (admin writes, anyone reads).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(orgs_app, name="orgs")
    app.command("sign")(sign)


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


def _account(key: str | None, key_file: Path | None, password_file: Path | None, data_dir: Path) -> Any:
    """The signing account: a keystore account by name, or a hex private key read from a file."""
    from eth_account import Account

    from ipledger.errors import ConfigError, ValidationError

    if key_file is not None:
        try:
            return Account.from_key(key_file.read_text().strip())
        except (OSError, ValueError) as exc:
            raise ValidationError(f"cannot read a private key from {key_file}: {type(exc).__name__}") from None
    if key is None:
        raise ValidationError("name the signing key: --key NAME (keystore) or --key-file PATH")
    try:
        from ipledger.keys import KeyStore, resolve_password  # type: ignore[attr-defined, unused-ignore]
    except ImportError:
        raise ConfigError("keystores are not available in this installation; use --key-file PATH") from None
    password = resolve_password(file=password_file, env="IPLEDGER_KEY_PASSWORD")
    return KeyStore(data_dir / "keystore").unlock(key, password)


def sign(
    record_file: Annotated[Path, typer.Argument(help="Transactions file in the import format (CSV or JSON lines).")],
    key: Annotated[str | None, typer.Option("--key", help="Keystore account name to sign with.")] = None,
    key_file: Annotated[
        Path | None, typer.Option("--key-file", help="File holding the signer's hex private key instead of a keystore.")
    ] = None,
    password_file: Annotated[
        Path | None, typer.Option("--password-file", help="File with the keystore password (else prompt).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Signed file to write (default: RECORD_FILE with .signed.csv).")
    ] = None,
    days: Annotated[int, typer.Option("--days", help="Days until the signatures expire.")] = 30,
    recorder: Annotated[
        str | None,
        typer.Option("--recorder", help="Address of the recorder who will submit the file (default: this profile's)."),
    ] = None,
    nonce: Annotated[
        int | None, typer.Option("--nonce", help="First nonce counter to use (default: a random base).")
    ] = None,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Sign, as a party, the terms of every row of RECORD_FILE where your key is seller or buyer.

    The terms are built exactly as `ipledger import transactions` will build them, so the
    signature columns written to the output file are accepted on import. Each signature's nonce
    names the recorder who may submit it and is spent once on chain (decision 0090).
    """
    import csv
    import secrets
    import time

    from ipledger import importer
    from ipledger.chain.consent import MAX_DEADLINE, consent_nonce, sign_record
    from ipledger.chain.records import _addr
    from ipledger.consent_rows import COLUMNS, row_with_consent
    from ipledger.errors import ValidationError
    from ipledger.ledger import Ledger

    prof = load(profile)
    account = _account(key, key_file, password_file, prof.data_dir)
    me = bytes.fromhex(account.address[2:])
    deadline = int(time.time()) + days * 86_400
    if not days > 0 or deadline >= MAX_DEADLINE:
        raise ValidationError(f"--days {days}: the deadline must lie ahead and below 2^40 seconds")
    with Ledger(prof) as ledger:
        ledger.sync(progress=False)
        plan = importer.plan_transactions(record_file, importer.ledger_view(ledger))
        if plan.errors:
            first = plan.errors[0]
            raise ValidationError(f"{len(plan.errors)} row(s) of {record_file} are invalid; {first}")
        client = ledger.client
        chain_id, address = client.backend.chain_id, client.ledger_address
        submitter = _addr(recorder) if recorder else client.sender
    # Counters of one signing run are consecutive (256 share a storage word on chain); a random
    # base keeps runs of different signers for the same recorder apart.
    next_nonce = secrets.randbits(64) << 32 if nonce is None else nonce
    signed_lines: dict[int, tuple[str, Any]] = {}
    for line, tx in zip(plan.lines, plan.rows, strict=True):
        party = "seller" if tx.as_tuple()[2] == me else "buyer" if tx.as_tuple()[3] == me else None
        if party is None:
            continue
        n = consent_nonce(submitter, next_nonce)
        signed_lines[line] = (party, sign_record(tx, account, n, deadline, chain_id, address))
        next_nonce += 1
    rows = []
    for line, row in importer.read_rows(record_file):
        if line in signed_lines:
            party, consent = signed_lines[line]
            row = row_with_consent(row, party, consent)
        rows.append(row)
    target = out or record_file.with_suffix(".signed.csv")
    fields: list[str] = []
    for row in rows:
        fields += [k for k in row if k not in fields and not k.startswith("__")]
    fields += [c for c in COLUMNS if c not in fields]
    with target.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    data = {"signer": account.address, "signed": len(signed_lines), "file": str(target), "deadline": deadline}
    if json_out:
        print_json(data)
        return
    console.print(f"{account.address} signed {len(signed_lines)} record(s) into {target} (valid {days} days)")
