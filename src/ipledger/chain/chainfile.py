"""The embedded chain's head, read from its SQLite file without building a py-evm chain.

py-evm keeps its chain as keys and values (``ipledger.chain._sqlitedb``): the hash of the
canonical head under ``v1:canonical_head_hash``, each canonical block's hash under
``block-number-to-hash:<n>`` (RLP of the 32 bytes), and each header under its hash (the RLP list
whose ninth item is the block number). Reading these three keys costs a few milliseconds, while
opening the chain through py-evm loads the EVM, eth-tester and the BLS precompiles (a second or
more of imports). Read-only commands use :func:`read_head` to learn whether the ledger store is
already up to date; only when the chain has moved do they open the chain itself.

The file is opened read-only (``mode=ro``): a read never creates or changes a chain. Any problem
(no file, locked, damaged, an unexpected encoding) gives ``None``, and the caller takes the full
path, which reports the problem properly.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import NamedTuple

# py-evm's SchemaV1 keys (eth.db.schema); tests check them against py-evm's own.
HEAD_KEY = b"v1:canonical_head_hash"
NUMBER_KEY = "block-number-to-hash:{}"
NUMBER_ITEM = 8  # position of the block number in every header version's RLP list


class ChainHead(NamedTuple):
    number: int
    hash: bytes


def rlp_item(data: bytes, pos: int) -> tuple[int, int, bool]:
    """(start of payload, end of payload, is a list) of the RLP item at ``pos`` (IndexError when
    ``data`` ends first)."""
    prefix = data[pos]
    if prefix < 0x80:
        return pos, pos + 1, False
    if prefix <= 0xB7:
        return pos + 1, pos + 1 + prefix - 0x80, False
    if prefix < 0xC0:
        n = prefix - 0xB7
        size = int.from_bytes(data[pos + 1 : pos + 1 + n], "big")
        return pos + 1 + n, pos + 1 + n + size, False
    if prefix <= 0xF7:
        return pos + 1, pos + 1 + prefix - 0xC0, True
    n = prefix - 0xF7
    size = int.from_bytes(data[pos + 1 : pos + 1 + n], "big")
    return pos + 1 + n, pos + 1 + n + size, True


def header_number(encoded: bytes) -> int:
    """The block number in an RLP-encoded header; ValueError when it is not one."""
    try:
        start, end, is_list = rlp_item(encoded, 0)
        if not is_list or end != len(encoded):
            raise ValueError("not an RLP list")
        pos = start
        for _ in range(NUMBER_ITEM):
            _s, pos, _l = rlp_item(encoded, pos)
        s, e, is_list = rlp_item(encoded, pos)
    except IndexError:
        raise ValueError("truncated RLP header") from None
    if is_list or e > end:
        raise ValueError("no block number in the header")
    return int.from_bytes(encoded[s:e], "big")


def _hash32(encoded: bytes) -> bytes:
    """The 32 bytes of an RLP-encoded hash (prefix 0xa0)."""
    if len(encoded) != 33 or encoded[0] != 0xA0:
        raise ValueError("not an RLP-encoded 32-byte hash")
    return encoded[1:]


class ChainFile:
    """Read-only look-ups in an embedded chain's ``chain.sqlite``.

    Args:
        path: the chain file.
        snapshot: hold one read transaction, so that every read sees the same committed chain.
    """

    def __init__(self, path: Path, snapshot: bool = False) -> None:
        self.path = path
        self._conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0, isolation_level=None, check_same_thread=False
        )
        if snapshot:
            self._conn.execute("BEGIN")

    def get(self, key: bytes) -> bytes | None:
        """The value stored under ``key``, or None."""
        row = self._conn.execute("SELECT v FROM kv WHERE k = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def head(self) -> ChainHead | None:
        head_hash = self.get(HEAD_KEY)
        if head_hash is None:
            return None
        header = self.get(head_hash)
        return None if header is None else ChainHead(header_number(header), head_hash)

    def canonical_hash(self, number: int) -> bytes | None:
        """The hash of canonical block ``number``, or None when the chain has no such block."""
        value = self.get(NUMBER_KEY.format(number).encode())
        return None if value is None else _hash32(value)

    def close(self) -> None:
        self._conn.close()


def read_head(path: Path, at: int | None = None) -> tuple[ChainHead, bytes | None] | None:
    """The chain's head and the canonical hash of block ``at`` (None when it has none), or None
    when the file cannot be read this way (missing, locked, damaged, unexpected)."""
    if not path.is_file():
        return None
    try:
        chain = ChainFile(path)
        try:
            head = chain.head()
            if head is None:
                return None
            return head, (chain.canonical_hash(at) if at is not None and at >= 0 else None)
        finally:
            chain.close()
    except (sqlite3.Error, ValueError):
        return None


def store_state(path: Path, checkpoint: tuple[int, str] | None, confirmations: int) -> str | None:
    """What the chain file says of a store indexed up to ``checkpoint`` (number, 0x hash):
    ``"current"`` when the chain's final block (head minus ``confirmations``) is the checkpoint,
    with the checkpoint's hash; ``"behind"`` when the checkpoint's block is on the chain and newer
    blocks are final; None when this cannot be told from the file: nothing indexed yet, a
    reorganisation (another block at the checkpoint's number), fewer final blocks than indexed,
    or a file that cannot be read this way."""
    if checkpoint is None:
        return None
    number, block_hash = checkpoint
    found = read_head(path, at=number)
    if found is None:
        return None
    head, at_checkpoint = found
    if at_checkpoint is None or "0x" + at_checkpoint.hex() != block_hash:
        return None
    final = head.number - confirmations
    return "current" if final == number else "behind" if final > number else None
