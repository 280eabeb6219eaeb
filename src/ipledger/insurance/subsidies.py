"""Premium subsidies of the Chinese IP insurance pilots (thesis table 2-1 and section 2.1.1).

Each scheme answers: given the gross premium a firm pays in a year of participation, how much
does the government pay? Per-firm caps apply to the firm's whole premium in a year; pass what
the firm has already claimed that year as ``used``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ipledger.errors import PricingError


class SubsidyScheme(Protocol):
    """A subsidy rule."""

    @property
    def name(self) -> str:
        """Scheme key."""
        ...

    @property
    def source(self) -> str:
        """Where the rule comes from."""
        ...

    def subsidy(self, premium: float, year: int, *, used: float = 0.0) -> float:
        """Subsidy (major units, CNY) on ``premium`` in the firm's ``year`` of participation (1-based)."""
        ...


def _check(premium: float, year: int) -> None:
    if premium < 0:
        raise PricingError(f"premium must be >= 0, got {premium}")
    if year < 1:
        raise PricingError(f"year of participation starts at 1, got {year}")


_SRC_BJ = "Beijing pilot 2020-2022: thesis section 1 and table 2-1"
BEIJING_TAPER = {"champion": (1.0, 0.8, 0.5), "key_field_sme": (1.0, 0.9, 0.8)}
#: Per-firm caps (CNY): champion demonstration firms and foreign hidden champions 500k, champion
#: product firms 300k (thesis 2.1.1). The thesis states no cap for SMEs. Read as per year.
BEIJING_CAPS = {"champion_demonstration": 500_000.0, "champion_product": 300_000.0}


@dataclass(frozen=True)
class BeijingSubsidy:
    """Beijing tapering subsidy: champions 100/80/50%, key-field SMEs 100/90/80% by year.

    Attributes:
        firm_type: ``"champion"`` or ``"key_field_sme"``.
        champion_class: ``"champion_demonstration"`` (cap 500k CNY) or ``"champion_product"``
            (cap 300k CNY); ignored for SMEs (no cap stated).
    """

    firm_type: str = "key_field_sme"
    champion_class: str = "champion_demonstration"
    name: str = "beijing"
    source: str = _SRC_BJ

    def __post_init__(self) -> None:
        if self.firm_type not in BEIJING_TAPER:
            raise PricingError(f"Beijing firm_type must be one of {sorted(BEIJING_TAPER)}")
        if self.firm_type == "champion" and self.champion_class not in BEIJING_CAPS:
            raise PricingError(f"champion_class must be one of {sorted(BEIJING_CAPS)}")

    @property
    def cap(self) -> float:
        """Per-firm annual cap (CNY); infinite for SMEs."""
        return BEIJING_CAPS[self.champion_class] if self.firm_type == "champion" else float("inf")

    def rate(self, year: int) -> float:
        """Subsidy share in a year of participation (0 after the pilot's third year)."""
        taper = BEIJING_TAPER[self.firm_type]
        return taper[year - 1] if year <= len(taper) else 0.0

    def subsidy(self, premium: float, year: int, *, used: float = 0.0) -> float:
        """See :class:`SubsidyScheme`."""
        _check(premium, year)
        return max(0.0, min(self.rate(year) * premium, self.cap - used))


@dataclass(frozen=True)
class FoshanChanchengSubsidy:
    """Foshan Chancheng: a fixed amount per firm per year by patents insured (0-5: 2,000;
    6-10: 3,000; 11+: 4,000 CNY), never more than the premium."""

    patents_insured: int = 1
    name: str = "foshan_chancheng"
    source: str = "Foshan Chancheng 2013 rules, thesis table 2-1"

    def amount(self) -> float:
        """The firm's yearly amount (CNY)."""
        n = self.patents_insured
        return 2_000.0 if n <= 5 else 3_000.0 if n <= 10 else 4_000.0

    def subsidy(self, premium: float, year: int, *, used: float = 0.0) -> float:
        """See :class:`SubsidyScheme`."""
        _check(premium, year)
        return max(0.0, min(premium, self.amount() - used))


@dataclass(frozen=True)
class FuzhouSubsidy:
    """Fuzhou: 50% of the actual premium, at most 50,000 CNY per firm per year."""

    name: str = "fuzhou"
    source: str = "Fuzhou 2016 rules, thesis table 2-1"
    share: float = 0.5
    cap: float = 50_000.0

    def subsidy(self, premium: float, year: int, *, used: float = 0.0) -> float:
        """See :class:`SubsidyScheme`."""
        _check(premium, year)
        return max(0.0, min(self.share * premium, self.cap - used))


@dataclass(frozen=True)
class YantaiSubsidy:
    """Yantai: 50% of the premium, 70% for patents with a national/provincial/city award."""

    award_winning: bool = False
    name: str = "yantai"
    source: str = "Yantai rules, thesis table 2-1"

    def subsidy(self, premium: float, year: int, *, used: float = 0.0) -> float:
        """See :class:`SubsidyScheme`."""
        _check(premium, year)
        return (0.7 if self.award_winning else 0.5) * premium


def subsidy_schedule(
    scheme: SubsidyScheme | None, premiums: dict[int, float], *, used: float = 0.0
) -> dict[int, float]:
    """Subsidy by year of participation for a premium schedule ``{year: gross premium}``."""
    if scheme is None:
        return {y: 0.0 for y in premiums}
    return {y: scheme.subsidy(p, y, used=used) for y, p in sorted(premiums.items())}


def scheme_for(name: str, *, firm_type: str = "sme", award_winning: bool = False, patents: int = 1) -> SubsidyScheme:
    """A scheme by name, with Beijing's firm type mapped from a risk profile's firm type."""
    if name == "beijing":
        return BeijingSubsidy("champion" if firm_type == "champion" else "key_field_sme")
    if name == "foshan_chancheng":
        return FoshanChanchengSubsidy(patents)
    if name == "fuzhou":
        return FuzhouSubsidy()
    if name == "yantai":
        return YantaiSubsidy(award_winning)
    raise PricingError(f"unknown subsidy scheme {name!r}")
