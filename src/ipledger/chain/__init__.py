"""Chains (embedded py-evm, JSON-RPC), the compiled contracts and their typed client."""

from __future__ import annotations

from ipledger.chain.backend import BlockInfo, CallReverted, ChainBackend, RawLog, Receipt
from ipledger.chain.client import AssetState, LedgerClient, role_id
from ipledger.chain.codes import AnchorKind, AssetKind, ClaimKind, Exclusivity, Status, TxKind
from ipledger.chain.connect import connect, open_backend
from ipledger.chain.deploy import Deployment, deploy
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
