"""Canonical JSON for report hashes: sorted keys, fixed significant digits, plain types only."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from typing import Any

#: Floats are rounded to this many significant digits before hashing, so that the last-bit
#: differences of floating point (summation order, libm) never change a report hash.
SIGNIFICANT_DIGITS = 10


def plain(obj: Any, *, digits: int | None = SIGNIFICANT_DIGITS) -> Any:
    """Convert ``obj`` to JSON types: dataclasses, numpy scalars, timestamps, tuples, NaN (-> None).

    Args:
        obj: any nesting of mappings, sequences, dataclasses and scalars.
        digits: significant digits kept in floats (None keeps them all).

    Returns:
        The same structure made of dict, list, str, int, float, bool and None.
    """
    if obj is None or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        if not math.isfinite(obj):
            return None
        # + 0.0 turns -0.0 into 0.0, which would otherwise print differently
        return float(f"{obj:.{digits}g}") + 0.0 if digits is not None else obj + 0.0
    if is_dataclass(obj) and not isinstance(obj, type):
        return plain(asdict(obj), digits=digits)
    if isinstance(obj, Mapping):
        return {str(k): plain(v, digits=digits) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        items = sorted(obj, key=repr) if isinstance(obj, set | frozenset) else obj
        return [plain(v, digits=digits) for v in items]
    if isinstance(obj, dt.datetime | dt.date) or hasattr(obj, "isoformat"):
        # pandas' NaT is a datetime that is not equal to itself
        return None if obj != obj else obj.isoformat()
    # numpy and pandas scalars, without importing either here
    if hasattr(obj, "item"):
        return plain(obj.item(), digits=digits)
    if hasattr(obj, "tolist"):
        return plain(obj.tolist(), digits=digits)
    if isinstance(obj, bytes):
        return "0x" + obj.hex()
    return str(obj)


def canonical_json(obj: Any) -> str:
    """The canonical JSON text of ``obj``: sorted keys, compact separators, UTF-8, rounded floats."""
    return json.dumps(plain(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_hex(obj: Any) -> str:
    """``0x`` + hex SHA-256 of the canonical JSON of ``obj`` (the form of a bytes32 on chain)."""
    return "0x" + hashlib.sha256(canonical_json(obj).encode("utf-8")).hexdigest()
