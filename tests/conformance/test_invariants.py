"""Invariants the contracts enforce over a record's history, on every backend.

Each test is an attack a registrar or recorder could try, and the custom error that refuses it.
"""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak

from ipledger.chain import (
    AnchorInput,
    AnchorKind,
    ClaimInput,
    ClaimKind,
    Status,
    TxInput,
    TxKind,
    deploy,
    to_timestamp,
)
from ipledger.chain.accumulator import recompute, seed
from ipledger.chain.client import LedgerClient, transfer_seal
from ipledger.chain.numbers import canonical_number
from tests.conformance.conftest import DAY, Env
from tests.conformance.test_contracts import expect_revert

D = to_timestamp


def _sale(env: Env, asset_id: bytes, seller: bytes, buyer: bytes) -> int:
    tx = env.tx(asset_id, TxKind.ASSIGNMENT, seller=seller, buyer=buyer, royalty_bps=0)
    return env.client.record(tx).first_record_id


# ------------------------------------------------------------------ registry numbers


def test_registry_numbers_have_one_form(env: Env) -> None:
    # The client canonicalises: three spellings of one patent are one asset.
    first = env.client.register_asset(env.asset("zl 2018 1001 2345.6")).extra["asset_id"]
    assert first == env.asset("ZL201810012345.6").asset_id
    with expect_revert("DuplicateAsset", assetId=first):
        env.client.register_asset(env.asset("ZL201810012345.6"))
    with expect_revert("DuplicateAsset", assetId=first):
        env.client.register_asset(env.asset("201810012345.6"))  # bare application number
    # A registrar bypassing the client is refused on chain.
    for squat in ("zl201810012345.6", "ZL 201810012345.6", "ZL201810012345.6 ", ".ZL1", "ZL1#", "ＺＬ1"):
        with expect_revert("NonCanonicalNumber", registryNumber=squat):
            env.client.register_asset(env.asset(squat), canonicalise=False)
    with expect_revert("NonCanonicalNumber"):
        env.client.register_asset(env.asset("A" * 65), canonicalise=False)
    assert env.client.record_count() == 1


def test_canonical_number_rules() -> None:
    assert canonical_number("CN", 1, "ＺＬ２０１８１００１２３４５．６") == "ZL201810012345.6"
    assert canonical_number("CN", 2, "CN201820012345.X") == "ZL201820012345.X"
    assert canonical_number("CN", 4, "12345678") == "12345678"  # trademarks get no ZL
    assert canonical_number("EP", 1, "1 234 567") == "EP1234567"
    assert canonical_number("US", 1, "10,123,456") == "10123456"
    assert canonical_number("WO", 1, "wo 2019/123456") == "WO2019/123456"


def test_registration_in_dispute_returns_to_granted_state(env: Env) -> None:
    granted = env.registered(status=Status.OWNERSHIP_DISPUTE)
    pending = env.registered("ZL201810012346.1", status=Status.INFRINGEMENT_DISPUTE, grant_date=0)
    assert env.client.asset_history(granted)[2] == Status.ACTIVE
    assert env.client.asset_history(pending)[2] == Status.PENDING
    with expect_revert("InvalidTransition", **{"from": Status.INFRINGEMENT_DISPUTE, "to": Status.ACTIVE}):
        env.client.set_status(pending, Status.ACTIVE, D("2021-01-01"))
    env.client.set_status(pending, Status.PENDING, D("2021-01-01"))


# ------------------------------------------------------------------ status transitions


def test_terminal_states_stay_terminal(env: Env) -> None:
    asset_id = env.registered()
    env.client.set_status(asset_id, Status.EXPIRED, D("2022-01-01"))
    with expect_revert("InvalidTransition", **{"from": Status.EXPIRED, "to": Status.ACTIVE}):
        env.client.set_status(asset_id, Status.ACTIVE, D("2022-02-01"))
    other = env.registered("ZL201810012346.1")
    env.client.set_status(other, Status.INVALIDATED, D("2022-01-01"))
    with expect_revert("InvalidTransition", **{"from": Status.INVALIDATED, "to": Status.INFRINGEMENT_DISPUTE}):
        env.client.set_status(other, Status.INFRINGEMENT_DISPUTE, D("2022-02-01"))


