"""Any JSON-RPC node (anvil in tests; a consortium or public EVM network in production)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import requests
from eth_utils import to_checksum_address

from ipledger.chain.backend import BlockInfo, CallReverted, ChainBackend, RawLog, Receipt
from ipledger.chain.devkeys import check_signer
from ipledger.errors import ChainError

if TYPE_CHECKING:
    from ipledger.keys import Signer


def _hex(b: bytes) -> str:
    return "0x" + b.hex()


def _bytes(h: str) -> bytes:
    return bytes.fromhex(h[2:])


class RPCError(ChainError):
    def __init__(self, method: str, error: dict[str, Any]) -> None:
        self.code = int(error.get("code", 0))
        self.message = str(error.get("message", ""))
        self.data = error.get("data")
        super().__init__(f"{method}: {self.message} (code {self.code})")


class JsonRpc:
    """A small JSON-RPC 2.0 client over one HTTP session; retries rate limits with backoff."""

    def __init__(self, url: str, timeout: float = 60.0, retries: int = 5) -> None:
        self.url = url
        self.timeout = timeout
        self.retries = retries
        self._session = requests.Session()
        self._ids = itertools.count(1)

    def request(self, method: str, params: list[Any]) -> Any:
        payload = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        delay = 0.25
        for attempt in range(self.retries + 1):
            try:
                response = self._session.post(self.url, json=payload, timeout=self.timeout)
            except requests.RequestException as exc:
                raise ChainError(f"cannot reach the node at {self.url}: {exc.__class__.__name__}") from exc
            if response.status_code == 429 or response.status_code >= 500:
                if attempt == self.retries:
                    raise ChainError(f"{method}: node answered HTTP {response.status_code} after {attempt} retries")
                time.sleep(delay)
                delay *= 2
                continue
            body = response.json()
            if "error" in body:
                err = body["error"]
                if err.get("code") in (-32005, 429) and attempt < self.retries:  # rate limited
                    time.sleep(delay)
                    delay *= 2
                    continue
                raise RPCError(method, err)
            return body["result"]
        raise ChainError(f"{method}: no answer")  # pragma: no cover

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        """Several calls in one HTTP request (JSON-RPC batch); results in call order."""
        if not calls:
            return []
        payload = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
        try:
            response = self._session.post(self.url, json=payload, timeout=self.timeout)
        except requests.RequestException as exc:
            raise ChainError(f"cannot reach the node at {self.url}: {exc.__class__.__name__}") from exc
        by_id = {item["id"]: item for item in response.json()}
        out = []
        for i, (method, _p) in enumerate(calls):
            item = by_id[i]
            if "error" in item:
                raise RPCError(method, item["error"])
            out.append(item["result"])
        return out

    def close(self) -> None:
        self._session.close()


def _revert_data(err: RPCError) -> bytes | None:
    data = err.data
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        return _bytes(data)
    return None


def _log(entry: dict[str, Any]) -> RawLog:
    return RawLog(
        _bytes(entry["address"]),
        tuple(_bytes(t) for t in entry["topics"]),
        _bytes(entry["data"]),
        int(entry["blockNumber"], 16),
        _bytes(entry["blockHash"]),
        _bytes(entry["transactionHash"]),
        int(entry["transactionIndex"], 16),
        int(entry["logIndex"], 16),
    )


class RPCBackend(ChainBackend):
    """A JSON-RPC node. Writes are signed by the node (unlocked accounts, as on anvil) or locally
    with ``signer`` (a keystore account) or ``private_key`` (CI), and sent raw.

    A public development key never signs on a chain other than anvil's default (31337) unless
    ``allow_dev_keys``.
    """

    kind = "rpc"

    def __init__(
        self,
        url: str,
        private_key: str | None = None,
        poll: float = 0.05,
        timeout: float = 120.0,
        *,
        signer: Signer | None = None,
        allow_dev_keys: bool = False,
    ) -> None:
        self.url = url
        self.rpc = JsonRpc(url)
        if signer is None and private_key:
            from eth_account import Account  # loaded only to sign with a raw key

            signer = Account.from_key(private_key)
        self._account: Signer | None = signer
        self._signers: dict[bytes, Signer] = {}  # held for one write each (the platform's members)
        self.allow_dev_keys = allow_dev_keys
        self._poll = poll
        self._timeout = timeout
        try:
            self._chain_id = int(self.rpc.request("eth_chainId", []), 16)
        except ChainError as exc:
            raise ChainError(f"no JSON-RPC node at {url}: start one (e.g. `npx anvil`) or fix rpc_url") from exc

    @property
    def chain_id(self) -> int:
        return self._chain_id

    def add_signer(self, signer: Signer) -> None:
        """Sign writes from ``signer``'s address with it (a keystore account unlocked by its
        owner) until :meth:`remove_signer`; the node's own accounts are not involved."""
        self._signers[_bytes(signer.address)] = signer

    def remove_signer(self, signer: Signer) -> None:
        self._signers.pop(_bytes(signer.address), None)

    def accounts(self) -> list[bytes]:
        if self._account is not None:
            return [_bytes(self._account.address)]
        return [_bytes(a) for a in self.rpc.request("eth_accounts", [])]

    def transact(self, sender: bytes, to: bytes | None, data: bytes, gas: int | None = None) -> Receipt:
        check_signer(self._chain_id, sender, allow_dev_keys=self.allow_dev_keys)
        tx: dict[str, Any] = {"from": _hex(sender), "data": _hex(data)}
        if to is not None:
            tx["to"] = _hex(to)
        if gas is None:
            try:
                gas = int(int(self.rpc.request("eth_estimateGas", [tx]), 16) * 1.2) + 10_000
            except RPCError as exc:
                revert = _revert_data(exc)
                if revert is None and "revert" not in exc.message:
                    raise
                # Nothing is sent when the node says the transaction would revert.
                return Receipt(b"", -1, 0, 0, (), None, revert or b"")
        tx["gas"] = hex(gas)
        held = self._signers.get(sender)
        if held is not None:
            tx_hash = self._send_signed(tx, held)
        elif self._account is not None:
            if _bytes(self._account.address) != sender:
                raise ChainError(f"this backend signs only for {self._account.address}, not {_hex(sender)}")
            tx_hash = self._send_signed(tx, self._account)
        else:
            tx_hash = _bytes(self.rpc.request("eth_sendTransaction", [tx]))
        receipt = self._wait(tx_hash)
        status = int(receipt["status"], 16)
        block = int(receipt["blockNumber"], 16)
        revert = None
        if status == 0:
            try:
                self.call(to or b"", data, block=block - 1, sender=sender)
                revert = b""
            except CallReverted as exc:
                revert = exc.data
        created = receipt.get("contractAddress")
        return Receipt(
            tx_hash,
            block,
            status,
            int(receipt["gasUsed"], 16),
            tuple(_log(e) for e in receipt["logs"]),
            _bytes(created) if created else None,
            revert,
        )

    def _send_signed(self, tx: dict[str, Any], account: Signer) -> bytes:
        nonce = int(self.rpc.request("eth_getTransactionCount", [tx["from"], "pending"]), 16)
        base = int(self.rpc.request("eth_getBlockByNumber", ["latest", False])["baseFeePerGas"], 16)
        fields: dict[str, Any] = {
            "type": 2,
            "chainId": self._chain_id,
            "nonce": nonce,
            "data": tx["data"],
            "gas": int(tx["gas"], 16),
            "maxFeePerGas": 2 * base + 10**9,
            "maxPriorityFeePerGas": 10**9,
            "value": 0,
        }
        if "to" in tx:
            # eth-account accepts only checksummed addresses in a transaction to sign.
            fields["to"] = to_checksum_address(tx["to"])
        signed = account.sign_transaction(fields)
        return _bytes(self.rpc.request("eth_sendRawTransaction", [_hex(signed.raw_transaction)]))

    def _wait(self, tx_hash: bytes) -> dict[str, Any]:
        deadline = time.monotonic() + self._timeout
        while True:
            receipt = self.rpc.request("eth_getTransactionReceipt", [_hex(tx_hash)])
            if receipt is not None:
                return receipt  # type: ignore[no-any-return]
            if time.monotonic() > deadline:
                raise ChainError(f"transaction {_hex(tx_hash)} not mined within {self._timeout:.0f} s")
            time.sleep(self._poll)

    def call(self, to: bytes, data: bytes, block: int | str = "latest", sender: bytes | None = None) -> bytes:
        tx: dict[str, Any] = {"to": _hex(to), "data": _hex(data)}
        if sender:
            tx["from"] = _hex(sender)
        tag = hex(block) if isinstance(block, int) else block
        try:
            return _bytes(self.rpc.request("eth_call", [tx, tag]))
        except RPCError as exc:
            revert = _revert_data(exc)
            if revert is not None or "revert" in exc.message:
                raise CallReverted(revert or b"", exc.message) from None
            raise

    def head(self) -> int:
        return int(self.rpc.request("eth_blockNumber", []), 16)

    def block(self, number: int) -> BlockInfo:
        b = self.rpc.request("eth_getBlockByNumber", [hex(number), False])
        if b is None:
            raise ChainError(f"no block {number}")
        return BlockInfo(int(b["number"], 16), _bytes(b["hash"]), _bytes(b["parentHash"]), int(b["timestamp"], 16))

    def blocks(self, numbers: Sequence[int]) -> list[BlockInfo]:
        """Several block headers, 500 to a JSON-RPC batch request."""
        out = []
        for start in range(0, len(numbers), 500):
            chunk = list(numbers[start : start + 500])
            found = self.rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in chunk])
            for n, b in zip(chunk, found, strict=True):
                if b is None:
                    raise ChainError(f"no block {n}")
                out.append(
                    BlockInfo(int(b["number"], 16), _bytes(b["hash"]), _bytes(b["parentHash"]), int(b["timestamp"], 16))
                )
        return out

    def get_logs(
        self,
        from_block: int,
        to_block: int,
        addresses: Sequence[bytes],
        topics0: Sequence[bytes] | None = None,
    ) -> list[RawLog]:
        return [_log(e) for e in self.get_logs_raw(from_block, to_block, addresses, topics0)]

    def get_logs_raw(
        self,
        from_block: int,
        to_block: int,
        addresses: Sequence[bytes],
        topics0: Sequence[bytes] | None = None,
    ) -> list[dict[str, Any]]:
        flt: dict[str, Any] = {
            "fromBlock": hex(from_block),
            "toBlock": hex(to_block),
            "address": [_hex(a) for a in addresses],
        }
        if topics0:
            flt["topics"] = [[_hex(t) for t in topics0]]
        return self.rpc.request("eth_getLogs", [flt])  # type: ignore[no-any-return]

    def transaction_sender(self, tx_hash: bytes) -> bytes:
        tx = self.rpc.request("eth_getTransactionByHash", [_hex(tx_hash)])
        if tx is None:
            raise ChainError(f"unknown transaction {_hex(tx_hash)}")
        return _bytes(tx["from"])

    def snapshot(self) -> str:
        return str(self.rpc.request("evm_snapshot", []))

    def revert(self, snapshot: Any) -> None:
        if not self.rpc.request("evm_revert", [snapshot]):
            raise ChainError(f"node refused to revert to snapshot {snapshot}")

    def mine_empty(self, count: int = 1) -> None:
        self.rpc.request("anvil_mine", [hex(count)])

    def close(self) -> None:
        self.rpc.close()
