"""The batch fast path (assembly) must accept, reject and emit exactly like the checked path."""

from __future__ import annotations

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
_assets = [_env.registered(f"ZL20{i:09d}.1") for i in range(3)]
_client.set_status(_assets[2], Status.LAPSED, to_timestamp("2022-01-01"))
_base = _backend.snapshot()

accounts = st.sampled_from([_env.accounts[1], _env.accounts[2], _env.accounts[3], b"\0" * 20])
records = st.builds(
    TxInput,
    asset_id=st.sampled_from([*_assets, b"\x99" * 32]),
    kind=st.sampled_from([TxKind.ASSIGNMENT, TxKind.LICENCE, TxKind.PLEDGE, TxKind.AUCTION, 0, 6]),
    seller=accounts,
    buyer=accounts,
    date=st.sampled_from([FILED - DAY, FILED, to_timestamp("2021-01-01"), now() + 5 * DAY]),
    currency=st.sampled_from(["CNY", "USD", "cny", "C@Y"]),
    amount=st.sampled_from([0, 1, 10**12, 2**128 - 1]),
    royalty_bps=st.sampled_from([0, 250, 10_000, 10_001]),
    exclusivity=st.sampled_from([0, 1, 2, 3]),
    territory=st.sampled_from(["CN", "WW", "US"]),
    term_end=st.sampled_from([0, FILED, to_timestamp("2030-01-01")]),
    ref=st.sampled_from([0, 0, 0, 3]),
    doc_hash=st.binary(min_size=32, max_size=32),
)


def _run(txs: list[TxInput], batch: bool) -> tuple[str, list[tuple[bytes, ...]], bytes, list[bytes]]:
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
    owners = [_client.asset_state(a).owner for a in _assets]
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
