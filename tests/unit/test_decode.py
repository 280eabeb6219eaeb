"""The fast log decoder gives exactly what eth-abi gives, on random events of every ABI event."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from hypothesis import given, settings
from hypothesis import strategies as st

from ipledger.chain.compiled import CONTRACTS, canonical_type, load
from ipledger.ledger.decode import decoders


def _strategy(t: str) -> st.SearchStrategy[Any]:
    if t.endswith("[]"):
        return st.lists(_strategy(t[:-2]), max_size=4)
    if t.startswith("uint"):
        return st.integers(0, 2 ** int(t[4:] or 256) - 1)
    if t.startswith("int"):
        bits = int(t[3:] or 256)
        return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    if t == "address":
        return st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
    if t == "bool":
        return st.booleans()
    if t == "string":
        return st.text(max_size=40)
    if t == "bytes":
        return st.binary(max_size=100)
    if t.startswith("bytes") and t != "bytes":
        n = int(t[5:])
        return st.binary(min_size=n, max_size=n)
    raise AssertionError(t)


EVENTS = [(c, e) for c in CONTRACTS for e in load(c).abi if e["type"] == "event"]


def _normal(value: Any) -> Any:
    return value.lower() if isinstance(value, str) and value.startswith("0x") else value


@pytest.mark.parametrize(("contract", "event"), EVENTS, ids=[f"{c}.{e['name']}" for c, e in EVENTS])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_decoder_matches_eth_abi(contract: str, event: dict[str, Any], data: st.DataObject) -> None:
    dec = decoders(load(contract))
    indexed = [p for p in event["inputs"] if p["indexed"]]
    plain = [p for p in event["inputs"] if not p["indexed"]]
    idx_values = [data.draw(_strategy(canonical_type(p))) for p in indexed]
    plain_values = [data.draw(_strategy(canonical_type(p))) for p in plain]
    topics = tuple(abi_encode([canonical_type(p)], [v]) for p, v in zip(indexed, idx_values, strict=True))
    payload = abi_encode([canonical_type(p) for p in plain], plain_values)
    d = next(x for x in dec.values() if x.name == event["name"])
    got = d.decode((d.topic0, *topics), payload)
    expected_plain = abi_decode([canonical_type(p) for p in plain], payload)
    expected_idx = [abi_decode([canonical_type(p)], t)[0] for p, t in zip(indexed, topics, strict=True)]
    for p, v in zip(plain, expected_plain, strict=True):
        assert _normal(got[p["name"]]) == _normal(v), p["name"]
    for p, v in zip(indexed, expected_idx, strict=True):
        assert _normal(got[p["name"]]) == _normal(v), p["name"]
