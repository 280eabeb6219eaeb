"""The witness hash and the accumulator seed match the test vectors in docs/audit.md, and the
standalone verifier's independent implementation agrees with ipledger's."""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

from eth_abi import encode
from eth_utils import keccak

from ipledger.audit.witness import Witness, record_event_topics
from ipledger.chain.compiled import load

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "audit.md").read_text()

VECTOR = Witness(
    chain_id=31337,
    genesis_hash="0x" + "11" * 32,
    contracts={"IPLedger": "0x" + "22" * 20, "ValuationRegistry": "0x" + "33" * 20},
    deployment_block=1,
    deployment_block_hash="0x" + "44" * 32,
    head_block=9,
    head_block_hash="0x" + "55" * 32,
    accumulators={"IPLedger": "0x" + "66" * 32, "ValuationRegistry": "0x" + "77" * 32},
    record_counts={"IPLedger": 5, "ValuationRegistry": 2},
)


def _verifier():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("verify_standalone", ROOT / "scripts" / "verify_standalone.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_documented_vectors() -> None:
    assert VECTOR.digest.hex() in DOC
    seed = keccak(
        encode(["bytes32", "uint256", "address"], [keccak(text="ipledger.IPLedger.v2"), 31337, "0x" + "22" * 20])
    )
    assert seed.hex() in DOC


def test_verifier_agrees_with_ipledger() -> None:
    v = _verifier()
    rng = random.Random(7)
    for _ in range(20):
        w = Witness(
            chain_id=rng.randrange(1, 2**40),
            genesis_hash="0x" + rng.randbytes(32).hex(),
            contracts={"IPLedger": "0x" + rng.randbytes(20).hex(), "ValuationRegistry": "0x" + rng.randbytes(20).hex()},
            deployment_block=rng.randrange(10**6),
            deployment_block_hash="0x" + rng.randbytes(32).hex(),
            head_block=rng.randrange(10**6, 10**7),
            head_block_hash="0x" + rng.randbytes(32).hex(),
            accumulators={
                "IPLedger": "0x" + rng.randbytes(32).hex(),
                "ValuationRegistry": "0x" + rng.randbytes(32).hex(),
            },
            record_counts={"IPLedger": rng.randrange(10**6), "ValuationRegistry": rng.randrange(10**6)},
        )
        assert v.witness_hash(w.to_dict()) == w.digest
    for contract in ("IPLedger", "ValuationRegistry"):
        assert set(v.record_topics(load(contract).abi)) == set(record_event_topics(contract))
