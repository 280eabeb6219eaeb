"""IP insurance products: cost heads, sub-limits, deductible, coinsurance, term and eligibility.

The catalogue holds the Beijing 2020-2022 pilot's two patent products exactly as table 1-1 of
the thesis (amounts there in 10k CNY, here in CNY) and configurable enforcement, infringement-loss,
infringement-liability and overseas-liability products built by :func:`make_product`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal

import pandas as pd

from ipledger.errors import PricingError

CostHead = Literal["investigation", "legal", "evidence", "invalidation_defence", "direct_loss", "third_party_damages"]
COST_HEADS: tuple[CostHead, ...] = (
    "investigation",
    "legal",
    "evidence",
    "invalidation_defence",
    "direct_loss",
    "third_party_damages",
)
#: Heads that indemnify a loss (rather than reimburse a cost); the deductible applies to these.
INDEMNITY_HEADS: frozenset[str] = frozenset({"direct_loss", "third_party_damages"})

IPType = Literal["patent", "trademark", "copyright"]
Status = Literal["pending", "active", "lapsed", "invalidated", "expired", "ownership_dispute", "infringement_dispute"]
STATUSES: frozenset[str] = frozenset(
    {"pending", "active", "lapsed", "invalidated", "expired", "ownership_dispute", "infringement_dispute"}
)
Trigger = Literal["enforcement", "liability"]

_WAN = 10_000.0  # one "wan" (万), the unit of the pilot table


@dataclass(frozen=True)
class Eligibility:
    """Outcome of an eligibility check.

    Attributes:
        eligible: True when every rule passed.
        reasons: one plain-language line per failed rule (empty when eligible).
        status: the status in force at the check date (None when the history is empty).
    """

    eligible: bool
    reasons: tuple[str, ...]
    status: str | None


@dataclass(frozen=True)
class Product:
    """One insurance product; every amount is in major units of ``currency``.

    Attributes:
        name: catalogue key.
        label: display name.
        trigger: ``"enforcement"`` (the insured sues an infringer) or ``"liability"`` (the insured
            is sued and the policy defends and pays damages).
        ip_types: IP types the product accepts.
        sub_limits: per-head limit for one policy year (heads absent are not covered).
        aggregate_limit: limit for all heads together in one policy year; ``None`` means the sum
            of the sub-limits.
        deductible: per-claim deductible, applied to each indemnity head (direct loss, third-party
            damages); cost heads are paid from the first unit, as in the Beijing pilot.
        coinsurance: the insured's share of every covered loss (fraction), applied before limits.
        term_years: policy term.
        flat_premium: the published flat premium per policy year, if any (the pilot's).
        minimum_premium: floor on the gross premium per policy year.
        currency: ISO 4217 code.
        requires_no_ownership_dispute / requires_no_infringement_dispute: eligibility rules.
        valid_statuses: statuses counted as a valid right.
        source: where the figures come from.
        sum_insured_rule: ``"value"`` (the sum insured follows the valuation, within the
            limits) or ``"schedule"`` (published limits; see :mod:`ipledger.insurance.sum_insured`).
        minimum_sum_insured: floor on a value-linked sum insured (major units).
        sum_insured_rounding: unit a value-linked sum insured is rounded to (major units).
    """

    name: str
    label: str
    trigger: Trigger
    ip_types: tuple[str, ...]
    sub_limits: Mapping[str, float]
    aggregate_limit: float | None = None
    deductible: float = 0.0
    coinsurance: float = 0.0
    term_years: int = 1
    flat_premium: float | None = None
    minimum_premium: float = 0.0
    currency: str = "CNY"
    requires_no_ownership_dispute: bool = True
    requires_no_infringement_dispute: bool = True
    valid_statuses: tuple[str, ...] = ("active",)
    source: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    sum_insured_rule: Literal["value", "schedule"] = "schedule"
    minimum_sum_insured: float = 0.0
    sum_insured_rounding: float = _WAN

    def __post_init__(self) -> None:
        if self.sum_insured_rule not in ("value", "schedule"):
            raise PricingError(f"product {self.name!r}: sum_insured_rule must be value or schedule")
        if self.minimum_sum_insured < 0 or self.sum_insured_rounding < 0:
            raise PricingError(f"product {self.name!r}: minimum sum insured and rounding must be >= 0")
        unknown = set(self.sub_limits) - set(COST_HEADS)
        if unknown:
            raise PricingError(f"product {self.name!r}: unknown cost heads {sorted(unknown)}")
        if any(v < 0 or math.isnan(v) for v in self.sub_limits.values()):
            raise PricingError(f"product {self.name!r}: sub-limits must be >= 0")
        if not 0.0 <= self.coinsurance < 1.0:
            raise PricingError(f"product {self.name!r}: coinsurance must be in [0, 1), got {self.coinsurance}")
        if self.deductible < 0:
            raise PricingError(f"product {self.name!r}: deductible must be >= 0")
        if self.aggregate_limit is not None and self.aggregate_limit < 0:
            raise PricingError(f"product {self.name!r}: aggregate limit must be >= 0")
        if self.term_years < 1:
            raise PricingError(f"product {self.name!r}: term_years must be >= 1")
        # Freeze the mapping so a catalogue product cannot be changed in place.
        object.__setattr__(self, "sub_limits", MappingProxyType(dict(self.sub_limits)))

    @property
    def heads(self) -> tuple[str, ...]:
        """Covered heads in catalogue order."""
        return tuple(h for h in COST_HEADS if h in self.sub_limits)

    @property
    def total_sub_limits(self) -> float:
        """Sum of the per-head sub-limits (major units)."""
        return float(sum(self.sub_limits.values()))

    @property
    def effective_aggregate(self) -> float:
        """The aggregate limit actually in force (the sum of sub-limits when none is set)."""
        total = self.total_sub_limits
        return total if self.aggregate_limit is None else min(self.aggregate_limit, total)

    def with_(self, **changes: Any) -> Product:
        """A copy with some fields changed (e.g. ``product.with_(deductible=10_000)``)."""
        if "sub_limits" in changes:
            changes["sub_limits"] = dict(changes["sub_limits"])
        return replace(self, **changes)

    def check_eligibility(self, history: pd.DataFrame | None, *, as_of: Any = None) -> Eligibility:
        """Evaluate the eligibility rules on a status history.

        Args:
            history: DataFrame with columns ``date`` and ``status`` (one of :data:`STATUSES`);
                the latest row on or before ``as_of`` is the status in force. A dispute is open
                from its row until a later row with a non-dispute status. ``None`` or empty means
                no history (not eligible: validity cannot be shown).
            as_of: check date (anything ``pd.Timestamp`` accepts); default the last row's date.

        Returns:
            An :class:`Eligibility` with the failed rules as reasons.
        """
        if history is None or len(history) == 0:
            return Eligibility(False, ("no status history: validity cannot be shown",), None)
        missing = {"date", "status"} - set(history.columns)
        if missing:
            raise PricingError(f"status history lacks columns {sorted(missing)}")
        bad = set(history["status"]) - STATUSES
        if bad:
            raise PricingError(f"unknown statuses {sorted(bad)}; expected one of {sorted(STATUSES)}")
        h = history.assign(date=pd.to_datetime(history["date"])).sort_values("date", kind="stable")
        if as_of is not None:
            h = h[h["date"] <= pd.Timestamp(as_of)]
            if h.empty:
                return Eligibility(False, ("no status on or before the check date",), None)
        statuses = list(h["status"])
        # The right's own status is the last non-dispute status; disputes overlay it.
        right = next((s for s in reversed(statuses) if "dispute" not in s), None)
        current = statuses[-1]
        open_disputes = _open_disputes(statuses)
        reasons: list[str] = []
        if right not in self.valid_statuses:
            reasons.append(f"right is not valid (status {right or 'unknown'})")
        if self.requires_no_ownership_dispute and "ownership_dispute" in open_disputes:
            reasons.append("ownership dispute open")
        if self.requires_no_infringement_dispute and "infringement_dispute" in open_disputes:
            reasons.append("infringement dispute pending")
        return Eligibility(not reasons, tuple(reasons), current)


def _open_disputes(statuses: list[str]) -> set[str]:
    """Disputes opened and not followed by a non-dispute status (which closes them)."""
    open_: set[str] = set()
    for s in statuses:
        if "dispute" in s:
            open_.add(s)
        else:
            open_.clear()
    return open_


def _pilot(name: str, label: str, table: Mapping[str, float], *, term: int, premium: float) -> Product:
    return Product(
        name=name,
        label=label,
        trigger="enforcement",
        ip_types=("patent",),
        sub_limits={head: wan * _WAN for head, wan in table.items()},
        aggregate_limit=None,
        deductible=0.0,
        coinsurance=0.0,
        term_years=term,
        flat_premium=premium * _WAN,
        currency="CNY",
        source="Beijing IP insurance pilot 2020-2022, thesis table 1-1 (Beijing IP Office); amounts in 10k CNY",
        notes=(
            "invention, utility-model and design patents; valid, no ownership dispute, no pending infringement dispute",
            "one policy per patent per year; several policies share a claim pro rata",
            "premium read as per policy year (the subsidy tapers by year of participation)",
        ),
    )


CHAMPION_PATENT_GUARD = _pilot(
    "champion_patent_guard",
    'Beijing "Champion" patent guard',
    {"investigation": 20, "legal": 20, "evidence": 20, "invalidation_defence": 20, "direct_loss": 160},
    term=1,
    premium=2.5,
)
SMALL_MICRO_PATENT_GUARD = _pilot(
    "small_micro_patent_guard",
    'Beijing "Small/micro" patent guard',
    {"investigation": 20, "legal": 20, "evidence": 5, "invalidation_defence": 10, "direct_loss": 30},
    term=3,
    premium=1.0,
)

_KINDS: dict[str, dict[str, Any]] = {
    # Enforcement (legal expenses) cover: the insured's costs of suing; US practice has the
    # insured bear 20-25% (thesis 5.5), the thesis suggests less in China: 10% by default.
    "enforcement": {
        "label": "IP enforcement (legal expenses) cover",
        "trigger": "enforcement",
        "sub_limits": {
            "investigation": 200_000,
            "legal": 500_000,
            "evidence": 100_000,
            "invalidation_defence": 200_000,
        },
        "coinsurance": 0.10,
        # Nobody rationally spends more enforcing a right than it is worth: the cover follows
        # the value (decision record 0050); 50k CNY floor (assumption: below it one claim's
        # fixed costs exceed the cover).
        "sum_insured_rule": "value",
        "minimum_sum_insured": 50_000,
    },
    "infringement_loss": {
        "label": "IP infringement-loss cover (direct loss of being infringed)",
        "trigger": "enforcement",
        "sub_limits": {"direct_loss": 2_000_000},
        "deductible": 20_000,
        "sum_insured_rule": "value",
        "minimum_sum_insured": 50_000,
    },
    # Liability cover defends the insured and pays third-party damages as well (thesis 6.2.1).
    "infringement_liability": {
        "label": "IP infringement-liability cover (defence and damages)",
        "trigger": "liability",
        "sub_limits": {
            "investigation": 100_000,
            "legal": 500_000,
            "evidence": 100_000,
            "invalidation_defence": 300_000,
            "third_party_damages": 2_000_000,
        },
        "deductible": 20_000,
        "coinsurance": 0.10,
    },
    "overseas_liability": {
        "label": "Overseas IP infringement-liability cover (exporters; defence and damages)",
        "trigger": "liability",
        "sub_limits": {
            "investigation": 300_000,
            "legal": 3_000_000,
            "evidence": 300_000,
            "invalidation_defence": 1_000_000,
            "third_party_damages": 5_000_000,
        },
        "deductible": 50_000,
        "coinsurance": 0.20,
    },
}


def make_product(kind: str, *, name: str | None = None, **overrides: Any) -> Product:
    """Build a configurable product of one of the standard kinds.

    Args:
        kind: ``"enforcement"``, ``"infringement_loss"``, ``"infringement_liability"`` or
            ``"overseas_liability"``.
        name: catalogue key (default ``kind``).
        **overrides: any :class:`Product` field, e.g. ``sub_limits={...}``, ``deductible=...``
            (CNY), ``coinsurance=0.2``, ``ip_types=("trademark",)``.

    Returns:
        The product. Default limits are assumptions sized to the Beijing pilot (CNY).
    """
    if kind not in _KINDS:
        raise PricingError(f"unknown product kind {kind!r}; expected one of {sorted(_KINDS)}")
    spec: dict[str, Any] = {
        "ip_types": ("patent", "trademark", "copyright"),
        "source": "assumption: configurable product, limits sized to the Beijing pilot",
        **_KINDS[kind],
        **overrides,
    }
    return Product(name=name or kind, **spec)


PRODUCTS: Mapping[str, Product] = MappingProxyType(
    {
        CHAMPION_PATENT_GUARD.name: CHAMPION_PATENT_GUARD,
        SMALL_MICRO_PATENT_GUARD.name: SMALL_MICRO_PATENT_GUARD,
        **{kind: make_product(kind) for kind in _KINDS},
    }
)


def get_product(product: Product | str) -> Product:
    """Resolve a product or a catalogue key."""
    if isinstance(product, Product):
        return product
    try:
        return PRODUCTS[product]
    except KeyError:
        raise PricingError(f"unknown product {product!r}; catalogue has {sorted(PRODUCTS)}") from None
