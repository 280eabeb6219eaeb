"""Profiles from ``ipledger.toml``; environment variables override.

A profile names a chain backend and where the ledger store lives::

    [profile.local]
    backend = "embedded"
    data_dir = ".ipledger"

    [profile.anvil]
    backend = "rpc"
    rpc_url = "http://127.0.0.1:8545"

A profile signs with an encrypted keystore account (``account = "NAME"``, see
:mod:`ipledger.keys`); its password comes from ``password_file``, the environment variable named by
``password_env``, or a prompt. A raw ``private_key`` in ``ipledger.toml`` is refused: the file is
easily shared or committed. ``IPLEDGER_PRIVATE_KEY`` stays for CI.

Overrides: ``IPLEDGER_PROFILE`` picks the profile; ``IPLEDGER_BACKEND``, ``IPLEDGER_DATA_DIR``,
``IPLEDGER_RPC_URL``, ``IPLEDGER_DB_URL``, ``IPLEDGER_PRIVATE_KEY``, ``IPLEDGER_ACCOUNT``,
``IPLEDGER_CONFIRMATIONS``, ``IPLEDGER_MAX_LOG_RANGE``, ``IPLEDGER_LOG_CONCURRENCY``, ``IPLEDGER_LANG``
(report language: en or zh-CN) and ``IPLEDGER_LOCK_TIMEOUT`` (seconds a writer waits for another
ipledger process writing to the embedded chain) override the matching field of the chosen profile.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from ipledger.errors import ConfigError

CONFIG_FILE = "ipledger.toml"
DEFAULT_PROFILE = "local"
Backend = Literal["embedded", "rpc"]
# Default admin hand-over delay on shared (RPC) chains: two days, long enough for the other
# organisations to notice a begun transfer and react (an assumption; see docs/decisions).
RPC_ADMIN_DELAY = 2 * 24 * 3600

DEFAULT_TOML = """\
# ipledger chain profiles. Environment variables override any field:
# IPLEDGER_PROFILE, IPLEDGER_BACKEND, IPLEDGER_DATA_DIR, IPLEDGER_RPC_URL, IPLEDGER_DB_URL,
# IPLEDGER_PRIVATE_KEY, IPLEDGER_ACCOUNT, IPLEDGER_CONFIRMATIONS, IPLEDGER_MAX_LOG_RANGE,
# IPLEDGER_LOG_CONCURRENCY, IPLEDGER_LANG, IPLEDGER_LOCK_TIMEOUT.
# Sign with a keystore account: account = "NAME" (`ipledger keys new NAME`).
default_profile = "local"

[profile.local]
backend = "embedded"          # in-process py-evm chain persisted under data_dir
data_dir = ".ipledger"
lang = "en"                   # language of the HTML and terminal reports: en or zh-CN

