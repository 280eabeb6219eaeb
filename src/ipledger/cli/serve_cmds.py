"""`ipledger serve`: run the service platform, and manage its organisations, users and tokens."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from ipledger.cli._common import ProfileOpt, console, fail, load

serve_app = typer.Typer(
    help="Run the web platform and REST API (`ipledger serve`), or manage its accounts.",
    invoke_without_command=True,
    no_args_is_help=False,
)
org_app = typer.Typer(help="Member organisations of the platform.", no_args_is_help=True)
user_app = typer.Typer(help="Accounts of the platform.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens (shown once, stored hashed).", no_args_is_help=True)
serve_app.add_typer(org_app, name="org")
serve_app.add_typer(user_app, name="user")
serve_app.add_typer(token_app, name="token")

DbOpt = Annotated[
    str | None,
    typer.Option("--db-url", help="Platform database URL (default: SQLite platform.sqlite in the data folder)."),
]


def register(app: typer.Typer) -> None:
    app.add_typer(serve_app, name="serve")


def _accounts(profile: str | None, db_url: str | None):  # type: ignore[no-untyped-def]
    from ipledger.web.accounts import Accounts

    prof = load(profile)
    prof.data_dir.mkdir(parents=True, exist_ok=True)
    return Accounts(db_url or os.environ.get("IPLEDGER_WEB_DB_URL") or f"sqlite:///{prof.data_dir / 'platform.sqlite'}")


@serve_app.callback()
def serve(
    ctx: typer.Context,
    profile: ProfileOpt = None,
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    read_policy: Annotated[
        str, typer.Option(help="members: sign-in to read; public: anonymous may read the register (not prices).")
    ] = "members",
    db_url: DbOpt = None,
    max_body: Annotated[int, typer.Option(help="Largest request body in bytes.")] = 64 * 1024,
    secure_cookies: Annotated[bool, typer.Option(help="Secure cookies and HSTS (behind HTTPS).")] = False,
    tx_url: Annotated[
        str | None, typer.Option(help="Block explorer transaction URL with {} for the hash; hashes link there.")
    ] = None,
) -> None:
    """Serve the platform on HOST:PORT until interrupted."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"profile": profile, "db_url": db_url}
        return
    import uvicorn

    from ipledger.web import WebSettings, create_app

    if read_policy not in ("members", "public"):
        fail(f"--read-policy must be members or public, not {read_policy!r}")
    settings = WebSettings(
        profile=load(profile),
        db_url=db_url or os.environ.get("IPLEDGER_WEB_DB_URL"),
        read_policy=read_policy,  # type: ignore[arg-type]
        max_body=max_body,
        secure_cookies=secure_cookies,
        tx_url=tx_url,
    )
    app = create_app(settings)
    console.print(f"ipledger platform on http://{host}:{port}/ (read policy: {read_policy}); Ctrl-C stops it")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, server_header=False)


def _ctx(ctx: typer.Context) -> tuple[str | None, str | None]:
    obj = ctx.obj or {}
    return obj.get("profile"), obj.get("db_url")


@org_app.command("add")
def org_add(
    ctx: typer.Context,
    org_id: Annotated[str, typer.Argument(help="Short id, e.g. picc-bj (the on-chain directory's org_id).")],
    name: Annotated[str, typer.Argument(help="Display name.")],
    kind: Annotated[str, typer.Option(help="registry, exchange, valuer, insurer, auditor or holder.")] = "holder",
    account: Annotated[str | None, typer.Option(help="The organisation's chain account (0x address).")] = None,
    key: Annotated[str | None, typer.Option(help="Its key's name in the keystore (signs its writes).")] = None,
) -> None:
    """Add (or update) a member organisation."""
    accounts = _accounts(*_ctx(ctx))
    accounts.add_org(org_id, name, kind, account, key)
    console.print(f"organisation {org_id} saved")


@org_app.command("list")
def org_list(ctx: typer.Context) -> None:
    """List member organisations."""
    for o in _accounts(*_ctx(ctx)).list_orgs():
        console.print(f"{o['org_id']:<20} {o['kind']:<10} {o['account'] or '-':<44} {o['name']}")


def _password(password_file: Path | None) -> str:
    if password_file is not None:
        try:
            return password_file.read_text().strip()
        except OSError as exc:
            fail(f"cannot read {password_file}: {exc}")
    if os.environ.get("IPLEDGER_WEB_PASSWORD"):
        return os.environ["IPLEDGER_WEB_PASSWORD"]
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Log-in name (lower case).")],
    org: Annotated[str, typer.Option(help="Organisation id.")],
    role: Annotated[str, typer.Option(help="read-only, registrar, recorder, valuer, insurer, auditor or admin.")],
    password_file: Annotated[
        Path | None, typer.Option(help="Read the password from this file (else IPLEDGER_WEB_PASSWORD, else a prompt).")
    ] = None,
) -> None:
    """Create an account (password hashed with argon2id)."""
    accounts = _accounts(*_ctx(ctx))
    accounts.add_user(username, _password(password_file), org, role)
    console.print(f"user {username} ({role} of {org}) created")


@user_app.command("list")
def user_list(ctx: typer.Context) -> None:
    """List accounts."""
    for u in _accounts(*_ctx(ctx)).list_users():
        state = "" if u["active"] else " (disabled)"
        console.print(f"{u['username']:<20} {u['role']:<10} {u['org_id']}{state}")


@user_app.command("disable")
def user_disable(ctx: typer.Context, username: str) -> None:
    """Disable an account: its sessions end and its tokens stop working."""
    _accounts(*_ctx(ctx)).set_active(username, False)
    console.print(f"user {username} disabled")


@token_app.command("add")
def token_add(
    ctx: typer.Context,
    username: str,
    scope: Annotated[list[str] | None, typer.Option("--scope", help="read and/or write (repeat).")] = None,
    label: Annotated[str, typer.Option(help="What the token is for.")] = "",
) -> None:
    """Issue an API token; it is printed once."""
    token_id, secret = _accounts(*_ctx(ctx)).issue_token(username, tuple(scope or ["read"]), label)
    console.print(f"token {token_id}: {secret}", highlight=False, soft_wrap=True)


@token_app.command("revoke")
def token_revoke(ctx: typer.Context, token_id: str) -> None:
    """Revoke an API token."""
    _accounts(*_ctx(ctx)).revoke_token(token_id)
    console.print(f"token {token_id} revoked")
