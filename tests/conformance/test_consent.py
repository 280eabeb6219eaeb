"""Party consent: EIP-712 signatures over a record's terms, checked on chain, on every backend."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from ipledger.chain import TxKind
from ipledger.chain.accumulator import recompute
from ipledger.chain.compiled import load, topic0
from ipledger.chain.consent import PartyConsent, consent_nonce, pack_consents, recover, sign_record
from ipledger.errors import ValidationError
from ipledger.ledger.decode import decoders
from tests.conformance.conftest import DAY, Env, now
from tests.conformance.test_contracts import expect_revert

SELLER: LocalAccount = Account.from_key(b"\x01" * 32)
BUYER: LocalAccount = Account.from_key(b"\x02" * 32)
STRANGER: LocalAccount = Account.from_key(b"\x03" * 32)


def _addr(acct: LocalAccount) -> bytes:
    return bytes.fromhex(acct.address[2:])


_counter = iter(range(1, 1 << 20))


def _sign(env: Env, tx, acct: LocalAccount, nonce: int | None = None, deadline: int | None = None) -> PartyConsent:  # type: ignore[no-untyped-def]
    """``acct``'s signature for submission by the test's recorder, with a fresh nonce by default."""
    n = consent_nonce(env.client.sender, next(_counter)) if nonce is None else nonce
    return sign_record(tx, acct, n, deadline or now() + DAY, env.backend.chain_id, env.client.ledger_address)


def _setup(env: Env):  # type: ignore[no-untyped-def]
    asset_id = env.registered(owner=_addr(SELLER))
    return asset_id, env.tx(asset_id, seller=_addr(SELLER), buyer=_addr(BUYER))


def test_both_parties_sign_and_the_logs_carry_it(env: Env) -> None:
    _asset_id, tx = _setup(env)
    a, b = _sign(env, tx, SELLER), _sign(env, tx, BUYER)
    res = env.client.record_with_consent(tx, [a, b])
    assert env.client.record_count() == res.first_record_id  # consents take no record id of their own
    assert env.client.nonce_spent(a.nonce) and env.client.nonce_spent(b.nonce)
    logs = env.backend.get_logs(0, env.backend.head(), [env.client.ledger_address])
    events = load("IPLedger").events()
    dec = decoders(load("IPLedger"))[topic0(events["ConsentGiven"])]
    given = [dec.decode(g.topics, g.data) for g in logs if g.topics[0] == topic0(events["ConsentGiven"])]
    assert [(g["txRecordId"], g["signer"]) for g in given] == [
        (res.first_record_id, "0x" + _addr(SELLER).hex()),
        (res.first_record_id, "0x" + _addr(BUYER).hex()),
    ]
    # Everything needed to re-verify is in the log: signature bytes, nonce and deadline.
    for g, c in zip(given, (a, b), strict=True):
        again = PartyConsent(bytes.fromhex(g["signer"][2:]), g["nonce"], g["deadline"], g["signature"])
        assert again == c
        assert recover(tx, again, env.backend.chain_id, env.client.ledger_address) == c.signer
    acc, n = recompute("IPLedger", logs, chain_id=env.backend.chain_id, address=env.client.ledger_address)
    assert (acc, n) == (env.client.accumulator(), env.client.record_count())


def test_replay_expiry_and_strangers_are_refused(env: Env) -> None:
    _asset_id, tx = _setup(env)
    a = _sign(env, tx, SELLER)
    env.client.record_with_consent(tx, [a])
    with expect_revert("ConsentNonceUsed", signer="0x" + _addr(SELLER).hex(), nonce=a.nonce):
        env.client.record_with_consent(tx, [a])  # the same signature again
    # Replayed inside one batch, or on another asset of the same seller: refused alike.
    with expect_revert("ConsentNonceUsed", nonce=a.nonce):
        env.client.record_batch_with_consent([(tx, []), (tx, [a])])
    other = env.tx(env.registered("ZL201810012346.1", owner=_addr(SELLER)), seller=_addr(SELLER), buyer=_addr(BUYER))
    fresh = _sign(env, tx, SELLER)
    with expect_revert("InvalidConsent", signer="0x" + _addr(SELLER).hex()):
        env.client.record_with_consent(other, [fresh])  # signed for another asset's record
    # A signature handed to one recorder cannot be submitted by another: the contract takes the
    # nonce's top 160 bits from the sender, so the signed nonce is not the one checked.
    env.client.grant_role("recorder", env.accounts[5], "ledger")
    with pytest.raises(ValidationError, match="only that recorder"):
        env.client.as_sender(env.accounts[5]).record_with_consent(tx, [fresh])  # the client says why
    with expect_revert("InvalidConsent", signer="0x" + _addr(SELLER).hex()):
        env.client.as_sender(env.accounts[5])._write(
            "ledger", "recordWithConsent", tx.as_tuple(), pack_consents(tx, [fresh])
        )
    env.client.record_with_consent(tx, [fresh])
    late = _sign(env, tx, SELLER, deadline=now() - 10)
    with expect_revert("ConsentExpired", signer="0x" + _addr(SELLER).hex()):
        env.client.record_with_consent(tx, [late])
    # The signer is the record's party by construction: a stranger's signature, or a party's
    # twice, cannot even be packed; a stranger's key under a party's role fails the signature.
    with pytest.raises(ValidationError, match="no party"):
        env.client.record_with_consent(tx, [_sign(env, tx, STRANGER)])
    twice = _sign(env, tx, SELLER)
    with pytest.raises(ValidationError, match="no party"):
        env.client.record_with_consent(tx, [_sign(env, tx, SELLER), twice])
    stranger = _sign(env, tx, STRANGER)
    packed = b"\x01" + pack_consents(replace(tx, seller=stranger.signer), [stranger])[1:]
    with expect_revert("InvalidConsent", signer="0x" + _addr(SELLER).hex()):
        env.client._write("ledger", "recordWithConsent", tx.as_tuple(), packed)


def test_signature_binds_terms_and_deployment(env: Env) -> None:
    _asset_id, tx = _setup(env)
    signed = _sign(env, tx, SELLER)
    with expect_revert("InvalidConsent", signer="0x" + _addr(SELLER).hex()):
        env.client.record_with_consent(replace(tx, amount=tx.amount * 10), [signed])  # other price
    elsewhere = sign_record(tx, SELLER, signed.nonce, now() + DAY, env.backend.chain_id, b"\x42" * 20)
    with expect_revert("InvalidConsent"):
        env.client.record_with_consent(tx, [elsewhere])  # signed for another ledger
    forged = PartyConsent(_addr(SELLER), signed.nonce, signed.deadline, _sign(env, tx, STRANGER).signature)
    with expect_revert("InvalidConsent"):
        env.client.record_with_consent(tx, [forged])  # someone else's key under the seller's name
    assert not env.client.nonce_spent(signed.nonce)  # refused records spend nothing


def test_owner_consent_setting(env: Env) -> None:
    asset_id, licence = _setup(env)
    sale = env.tx(asset_id, TxKind.ASSIGNMENT, seller=_addr(SELLER), buyer=_addr(BUYER), royalty_bps=0)
    pledge = env.tx(asset_id, TxKind.PLEDGE, seller=_addr(SELLER), buyer=_addr(BUYER), royalty_bps=0)
    with expect_revert("AccessControlUnauthorizedAccount"):
        env.client.as_sender(env.accounts[9]).set_owner_consent_required(True)
    env.client.set_owner_consent_required(True)
    assert env.client.owner_consent_required()
    owner = "0x" + _addr(SELLER).hex()
    with expect_revert("OwnerConsentRequired", assetId=asset_id, owner=owner):
        env.client.record(sale)
    with expect_revert("OwnerConsentRequired", assetId=asset_id, owner=owner):
        env.client.record_batch([licence, pledge])
    with expect_revert("OwnerConsentRequired"):
        env.client.record_with_consent(sale, [_sign(env, sale, BUYER)])  # the buyer alone is not enough
    env.client.record_batch([licence, licence])  # licences need no owner signature
    env.client.record_with_consent(pledge, [_sign(env, pledge, SELLER)])
    env.client.record_batch_with_consent([(licence, []), (sale, [_sign(env, sale, SELLER), _sign(env, sale, BUYER)])])
    assert env.client.asset_state(asset_id).owner == _addr(BUYER)
    env.client.set_owner_consent_required(False)
    back = env.tx(asset_id, TxKind.ASSIGNMENT, seller=_addr(BUYER), buyer=_addr(SELLER), royalty_bps=0)
    env.client.record(back)


def test_batch_and_amendment_with_consent(env: Env) -> None:
    _asset_id, tx = _setup(env)
    other = replace(tx, amount=tx.amount + 1)
    res = env.client.record_batch_with_consent(
        [
            (tx, [_sign(env, tx, SELLER)]),
            (other, [_sign(env, other, SELLER), _sign(env, other, BUYER)]),
        ]
    )
    assert env.client.record_count() == res.first_record_id + 1
    with expect_revert("MalformedBatch"):
        env.client._write("ledger", "recordBatchWithConsent", [], b"")
    fixed = replace(tx, amount=5, ref=res.first_record_id)
    env.client.amend_with_consent(fixed, [_sign(env, fixed, BUYER)])
    assert env.client.record_info(res.first_record_id)[1]  # superseded


# Minimal ERC-1271 wallets (hand-assembled runtime code): one answers the magic value 0x1626ba7e
# to every isValidSignature call, one answers zero to everything.
_ACCEPT = bytes.fromhex("6010600c60003960106000f3" + "631626ba7e60e01b60005260206000f3")
_REJECT = bytes.fromhex("6005600c60003960056000f3" + "60206000f3")


def deploy_wallet(env: Env, accept: bool = True) -> bytes:
    receipt = env.backend.transact(env.accounts[0], None, _ACCEPT if accept else _REJECT)
    assert receipt.status == 1 and receipt.contract_address is not None
    return receipt.contract_address


def test_contract_wallet_consent_erc1271(env: Env) -> None:
    wallet, refuser = deploy_wallet(env), deploy_wallet(env, accept=False)
    asset_id = env.registered(owner=wallet)
    tx = env.tx(asset_id, TxKind.ASSIGNMENT, seller=wallet, buyer=_addr(BUYER), royalty_bps=0)
    env.client.set_owner_consent_required(True)
    nonce = consent_nonce(env.client.sender, next(_counter))
    wallet_consent = PartyConsent(wallet, nonce, now() + DAY, b"approved by the wallet's own rules")
    env.client.record_with_consent(tx, [wallet_consent, _sign(env, tx, BUYER)])
    assert env.client.asset_state(asset_id).owner == _addr(BUYER)
    assert env.client.nonce_spent(nonce)
    # An empty wallet signature: the log's bytes (written in assembly) still extend the
    # accumulator exactly as the logs say.
    lic = env.tx(asset_id, seller=_addr(BUYER), buyer=wallet)
    empty = PartyConsent(wallet, consent_nonce(env.client.sender, next(_counter)), now() + DAY, b"")
    env.client.record_with_consent(lic, [empty])
    logs = env.backend.get_logs(0, env.backend.head(), [env.client.ledger_address])
    acc, n = recompute("IPLedger", logs, chain_id=env.backend.chain_id, address=env.client.ledger_address)
    assert (acc, n) == (env.client.accumulator(), env.client.record_count())
    other = env.registered("ZL201810012346.1", owner=refuser)
    sale = env.tx(other, TxKind.ASSIGNMENT, seller=refuser, buyer=_addr(BUYER), royalty_bps=0)
    with expect_revert("InvalidConsent", signer="0x" + refuser.hex()):
        env.client.record_with_consent(
            sale, [PartyConsent(refuser, consent_nonce(env.client.sender, next(_counter)), now() + DAY, b"\x01" * 65)]
        )


def test_packed_consents_must_match_their_records(env: Env) -> None:
    """The packed consents hold exactly one group per record: a missing group, a truncated
    entry, a role other than seller and buyer, or bytes left over are refused; the buyer's
    signature given first is packed after the seller's."""
    _asset_id, tx = _setup(env)
    a, b = _sign(env, tx, SELLER), _sign(env, tx, BUYER)
    packed = pack_consents(tx, [b, a])
    assert packed == pack_consents(tx, [a, b]) and packed[0] == 3
    with expect_revert("MalformedConsents", offset=0):
        env.client._write("ledger", "recordBatchWithConsent", [tx.as_tuple()], b"")
    with expect_revert("MalformedConsents", offset=1):  # one group for two records
        env.client._write("ledger", "recordBatchWithConsent", [tx.as_tuple(), tx.as_tuple()], b"\x00")
    with expect_revert("MalformedConsents"):  # the second signature cut short
        env.client._write("ledger", "recordWithConsent", tx.as_tuple(), packed[:-1])
    with expect_revert("MalformedConsents", offset=len(packed)):  # a byte left over
        env.client._write("ledger", "recordWithConsent", tx.as_tuple(), packed + b"\x00")
    with expect_revert("MalformedConsents", offset=0):  # a third role
        env.client._write("ledger", "recordWithConsent", tx.as_tuple(), b"\x07" + packed[1:])
    with pytest.raises(ValidationError):
        pack_consents(tx, [replace(a, deadline=2**40)])  # five bytes of deadline
    env.client._write("ledger", "recordWithConsent", tx.as_tuple(), packed)
    assert env.client.nonce_spent(a.nonce) and env.client.nonce_spent(b.nonce)


def test_malleable_and_malformed_ecdsa_signatures_are_refused(env: Env) -> None:
    """As OpenZeppelin's ECDSA: the high-s twin of a valid signature and a v other than 27/28
    are refused (InvalidConsent), so one signature has one byte form in the logs."""
    _asset_id, tx = _setup(env)
    good = _sign(env, tx, SELLER)
    r, s, v = good.signature[:32], int.from_bytes(good.signature[32:64], "big"), good.signature[64]
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    twin = replace(good, signature=r + (n - s).to_bytes(32, "big") + bytes([55 - v]))
    assert recover(tx, twin, env.backend.chain_id, env.client.ledger_address) in (None, good.signer)
    with expect_revert("InvalidConsent", signer="0x" + _addr(SELLER).hex()):
        env.client.record_with_consent(tx, [twin])
    with expect_revert("InvalidConsent"):
        env.client.record_with_consent(tx, [replace(good, signature=good.signature[:64] + bytes([v - 27]))])
    env.client.record_with_consent(tx, [good])