def test_dispute_returns_to_the_status_it_interrupted(env: Env) -> None:
    asset_id = env.registered(status=Status.PENDING)
    env.client.set_status(asset_id, Status.OWNERSHIP_DISPUTE, D("2021-01-01"))
    assert env.client.asset_history(asset_id)[2] == Status.PENDING
    with expect_revert("InvalidTransition", **{"from": Status.OWNERSHIP_DISPUTE, "to": Status.ACTIVE}):
        env.client.set_status(asset_id, Status.ACTIVE, D("2021-02-01"))  # not what it interrupted
    with expect_revert("InvalidTransition", **{"from": Status.OWNERSHIP_DISPUTE, "to": Status.INFRINGEMENT_DISPUTE}):
        env.client.set_status(asset_id, Status.INFRINGEMENT_DISPUTE, D("2021-02-01"))
    env.client.set_status(asset_id, Status.PENDING, D("2021-02-01"))
    env.client.set_status(asset_id, Status.ACTIVE, D("2021-03-01"))
    with expect_revert("InvalidTransition", **{"from": Status.ACTIVE, "to": Status.ACTIVE}):
        env.client.set_status(asset_id, Status.ACTIVE, D("2021-04-01"))
    env.client.set_status(asset_id, Status.INFRINGEMENT_DISPUTE, D("2021-05-01"))
    env.client.set_status(asset_id, Status.INVALIDATED, D("2021-06-01"))  # a dispute may end it


def test_status_dates_never_go_backwards(env: Env) -> None:
    asset_id = env.registered()
    env.client.set_status(asset_id, Status.LAPSED, D("2022-06-01"))
    with expect_revert("StatusDateBackwards", date=D("2022-05-01"), lastDate=D("2022-06-01")):
        env.client.set_status(asset_id, Status.ACTIVE, D("2022-05-01"))
    env.client.set_status(asset_id, Status.ACTIVE, D("2022-06-01"))  # the same day is fine (restoration)
    assert env.client.asset_history(asset_id)[1] == D("2022-06-01")


# ------------------------------------------------------------------ voids


def test_void_must_name_the_records_asset(env: Env) -> None:
    a, b = env.registered(), env.registered("ZL201810012346.1")
    lic = env.client.record(env.tx(a)).first_record_id
    with expect_revert("RecordAssetMismatch", recordId=lic, assetId=b):
        env.client.void(lic, b)
    sale = _sale(env, a, env.owner, env.accounts[3])
    with expect_revert("RecordAssetMismatch", recordId=sale, assetId=b):
        env.client.void(sale, b, restored_owner=env.owner)
    env.client.void(lic, a)
    assert env.client.record_info(lic) == (TxKind.LICENCE, True, False)


def test_void_restores_exactly_the_seller(env: Env) -> None:
    asset_id = env.registered()
    attacker = env.accounts[7]
    sale = _sale(env, asset_id, env.owner, env.accounts[3])
    with expect_revert("NotLatestTransfer", recordId=sale, seller="0x" + attacker.hex()):
        env.client.void(sale, asset_id, restored_owner=attacker)
    assert env.client.asset_history(asset_id)[0] == transfer_seal(asset_id, sale, env.owner)
    env.client.void(sale, asset_id, restored_owner=env.owner)
    assert env.client.asset_state(asset_id).owner == env.owner
    assert env.client.asset_history(asset_id)[0] == bytes(32)  # no transfer left to void


def test_filing_date_is_kept_to_the_day(env: Env) -> None:
    # One word per asset holds the filing day, not the second (decision 0090): a record dated
    # on the filing day is accepted whatever the hour, the day before is refused.
    asset_id = env.client.register_asset(env.asset(filing_date=D("2018-03-05") + 15 * 3600)).extra["asset_id"]
    assert env.client.asset_state(asset_id).filing_date == D("2018-03-05")
    env.client.record(env.tx(asset_id, date=D("2018-03-05") + 3600))
    with expect_revert("DateBeforeFiling", filingDate=D("2018-03-05")):
        env.client.record(env.tx(asset_id, date=D("2018-03-04")))


def test_only_the_latest_transfer_can_be_voided(env: Env) -> None:
    asset_id = env.registered()
    first = _sale(env, asset_id, env.owner, env.accounts[3])
    second = _sale(env, asset_id, env.accounts[3], env.accounts[4])
    # Voiding the older sale would jump ownership back past the later buyer.
    with expect_revert("NotLatestTransfer", recordId=first, seller="0x" + env.owner.hex()):
        env.client.void(first, asset_id, restored_owner=env.owner)
    env.client.void(second, asset_id, restored_owner=env.accounts[3])
    with expect_revert("NotLatestTransfer", recordId=first, seller="0x" + env.owner.hex()):
        env.client.void(first, asset_id, restored_owner=env.owner)
    assert env.client.asset_state(asset_id).owner == env.accounts[3]


def test_batch_transfers_keep_the_latest_transfer(env: Env) -> None:
    asset_id = env.registered()
    a, b, c = env.owner, env.accounts[3], env.accounts[4]
    res = env.client.record_batch(
        [
            env.tx(asset_id, TxKind.ASSIGNMENT, seller=a, buyer=b, royalty_bps=0),
            env.tx(asset_id, TxKind.AUCTION, seller=b, buyer=c, royalty_bps=0),
        ]
    )
    assert env.client.asset_history(asset_id)[0] == transfer_seal(asset_id, res.first_record_id + 1, b)
    env.client.void(res.first_record_id + 1, asset_id, restored_owner=b)
    assert env.client.asset_state(asset_id).owner == b