[profile.anvil]
backend = "rpc"               # any JSON-RPC node; anvil for local tests
rpc_url = "http://127.0.0.1:8545"
data_dir = ".ipledger-anvil"  # ledger store, documents and deployment record
"""


@dataclass(frozen=True)
class Profile:
    """Where the chain is and where the ledger keeps its files.

    Attributes:
        name: profile name.
        backend: ``"embedded"`` or ``"rpc"``.
        data_dir: folder for the embedded chain, the SQLite store, documents and reports.
        rpc_url: JSON-RPC endpoint (rpc backend).
        db_url: SQLAlchemy URL of the ledger store; default SQLite in ``data_dir``.
        private_key: hex key to sign with (only from ``IPLEDGER_PRIVATE_KEY``, for CI).
        account: keystore account to sign with (``ipledger keys``), under ``keystore_dir``.
        password_file: file whose first line is the keystore password.
        password_env: environment variable that holds the keystore password.
        allow_dev_keys: allow the public development keys on chains that are not development chains.
        confirmations: blocks behind the head that the indexer treats as final.
        max_log_range: cap on the block range of one eth_getLogs call (providers often limit it).
        log_concurrency: eth_getLogs calls the indexer keeps in flight.
        lang: language of the reports people read, ``"en"`` or ``"zh-CN"``.
        lock_timeout: seconds a writer waits while another process writes to the embedded chain.
        addresses: deployed contract addresses, filled in by ``deploy``.
        admin_delay: seconds a new default admin must wait before accepting the hand-over;
            None means 0 on the embedded chain and ``RPC_ADMIN_DELAY`` (two days) over RPC.
    """

    name: str
    backend: Backend = "embedded"
    data_dir: Path = Path(".ipledger")
    rpc_url: str = "http://127.0.0.1:8545"
    db_url: str | None = None
    private_key: str | None = field(default=None, repr=False)
    account: str | None = None
    password_file: Path | None = None
    password_env: str | None = None
    allow_dev_keys: bool = False
    confirmations: int = 0
    max_log_range: int = 1_000_000
    log_concurrency: int = 4
    lang: str = "en"
    lock_timeout: float = 30.0
    addresses: dict[str, str] = field(default_factory=dict)
    admin_delay: int | None = None

    @property
    def effective_admin_delay(self) -> int:
        """The admin delay a deployment from this profile gets, in seconds."""
        if self.admin_delay is not None:
            return self.admin_delay
        return 0 if self.backend == "embedded" else RPC_ADMIN_DELAY

    @property
    def store_url(self) -> str:
        return self.db_url or f"sqlite:///{self.data_dir / 'ledger.sqlite'}"

    @property
    def keystore_dir(self) -> Path:
        return self.data_dir / "keystore"

    @property
    def deployment_file(self) -> Path:
        return self.data_dir / "deployment.json"

    @property
    def documents_dir(self) -> Path:
        return self.data_dir / "documents"


def find_config(start: Path | None = None) -> Path | None:
    """The nearest ``ipledger.toml`` at or above ``start`` (default: the working folder)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate
    return None


