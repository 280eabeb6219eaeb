"""scripts/verify_standalone.py (web3.py and eth-abi only) agrees with ipledger on a clean chain
and catches a tampered one: a rewritten anvil chain, and a node that hides one log."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ipledger.audit.witness import Witness, save_witness
from ipledger.chain.anvil import anvil_executable
from ipledger.chain.embedded import EmbeddedBackend
from ipledger.chain.rpc import RPCBackend
from tests.conftest import AnvilNode
from tests.integration.audit.conftest import Built, build
from tests.integration.rpc_bridge import serve

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "src" / "ipledger" / "chain" / "artifacts"


def verify(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, str(ROOT / "scripts" / "verify_standalone.py"), "--rpc", url]
    args += ["--artifact", str(ARTIFACTS / "IPLedger.json"), "--artifact", str(ARTIFACTS / "ValuationRegistry.json")]
    return subprocess.run([*args, *extra], capture_output=True, text=True, timeout=300)


def witness_of(built: Built, path: Path) -> Witness:
    c = built.env.client
    w = save_witness(built.env.backend, c.ledger_address, c.registry_address, built.start_block)
    w.write(path)
    return w


def test_embedded_chain_over_json_rpc(tmp_path: Path) -> None:
    backend = EmbeddedBackend(None)
    try:
        built = build(backend, tmp_path / "ledger")
        w = witness_of(built, tmp_path / "w.json")
        with serve(backend) as url:
            ok = verify(url, "--witness", str(tmp_path / "w.json"))
            assert ok.returncode == 0, ok.stdout + ok.stderr
            assert f"witness hash 0x{w.digest.hex()}" in ok.stdout
            assert f"accumulator {w.accumulators['IPLedger']}" in ok.stdout
            # Without a witness: the addresses and deployment block given by hand.
            c = built.env.client
            plain = verify(
                url,
                "--address", f"IPLedger=0x{c.ledger_address.hex()}",
                "--address", f"ValuationRegistry=0x{c.registry_address.hex()}",
                "--from-block", str(built.start_block),
            )  # fmt: skip
            assert plain.returncode == 0, plain.stdout + plain.stderr
            # A witness edited consistently with its stated hash still fails against the chain.
            data = json.loads((tmp_path / "w.json").read_text())
            data["accumulators"]["ValuationRegistry"] = "0x" + "42" * 32
            data.pop("witness_hash")
            (tmp_path / "edited.json").write_text(json.dumps(data))
            edited = verify(url, "--witness", str(tmp_path / "edited.json"))
            assert edited.returncode == 3 and "ValuationRegistry: logs give" in edited.stdout
        # A node that hides one record log.
        with serve(backend, drop_log=4) as url:
            hidden = verify(url, "--witness", str(tmp_path / "w.json"))
            assert hidden.returncode == 3, hidden.stdout
            assert "MISMATCH IPLedger" in hidden.stdout
    finally:
        backend.close()


@pytest.mark.anvil
def test_anvil_clean_and_rewritten(tmp_path: Path) -> None:
    if anvil_executable() is None:
        pytest.skip("anvil not installed")
    node = AnvilNode()
    try:
        backend = RPCBackend(node.url)
        built = build(backend, tmp_path / "ledger")
        w = witness_of(built, tmp_path / "w.json")
        ok = verify(node.url, "--witness", str(tmp_path / "w.json"))
        assert ok.returncode == 0, ok.stdout + ok.stderr

        # Rewrite the last blocks: roll back three, record something else, mine past the witness.
        backend.rpc.request("anvil_rollback", [3])
        env = built.env
        env.client.record(env.tx(built.other_asset, amount=1))
        backend.mine_empty(5)
        assert backend.head() >= w.head_block
        caught = verify(node.url, "--witness", str(tmp_path / "w.json"))
        assert caught.returncode == 3
        assert f"head block {w.head_block} hash" in caught.stdout
        # The rewritten chain is consistent with itself: only the witness tells.
        c = env.client
        alone = verify(
            node.url,
            "--address", f"IPLedger=0x{c.ledger_address.hex()}",
            "--address", f"ValuationRegistry=0x{c.registry_address.hex()}",
            "--from-block", str(built.start_block),
        )  # fmt: skip
        assert alone.returncode == 0, alone.stdout
    finally:
        node.stop()


def test_consent_signatures_reverified_without_ipledger(monkeypatch: pytest.MonkeyPatch) -> None:
    """The verifier recomputes every consent digest from the logs (docs/audit.md) and checks the
    signature, and the nonce's recorder and uniqueness; a bit flipped in a signature fails it."""
    from ipledger.chain import LedgerClient, deploy
    from ipledger.chain.compiled import load, topic0
    from tests.conformance.conftest import Env
    from tests.conformance.test_consent import BUYER, SELLER, _addr, _sign

    backend = EmbeddedBackend(None)
    try:
        d = deploy(backend)
        env = Env(backend, LedgerClient(backend, d.ledger, d.registry), backend.accounts())
        asset_id = env.registered(owner=_addr(SELLER))
        tx = env.tx(asset_id, seller=_addr(SELLER), buyer=_addr(BUYER))
        env.client.record_with_consent(tx, [_sign(env, tx, SELLER), _sign(env, tx, BUYER)])
        args = ["--address", f"IPLedger=0x{d.ledger.hex()}", "--address", f"ValuationRegistry=0x{d.registry.hex()}"]
        args += ["--from-block", str(d.block)]
        with serve(backend) as url:
            ok = verify(url, *args)
            assert ok.returncode == 0, ok.stdout + ok.stderr
            assert "IPLedger: 2 consent signatures verified" in ok.stdout
            consent = topic0(load("IPLedger").events()["ConsentGiven"])
            real = backend.get_logs

            def forged(*a: object, **kw: object) -> list:  # type: ignore[type-arg]
                out = []
                for g in real(*a, **kw):  # type: ignore[arg-type]
                    if g.topics and g.topics[0] == consent and g.topics[2][-20:] == _addr(BUYER):
                        data = bytearray(g.data)
                        data[-40] ^= 0x01  # one bit of the signature's s value
                        g = g._replace(data=bytes(data))
                    out.append(g)
                return out

            monkeypatch.setattr(backend, "get_logs", forged)
            bad = verify(url, *args)
            assert bad.returncode == 3, bad.stdout
            assert f"the signature of {BUYER.address} does not verify" in bad.stdout
    finally:
        backend.close()
