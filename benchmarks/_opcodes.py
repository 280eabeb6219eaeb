"""Opcode counts and gas by opcode on the embedded chain, and the recording floor as a contract.

`trace` swaps the opcode table of the chain's computation class for one that counts every
opcode executed and the gas each one takes (its own cost, memory expansion included), for the
transactions sent inside the `with` block. Gas is unchanged: the same opcode functions run.

`FLOOR_RUNTIME` is the least a contract can do to record: for every 13-word record of its
calldata (no selector) it emits the same TxRecorded log (four topics, twelve data words: eleven
copied from calldata in one CALLDATACOPY, then the caller) and nothing else: no check, no
storage, no accumulator.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from eth_utils import keccak

from ipledger.chain.embedded import EmbeddedBackend

SIG = keccak(
    text="TxRecorded(uint256,bytes32,uint8,address,address,uint40,bytes3,uint128,uint16,uint8,bytes2,uint40,uint64,bytes32,address)"
)
RECORD_BYTES = 13 * 32

# off := 0; loop: calldatacopy(0, off + 64, 352); mstore(352, caller());
# log4(0, 384, SIG, off, calldataload(off), calldataload(off + 32)); off += 416; while off < calldatasize.
# The record id topic is the record's calldata offset: a distinct value that costs one DUP.
FLOOR_RUNTIME = (
    bytes.fromhex("5f5b610160816040015f373361016052")
    + bytes.fromhex("80602001358135827f")
    + SIG
    + bytes.fromhex("6101805fa46101a00180361160015700")
)
# Opcodes of one pass of the loop above (JUMPDEST to JUMPI).
FLOOR_LOOP_OPCODES = 28


def floor_initcode() -> bytes:
    """Init code that returns FLOOR_RUNTIME: PUSH1 len DUP1 PUSH1 9 PUSH0 CODECOPY PUSH0 RETURN."""
    n = len(FLOOR_RUNTIME)
    return bytes([0x60, n, 0x80, 0x60, 0x09, 0x5F, 0x39, 0x5F, 0xF3]) + FLOOR_RUNTIME


@dataclass
class Trace:
    """Opcodes executed and gas spent by opcode mnemonic."""

    counts: Counter[str] = field(default_factory=Counter)
    gas: Counter[str] = field(default_factory=Counter)

    @property
    def opcodes(self) -> int:
        return sum(self.counts.values())


class _Counting(dict):  # type: ignore[type-arg]
    def __init__(self, base: dict[int, Any], out: Trace) -> None:
        super().__init__(base)
        self._wrapped: dict[int, Callable[..., None]] = {}
        self._out = out

    def __getitem__(self, op: int) -> Callable[..., None]:
        w = self._wrapped.get(op)
        if w is None:
            w = self._wrapped[op] = self._wrap(dict.__getitem__(self, op))
        return w

    def _wrap(self, fn: Any) -> Callable[..., None]:
        name = getattr(fn, "mnemonic", None) or getattr(getattr(fn, "__wrapped__", None), "mnemonic", "?")
        out = self._out

        def counted(computation: Any) -> None:
            before = computation.get_gas_remaining()
            try:
                fn(computation=computation)
            finally:
                out.counts[name] += 1
                out.gas[name] += before - computation.get_gas_remaining()

        return counted


@contextmanager
def trace(backend: EmbeddedBackend) -> Iterator[Trace]:
    """Counts opcodes and gas by opcode of what runs inside the block."""
    cls = backend.chain.get_vm().get_state_class().computation_class
    original = cls.__dict__.get("opcodes")
    out = Trace()
    cls.opcodes = _Counting(cls.opcodes, out)
    try:
        yield out
    finally:
        if original is None:
            del cls.opcodes
        else:
            cls.opcodes = original
