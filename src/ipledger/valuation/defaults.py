"""Income-approach defaults by technical field, each with its source or stated as an assumption.

Used only where the caller gives no input and the ledger holds too few comparable licences. Every
default that a valuation uses is written into the report's ``assumptions`` with its source, so a
reader sees which figures are evidence from the ledger and which are defaults.

Units: rates as fractions, lives in years.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "DEFAULT_FIELD",
    "FIELDS",
    "KIND_FIELDS",
    "LEGAL_TERM_YEARS",
    "NICE_CLASSES",
    "PROFIT_SPLIT_RULES",
    "SOURCES",
    "TAB_PERIODS",
    "TAX_RATE_CN",
    "FieldDefaults",
    "class_code_system",
    "field_defaults",
    "field_from_class_code",
    "kind_field",
    "normalise_field",
]

#: Sources cited by key in :class:`FieldDefaults` and in the report's assumptions.
SOURCES: dict[str, str] = {
    "parr_ipra": (
        "R. Parr / IPRA, Royalty Rates for Technology, 6th ed., Appendix C: cumulative distribution of "
        "technology royalty rates over 25 industries (20% <= 2%, 35% <= 3%, 43% <= 4%, 67% <= 5%, "
        "72% <= 6%, 77% <= 7%, 81% <= 8%, 82% <= 9%, 92% <= 10%), giving p10 ~1%, median ~4.3%, p90 ~9.8%"
    ),
    "royaltystat": "RoyaltyStat (2016): cross-industry median royalty on net sales 5-6% (13,004 licences)",
    "cn_eit": (
        "Enterprise Income Tax Law of the PRC, art. 4 (standard rate 25%) and art. 28 (15% for "
        "high- and new-technology enterprises)"
    ),
    "cn_patent_law": (
        "Patent Law of the PRC (2020 amendment), art. 42: invention 20 years, utility model 10 years, "
        "design 15 years, each from the filing date"
    ),
    "cn_trademark_law": "Trademark Law of the PRC, art. 39-40: 10 years from registration, renewable",
    "cn_copyright_law": (
        "Copyright Law of the PRC (2020), art. 23: 50 years (for legal persons, from first publication)"
    ),
    "cn_tab": (
        "Implementation Regulations of the Enterprise Income Tax Law of the PRC, art. 67: intangible assets "
        "are amortised straight line over not less than 10 years"
    ),
    "us_tab": "US Internal Revenue Code section 197: acquired intangibles amortised straight line over 15 years",
    "assumption": ("ipledger assumption, to be replaced by the valuer's own figure: not a published statistic"),
    "rule_of_thumb": (
        "profit-split rules of thumb: 三分法 (capital, management, technology each one third), "
        "四分法 (plus labour: one quarter), Goldscheider's 25% rule"
    ),
}

#: China's standard enterprise income tax rate (source ``cn_eit``).
TAX_RATE_CN = 0.25

#: Legal term in years from filing (registration for trademarks), by asset kind; None: no fixed
#: end (renewable trademarks, trade secrets). Source ``cn_patent_law`` / ``cn_trademark_law`` /
#: ``cn_copyright_law``.
LEGAL_TERM_YEARS: dict[str, float | None] = {
    "invention": 20.0,
    "utility_model": 10.0,
    "design": 15.0,
    "trademark": None,
    "copyright": 50.0,
    "software": 50.0,
    "trade_secret": None,
}

#: Tax amortisation period (years, straight line) by tax jurisdiction, for the tax amortisation
#: benefit under a market or fair value basis; the source key in :data:`SOURCES`.
TAB_PERIODS: dict[str, tuple[int, str]] = {"CN": (10, "cn_tab"), "US": (15, "us_tab")}

#: The IP's share of the licensee's operating profit under common rules of thumb (``rule_of_thumb``).
PROFIT_SPLIT_RULES: dict[str, float] = {"three_factor": 1.0 / 3.0, "four_factor": 0.25, "goldscheider_25": 0.25}


@dataclass(frozen=True)
class FieldDefaults:
    """Income-approach defaults for one technical field.

    Attributes:
        royalty_p10: 10th percentile royalty on sales, a fraction.
        royalty_p50: median royalty on sales, a fraction.
        royalty_p90: 90th percentile royalty on sales, a fraction.
        royalty_source: key in :data:`SOURCES`.
        economic_life: useful economic life from filing, in years (capped by the legal term).
        discount_rate: IP discount rate per year, a fraction (risk-free + equity premium +
            IP-specific premium, the build-up 累加法).
        discount_source: key in :data:`SOURCES`.
        life_source: key in :data:`SOURCES`.
    """

    royalty_p10: float
    royalty_p50: float
    royalty_p90: float
    royalty_source: str
    economic_life: float
    discount_rate: float
    discount_source: str = "assumption"
    life_source: str = "assumption"


DEFAULT_FIELD = "general"

# The overall row is read off the Parr/IPRA distribution; the per-field rows shift it by the
# ordering commonly reported (pharmaceuticals/biotech and software above the median, mechanical
# and consumer goods below). Those shifts, the lives and the discount rates are assumptions.
FIELDS: dict[str, FieldDefaults] = {
    DEFAULT_FIELD: FieldDefaults(0.010, 0.043, 0.098, "parr_ipra", 10.0, 0.15),
    "pharmaceuticals": FieldDefaults(0.020, 0.060, 0.120, "assumption", 12.0, 0.18),
    "biotechnology": FieldDefaults(0.020, 0.055, 0.120, "assumption", 12.0, 0.20),
    "medical_devices": FieldDefaults(0.015, 0.050, 0.100, "assumption", 10.0, 0.16),
    "chemicals": FieldDefaults(0.010, 0.040, 0.080, "assumption", 10.0, 0.14),
    "electronics": FieldDefaults(0.010, 0.035, 0.080, "assumption", 7.0, 0.16),
    "semiconductors": FieldDefaults(0.010, 0.030, 0.070, "assumption", 7.0, 0.17),
    "telecommunications": FieldDefaults(0.005, 0.030, 0.070, "assumption", 8.0, 0.16),
    "computing": FieldDefaults(0.015, 0.050, 0.120, "assumption", 5.0, 0.18),
    "software": FieldDefaults(0.020, 0.060, 0.150, "assumption", 5.0, 0.18),
    "automotive": FieldDefaults(0.010, 0.030, 0.060, "assumption", 8.0, 0.14),
    "machinery": FieldDefaults(0.010, 0.035, 0.070, "assumption", 10.0, 0.14),
    "energy": FieldDefaults(0.010, 0.040, 0.080, "assumption", 10.0, 0.15),
    "materials": FieldDefaults(0.010, 0.040, 0.080, "assumption", 10.0, 0.14),
    "consumer_goods": FieldDefaults(0.010, 0.040, 0.090, "assumption", 8.0, 0.14),
    "instruments": FieldDefaults(0.010, 0.040, 0.080, "assumption", 8.0, 0.15),
    "construction": FieldDefaults(0.010, 0.030, 0.060, "assumption", 10.0, 0.13),
    "agriculture_food": FieldDefaults(0.010, 0.030, 0.070, "assumption", 10.0, 0.14),
    "environmental": FieldDefaults(0.010, 0.035, 0.070, "assumption", 10.0, 0.14),
    # Rows for kinds without a technical field. Brand and content royalties are assumptions;
    # a mark's or a work's economic life is set by its use, not by the table (see life.py).
    "brands": FieldDefaults(0.005, 0.030, 0.080, "assumption", 10.0, 0.15),
    "creative_works": FieldDefaults(0.020, 0.080, 0.150, "assumption", 10.0, 0.18),
}

#: Default field by asset kind when no valid IPC code or recorded field names one (assumption).
KIND_FIELDS: dict[str, str] = {
    "trademark": "brands",
    "copyright": "creative_works",
    "software": "software",
    "trade_secret": DEFAULT_FIELD,
}

_ALIASES = {
    "pharma": "pharmaceuticals",
    "pharmaceutical": "pharmaceuticals",
    "biotech": "biotechnology",
    "medical": "medical_devices",
    "medtech": "medical_devices",
    "chemistry": "chemicals",
    "semiconductor": "semiconductors",
    "telecom": "telecommunications",
    "communications": "telecommunications",
    "it": "computing",
    "computers": "computing",
    "mechanical": "machinery",
    "mechanical_engineering": "machinery",
    "vehicles": "automotive",
    "consumer": "consumer_goods",
    "household_goods": "consumer_goods",
    "organic_chemistry": "chemicals",
    "polymers_and_materials": "materials",
    "computing_and_ai": "computing",
    "batteries_and_power": "energy",
    "measurement_and_optics": "instruments",
    "agriculture_and_food": "agriculture_food",
    "environmental_technology": "environmental",
    "brand": "brands",
    "film": "creative_works",
    "media": "creative_works",
}

# IPC class prefixes, longest first wins (WIPO IPC; the mapping to fields is an assumption).
_IPC_PREFIXES = {
    "A61K": "pharmaceuticals",
    "A61P": "pharmaceuticals",
    "A61B": "medical_devices",
    "A61F": "medical_devices",
    "A61M": "medical_devices",
    "A61N": "medical_devices",
    "C12": "biotechnology",
    "C07K": "biotechnology",
    "C07": "chemicals",
    "C08": "materials",
    "C0": "chemicals",
    "C": "materials",
    "H01L": "semiconductors",
    "H04": "telecommunications",
    "H05K": "electronics",
    "H02": "energy",
    "H01M": "energy",
    "H": "electronics",
    "G06": "computing",
    "G01": "instruments",
    "G02": "instruments",
    "E01": "construction",
    "E04": "construction",
    "A01": "agriculture_food",
    "A23": "agriculture_food",
    "B01D": "environmental",
    "C02F": "environmental",
    "F24S": "environmental",
    "G": "electronics",
    "B60": "automotive",
    "B62D": "automotive",
    "F": "machinery",
    "B": "machinery",
    "A": "consumer_goods",
    "D": "consumer_goods",
    "E": "machinery",
}


def normalise_field(field: str | None) -> str | None:
    """Lower-case, underscore and alias a field name; None for missing or unknown names."""
    if field is None or not isinstance(field, str) or not field.strip():
        return None
    key = field.strip().lower().replace(" ", "_").replace("-", "_")
    key = _ALIASES.get(key, key)
    return key if key in FIELDS else None


#: A valid IPC code starts with a section letter A-H and a two-digit class (WIPO IPC guide).
_IPC_CODE = re.compile(r"^[A-H]\d{2}([A-Z](\d{1,4}(/\d{1,6})?)?)?$")
#: A Locarno (industrial designs) code: class and subclass, two digits each (``14-03``).
_LOCARNO_CODE = re.compile(r"^\d{2}-\d{2}$")
#: Nice classes of goods and services run from 1 to 45 (Nice Classification, 12th ed.).
NICE_CLASSES = range(1, 46)


def class_code_system(class_code: str | None) -> str | None:
    """Which classification a code belongs to: ``"ipc"``, ``"locarno"``, ``"nice"`` or None.

    Only well-formed codes count: ``"A61K31/00"`` and ``"H04L"`` are IPC, ``"14-03"`` is
    Locarno, ``"25"`` is Nice; ``"CR-film"`` or ``"C"`` are none of them.
    """
    if not class_code or not isinstance(class_code, str):
        return None
    code = class_code.strip().upper().replace(" ", "")
    if _IPC_CODE.match(code):
        return "ipc"
    if _LOCARNO_CODE.match(code):
        return "locarno"
    if code.isdigit() and int(code) in NICE_CLASSES:
        return "nice"
    return None


def field_from_class_code(class_code: str | None) -> str | None:
    """The technical field of a valid IPC code (e.g. ``"A61K31/00"`` -> pharmaceuticals).

    Locarno and Nice codes name no technical field (None); neither does any code that is not a
    valid IPC, Locarno or Nice code (``"CR-film"`` is not IPC section C): the caller then uses
    the kind's default field and says so (:func:`field_defaults`).
    """
    if class_code_system(class_code) != "ipc":
        return None
    code = str(class_code).strip().upper().replace(" ", "")
    for length in range(len(code), 0, -1):
        hit = _IPC_PREFIXES.get(code[:length])
        if hit:
            return hit
    return None


def kind_field(kind: str | None) -> str:
    """The default field of an asset kind with no technical field (marks, works, software)."""
    return KIND_FIELDS.get(str(kind), DEFAULT_FIELD)


def field_defaults(
    field: str | None, class_code: str | None = None, kind: str | None = None
) -> tuple[str, FieldDefaults]:
    """The defaults for a field (or the field of a valid IPC code, or the kind's default field).

    Args:
        field: the asset's technical field, free text (may be None).
        class_code: the asset's IPC, Locarno or Nice code (may be None).
        kind: the asset's kind; marks, works and software have their own default rows.

    Returns:
        ``(field name used, defaults)``.
    """
    name = normalise_field(field) or field_from_class_code(class_code) or kind_field(kind)
    return name, FIELDS[name]
