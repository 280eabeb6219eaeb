"""Open the backend a profile names, and the deployed contracts on it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ipledger.chain.deploy import Deployment, deploy, is_deployed
from ipledger.config import Profile
from ipledger.errors import ConfigError

if TYPE_CHECKING:
    from ipledger.chain.backend import ChainBackend
    from ipledger.chain.client import LedgerClient
    from ipledger.keys import Signer

# The client, the key checks and the backends load in the functions that use them: this module
# is imported with the ``ipledger.chain`` package, which read-only commands import too.


def profile_signer(profile: Profile) -> Signer | None:
    """The account ``profile`` signs with: its keystore account, else ``IPLEDGER_PRIVATE_KEY``.

    A keystore account is unlocked on its first signature, with the password from the profile's
    ``password_file``, its ``password_env`` variable, or a prompt.
    """
    if profile.account:
        from ipledger.keys import KeyStore, KeystoreSigner, resolve_password  # loads eth-account

        store = KeyStore(profile.keystore_dir)

        def password() -> str:
            return resolve_password(file=profile.password_file, env=profile.password_env)

        return KeystoreSigner(store, profile.account, password)
    if profile.private_key:
        from eth_account import Account

        try:
            return Account.from_key(profile.private_key)  # type: ignore[no-any-return]
        except (ValueError, TypeError):
            raise ConfigError("IPLEDGER_PRIVATE_KEY is not a valid private key") from None
    return None


def open_backend(profile: Profile) -> ChainBackend:
    """The chain backend of ``profile`` (creating the embedded chain's folder if needed).

    Raises:
        ConfigError: the profile signs with a public development key on a chain that is not a
            development chain (see :func:`ipledger.chain.devkeys.check_signer`).
    """
    from ipledger.chain.devkeys import check_signer

    signer = profile_signer(profile)
    backend: ChainBackend
    if profile.backend == "embedded":
        from ipledger.chain.embedded import EmbeddedBackend

        embedded = EmbeddedBackend(profile.data_dir, lock_timeout=profile.lock_timeout)
        if signer is not None:
            embedded.use_signer(signer)
        backend = embedded
    else:
        from ipledger.chain.rpc import RPCBackend

        backend = RPCBackend(profile.rpc_url, signer=signer, allow_dev_keys=profile.allow_dev_keys)
    if signer is not None:
        try:
            check_signer(backend.chain_id, bytes.fromhex(signer.address[2:]), allow_dev_keys=profile.allow_dev_keys)
        except ConfigError:
            backend.close()
            raise
    return backend


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
    from ipledger.chain.client import LedgerClient

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
