"""Every CLI command has help text and appears in the user guide."""

from __future__ import annotations

from pathlib import Path

import typer

from ipledger.cli.main import app

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "user-guide.md"


def _commands(group: object, prefix: str = "") -> list[tuple[str, object]]:
    out = []
    for name, cmd in sorted(getattr(group, "commands", {}).items()):
        path = f"{prefix} {name}".strip()
        if getattr(cmd, "commands", None):
            out.extend(_commands(cmd, path))
        else:
            out.append((path, cmd))
    return out


def test_every_command_has_help_and_is_documented() -> None:
    root = typer.main.get_command(app)
    commands = _commands(root)
    assert len(commands) >= 14
    guide = GUIDE.read_text()
    for path, cmd in commands:
        assert (getattr(cmd, "help", "") or "").strip(), f"`ipledger {path}` has no help text"
        assert f"ipledger {path}" in guide, f"`ipledger {path}` is not in docs/user-guide.md"
        for param in getattr(cmd, "params", []):
            if getattr(param, "param_type_name", "") == "option" and param.name not in ("help",):
                assert (getattr(param, "help", "") or "").strip() or param.name in ("profile", "json_out"), (
                    f"option {param.name} of `ipledger {path}` has no help"
                )


def test_read_commands_offer_json() -> None:
    root = typer.main.get_command(app)
    reads = ["chain status", "sync", "assets", "history", "value", "quote", "audit", "portfolio simulate", "demo"]
    by_path = dict(_commands(root))
    for path in reads:
        names = {p.name for p in getattr(by_path[path], "params", [])}
        assert "json_out" in names, f"`ipledger {path}` has no --json"
