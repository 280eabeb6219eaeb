"""Witnesses: what an auditor keeps so that a swapped deployment or a rewritten chain cannot pass.

A witness pins one chain state: the chain (id and genesis hash), the deployment (contract
addresses, deployment block number and hash) and a head block (number and hash) with both
contracts' accumulators and record counts there. ``save_witness`` writes one after checking that
the contracts' accumulators equal the ones recomputed from the logs; ``check_witness`` tells
whether a chain still holds that state. The witness hash (``Witness.digest``) is the ABI
encoding specified in docs/audit.md, so anyone can recompute it without ipledger, and it is what
``ipledger witness anchor`` records on another chain.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from eth_abi import encode
from eth_utils import keccak

from ipledger.audit.report import Check
from ipledger.chain.backend import ChainBackend, RawLog
from ipledger.chain.client import LedgerClient
from ipledger.chain.compiled import load, topic0
from ipledger.errors import ChainError, ProvenanceError

__all__ = [
    "CONTRACTS",
    "WITNESS_TAG",
    "Witness",
    "accumulator_seed",
    "check_witness",
    "load_witness",
    "reader",
    "recompute_accumulator",
    "record_event_topics",
    "save_witness",
]

#: Domain tag hashed first into every witness digest (docs/audit.md, "Witness hash").
WITNESS_TAG = "ipledger.witness.v1"
CONTRACTS = ("IPLedger", "ValuationRegistry")
_LABELS = {"IPLedger": "ledger", "ValuationRegistry": "registry"}


def _h(b: bytes) -> str:
    return "0x" + b.hex()


def _b(text: str) -> bytes:
    return bytes.fromhex(text[2:] if text.startswith("0x") else text)


@cache
def record_event_topics(contract: str) -> frozenset[bytes]:
    """topic0 of the record events: the ABI's events whose first indexed input is ``recordId``."""
    out = set()
    for entry in load(contract).abi:
        if entry.get("type") != "event":
            continue
        indexed = [i for i in entry["inputs"] if i.get("indexed")]
        if indexed and indexed[0]["name"] == "recordId":
            out.add(topic0(entry))
    return frozenset(out)


def accumulator_seed(contract: str, chain_id: int, address: bytes) -> bytes:
    """The accumulator's starting value for ``contract`` deployed at ``address`` on ``chain_id``.

    keccak256(abi.encode(keccak256("ipledger.<contract>.v2"), chainId, address)): a twin
    deployment at another address, or a copy on another chain, starts from another value. Contracts
    compiled before that seed (their creation code holds keccak256("ipledger.<contract>.v1")) start
    from that constant instead, which binds neither.
    """
    legacy = keccak(text=f"ipledger.{contract}.v1")
    if legacy in load(contract).bytecode:
        return legacy
    label = keccak(text=f"ipledger.{contract}.v2")
    return keccak(encode(["bytes32", "uint256", "address"], [label, chain_id, address]))


def recompute_accumulator(
    contract: str, chain_id: int, address: bytes, logs: Iterable[RawLog], up_to: int | None = None
) -> tuple[bytes, int]:
    """The accumulator and record count over ``address``'s record logs up to block ``up_to``.

    Each step is keccak256(acc ‖ topic0 ‖ topic1 ‖ topic2 ‖ topic3 ‖ data) over a record log's bytes.
    """
    acc = accumulator_seed(contract, chain_id, address)
    wanted = record_event_topics(contract)
    n = 0
    for log in logs:
        if up_to is not None and log.block_number > up_to:
            break
        if log.address == address and log.topics and log.topics[0] in wanted:
            acc = keccak(acc + b"".join(log.topics) + log.data)
            n += 1
    return acc, n


def reader(backend: ChainBackend, ledger: bytes, registry: bytes) -> LedgerClient:
    """A read-only client of the contracts given (calls come from any account the backend has)."""
    accounts = backend.accounts()
    return LedgerClient(backend, ledger, registry, sender=accounts[0] if accounts else b"\0" * 20)


