"""Recomputing anchored reports: the ledger as it was at a report's state block, and the
default recompute functions by anchor kind.

A recompute function takes ``(report_dict, ledger, state_block)`` and returns the report hash it
arrives at (``0x`` hex or 32 bytes). ``ledger`` is whatever the audit was given (a
``ipledger.ledger.Ledger``, or a :class:`LedgerAt` over the store); :func:`ledger_at` narrows it
to the rows indexed at or before ``state_block``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from ipledger.chain.codes import AnchorKind
from ipledger.documents import DocumentStore
from ipledger.ledger.api import LedgerAt
from ipledger.ledger.store import Store

__all__ = [
    "LedgerAt",
    "Recompute",
    "RecomputeUnavailable",
    "default_recompute",
    "given_inputs",
    "ledger_at",
    "recompute_valuation",
    "report_bytes",
    "store_report",
]

Recompute = Callable[[dict[str, Any], Any, int], "str | bytes"]


class RecomputeUnavailable(Exception):
    """Raised by a recompute function that cannot run here (e.g. its engine is not installed);
    the audit notes the skip instead of failing the report."""


def report_bytes(report: Mapping[str, Any]) -> bytes:
    """The canonical bytes of a report: sorted keys, compact, UTF-8. Their SHA-256 is the
    report hash; the document store keeps the report under it."""
    return json.dumps(report, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def store_report(documents: DocumentStore, report: Mapping[str, Any] | bytes | str) -> str:
    """Keep a report in the document store under its SHA-256; returns ``0x`` + that hash.

    Give a dict (stored in canonical form, see :func:`report_bytes`) or the exact JSON text
    whose hash was anchored (e.g. the valuation's canonical hash payload).
    """
    if isinstance(report, Mapping):
        content = report_bytes(report)
    elif isinstance(report, str):
        content = report.encode("utf-8")
    else:
        content = bytes(report)
    return "0x" + documents.put(content).hex()


def sha256_hex(content: bytes) -> str:
    return "0x" + hashlib.sha256(content).hexdigest()


def ledger_at(ledger: Any, state_block: int) -> LedgerAt:
    """``ledger`` (a Ledger, a LedgerAt or a Store) narrowed to rows at or before ``state_block``.

    The block hash comes from the chain when the ledger has a backend, else from the store.
    """
    if hasattr(ledger, "at_block"):
        return ledger.at_block(state_block)  # type: ignore[no-any-return]
    store = ledger if isinstance(ledger, Store) else ledger.store
    return LedgerAt(store, getattr(ledger, "documents", None), state_block)


#: Inputs a valuation report records that the engine derived rather than was given.
_DERIVED = ("methods", "min_methods", "royalty_rate_distribution", "caller_inputs")


def given_inputs(report: Mapping[str, Any]) -> dict[str, Any]:
    """The caller's inputs of a valuation report, recovered from what it records.

    When the report lists them (``inputs.caller_inputs``) those are used. Otherwise the
    report's ``inputs`` hold the caller's inputs and every default the engine filled in; the
    defaults are the keys listed in ``assumptions``. The derived royalty-rate summary becomes the
    given point rate again when its source was the inputs; a revenue series derived from a
    given ``revenue`` is dropped.
    """
    recorded = dict(report.get("inputs") or {})
    caller = recorded.get("caller_inputs")
    if isinstance(caller, Mapping):  # the engine recorded them itself
        return dict(caller)
    defaulted = set(report.get("assumptions") or {})
    out = {k: v for k, v in recorded.items() if k not in defaulted and k not in _DERIVED}
    rate = out.pop("royalty_rate", None)
    if isinstance(rate, Mapping):
        if rate.get("source") == "inputs":
            out["royalty_rate"] = rate.get("p50")
    elif rate is not None:
        out["royalty_rate"] = rate
    if "revenue" in out:
        out.pop("revenues", None)
    return out


def recompute_valuation(report: dict[str, Any], ledger: Any, state_block: int) -> str:
    """Value the report's asset again with ``ipledger.valuation.value_asset`` on the ledger at the
    report's state block (``ledger.at_block(state_block)`` when the ledger offers it, else
    :func:`ledger_at`), with the report's date, methods and the caller's inputs
    (:func:`given_inputs`) and the recorded engagement (purpose, basis of value, premise, report
    date, valuer and organisation, standard, scope, special assumptions); returns the new hash.

    Raises:
        RecomputeUnavailable: the valuation engine cannot be imported.
    """
    try:
        from ipledger.valuation import value_asset
    except ImportError as exc:
        raise RecomputeUnavailable(f"the valuation engine is not available ({exc})") from None
    recorded = dict(report.get("inputs") or {})
    methods = recorded.get("methods") or [m.get("method") for m in report.get("methods", []) if isinstance(m, dict)]
    min_methods = int(recorded.get("min_methods", 1))
    kwargs: dict[str, Any] = {"as_of": report.get("as_of"), "inputs": given_inputs(report), "min_methods": min_methods}
    if methods:
        kwargs["methods"] = methods
    engagement = report.get("engagement")
    if isinstance(engagement, Mapping) and engagement:
        # the engagement as recorded, the valuer's organisation included (not looked up again)
        kwargs["engagement"] = dict(engagement)
    # The ledger's own view of a past state when it has one, else the store's rows up to the block.
    at_block = getattr(ledger, "at_block", None)
    view = at_block(state_block) if callable(at_block) else ledger_at(ledger, state_block)
    valuation = value_asset(view, str(report["asset_id"]), **kwargs)
    return str(valuation.report_hash)


def recompute_quote(report: dict[str, Any], ledger: Any, state_block: int) -> str:
    """Price the quote again from the inputs it records at full precision (``exact_inputs``):
    the valuation figures, product, risk profile, year, loadings, subsidy and claims
    experience; returns the new hash.

    Raises:
        RecomputeUnavailable: the quote predates ``exact_inputs``, names a product outside the
            catalogue, or used a subsidy scheme object that cannot be rebuilt by name.
    """
    from types import SimpleNamespace

    from ipledger.errors import PricingError
    from ipledger.insurance import PRODUCTS, ClaimsExperience, Loadings, RiskProfile, quote

    exact = report.get("exact_inputs")
    if not isinstance(exact, Mapping) or not exact:
        raise RecomputeUnavailable("the quote records no exact inputs")
    if report.get("product") not in PRODUCTS:
        raise RecomputeUnavailable(f"product {report.get('product')!r} is not in the catalogue")
    if exact.get("subsidy") == "custom":
        raise RecomputeUnavailable("the quote used a custom subsidy scheme")
    if exact.get("model") != "default":
        raise RecomputeUnavailable("the quote was priced with a custom loss model")
    valuation = SimpleNamespace(
        value=float(exact["value"]),
        low=float(exact["low"]),
        high=float(exact["high"]),
        currency=report.get("currency"),
        asset_id=report.get("asset_id"),
        report_hash=report.get("valuation_report_hash"),
    )
    profile: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in dict(report.get("profile") or {}).items()
    }
    loadings = Loadings(**{k: float(v) for k, v in dict(exact["loadings"]).items()})
    experience = exact.get("experience")
    try:
        again = quote(
            valuation,
            str(report["product"]),
            RiskProfile(**profile),
            year=int(report.get("year", 1)),
            loadings=loadings,
            subsidy=exact.get("subsidy"),
            basis=exact.get("basis", "value"),
            experience=None if not experience else ClaimsExperience(**{k: float(v) for k, v in experience.items()}),
        )
    except PricingError as exc:
        raise RecomputeUnavailable(f"the quote's inputs no longer price: {exc}") from None
    return str(again.report_hash)


def default_recompute() -> dict[int, Recompute]:
    """Recompute functions by anchor kind that ship with ipledger: valuations re-run on the
    ledger at their state block; quotes and policies re-priced from their recorded inputs."""
    return {
        int(AnchorKind.VALUATION): recompute_valuation,
        int(AnchorKind.QUOTE): recompute_quote,
        int(AnchorKind.POLICY): recompute_quote,
    }
