"""One exception class per custom error of the contracts, made from the ABIs.

``except reverts.SellerNotOwner as e`` works, and so does ``except ContractRevert`` with
``e.error == "SellerNotOwner"``; ``e.args_by_name`` holds the decoded arguments.
"""

from __future__ import annotations

from functools import cache

from ipledger.errors import ContractRevert


@cache
def revert_class(name: str) -> type[ContractRevert]:
    """The ContractRevert subclass for custom error ``name``."""
    return type(name, (ContractRevert,), {"__module__": __name__, "__doc__": f"The contract reverted with {name}."})


def known_errors() -> list[str]:
    from ipledger.chain.compiled import CONTRACTS, load

    return sorted({e["name"] for c in CONTRACTS for e in load(c).abi if e["type"] == "error"})


def __getattr__(name: str) -> type[ContractRevert]:
    if name in known_errors():
        return revert_class(name)
    raise AttributeError(name)
