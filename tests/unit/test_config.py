"""Profiles from ipledger.toml, overridden by environment variables, with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from ipledger.config import load_profile
from ipledger.errors import ConfigError

TOML = """
default_profile = "local"
[profile.local]
backend = "embedded"
data_dir = "chain-data"
[profile.node]
backend = "rpc"
rpc_url = "http://127.0.0.1:9999"
max_log_range = 2000
"""


def test_profiles_and_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "ipledger.toml"
    cfg.write_text(TOML)
    for var in ("IPLEDGER_PROFILE", "IPLEDGER_RPC_URL", "IPLEDGER_MAX_LOG_RANGE", "IPLEDGER_DB_URL"):
        monkeypatch.delenv(var, raising=False)
    local = load_profile(config_path=cfg)
    assert local.backend == "embedded" and local.data_dir == tmp_path / "chain-data"
    assert local.store_url == f"sqlite:///{tmp_path / 'chain-data' / 'ledger.sqlite'}"
    node = load_profile("node", cfg)
    assert (node.backend, node.rpc_url, node.max_log_range, node.log_concurrency) == (
        "rpc",
        "http://127.0.0.1:9999",
        2000,
        4,
    )
    monkeypatch.setenv("IPLEDGER_PROFILE", "node")
    monkeypatch.setenv("IPLEDGER_RPC_URL", "http://127.0.0.1:8545")
    monkeypatch.setenv("IPLEDGER_MAX_LOG_RANGE", "500")
    again = load_profile(config_path=cfg)
    assert (again.name, again.rpc_url, again.max_log_range) == ("node", "http://127.0.0.1:8545", 500)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('backend = "ipfs"', "backend must be"),
        ('confirmations = "many"', "confirmations must be an integer"),
        ("log_concurrency = 0", "log_concurrency is out of range"),
        ('colour = "blue"', "unknown field"),
    ],
)
def test_bad_profiles_say_what_is_wrong(tmp_path: Path, extra: str, message: str) -> None:
    cfg = tmp_path / "ipledger.toml"
    cfg.write_text(f"[profile.local]\n{extra}\n")
    with pytest.raises(ConfigError, match=message):
        load_profile("local", cfg)
    with pytest.raises(ConfigError, match="unknown profile"):
        load_profile("nope", cfg)


def test_admin_delay_defaults_by_backend_and_is_configurable(tmp_path: Path) -> None:
    from ipledger.config import RPC_ADMIN_DELAY

    cfg = tmp_path / "ipledger.toml"
    extra = 'admin_delay = 3600\n[profile.shared]\nbackend = "rpc"\n[profile.bad]\nadmin_delay = "soon"\n'
    cfg.write_text(TOML + extra)
    assert load_profile("local", config_path=cfg).effective_admin_delay == 0
    assert load_profile("shared", config_path=cfg).effective_admin_delay == RPC_ADMIN_DELAY == 172_800
    assert load_profile("node", config_path=cfg).effective_admin_delay == 3600
    with pytest.raises(ConfigError, match="admin_delay"):
        load_profile("bad", config_path=cfg)
