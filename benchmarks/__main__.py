"""Run benchmarks and write their figures to benchmarks/results/NAME.json."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path

NAMES = ("contracts", "indexer", "indexer_peers", "valuation", "insurance", "audit", "platform", "imports", "cli")
RESULTS = Path(__file__).resolve().parent / "results"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all of {', '.join(NAMES)})")
    parser.add_argument(
        "--quick", action="store_true", help="small sizes for development (IPLEDGER_BENCH_SCALE=0.05), NAME.quick.json"
    )
    args = parser.parse_args()
    if args.quick:
        os.environ.setdefault("IPLEDGER_BENCH_SCALE", "0.05")
    names = args.names or list(NAMES)
    unknown = set(names) - set(NAMES)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    RESULTS.mkdir(exist_ok=True)
    failed = 0
    for name in names:
        try:
            module = importlib.import_module(f"benchmarks.{name}")
        except ModuleNotFoundError as exc:
            print(f"{name}: not available ({exc})", file=sys.stderr)
            failed += 1
            continue
        print(f"== {name}", file=sys.stderr)
        start = time.perf_counter()
        figures = module.run()
        figures["benchmark_wall_s"] = round(time.perf_counter() - start, 2)
        figures["machine"] = f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
        out = RESULTS / (f"{name}.quick.json" if args.quick else f"{name}.json")
        out.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
        print(json.dumps(figures, indent=2, sort_keys=True))
        print(f"wrote {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