@dataclass(frozen=True)
class Witness:
    """One chain state an auditor vouches for (hex strings are lower-case ``0x``)."""

    chain_id: int
    genesis_hash: str
    contracts: dict[str, str]
    deployment_block: int
    deployment_block_hash: str
    head_block: int
    head_block_hash: str
    accumulators: dict[str, str]
    record_counts: dict[str, int]
    version: int = 1

    def address(self, contract: str) -> bytes:
        return _b(self.contracts[contract])

    @property
    def digest(self) -> bytes:
        """The witness hash: keccak256 of the ABI encoding in docs/audit.md."""
        c, a, n = self.contracts, self.accumulators, self.record_counts
        values = [
            keccak(text=WITNESS_TAG),
            self.chain_id,
            _b(self.genesis_hash),
            c["IPLedger"],
            c["ValuationRegistry"],
            self.deployment_block,
            _b(self.deployment_block_hash),
            self.head_block,
            _b(self.head_block_hash),
            _b(a["IPLedger"]),
            n["IPLedger"],
            _b(a["ValuationRegistry"]),
            n["ValuationRegistry"],
        ]
        types = ["bytes32", "uint256", "bytes32", "address", "address", "uint256", "bytes32", "uint256", "bytes32"]
        types += ["bytes32", "uint256", "bytes32", "uint256"]
        return keccak(encode(types, values))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["witness_hash"] = _h(self.digest)
        return data

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")
        tmp.replace(path)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Witness:
        try:
            w = cls(
                chain_id=int(data["chain_id"]),
                genesis_hash=str(data["genesis_hash"]).lower(),
                contracts={k: str(data["contracts"][k]).lower() for k in CONTRACTS},
                deployment_block=int(data["deployment_block"]),
                deployment_block_hash=str(data["deployment_block_hash"]).lower(),
                head_block=int(data["head_block"]),
                head_block_hash=str(data["head_block_hash"]).lower(),
                accumulators={k: str(data["accumulators"][k]).lower() for k in CONTRACTS},
                record_counts={k: int(data["record_counts"][k]) for k in CONTRACTS},
                version=int(data.get("version", 1)),
            )
            w.digest  # noqa: B018 - validates every hex field's width
        except (KeyError, TypeError, ValueError) as exc:
            raise ProvenanceError(f"not a witness file: {exc.__class__.__name__} {exc}") from None
        if w.version != 1:
            raise ProvenanceError(f"witness version {w.version} is not supported (this ipledger reads version 1)")
        stated = data.get("witness_hash")
        if stated is not None and str(stated).lower() != _h(w.digest):
            raise ProvenanceError("the witness file's witness_hash does not match its fields: it was edited")
        return w


