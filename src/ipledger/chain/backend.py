"""The chain behind an abstract backend: the embedded py-evm chain or any JSON-RPC node."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, NamedTuple


class RawLog(NamedTuple):
    """One log as the chain holds it (bytes, not hex)."""

    address: bytes
    topics: tuple[bytes, ...]
    data: bytes
    block_number: int
    block_hash: bytes
    tx_hash: bytes
    tx_index: int
    log_index: int


class BlockInfo(NamedTuple):
    number: int
    hash: bytes
    parent_hash: bytes
    timestamp: int


class Receipt(NamedTuple):
    tx_hash: bytes
    block_number: int
    status: int
    gas_used: int
    logs: tuple[RawLog, ...]
    contract_address: bytes | None
    revert_data: bytes | None


class ChainBackend(ABC):
    """What ipledger needs from a chain. Addresses are 20-byte values."""

    kind: str = "abstract"

    @property
    @abstractmethod
    def chain_id(self) -> int: ...

    @abstractmethod
    def accounts(self) -> list[bytes]:
        """Accounts this backend can sign for, the deployer first."""

    @abstractmethod
    def transact(self, sender: bytes, to: bytes | None, data: bytes, gas: int | None = None) -> Receipt:
        """Send a transaction, wait for it to be mined and return its receipt.

        A reverted transaction returns a receipt with status 0 and its revert data.
        """

    @abstractmethod
    def call(self, to: bytes, data: bytes, block: int | str = "latest", sender: bytes | None = None) -> bytes:
        """Run a read-only call; raise ``CallReverted`` with the revert data when it reverts."""

    @abstractmethod
    def head(self) -> int:
        """Number of the newest mined block."""

    @abstractmethod
    def block(self, number: int) -> BlockInfo: ...

    def blocks(self, numbers: Sequence[int]) -> list[BlockInfo]:
        """Several block headers, in the order asked (JSON-RPC batches them)."""
        return [self.block(n) for n in numbers]

    @abstractmethod
    def get_logs(
        self,
        from_block: int,
        to_block: int,
        addresses: Sequence[bytes],
        topics0: Sequence[bytes] | None = None,
    ) -> list[RawLog]:
        """Logs emitted by ``addresses`` in the inclusive block range, in chain order."""

    @abstractmethod
    def transaction_sender(self, tx_hash: bytes) -> bytes: ...

    @abstractmethod
    def snapshot(self) -> Any: ...

    @abstractmethod
    def revert(self, snapshot: Any) -> None: ...

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release files or connections."""

    def __enter__(self) -> ChainBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class CallReverted(Exception):
    """Raised by ``ChainBackend.call`` with the raw revert data; the client decodes it."""

    def __init__(self, data: bytes, message: str = "") -> None:
        self.data = data
        super().__init__(message or f"reverted with 0x{data.hex()}")
