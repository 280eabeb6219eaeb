"""Deploy the contracts of record and remember where they are."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ipledger.chain.codes import ROLES
from ipledger.errors import ChainError

if TYPE_CHECKING:
    from ipledger.chain.backend import ChainBackend

# The ABI encoder and the client load in deploy() and is_deployed(): reading a Deployment (every
# command does) needs neither.


@dataclass(frozen=True)
class Deployment:
    chain_id: int
    ledger: bytes
    registry: bytes
    block: int
    deployer: bytes

    def to_json(self) -> str:
        return json.dumps(
            {
                "chain_id": self.chain_id,
                "addresses": {"IPLedger": "0x" + self.ledger.hex(), "ValuationRegistry": "0x" + self.registry.hex()},
                "block": self.block,
                "deployer": "0x" + self.deployer.hex(),
            },
            indent=2,
        )

    @classmethod
    def from_file(cls, path: Path) -> Deployment:
        data = json.loads(path.read_text())
        return cls(
            data["chain_id"],
            bytes.fromhex(data["addresses"]["IPLedger"][2:]),
            bytes.fromhex(data["addresses"]["ValuationRegistry"][2:]),
            int(data["block"]),
            bytes.fromhex(data["deployer"][2:]),
        )


def iso4217_codes() -> list[str]:
    """Every current ISO 4217 alphabetic code (pycountry's copy of the ISO list), sorted."""
    import pycountry

    return sorted(c.alpha_3 for c in pycountry.currencies)


def deploy(
    backend: ChainBackend,
    admin: bytes | None = None,
    grant_all_roles: bool = True,
    *,
    admin_delay: int = 0,
    currencies: list[str] | None = None,
) -> Deployment:
    """Deploy IPLedger and ValuationRegistry with ``admin`` (default: first account).

    With ``grant_all_roles`` the admin also gets every operational role, which suits a
    single-user embedded ledger; production deployments grant roles per organisation.

    Args:
        backend: the chain.
        admin: default admin of both contracts.
        grant_all_roles: also grant the admin every operational role.
        admin_delay: seconds a new admin waits before accepting (0 suits development chains
            only; profiles over RPC default to two days).
        currencies: ISO 4217 codes allowed from the start (default: all of ``iso4217_codes``).
    """
    from eth_abi import encode

    from ipledger.chain.client import LedgerClient
    from ipledger.chain.compiled import load

    deployer = backend.accounts()[0]
    admin = admin or deployer
    first_block = backend.head() + 1
    codes = [c.encode("ascii") for c in (iso4217_codes() if currencies is None else currencies)]
    ledger_art, registry_art = load("IPLedger"), load("ValuationRegistry")
    r1 = backend.transact(
        deployer, None, ledger_art.bytecode + encode(["address", "uint48", "bytes3[]"], [admin, admin_delay, codes])
    )
    if r1.status != 1 or r1.contract_address is None:
        raise ChainError("IPLedger deployment failed")
    r2 = backend.transact(
        deployer,
        None,
        registry_art.bytecode + encode(["address", "address", "uint48"], [admin, r1.contract_address, admin_delay]),
    )
    if r2.status != 1 or r2.contract_address is None:
        raise ChainError("ValuationRegistry deployment failed")
    if grant_all_roles and admin == deployer:
        client = LedgerClient(backend, r1.contract_address, r2.contract_address, deployer)
        for role in ROLES:
            client.grant_role(role, admin)
    return Deployment(backend.chain_id, r1.contract_address, r2.contract_address, first_block, deployer)


def is_deployed(backend: ChainBackend, deployment: Deployment) -> bool:
    """True when the recorded contracts answer on this chain."""
    from ipledger.chain.client import LedgerClient

    if deployment.chain_id != backend.chain_id:
        return False
    try:
        client = LedgerClient(backend, deployment.ledger, deployment.registry)
        client.record_count()
        client.record_count("registry")
    except ChainError:
        return False
    return True
