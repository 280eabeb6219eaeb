"""The embedded chain persists between processes and survives kill -9 mid-write."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from ipledger.chain import LedgerClient, TxKind, deploy
from ipledger.chain.accumulator import recompute
from ipledger.chain.embedded import EmbeddedBackend
from tests.conformance.conftest import Env

ROOT = Path(__file__).resolve().parents[2]


def _state(b: EmbeddedBackend) -> tuple[int, bytes, bytes]:
    head = b.chain.get_canonical_head()
    return head.block_number, head.hash, head.state_root


def test_reopened_chain_has_same_head_and_state(tmp_path: Path) -> None:
    b = EmbeddedBackend(tmp_path)
    d = deploy(b)
    env = Env(b, LedgerClient(b, d.ledger, d.registry), b.accounts())
    asset = env.registered()
    env.client.record_batch([env.tx(asset) for _ in range(20)])
    before = _state(b)
    acc = env.client.accumulator()
    b.close()

    again = EmbeddedBackend(tmp_path)
    assert _state(again) == before
    client = LedgerClient(again, d.ledger, d.registry)
    assert client.accumulator() == acc
    assert client.record_count() == 21
    client.record(env.tx(asset, TxKind.PLEDGE, royalty_bps=0))  # and it goes on accepting writes
    assert again.head() == before[0] + 1
    again.close()


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from ipledger.chain import LedgerClient, deploy
    from ipledger.chain.deploy import Deployment
    from ipledger.chain.embedded import EmbeddedBackend
    from tests.conformance.conftest import Env
    data = Path(sys.argv[1])
    b = EmbeddedBackend(data)
    dep = data / "deployment.json"
    if dep.exists():
        d = Deployment.from_file(dep)
    else:
        d = deploy(b)
        dep.write_text(d.to_json())
    env = Env(b, LedgerClient(b, d.ledger, d.registry), b.accounts())
    asset = env.registered(f"ZL{b.head():012d}.1")
    print("ready", flush=True)
    while True:
        env.client.record_batch([env.tx(asset) for _ in range(50)])
    """
)


def test_kill9_mid_write_keeps_last_block(tmp_path: Path) -> None:
    rng = random.Random(7)
    env_vars = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"}
    for _ in range(4):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, env=env_vars, cwd=ROOT
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.2, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()

        b = EmbeddedBackend(tmp_path)
        d = __import__("ipledger.chain.deploy", fromlist=["Deployment"]).Deployment.from_file(
            tmp_path / "deployment.json"
        )
        client = LedgerClient(b, d.ledger, d.registry)
        logs = b.get_logs(0, b.head(), [d.ledger])
        acc, n = recompute("IPLedger", logs, chain_id=b.chain_id, address=d.ledger)
        # Every record the head block holds is complete: counts and accumulator agree.
        assert n == client.record_count()
        assert acc == client.accumulator()
        b.close()
