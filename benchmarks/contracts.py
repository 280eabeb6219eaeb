"""Gas from receipts on the embedded chain, the floor per record, and recording throughput."""

from __future__ import annotations

import itertools
import statistics
import time
from dataclasses import replace
from typing import Any

from eth_abi import encode
from eth_account import Account

from benchmarks._chain import licences, setup
from benchmarks._opcodes import FLOOR_LOOP_OPCODES, floor_initcode, trace
from ipledger.chain import AnchorInput, AnchorKind, AssetInput, AssetKind, TxKind, to_timestamp
from ipledger.chain.client import LedgerClient
from ipledger.chain.consent import consent_nonce, pack_consents, sign_record
from ipledger.chain.embedded import EmbeddedBackend

TX_STRUCT = "(bytes32,uint8,address,address,uint40,bytes3,uint128,uint16,uint8,bytes2,uint40,uint64,bytes32)"
# A fixed deadline (gas stays deterministic) of the same byte length as what `ipledger sign`
# writes (now + 30 days: five bytes, the first zero).
DEADLINE = to_timestamp("2099-01-01")
_RUNS = itertools.count(1)  # one nonce base per signing run


def _consented(client: LedgerClient, txs: list, fresh: bool, seed: int) -> list[tuple]:  # type: ignore[type-arg]
    """Each licence with its seller's and buyer's signatures. ``fresh``: 2 signers new to the
    contract a record; else the same 2 signers throughout. Nonces are the recorder's, counted up
    from a base per call (what `ipledger sign` does), so 256 of them share a bitmap word."""
    chain_id, ledger = client.backend.chain_id, client.ledger_address
    keys = [Account.from_key((seed * 1_000_003 + i + 1).to_bytes(32, "big")) for i in range(2 * len(txs))]
    base = next(_RUNS) << 32
    out = []
    for i, tx in enumerate(txs):
        a, b = (keys[2 * i], keys[2 * i + 1]) if fresh else (keys[0], keys[1])
        na, nb = consent_nonce(client.sender, base + 2 * i), consent_nonce(client.sender, base + 2 * i + 1)
        t = replace(tx, seller=a.address, buyer=b.address)
        out.append(
            (
                t,
                [
                    sign_record(t, a, na, DEADLINE, chain_id, ledger),
                    sign_record(t, b, nb, DEADLINE, chain_id, ledger),
                ],
            )
        )
    return out


def _calldata_gas(data: bytes) -> int:
    return sum(4 if b == 0 else 16 for b in data)


# The record's fields at their own widths (asset id, kind, seller, buyer, date, currency, amount,
# royalty, exclusivity, territory, term end, ref, document hash): the packed calldata a
# hand-decoded recorder could take instead of the 13-word ABI struct (decision 0112, addendum).
_PACKED_WIDTHS = (32, 1, 20, 20, 5, 3, 16, 2, 1, 2, 5, 8, 32)
# The TxRecorded log's data fields at their own widths (the record's fields less asset id and
# kind, which are topics, plus the recorder's address).
_PACKED_LOG_BYTES = sum(_PACKED_WIDTHS[2:]) + 20


def _packed(fields: tuple[Any, ...]) -> bytes:
    """One record's ABI tuple packed at its fields' own widths (addresses as 20 bytes)."""
    out = bytearray()
    for value, width in zip(fields, _PACKED_WIDTHS, strict=True):
        if isinstance(value, str):  # a checksummed address
            value = bytes.fromhex(value[2:])
        out += value.ljust(width, b"\0") if isinstance(value, bytes) else int(value).to_bytes(width, "big")
    return bytes(out)


def _log_gas(topics: int, data_bytes: int) -> int:
    return 375 + 375 * topics + 8 * data_bytes


