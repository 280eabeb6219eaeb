"""Decode contract logs from the ABI without web3's per-event formatting.

Static fields are sliced from the data's 32-byte words directly; only dynamic fields (the
registry number string) go through eth-abi. ``tests/unit/test_decode.py`` proves the output
identical to eth-abi's on random events.
"""

from __future__ import annotations

import struct
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


def _stored(raw: str, n: int) -> str:
    """The stored form of an ``n``-byte hash or address (``schema.Hex``): its bytes, and no bytes
    for the all-zero value; one comparison, no call."""
    return f"(_b if (_b := {raw}) != _Z{n} else b'')"


def _convert(raw: str, convert: str, n: int) -> str:
    if convert == "hex":
        return f"'0x' + {raw}.hex()"
    if convert == "bytes":
        return _stored(raw, n)
    if convert == "text":
        return f"{raw}.rstrip(b'\\0').decode('ascii', 'replace')"
    return raw


def _topic_expression(abi_type: str, word: str, convert: str) -> str:
    """Python source reading one indexed value from its 32-byte topic ``word``."""
    if abi_type.startswith("uint"):
        return f"_from_bytes({word}, 'big')"
    if abi_type.startswith("int"):
        return f"_from_bytes({word}, 'big', signed=True)"
    if abi_type == "address":
        return _stored(f"{word}[12:]", 20) if convert == "bytes" else f"'0x' + {word}[12:].hex()"
    if abi_type == "bool":
        return f"({word}[-1] == 1)"
    if abi_type.startswith("bytes") and abi_type != "bytes":
        n = int(abi_type[5:])
        return _convert(f"{word}[:{n}]", convert, n)
    return word  # an indexed dynamic value: its 32-byte hash


def _word_layout(abi_type: str, i: int, convert: str) -> tuple[str, list[str], str, list[str]]:
    """(struct format, variables it fills, value expression, tests that the padding is not zero)
    of data word ``i``; the values equal :class:`EventDecoder`'s (whole-word integers included:
    a small integer is read from its low bytes only when the padding above it is zero)."""
    v = f"v{i}"
    if abi_type == "address":
        return "12x20s", [v], _stored(v, 20) if convert == "bytes" else f"'0x' + {v}.hex()", []
    if abi_type.startswith("bytes") and abi_type != "bytes":
        n = int(abi_type[5:])
        return f"{n}s{32 - n}x" if n < 32 else "32s", [v], _convert(v, convert, n), []
    if abi_type.startswith("uint") and int(abi_type[4:] or 256) <= 64:
        return "24sQ", [f"p{i}", v], v, [f"p{i} != _Z24"]
    if abi_type.startswith("uint") and int(abi_type[4:] or 256) <= 128:
        return "16sQQ", [f"p{i}", f"h{i}", v], f"(h{i} << 64 | {v})", [f"p{i} != _Z16"]
    if abi_type == "bool":
        return "31xB", [v], f"({v} == 1)", []
    if abi_type.startswith("uint"):
        return "32s", [v], f"_from_bytes({v}, 'big')", []
    if abi_type.startswith("int"):
        return "32s", [v], f"_from_bytes({v}, 'big', signed=True)", []
    if abi_type == "string":
        return "32x", [], f"_string(data, {32 * i})", []
    raise ValueError(f"no fused reader for ABI type {abi_type}")


