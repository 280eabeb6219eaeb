"""Shared CLI plumbing: profile option, console, JSON output, one-line errors."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

console = Console()
err_console = Console(stderr=True)

ProfileOpt = Annotated[
    str | None,
    typer.Option("--profile", "-p", help="Profile from ipledger.toml (default: local, or IPLEDGER_PROFILE)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of tables.")]

# Exit codes shared by every command.
EXIT_OK = 0
EXIT_ERROR = 1  # an IPLedgerError: bad input, chain or store failure
EXIT_USAGE = 2  # Typer/Click usage errors
EXIT_FINDINGS = 3  # the command ran and found problems (audit failures, rejected import rows)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


#: Profile fields set by the root options (--allow-dev-keys, --password-file, --password-env).
OVERRIDES: dict[str, Any] = {}


def load(profile: str | None) -> Any:
    from dataclasses import replace

    from ipledger.config import load_profile

    prof = load_profile(profile)
    return replace(prof, **OVERRIDES) if OVERRIDES else prof
