#!/usr/bin/env python3
"""Check an ipledger deployment without ipledger: only web3.py, eth-abi and the JSON-RPC endpoint.

Implements docs/audit.md ("Verifying without ipledger") from the specification alone:
recomputes both contracts' accumulators from their record logs, compares them (and the record
counts) with the contracts' state, re-verifies every party consent signature (EIP-712 digest,
ecrecover or ERC-1271, nonce spent once and naming the record's recorder), and checks a witness
file against the chain. Usage::

    python verify_standalone.py --rpc URL --artifact IPLedger.json --artifact ValuationRegistry.json \\
        --witness witness.json                      # addresses, deployment and head from the witness
    python verify_standalone.py --rpc URL --artifact ... --address IPLedger=0x.. \\
        --address ValuationRegistry=0x.. --from-block N [--block M]

Exit code 0: everything matches; 3: a mismatch (each printed); 1: cannot run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from eth_abi import decode, encode
from web3 import Web3

CHUNK = 10_000  # blocks per eth_getLogs call


def canonical(param: dict) -> str:
    t = param["type"]
    if t.startswith("tuple"):
        return "(" + ",".join(canonical(c) for c in param["components"]) + ")" + t[5:]
    return t


def record_topics(abi: list[dict], first: str = "recordId") -> list[bytes]:
    """topic0 of every event whose first indexed input is named ``first``: recordId for records,
    txRecordId for a record's attachments (consents), which the accumulator hashes too."""
    out = []
    for e in abi:
        indexed = [i for i in e.get("inputs", []) if i.get("indexed")] if e["type"] == "event" else []
        if indexed and indexed[0]["name"] == first:
            out.append(Web3.keccak(text=f"{e['name']}({','.join(canonical(i) for i in e['inputs'])})"))
    return out


def seed(name: str, creation_code: bytes, chain_id: int, address: str) -> bytes:
    legacy = Web3.keccak(text=f"ipledger.{name}.v1")
    if legacy in creation_code:  # contracts compiled before the v2 seed (docs/audit.md)
        return bytes(legacy)
    label = Web3.keccak(text=f"ipledger.{name}.v2")
    return bytes(Web3.keccak(encode(["bytes32", "uint256", "address"], [label, chain_id, address])))


RECORD_TYPEHASH = Web3.keccak(
    text="Record(bytes32 assetId,uint8 kind,address from,address to,uint40 date,bytes3 currency,uint128 amount,"
    "uint16 royaltyBps,uint8 exclusivity,bytes2 territory,uint40 termEnd,uint64 ref,bytes32 docHash,"
    "uint256 nonce,uint256 deadline)"
)
DOMAIN_TYPEHASH = Web3.keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")


def event_topic(abi: list[dict], name: str) -> bytes:
    e = next(e for e in abi if e["type"] == "event" and e["name"] == name)
    return bytes(Web3.keccak(text=f"{name}({','.join(canonical(i) for i in e['inputs'])})"))


