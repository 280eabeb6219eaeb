"""The valuation result: figures, evidence, assumptions and a deterministic report hash."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ipledger.valuation._canonical import canonical_json, plain, sha256_hex
from ipledger.valuation.types import MethodResult

__all__ = ["Valuation"]


@dataclass(frozen=True)
class Valuation:
    """A reconciled valuation of one IP asset at one date, from one ledger state.

    Money is in major units of ``currency``. ``report_hash`` is computed on construction from
    everything else (see :meth:`hash_payload`); insurers anchor it on chain and anyone holding
    the same ledger state and inputs can recompute it.

    Attributes:
        asset_id: the asset's id, ``0x`` + 64 hex digits.
        as_of: valuation date, ISO ``YYYY-MM-DD``.
        currency: ISO 4217 code.
        value: reconciled value.
        low: lower end of the range (about the 10th percentile).
        high: upper end of the range (about the 90th percentile).
        methods: each approach's result, with its weight.
        weights: weight by method name (fractions summing to 1).
        comparables: the market evidence used, dicts with at least ``record_id``, ``tx_hash``,
            ``log_index``, ``date``, ``amount`` and ``weight``.
        inputs: the inputs used (caller's, with defaults filled in).
        assumptions: where each default came from, and other stated assumptions.
        warnings: plain-language caveats.
        model_version: version string of the valuation model.
        state_block: block number of the ledger state used.
        state_hash: block hash of that state.
        engagement: purpose, basis and premise of value, report date, valuer and organisation,
            client, standard, scope, special assumptions (see
            :class:`~ipledger.valuation.engagement.Engagement`).
        asset: the asset's identity at the valuation date (registry number, kind, class,
            jurisdiction, owner, status, legal expiry, remaining life).
        reconciliation: the rule applied, each method's role and reason, the error standard
            deviations used and their sources.
        notes: the warnings as message keys with their fields (for reports in any language).
        sources: the source of each defaulted input as a message key with its fields.
        report_hash: ``0x`` + hex SHA-256 of the canonical JSON of all other fields.
    """

    asset_id: str
    as_of: str
    currency: str
    value: float
    low: float
    high: float
    methods: list[MethodResult] = field(default_factory=list)
    weights: dict[str, float] = field(default_factory=dict)
    comparables: list[dict[str, Any]] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)
    assumptions: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    model_version: str = ""
    state_block: int = 0
    state_hash: str = ""
    engagement: dict[str, Any] = field(default_factory=dict)
    asset: dict[str, Any] = field(default_factory=dict)
    reconciliation: dict[str, Any] = field(default_factory=dict)
    notes: list[dict[str, Any]] = field(default_factory=list)
    sources: dict[str, Any] = field(default_factory=dict)
    report_hash: str = ""

    def __post_init__(self) -> None:
        # frozen: the hash is part of the identity of the report and set once here
        object.__setattr__(self, "report_hash", sha256_hex(self.hash_payload()))

    def hash_payload(self) -> dict[str, Any]:
        """Everything the report hash covers: all fields except ``report_hash``, as plain data."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "report_hash"}

    def to_dict(self) -> dict[str, Any]:
        """All fields as JSON-compatible data (floats rounded as for the hash)."""
        out: dict[str, Any] = plain(self.hash_payload())
        out["report_hash"] = self.report_hash
        return out

    def amounts(self) -> dict[str, Any]:
        """Value, low and high as ``Decimal`` rounded half-even to the currency's minor unit
        (``ipledger.money.money``); the float fields stay for arithmetic."""
        from ipledger.money import money

        return {n: money(getattr(self, n), self.currency) for n in ("value", "low", "high")}

    def to_json(self, *, indent: int | None = 2) -> str:
        """The report as JSON text, keys sorted; ``canonical`` form when ``indent`` is None."""
        if indent is None:
            return canonical_json(self.to_dict())
        return json.dumps(self.to_dict(), sort_keys=True, indent=indent, ensure_ascii=False, allow_nan=False)

    def to_html(self, path: str | Path | None = None, *, lang: str | None = None) -> str:
        """A self-contained HTML report with charts; also written to ``path`` when given.

        Args:
            path: file to write (UTF-8); None writes nothing.
            lang: ``"en"`` (default) or ``"zh-CN"``.

        Returns:
            The HTML text.
        """
        from ipledger.valuation.report import render_html

        html = render_html(self, lang=lang)
        if path is not None:
            Path(path).write_text(html, encoding="utf-8")
        return html
