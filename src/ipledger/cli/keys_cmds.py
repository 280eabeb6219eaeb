"""`ipledger keys new|import|list`: encrypted keystore accounts that profiles sign with."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ipledger.cli._common import JsonOpt, ProfileOpt, console, load, print_json

keys_app = typer.Typer(help="Encrypted signing keys (keystore v3) that profiles name with account = NAME.")

PasswordFileOpt = Annotated[
    Path | None, typer.Option("--password-file", help="Read the password from this file's first line.")
]
PasswordEnvOpt = Annotated[
    str | None, typer.Option("--password-env", help="Read the password from this environment variable.")
]


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")


def _store(profile: str | None):  # type: ignore[no-untyped-def]
    from ipledger.keys import KeyStore

    return KeyStore(load(profile).keystore_dir)


@keys_app.command("new")
def new(
    name: Annotated[str, typer.Argument(help="Name of the new account (profiles refer to it).")],
    profile: ProfileOpt = None,
    password_file: PasswordFileOpt = None,
    password_env: PasswordEnvOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Create a random key, encrypted with a password (prompted twice unless given otherwise)."""
    from ipledger.keys import resolve_password

    password = resolve_password(file=password_file, env=password_env, confirm=True)
    store = _store(profile)
    address = store.new(name, password)
    _done(name, address, store.path(name), json_out)


@keys_app.command("import")
def import_cmd(
    name: Annotated[str, typer.Argument(help="Name of the account (profiles refer to it).")],
    key_file: Annotated[
        Path | None, typer.Option("--key-file", help="Read the private key (hex) from this file's first line.")
    ] = None,
    key_env: Annotated[
        str | None, typer.Option("--key-env", help="Read the private key (hex) from this environment variable.")
    ] = None,
    profile: ProfileOpt = None,
    password_file: PasswordFileOpt = None,
    password_env: PasswordEnvOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Encrypt an existing private key. The key is read from a file, a variable or a hidden prompt,
    never from the command line (which other users of the machine can see)."""
    import getpass
    import os
    import sys

    from ipledger.errors import ConfigError
    from ipledger.keys import resolve_password

    if key_file is not None:
        try:
            lines = key_file.read_text().splitlines()
        except OSError as exc:
            raise ConfigError(f"cannot read the key file {key_file}: {exc.strerror}") from None
        key = lines[0] if lines else ""
    elif key_env is not None:
        key = os.environ.get(key_env, "")
        if not key:
            raise ConfigError(f"the environment variable {key_env} that should hold the key is not set")
    elif sys.stdin.isatty():
        key = getpass.getpass("private key (hex): ")
    else:
        raise ConfigError("give the key with --key-file or --key-env (no terminal to ask on)")
    password = resolve_password(file=password_file, env=password_env, confirm=True)
    store = _store(profile)
    address = store.import_key(name, key, password)
    _done(name, address, store.path(name), json_out)


@keys_app.command("list")
def list_cmd(profile: ProfileOpt = None, json_out: JsonOpt = False) -> None:
    """Accounts in the profile's keystore (no password needed: addresses are not secret)."""
    infos = _store(profile).list()
    if json_out:
        print_json([{"name": i.name, "address": i.address, "path": str(i.path)} for i in infos])
        return
    table = Table(title="keystore accounts")
    for col in ("name", "address", "file"):
        table.add_column(col)
    for i in infos:
        table.add_row(i.name, i.address, str(i.path))
    console.print(table)


def _done(name: str, address: str, path: Path, json_out: bool) -> None:
    if json_out:
        print_json({"name": name, "address": address, "path": str(path)})
    else:
        console.print(f"account [bold]{name}[/] {address} written to {path}", highlight=False)
        console.print(f'sign with it: add account = "{name}" to a profile in ipledger.toml', highlight=False)
