"""Keystore accounts: encrypted at rest, unlocked only with the password, never echoed."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from eth_account import Account

from ipledger.chain.devkeys import DEV_MNEMONIC, MNEMONIC_ADDRESSES, check_signer, dev_addresses, is_dev_key
from ipledger.chain.embedded import CHAIN_ID
from ipledger.config import load_profile
from ipledger.errors import ConfigError
from ipledger.keys import DEFAULT_WORK_FACTOR, KeyStore, KeystoreSigner, resolve_password

FAST = 2**10  # scrypt N for tests only; the default is DEFAULT_WORK_FACTOR
KEY = "0x" + "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"


def test_new_import_list_unlock(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "ks", work_factor=FAST)
    a = store.new("alice", "pw-a")
    b = store.import_key("bob", KEY, "pw-b")
    assert b == Account.from_key(KEY).address
    assert [(i.name, i.address) for i in store.list()] == [("alice", a), ("bob", b)]
    assert store.unlock("alice", "pw-a").address == a
    assert store.unlock("bob", "pw-b").key.hex() == KEY[2:]
    keyfile = json.loads(store.path("bob").read_text())
    assert keyfile["version"] == 3 and keyfile["crypto"]["kdf"] == "scrypt"
    assert KEY[2:] not in store.path("bob").read_text()  # encrypted at rest
    assert stat.S_IMODE(store.path("bob").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "ks").stat().st_mode) == 0o700


def test_default_work_factor_is_the_standard_scrypt_cost(tmp_path: Path) -> None:
    assert DEFAULT_WORK_FACTOR == 2**18
    assert KeyStore(tmp_path).work_factor == 2**18


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda s: s.unlock("bob", "wrong"), "wrong password for keystore account 'bob'"),
        (lambda s: s.unlock("carol", "pw"), "no keystore account 'carol'"),
        (lambda s: s.new("bob", "pw"), "already exists"),
        (lambda s: s.import_key("bob2", KEY, "pw"), "already in the keystore as 'bob'"),
        (lambda s: s.new("../evil", "pw"), "bad keystore account name"),
        (lambda s: s.new("empty", ""), "empty password"),
        (lambda s: s.import_key("x", KEY[:-1] + "z", "pw"), "not a private key"),
        (lambda s: s.import_key("x", "0x" + "00" * 32, "pw"), "not a valid secp256k1 private key"),
    ],
)
def test_keystore_errors_are_one_line_and_never_show_the_key(tmp_path: Path, action, message: str) -> None:  # type: ignore[no-untyped-def]
    store = KeyStore(tmp_path, work_factor=FAST)
    store.import_key("bob", KEY, "pw-b")
    with pytest.raises(ConfigError, match=message) as info:
        action(store)
    text = str(info.value)
    assert "\n" not in text and KEY[2:12] not in text and "pw-b" not in text


def test_signer_unlocks_lazily_and_checks_the_file_address(tmp_path: Path) -> None:
    store = KeyStore(tmp_path, work_factor=FAST)
    address = store.import_key("bob", KEY, "pw-b")
    asked: list[int] = []

    def password() -> str:
        asked.append(1)
        return "pw-b"

    signer = KeystoreSigner(store, "bob", password)
    assert signer.address == address and not asked  # no password to know the address
    assert "pw-b" not in repr(signer) and KEY[2:10] not in repr(signer)
    tx = {
        "type": 2,
        "chainId": 1,
        "nonce": 0,
        "maxFeePerGas": 1,
        "maxPriorityFeePerGas": 0,
        "gas": 21000,
        "to": address,
        "value": 0,
        "data": b"",
    }
    signer.sign_transaction(tx)
    signer.sign_transaction(tx)
    assert asked == [1]
    # A hostile folder edits the address field: the signer refuses rather than sign as another.
    data = json.loads(store.path("bob").read_text())
    data["address"] = MNEMONIC_ADDRESSES[1][2:].lower()
    store.path("bob").write_text(json.dumps(data))
    forged = KeystoreSigner(store, "bob", lambda: "pw-b")
    with pytest.raises(ConfigError, match="names another address"):
        forged.sign_transaction(tx)


def test_resolve_password_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pw").write_text("from-file\nignored\n")
    assert resolve_password(file=tmp_path / "pw") == "from-file"
    monkeypatch.setenv("MY_PW", "from-env")
    assert resolve_password(env="MY_PW") == "from-env"
    with pytest.raises(ConfigError, match=r"MY_OTHER_PW .* is not set"):
        resolve_password(env="MY_OTHER_PW")
    with pytest.raises(ConfigError, match="password-file or --password-env"):
        resolve_password(prompt=False)


def test_raw_private_key_in_toml_is_refused_without_echo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "ipledger.toml"
    cfg.write_text(f'[profile.local]\nbackend = "embedded"\nprivate_key = "{KEY}"\n')
    with pytest.raises(ConfigError, match=r"raw private_key in ipledger\.toml is refused") as info:
        load_profile("local", cfg)
    assert KEY[2:12] not in str(info.value) and "\n" not in str(info.value)
    # The environment variable stays for CI, and a profile's repr never shows it.
    cfg.write_text('[profile.local]\nbackend = "embedded"\naccount = "rec"\npassword_env = "PW"\n')
    monkeypatch.setenv("IPLEDGER_PRIVATE_KEY", KEY)
    prof = load_profile("local", cfg)
    assert prof.private_key == KEY and prof.account == "rec" and prof.password_env == "PW"
    assert KEY[2:12] not in repr(prof)


def test_dev_keys_are_the_published_ones() -> None:
    Account.enable_unaudited_hdwallet_features()
    for i in (0, 9, 19):
        derived = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}").address
        assert derived == MNEMONIC_ADDRESSES[i]
    tester_key_1 = Account.from_key((1).to_bytes(32, "big")).address
    assert is_dev_key(bytes.fromhex(tester_key_1[2:]))
    assert not is_dev_key(bytes.fromhex(Account.from_key(KEY).address[2:]))
    assert len(dev_addresses()) == 20 + 100


def test_dev_keys_refused_off_development_chains() -> None:
    dev = bytes.fromhex(MNEMONIC_ADDRESSES[0][2:])
    check_signer(CHAIN_ID, dev)
    check_signer(31337, dev)
    check_signer(1, dev, allow_dev_keys=True)
    check_signer(1, bytes.fromhex(Account.from_key(KEY).address[2:]))
    with pytest.raises(ConfigError, match=r"public development key .* chain 1 is not a development chain"):
        check_signer(1, dev)


def test_keys_cli_new_and_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from ipledger.cli.main import app

    for var in ("IPLEDGER_PROFILE", "IPLEDGER_DATA_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ipledger.toml").write_text('[profile.local]\nbackend = "embedded"\ndata_dir = "d"\n')
    (tmp_path / "pw").write_text("a long passphrase\n")
    runner = CliRunner()
    made = runner.invoke(app, ["keys", "new", "alice", "--password-file", "pw", "--json"])
    assert made.exit_code == 0, made.output
    address = json.loads(made.output)["address"]
    listed = runner.invoke(app, ["keys", "list", "--json"])
    assert json.loads(listed.output) == [
        {"name": "alice", "address": address, "path": str(tmp_path / "d" / "keystore" / "alice.json")}
    ]
    keyfile = json.loads((tmp_path / "d" / "keystore" / "alice.json").read_text())
    assert keyfile["crypto"]["kdfparams"]["n"] == DEFAULT_WORK_FACTOR  # the CLI never lowers the cost
    assert KeyStore(tmp_path / "d" / "keystore").unlock("alice", "a long passphrase").address == address
    again = runner.invoke(app, ["keys", "new", "alice", "--password-file", "pw"])
    assert again.exit_code != 0 and "already exists" in str(again.exception)
