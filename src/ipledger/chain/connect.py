"""Open the backend a profile names, and the deployed contracts on it."""

from __future__ import annotations

from ipledger.chain.backend import ChainBackend
from ipledger.chain.client import LedgerClient
from ipledger.chain.deploy import Deployment, deploy, is_deployed
from ipledger.config import Profile
from ipledger.errors import ConfigError


def open_backend(profile: Profile) -> ChainBackend:
    """The chain backend of ``profile`` (creating the embedded chain's folder if needed)."""
    if profile.backend == "embedded":
        from ipledger.chain.embedded import EmbeddedBackend

        return EmbeddedBackend(profile.data_dir)
    from ipledger.chain.rpc import RPCBackend

    return RPCBackend(profile.rpc_url, profile.private_key)


def ensure_deployed(profile: Profile, backend: ChainBackend) -> tuple[Deployment, bool]:
    """The profile's deployment, deploying first when the chain has none; True if new."""
    path = profile.deployment_file
    if path.is_file():
        existing = Deployment.from_file(path)
        if is_deployed(backend, existing):
            return existing, False
    deployment = deploy(backend, admin_delay=profile.effective_admin_delay)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(deployment.to_json())
    tmp.replace(path)
    return deployment, True


def connect(profile: Profile, backend: ChainBackend | None = None) -> LedgerClient:
    """A client of the profile's deployed contracts; ConfigError when nothing is deployed."""
    backend = backend or open_backend(profile)
    path = profile.deployment_file
    if not path.is_file():
        raise ConfigError(f"no contracts deployed for profile {profile.name!r}: run `ipledger init`")
    d = Deployment.from_file(path)
    if not is_deployed(backend, d):
        raise ConfigError(
            f"the contracts recorded in {path} are not on this chain (chain id {backend.chain_id}): "
            "run `ipledger deploy`"
        )
    return LedgerClient(backend, d.ledger, d.registry)