def check_consents(w3: Web3, abi: list[dict], logs: list, chain_id: int, address: str) -> tuple[int, list[str]]:
    """Re-verify every ConsentGiven log against its TxRecorded log (docs/audit.md, consent digests)."""
    tx_topic, consent_topic = event_topic(abi, "TxRecorded"), event_topic(abi, "ConsentGiven")
    domain = Web3.keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [DOMAIN_TYPEHASH, Web3.keccak(text="ipledger.IPLedger"), Web3.keccak(text="2"), chain_id, address],
        )
    )
    txs = {int.from_bytes(bytes(g["topics"][1]), "big"): g for g in logs if bytes(g["topics"][0]) == tx_topic}
    spent: set[int] = set()
    roles: dict[int, set[int]] = {}
    verified, problems = 0, []
    for g in (g for g in logs if bytes(g["topics"][0]) == consent_topic):
        # A consent takes no record id: topic 1 is its record's id, topic 2 the signer; the data is
        # abi.encode(nonce, deadline, signature). Its asset is its record's.
        tx_id = int.from_bytes(bytes(g["topics"][1]), "big")
        signer = Web3.to_checksum_address(bytes(g["topics"][2])[-20:])
        nonce, deadline, signature = decode(["uint256", "uint256", "bytes"], bytes(g["data"]))
        taken = roles.setdefault(tx_id, set())
        rid = f"{len(taken) + 1} of {tx_id}"
        t = txs.get(tx_id)
        if t is None or bytes(t["transactionHash"]) != bytes(g["transactionHash"]):
            problems.append(f"consent #{rid}: names record #{tx_id}, no transaction recorded with it")
            continue
        data = bytes(t["data"])
        parties = [Web3.to_checksum_address(data[12:32]), Web3.to_checksum_address(data[44:64])]
        # The seller's signature first, then the buyer's, each once.
        if not taken and signer == parties[0]:
            taken.add(0)
        elif 1 not in taken and signer == parties[1]:
            taken.add(1)
        else:
            problems.append(f"consent #{rid}: {signer} is no party of record #{tx_id}, or signs twice")
            continue
        if nonce >> 96 != int.from_bytes(data[11 * 32 : 12 * 32], "big") or nonce in spent:
            problems.append(f"consent #{rid}: nonce {nonce} spent before or not its recorder's")
            continue
        spent.add(nonce)
        struct = Web3.keccak(
            RECORD_TYPEHASH + bytes(t["topics"][2]) + bytes(t["topics"][3]) + data[: 11 * 32]
            + nonce.to_bytes(32, "big") + deadline.to_bytes(32, "big")
        )  # fmt: skip
        digest = bytes(Web3.keccak(b"\x19\x01" + domain + struct))
        try:
            ok = w3.eth.account._recover_hash(digest, signature=signature) == signer
        except Exception:  # a malformed ECDSA signature: maybe a contract wallet's
            ok = False
        if not ok:  # ERC-1271 isValidSignature(bytes32,bytes) at the consent's block
            call = Web3.keccak(text="isValidSignature(bytes32,bytes)")[:4] + encode(
                ["bytes32", "bytes"], [digest, signature]
            )
            try:
                out = bytes(w3.eth.call({"to": signer, "data": "0x" + call.hex()}, g["blockNumber"]))
            except Exception:
                out = b""
            ok = out[:4] == bytes.fromhex("1626ba7e")
        if ok:
            verified += 1
        else:
            problems.append(f"consent #{rid}: the signature of {signer} does not verify against record #{tx_id}")
    return verified, problems


