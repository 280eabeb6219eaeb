"""`ipledger` command line. Each command module registers itself on the app."""

from __future__ import annotations

import os
import sys

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
)

_debug = False


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
) -> None:
    global _debug
    _debug = debug or bool(os.environ.get("IPLEDGER_DEBUG"))


def _register() -> None:
    from ipledger.cli import chain_cmds

    chain_cmds.register(app)
    for name in ("ledger_cmds", "value_cmds", "insurance_cmds", "audit_cmds", "import_cmds", "demo_cmds", "trust_cmds"):
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
        from ipledger.cli._common import err_console

        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
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
        from ipledger.cli._common import err_console

        err_console.print(
            f"[bold red]internal error:[/] {exc.__class__.__name__}: {exc} (rerun with --debug)", highlight=False
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