# ------------------------------------------------------------------ amendments and releases


def test_amendment_stays_on_its_asset_and_kind(env: Env) -> None:
    a, b = env.registered(), env.registered("ZL201810012346.1")
    lic = env.client.record(env.tx(a)).first_record_id
    with expect_revert("RecordAssetMismatch", recordId=lic, assetId=b):
        env.client.amend(env.tx(b, ref=lic))
    with expect_revert("RecordKindMismatch", recordId=lic):
        env.client.amend(env.tx(a, TxKind.PLEDGE, royalty_bps=0, ref=lic))
    env.client.amend(env.tx(a, amount=7, ref=lic))


def test_amended_assignment_keeps_its_parties(env: Env) -> None:
    asset_id = env.registered()
    sale = _sale(env, asset_id, env.owner, env.accounts[3])
    with expect_revert("PartiesChanged", recordId=sale):
        env.client.amend(
            env.tx(asset_id, TxKind.ASSIGNMENT, seller=env.owner, buyer=env.accounts[7], royalty_bps=0, ref=sale)
        )
    fixed = env.client.amend(
        env.tx(asset_id, TxKind.ASSIGNMENT, seller=env.owner, buyer=env.accounts[3], royalty_bps=0, amount=9, ref=sale)
    ).first_record_id
    # The amendment is now the latest transfer.
    assert env.client.asset_history(asset_id)[0] == transfer_seal(asset_id, fixed, env.owner)
    with expect_revert("NotLatestTransfer", recordId=fixed, seller="0x" + env.accounts[7].hex()):
        env.client.amend(
            env.tx(asset_id, TxKind.ASSIGNMENT, seller=env.accounts[7], buyer=env.accounts[3], royalty_bps=0, ref=fixed)
        )
    _sale(env, asset_id, env.accounts[3], env.accounts[4])  # a later sale: the amended record is no longer the latest
    with expect_revert("NotLatestTransfer", recordId=fixed, seller="0x" + env.owner.hex()):
        env.client.amend(
            env.tx(asset_id, TxKind.ASSIGNMENT, seller=env.owner, buyer=env.accounts[3], royalty_bps=0, ref=fixed)
        )


def test_release_names_a_pledge_of_its_asset(env: Env) -> None:
    a, b = env.registered(), env.registered("ZL201810012346.1")
    pledge = env.client.record(env.tx(a, TxKind.PLEDGE, buyer=env.accounts[5], royalty_bps=0)).first_record_id
    with expect_revert("RecordAssetMismatch", recordId=pledge, assetId=b):
        env.client.record(env.tx(b, TxKind.RELEASE, buyer=env.accounts[5], amount=0, royalty_bps=0, ref=pledge))
    env.client.record(env.tx(a, TxKind.RELEASE, buyer=env.accounts[5], amount=0, royalty_bps=0, ref=pledge))
    with expect_revert("InvalidReference", ref=pledge):
        env.client.amend(env.tx(a, TxKind.RELEASE, amount=0, royalty_bps=0, ref=pledge))


def test_release_is_between_its_pledges_parties(env: Env) -> None:
    """A release names its pledge's pledgor (`from`) and pledgee (`to`), on the checked path and
    for pledges the batch fast path took, and for an amended pledge its new parties."""
    a = env.registered()
    pledgor, pledgee, other = env.owner, env.accounts[5], env.accounts[6]
    first = env.client.record_batch([env.tx(a), env.tx(a, TxKind.PLEDGE, buyer=pledgee, royalty_bps=0)]).first_record_id
    pledge = first + 1  # recorded by the batch fast path
    single = env.client.record(env.tx(a, TxKind.PLEDGE, buyer=pledgee, royalty_bps=0)).first_record_id

    def release(ref: int, seller: bytes, buyer: bytes) -> TxInput:
        return env.tx(a, TxKind.RELEASE, seller=seller, buyer=buyer, amount=0, royalty_bps=0, ref=ref)

    for ref in (pledge, single):
        with expect_revert("ReleasePartiesMismatch", pledgeId=ref, to="0x" + other.hex()):
            env.client.record(release(ref, pledgor, other))
        with expect_revert("ReleasePartiesMismatch", pledgeId=ref, **{"from": "0x" + other.hex()}):
            env.client.record_batch([release(ref, other, pledgee)])
        with expect_revert("ReleasePartiesMismatch", pledgeId=ref):  # the parties the other way round
            env.client.record(release(ref, pledgee, pledgor))
    env.client.record_batch([release(pledge, pledgor, pledgee)])
    assert env.client.record_info(pledge) == (TxKind.PLEDGE, False, True)
    # An amended pledge is released between its new parties, not the old ones.
    amended = env.client.amend(env.tx(a, TxKind.PLEDGE, buyer=other, royalty_bps=0, ref=single)).first_record_id
    with expect_revert("ReleasePartiesMismatch", pledgeId=amended):
        env.client.record(release(amended, pledgor, pledgee))
    env.client.record(release(amended, pledgor, other))
    assert env.client.record_info(amended) == (TxKind.PLEDGE, False, True)