def witness_hash(w: dict) -> bytes:
    c, a, n = w["contracts"], w["accumulators"], w["record_counts"]
    types = ["bytes32", "uint256", "bytes32", "address", "address", "uint256", "bytes32", "uint256", "bytes32"]
    values = [
        Web3.keccak(text="ipledger.witness.v1"),
        w["chain_id"],
        bytes.fromhex(w["genesis_hash"][2:]),
        c["IPLedger"],
        c["ValuationRegistry"],
        w["deployment_block"],
        bytes.fromhex(w["deployment_block_hash"][2:]),
        w["head_block"],
        bytes.fromhex(w["head_block_hash"][2:]),
    ]
    for name in ("IPLedger", "ValuationRegistry"):
        types += ["bytes32", "uint256"]
        values += [bytes.fromhex(a[name][2:]), n[name]]
    return bytes(Web3.keccak(encode(types, values)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rpc", required=True)
    ap.add_argument("--artifact", action="append", required=True, help="compiled contract JSON (abi, bytecode)")
    ap.add_argument("--address", action="append", default=[], help="NAME=0xADDRESS (without --witness)")
    ap.add_argument("--from-block", type=int, help="deployment block (without --witness)")
    ap.add_argument("--block", type=int, help="check the state at this block (default: the witness head, or latest)")
    ap.add_argument("--witness", type=Path)
    args = ap.parse_args()

    w3 = Web3(Web3.HTTPProvider(args.rpc, request_kwargs={"timeout": 60}))
    chain_id = w3.eth.chain_id
    artifacts = {}
    for path in args.artifact:
        data = json.loads(Path(path).read_text())
        artifacts[data.get("contractName", Path(path).stem)] = data
    problems: list[str] = []
    witness = json.loads(args.witness.read_text()) if args.witness else None
    if witness:
        addresses = {k: Web3.to_checksum_address(v) for k, v in witness["contracts"].items()}
        start, block = witness["deployment_block"], args.block if args.block is not None else witness["head_block"]
        digest = "0x" + witness_hash(witness).hex()
        if witness.get("witness_hash", digest).lower() != digest:
            problems.append(f"witness: stated hash {witness.get('witness_hash')} != recomputed {digest}")
        print(f"witness hash {digest}")
        if chain_id != witness["chain_id"]:
            problems.append(f"witness: chain id {chain_id} != {witness['chain_id']}")
        head = w3.eth.block_number
        if head < witness["head_block"]:
            problems.append(f"witness: the chain's head {head} is below the witnessed block {witness['head_block']}")
        else:
            for label, number, expected in (
                ("genesis", 0, witness["genesis_hash"]),
                ("deployment block", witness["deployment_block"], witness["deployment_block_hash"]),
                ("head block", witness["head_block"], witness["head_block_hash"]),
            ):
                got = "0x" + bytes(w3.eth.get_block(number)["hash"]).hex()
                if got != expected.lower():
                    problems.append(f"witness: {label} {number} hash {got} != {expected}")
    else:
        addresses = dict(a.split("=", 1) for a in args.address)
        addresses = {k: Web3.to_checksum_address(v) for k, v in addresses.items()}
        start, block = args.from_block or 0, args.block if args.block is not None else w3.eth.block_number
    if problems and any("below" in p for p in problems):
        block = w3.eth.block_number

    for name, address in sorted(addresses.items()):
        art = artifacts[name]
        records = record_topics(art["abi"])
        topics = records + record_topics(art["abi"], "txRecordId")
        logs = []
        for lo in range(start, block + 1, CHUNK):
            hi = min(lo + CHUNK - 1, block)
            flt = {"fromBlock": lo, "toBlock": hi, "address": address, "topics": [["0x" + t.hex() for t in topics]]}
            logs += w3.eth.get_logs(flt)
        logs.sort(key=lambda g: (g["blockNumber"], g["logIndex"]))
        acc = seed(name, bytes.fromhex(art["bytecode"][2:]), chain_id, address)
        n = 0
        for log in logs:
            # A record carries the next record id; a consent the id of the record just before it.
            is_record = bytes(log["topics"][0]) in records
            n += is_record
            rid = int.from_bytes(bytes(log["topics"][1]), "big")
            if rid != n or n == 0:
                problems.append(f"{name}: log {log['logIndex']} of block {log['blockNumber']} carries record id {rid}")
                break
            acc = bytes(Web3.keccak(acc + b"".join(bytes(t) for t in log["topics"]) + bytes(log["data"])))
        if name == "IPLedger":
            verified, bad = check_consents(w3, art["abi"], logs, chain_id, address)
            print(f"{name}: {verified} consent signatures verified")
            problems += bad
        contract = w3.eth.contract(address=address, abi=art["abi"])
        state_acc = bytes(contract.functions.accumulator().call(block_identifier=block))
        state_n = contract.functions.recordCount().call(block_identifier=block)
        print(f"{name} {address} at block {block}: {n} record logs, accumulator 0x{acc.hex()}")
        if (state_acc, state_n) != (acc, n):
            problems.append(f"{name}: contract state {state_n} records 0x{state_acc.hex()} != logs {n} 0x{acc.hex()}")
        if witness and block == witness["head_block"]:
            expected = (witness["accumulators"][name].lower(), witness["record_counts"][name])
            if ("0x" + acc.hex(), n) != expected:
                problems.append(f"{name}: logs give {n} records 0x{acc.hex()}, the witness {expected}")
    for p in problems:
        print("MISMATCH", p)
    print("OK" if not problems else f"FAILED: {len(problems)} mismatch(es)")
    return 3 if problems else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
