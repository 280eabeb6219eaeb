"""Deploy the contracts of record and remember where they are."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from eth_abi import encode

from ipledger.chain.backend import ChainBackend
from ipledger.chain.client import LedgerClient
from ipledger.chain.codes import ROLES
from ipledger.chain.compiled import load
from ipledger.errors import ChainError


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


def deploy(backend: ChainBackend, admin: bytes | None = None, grant_all_roles: bool = True) -> Deployment:
    """Deploy IPLedger and ValuationRegistry with ``admin`` (default: first account).

    With ``grant_all_roles`` the admin also gets every operational role, which suits a
    single-user embedded ledger; production deployments grant roles per organisation.
    """
    deployer = backend.accounts()[0]
    admin = admin or deployer
    first_block = backend.head() + 1
    ledger_art, registry_art = load("IPLedger"), load("ValuationRegistry")
    r1 = backend.transact(deployer, None, ledger_art.bytecode + encode(["address"], [admin]))
    if r1.status != 1 or r1.contract_address is None:
        raise ChainError("IPLedger deployment failed")
    r2 = backend.transact(
        deployer, None, registry_art.bytecode + encode(["address", "address"], [admin, r1.contract_address])
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
    if deployment.chain_id != backend.chain_id:
        return False
    try:
        client = LedgerClient(backend, deployment.ledger, deployment.registry)
        client.record_count()
        client.record_count("registry")
    except ChainError:
        return False
    return True
