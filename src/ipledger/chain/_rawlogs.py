"""Read a block's logs straight from py-evm's receipt and transaction tries.

py-evm decodes every receipt and transaction into objects (RLP sedes, signature checks) before a
log can be read; for the indexer that decoding was about two thirds of the time. Here the raw
trie values are read and only the log fields are sliced out with a minimal RLP walker, and a
transaction's hash is the keccak of its raw encoding (EIP-2718). ``tests/unit/test_rawlogs.py``
holds it equal to py-evm's own decoding.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import rlp
from eth_bloom import BloomFilter
from eth_utils import keccak
from trie import HexaryTrie

from ipledger.chain.backend import RawLog
from ipledger.chain.chainfile import rlp_item as _item

_new = tuple.__new__


def _children(buf: bytes, start: int, end: int) -> Iterator[tuple[int, int, bool]]:
    pos = start
    while pos < end:
        s, e, is_list = _item(buf, pos)
        yield s, e, is_list
        pos = e


def receipt_logs(raw: bytes) -> list[tuple[bytes, tuple[bytes, ...], bytes]]:
    """(address, topics, data) of every log in one raw (possibly typed) receipt."""
    buf = raw[1:] if raw and raw[0] < 0x7F else raw  # EIP-2718 typed receipt: type byte first
    start, end, _ = _item(buf, 0)
    fields = list(_children(buf, start, end))
    ls, le, _ = fields[3]
    out = []
    for s, e, _ in _children(buf, ls, le):
        (as_, ae, _), (ts, te, _), (ds, de, _) = _children(buf, s, e)
        topics = tuple(buf[a:b] for a, b, _ in _children(buf, ts, te))
        out.append((buf[as_:ae], topics, buf[ds:de]))
    return out


def block_raw(db: object, transaction_root: bytes, receipt_root: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(transaction hash, raw receipt) for each transaction of a block, in order."""
    txs = HexaryTrie(db=db, root_hash=transaction_root)
    receipts = HexaryTrie(db=db, root_hash=receipt_root)
    i = 0
    while True:
        key = rlp.encode(i)
        receipt = receipts[key]
        if receipt == b"":
            return
        yield keccak(txs[key]), receipt
        i += 1


def block_logs(
    db: object,
    number: int,
    block_hash: bytes,
    bloom: int,
    transaction_root: bytes,
    receipt_root: bytes,
    addresses: Sequence[bytes],
    topics0: Sequence[bytes] | None = None,
) -> list[RawLog]:
    """The logs of one block emitted by ``addresses`` (with a first topic in ``topics0`` when
    given), in log order, each with its block-wide log index; none when the block's bloom cannot
    match. The embedded chain and the chain file reader both read logs this way."""
    seen = BloomFilter(bloom)
    if not any(a in seen for a in addresses):
        return []
    wanted = set(addresses)
    wanted_topics = set(topics0) if topics0 else None
    out: list[RawLog] = []
    append = out.append
    log_index = 0
    for tx_index, (tx_hash, receipt) in enumerate(block_raw(db, transaction_root, receipt_root)):
        for address, topics, data in receipt_logs(receipt):
            if address in wanted and (wanted_topics is None or (topics and topics[0] in wanted_topics)):
                # tuple.__new__ skips the named tuple's Python-level constructor (one frame a log).
                append(_new(RawLog, (address, topics, data, number, block_hash, tx_hash, tx_index, log_index)))
            log_index += 1
    return out
