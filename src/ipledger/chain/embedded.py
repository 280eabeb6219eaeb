"""The embedded chain: eth-tester's py-evm backend, persisted in a folder, read linearly.

State survives between processes (``chain.sqlite`` in the data folder) and every block is one
SQLite transaction, so a killed process reopens at the last mined block. History is read from
py-evm's block and receipt store directly: eth-tester's ``eth_getLogs`` and receipt look-ups
scan the whole chain on every call.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from eth.abc import BlockHeaderAPI, SignedTransactionAPI
from eth.chains.base import MiningChain
from eth.db.atomic import AtomicDB
from eth.exceptions import CanonicalHeadNotFound, HeaderNotFound, TransactionNotFound
from eth.vm.forks import PragueVM
from eth.vm.spoof import SpoofTransaction
from eth_keys.datatypes import PrivateKey
from eth_tester.backends.pyevm.main import (
    PyEVMBackend,
    generate_genesis_state_for_keys,
    get_default_account_keys,
    get_default_genesis_params,
)
from eth_typing import Address, BlockNumber, Hash32
from eth_utils import keccak, to_canonical_address, to_checksum_address
from eth_utils.toolz import assoc

from ipledger.chain._rawlogs import block_logs as raw_block_logs
from ipledger.chain._sqlitedb import SQLiteDB
from ipledger.chain.backend import BlockInfo, CallReverted, ChainBackend, RawLog, Receipt
from ipledger.errors import ChainError

if TYPE_CHECKING:
    from ipledger.keys import Signer

CHAIN_ID = 131277322940537  # eth-tester's chain id
NUM_ACCOUNTS = 10
#: What a keystore account is funded with from the first development account, in wei, when its
#: balance falls below FUND_BELOW (the embedded chain's ether has no value; gas still costs it).
FUND_AMOUNT = 10**22
FUND_BELOW = 10**21


class TesterChain(MiningChain):  # type: ignore[misc]
    """eth-tester's post-merge tester chain (Prague rules, constant gas limit)."""

    chain_id = CHAIN_ID
    vm_configuration = ((BlockNumber(0), PragueVM),)

    def create_header_from_parent(self, parent_header: BlockHeaderAPI, **header_params: Any) -> BlockHeaderAPI:
        return super().create_header_from_parent(  # type: ignore[no-any-return]
            parent_header, **assoc(header_params, "gas_limit", parent_header.gas_limit)
        )


class PersistentPyEVMBackend(PyEVMBackend):  # type: ignore[misc]
    """eth-tester's PyEVMBackend on a SQLite-backed database, committed per mined block.

    It stays usable as an eth-tester backend (``EthereumTester(backend)``, web3's
    ``EthereumTesterProvider``) and commits whatever blocks that route mines.
    """

    def __init__(self, kv: SQLiteDB) -> None:
        self._kv = kv
        self._base_db = AtomicDB(kv)
        super().__init__()

    def reset_to_genesis(self, *args: Any, **kwargs: Any) -> None:
        self.account_keys = get_default_account_keys(quantity=NUM_ACCOUNTS)
        try:
            self.chain = TesterChain(self._base_db)
        except CanonicalHeadNotFound:
            params = get_default_genesis_params()
            state = generate_genesis_state_for_keys(self.account_keys)
            self.chain = cast(TesterChain, TesterChain.from_genesis(self._base_db, params, state))
            self._kv.commit()

    def mine_blocks(self, num_blocks: int = 1, coinbase: bytes = b"\0" * 20) -> Any:
        hashes = super().mine_blocks(num_blocks, coinbase)
        self._kv.commit()
        return hashes

    def reopen(self) -> None:
        """Drop in-memory chain objects and read the head from the database again."""
        self.chain = TesterChain(self._base_db)


