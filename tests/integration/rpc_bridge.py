"""A minimal JSON-RPC endpoint over any ChainBackend (tests only), so that clients that speak
only JSON-RPC, such as scripts/verify_standalone.py, can read the embedded chain.

It answers the read methods the verifier uses: eth_chainId, eth_blockNumber,
eth_getBlockByNumber, eth_getLogs and eth_call. ``drop_log`` makes it hide one record log, to
play a node that serves a tampered history.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ipledger.chain.backend import CallReverted, ChainBackend


def _h(b: bytes) -> str:
    return "0x" + b.hex()


def _block(tag: Any, backend: ChainBackend) -> int:
    if tag in (None, "latest", "safe", "finalized", "pending"):
        return backend.head()
    if tag == "earliest":
        return 0
    return int(tag, 16) if isinstance(tag, str) else int(tag)


class Bridge:
    def __init__(self, backend: ChainBackend, drop_log: int | None = None) -> None:
        self.backend = backend
        self.drop_log = drop_log  # index (in chain order) of a log to hide from eth_getLogs
        self.lock = threading.Lock()

    def answer(self, method: str, params: list[Any]) -> Any:
        b = self.backend
        if method == "eth_chainId":
            return hex(b.chain_id)
        if method == "eth_blockNumber":
            return hex(b.head())
        if method == "eth_getBlockByNumber":
            info = b.block(_block(params[0], b))
            return {
                "number": hex(info.number),
                "hash": _h(info.hash),
                "parentHash": _h(info.parent_hash),
                "timestamp": hex(info.timestamp),
            }
        if method == "eth_getLogs":
            f = params[0]
            addresses = f["address"] if isinstance(f["address"], list) else [f["address"]]
            topics0 = [bytes.fromhex(t[2:]) for t in (f.get("topics") or [[]])[0]] or None
            logs = b.get_logs(
                _block(f.get("fromBlock"), b),
                _block(f.get("toBlock"), b),
                [bytes.fromhex(a[2:]) for a in addresses],
                topics0,
            )
            if self.drop_log is not None and self.drop_log < len(logs):
                logs = logs[: self.drop_log] + logs[self.drop_log + 1 :]
            return [
                {
                    "address": _h(g.address),
                    "topics": [_h(t) for t in g.topics],
                    "data": _h(g.data),
                    "blockNumber": hex(g.block_number),
                    "blockHash": _h(g.block_hash),
                    "transactionHash": _h(g.tx_hash),
                    "transactionIndex": hex(g.tx_index),
                    "logIndex": hex(g.log_index),
                    "removed": False,
                }
                for g in logs
            ]
        if method == "eth_call":
            tx, tag = params[0], params[1] if len(params) > 1 else "latest"
            try:
                out = b.call(
                    bytes.fromhex(tx["to"][2:]),
                    bytes.fromhex(tx.get("data", tx.get("input", "0x"))[2:]),
                    block=_block(tag, b),
                )
            except CallReverted as exc:
                raise RuntimeError(f"execution reverted 0x{exc.data.hex()}") from None
            return _h(out)
        raise RuntimeError(f"method {method} not served by the test bridge")


@contextmanager
def serve(backend: ChainBackend, drop_log: int | None = None) -> Iterator[str]:
    """Serve ``backend`` on a free loopback port; yields the URL."""
    bridge = Bridge(backend, drop_log)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            calls = body if isinstance(body, list) else [body]
            out = []
            for c in calls:
                try:
                    with bridge.lock:
                        out.append({"jsonrpc": "2.0", "id": c["id"], "result": bridge.answer(c["method"], c["params"])})
                except Exception as exc:
                    out.append({"jsonrpc": "2.0", "id": c["id"], "error": {"code": -32000, "message": str(exc)}})
            data = json.dumps(out if isinstance(body, list) else out[0]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
