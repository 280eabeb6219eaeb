"""End-to-end CLI helpers: run `ipledger` as a user would, in a fresh folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


class CLI:
    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "200", "NO_COLOR": "1"}
        for var in [k for k in self.env if k.startswith("IPLEDGER_") and k != "IPLEDGER_SHARED_DATA"]:
            del self.env[var]

    def cmd(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "ipledger.cli.main", *args]

    def __call__(
        self, *args: str, check: bool = True, env_extra: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = {**self.env, **(env_extra or {})}
        proc = subprocess.run(self.cmd(*args), cwd=self.cwd, env=env, capture_output=True, text=True, timeout=600)
        if check and proc.returncode != 0:
            raise AssertionError(f"ipledger {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        return proc


@pytest.fixture
def cli(tmp_path: Path) -> CLI:
    c = CLI(tmp_path)
    c("init")
    return c
