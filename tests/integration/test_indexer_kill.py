"""An indexer killed with SIGKILL at random moments, then resumed, ends with exactly the tables
of an uninterrupted run: no gap, no duplicate."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from benchmarks._chain import licences, setup

from ipledger.chain.embedded import EmbeddedBackend
from ipledger.ledger import Indexer, Store
from tests.integration.test_indexer import dump

ROOT = Path(__file__).resolve().parents[2]

SYNC = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from ipledger.chain.embedded import EmbeddedBackend
    from ipledger.ledger import Indexer, Store
    chain, db, ledger, registry = sys.argv[1:5]
    b = EmbeddedBackend(Path(chain))
    ix = Indexer(b, Store(f"sqlite:///{db}"), bytes.fromhex(ledger), bytes.fromhex(registry))
    ix.fetcher.embedded_chunk = 1   # one commit per block: many moments to die in
    print("go", flush=True)
    ix.sync()
    print("done", flush=True)
    """
)


def test_twenty_kills_then_resume_equal_uninterrupted(tmp_path: Path) -> None:
    chain_dir = tmp_path / "chain"
    b = EmbeddedBackend(chain_dir)
    client, assets = setup(b, 200)
    for _ in client.record_many(licences(client, assets, 3000), batch_size=10):
        pass
    ledger, registry = client.ledger_address.hex(), client.registry_address.hex()
    b.close()

    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"}
    db = tmp_path / "killed.sqlite"
    rng = random.Random(20)
    kills = 0
    for _ in range(20):
        proc = subprocess.Popen(
            [sys.executable, "-c", SYNC, str(chain_dir), str(db), ledger, registry],
            stdout=subprocess.PIPE,
            env=env,
            cwd=ROOT,
        )
        assert proc.stdout is not None
        proc.stdout.readline()
        time.sleep(rng.uniform(0.0, 0.3))  # 300 blocks, one commit each: mid-sync
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills >= 10  # most runs really were killed mid-sync

    b = EmbeddedBackend(chain_dir)
    killed = Store(f"sqlite:///{db}")
    Indexer(b, killed, bytes.fromhex(ledger), bytes.fromhex(registry)).sync()
    clean = Store(f"sqlite:///{tmp_path / 'clean.sqlite'}")
    Indexer(b, clean, bytes.fromhex(ledger), bytes.fromhex(registry)).sync()
    assert killed.count("transactions") == 3000
    assert dump(killed) == dump(clean)
    b.close()
