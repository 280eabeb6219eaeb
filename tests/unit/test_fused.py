"""The fused decode+map of the hot events gives the same row as decoding with eth-abi and mapping
field by field (the shape the mapper built before the fused path), on random events."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from hypothesis import given, settings
from hypothesis import strategies as st

from ipledger.chain.backend import RawLog
from ipledger.chain.compiled import canonical_type, load, topic0
from ipledger.ledger import schema
from ipledger.ledger.decode import fused_row
from ipledger.ledger.mapper import FUSED, Mapper
from tests.unit.test_decode import _strategy

LEDGER = bytes.fromhex("11" * 20)
REGISTRY = bytes.fromhex("22" * 20)
HOT = [(c, e) for c in ("IPLedger",) for e in load(c).abi if e["type"] == "event" and e["name"] in FUSED]


def _text(raw: bytes) -> str:
    return raw.rstrip(b"\0").decode("ascii", errors="replace")


def _reference(name: str, ev: dict[str, Any], log: RawLog) -> tuple[str, dict[str, Any]]:
    """The mapping written out field by field, as the mapper had it before fusing."""
    h = lambda b: "0x" + bytes(b).hex()  # noqa: E731
    low = lambda a: a.lower()  # noqa: E731
    prov = {
        "block_number": log.block_number,
        "log_index": log.log_index,
        "tx_hash": h(log.tx_hash),
        "contract": h(log.address),
    }
    if name == "TxRecorded":
        return "transactions", {
            "record_id": ev["recordId"], "asset_id": h(ev["assetId"]), "kind": ev["kind"], "seller": low(ev["from"]),
            "buyer": low(ev["to"]), "date": ev["date"], "currency": _text(ev["currency"]), "amount": ev["amount"],
            "royalty_bps": ev["royaltyBps"], "exclusivity": ev["exclusivity"], "territory": _text(ev["territory"]),
            "term_end": ev["termEnd"], "ref": ev["ref"], "doc_hash": h(ev["docHash"]), "recorder": low(ev["recorder"]),
            "consent": 0, **prov,
        }  # fmt: skip
    return "assets", {
        "asset_id": h(ev["assetId"]), "record_id": ev["recordId"], "registry_number": ev["registryNumber"],
        "jurisdiction": _text(ev["jurisdiction"]), "kind": ev["kind"], "class_code": _text(ev["classCode"]),
        "filing_date": ev["filingDate"], "grant_date": ev["grantDate"], "expiry_date": ev["expiryDate"],
        "initial_status": ev["status"], "initial_owner": low(ev["owner"]), "metadata_hash": h(ev["metadataHash"]),
        "registrar": low(ev["registrar"]), **prov,
    }  # fmt: skip


def _random_log(event: dict[str, Any], data: st.DataObject) -> tuple[RawLog, dict[str, Any]]:
    indexed = [p for p in event["inputs"] if p["indexed"]]
    plain = [p for p in event["inputs"] if not p["indexed"]]
    idx_values = [data.draw(_strategy(canonical_type(p))) for p in indexed]
    plain_values = [data.draw(_strategy(canonical_type(p))) for p in plain]
    topics = tuple(abi_encode([canonical_type(p)], [v]) for p, v in zip(indexed, idx_values, strict=True))
    payload = abi_encode([canonical_type(p) for p in plain], plain_values)
    ev = dict(zip([p["name"] for p in plain], abi_decode([canonical_type(p) for p in plain], payload), strict=True))
    for p, t in zip(indexed, topics, strict=True):
        ev[p["name"]] = abi_decode([canonical_type(p)], t)[0]
    block, index = data.draw(st.integers(0, 2**40)), data.draw(st.integers(0, 5000))
    tx_hash = data.draw(st.binary(min_size=32, max_size=32))
    log = RawLog(LEDGER, (topic0(event), *topics), payload, block, b"\1" * 32, tx_hash, 0, index)
    return log, ev


@pytest.mark.parametrize("event", [e for _c, e in HOT], ids=[e["name"] for _c, e in HOT])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_fused_row_equals_decode_then_map(event: dict[str, Any], data: st.DataObject) -> None:
    log, ev = _random_log(event, data)
    table, want = _reference(event["name"], ev, log)
    mapper = Mapper(LEDGER, REGISTRY)
    got = mapper.rows([log])
    assert list(got) == [table]
    assert got[table] == [want]
    # The store gets the same values as a tuple in the table's column order, hashes and addresses
    # already in their stored form: what the column type's bind processor makes of the hex.
    cols = list(schema.metadata.tables[table].columns)
    stored = [
        c.type.process_bind_param(want[c.name], None) if isinstance(c.type, schema.Hex) else want[c.name] for c in cols
    ]
    assert mapper.store_rows([log])[table] == [tuple(stored)]


def test_fused_row_rejects_a_malformed_log() -> None:
    event = next(e for _c, e in HOT if e["name"] == "TxRecorded")
    table, spec = FUSED["TxRecorded"]
    row = fused_row(event, [spec.get(c.name, ("@block_number", "")) for c in schema.metadata.tables[table].columns])
    good = RawLog(LEDGER, (topic0(event), b"\0" * 32, b"\0" * 32, b"\0" * 32), b"\0" * 32 * 12, 1, b"", b"", 0, 0)
    assert len(row(good)) == len(schema.metadata.tables[table].columns)
    with pytest.raises(ValueError, match="malformed"):
        row(good._replace(data=b"\0" * 32 * 11))
    with pytest.raises(ValueError, match="malformed"):
        row(good._replace(topics=good.topics[:3]))


def test_fused_spec_names_missing_inputs() -> None:
    event = next(e for _c, e in HOT if e["name"] == "TxRecorded")
    with pytest.raises(ValueError, match="no input 'nope'"):
        fused_row(event, [("nope", "")])


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_fused_row_reads_whole_words_when_padding_is_not_zero(data: st.DataObject) -> None:
    """Integer words whose padding is not zero (the contracts never emit them) are read whole,
    exactly as the word-by-word decoder reads them."""
    event = next(e for _c, e in HOT if e["name"] == "TxRecorded")
    log, _ev = _random_log(event, data)
    plain = [p for p in event["inputs"] if not p["indexed"]]
    i = data.draw(st.sampled_from([k for k, p in enumerate(plain) if canonical_type(p).startswith("uint")]))
    dirty = bytearray(log.data)
    dirty[32 * i + data.draw(st.integers(0, 15))] |= data.draw(st.integers(1, 255))
    log = log._replace(data=bytes(dirty))
    mapper = Mapper(LEDGER, REGISTRY)
    (dec,) = [d for d in mapper._decoders[LEDGER].values() if d.name == "TxRecorded"]
    want = _reference("TxRecorded", dec.decode(log.topics, log.data), log)[1]
    assert mapper.rows([log])["transactions"] == [want]


def test_fused_rows_keep_each_logs_own_transaction_hash_and_contract() -> None:
    event = next(e for _c, e in HOT if e["name"] == "TxRecorded")
    words = b"\0" * 32 * 12
    tx_a, tx_b = b"\xaa" * 32, b"\xbb" * 32
    topics = (topic0(event), b"\0" * 31 + b"\1", b"\2" * 32, b"\0" * 31 + b"\2")
    logs = [
        RawLog(LEDGER, topics, words, 1, b"", tx, 0, i) for i, tx in enumerate([tx_a, tx_a, tx_b, bytes(tx_a), tx_b])
    ]
    mapper = Mapper(LEDGER, REGISTRY)
    rows = mapper.rows(logs)["transactions"]
    assert [r["tx_hash"] for r in rows] == ["0x" + t.hex() for t in (tx_a, tx_a, tx_b, tx_a, tx_b)]
    assert {r["contract"] for r in rows} == {"0x" + LEDGER.hex()}
    assert mapper.rows([logs[0]._replace(address=REGISTRY)]) == {}  # TxRecorded only from the ledger


def test_fused_rows_give_the_store_bytes_and_the_zero_value_empty() -> None:
    """Hashes and addresses reach the store as bytes (the zero hash or address as no bytes), and
    ``Mapper.rows`` shows them as 0x-hex, the zero value in full, as the store reads them back."""
    event = next(e for _c, e in HOT if e["name"] == "TxRecorded")
    asset, seller = b"\x07" * 32, b"\x09" * 20
    topics = (topic0(event), (5).to_bytes(32, "big"), asset, (3).to_bytes(32, "big"))
    plain = [canonical_type(p) for p in event["inputs"] if not p["indexed"]]
    given_values = {"from": "0x" + seller.hex(), "to": "0x" + bytes(20).hex()}
    zero = {"address": "0x" + bytes(20).hex(), "bytes32": bytes(32), "bytes3": bytes(3), "bytes2": bytes(2)}
    names = [p["name"] for p in event["inputs"] if not p["indexed"]]
    data = abi_encode(plain, [given_values.get(n, zero.get(t, 0)) for n, t in zip(names, plain, strict=True)])
    log = RawLog(LEDGER, topics, data, 7, b"", b"\xaa" * 32, 0, 1)
    mapper = Mapper(LEDGER, REGISTRY)
    (row,) = mapper.store_rows([log])["transactions"]
    at = {c.name: i for i, c in enumerate(schema.transactions.columns)}
    assert row[at["asset_id"]] == asset and row[at["seller"]] == seller
    assert row[at["buyer"]] == b"" and row[at["doc_hash"]] == b""
    assert row[at["tx_hash"]] == b"\xaa" * 32 and row[at["contract"]] == LEDGER
    (shown,) = mapper.rows([log])["transactions"]
    assert shown["asset_id"] == "0x" + asset.hex() and shown["seller"] == "0x" + seller.hex()
    assert shown["buyer"] == "0x" + "00" * 20 and shown["doc_hash"] == "0x" + "00" * 32
