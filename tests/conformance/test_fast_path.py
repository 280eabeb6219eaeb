"""The batch fast path (assembly) must accept, reject and emit exactly like the checked path."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipledger.chain import Status, TxInput, TxKind, deploy, to_timestamp
from ipledger.chain.client import LedgerClient
from ipledger.chain.embedded import EmbeddedBackend
from ipledger.errors import ContractRevert
from tests.conformance.conftest import DAY, FILED, Env, now

_backend = EmbeddedBackend(None)
_deployment = deploy(_backend)
_client = LedgerClient(_backend, _deployment.ledger, _deployment.registry)
_env = Env(_backend, _client, _backend.accounts())
# One asset in every status: the fast path must treat each exactly like the checked path.
_assets = [_env.registered(f"ZL20{i:09d}.1") for i in range(3)]
_client.set_status(_assets[2], Status.LAPSED, to_timestamp("2022-01-01"))
_assets.append(_env.registered("ZL2000000009.1", status=Status.PENDING))
for _i, _status in enumerate(
    (Status.INVALIDATED, Status.EXPIRED, Status.OWNERSHIP_DISPUTE, Status.INFRINGEMENT_DISPUTE)
):
    _assets.append(_env.registered(f"ZL20000000{_i + 10}.1"))
    _client.set_status(_assets[-1], _status, to_timestamp("2022-01-01"))
assert sorted(_client.asset_state(a).status for a in _assets[1:]) == list(range(1, 8))
_base = _backend.snapshot()

accounts = st.sampled_from([_env.accounts[1], _env.accounts[2], _env.accounts[3], b"\0" * 20])
records = st.builds(
    TxInput,
    asset_id=st.sampled_from([*_assets, b"\x99" * 32]),
    kind=st.sampled_from([TxKind.ASSIGNMENT, TxKind.LICENCE, TxKind.PLEDGE, TxKind.AUCTION, 0, 6]),
    seller=accounts,
    buyer=accounts,
    date=st.sampled_from([FILED - DAY, FILED, to_timestamp("2021-01-01"), now() + 5 * DAY]),
    currency=st.sampled_from(["CNY", "USD", "cny", "C@Y", "XYZ"]),
    amount=st.sampled_from([0, 1, 10**12, 2**128 - 1]),
    royalty_bps=st.sampled_from([0, 250, 10_000, 10_001]),
    exclusivity=st.sampled_from([0, 1, 2, 3]),
    territory=st.sampled_from(["CN", "WW", "US"]),
    term_end=st.sampled_from([0, FILED, to_timestamp("2030-01-01")]),
    ref=st.sampled_from([0, 0, 0, 3]),
    doc_hash=st.binary(min_size=32, max_size=32),
)


def _run(txs: list[TxInput], batch: bool) -> tuple[str, list[tuple[bytes, ...]], bytes, list[object]]:
    _backend.revert(_base)
    outcome = "ok"
    try:
        if batch:
            _client.record_batch(txs)
        else:
            for tx in txs:
                _client.record(tx)
    except ContractRevert as exc:
        # The block time in FutureDate differs between the two runs' blocks: compare the rest.
        outcome = f"{exc.error}{sorted((k, v) for k, v in exc.args_by_name.items() if k != 'blockTime')}"
    logs = _backend.get_logs(0, _backend.head(), [_client.ledger_address])
    # Owner, status and the latest-transfer word, and every record's flags (kind, void, tag).
    owners = [(_client.asset_state(a), _client.asset_history(a)) for a in _assets]
    owners += [_client.record_info(i) for i in range(1, _client.record_count() + 1)]
    return outcome, [(*log.topics, log.data) for log in logs], _client.accumulator(), owners


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records, min_size=1, max_size=4))
def test_fast_path_matches_checked_path(txs: list[TxInput]) -> None:
    batch_outcome, batch_logs, batch_acc, batch_owners = _run(txs, batch=True)
    single_outcome, single_logs, single_acc, single_owners = _run(txs, batch=False)
    if batch_outcome == "ok":
        assert single_outcome == "ok"
        assert batch_logs == single_logs
        assert batch_acc == single_acc
        assert batch_owners == single_owners
    else:
        # The batch reverts whole; the singles stop at the same first bad record, same error.
        assert single_outcome == batch_outcome


# Word index in the TxInput struct and the dirty bit just outside each narrow field's width
# (bytesN fields are left aligned, so their dirty bits sit below them).
_NARROW = {
    "kind": (1, 8),
    "from": (2, 160),
    "to": (3, 160),
    "date": (4, 40),
    "currency": (5, 231),
    "amount": (6, 128),
    "royaltyBps": (7, 16),
    "exclusivity": (8, 8),
    "territory": (9, 239),
    "termEnd": (10, 40),
    "ref": (11, 64),
}


def _dirty(tx: TxInput, word: int, bit: int, batch: bool) -> tuple[int, list[tuple[bytes, ...]], bytes]:
    """Send ``tx`` as raw calldata with one dirty bit; return (status, logs, accumulator)."""
    _backend.revert(_base)
    abi = _client.ledger_abi
    if batch:
        call = abi.encode_call("recordBatch", [tx.as_tuple()])
    else:
        call = abi.encode_call("recordTransaction", tx.as_tuple())
    data = bytearray(call)
    start = 4 + (64 if batch else 0) + 32 * word  # batch: array offset and length come first
    value = int.from_bytes(data[start : start + 32], "big") | (1 << bit)
    data[start : start + 32] = value.to_bytes(32, "big")
    receipt = _backend.transact(_env.accounts[0], _client.ledger_address, bytes(data))
    logs = _backend.get_logs(0, _backend.head(), [_client.ledger_address])
    return receipt.status, [(*log.topics, log.data) for log in logs], _client.accumulator()


def test_dirty_high_bits_are_refused_alike() -> None:
    """Raw calldata with a dirty bit in any narrow field: both paths refuse, nothing is written."""
    good = {
        TxKind.LICENCE: _env.tx(_assets[0]),
        TxKind.ASSIGNMENT: _env.tx(_assets[0], TxKind.ASSIGNMENT, royalty_bps=0, ref=0),
    }
    for kind, tx in good.items():
        clean = _dirty(tx, 12, 0, batch=True)  # the doc hash is a full word: any bit is clean
        assert clean[0] == 1, kind
        for name, (word, bit) in _NARROW.items():
            batch, single = _dirty(tx, word, bit, batch=True), _dirty(tx, word, bit, batch=False)
            assert batch[0] == single[0] == 0, f"{kind.name} {name}: a dirty field was accepted"
            assert batch[1:] == single[1:], f"{kind.name} {name}: the paths differ"


def test_pending_flags_across_slots_and_releases_in_the_batch() -> None:
    """A batch of 40 records spans three 16-record flag slots (the fast path writes a slot's
    flags once it leaves it) and releases pledges of the same batch (the checked path reads
    their flags, so the pending ones must be written first): same logs, accumulator, owners and
    flags as the records one by one, and the released pledges marked released."""
    _backend.revert(_base)
    first = _client.record_count() + 1
    txs: list[TxInput] = []
    for i in range(40):
        if i % 7 == 3:
            txs.append(_env.tx(_assets[i % 2], TxKind.PLEDGE, doc_hash=bytes([i]) * 32))
        elif i % 7 == 5:
            txs.append(replace(txs[i - 2], kind=TxKind.RELEASE, amount=0, ref=first + i - 2))
        else:
            txs.append(_env.tx(_assets[i % 2], doc_hash=bytes([i]) * 32))
    batch, single = _run(txs, batch=True), _run(txs, batch=False)
    assert batch[0] == "ok", batch[0]
    assert batch == single
    infos = batch[3][len(_assets) :]
    assert len(infos) == first - 1 + 40
    for i, tx in enumerate(txs):
        released = tx.kind == TxKind.PLEDGE and i + 2 < len(txs)
        assert infos[first - 1 + i] == (int(tx.kind), False, released), i
