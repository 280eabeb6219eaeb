"""Shared fixtures: chains (embedded and anvil), deployments, sample records."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ANVIL = ROOT / "node_modules" / ".bin" / "anvil"
SHARED_DATA = Path(os.environ.get("IPLEDGER_SHARED_DATA", ROOT.parent / "shared" / "data"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AnvilNode:
    """A real anvil node on a free loopback port, stopped at the end of the session."""

    def __init__(self) -> None:
        exe = str(ANVIL) if ANVIL.exists() else shutil.which("anvil")
        if exe is None:
            pytest.skip("anvil not installed (run `npm ci`)")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [exe, "--host", "127.0.0.1", "--port", str(self.port), "--silent", "--gas-limit", "30000000"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("anvil did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="session")
def anvil_node() -> Iterator[AnvilNode]:
    node = AnvilNode()
    yield node
    node.stop()


def make_backend(kind: str, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    if kind == "embedded":
        from ipledger.chain.embedded import EmbeddedBackend

        return EmbeddedBackend(None)
    from ipledger.chain.rpc import RPCBackend

    node = request.getfixturevalue("anvil_node")
    return RPCBackend(node.url)
