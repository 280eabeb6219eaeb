"""The terms of a valuation engagement (IVS 101 *Scope of Work*; CAS intangible-asset standard).

A value means nothing without its purpose, its basis of value and its premise: a pledge lender
wants what the right fetches in a liquidation, an acquirer its market or fair value, an owner
its investment value. The engagement is recorded in the report (and so in its hash) and drives
two defaults: the tax amortisation benefit applies under a market or fair value basis (a buyer
could amortise the asset), and the report follows the standard the engagement names.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ipledger.errors import ValuationError

__all__ = ["BASES", "PREMISES", "STANDARDS", "Engagement"]

#: Bases of value (IVS 104): market value, fair value (IFRS 13 / CAS), investment value (to a
#: particular owner), liquidation value (what a forced or orderly sale would fetch: pledges).
BASES = ("market", "fair", "investment", "liquidation")
#: Premises of value (IVS 104 s.140-170).
PREMISES = ("highest_and_best_use", "current_use", "orderly_liquidation", "forced_sale")
#: Reporting standards: IVS 106 (documentation and reporting) or the China Appraisal Society's
#: 资产评估执业准则—无形资产 with its 2017 专利资产评估指导意见 / 知识产权资产评估指南.
STANDARDS = ("IVS", "CAS")
#: Bases under which a hypothetical buyer's tax amortisation benefit belongs in the value.
TAB_BASES = ("market", "fair")


@dataclass(frozen=True)
class Engagement:
    """What the valuation is for and on what basis.

    Attributes:
        purpose: the purpose in the client's words (e.g. "pledge financing", "insurance").
        basis: basis of value, one of :data:`BASES`.
        premise: premise of value, one of :data:`PREMISES`.
        report_date: ISO date of the report; None means the valuation date (so that the same
            inputs give the same report hash on any day).
        valuer: the valuer's account (``0x`` address) or name, or None.
        organisation: the valuer's organisation; None lets ``value_asset`` look it up in the
            ledger's organisations directory (``Ledger.organisation_of``) when it has one.
        client: the instructing party, or None.
        standard: the reporting standard, one of :data:`STANDARDS`.
        scope: the scope of work and its limits (free text).
        special_assumptions: assumptions that differ from the facts at the valuation date.
    """

    purpose: str = "insurance"
    basis: str = "market"
    premise: str = "current_use"
    report_date: str | None = None
    valuer: str | None = None
    organisation: str | None = None
    client: str | None = None
    standard: str = "IVS"
    scope: str = ""
    special_assumptions: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.basis not in BASES:
            raise ValuationError(f"basis of value must be one of {BASES}, got {self.basis!r}")
        if self.premise not in PREMISES:
            raise ValuationError(f"premise of value must be one of {PREMISES}, got {self.premise!r}")
        if self.standard not in STANDARDS:
            raise ValuationError(f"reporting standard must be one of {STANDARDS}, got {self.standard!r}")
        if self.report_date is not None:
            try:
                dt.date.fromisoformat(str(self.report_date)[:10])
            except ValueError:
                raise ValuationError(f"report_date must be an ISO date, got {self.report_date!r}") from None
        if isinstance(self.special_assumptions, str):
            object.__setattr__(self, "special_assumptions", (self.special_assumptions,))
        else:
            object.__setattr__(self, "special_assumptions", tuple(str(a) for a in self.special_assumptions))

    @classmethod
    def of(cls, value: Engagement | dict[str, Any] | None) -> Engagement:
        """An Engagement from itself, a dict of its fields (unknown keys raise) or None (defaults)."""
        if value is None:
            return cls()
        if isinstance(value, Engagement):
            return value
        if not isinstance(value, dict):
            raise ValuationError(f"engagement must be an Engagement or a dict, got {type(value).__name__}")
        unknown = sorted(set(value) - {f.name for f in fields(cls)})
        if unknown:
            raise ValuationError(f"unknown engagement fields: {unknown}")
        return cls(**value)

    @property
    def tab_applies(self) -> bool:
        """Whether the basis of value calls for the tax amortisation benefit."""
        return self.basis in TAB_BASES

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the report (tuples as lists)."""
        out = asdict(self)
        out["special_assumptions"] = list(self.special_assumptions)
        return out