# ------------------------------------------------------------------ currencies


def test_currency_must_be_on_the_allow_list(env: Env) -> None:
    asset_id = env.registered()
    assert env.client.is_currency("CNY") and env.client.is_currency("EUR") and not env.client.is_currency("XYZ")
    with expect_revert("UnknownCurrency", currency=b"XYZ"):
        env.client.record(env.tx(asset_id, currency="XYZ"))
    with expect_revert("UnknownCurrency", currency=b"XYZ"):
        env.client.record_batch([env.tx(asset_id), env.tx(asset_id, currency="XYZ")])
    head = env.backend.head()
    with expect_revert("UnknownCurrency"):
        env.client.anchor(AnchorInput(asset_id, AnchorKind.QUOTE, b"\x33" * 32, head, D("2024-01-01"), "XYZ", 5))
    with expect_revert("InvalidCurrency"):
        env.client.anchor(AnchorInput(asset_id, AnchorKind.QUOTE, b"\x33" * 32, head, D("2024-01-01"), "cny", 5))
    with expect_revert("UnknownCurrency"):
        env.client.record_claim(
            ClaimInput(asset_id, ClaimKind.OPENED, b"\x44" * 32, keccak(b"C-1"), D("2024-05-01"), "XYZ", 100)
        )
    with expect_revert("AccessControlUnauthorizedAccount"):
        env.client.as_sender(env.accounts[9]).set_currencies(["XYZ"])
    with expect_revert("InvalidCurrency"):
        env.client.set_currencies(["X1Z"])
    env.client.set_currencies(["XYZ"])
    env.client.record(env.tx(asset_id, currency="XYZ"))
    env.client.set_currencies(["XYZ"], allowed=False)
    with expect_revert("UnknownCurrency"):
        env.client.record(env.tx(asset_id, currency="XYZ"))


# ------------------------------------------------------------------ organisations


def test_organisation_directory_is_admin_only(env: Env) -> None:
    valuer = env.accounts[6]
    with expect_revert("AccessControlUnauthorizedAccount"):
        env.client.as_sender(valuer).set_organisation(valuer, "91110000X", "Self-declared Valuer", 3)
    with expect_revert("InvalidOrganisation"):
        env.client.set_organisation(valuer, "91110000X", "Valuer", 9)
    with expect_revert("InvalidOrganisation"):
        env.client.set_organisation(valuer, "", "Valuer", 3)
    with expect_revert("InvalidOrganisation"):
        env.client.set_organisation(b"\0" * 20, "91110000X", "Valuer", 3)
    env.client.set_organisation(valuer, "91110000X", "Beijing Valuer Co.", 3)
    assert env.client.organisation_of(valuer) == ("91110000X", "Beijing Valuer Co.", 3)
    env.client.set_organisation(valuer, "", "", 0)
    assert env.client.organisation_of(valuer) is None


# ------------------------------------------------------------------ deployment


def test_accumulator_seed_binds_chain_and_address(env: Env) -> None:
    d = deploy(env.backend)
    twin = LedgerClient(env.backend, d.ledger, d.registry)
    for contract, label, address in (("IPLedger", "ledger", d.ledger), ("ValuationRegistry", "registry", d.registry)):
        name = keccak(text=f"ipledger.{contract}.v2")
        expected = keccak(encode(["bytes32", "uint256", "address"], [name, env.backend.chain_id, address]))
        assert twin.accumulator(label) == expected == seed(contract, env.backend.chain_id, address)
    assert twin.accumulator() != env.client.accumulator()
    logs = env.backend.get_logs(0, env.backend.head(), [d.ledger])
    assert recompute("IPLedger", logs, chain_id=env.backend.chain_id, address=d.ledger)[0] == twin.accumulator()


def test_admin_delay_holds_the_handover(env: Env) -> None:
    d = deploy(env.backend, admin_delay=3 * DAY)
    client = LedgerClient(env.backend, d.ledger, d.registry)
    assert client._read("ledger", "defaultAdminDelay")[0] == 3 * DAY
    assert client._read("registry", "defaultAdminDelay")[0] == 3 * DAY
    client.begin_admin_transfer(env.accounts[8], contract="ledger")
    with expect_revert("AccessControlEnforcedDefaultAdminDelay"):
        client.as_sender(env.accounts[8]).accept_admin_transfer(contract="ledger")
    assert client.admin() == env.accounts[0]
