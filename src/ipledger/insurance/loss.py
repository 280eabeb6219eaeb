"""Loss model: claim frequency per policy-year times a severity per cost head.

``frequency = base(IP type) x stage x field x export x portfolio x firm`` and, per claim, each
head occurs with a probability and a lognormal amount whose median scales with the value at risk
(costs with elasticity 0.3, direct loss and damages proportionally). Defaults and their sources
live in :mod:`ipledger.insurance.calibration`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Literal

from ipledger.errors import PricingError
from ipledger.insurance import calibration as cal
from ipledger.insurance.products import INDEMNITY_HEADS, Product

Stage = Literal["application", "granted", "in_force"]
FirmType = Literal["champion", "sme", "micro", "other"]


@dataclass(frozen=True)
class Factor:
    """One rating factor applied in a quote.

    Attributes:
        name: e.g. ``"stage"``.
        value: the multiplier (or the figure, for a base rate).
        source: where the figure comes from (a table, a file, or "assumption: ...").
        applies_to: ``"frequency"``, ``"severity"`` or ``"premium"``.
        level: the profile's level of the factor (e.g. ``"mature"``).
    """

    name: str
    value: float
    source: str
    applies_to: str = "frequency"
    level: str = ""


@dataclass(frozen=True)
class RiskProfile:
    """What the insurer knows about the insured right and firm.

    Attributes:
        ip_type: ``"patent"``, ``"trademark"`` or ``"copyright"``.
        field: technical field (a key of ``calibration.FIELD_FREQUENCY``; unknown -> ``"other"``).
        stage: ``"application"``, ``"early_life"``, ``"mature"`` or ``"near_expiry"`` (no
            overlap; see ``calibration.STAGE_FREQUENCY``).
        export_markets: markets the firm exports to, e.g. ``("US", "EU")``.
        portfolio_size: number of rights the firm holds.
        firm_type: ``"champion"``, ``"sme"``, ``"micro"`` or ``"other"``.
        award_winning: the right won a national/provincial/city award (Yantai subsidy).
        status_history: optional DataFrame (date, status) checked against the product's rules.
    """

    ip_type: str = "patent"
    field: str = "other"
    stage: str = "mature"
    export_markets: tuple[str, ...] = ()
    portfolio_size: int = 1
    firm_type: str = "sme"
    award_winning: bool = False
    status_history: Any = dataclasses.field(default=None, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        if self.ip_type not in cal.IP_TYPE_COST:
            raise PricingError(f"unknown ip_type {self.ip_type!r}")
        if self.stage not in cal.STAGE_FREQUENCY:
            raise PricingError(f"unknown stage {self.stage!r}; expected one of {sorted(cal.STAGE_FREQUENCY)}")
        if self.firm_type not in cal.FIRM_FREQUENCY:
            raise PricingError(f"unknown firm_type {self.firm_type!r}")
        if self.portfolio_size < 1:
            raise PricingError("portfolio_size must be >= 1")
        object.__setattr__(self, "export_markets", tuple(self.export_markets))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the status history is not included)."""
        return {
            "ip_type": self.ip_type,
            "field": self.field,
            "stage": self.stage,
            "export_markets": list(self.export_markets),
            "portfolio_size": self.portfolio_size,
            "firm_type": self.firm_type,
            "award_winning": self.award_winning,
        }


@dataclass(frozen=True)
class HeadRisk:
    """Per-claim loss and policy terms for one cost head (amounts in major units).

    ``dist`` is ``"lognorm"`` (params ``mu``, ``sigma`` of the log) or ``"gamma"`` (``shape``,
    ``scale``).
    """

    head: str
    probability: float
    dist: str
    p1: float
    p2: float
    limit: float
    deductible: float
    coinsurance: float

    def frozen(self) -> Any:
        """The per-claim loss as a frozen scipy distribution."""
        from scipy import stats  # loaded here: pricing itself uses closed forms (scipy.special)

        if self.dist == "lognorm":
            return stats.lognorm(self.p2, scale=math.exp(self.p1))
        return stats.gamma(self.p1, scale=self.p2)

    @property
    def mean_loss(self) -> float:
        """Mean ground-up loss per claim given the head occurs."""
        return math.exp(self.p1 + 0.5 * self.p2**2) if self.dist == "lognorm" else self.p1 * self.p2


@dataclass(frozen=True)
class PolicyRisk:
    """Annual risk of one policy: Poisson frequency and per-head severities."""

    frequency: float
    heads: tuple[HeadRisk, ...]
    aggregate_limit: float


