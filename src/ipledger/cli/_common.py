"""Shared CLI plumbing: profile option, console, JSON output, one-line errors."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import sys
from decimal import Decimal
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console


def _console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    # Piped output has no width: rich would assume 80 columns and cut or wrap values (registry
    # numbers, error lines). Wide enough for any table row, unless the user set COLUMNS.
    wide = None if stream.isatty() or os.environ.get("COLUMNS") else 400
    return Console(stderr=stderr, width=wide)


console = _console()
err_console = _console(stderr=True)

ProfileOpt = Annotated[
    str | None,
    typer.Option("--profile", "-p", help="Profile from ipledger.toml (default: local, or IPLEDGER_PROFILE)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of tables.")]
ConsentOpt = Annotated[
    str | None,
    typer.Option(
        help="Comparable trades by party consent: any (default), prefer (signed ones when there are "
        "enough) or require (signed only)."
    ),
]
LangOpt = Annotated[
    str | None,
    typer.Option("--lang", help="Report language: en or zh-CN (default: the profile's lang, or IPLEDGER_LANG)."),
]

# Exit codes shared by every command.
EXIT_OK = 0
EXIT_ERROR = 1  # an IPLedgerError: bad input, chain or store failure
EXIT_USAGE = 2  # Typer/Click usage errors
EXIT_FINDINGS = 3  # the command ran and found problems (audit failures, rejected import rows)


def jsonable(value: Any) -> Any:
    """Plain JSON values: dates as ISO dates (time only when there is one), Decimal as text."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if hasattr(value, "item") and not hasattr(value, "isoformat"):  # numpy scalars
        return jsonable(value.item())
    if isinstance(value, dt.datetime) or hasattr(value, "to_pydatetime"):
        try:
            if value != value:  # NaT
                return None
        except (TypeError, ValueError):
            pass
        d = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
        return d.date().isoformat() if d.time() == dt.time(0) else d.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if str(value) in ("NaT", "<NA>", "nan"):
        return None
    return str(value)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(jsonable(data), indent=2, ensure_ascii=False) + "\n")


def err_line(message: str) -> None:
    """One line on stderr, never wrapped whatever the terminal width (scripts grep for it)."""
    err_console.print(message, highlight=False, markup=False, soft_wrap=True)


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    err_line(f"error: {message}")
    raise typer.Exit(code)


#: Profile fields set by the root options (--allow-dev-keys, --password-file, --password-env).
OVERRIDES: dict[str, Any] = {}


def show_progress(json_out: bool = False) -> bool:
    """Progress bars on stderr: when it is a terminal (or IPLEDGER_PROGRESS=1), never with --json."""
    forced = os.environ.get("IPLEDGER_PROGRESS")
    if forced is not None:
        return forced not in ("", "0", "false", "no")
    return not json_out and sys.stderr.isatty()


def load(profile: str | None) -> Any:
    from dataclasses import replace

    from ipledger.config import load_profile

    prof = load_profile(profile)
    return replace(prof, **OVERRIDES) if OVERRIDES else prof


def load_existing(profile: str | None) -> Any:
    """The profile of a ledger that exists; a one-line error (no chain created) otherwise."""
    from ipledger.config import require_ledger

    return require_ledger(load(profile))
