"""Content-addressed document store: each file is named by the SHA-256 recorded on chain."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ipledger.errors import LedgerError


class DocumentStore:
    """A folder of documents keyed by the hex SHA-256 of their bytes.

    Writes go to a temporary file first and are renamed into place, so a crash never leaves a
    half-written document under a valid name.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, digest: bytes | str) -> Path:
        h = digest.hex() if isinstance(digest, bytes) else digest.removeprefix("0x")
        return self.root / h[:2] / h

    def put(self, content: bytes) -> bytes:
        """Store ``content``; return its 32-byte SHA-256 (the on-chain document hash)."""
        digest = hashlib.sha256(content).digest()
        target = self.path(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".tmp{os.getpid()}")
        tmp.write_bytes(content)
        tmp.replace(target)
        return digest

    def get(self, digest: bytes | str) -> bytes:
        target = self.path(digest)
        try:
            return target.read_bytes()
        except FileNotFoundError as exc:
            raise LedgerError(f"document {target.name} is not in the store at {self.root}") from exc

    def has(self, digest: bytes | str) -> bool:
        return self.path(digest).is_file()

    def verify(self, digest: bytes | str) -> bool:
        """True when the stored file hashes to ``digest``."""
        h = digest.hex() if isinstance(digest, bytes) else digest.removeprefix("0x")
        try:
            return hashlib.sha256(self.path(h).read_bytes()).hexdigest() == h
        except FileNotFoundError:
            return False
