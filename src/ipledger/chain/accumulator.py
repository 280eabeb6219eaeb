"""Recompute the contracts' running accumulators from their logs.

Each contract of record keeps ``accumulator' = keccak256(accumulator ‖ topic0 ‖ topic1 ‖ topic2 ‖
topic3 ‖ data)`` over the exact bytes of every record log, starting from
``keccak256(abi.encode(keccak256("ipledger.<Contract>.v2"), chainid, address(this)))``, so that a
same-code twin deployment (another address or chain) has another accumulator from its first
record. The record events are exactly those whose first indexed input is named ``recordId``;
role, pause, currency and organisation events are not records. Attachments of a record (its
parties' ``ConsentGiven``, whose first indexed input is ``txRecordId``) take no record id but
extend the accumulator the same way, right after their record.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from eth_abi import encode
from eth_utils import keccak

from ipledger.chain.backend import RawLog
from ipledger.chain.compiled import load, topic0


def _events_led_by(contract: str, first: str) -> tuple[str, ...]:
    names = []
    for name, event in load(contract).events().items():
        indexed = [i for i in event["inputs"] if i.get("indexed")]
        if indexed and indexed[0]["name"] == first:
            names.append(name)
    return tuple(sorted(names))


@cache
def record_events(contract: str) -> tuple[str, ...]:
    """Names of the contract's record events: those whose first indexed input is ``recordId``."""
    return _events_led_by(contract, "recordId")


@cache
def attachment_events(contract: str) -> tuple[str, ...]:
    """Events chained into the accumulator without a record id: first indexed ``txRecordId``."""
    return _events_led_by(contract, "txRecordId")


def seed(contract: str, chain_id: int, address: bytes) -> bytes:
    """The accumulator of ``contract`` deployed at ``address`` on ``chain_id`` before any record."""
    name = keccak(text=f"ipledger.{contract}.v2")
    return keccak(encode(["bytes32", "uint256", "address"], [name, chain_id, address]))


@cache
def record_topics(contract: str) -> frozenset[bytes]:
    events = load(contract).events()
    return frozenset(topic0(events[name]) for name in record_events(contract))


@cache
def chained_topics(contract: str) -> frozenset[bytes]:
    """Topic0 of every event the accumulator hashes: records and their attachments."""
    events = load(contract).events()
    return record_topics(contract) | frozenset(topic0(events[name]) for name in attachment_events(contract))


def step(acc: bytes, log: RawLog) -> bytes:
    """The accumulator after one record log."""
    return keccak(acc + b"".join(log.topics) + log.data)


def recompute(
    contract: str, logs: Iterable[RawLog], *, chain_id: int, address: bytes, start: bytes | None = None
) -> tuple[bytes, int]:
    """The accumulator and record count after ``logs`` of ``address`` (other events are skipped;
    attachments are hashed but not counted)."""
    acc = start if start is not None else seed(contract, chain_id, address)
    chained, records = chained_topics(contract), record_topics(contract)
    n = 0
    for log in logs:
        if log.topics and log.topics[0] in chained:
            acc = step(acc, log)
            n += log.topics[0] in records
    return acc, n
