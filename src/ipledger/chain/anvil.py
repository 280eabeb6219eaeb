"""Start a local anvil node (the pinned npm package) on a free loopback port.

Used by the tests, the benchmarks and anyone who wants a throw-away JSON-RPC chain::

    with anvil_node() as url:
        backend = RPCBackend(url)
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ipledger.errors import ChainError

_PINNED = Path(__file__).resolve().parents[3] / "node_modules" / ".bin" / "anvil"


def anvil_executable() -> str | None:
    """The pinned npm anvil of a source checkout, else one on PATH."""
    return str(_PINNED) if _PINNED.exists() else shutil.which("anvil")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AnvilNode:
    """A running anvil process; ``url`` is its JSON-RPC endpoint. Stop it with ``stop()``."""

    def __init__(self, gas_limit: int = 30_000_000, timeout: float = 20.0, chain_id: int | None = None) -> None:
        exe = anvil_executable()
        if exe is None:
            raise ChainError("anvil is not installed: run `npm ci` (package @foundry-rs/anvil-linux-amd64)")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [exe, "--host", "127.0.0.1", "--port", str(self.port), "--silent", "--gas-limit", str(gas_limit)]
        if chain_id is not None:
            args += ["--chain-id", str(chain_id)]
        self.proc = subprocess.Popen(
            args,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise ChainError("anvil did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@contextmanager
def anvil_node(gas_limit: int = 30_000_000) -> Iterator[str]:
    """A fresh anvil node for the block; yields its URL and always stops it."""
    node = AnvilNode(gas_limit)
    try:
        yield node.url
    finally:
        node.stop()
