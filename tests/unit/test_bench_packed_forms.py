"""The packed record of decision 0112's addendum keeps every field, and is priced byte by byte."""

from __future__ import annotations

from benchmarks.contracts import _PACKED_LOG_BYTES, _calldata_gas, _packed, _packed_forms

from ipledger.chain import TxKind
from ipledger.chain.records import TxInput


def test_packed_record_keeps_every_field_at_its_width() -> None:
    tx = TxInput(
        bytes(range(1, 33)),
        TxKind.LICENCE,
        "0x" + "ab" * 20,
        "0x" + "cd" * 20,
        1_700_000_000,
        "CNY",
        123_456_789,
        350,
        1,
        "CN",
        1_800_000_000,
        42,
        b"\x07" * 32,
    )
    p = _packed(tx.as_tuple())
    assert len(p) == 147
    assert p[:32] == bytes(range(1, 33)) and p[32] == int(TxKind.LICENCE)
    assert p[33:53] == b"\xab" * 20 and p[53:73] == b"\xcd" * 20
    assert int.from_bytes(p[73:78], "big") == 1_700_000_000 and p[78:81] == b"CNY"
    assert int.from_bytes(p[81:97], "big") == 123_456_789 and int.from_bytes(p[97:99], "big") == 350
    assert p[99] == 1 and p[100:102] == b"CN" and int.from_bytes(p[102:107], "big") == 1_800_000_000
    assert int.from_bytes(p[107:115], "big") == 42 and p[115:] == b"\x07" * 32
    # the log's data: every field but the two topics, plus the recorder's address
    assert _PACKED_LOG_BYTES == 147 - 33 + 20


def test_forms_price_calldata_by_its_bytes_and_logs_by_the_schedule() -> None:
    forms = _packed_forms(b"\x00" * 400 + b"\x01" * 16, b"\x01" * 147, 1)
    assert forms["abi_calldata"] == 400 * 4 + 16 * 16 == _calldata_gas(b"\x00" * 400 + b"\x01" * 16)
    assert forms["packed_calldata"] == 147 * 16
    # the measured floor's log: 375 + 4 topics x 375 + 12 words x 32 bytes x 8
    assert forms["abi_log"] == 4_947
    assert forms["raw_blob_log"] == 375 + 4 * 375 + 8 * 134
    assert forms["bytes_log"] == 375 + 4 * 375 + 8 * (64 + 160)
