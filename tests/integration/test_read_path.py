"""The read path: a ledger whose store is up to date is read without opening the chain, and any
new, reorganised or not yet final block is still indexed (decision 0105)."""

from __future__ import annotations

import importlib
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from ipledger.chain import LedgerClient, TxKind
from ipledger.chain.chainfile import HEAD_KEY, NUMBER_KEY, ChainFile, header_number, read_head
from ipledger.chain.connect import ensure_deployed, open_backend
from ipledger.chain.embedded import EmbeddedBackend
from ipledger.chain.filereader import ChainFileReader
from ipledger.config import Profile
from ipledger.ledger import Ledger
from tests.conformance.conftest import Env


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[tuple[Profile, Env, bytes]]:
    """A profile's embedded chain with one asset and three licences, indexed into its store."""
    profile = Profile(name="t", data_dir=tmp_path)
    backend = open_backend(profile)
    d, _ = ensure_deployed(profile, backend)
    env = Env(backend, LedgerClient(backend, d.ledger, d.registry), backend.accounts())
    asset = env.registered()
    env.client.record_batch([env.tx(asset) for _ in range(3)])
    with Ledger(profile, backend) as ledger:
        ledger.sync(progress=False)
    yield profile, env, asset
    backend.close()


def _no_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make opening the chain fail: what passes afterwards did not open it."""

    def refuse(profile: Profile) -> None:
        raise AssertionError("the chain was opened")

    # the module (the package's ``connect`` attribute is the function of that name)
    monkeypatch.setattr(importlib.import_module("ipledger.chain.connect"), "open_backend", refuse)


def test_chain_file_reads_the_head_py_evm_reads(chain: tuple[Profile, Env, bytes]) -> None:
    from eth.db.schema import SchemaV1

    profile, env, _ = chain
    assert SchemaV1.make_canonical_head_hash_lookup_key() == HEAD_KEY
    assert SchemaV1.make_block_number_to_hash_lookup_key(7) == NUMBER_KEY.format(7).encode()  # type: ignore[arg-type]
    b = env.backend
    found = read_head(profile.data_dir / "chain.sqlite", at=2)
    assert found is not None
    head, at_two = found
    assert (head.number, head.hash) == (b.head(), b.block(b.head()).hash)
    assert at_two == b.block(2).hash
    f = ChainFile(profile.data_dir / "chain.sqlite")
    assert [f.canonical_hash(n) for n in range(b.head() + 1)] == [b.block(n).hash for n in range(b.head() + 1)]
    assert f.canonical_hash(b.head() + 1) is None
    f.close()


def test_file_reader_gives_the_blocks_and_logs_the_backend_gives(chain: tuple[Profile, Env, bytes]) -> None:
    profile, env, asset = chain
    b = env.backend
    env.client.record_batch([env.tx(asset, TxKind.PLEDGE, royalty_bps=0), env.tx(asset)])
    reader = ChainFileReader(profile.data_dir / "chain.sqlite", b.chain_id)
    contracts = [env.client.ledger_address, env.client.registry_address]
    assert reader.head() == b.head()
    assert [reader.block(n) for n in range(b.head() + 1)] == [b.block(n) for n in range(b.head() + 1)]
    logs = reader.get_logs(0, b.head(), contracts)
    assert len(logs) >= 7 and logs == b.get_logs(0, b.head(), contracts)
    assert reader.get_logs(0, b.head(), [b"\x01" * 20]) == []
    env.client.record(env.tx(asset))  # committed after the reader's snapshot: not seen
    assert reader.head() == b.head() - 1
    reader.close()


def test_unreadable_chain_files_give_none(tmp_path: Path) -> None:
    assert read_head(tmp_path / "missing.sqlite") is None
    (tmp_path / "junk.sqlite").write_bytes(b"not a database at all" * 100)
    assert read_head(tmp_path / "junk.sqlite") is None
    sqlite3.connect(tmp_path / "other.sqlite").execute("CREATE TABLE t (x)").connection.commit()
    assert read_head(tmp_path / "other.sqlite") is None  # no kv table
    with pytest.raises(ValueError):
        header_number(b"\xc3\x01\x02")  # a list of three items has no ninth
    with pytest.raises(ValueError):
        header_number(b"\xf9\x02")  # truncated


def test_up_to_date_store_is_read_without_opening_the_chain(
    chain: tuple[Profile, Env, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    profile, _, asset = chain
    _no_chain(monkeypatch)
    with Ledger(profile) as ledger:
        assert ledger.up_to_date()
        r = ledger.sync(progress=False)
        assert (r.events, r.to_block - r.from_block + 1) == (0, 0)
        assert len(ledger.transactions("0x" + asset.hex())) == 3
        assert len(ledger.history("0x" + asset.hex())) == 4  # registration and three licences


def test_new_blocks_are_indexed_from_the_chain_file(
    chain: tuple[Profile, Env, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    profile, env, asset = chain
    env.client.record(env.tx(asset, TxKind.PLEDGE, royalty_bps=0))
    _no_chain(monkeypatch)
    with Ledger(profile) as ledger:
        assert not ledger.up_to_date()
        r = ledger.sync(progress=False)
        assert r.events == 1
        assert len(ledger.transactions("0x" + asset.hex())) == 4
    with Ledger(profile) as again:
        assert again.up_to_date()


def test_what_the_file_reader_cannot_read_is_synced_through_the_chain(
    chain: tuple[Profile, Env, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ipledger.chain.filereader import Unreadable

    profile, env, asset = chain
    env.client.record_batch([env.tx(asset, TxKind.PLEDGE, royalty_bps=0)])

    def unreadable(*args: object) -> None:
        raise Unreadable("a damaged receipt trie")

    monkeypatch.setattr(ChainFileReader, "block_logs", unreadable)
    with Ledger(profile) as ledger:
        assert ledger.sync(progress=False).events == 1
        assert ledger._backend is not None  # py-evm read it
        assert len(ledger.transactions("0x" + asset.hex())) == 4


def test_a_reorg_to_the_same_height_is_not_taken_for_up_to_date(chain: tuple[Profile, Env, bytes]) -> None:
    profile, env, asset = chain
    b = env.backend
    assert isinstance(b, EmbeddedBackend)
    snap = b.snapshot()
    env.client.record(env.tx(asset, TxKind.PLEDGE, royalty_bps=0))
    with Ledger(profile) as ledger:
        ledger.sync(progress=False)
        indexed = ledger.state()
    b.revert(snap)  # the block indexed above leaves the chain ...
    env.client.record(env.tx(asset, TxKind.LICENCE, amount=7_00))  # ... and another takes its height
    assert b.head() == indexed[0] and "0x" + b.block(b.head()).hash.hex() != indexed[1]
    with Ledger(profile) as ledger:
        assert not ledger.up_to_date()
        r = ledger.sync(progress=False)
        assert r.reorgs == 1
        tx = ledger.transactions("0x" + asset.hex())
        assert list(tx["kind"]).count("pledge") == 0 and (tx["amount_minor"] == 700).sum() == 1


def test_confirmations_keep_the_last_blocks_out_until_final(
    chain: tuple[Profile, Env, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    profile, env, asset = chain
    b = env.backend
    assert isinstance(b, EmbeddedBackend)
    deep = replace(profile, confirmations=2)
    b.mine_empty(2)  # the indexed head is now two blocks deep: final
    with Ledger(deep) as ledger:
        assert ledger.up_to_date()
    env.client.record(env.tx(asset, TxKind.PLEDGE, royalty_bps=0))  # head H, final is H-2
    with Ledger(deep) as ledger:
        assert not ledger.up_to_date()
        assert ledger.sync(progress=False).events == 0  # H-2 is an empty block; H is not final
        assert ledger.state()[0] == b.head() - 2
    with Ledger(deep) as ledger:
        assert ledger.up_to_date()
        assert len(ledger.transactions("0x" + asset.hex())) == 3
    b.mine_empty(2)  # now H is final
    with Ledger(deep) as ledger:
        assert not ledger.up_to_date()
        assert ledger.sync(progress=False).events == 1
        assert len(ledger.transactions("0x" + asset.hex())) == 4
    _no_chain(monkeypatch)
    with Ledger(deep) as ledger:
        assert ledger.up_to_date()
        assert ledger.sync(progress=False).events == 0
