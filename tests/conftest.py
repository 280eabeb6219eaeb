"""Shared fixtures: chains (embedded and anvil), deployments, sample records."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ipledger.chain.anvil import AnvilNode as _AnvilNode
from ipledger.chain.anvil import anvil_executable

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("IPLEDGER_SHARED_DATA", ROOT.parent / "shared" / "data"))


class AnvilNode(_AnvilNode):
    """The library's anvil launcher; skips the test when anvil is not installed."""

    def __init__(self) -> None:
        if anvil_executable() is None:
            pytest.skip("anvil not installed (run `npm ci`)")
        super().__init__()


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
