"""Encrypted signing keys: keystore v3 files (scrypt), one per named account.

A profile names an account (``account = "NAME"`` in ``ipledger.toml``); the key stays encrypted on
disk under ``<data_dir>/keystore`` and is decrypted only in memory, for the process that signs::

    store = KeyStore(profile.keystore_dir)
    address = store.new("registry-office", password)
    account = store.unlock("registry-office", password)   # eth_account LocalAccount

The files are the Web3 Secret Storage (keystore v3) format that geth, foundry's ``cast wallet``
and MetaMask import, written by eth-account. Nothing here prints, logs or puts key material or
passwords into an exception message.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address

from ipledger.errors import ConfigError

__all__ = ["DEFAULT_WORK_FACTOR", "KeyInfo", "KeyStore", "KeystoreSigner", "Signer", "resolve_password"]

#: scrypt cost parameter N of new keystores: eth-account's and geth's "standard" 2**18 (about
#: 3 s per unlock here). Tests may pass a smaller ``work_factor``; nothing in ipledger does.
DEFAULT_WORK_FACTOR = 2**18

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class KeyInfo:
    """One keystore account.

    Attributes:
        name: the account's name (the file is ``<name>.json``).
        address: its checksummed 0x address.
        path: the keystore file.
    """

    name: str
    address: str
    path: Path


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ConfigError(
            f"bad keystore account name {name!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter "
            "or digit"
        )
    return name


def _check_password(password: str) -> str:
    if not password:
        raise ConfigError("an empty password is refused: the keystore would protect nothing")
    return password


class KeyStore:
    """A folder of keystore v3 files, one per named account.

    Args:
        directory: the folder (created on the first write, mode 0700; files mode 0600).
        work_factor: scrypt N for new keys (default ``DEFAULT_WORK_FACTOR``).
    """

    def __init__(self, directory: Path, *, work_factor: int = DEFAULT_WORK_FACTOR) -> None:
        self.directory = Path(directory)
        self.work_factor = work_factor

    def path(self, name: str) -> Path:
        """The file of account ``name``."""
        return self.directory / f"{_check_name(name)}.json"

    def new(self, name: str, password: str) -> str:
        """Create a fresh random key under ``name``; returns its address."""
        account: LocalAccount = Account.create()
        return self._write(name, account, password)

    def import_key(self, name: str, private_key_hex: str, password: str) -> str:
        """Encrypt an existing private key (64 hex digits, ``0x`` optional) under ``name``."""
        text = private_key_hex.strip()
        digits = text[2:] if text.lower().startswith("0x") else text
        if not re.fullmatch(r"[0-9a-fA-F]{64}", digits):
            # Never echo the input: it may be a key with a typo.
            raise ConfigError("not a private key: expected 64 hexadecimal digits (0x optional)")
        try:
            account: LocalAccount = Account.from_key(bytes.fromhex(digits))
        except (ValueError, TypeError):
            raise ConfigError("not a valid secp256k1 private key") from None
        return self._write(name, account, password)

    def _write(self, name: str, account: LocalAccount, password: str) -> str:
        path = self.path(name)
        _check_password(password)
        if path.exists():
            raise ConfigError(f"keystore account {name!r} already exists ({path})")
        for other in self.list():
            if other.address == account.address:
                raise ConfigError(f"this key is already in the keystore as {other.name!r}")
        # kdf is named explicitly: eth-account's default can be switched to pbkdf2 by an
        # environment variable (ETH_ACCOUNT_KDF).
        keyfile = Account.encrypt(account.key, password, kdf="scrypt", iterations=self.work_factor)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(keyfile, fh)
        tmp.replace(path)
        return str(account.address)

    def list(self) -> list[KeyInfo]:
        """Every account in the folder, by name."""
        if not self.directory.is_dir():
            return []
        out = []
        for path in sorted(self.directory.glob("*.json")):
            try:
                address = json.loads(path.read_text())["address"]
                out.append(KeyInfo(path.stem, to_checksum_address("0x" + str(address).removeprefix("0x")), path))
            except (OSError, ValueError, KeyError, TypeError):
                continue  # not a keystore file
        return out

    def address(self, name: str) -> str:
        """The address of account ``name`` without unlocking it."""
        for info in self.list():
            if info.name == name:
                return info.address
        raise ConfigError(f"no keystore account {name!r} in {self.directory} (create it with `ipledger keys new`)")

    def unlock(self, name: str, password: str) -> LocalAccount:
        """Decrypt account ``name``; ConfigError on a wrong password or a damaged file."""
        path = self.path(name)
        if not path.is_file():
            raise ConfigError(f"no keystore account {name!r} in {self.directory} (create it with `ipledger keys new`)")
        try:
            keyfile = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read keystore file {path}: {exc.__class__.__name__}") from None
        try:
            key = Account.decrypt(keyfile, password)
        except ValueError:
            # eth-keyfile raises ValueError("MAC mismatch") for a wrong password.
            raise ConfigError(f"wrong password for keystore account {name!r}") from None
        except (KeyError, TypeError, NotImplementedError):
            raise ConfigError(f"keystore file {path} is not a valid keystore v3 file") from None
        account: LocalAccount = Account.from_key(key)
        return account


def resolve_password(
    *, file: Path | None = None, env: str | None = None, prompt: bool = True, confirm: bool = False
) -> str:
    """The password from a file (first line), an environment variable, or an interactive prompt.

    Args:
        file: read the password from this file's first line.
        env: name of an environment variable that holds the password.
        prompt: ask on the terminal when neither is given (never echoed).
        confirm: ask twice and require the same answer (for new keys).

    Raises:
        ConfigError: none of the sources gives a password (the message never contains one).
    """
    if file is not None:
        try:
            lines = Path(file).read_text().splitlines()
        except OSError as exc:
            raise ConfigError(f"cannot read the password file {file}: {exc.strerror}") from None
        return _check_password(lines[0] if lines else "")
    if env is not None:
        value = os.environ.get(env)
        if not value:
            raise ConfigError(f"the environment variable {env} that should hold the password is not set")
        return value
    if not prompt or not sys.stdin.isatty():
        raise ConfigError("a keystore password is needed: give --password-file or --password-env (no terminal)")
    first = getpass.getpass("keystore password: ")
    if confirm and getpass.getpass("repeat the password: ") != first:
        raise ConfigError("the two passwords differ")
    return _check_password(first)


class Signer(Protocol):
    """What the chain backends sign with: an eth-account ``LocalAccount`` or a :class:`KeystoreSigner`."""

    @property
    def address(self) -> str: ...

    def sign_transaction(self, transaction_dict: dict[str, Any]) -> Any: ...


class KeystoreSigner:
    """A keystore account that is unlocked on its first signature, not before.

    Read-only commands (audit, history) then never ask for the password. The address comes from
    the keystore file and is checked against the decrypted key on unlock, so a file whose
    address field was edited cannot make ipledger sign as someone else.

    Args:
        store: the keystore.
        name: the account's name.
        password: called once, on the first signature, for the password.
    """

    def __init__(self, store: KeyStore, name: str, password: Callable[[], str]) -> None:
        self._store = store
        self._name = name
        self._password = password
        self._address = store.address(name)
        self._account: LocalAccount | None = None

    def __repr__(self) -> str:
        return f"KeystoreSigner({self._name!r}, {self._address})"

    @property
    def address(self) -> str:
        return self._address

    def unlock(self) -> LocalAccount:
        """The decrypted account (asks for the password the first time)."""
        if self._account is None:
            account = self._store.unlock(self._name, self._password())
            if account.address != self._address:
                raise ConfigError(f"keystore file of {self._name!r} names another address than its key")
            self._account = account
        return self._account

    def sign_transaction(self, transaction_dict: dict[str, Any]) -> Any:
        return self.unlock().sign_transaction(transaction_dict)