@dataclass(frozen=True)
class LossModel:
    """Frequency-severity model with relativities; parameters default to ``calibration``.

    Attributes:
        frequency_multiplier: overall calibration multiplier on frequency (1.0 = the court
            statistics as they are; raise it to reflect insured-patent selection).
        head_defaults: per-head severity defaults.
    """

    frequency_multiplier: float = 1.0
    head_defaults: dict[str, cal.HeadDefault] = dataclasses.field(default_factory=lambda: dict(cal.HEAD_DEFAULTS))

    def frequency_factors(self, profile: RiskProfile, product: Product) -> list[Factor]:
        """Frequency factors: base rate then relativities (multiply them for the frequency)."""
        base, src = cal.base_frequency(profile.ip_type)
        field_key = profile.field if profile.field in cal.FIELD_FREQUENCY else "other"
        ex = _export_frequency(profile.export_markets)
        factors = [
            Factor("base frequency", base, src, "frequency", profile.ip_type),
            Factor("stage", cal.STAGE_FREQUENCY[profile.stage], cal.SRC_THESIS_TIERS, "frequency", profile.stage),
            Factor("technical field", cal.FIELD_FREQUENCY[field_key], cal.SRC_THESIS_TIERS, "frequency", field_key),
            Factor("export market", ex, cal.SRC_EXPORT, "frequency", ",".join(profile.export_markets) or "domestic"),
            Factor(
                "portfolio size",
                _portfolio_factor(profile.portfolio_size),
                cal.SRC_PORTFOLIO,
                "frequency",
                str(profile.portfolio_size),
            ),
            Factor("firm type", cal.FIRM_FREQUENCY[profile.firm_type], cal.SRC_FIRM, "frequency", profile.firm_type),
            Factor(
                "product trigger",
                1.0,
                "each case has one claimant and one defendant: enforcement and liability triggers share the"
                " case count; liability costs more through the damages head (thesis 6.2.1)",
                "frequency",
                product.trigger,
            ),
        ]
        if self.frequency_multiplier != 1.0:
            factors.append(Factor("calibration", self.frequency_multiplier, "user calibration", "frequency"))
        return factors

    def severity_factors(self, profile: RiskProfile) -> list[Factor]:
        """Multipliers on cost-head severities (IP type, export market, firm type)."""
        return [
            Factor(
                "IP type (costs)", cal.IP_TYPE_COST[profile.ip_type], cal.SRC_IP_TYPE_COST, "severity", profile.ip_type
            ),
            Factor(
                "export market (costs)",
                _export_cost(profile.export_markets),
                cal.SRC_EXPORT,
                "severity",
                ",".join(profile.export_markets) or "domestic",
            ),
            Factor(
                "firm type (severity)",
                cal.FIRM_SEVERITY[profile.firm_type],
                cal.SRC_FIRM,
                "severity",
                profile.firm_type,
            ),
        ]

    def rate(
        self,
        value: float,
        product: Product,
        profile: RiskProfile,
        sub_limits: dict[str, float] | None = None,
        aggregate: float | None = None,
    ) -> tuple[PolicyRisk, list[Factor]]:
        """The policy's annual risk and the factors applied.

        Args:
            value: value at risk (major units of the product's currency), > 0.
            product: the product (its heads, deductible, coinsurance).
            profile: the risk profile.
            sub_limits: effective per-head limits (default the product's).
            aggregate: effective annual aggregate (the sum insured); default the product's,
                within the sum of the effective sub-limits.

        Returns:
            ``(PolicyRisk, factors)``.
        """
        if not value > 0 or math.isinf(value):
            raise PricingError(f"value at risk must be a positive finite amount, got {value}")
        limits = dict(product.sub_limits if sub_limits is None else sub_limits)
        ffs = self.frequency_factors(profile, product)
        sfs = self.severity_factors(profile)
        freq = math.prod(f.value for f in ffs)
        cost_mult = math.prod(f.value for f in sfs)
        firm_sev = cal.FIRM_SEVERITY[profile.firm_type]
        heads = []
        for head in product.heads:
            d = self.head_defaults[head]
            prob = d.probability
            if head == "invalidation_defence":
                prob = cal.INVALIDATION_PROBABILITY[profile.ip_type]
            if head == "third_party_damages" and "US" in profile.export_markets:
                # Exporters to the US face section 337: the mean loss rate 2015-2020 (table 3-3).
                us_share = 1.0 - 1.0 / cal.EXPORT_FREQUENCY["US"]
                us_rate = sum(cal.US_337_LOSS_RATES) / len(cal.US_337_LOSS_RATES)
                prob = (1 - us_share) * prob + us_share * us_rate
            if d.value_linked:
                median = d.median * value * firm_sev
            else:
                median = d.median * (value / cal.REFERENCE_VALUE) ** d.value_elasticity * cost_mult
            heads.append(
                HeadRisk(
                    head=head,
                    probability=prob,
                    dist="lognorm",
                    p1=math.log(median),
                    p2=d.sigma,
                    limit=float(limits.get(head, 0.0)),
                    deductible=product.deductible if head in INDEMNITY_HEADS else 0.0,
                    coinsurance=product.coinsurance,
                )
            )
        agg = (
            product.effective_aggregate
            if sub_limits is None
            else min(product.effective_aggregate, sum(limits.values()))
        )
        if aggregate is not None:
            agg = min(agg, aggregate)
        return PolicyRisk(frequency=freq, heads=tuple(heads), aggregate_limit=float(agg)), ffs + sfs


def _export_frequency(markets: tuple[str, ...]) -> float:
    return max((cal.EXPORT_FREQUENCY.get(m, cal.EXPORT_FREQUENCY["other"]) for m in markets), default=1.0)


def _export_cost(markets: tuple[str, ...]) -> float:
    # The extra frequency from exporting is the share of claims abroad, (f - 1) / f; those
    # claims cost the foreign multiplier, the rest domestic costs.
    f = _export_frequency(markets)
    if f == 1.0:
        return 1.0
    worst = max(markets, key=lambda m: cal.EXPORT_FREQUENCY.get(m, cal.EXPORT_FREQUENCY["other"]))
    mult = cal.EXPORT_COST_MULTIPLIER.get(worst, cal.EXPORT_COST_MULTIPLIER["other"])
    return (1.0 + (f - 1.0) * mult) / f


def _portfolio_factor(n: int) -> float:
    return next(f for upper, f in cal.PORTFOLIO_BANDS if n <= upper)


DEFAULT_MODEL = LossModel()
