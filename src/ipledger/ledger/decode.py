"""Decode contract logs from the ABI without web3's per-event formatting.

Static fields are sliced from the data's 32-byte words directly; only dynamic fields (the
registry number string) go through eth-abi. ``tests/unit/test_decode.py`` proves the output
identical to eth-abi's on random events.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


# --------------------------------------------------------------------------- fused decode + map

# A column's source: an event input by name, or the log's own provenance fields.
PROVENANCE = {"@block_number": "log.block_number", "@log_index": "log.log_index"}
PROVENANCE_HEX = {"@tx_hash": "log.tx_hash", "@contract": "log.address"}


def _string(data: bytes, head: int) -> str:
    """An ABI-encoded dynamic string whose offset word sits at byte ``head`` of ``data``."""
    offset = int.from_bytes(data[head : head + 32], "big")
    length = int.from_bytes(data[offset : offset + 32], "big")
    if offset + 32 + length > len(data):
        raise ValueError("string runs past the end of the log data")
    return data[offset + 32 : offset + 32 + length].decode("utf-8")


def _expression(abi_type: str, word: str, start: str | None, convert: str) -> str:
    """Python source reading one value (``word``: the 32-byte word; ``start``: its data offset)."""
    if abi_type == "string" and start is not None:
        return f"_string(data, {start})"
    if abi_type.startswith("uint"):
        return f"int.from_bytes({word}, 'big')"
    if abi_type.startswith("int"):
        return f"int.from_bytes({word}, 'big', signed=True)"
    if abi_type == "address":
        tail = f"data[{start} + 12 : {start} + 32]" if start is not None else f"{word}[12:]"
        return f"'0x' + {tail}.hex()"
    if abi_type == "bool":
        return f"({word}[-1] == 1)"
    if abi_type.startswith("bytes") and abi_type != "bytes":
        n = int(abi_type[5:])
        raw = f"data[{start} : {start} + {n}]" if start is not None else f"{word}[:{n}]"
        if convert == "hex":
            return f"'0x' + {raw}.hex()"
        if convert == "text":
            return f"{raw}.rstrip(b'\\0').decode('ascii', 'replace')"
        return raw
    if start is None:  # an indexed dynamic value: its 32-byte hash
        return word
    raise ValueError(f"no fused reader for ABI type {abi_type}")


def fused_row(entry: dict[str, Any], columns: Sequence[tuple[str, str]]) -> Callable[[Any], tuple[Any, ...]]:
    """A function from one log (RawLog) of event ``entry`` straight to a store row tuple.

    Decode and map in one step, generated once from the ABI: each value is sliced from its topic
    or data word with no intermediate dict. Values equal those of :class:`EventDecoder` followed by
    the mapper's conversions (``tests/unit/test_fused.py``).

    Args:
        entry: the event's ABI entry.
        columns: per store column in order, (source, conversion): source an input name or one of
            ``@block_number``, ``@log_index``, ``@tx_hash``, ``@contract``; conversion ``""``
            (as decoded), ``hex`` (bytes to 0x-hex text) or ``text`` (NUL-padded ASCII to text).
    """
    topic_at: dict[str, tuple[str, int]] = {}
    data_at: dict[str, tuple[str, int]] = {}
    n_topics = 1
    n_words = 0
    for param in entry["inputs"]:
        if param["indexed"]:
            topic_at[param["name"]] = (canonical_type(param), n_topics)
            n_topics += 1
        else:
            data_at[param["name"]] = (canonical_type(param), n_words)
            n_words += 1
    parts = []
    for source, convert in columns:
        if source in PROVENANCE:
            parts.append(PROVENANCE[source])
        elif source in PROVENANCE_HEX:
            parts.append(f"'0x' + {PROVENANCE_HEX[source]}.hex()")
        elif source in topic_at:
            t, i = topic_at[source]
            parts.append(_expression(t, f"topics[{i}]", None, convert))
        elif source in data_at:
            t, i = data_at[source]
            parts.append(_expression(t, f"data[{32 * i} : {32 * i + 32}]", str(32 * i), convert))
        else:
            raise ValueError(f"event {entry['name']} has no input {source!r}")
    code = (
        "def row(log):\n"
        "    topics = log.topics\n"
        "    data = log.data\n"
        f"    if len(topics) != {n_topics} or len(data) < {32 * n_words}:\n"
        f"        raise ValueError('malformed {entry['name']} log')\n"
        f"    return ({', '.join(parts)},)\n"
    )
    namespace: dict[str, Any] = {"_string": _string}
    # The source is built above from the compiled ABI only (names never reach it), so exec is safe;
    # a generated function avoids one call and one dict per value (the point of fusing).
    exec(compile(code, f"<fused {entry['name']}>", "exec"), namespace)
    return namespace["row"]  # type: ignore[no-any-return]