def fused_row(entry: dict[str, Any], columns: Sequence[tuple[str, str]]) -> Callable[[Any], tuple[Any, ...]]:
    """A function from one log (RawLog) of event ``entry`` straight to a store row tuple.

    Decode and map in one step, generated once from the ABI: one ``struct`` unpack reads every
    data word, with no intermediate dict. Values equal those of :class:`EventDecoder` followed by
    the mapper's conversions (``tests/unit/test_fused.py``); a log whose integer words carry
    non-zero padding (never emitted by the contracts' encoder) takes the word-by-word reading.

    Args:
        entry: the event's ABI entry.
        columns: per store column in order, (source, conversion): source an input name or one of
            ``@block_number``, ``@log_index``, ``@tx_hash``, ``@contract``, or ``=N`` for the
            integer constant N; conversion ``""``
            (as decoded), ``hex`` (bytes to 0x-hex text), ``bytes`` (a hash or address in the
            store's form, ``schema.Hex``: its bytes, the all-zero value as no bytes; a transaction
            hash or contract is the log's own bytes) or ``text`` (NUL-padded ASCII to text).
    """
    topic_at: dict[str, tuple[str, int]] = {}
    data_at: dict[str, tuple[str, int]] = {}
    n_topics = 1
    for param in entry["inputs"]:
        if param["indexed"]:
            topic_at[param["name"]] = (canonical_type(param), n_topics)
            n_topics += 1
        else:
            data_at[param["name"]] = (canonical_type(param), len(data_at))
    wanted = {source: convert for source, convert in columns}
    fmt = ">"
    names: list[str] = []
    pads: list[str] = []
    value_of: dict[str, str] = {}
    slow_value_of: dict[str, str] = {}
    for name, (t, i) in data_at.items():
        f, variables, expression, padding = _word_layout(t, i, wanted.get(name, ""))
        fmt += f
        names += variables
        pads += padding
        value_of[name] = expression
        slow_value_of[name] = _slow_expression(t, i, wanted.get(name, ""))
    parts: list[str] = []
    slow_parts: list[str] = []
    hex_tx = False
    for source, convert in columns:
        if source in PROVENANCE:
            expr = slow = PROVENANCE[source]
        elif source in PROVENANCE_HEX and convert == "bytes":
            expr = slow = _stored(PROVENANCE_HEX[source], 32 if source == "@tx_hash" else 20)
        elif source == "@tx_hash":
            hex_tx = True
            expr, slow = "c[1]", f"'0x' + {PROVENANCE_HEX[source]}.hex()"
        elif source == "@contract":
            expr, slow = (
                "(_addresses.get(log.address) or _address_hex(log.address))",
                f"'0x' + {PROVENANCE_HEX[source]}.hex()",
            )
        elif source.startswith("="):  # a constant (a column no log field fills)
            expr = slow = repr(int(source[1:]))
        elif source in topic_at:
            t, i = topic_at[source]
            expr = slow = _topic_expression(t, f"topics[{i}]", convert)
        elif source in data_at:
            expr, slow = value_of[source], slow_value_of[source]
        else:
            raise ValueError(f"event {entry['name']} has no input {source!r}")
        parts.append(expr)
        slow_parts.append(slow)
    size = 32 * len(data_at)
    check = (
        f"    if len(topics) != {n_topics} or len(data) < {size}:\n"
        f"        raise ValueError('malformed {entry['name']} log')\n"
    )
    unpack = f"    ({', '.join(names)},) = _unpack(data)\n" if names else ""
    guard = f"    if {' or '.join(pads)}:\n        return _slow(log)\n" if pads else ""
    code = (
        "def _slow(log):\n    topics = log.topics\n    data = log.data\n"
        f"    return ({', '.join(slow_parts)},)\n\n"
        "def row(log):\n    topics = log.topics\n    data = log.data\n"
        f"{check}{unpack}{guard}"
        # The logs of one transaction share one hash object: hex it once (a local pair, so
        # threads sharing this function never mix hashes).
        + (
            "    c = _last_tx[0]\n"
            "    if c[0] is not log.tx_hash:\n"
            "        c = _last_tx[0] = (log.tx_hash, '0x' + log.tx_hash.hex())\n"
            if hex_tx
            else ""
        )
        + f"    return ({', '.join(parts)},)\n"
    )
    namespace: dict[str, Any] = {
        "_string": _string,
        "_from_bytes": int.from_bytes,
        "_unpack": struct.Struct(fmt).unpack_from,
        **{f"_Z{n}": bytes(n) for n in range(1, 33)},
        "_last_tx": [(None, "")],
        "_addresses": {},
    }

    def _address_hex(address: bytes) -> str:
        text = namespace["_addresses"][address] = "0x" + address.hex()
        return text

    namespace["_address_hex"] = _address_hex
    # The generated source comes from the compiled ABI only (no names reach it), so exec is safe;
    # a generated function saves a call and a dict per value (the point of fusing).
    exec(compile(code, f"<fused {entry['name']}>", "exec"), namespace)
    return namespace["row"]  # type: ignore[no-any-return]


def _slow_expression(abi_type: str, i: int, convert: str) -> str:
    """Word-by-word reading of data word ``i`` (the reference the struct reading equals)."""
    word = f"data[{32 * i} : {32 * i + 32}]"
    if abi_type == "string":
        return f"_string(data, {32 * i})"
    return _topic_expression(abi_type, word, convert)