def _packed_forms(batch_calldata: bytes, packed_calldata: bytes, n: int) -> dict[str, int]:
    """Calldata and log gas a record in the present form and in packed forms (decision 0112):
    priced by the gas schedule on the same records, not run on a contract."""
    abi_log = _log_gas(4, 12 * 32)
    bytes_log = _log_gas(4, 64 + -(-_PACKED_LOG_BYTES // 32) * 32)  # offset, length, padded blob
    return {
        "abi_calldata": round(_calldata_gas(batch_calldata) / n),
        "packed_calldata": round(_calldata_gas(packed_calldata) / n),
        "abi_log": abi_log,
        "bytes_log": bytes_log,
        "raw_blob_log": _log_gas(4, _PACKED_LOG_BYTES),
    }


def _breakdown(gas: dict[str, int], total: int, calldata: float) -> dict[str, int]:
    """Gas of a 100-record batch per record by cost: calldata, the transaction's base 21,000,
    storage reads and writes, the log, keccak, and every other opcode."""
    parts = {
        "calldata": calldata,
        "tx_base": 21_000 / 100,
        "sload": gas.get("SLOAD", 0) / 100,
        "sstore": gas.get("SSTORE", 0) / 100,
        "log": gas.get("LOG4", 0) / 100,
        "keccak": gas.get("SHA3", 0) / 100,
    }
    parts["other_opcodes"] = total / 100 - sum(parts.values())
    return {k: round(v) for k, v in parts.items()}


def run(throughput: bool = True) -> dict[str, Any]:
    b = EmbeddedBackend(None)
    client, assets = setup(b, 600)
    owner = b.accounts()[1]

    fresh = AssetInput("CN", AssetKind.INVENTION, "ZL2016BENCH.1", "H04L9/32", to_timestamp("2016-01-01"), owner)
    gas_register = client.register_asset(fresh).gas_used

    # Singles: 64 in a row, so that 4 of them open a new 16-record flag slot (20k gas each).
    singles = [client.record(tx).gas_used for tx in licences(client, assets, 64, seed=2)]
    sales = []
    for a in assets[:32]:
        sales.append(
            client.record(
                licences(client, [a], 1, seed=3)[0].__class__(
                    a.asset_id, TxKind.ASSIGNMENT, owner, b.accounts()[3], to_timestamp("2021-01-01"), "CNY", 123_456_00
                )
            ).gas_used
        )
    # Pledges (64 in a row, like the licences) and the release of each: the pledge keeps its
    # parties for the release (decision 0091).
    pledged = [replace(tx, kind=TxKind.PLEDGE, royalty_bps=0) for tx in licences(client, assets, 64, seed=14)]
    pledge_ids = []
    pledges = []
    for tx in pledged:
        res = client.record(tx)
        pledge_ids.append(res.first_record_id)
        pledges.append(res.gas_used)
    releases = [
        client.record(replace(tx, kind=TxKind.RELEASE, amount=0, ref=pid)).gas_used
        for tx, pid in zip(pledged, pledge_ids, strict=True)
    ]
    batch100 = licences(client, assets, 100, seed=4)
    with trace(b) as traced:
        gas_batch = client.record_batch(batch100).gas_used
    batch_calldata = b"".join(encode([TX_STRUCT], [tx.as_tuple()]) for tx in batch100)
    breakdown = _breakdown(traced.gas, gas_batch, _calldata_gas(batch_calldata) / 100)
    forms = _packed_forms(batch_calldata, b"".join(_packed(tx.as_tuple()) for tx in batch100), 100)
    # The floor as a contract: the same 100 records' calldata, the same logs, nothing else.
    floor_address = b.transact(b.accounts()[0], None, floor_initcode()).contract_address
    assert floor_address is not None
    with trace(b) as traced_floor:
        gas_floor_contract = b.transact(b.accounts()[0], floor_address, batch_calldata).gas_used

    # Party consent: 100 licences each signed by both parties, first with 200 signers new to
    # the contract, then with 2 returning signers.
    fresh = _consented(client, licences(client, assets, 100, seed=5), fresh=True, seed=1)
    gas_consent_fresh = client.record_batch_with_consent(fresh).gas_used
    client.record_batch_with_consent(_consented(client, licences(client, assets, 1, seed=6), fresh=False, seed=2))
    returning = _consented(client, licences(client, assets, 100, seed=7), fresh=False, seed=2)
    gas_consent_returning = client.record_batch_with_consent(returning).gas_used
    single_consent = _consented(client, licences(client, assets, 1, seed=8), fresh=True, seed=3)[0]
    gas_single_consent = client.record_with_consent(*single_consent).gas_used

    # Corrections: amend and void a licence, void the latest sale.
    lic = client.record(licences(client, assets, 1, seed=9)[0])
    amended = licences(client, assets, 1, seed=9)[0]
    gas_amend = client.amend(replace(amended, amount=amended.amount + 1, ref=lic.first_record_id)).gas_used
    amend_id = client.record_count()
    gas_void = client.void(amend_id, amended.asset_id).gas_used
    sold = assets[40]
    sale = client.record(
        licences(client, [sold], 1, seed=10)[0].__class__(
            sold.asset_id, TxKind.ASSIGNMENT, owner, b.accounts()[4], to_timestamp("2021-02-01"), "CNY", 99_00
        )
    )
    gas_void_assignment = client.void(sale.first_record_id, sold.asset_id, restored_owner=owner).gas_used
    head = b.head()
    anchors = [
        client.anchor(
            AnchorInput(
                a.asset_id,
                AnchorKind.VALUATION,
                bytes([i + 1]) * 32,
                head,
                to_timestamp("2024-01-01"),
                "CNY",
                10**9,
                8 * 10**8,
                12 * 10**8,
            )
        ).gas_used
        for i, a in enumerate(assets[:5])
    ]

    # Floor: calldata of one record inside a batch plus the log it must emit
    # (375 base + 4 topics x 375 + 8 gas per data byte, 12 data words).
    one = encode([TX_STRUCT], [batch100[0].as_tuple()])
    floor = _calldata_gas(one) + 375 + 4 * 375 + 8 * 12 * 32
    # Floor of two consents on top: the record's packed consents in calldata (role byte, then
    # per signature counter, deadline, length and 65 bytes), and per signature ecrecover
    # (3,000), its log (3 topics, 4 data words + the signature padded to 96 bytes) and its bit in
    # the spent-nonce bitmap: a warm read and write of a word already written in the transaction
    # (100 + 100), and the word's first write (22,100) shared by the 256 nonces it holds.
    consent_calldata = _calldata_gas(pack_consents(*fresh[0]))
    consent_floor = floor + consent_calldata + 2 * (3_000 + 375 + 3 * 375 + 8 * (4 * 32 + 96) + 200 + 22_100 // 256)

    # Throughput: 5,000 records in batches of 500, median of three runs.
    rates = []
    for seed in (11, 12, 13) if throughput else ():
        txs = licences(client, assets, 5000, seed=seed)
        start = time.perf_counter()
        for _ in client.record_many(txs, batch_size=500):
            pass
        rates.append(len(txs) / (time.perf_counter() - start))
    b.close()
    return {
        "gas_register_asset": gas_register,
        "gas_record_single": int(statistics.median(singles)),
        "gas_record_single_max": max(singles),
        "gas_record_single_assignment": int(statistics.median(sales)),
        "gas_record_single_pledge": int(statistics.median(pledges)),
        "gas_record_single_release": int(statistics.median(releases)),
        "gas_record_batch100_per_record": round(gas_batch / 100),
        "gas_anchor_valuation": int(statistics.median(anchors)),
        "gas_floor_record": floor,
        "gas_floor_contract_per_record": round((gas_floor_contract - 21_000) / 100),
        "gas_record_batch100_breakdown": breakdown,
        "gas_record_forms_per_record": forms,
        "opcodes_per_record_batch100": round(traced.opcodes / 100),
        "opcodes_floor_record": FLOOR_LOOP_OPCODES,
        "opcodes_floor_contract_per_record": round(traced_floor.opcodes / 100),
        "gas_record_batch100_consent2_per_record": round(gas_consent_fresh / 100),
        "gas_record_batch100_consent2_returning_per_record": round(gas_consent_returning / 100),
        "gas_record_single_consent2": gas_single_consent,
        "gas_floor_record_consent2": consent_floor,
        "gas_amend": gas_amend,
        "gas_void": gas_void,
        "gas_void_assignment": gas_void_assignment,
        "embedded_records_per_s": round(statistics.median(rates)) if rates else None,
        "embedded_records_per_s_runs": [round(r) for r in rates],
        "note": (
            "single-record gas is the median of 64 consecutive records; "
            "1 in 16 opens a new flag slot (+20k, see _max); consent2 = seller and buyer sign each "
            "record (EIP-712), 'consent2' with 200 signers new to the contract, '_returning' with 2 "
            "signers seen before; consent nonces are the recorder's, spent in a shared bitmap (decision 0090); "
            "consents take no record id and travel packed (decision 0091); the consent floor counts the packed "
            "calldata, ecrecover, three-topic logs and the bitmap; a pledge keeps its parties' hash in a word "
            "of its own for its release (decision 0091); "
            "opcodes are counted on the embedded chain for the whole batch transaction over 100 (decision 0112); "
            "the floor contract emits the same logs from the same calldata and does nothing else; "
            "gas_record_forms_per_record prices the same records' calldata and log in packed forms by the "
            "gas schedule (not run on a contract; decision 0112, addendum)"
        ),
    }