class EmbeddedBackend(ChainBackend):
    """In-process chain in ``data_dir`` (``None``: in memory, for tests and benchmarks)."""

    kind = "embedded"

    def __init__(self, data_dir: Path | None = None, lock_timeout: float = 30.0) -> None:
        self.path = data_dir / "chain.sqlite" if data_dir else None
        self._kv = SQLiteDB(self.path, busy_timeout=lock_timeout) if self.path else SQLiteDB(Path(":memory:"))
        self.evm = PersistentPyEVMBackend(self._kv)
        self._keys: dict[bytes, PrivateKey] = {k.public_key.to_canonical_address(): k for k in self.evm.account_keys}
        self._signers: dict[bytes, Signer] = {}
        self._lock = threading.RLock()
        self._lock_timeout = lock_timeout
        self._writer: Any = None  # the inter-process write lock, held from the first write to close()

    def _write_lock(self) -> None:
        """Become the only ipledger process writing to this chain file, waiting a bounded time.

        SQLite alone would refuse the second writer at once (its read snapshot is stale), and its
        message reads as if the data were refused. After taking the lock, the chain is read again:
        another process may have mined blocks since this one opened it.
        """
        if self._writer is not None or self.path is None:
            return
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.path) + ".lock")
        try:
            lock.acquire(timeout=self._lock_timeout)
        except Timeout:
            raise ChainError(
                f"another ipledger process is writing to the chain {self.path} (waited {self._lock_timeout:g} s): "
                "try again when it has finished"
            ) from None
        self._writer = lock
        self._kv.rollback()
        self.evm.reopen()

    def use_signer(self, signer: Signer) -> None:
        """Send from ``signer`` (a keystore account) by default: it becomes ``accounts()[0]``.

        Its transactions are signed by the signer and imported raw; the first one funds the
        account from the first development account, which only this chain allows.
        """
        self._signers[bytes(to_canonical_address(signer.address))] = signer

    # ------------------------------------------------------------ identity

    @property
    def chain_id(self) -> int:
        return CHAIN_ID

    @property
    def chain(self) -> TesterChain:
        return self.evm.chain  # type: ignore[no-any-return]

    def accounts(self) -> list[bytes]:
        return [*self._signers, *(k.public_key.to_canonical_address() for k in self.evm.account_keys)]

    # ------------------------------------------------------------ writes

    def transact(self, sender: bytes, to: bytes | None, data: bytes, gas: int | None = None) -> Receipt:
        with self._lock:
            self._write_lock()
            signer = self._signers.get(sender)
            if signer is not None:
                self._fund(sender)
                signed = self._sign(signer, sender, to, data, gas)
            else:
                signed = self._sign_dev(sender, to, data, gas)
            return self._mine(signed, to)

    def _fields(self, sender: bytes, gas: int | None) -> tuple[int, int, int]:
        """(nonce, max fee per gas, gas limit) of the next transaction from ``sender``."""
        pending = self.chain.header
        nonce = self.chain.get_vm().state.get_nonce(Address(sender))
        return nonce, 2 * (pending.base_fee_per_gas or 0) + 1, gas or pending.gas_limit

    def _sign_dev(
        self, sender: bytes, to: bytes | None, data: bytes, gas: int | None, value: int = 0
    ) -> SignedTransactionAPI:
        key = self._keys.get(sender)
        if key is None:
            raise ChainError(f"the embedded chain holds no key for 0x{sender.hex()}")
        nonce, max_fee, limit = self._fields(sender, gas)
        builder: Any = self.chain.get_vm().get_transaction_builder()
        unsigned = builder.new_unsigned_dynamic_fee_transaction(
            chain_id=CHAIN_ID,
            nonce=nonce,
            max_priority_fee_per_gas=0,
            max_fee_per_gas=max_fee,
            gas=limit,
            to=to or b"",
            value=value,
            data=data,
            access_list=(),
        )
        return unsigned.as_signed_transaction(key)  # type: ignore[no-any-return]

    def _sign(
        self, signer: Signer, sender: bytes, to: bytes | None, data: bytes, gas: int | None
    ) -> SignedTransactionAPI:
        """A transaction signed outside the chain (by a keystore account), decoded from its raw bytes."""
        nonce, max_fee, limit = self._fields(sender, gas)
        tx: dict[str, Any] = {
            "type": 2,
            "chainId": CHAIN_ID,
            "nonce": nonce,
            "maxPriorityFeePerGas": 0,
            "maxFeePerGas": max_fee,
            "gas": limit,
            "value": 0,
            "data": data,
        }
        if to is not None:
            tx["to"] = to_checksum_address(to)
        raw = bytes(signer.sign_transaction(tx).raw_transaction)
        builder: Any = self.chain.get_vm().get_transaction_builder()
        return builder.decode(raw)  # type: ignore[no-any-return]

    def _fund(self, account: bytes) -> None:
        """Top up a keystore account's gas money from the first development account."""
        state = self.chain.get_vm().state
        if state.get_balance(Address(account)) >= FUND_BELOW:
            return
        funder = self.evm.account_keys[0].public_key.to_canonical_address()
        receipt = self._mine(self._sign_dev(funder, account, b"", 21_000, value=FUND_AMOUNT), account)
        if receipt.status != 1:
            raise ChainError("could not fund the keystore account on the embedded chain")

    def _mine(self, signed: SignedTransactionAPI, to: bytes | None) -> Receipt:
        with self._lock:
            chain = self.chain
            pending = chain.header
            try:
                result, receipts, computations = chain.mine_all([signed], mix_hash=keccak(pending.parent_hash))
            except Exception as exc:  # a transaction py-evm will not even include
                self._discard()
                raise ChainError(f"transaction rejected by the embedded chain: {exc}") from exc
            computation = computations[0]
            if computation.is_error:
                # Nothing of a reverted transaction is kept: no block, no nonce, no gas.
                self._discard()
                return Receipt(signed.hash, -1, 0, receipts[0].gas_used, (), None, computation.output)
            self._kv.commit()
            block = result.imported_block
            logs = tuple(
                RawLog(
                    log.address,
                    tuple(t.to_bytes(32, "big") for t in log.topics),
                    log.data,
                    block.number,
                    block.hash,
                    signed.hash,
                    0,
                    i,
                )
                for i, log in enumerate(receipts[0].logs)
            )
            created = computation.msg.storage_address if to is None else None
            return Receipt(signed.hash, block.number, 1, receipts[0].gas_used, logs, created, None)

    def _discard(self) -> None:
        self._kv.rollback()
        self.evm.reopen()

    # ------------------------------------------------------------ reads

    def call(self, to: bytes, data: bytes, block: int | str = "latest", sender: bytes | None = None) -> bytes:
        with self._lock:
            chain = self.chain
            header = self._header(block)
            vm = chain.get_vm(at_header=header)
            state = vm.state
            origin = sender or self.accounts()[0]
            unsigned = vm.create_unsigned_transaction(
                nonce=state.get_nonce(Address(origin)),
                gas_price=header.base_fee_per_gas or 0,
                gas=header.gas_limit,
                to=Address(to),
                value=0,
                data=data,
            )
            snapshot = state.snapshot()
            try:
                computation = state.apply_transaction(cast(Any, SpoofTransaction(unsigned, from_=origin)))
            finally:
                state.revert(snapshot)
            if computation.is_error:
                raise CallReverted(computation.output, str(computation.error))
            return bytes(computation.output)

    def _header(self, block: int | str) -> BlockHeaderAPI:
        if block == "latest":
            return self.chain.get_canonical_head()
        try:
            return self.chain.get_canonical_block_header_by_number(BlockNumber(int(block)))
        except HeaderNotFound as exc:
            raise ChainError(f"no block {block} (head is {self.head()})") from exc

    def head(self) -> int:
        return int(self.chain.get_canonical_head().block_number)

    def block(self, number: int) -> BlockInfo:
        h = self._header(number)
        return BlockInfo(h.block_number, h.hash, h.parent_hash, h.timestamp)

    def get_logs(
        self,
        from_block: int,
        to_block: int,
        addresses: Sequence[bytes],
        topics0: Sequence[bytes] | None = None,
    ) -> list[RawLog]:
        out: list[RawLog] = []
        for number in range(from_block, to_block + 1):
            out.extend(self.block_logs(number, addresses, topics0))
        return out

    def block_logs(
        self, number: int, addresses: Sequence[bytes], topics0: Sequence[bytes] | None = None
    ) -> list[RawLog]:
        """Logs of one block from ``addresses``; blocks whose bloom cannot match are skipped."""
        header = self.chain.get_canonical_block_header_by_number(BlockNumber(number))
        return raw_block_logs(
            self.chain.chaindb.db,
            number,
            header.hash,
            header.bloom,
            header.transaction_root,
            header.receipt_root,
            addresses,
            topics0,
        )

    def transaction_sender(self, tx_hash: bytes) -> bytes:
        try:
            number, index = self.chain.chaindb.get_transaction_index(Hash32(tx_hash))
        except TransactionNotFound as exc:
            raise ChainError(f"unknown transaction 0x{tx_hash.hex()}") from exc
        block = self.chain.get_canonical_block_by_number(number)
        return bytes(block.transactions[index].sender)

    # ------------------------------------------------------------ snapshots (tests)

    def snapshot(self) -> bytes:
        return bytes(self.chain.get_canonical_head().hash)

    def revert(self, snapshot: Any) -> None:
        """Make the block ``snapshot`` the head again (a reorg to an ancestor)."""
        with self._lock:
            self._write_lock()
            self.evm.revert_to_snapshot(snapshot)
            self._kv.commit()
            self.evm.reopen()

    def mine_empty(self, count: int = 1) -> None:
        """Mine empty blocks (tests of confirmation depth and reorgs)."""
        with self._lock:
            self._write_lock()
            for _ in range(count):
                self.chain.mine_all([], mix_hash=keccak(self.chain.header.parent_hash))
            self._kv.commit()

    def close(self) -> None:
        self._kv.close()
        if self._writer is not None:
            self._writer.release()
            self._writer = None


def address(text: str) -> bytes:
    return bytes(to_canonical_address(text))
