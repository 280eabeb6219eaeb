"""Decode contract logs from the ABI without web3's per-event formatting.

Static fields are sliced from the data's 32-byte words directly; only dynamic fields (the
registry number string) go through eth-abi. ``tests/unit/test_decode.py`` proves the output
identical to eth-abi's on random events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode

from ipledger.chain.compiled import Artifact, canonical_type, topic0

Field = tuple[str, Callable[[bytes], Any]]


def _uint(word: bytes) -> int:
    return int.from_bytes(word, "big")


def _int(word: bytes) -> int:
    return int.from_bytes(word, "big", signed=True)


def _address(word: bytes) -> str:
    return "0x" + word[12:].hex()


def _bool(word: bytes) -> bool:
    return word[-1] == 1


def _bytes_n(n: int) -> Callable[[bytes], bytes]:
    return lambda word: word[:n]


def _static_reader(abi_type: str) -> Callable[[bytes], Any] | None:
    if abi_type.endswith("]"):
        return None  # arrays are dynamic here (e.g. the currency list of CurrenciesSet)
    if abi_type.startswith("uint"):
        return _uint
    if abi_type.startswith("int"):
        return _int
    if abi_type == "address":
        return _address
    if abi_type == "bool":
        return _bool
    if abi_type.startswith("bytes") and abi_type != "bytes":
        return _bytes_n(int(abi_type[5:]))
    return None  # dynamic: string, bytes, arrays


@dataclass(frozen=True)
class EventDecoder:
    """Decodes one event's topics and data into a dict of named values."""

    name: str
    topic0: bytes
    indexed: tuple[Field, ...]
    data_fields: tuple[tuple[str, str, Callable[[bytes], Any] | None], ...]
    all_static: bool

    def decode(self, topics: tuple[bytes, ...], data: bytes) -> dict[str, Any]:
        out: dict[str, Any] = {name: read(t) for (name, read), t in zip(self.indexed, topics[1:], strict=True)}
        if self.all_static:
            for i, (name, _t, read) in enumerate(self.data_fields):
                out[name] = read(data[32 * i : 32 * i + 32])  # type: ignore[misc]
            return out
        values = abi_decode([t for _n, t, _r in self.data_fields], data)
        for (name, _t, read), value in zip(self.data_fields, values, strict=True):
            if read is _address:
                value = value.lower()
            out[name] = value
        return out


def decoders(artifact: Artifact) -> dict[bytes, EventDecoder]:
    """Event decoders by topic0 for every event of ``artifact``."""
    out: dict[bytes, EventDecoder] = {}
    for entry in artifact.abi:
        if entry["type"] != "event":
            continue
        indexed: list[Field] = []
        data: list[tuple[str, str, Callable[[bytes], Any] | None]] = []
        for param in entry["inputs"]:
            abi_type = canonical_type(param)
            reader = _static_reader(abi_type)
            if param["indexed"]:
                # Indexed dynamic values are stored as their hash: keep the 32 raw bytes.
                indexed.append((param["name"], reader or (lambda w: w)))
            else:
                data.append((param["name"], abi_type, reader))
        t0 = topic0(entry)
        out[t0] = EventDecoder(entry["name"], t0, tuple(indexed), tuple(data), all(r is not None for _n, _t, r in data))
    return out
