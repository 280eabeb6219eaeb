"""The audit re-verifies every party signature from the logs and fails on a bad one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ipledger.audit import audit
from ipledger.chain import LedgerClient, TxKind, deploy
from ipledger.chain.backend import RawLog
from ipledger.chain.compiled import load, topic0
from ipledger.chain.consent import PartyConsent, consent_nonce
from ipledger.chain.embedded import EmbeddedBackend
from ipledger.ledger import Indexer, Store
from tests.conformance.conftest import DAY, Env, now
from tests.conformance.test_consent import BUYER, SELLER, _addr, _sign, deploy_wallet

CONSENT = topic0(load("IPLedger").events()["ConsentGiven"])


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Env, int, Path]]:
    backend = EmbeddedBackend(None)
    d = deploy(backend)
    env = Env(backend, LedgerClient(backend, d.ledger, d.registry), backend.accounts())
    asset_id = env.registered(owner=_addr(SELLER))
    tx = env.tx(asset_id, seller=_addr(SELLER), buyer=_addr(BUYER))
    env.client.record_with_consent(tx, [_sign(env, tx, SELLER), _sign(env, tx, BUYER)])
    wallet = deploy_wallet(env)
    lic = env.tx(asset_id, seller=_addr(SELLER), buyer=wallet)
    env.client.record_with_consent(
        lic, [PartyConsent(wallet, consent_nonce(env.client.sender, 999), now() + DAY, b"wallet says yes")]
    )
    env.client.record(env.tx(asset_id, TxKind.PLEDGE, seller=_addr(SELLER), royalty_bps=0))
    path = tmp_path_factory.mktemp("consent") / "ledger.sqlite"
    store = Store(f"sqlite:///{path}")
    Indexer(backend, store, d.ledger, d.registry, start_block=d.block).sync()
    store.close()
    yield env, d.block, path
    backend.close()


def _audit(env: Env, start: int, path: Path):  # type: ignore[no-untyped-def]
    store = Store(f"sqlite:///{path}")
    try:
        return audit(env.backend, store, env.client, start_block=start, reports=False)
    finally:
        store.close()


def test_every_signature_verifies(chain: tuple[Env, int, Path]) -> None:
    env, start, path = chain
    report = _audit(env, start, path)
    assert report.passed, report.to_json()
    counts = report.check("consent").counts
    assert counts["signatures_verified"] == 3 and counts["contract_wallet_signatures"] == 1
    store = Store(f"sqlite:///{path}")
    levels = sorted(int(r["consent"]) for r in store.read("transactions"))
    store.close()
    assert levels == [0, 1, 2]


def test_a_forged_signature_in_the_logs_fails(chain: tuple[Env, int, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """A log feed (or a twin contract) serving a consent whose signature is not the signer's."""
    env, start, path = chain
    real = env.backend.get_logs

    def forged(*args: object, **kw: object) -> list[RawLog]:
        out = []
        for g in real(*args, **kw):  # type: ignore[arg-type]
            if g.topics and g.topics[0] == CONSENT and g.topics[2][-20:] == _addr(BUYER):
                data = bytearray(g.data)
                data[-40] ^= 0x01  # one bit of the signature's s value
                g = g._replace(data=bytes(data))
            out.append(g)
        return out

    monkeypatch.setattr(env.backend, "get_logs", forged)
    report = _audit(env, start, path)
    consent = report.check("consent")
    assert not consent.passed
    assert any("does not verify" in f.message and f.code == "signature" for f in consent.findings)
    assert consent.counts["signatures_verified"] == 2


def _feed_with_nonce(env: Env, nonce_of: object) -> object:
    """A log feed whose buyer consent carries the nonce ``nonce_of(seller nonce)``."""
    real = env.backend.get_logs

    def feed(*args: object, **kw: object) -> list[RawLog]:
        logs = real(*args, **kw)  # type: ignore[arg-type]
        consents = [g for g in logs if g.topics and g.topics[0] == CONSENT]
        seller_nonce = next(g.data[0:32] for g in consents if g.topics[2][-20:] == _addr(SELLER))
        out = []
        for g in logs:
            if g.topics and g.topics[0] == CONSENT and g.topics[2][-20:] == _addr(BUYER):
                nonce = nonce_of(int.from_bytes(seller_nonce, "big"))  # type: ignore[operator]
                g = g._replace(data=nonce.to_bytes(32, "big") + g.data[32:])
            out.append(g)
        return out

    return feed


def test_a_replayed_or_foreign_nonce_in_the_logs_fails(
    chain: tuple[Env, int, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A forged feed whose consent reuses a spent nonce, or names another recorder: the contract
    refuses both (ConsentNonceUsed), so seeing one means the logs are not the audited contract's."""
    env, start, path = chain
    monkeypatch.setattr(env.backend, "get_logs", _feed_with_nonce(env, lambda n: n))
    consent = _audit(env, start, path).check("consent")
    assert any(f.code == "replay" and "already spent" in f.message for f in consent.findings)
    stranger = consent_nonce(b"\x77" * 20, 5)
    monkeypatch.setattr(env.backend, "get_logs", _feed_with_nonce(env, lambda n: stranger))
    consent = _audit(env, start, path).check("consent")
    assert any(f.code == "nonce" and "another recorder" in f.message for f in consent.findings)


def test_a_consent_moved_dropped_or_added_in_the_logs_fails(
    chain: tuple[Env, int, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A consent takes no record id but is hashed into the accumulator right after its record: a
    feed that attaches it to another record, drops it or adds a copy no longer recomputes the
    contract's accumulator, and a moved one names a record of another chain transaction."""
    env, start, path = chain
    real = env.backend.get_logs

    def moved(*args: object, **kw: object) -> list[RawLog]:
        out = []
        for g in real(*args, **kw):  # type: ignore[arg-type]
            if g.topics and g.topics[0] == CONSENT and g.topics[2][-20:] == _addr(BUYER):
                other = int.from_bytes(g.topics[1], "big") + 2  # the pledge, recorded later
                g = g._replace(topics=[g.topics[0], other.to_bytes(32, "big"), g.topics[2]])
            out.append(g)
        return out

    monkeypatch.setattr(env.backend, "get_logs", moved)
    report = _audit(env, start, path)
    assert report.check("accumulators").findings and not report.check("accumulators").passed
    assert any(f.code == "orphan" for f in report.check("consent").findings)

    def dropped(*args: object, **kw: object) -> list[RawLog]:
        return [
            g
            for g in real(*args, **kw)  # type: ignore[arg-type]
            if not (g.topics and g.topics[0] == CONSENT and g.topics[2][-20:] == _addr(BUYER))
        ]

    monkeypatch.setattr(env.backend, "get_logs", dropped)
    assert any(f.code == "accumulator" for f in _audit(env, start, path).check("accumulators").findings)

    def doubled(*args: object, **kw: object) -> list[RawLog]:
        out = []
        for g in real(*args, **kw):  # type: ignore[arg-type]
            out.append(g)
            if g.topics and g.topics[0] == CONSENT and g.topics[2][-20:] == _addr(SELLER):
                out.append(g)
        return out

    monkeypatch.setattr(env.backend, "get_logs", doubled)
    report = _audit(env, start, path)
    assert any(f.code == "accumulator" for f in report.check("accumulators").findings)
    assert any(f.code in ("party", "replay") for f in report.check("consent").findings)
