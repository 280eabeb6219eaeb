"""Recompute the contracts' running accumulators from their logs.

Each contract of record keeps ``accumulator' = keccak256(accumulator ‖ topic0 ‖ topic1 ‖ topic2 ‖
topic3 ‖ data)`` over the exact bytes of every record log, starting from
``keccak256("ipledger.<Contract>.v1")``. Role and pause events are not records.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from eth_utils import keccak

from ipledger.chain.backend import RawLog
from ipledger.chain.compiled import load, topic0

RECORD_EVENTS = {
    "IPLedger": ("AssetRegistered", "StatusChanged", "TxRecorded", "RecordVoided"),
    "ValuationRegistry": ("Anchored", "ClaimRecorded"),
}


def seed(contract: str) -> bytes:
    return keccak(text=f"ipledger.{contract}.v1")


@cache
def record_topics(contract: str) -> frozenset[bytes]:
    events = load(contract).events()
    return frozenset(topic0(events[name]) for name in RECORD_EVENTS[contract])


def step(acc: bytes, log: RawLog) -> bytes:
    """The accumulator after one record log."""
    return keccak(acc + b"".join(log.topics) + log.data)


def recompute(contract: str, logs: Iterable[RawLog], start: bytes | None = None) -> tuple[bytes, int]:
    """The accumulator and record count after ``logs`` (logs of other events are skipped)."""
    acc = start if start is not None else seed(contract)
    wanted = record_topics(contract)
    n = 0
    for log in logs:
        if log.topics and log.topics[0] in wanted:
            acc = step(acc, log)
            n += 1
    return acc, n
