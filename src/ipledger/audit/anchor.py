"""Witness anchors: the witness hash recorded on another chain, where the data folder cannot reach.

Whoever holds an embedded chain's data folder can rewrite that chain, its store and any witness
file beside it. An anchor puts the witness hash (32 bytes, :attr:`Witness.digest`) on a chain the
folder's holder does not control, as a plain transaction from the auditor's anchor account to
itself whose calldata is exactly the hash: no contract, nothing to deploy, readable with any
JSON-RPC client (``eth_getTransactionByHash``). The witness and the anchor's transaction hash are
kept in the anchoring profile's folder (``<data_dir>/witnesses/<witness hash>.json``); the audit
re-reads the transaction from the anchor chain and trusts nothing else in that file.

The anchor account should send nothing but anchors: the audit compares its transaction count on
the anchor chain with the anchors it knows, so that a newer anchor cannot be hidden to make an
older witness (and a rewrite after it) look current.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_typing import Address, Hash32

from ipledger.audit.report import Check
from ipledger.audit.witness import Witness
from ipledger.chain.backend import ChainBackend
from ipledger.errors import ChainError, ProvenanceError

__all__ = ["AnchorRecord", "anchor_witness", "anchored_witnesses", "witness_from"]


def _h(b: bytes) -> str:
    return "0x" + b.hex()


@dataclass(frozen=True)
class AnchorRecord:
    """Where a witness hash was anchored.

    Attributes:
        witness: the anchored witness.
        chain_id: the anchor chain's id.
        tx_hash: the anchoring transaction (0x hex).
        block_number: its block on the anchor chain.
        account: the anchor account (0x hex), sender and recipient of the transaction.
        path: the file the record is kept in.
    """

    witness: Witness
    chain_id: int
    tx_hash: str
    block_number: int
    account: str
    path: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "witness": self.witness.to_dict(),
            "anchor": {
                "chain_id": self.chain_id,
                "tx_hash": self.tx_hash,
                "block_number": self.block_number,
                "account": self.account,
                "calldata": _h(self.witness.digest),
            },
        }


def anchor_witness(backend: ChainBackend, witness: Witness, folder: Path, account: bytes | None = None) -> AnchorRecord:
    """Send the witness hash as calldata of a self-transaction on ``backend``; keep the record in ``folder``.

    Args:
        backend: the anchor chain (its profile's signing account pays the gas).
        witness: the witness to anchor.
        folder: the anchoring profile's data folder (records go to ``folder/witnesses``).
        account: the anchor account (default: the backend's first account).
    """
    sender = account or backend.accounts()[0]
    receipt = backend.transact(sender, sender, witness.digest, gas=30_000)
    if receipt.status != 1:
        raise ChainError("the anchor transaction failed")
    record = AnchorRecord(witness, backend.chain_id, _h(receipt.tx_hash), receipt.block_number, _h(sender))
    path = folder / "witnesses" / f"{_h(witness.digest)}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(record.to_dict(), indent=2, sort_keys=True) + "\n")
    tmp.replace(path)
    return AnchorRecord(record.witness, record.chain_id, record.tx_hash, record.block_number, record.account, path)


def anchored_witnesses(folder: Path) -> list[AnchorRecord]:
    """The anchor records kept in ``folder/witnesses`` (unverified: see :func:`witness_from`)."""
    out = []
    for path in sorted((folder / "witnesses").glob("0x*.json")):
        try:
            data = json.loads(path.read_text())
            a = data["anchor"]
            out.append(
                AnchorRecord(
                    Witness.from_dict(data["witness"]),
                    int(a["chain_id"]),
                    str(a["tx_hash"]).lower(),
                    int(a["block_number"]),
                    str(a["account"]).lower(),
                    path,
                )
            )
        except (OSError, ValueError, KeyError, TypeError, ProvenanceError):
            continue  # counted as missing by the transaction-count comparison
    return out


def _transaction(backend: ChainBackend, tx_hash: bytes) -> tuple[bytes, bytes, bytes, int] | None:
    """(sender, recipient, calldata, block number) of a mined transaction, None when unknown."""
    from ipledger.chain.embedded import EmbeddedBackend
    from ipledger.chain.rpc import RPCBackend

    if isinstance(backend, RPCBackend):
        tx = backend.rpc.request("eth_getTransactionByHash", [_h(tx_hash)])
        if tx is None or tx.get("blockNumber") is None:
            return None
        to = bytes.fromhex(tx["to"][2:]) if tx.get("to") else b""
        return bytes.fromhex(tx["from"][2:]), to, bytes.fromhex(tx["input"][2:]), int(tx["blockNumber"], 16)
    if isinstance(backend, EmbeddedBackend):
        try:
            number, index = backend.chain.chaindb.get_transaction_index(Hash32(tx_hash))
        except Exception:  # py-evm raises TransactionNotFound
            return None
        tx_ = backend.chain.get_canonical_block_by_number(number).transactions[index]
        return bytes(tx_.sender), bytes(tx_.to), bytes(tx_.data), int(number)
    raise ProvenanceError(f"cannot read transactions from a {backend.kind} backend")


def _nonce(backend: ChainBackend, account: bytes) -> int:
    from ipledger.chain.embedded import EmbeddedBackend
    from ipledger.chain.rpc import RPCBackend

    if isinstance(backend, RPCBackend):
        return int(backend.rpc.request("eth_getTransactionCount", [_h(account), "latest"]), 16)
    if isinstance(backend, EmbeddedBackend):
        return int(backend.chain.get_vm().state.get_nonce(Address(account)))
    raise ProvenanceError(f"cannot read nonces from a {backend.kind} backend")


def witness_from(
    anchor_backend: ChainBackend, folder: Path, chain_id: int, account: bytes | None = None
) -> tuple[Witness | None, Check]:
    """The newest witness of chain ``chain_id`` whose hash is anchored on ``anchor_backend``.

    Every kept record is re-checked on the anchor chain: its transaction exists there, was sent
    by the anchor account to itself, and carries exactly the witness hash. Then the anchor
    account's transaction count must equal the anchors known, or a newer one is missing.

    Args:
        anchor_backend: the anchor chain.
        folder: the anchoring profile's data folder.
        chain_id: the audited chain's id.
        account: the anchor account (the anchoring profile's), checked even when no record of it
            is left; the accounts named by the kept records are always checked.

    Returns:
        The witness to audit against (None when there is none that verifies) and the ``anchor``
        check with its findings (a missing or unverifiable anchor is a failure).
    """
    check = Check("anchor", "The witness is the newest one anchored on the anchor chain")
    records = anchored_witnesses(folder)
    verified: list[AnchorRecord] = []
    accounts: dict[str, int] = {_h(account): 0} if account is not None else {}
    for r in records:
        accounts[r.account] = accounts.get(r.account, 0) + 1
        where = {"file": r.path.name if r.path else None, "tx_hash": r.tx_hash}
        if r.chain_id != anchor_backend.chain_id:
            check.fail(f"anchor {r.tx_hash} is on chain {r.chain_id}, not {anchor_backend.chain_id}", "chain", **where)
            continue
        tx = _transaction(anchor_backend, bytes.fromhex(r.tx_hash[2:]))
        account = bytes.fromhex(r.account[2:])
        if tx is None:
            check.fail(f"anchor transaction {r.tx_hash} is not on the anchor chain", "missing_tx", **where)
        elif tx[0] != account or tx[1] != account:
            check.fail(f"anchor transaction {r.tx_hash} is not a self-transaction of {r.account}", "sender", **where)
        elif tx[2] != r.witness.digest:
            check.fail(
                f"anchor transaction {r.tx_hash} carries {_h(tx[2])}, the kept witness hashes to "
                f"{_h(r.witness.digest)}: the witness was edited",
                "hash",
                **where,
            )
        else:
            verified.append(r)
    for account_hex, known in sorted(accounts.items()):
        sent = _nonce(anchor_backend, bytes.fromhex(account_hex[2:]))
        check.counts["anchors_known"] = check.counts.get("anchors_known", 0) + known
        if sent != known:
            check.fail(
                f"anchor account {account_hex} sent {sent} transactions on the anchor chain, {known} anchors are kept: "
                "a newer witness may have been removed",
                "hidden_anchor",
                account=account_hex,
            )
    mine = [r for r in verified if r.witness.chain_id == chain_id]
    if not mine:
        check.fail(f"no verified anchored witness of chain {chain_id} in {folder / 'witnesses'}", "none")
        return None, check
    newest = max(mine, key=lambda r: r.witness.head_block)
    check.counts["witness_head"] = newest.witness.head_block
    check.counts["anchor_block"] = newest.block_number
    return newest.witness, check
