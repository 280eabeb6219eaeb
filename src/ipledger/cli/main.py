"""`ipledger` command line. Each command module registers itself on the app."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from ipledger.errors import IPLedgerError

app = typer.Typer(
    name="ipledger",
    help=(
        "Blockchain-backed IP valuation ledger: record IP trades, index them, value IP, "
        "price IP insurance, audit it all."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",  # joins a docstring's lines into one paragraph, as written
)

_debug = False


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
    allow_dev_keys: bool = typer.Option(
        False, "--allow-dev-keys", help="Allow the public development keys on chains other than development chains."
    ),
    password_file: Path | None = typer.Option(
        None, "--password-file", help="File whose first line is the password of the profile's keystore account."
    ),
    password_env: str | None = typer.Option(
        None, "--password-env", help="Environment variable holding the password of the profile's keystore account."
    ),
) -> None:
    global _debug
    from ipledger.cli._common import OVERRIDES

    _debug = debug or bool(os.environ.get("IPLEDGER_DEBUG"))
    OVERRIDES.clear()
    if allow_dev_keys:
        OVERRIDES["allow_dev_keys"] = True
    if password_file is not None:
        OVERRIDES["password_file"] = password_file
    if password_env is not None:
        OVERRIDES["password_env"] = password_env


def _register() -> None:
    from ipledger.cli import chain_cmds

    chain_cmds.register(app)
    for name in (
        "ledger_cmds",
        "value_cmds",
        "insurance_cmds",
        "audit_cmds",
        "import_cmds",
        "demo_cmds",
        "keys_cmds",
        "witness_cmds",
        "serve_cmds",
        "trust_cmds",
        "claims_cmds",
    ):
        try:
            module = __import__(f"ipledger.cli.{name}", fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name != f"ipledger.cli.{name}":
                raise
            continue
        module.register(app)


_register()


def main() -> None:
    """Console entry point: IPLedgerError becomes one line on stderr and exit code 1."""
    try:
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except IPLedgerError as exc:
        if _debug:
            raise
        from ipledger.cli._common import err_line

        err_line(f"error: {exc}")
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # click usage errors and the unexpected
        # Usage errors (typer vendors click): they know how to show themselves.
        exit_code = getattr(exc, "exit_code", None)
        show = getattr(exc, "show", None)
        if callable(show) and isinstance(exit_code, int):
            show()
            sys.exit(exit_code)
        if _debug:
            raise
        from ipledger.cli._common import err_line

        err_line(f"internal error: {exc.__class__.__name__}: {exc} (rerun with --debug)")
        sys.exit(1)


if __name__ == "__main__":
    main()
