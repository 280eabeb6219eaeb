"""The embedded chain's blocks and logs read from its file: what the indexer needs, without py-evm.

When the embedded chain has new blocks on top of what the store indexed, a read-only command
must index them before it answers. Opening the chain through py-evm for that costs 0.5-1 s of
imports (the EVM, eth-tester, eth-account); the indexer only needs block headers and logs, which
py-evm keeps as RLP under their hashes (headers) and in each block's transaction and receipt
tries (read by :mod:`ipledger.chain._rawlogs`, as the embedded backend itself does).

The reader holds one read transaction for its life: every read sees the same committed chain,
whatever a writer commits meanwhile. It can neither write nor run calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ipledger.chain.backend import BlockInfo, ChainBackend, RawLog, Receipt
from ipledger.chain.chainfile import ChainFile, rlp_item
from ipledger.errors import ChainError


class Unreadable(ChainError):
    """The file holds something this reader does not read (damaged or unexpected data); the
    caller opens the chain through py-evm instead, which reads it or reports what is wrong."""


# Positions in a header's RLP list (every fork since Frontier starts with these fields).
PARENT, TX_ROOT, RECEIPT_ROOT, BLOOM, NUMBER, TIMESTAMP = 0, 4, 5, 6, 8, 11


def header_fields(encoded: bytes) -> list[bytes]:
    """The byte strings of an RLP-encoded header's fields up to its timestamp."""
    start, end, is_list = rlp_item(encoded, 0)
    if not is_list:
        raise ValueError("not an RLP list")
    out: list[bytes] = []
    pos = start
    while pos < end and len(out) <= TIMESTAMP:
        s, e, nested = rlp_item(encoded, pos)
        if nested:
            raise ValueError("a header field is a list")
        out.append(encoded[s:e])
        pos = e
    if len(out) <= TIMESTAMP:
        raise ValueError("header too short")
    return out


class _Nodes:
    """The trie nodes in the chain file, as the mapping ``HexaryTrie`` reads."""

    def __init__(self, file: ChainFile) -> None:
        self._file = file

    def __getitem__(self, key: bytes) -> bytes:
        value = self._file.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, bytes) and self._file.get(key) is not None


class ChainFileReader(ChainBackend):
    """Read-only embedded chain over ``chain.sqlite`` (kind ``embedded``: the log fetcher reads
    it block by block, as it reads the embedded backend).

    Args:
        path: the chain file.
        chain_id: the embedded chain's id (recorded with the deployment).
    """

    kind = "embedded"

    def __init__(self, path: Path, chain_id: int) -> None:
        self._file = ChainFile(path, snapshot=True)
        self._nodes = _Nodes(self._file)
        self._chain_id = chain_id
        self._headers: dict[int, list[bytes]] = {}

    @property
    def chain_id(self) -> int:
        return self._chain_id

    def accounts(self) -> list[bytes]:
        return []

    def transact(self, sender: bytes, to: bytes | None, data: bytes, gas: int | None = None) -> Receipt:
        raise ChainError("the chain file reader cannot write")

    def call(self, to: bytes, data: bytes, block: int | str = "latest", sender: bytes | None = None) -> bytes:
        raise ChainError("the chain file reader cannot run calls")

    def head(self) -> int:
        try:
            head = self._file.head()
        except ValueError as exc:
            raise Unreadable(f"head of {self._file.path}: {exc}") from exc
        if head is None:
            raise Unreadable(f"no chain head in {self._file.path}")
        return head.number

    def _header(self, number: int) -> tuple[bytes, list[bytes]]:
        try:
            block_hash = self._file.canonical_hash(number)
        except ValueError as exc:
            raise Unreadable(f"block {number} of {self._file.path}: {exc}") from exc
        if block_hash is None:
            raise Unreadable(f"no block {number} in {self._file.path}")
        fields = self._headers.get(number)
        if fields is None:
            try:
                fields = self._headers[number] = header_fields(self._nodes[block_hash])
            except (KeyError, ValueError, IndexError) as exc:
                raise Unreadable(f"block {number} of {self._file.path}: {exc!r}") from exc
        return block_hash, fields

    def block(self, number: int) -> BlockInfo:
        h, f = self._header(number)
        return BlockInfo(number, h, f[PARENT], int.from_bytes(f[TIMESTAMP], "big"))

    def get_logs(
        self, from_block: int, to_block: int, addresses: Sequence[bytes], topics0: Sequence[bytes] | None = None
    ) -> list[RawLog]:
        out: list[RawLog] = []
        for number in range(from_block, to_block + 1):
            out.extend(self.block_logs(number, addresses, topics0))
        return out

    def block_logs(
        self, number: int, addresses: Sequence[bytes], topics0: Sequence[bytes] | None = None
    ) -> list[RawLog]:
        """Logs of one block from ``addresses`` (the embedded backend's rule, the same function)."""
        from ipledger.chain._rawlogs import block_logs

        block_hash, f = self._header(number)
        bloom = int.from_bytes(f[BLOOM], "big")
        try:
            return block_logs(self._nodes, number, block_hash, bloom, f[TX_ROOT], f[RECEIPT_ROOT], addresses, topics0)
        except Exception as exc:  # a missing trie node (trie's own exception), bad RLP, ...
            raise Unreadable(f"logs of block {number} of {self._file.path}: {exc!r}") from exc

    def transaction_sender(self, tx_hash: bytes) -> bytes:
        raise ChainError("the chain file reader does not recover senders")

    def snapshot(self) -> Any:
        raise ChainError("the chain file reader has no snapshots")

    def revert(self, snapshot: Any) -> None:
        raise ChainError("the chain file reader has no snapshots")

    def close(self) -> None:
        self._file.close()
