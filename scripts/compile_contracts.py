"""Compile the contracts of record into committed ABI + bytecode artifacts.

Usage:
    python scripts/compile_contracts.py          # write src/ipledger/chain/artifacts/*.json
    python scripts/compile_contracts.py --check  # recompile; exit 1 if any artifact differs

The compiler is driven through py-solc-x's standard-JSON API. A native solc is used when one is
on PATH or named by IPLEDGER_SOLC; otherwise solc-js from the pinned npm package (through
scripts/solcjs-shim). Both give identical bytecode for the same version and settings because the
CBOR metadata (which names the compiler build) is not appended.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
from pathlib import Path

import solcx

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"
NODE_MODULES = ROOT / "node_modules"
OUT = ROOT / "src" / "ipledger" / "chain" / "artifacts"
SOLC_VERSION = "0.8.28"
DEPLOYED = ("IPLedger", "ValuationRegistry")
SETTINGS: dict[str, object] = {
    "optimizer": {"enabled": True, "runs": 1000},
    "viaIR": True,
    "evmVersion": "cancun",
    "metadata": {"appendCBOR": False, "bytecodeHash": "none"},
    "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}},
}
_IMPORT = re.compile(r'^\s*import\s+(?:\{[^}]*\}\s+from\s+)?"([^"]+)"\s*;', re.MULTILINE)


def _resolve(name: str, importer: str) -> str:
    if name.startswith("."):
        return os.path.normpath(os.path.join(os.path.dirname(importer), name))
    return name


def _read(unit: str) -> str:
    path = NODE_MODULES / unit if unit.startswith("@") else CONTRACTS / unit
    if not path.exists():
        sys.exit(f"error: source not found: {unit} (run 'npm ci' for OpenZeppelin)")
    return path.read_text(encoding="utf-8")


def collect_sources() -> dict[str, dict[str, str]]:
    """Every contract source and, recursively, every file it imports, keyed by unit name."""
    todo = sorted(p.name for p in CONTRACTS.glob("*.sol"))
    sources: dict[str, dict[str, str]] = {}
    while todo:
        unit = todo.pop()
        if unit in sources:
            continue
        text = _read(unit)
        sources[unit] = {"content": text}
        todo.extend(_resolve(m, unit) for m in _IMPORT.findall(text))
    return dict(sorted(sources.items()))


def find_compiler() -> tuple[Path, str]:
    """A native solc of the pinned version if there is one, else the solc-js shim."""
    named = os.environ.get("IPLEDGER_SOLC")
    candidates = [named] if named else [shutil.which("solc")]
    for cand in candidates:
        if cand and str(solcx.wrapper.get_solc_version(cand)) == SOLC_VERSION:
            return Path(cand), "native"
        if named:
            sys.exit(f"error: IPLEDGER_SOLC={named} is not solc {SOLC_VERSION}")
    return ROOT / "scripts" / "solcjs-shim", "solc-js"


def compile_all() -> dict[str, str]:
    """Compile and return {file name: artifact JSON text}."""
    sources = collect_sources()
    binary, flavour = find_compiler()
    out = solcx.compile_standard({"language": "Solidity", "sources": sources, "settings": SETTINGS}, solc_binary=binary)
    errors = [e for e in out.get("errors", []) if e["severity"] == "error"]
    if errors:
        sys.exit("\n".join(e["formattedMessage"] for e in errors))
    source_hash = hashlib.sha256(json.dumps(sources, sort_keys=True).encode()).hexdigest()
    artifacts: dict[str, str] = {}
    for unit, contracts in out["contracts"].items():
        for name, data in contracts.items():
            if name not in DEPLOYED:
                continue
            runtime = data["evm"]["deployedBytecode"]["object"]
            if len(runtime) // 2 > 24_576:
                sys.exit(f"error: {name} runtime code is {len(runtime) // 2} bytes (EIP-170 limit 24,576)")
            artifact = {
                "contractName": name,
                "sourceName": unit,
                "compiler": {
                    "version": SOLC_VERSION,
                    "settings": {k: v for k, v in SETTINGS.items() if k != "outputSelection"},
                },
                "sourceHash": source_hash,
                "abi": data["abi"],
                "bytecode": "0x" + data["evm"]["bytecode"]["object"],
                "deployedBytecode": "0x" + runtime,
            }
            artifacts[f"{name}.json"] = json.dumps(artifact, indent=1, sort_keys=True) + "\n"
    print(f"compiled {len(sources)} sources with {flavour} solc {SOLC_VERSION}", file=sys.stderr)
    return artifacts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if committed artifacts differ")
    args = parser.parse_args()
    artifacts = compile_all()
    if args.check:
        stale = [n for n, text in artifacts.items() if not (OUT / n).exists() or (OUT / n).read_text() != text]
        if stale:
            print(
                f"artifacts differ from sources: {', '.join(stale)}; run scripts/compile_contracts.py", file=sys.stderr
            )
            return 1
        print("artifacts match sources", file=sys.stderr)
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    for name, text in artifacts.items():
        (OUT / name).write_text(text)
        print(f"wrote {OUT.relative_to(ROOT) / name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
