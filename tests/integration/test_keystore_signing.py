"""Profiles sign with their keystore account on both backends; development keys stay on dev chains."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from ipledger.chain.anvil import anvil_executable
from ipledger.chain.codes import AssetKind
from ipledger.chain.connect import connect, ensure_deployed, open_backend
from ipledger.chain.records import AssetInput
from ipledger.chain.rpc import RPCBackend
from ipledger.config import load_profile
from ipledger.errors import ConfigError
from ipledger.keys import KeyStore
from tests.conftest import AnvilNode

FAST = 2**10
FILED = 1_500_000_000


def _asset(owner: bytes, number: str = "ZL201810012345.6") -> AssetInput:
    return AssetInput("CN", AssetKind.INVENTION, number, "A61K31/00", FILED, owner)


def _profile(folder: Path, monkeypatch: pytest.MonkeyPatch, **kw: object):  # type: ignore[no-untyped-def]
    store = KeyStore(folder / "keystore", work_factor=FAST)
    address = store.new("recorder", "s3cret-pass")
    monkeypatch.setenv("TEST_KS_PW", "s3cret-pass")
    prof = replace(
        load_profile("local"), data_dir=folder, db_url=None, account="recorder", password_env="TEST_KS_PW", **kw
    )
    return prof, bytes.fromhex(address[2:])


def test_embedded_chain_signs_with_the_keystore_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prof, me = _profile(tmp_path, monkeypatch)
    with open_backend(prof) as backend:
        assert backend.accounts()[0] == me
        deployment, fresh = ensure_deployed(prof, backend)
        assert fresh and deployment.deployer == me
        client = connect(prof, backend)
        assert client.sender == me and client.admin() == me
        result = client.register_asset(_asset(backend.accounts()[1]))
        assert backend.transaction_sender(result.tx_hash) == me


@pytest.mark.anvil
def test_rpc_node_signs_with_the_keystore_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, anvil_node: AnvilNode
) -> None:
    prof, me = _profile(tmp_path, monkeypatch, backend="rpc", rpc_url=anvil_node.url)
    with open_backend(prof) as backend:
        assert isinstance(backend, RPCBackend)
        backend.rpc.request("anvil_setBalance", ["0x" + me.hex(), hex(10**21)])
        deployment, _ = ensure_deployed(prof, backend)
        assert deployment.deployer == me
        client = connect(prof, backend)
        result = client.register_asset(_asset(bytes.fromhex("11" * 20), "ZL201810099999.1"))
        assert backend.transaction_sender(result.tx_hash) == me


@pytest.mark.anvil
def test_dev_keys_refused_on_a_non_development_chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if anvil_executable() is None:
        pytest.skip("anvil not installed")
    node = AnvilNode.__mro__[1](chain_id=4242)  # the library launcher, on another chain id
    try:
        plain = replace(load_profile("anvil"), data_dir=tmp_path / "a", rpc_url=node.url, db_url=None)
        # The node's unlocked accounts are anvil's mnemonic accounts: refused before anything is sent.
        with open_backend(plain) as backend, pytest.raises(ConfigError, match="public development key"):
            ensure_deployed(plain, backend)
        with open_backend(replace(plain, allow_dev_keys=True)) as backend:
            deployment, _ = ensure_deployed(replace(plain, allow_dev_keys=True), backend)
            assert backend.chain_id == 4242
        # The CI variable with a development key is refused when the backend opens.
        dev_key = "0x" + (1).to_bytes(32, "big").hex()
        with pytest.raises(ConfigError, match="public development key"):
            open_backend(replace(plain, private_key=dev_key))
        # A keystore account of its own signs there.
        prof, me = _profile(tmp_path / "b", monkeypatch, backend="rpc", rpc_url=node.url)
        with open_backend(prof) as backend:
            assert isinstance(backend, RPCBackend)
            backend.rpc.request("anvil_setBalance", ["0x" + me.hex(), hex(10**21)])
            deployment, _ = ensure_deployed(prof, backend)
            assert deployment.deployer == me
    finally:
        node.stop()


@pytest.mark.anvil
def test_platform_writes_on_an_rpc_node_sign_with_the_organisations_keystore_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, anvil_node: AnvilNode
) -> None:
    """The platform holds a member's unlocked key for one write on a JSON-RPC node too."""
    from ipledger.chain.codes import OrgKind
    from ipledger.errors import ValidationError
    from ipledger.ledger import Ledger
    from ipledger.web.data import LedgerView
    from ipledger.web.writes import Writer

    prof = replace(load_profile("anvil"), data_dir=tmp_path, rpc_url=anvil_node.url, db_url=None)
    store = KeyStore(tmp_path / "keystore", work_factor=FAST)
    member = store.new("registry-key", "member pass")
    me = bytes.fromhex(member[2:])
    with open_backend(prof) as backend:
        assert isinstance(backend, RPCBackend)
        backend.rpc.request("anvil_setBalance", [member, hex(10**21)])
        ensure_deployed(prof, backend)
        admin = connect(prof, backend)
        admin.grant_role("registrar", me)
        admin.set_organisation(me, "cnipa-bj", "Beijing IP office", int(OrgKind.REGISTRY))
        with Ledger(prof, backend) as ledger:
            ledger.sync(progress=False)
            writer = Writer(LedgerView(ledger), store)
            org = {"org_id": "cnipa-bj", "account": member, "key_name": "registry-key"}
            with pytest.raises(ValidationError, match="did not unlock"):
                writer._client(org, "wrong pass")
            client, forget = writer._client(org, "member pass")
            try:
                result = client.register_asset(_asset(bytes.fromhex("22" * 20), "ZL201810077777.3"))
            finally:
                forget()
            assert backend.transaction_sender(result.tx_hash) == me
            # Once forgotten, the node is asked to sign for the address, and it holds no such key.
            with pytest.raises(Exception, match=r"(?i)unknown account|no signer|not found|unlocked") as gone:
                client.register_asset(_asset(bytes.fromhex("22" * 20), "ZL201810088888.X"))
            assert "ZL201810088888" not in str(gone.value)  # refused for want of a key, not by the contract
