"""A small demo ledger (valued, quoted, audited) and a platform over it with one account per role."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ipledger.chain.codes import OrgKind
from ipledger.config import Profile
from ipledger.web.accounts import ROLES

PASSWORD = "correct horse battery"
KEY_PASSWORD = "keystore pass 1"
ORG_OF_ROLE = {
    "read-only": ("holder-co", "holder"),
    "registrar": ("ip-office", "registry"),
    "recorder": ("exchange", "exchange"),
    "valuer": ("valuer-co", "valuer"),
    "insurer": ("insurer-co", "insurer"),
    "auditor": ("audit-co", "auditor"),
    "admin": ("platform-admin", "registry"),
}


class _TestKeyStore:
    """Keystore v3 files through eth-account, with a cheap scrypt cost for tests; used only
    where this version has no ``ipledger.keys`` (the platform then codes against the same
    ``unlock(name, password)``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def import_key(self, name: str, private_key_hex: str, password: str) -> str:
        from eth_account import Account

        data = Account.encrypt(private_key_hex, password, kdf="scrypt", iterations=2**4)
        (self.directory / f"{name}.json").write_text(json.dumps(data))
        return str(Account.from_key(private_key_hex).address)

    def unlock(self, name: str, password: str) -> Any:
        from eth_account import Account

        data = json.loads((self.directory / f"{name}.json").read_text())
        return Account.from_key(Account.decrypt(data, password))


def make_keystore(directory: Path) -> Any:
    try:
        from ipledger.keys import KeyStore  # type: ignore[import-not-found,unused-ignore]
    except ModuleNotFoundError:
        return _TestKeyStore(directory)
    try:
        return KeyStore(directory, work_factor=2**4)
    except TypeError:
        return KeyStore(directory)


@dataclass
class DemoLedger:
    profile: Profile
    asset_id: str
    report_hash: str
    keystore: Any


@pytest.fixture(scope="session")
def demo_ledger(tmp_path_factory: pytest.TempPathFactory) -> DemoLedger:
    """A generated market on the embedded chain, one asset valued and quoted (anchored), and
    keystore keys for the valuer and insurer organisations holding their chain roles."""
    import os
    import subprocess
    import sys

    from ipledger.ledger import Ledger

    folder = tmp_path_factory.mktemp("platform")
    profile = Profile(name="web", data_dir=folder / "data")
    # The demo as a user runs it, in its own process: nothing of it stays open in this one.
    env = {k: v for k, v in os.environ.items() if not k.startswith("IPLEDGER_") or k == "IPLEDGER_SHARED_DATA"}
    env["IPLEDGER_DATA_DIR"] = str(profile.data_dir)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ipledger.cli.main",
            "demo",
            "--assets",
            "60",
            "--transactions",
            "400",
            "--json",
            "--no-screenshots",
            "--out",
            str(folder / "reports"),
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr
    figures = json.loads(proc.stdout)["figures"]
    ks = make_keystore(profile.data_dir / "keystore")
    with Ledger.open(profile) as ledger:
        keys = ledger.backend.evm.account_keys
        for role, index in (("valuer", 7), ("insurer", 8)):
            key = keys[index]
            address = ks.import_key(f"{role}-key", key.to_hex(), KEY_PASSWORD)
            ledger.client.grant_role(role, bytes.fromhex(address[2:]))
            # The platform writes only for an account the on-chain directory lists for its org.
            org_id, kind = ORG_OF_ROLE[role]
            title = org_id.replace("-", " ").title()
            ledger.client.set_organisation(bytes.fromhex(address[2:]), org_id, title, OrgKind[kind.upper()])
        ledger.sync(progress=False)
    return DemoLedger(profile, str(figures["asset_id"]), str(figures["valuation_hash"]), ks)


def add_accounts(accounts: Any, keystore: Any) -> None:
    """One organisation and one account per role (user name = role)."""
    for role in ROLES:
        org_id, kind = ORG_OF_ROLE[role]
        account = key = None
        if role in ("valuer", "insurer"):
            key = f"{role}-key"
            account = str(keystore.unlock(key, KEY_PASSWORD).address).lower()
        accounts.add_org(org_id, org_id.replace("-", " ").title(), kind, account, key)
        accounts.add_user(role.replace("-", ""), PASSWORD, org_id, role)


@pytest.fixture(scope="session")
def platform_app(demo_ledger: DemoLedger, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from ipledger.web import WebSettings, create_app

    db = tmp_path_factory.mktemp("platform-db") / "platform.sqlite"
    app = create_app(WebSettings(profile=demo_ledger.profile, db_url=f"sqlite:///{db}", keystore=demo_ledger.keystore))
    add_accounts(app.state.platform.accounts, demo_ledger.keystore)
    yield app
    app.state.platform.audits.wait(60)


def username(role: str) -> str:
    return role.replace("-", "")