def load_witness(path: Path) -> Witness:
    """Read a witness file; ProvenanceError when it is unreadable or inconsistent."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ProvenanceError(f"cannot read the witness {path}: {exc.__class__.__name__}") from None
    if not isinstance(data, dict):
        raise ProvenanceError(f"{path} is not a witness file")
    return Witness.from_dict(data)


def save_witness(
    backend: ChainBackend, ledger: bytes, registry: bytes, deployment_block: int, *, head: int | None = None
) -> Witness:
    """Witness the chain at ``head`` (default: the newest block) for the contracts given.

    Raises:
        ProvenanceError: the contracts' accumulators at ``head`` differ from the logs, or the
            blocks asked for do not exist; nothing is vouched for then.
    """
    top = backend.head()
    head = top if head is None else head
    if not deployment_block <= head <= top:
        raise ProvenanceError(f"cannot witness block {head}: the deployment is at {deployment_block}, the head {top}")
    client = reader(backend, ledger, registry)
    genesis, deployed, at = backend.blocks([0, deployment_block, head])
    logs = backend.get_logs(deployment_block, head, [ledger, registry])
    accumulators: dict[str, str] = {}
    counts: dict[str, int] = {}
    for contract, address in (("IPLedger", ledger), ("ValuationRegistry", registry)):
        try:
            on_chain = client.accumulator(_LABELS[contract], block=head)
            count = client.record_count(_LABELS[contract], block=head)
        except ChainError as exc:
            raise ProvenanceError(f"{contract} at {_h(address)} does not answer at block {head}: {exc}") from None
        acc, n = recompute_accumulator(contract, backend.chain_id, address, logs)
        if (acc, n) != (on_chain, count):
            raise ProvenanceError(
                f"{contract}: the accumulator on chain ({count} records) differs from the one recomputed from the "
                f"logs ({n} records) at block {head}: run `ipledger audit`; no witness written"
            )
        accumulators[contract], counts[contract] = _h(acc), n
    return Witness(
        chain_id=backend.chain_id,
        genesis_hash=_h(genesis.hash),
        contracts={"IPLedger": _h(ledger), "ValuationRegistry": _h(registry)},
        deployment_block=deployment_block,
        deployment_block_hash=_h(deployed.hash),
        head_block=head,
        head_block_hash=_h(at.hash),
        accumulators=accumulators,
        record_counts=counts,
    )


def check_witness(backend: ChainBackend, witness: Witness, logs: list[RawLog] | None = None) -> Check:
    """Does the chain still hold the witnessed state? Every difference is a failure.

    Args:
        backend: the chain.
        witness: the state vouched for.
        logs: the contracts' logs from the deployment block on, if already fetched.
    """
    check = Check("witness", "The chain still holds the witnessed deployment, head block and accumulators")
    check.counts["witness_head"] = witness.head_block
    if backend.chain_id != witness.chain_id:
        check.fail(f"chain id {backend.chain_id}, the witness was taken on chain {witness.chain_id}", "chain_id")
        return check
    top = backend.head()
    if top < witness.head_block:
        check.fail(
            f"the chain's head is block {top}: it no longer holds the witnessed block {witness.head_block}",
            "head_missing",
            block=witness.head_block,
        )
        return check
    genesis, deployed, at = backend.blocks([0, witness.deployment_block, witness.head_block])
    for label, info, expected, code in (
        ("genesis block", genesis, witness.genesis_hash, "genesis"),
        (f"deployment block {witness.deployment_block}", deployed, witness.deployment_block_hash, "deployment"),
        (f"witnessed block {witness.head_block}", at, witness.head_block_hash, "head_hash"),
    ):
        if _h(info.hash) != expected:
            check.fail(
                f"the {label} is {_h(info.hash)} on this chain, {expected} in the witness: the chain was rewritten "
                "or is another chain",
                code,
                block=info.number,
            )
    if check.failures:
        return check
    addresses = [witness.address(c) for c in CONTRACTS]
    if logs is None:
        logs = backend.get_logs(witness.deployment_block, witness.head_block, addresses)
    client = reader(backend, addresses[0], addresses[1])
    for contract, address in zip(CONTRACTS, addresses, strict=True):
        expected_acc, expected_n = witness.accumulators[contract], witness.record_counts[contract]
        acc, n = recompute_accumulator(contract, witness.chain_id, address, logs, up_to=witness.head_block)
        if (_h(acc), n) != (expected_acc, expected_n):
            check.fail(
                f"{contract}: the logs up to block {witness.head_block} give {n} records and accumulator {_h(acc)}, "
                f"the witness {expected_n} and {expected_acc}",
                "logs",
                contract=_h(address),
                block=witness.head_block,
            )
        try:
            on_chain = client.accumulator(_LABELS[contract], block=witness.head_block)
            count = client.record_count(_LABELS[contract], block=witness.head_block)
        except ChainError as exc:
            check.fail(f"{contract} at {_h(address)} does not answer: {exc}", "unreadable", contract=_h(address))
            continue
        if (_h(on_chain), count) != (expected_acc, expected_n):
            check.fail(
                f"{contract} state at block {witness.head_block}: {count} records, accumulator {_h(on_chain)}; "
                f"the witness says {expected_n} and {expected_acc}",
                "state",
                contract=_h(address),
                block=witness.head_block,
            )
        check.counts[f"{_LABELS[contract]}_records_witnessed"] = expected_n
    return check
