"""Contract behaviour and the typed client, identical on the embedded chain and anvil."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from eth_utils import keccak

from ipledger.chain import AnchorInput, AnchorKind, ClaimInput, ClaimKind, Status, TxKind, to_timestamp
from ipledger.chain.accumulator import recompute
from ipledger.chain.codes import MAX_BATCH
from ipledger.errors import ContractRevert
from tests.conformance.conftest import DAY, FILED, Env, now


@contextlib.contextmanager
def expect_revert(name: str, **args: object) -> Iterator[None]:
    """Assert the block reverts with custom error ``name`` (and the given decoded arguments)."""
    with pytest.raises(ContractRevert) as info:
        yield
    assert info.value.error == name, f"expected {name}, got {info.value}"
    for key, value in args.items():
        assert info.value.args_by_name[key] == value, f"{name}.{key}: {info.value.args_by_name[key]!r} != {value!r}"


def _log_count(env: Env) -> int:
    return env.client.record_count()


# ------------------------------------------------------------------ assets


def test_register_asset_records_state_and_event(env: Env) -> None:
    a = env.asset()
    res = env.client.register_asset(a)
    state = env.client.asset_state(a.asset_id)
    assert state.owner == env.owner
    assert state.status == Status.ACTIVE
    assert state.kind == AssetKind_INVENTION
    assert state.filing_date == FILED
    assert res.first_record_id == 1
    assert env.client.record_count() == 1
    assert a.asset_id == keccak(b"CN" + bytes([1]) + b"ZL201810012345.6")


AssetKind_INVENTION = 1


def test_duplicate_asset_rejected(env: Env) -> None:
    asset_id = env.registered()
    with expect_revert("DuplicateAsset", assetId=asset_id):
        env.client.register_asset(env.asset())


def test_asset_validation_errors(env: Env) -> None:
    with expect_revert("InvalidKind", kind=0):
        env.client.register_asset(env.asset(kind=0))
    with expect_revert("InvalidStatus", status=9):
        env.client.register_asset(env.asset(status=9))
    with expect_revert("InvalidParty"):
        env.client.register_asset(env.asset(owner=b"\0" * 20))
    with expect_revert("FutureDate"):
        env.client.register_asset(env.asset(filing_date=now() + 30 * DAY))
    with expect_revert("InvalidDates"):
        env.client.register_asset(env.asset(grant_date=FILED - DAY))
    with expect_revert("EmptyHash"):
        env.client.register_asset(env.asset(number=""), canonicalise=False)
    assert env.client.record_count() == 0


def test_register_assets_batch(env: Env) -> None:
    assets = [env.asset(f"ZL2019{i:07d}.1") for i in range(25)]
    results = list(env.client.register_assets(assets, batch_size=10))
    assert [r.count for r in results] == [10, 10, 5]
    assert env.client.record_count() == 25
    assert all(env.client.asset_state(a.asset_id).exists for a in assets)
    with expect_revert("MalformedBatch", length=0):
        env.client._write("ledger", "registerAssets", [])


# ------------------------------------------------------------------ transactions


def test_licence_and_assignment_move_ownership(env: Env) -> None:
    asset_id = env.registered()
    env.client.record(env.tx(asset_id))
    assert env.client.asset_state(asset_id).owner == env.owner  # a licence moves nothing
    res = env.client.record(env.tx(asset_id, TxKind.ASSIGNMENT, buyer=env.accounts[3], royalty_bps=0))
    assert env.client.asset_state(asset_id).owner == env.accounts[3]
    assert env.client.record_info(res.first_record_id) == (TxKind.ASSIGNMENT, False, False)


def test_seller_must_own(env: Env) -> None:
    asset_id = env.registered()
    with expect_revert("SellerNotOwner", assetId=asset_id, owner="0x" + env.owner.hex()):
        env.client.record(env.tx(asset_id, TxKind.ASSIGNMENT, seller=env.accounts[4]))


def test_unknown_asset(env: Env) -> None:
    with expect_revert("UnknownAsset", assetId=b"\x42" * 32):
        env.client.record(env.tx(b"\x42" * 32))
    with expect_revert("UnknownAsset"):
        env.client.set_status(b"\x42" * 32, Status.LAPSED, to_timestamp("2022-01-01"))


def test_zero_amounts(env: Env) -> None:
    asset_id = env.registered()
    with expect_revert("ZeroAmount", assetId=asset_id, kind=TxKind.ASSIGNMENT):
        env.client.record(env.tx(asset_id, TxKind.ASSIGNMENT, amount=0))
    with expect_revert("ZeroAmount", kind=TxKind.LICENCE):
        env.client.record(env.tx(asset_id, amount=0, royalty_bps=0))
    env.client.record(env.tx(asset_id, amount=0, royalty_bps=500))  # a running royalty alone is fine


def test_dates(env: Env) -> None:
    asset_id = env.registered()
    with expect_revert("FutureDate"):
        env.client.record(env.tx(asset_id, date=now() + 10 * DAY))
    with expect_revert("DateBeforeFiling", filingDate=FILED):
        env.client.record(env.tx(asset_id, date=FILED - DAY))
    with expect_revert("InvalidTerm"):
        env.client.record(env.tx(asset_id, term_end=to_timestamp("2020-01-01")))


def test_field_checks(env: Env) -> None:
    asset_id = env.registered()
    with expect_revert("InvalidCurrency"):
        env.client.record(env.tx(asset_id, currency="cny"))
    with expect_revert("InvalidRoyalty", royaltyBps=10_001):
        env.client.record(env.tx(asset_id, royalty_bps=10_001))
    with expect_revert("InvalidExclusivity", exclusivity=3):
        env.client.record(env.tx(asset_id, exclusivity=3))
    with expect_revert("InvalidTerritory"):
        env.client._write("ledger", "recordTransaction", (*env.tx(asset_id).as_tuple()[:9], b"\0\0", 0, 0, b"\0" * 32))
    with expect_revert("InvalidParty"):
        env.client.record(env.tx(asset_id, buyer=b"\0" * 20))
    with expect_revert("InvalidKind", kind=9):
        env.client.record(env.tx(asset_id, kind=9))
    with expect_revert("InvalidReference", ref=7):
        env.client.record(env.tx(asset_id, ref=7))
    assert env.client.record_count() == 1


def test_status_rules(env: Env) -> None:
    asset_id = env.registered()
    env.client.set_status(asset_id, Status.OWNERSHIP_DISPUTE, to_timestamp("2022-01-01"))
    with expect_revert("AssetDisputed", status=Status.OWNERSHIP_DISPUTE):
        env.client.record(env.tx(asset_id))
    env.client.set_status(asset_id, Status.ACTIVE, to_timestamp("2022-01-15"))  # back to what it interrupted
    env.client.set_status(asset_id, Status.INFRINGEMENT_DISPUTE, to_timestamp("2022-02-01"))
    env.client.record(env.tx(asset_id))  # an infringement dispute does not stop licensing
    env.client.set_status(asset_id, Status.LAPSED, to_timestamp("2022-03-01"))
    with expect_revert("AssetInactive", status=Status.LAPSED):
        env.client.record(env.tx(asset_id, TxKind.ASSIGNMENT))
    with expect_revert("InvalidStatus", status=0):
        env.client.set_status(asset_id, 0, to_timestamp("2022-03-01"))
    with expect_revert("DateBeforeFiling"):
        env.client.set_status(asset_id, Status.ACTIVE, FILED - DAY)


def test_pledge_and_release(env: Env) -> None:
    asset_id = env.registered()
    pledge = env.client.record(env.tx(asset_id, TxKind.PLEDGE, buyer=env.accounts[5], royalty_bps=0))
    licence = env.client.record(env.tx(asset_id))
    with expect_revert("RecordKindMismatch", recordId=licence.first_record_id, expected=TxKind.PLEDGE):
        env.client.record(env.tx(asset_id, TxKind.RELEASE, amount=0, royalty_bps=0, ref=licence.first_record_id))
    release = env.tx(
        asset_id, TxKind.RELEASE, buyer=env.accounts[5], amount=0, royalty_bps=0, ref=pledge.first_record_id
    )
    env.client.record(release)
    assert env.client.record_info(pledge.first_record_id) == (TxKind.PLEDGE, False, True)
    with expect_revert("AlreadyVoid", recordId=pledge.first_record_id):
        env.client.record(release)


def test_void_and_amend(env: Env) -> None:
    asset_id = env.registered()
    lic = env.client.record(env.tx(asset_id)).first_record_id
    amended = env.client.amend(env.tx(asset_id, amount=2_000_000_00, ref=lic))
    assert env.client.record_info(lic) == (TxKind.LICENCE, True, False)
    with expect_revert("AlreadyVoid", recordId=lic):
        env.client.amend(env.tx(asset_id, amount=3, ref=lic))
    with expect_revert("RecordKindMismatch"):
        env.client.amend(env.tx(asset_id, TxKind.PLEDGE, ref=amended.first_record_id))
    with expect_revert("UnknownRecord", recordId=999):
        env.client.void(999, asset_id)
    with expect_revert("UnknownRecord", recordId=1):  # record 1 is the asset registration
        env.client.void(1, asset_id)
    env.client.void(amended.first_record_id, asset_id, doc_hash=b"\x22" * 32)
    with expect_revert("AlreadyVoid", recordId=amended.first_record_id):
        env.client.void(amended.first_record_id, asset_id)


def test_void_assignment_restores_owner(env: Env) -> None:
    asset_id = env.registered()
    sale = env.client.record(env.tx(asset_id, TxKind.ASSIGNMENT, buyer=env.accounts[3], royalty_bps=0))
    with expect_revert("NotLatestTransfer", recordId=sale.first_record_id, seller="0x" + "00" * 20):
        env.client.void(sale.first_record_id, asset_id)  # an assignment's void must name the seller
    env.client.void(sale.first_record_id, asset_id, restored_owner=env.owner)
    assert env.client.asset_state(asset_id).owner == env.owner


def test_batch_all_or_nothing(env: Env) -> None:
    asset_id = env.registered()
    good = [env.tx(asset_id) for _ in range(5)]
    bad = env.tx(asset_id, TxKind.ASSIGNMENT, seller=env.accounts[7])
    with expect_revert("SellerNotOwner"):
        env.client.record_batch([*good, bad])
    assert env.client.record_count() == 1
    res = env.client.record_batch(good)
    assert (res.first_record_id, res.count) == (2, 5)
    with expect_revert("MalformedBatch", length=MAX_BATCH + 1):
        env.client._write("ledger", "recordBatch", [good[0].as_tuple()] * (MAX_BATCH + 1))


def test_batch_sequential_ownership(env: Env) -> None:
    asset_id = env.registered()
    a, b, c = env.owner, env.accounts[3], env.accounts[4]
    chain = [
        env.tx(asset_id, TxKind.ASSIGNMENT, seller=a, buyer=b, royalty_bps=0),
        env.tx(asset_id, TxKind.ASSIGNMENT, seller=b, buyer=c, royalty_bps=0),
    ]
    env.client.record_batch(chain)
    assert env.client.asset_state(asset_id).owner == c


# ------------------------------------------------------------------ anchors and claims


def test_anchor_and_claims(env: Env) -> None:
    asset_id = env.registered()
    head = env.backend.head()
    anchor = AnchorInput(
        asset_id, AnchorKind.VALUATION, b"\x33" * 32, head, to_timestamp("2024-01-01"), "CNY", 500, 400, 700
    )
    res = env.client.anchor(anchor)
    assert res.first_record_id == 1 and env.client.record_count("registry") == 1
    with expect_revert("InvalidRange", low=600, value=500, high=700):
        env.client.anchor(
            AnchorInput(asset_id, AnchorKind.VALUATION, b"\x33" * 32, head, anchor.as_of, "CNY", 500, 600, 700)
        )
    with expect_revert("EmptyHash"):
        env.client.anchor(AnchorInput(asset_id, AnchorKind.QUOTE, b"\0" * 32, head, anchor.as_of, "CNY", 5, 1, 1))
    with expect_revert("UnknownAsset"):
        env.client.anchor(AnchorInput(b"\x01" * 32, AnchorKind.QUOTE, b"\x33" * 32, head, anchor.as_of, "CNY", 5, 1, 1))
    with expect_revert("InvalidKind", kind=7):
        env.client.anchor(AnchorInput(asset_id, 7, b"\x33" * 32, head, anchor.as_of, "CNY", 5, 1, 1))  # type: ignore[arg-type]
    with expect_revert("ZeroAmount"):
        env.client.anchor(AnchorInput(asset_id, AnchorKind.QUOTE, b"\x33" * 32, head, anchor.as_of, "CNY", 0, 1, 1))
    with expect_revert("FutureDate"):
        env.client.anchor(
            AnchorInput(asset_id, AnchorKind.QUOTE, b"\x33" * 32, head + 100, anchor.as_of, "CNY", 5, 1, 1)
        )
    claim = ClaimInput(
        asset_id, ClaimKind.OPENED, b"\x44" * 32, keccak(b"C-1"), to_timestamp("2024-05-01"), "CNY", 100_000
    )
    env.client.record_claim(claim)
    assert env.client.record_count("registry") == 2


# ------------------------------------------------------------------ roles and pause


def test_non_role_account_cannot_write(env: Env) -> None:
    asset_id = env.registered()
    outsider = env.client.as_sender(env.accounts[9])
    head = env.backend.head()
    writes = {
        "registerAsset": lambda: outsider.register_asset(env.asset("X1")),
        "registerAssets": lambda: list(outsider.register_assets([env.asset("X2")])),
        "setStatus": lambda: outsider.set_status(asset_id, Status.LAPSED, to_timestamp("2022-01-01")),
        "recordTransaction": lambda: outsider.record(env.tx(asset_id)),
        "recordBatch": lambda: outsider.record_batch([env.tx(asset_id)]),
        "amendRecord": lambda: outsider.amend(env.tx(asset_id, ref=1)),
        "voidRecord": lambda: outsider.void(1, asset_id),
        "anchor": lambda: outsider.anchor(
            AnchorInput(asset_id, AnchorKind.VALUATION, b"\x33" * 32, head, to_timestamp("2024-01-01"), "CNY", 5, 4, 6)
        ),
        "recordClaim": lambda: outsider.record_claim(
            ClaimInput(asset_id, ClaimKind.OPENED, b"\x44" * 32, b"\x01" * 32, to_timestamp("2024-01-01"), "CNY", 5)
        ),
        "pause": lambda: outsider.pause(),
        "grantRole": lambda: outsider.grant_role("recorder", env.accounts[9]),
    }
    for name, write in writes.items():
        with expect_revert("AccessControlUnauthorizedAccount", account="0x" + env.accounts[9].hex()):
            write()
        assert env.client.record_count() == 1, name


def test_roles_grant_and_revoke(env: Env) -> None:
    asset_id = env.registered()
    recorder = env.accounts[6]
    env.client.grant_role("recorder", recorder, contract="ledger")
    assert env.client.has_role("recorder", recorder)
    env.client.as_sender(recorder).record(env.tx(asset_id))
    env.client.revoke_role("recorder", recorder, contract="ledger")
    with expect_revert("AccessControlUnauthorizedAccount"):
        env.client.as_sender(recorder).record(env.tx(asset_id))


def test_pause_stops_writes_only(env: Env) -> None:
    asset_id = env.registered()
    env.client.pause()
    with expect_revert("EnforcedPause"):
        env.client.record(env.tx(asset_id))
    assert env.client.asset_state(asset_id).exists  # reads go on
    assert env.client.paused()
    env.client.unpause()
    env.client.record(env.tx(asset_id))


def test_two_step_admin_handover(env: Env) -> None:
    new_admin = env.accounts[8]
    env.client.begin_admin_transfer(new_admin, contract="ledger")
    assert env.client.admin() == env.accounts[0]  # nothing moves before the new admin accepts
    with expect_revert("AccessControlInvalidDefaultAdmin"):
        env.client.as_sender(env.accounts[7]).accept_admin_transfer(contract="ledger")
    if env.backend.kind == "rpc":  # anvil may stamp blocks within one second alike
        env.backend.rpc.request("evm_increaseTime", [2])  # type: ignore[attr-defined]
    env.backend.mine_empty(1)  # type: ignore[attr-defined]
    env.client.as_sender(new_admin).accept_admin_transfer(contract="ledger")
    assert env.client.admin() == new_admin


# ------------------------------------------------------------------ accumulator


def test_accumulator_recomputed_from_logs(env: Env) -> None:
    asset_id = env.registered()
    lic = env.client.record(env.tx(asset_id)).first_record_id
    env.client.record_batch([env.tx(asset_id) for _ in range(3)])
    env.client.record_batch([env.tx(asset_id, TxKind.PLEDGE, royalty_bps=0)])
    env.client.void(lic, asset_id)
    env.client.set_status(asset_id, Status.INFRINGEMENT_DISPUTE, to_timestamp("2023-01-01"))
    logs = env.backend.get_logs(0, env.backend.head(), [env.client.ledger_address])
    acc, records = recompute("IPLedger", logs, chain_id=env.backend.chain_id, address=env.client.ledger_address)
    assert records == env.client.record_count() == 8
    assert acc == env.client.accumulator()


def test_accumulator_at_past_block(env: Env) -> None:
    asset_id = env.registered()
    env.client.record(env.tx(asset_id))
    block = env.backend.head()
    before = env.client.accumulator()
    env.client.record(env.tx(asset_id))
    assert env.client.accumulator(block=block) == before != env.client.accumulator()