def load_profile(name: str | None = None, config_path: Path | None = None) -> Profile:
    """Load a profile; without a config file the built-in ``local`` and ``anvil`` ones apply."""
    path = config_path or find_config()
    raw: dict[str, object]
    base = path.parent if path else Path.cwd()
    try:
        raw = tomllib.loads(path.read_text()) if path else tomllib.loads(DEFAULT_TOML)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    chosen = name or os.environ.get("IPLEDGER_PROFILE") or str(raw.get("default_profile", DEFAULT_PROFILE))
    profiles = raw.get("profile", {})
    if not isinstance(profiles, dict) or chosen not in profiles:
        known = ", ".join(sorted(profiles)) if isinstance(profiles, dict) else ""
        raise ConfigError(f"unknown profile {chosen!r} (known: {known or 'none'})")
    section = dict(profiles[chosen])
    if "private_key" in section:
        # Never echo the value: it is a key.
        raise ConfigError(
            f"profile {chosen!r}: a raw private_key in {path.name if path else CONFIG_FILE} is refused; "
            'encrypt it with `ipledger keys import NAME` and set account = "NAME" (IPLEDGER_PRIVATE_KEY stays for CI)'
        )
    env = {
        "backend": "IPLEDGER_BACKEND",
        "data_dir": "IPLEDGER_DATA_DIR",
        "rpc_url": "IPLEDGER_RPC_URL",
        "db_url": "IPLEDGER_DB_URL",
        "private_key": "IPLEDGER_PRIVATE_KEY",
        "account": "IPLEDGER_ACCOUNT",
        "confirmations": "IPLEDGER_CONFIRMATIONS",
        "max_log_range": "IPLEDGER_MAX_LOG_RANGE",
        "log_concurrency": "IPLEDGER_LOG_CONCURRENCY",
        "lang": "IPLEDGER_LANG",
        "lock_timeout": "IPLEDGER_LOCK_TIMEOUT",
    }
    for key, var in env.items():
        if os.environ.get(var):
            section[key] = os.environ[var]
    unknown = set(section) - {f for f in Profile.__dataclass_fields__ if f != "name"}
    if unknown:
        raise ConfigError(f"profile {chosen!r}: unknown field(s) {', '.join(sorted(unknown))}")
    backend = section.get("backend", "embedded")
    if backend not in ("embedded", "rpc"):
        raise ConfigError(f"profile {chosen!r}: backend must be 'embedded' or 'rpc', not {backend!r}")
    data_dir = Path(str(section.get("data_dir", ".ipledger")))
    if not data_dir.is_absolute():
        data_dir = base / data_dir
    numbers: dict[str, int] = {}
    for key, default in (("confirmations", 0), ("max_log_range", 1_000_000), ("log_concurrency", 4)):
        try:
            numbers[key] = int(section.get(key, default))  # type: ignore[call-overload]
        except ValueError as exc:
            raise ConfigError(f"profile {chosen!r}: {key} must be an integer") from exc
        if numbers[key] < (0 if key == "confirmations" else 1):
            raise ConfigError(f"profile {chosen!r}: {key} is out of range ({numbers[key]})")
    from ipledger.i18n import check_lang

    try:
        lock_timeout = float(section.get("lock_timeout", 30.0))  # type: ignore[arg-type]
    except ValueError as exc:
        raise ConfigError(f"profile {chosen!r}: lock_timeout must be a number of seconds") from exc
    if not 0 <= lock_timeout <= 3600:
        raise ConfigError(f"profile {chosen!r}: lock_timeout must be 0 to 3600 seconds, not {lock_timeout}")
    admin_delay: int | None = None
    if section.get("admin_delay") is not None:
        try:
            admin_delay = int(section["admin_delay"])  # type: ignore[call-overload]
        except ValueError as exc:
            raise ConfigError(f"profile {chosen!r}: admin_delay must be an integer of seconds") from exc
        if not 0 <= admin_delay < 2**48:
            raise ConfigError(f"profile {chosen!r}: admin_delay is out of range ({admin_delay})")
    profile = Profile(
        name=chosen,
        admin_delay=admin_delay,
        backend=backend,  # type: ignore[arg-type]
        data_dir=data_dir,
        rpc_url=str(section.get("rpc_url", Profile.rpc_url)),
        db_url=str(section["db_url"]) if section.get("db_url") else None,
        private_key=str(section["private_key"]) if section.get("private_key") else None,
        account=str(section["account"]) if section.get("account") else None,
        password_file=_path(base, section.get("password_file")),
        password_env=str(section["password_env"]) if section.get("password_env") else None,
        allow_dev_keys=section.get("allow_dev_keys") is True,
        confirmations=numbers["confirmations"],
        max_log_range=numbers["max_log_range"],
        log_concurrency=numbers["log_concurrency"],
        lang=check_lang(str(section.get("lang", "en"))),
        lock_timeout=lock_timeout,
    )
    return with_deployment(profile)


def _path(base: Path, value: object) -> Path | None:
    if not value:
        return None
    path = Path(str(value))
    return path if path.is_absolute() else base / path


def with_deployment(profile: Profile) -> Profile:
    """The profile with the contract addresses recorded by the last deploy, if any."""
    import json

    if profile.deployment_file.is_file():
        data = json.loads(profile.deployment_file.read_text())
        return replace(profile, addresses=dict(data.get("addresses", {})))
    return profile


def require_ledger(profile: Profile) -> Profile:
    """``profile`` when a ledger exists for it; a ConfigError saying how to make one otherwise.

    Read commands call this first so that they never create an empty chain in a folder that is
    not a ledger's.
    """
    config = find_config()
    where = f"{config}" if config else f"no {CONFIG_FILE} in {Path.cwd()} or above"
    if profile.backend == "embedded" and not (profile.data_dir / "chain.sqlite").is_file():
        raise ConfigError(
            f"no ledger found here (profile {profile.name!r}, {where}, no chain in {profile.data_dir}): "
            "run `ipledger init` to create one, or run from the folder of an existing ledger"
        )
    if not profile.deployment_file.is_file():
        raise ConfigError(
            f"no ledger found here: no contracts recorded in {profile.deployment_file} for profile "
            f"{profile.name!r}: run `ipledger init` (or `ipledger deploy`)"
        )
    return profile
