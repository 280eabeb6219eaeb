"""Chains (embedded py-evm, JSON-RPC), the compiled contracts and their typed client.

Most names below load on first use (PEP 562): importing a light submodule, such as
``ipledger.chain.backend`` or ``ipledger.chain.codes``, must not load the client, eth-account or
py-evm, which read-only commands never need. ``connect`` and ``deploy`` are imported here (both
modules are light): they share their names with their modules, and a module imported later
would otherwise replace the function on the package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ipledger.chain.connect import connect, open_backend
from ipledger.chain.deploy import Deployment, deploy

if TYPE_CHECKING:
    from ipledger.chain.backend import BlockInfo, CallReverted, ChainBackend, RawLog, Receipt
    from ipledger.chain.client import AssetState, LedgerClient, role_id
    from ipledger.chain.codes import AnchorKind, AssetKind, ClaimKind, Exclusivity, Status, TxKind
    from ipledger.chain.records import (
        AnchorInput,
        AssetInput,
        ClaimInput,
        TxInput,
        WriteResult,
        asset_id,
        doc_hash,
        to_timestamp,
    )

_WHERE = {
    "backend": ("BlockInfo", "CallReverted", "ChainBackend", "RawLog", "Receipt"),
    "client": ("AssetState", "LedgerClient", "role_id"),
    "codes": ("AnchorKind", "AssetKind", "ClaimKind", "Exclusivity", "Status", "TxKind"),
    "records": (
        "AnchorInput",
        "AssetInput",
        "ClaimInput",
        "TxInput",
        "WriteResult",
        "asset_id",
        "doc_hash",
        "to_timestamp",
    ),
}
_MODULE = {name: module for module, names in _WHERE.items() for name in names}

__all__ = [
    "AnchorInput",
    "AnchorKind",
    "AssetInput",
    "AssetKind",
    "AssetState",
    "BlockInfo",
    "CallReverted",
    "ChainBackend",
    "ClaimInput",
    "ClaimKind",
    "Deployment",
    "Exclusivity",
    "LedgerClient",
    "RawLog",
    "Receipt",
    "Status",
    "TxInput",
    "TxKind",
    "WriteResult",
    "asset_id",
    "connect",
    "deploy",
    "doc_hash",
    "open_backend",
    "role_id",
    "to_timestamp",
]


def __getattr__(name: str) -> Any:
    module = _MODULE.get(name)
    if module is None:
        raise AttributeError(f"module 'ipledger.chain' has no attribute {name!r}")
    return getattr(importlib.import_module(f"ipledger.chain.{module}"), name)
