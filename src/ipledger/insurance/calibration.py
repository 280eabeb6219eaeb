"""Default loss-model parameters, each with its source or stated as an assumption.

Figures from the domain brief (thesis tables 3-1, 3-3; Beijing pilot) and the shared damages
benchmarks are reproduced by functions here, so tests can recompute them from the shared data.
Every other number is an assumption, labelled as such, to be replaced by the book's own claims
experience through credibility (:func:`ipledger.insurance.premium.experience_rate`).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

# scipy.special's ndtri is the function scipy.stats.norm.ppf evaluates (same floats), without
# loading scipy.stats (about 0.6 s of imports) on every quote.
from scipy.special import ndtri

# --- Frequency: Chinese first-instance IP civil cases per right (domain.md, thesis table 3-1) ----
PATENT_CASES_2020 = 28_528
TRADEMARK_CASES_2020 = 78_157
PATENTS_GRANTED_2020 = 3_639_200
VALID_TRADEMARKS_2020 = 30_173_000
SRC_TABLE_3_1 = "thesis table 3-1 (2020 first-instance IP civil cases) and 2020 grants/valid marks, domain.md"

#: Patents in force in China at the end of June 2020 (CNIPA monthly statistics "Statistics on
#: Valid Patents from Home and Abroad", June 2020): invention 2,820,694, utility model
#: 5,948,263, design 1,993,243. Not in the thesis: a published CNIPA figure. The mid-year stock
#: approximates the average stock over 2020, i.e. the right-years the 2020 cases arose from.
VALID_PATENTS_MID_2020 = {"invention": 2_820_694, "utility_model": 5_948_263, "design": 1_993_243}
PATENT_RIGHT_YEARS_2020 = sum(VALID_PATENTS_MID_2020.values())  # 10,762,200
SRC_IN_FORCE = "CNIPA statistics of valid patents, June 2020 (10,762,200 in force: mid-year stock as 2020 right-years)"

#: US section 337 loss rates of Chinese respondents 2015-2020 (thesis table 3-3).
US_337_LOSS_RATES = (0.857, 0.267, 0.813, 0.588, 0.883, 0.933)

#: Lex Machina 2000-2013 US compensatory damages quantiles (patent_damages_benchmarks.csv).
LEX_MACHINA_DAMAGES_QUANTILES = {0.50: 2_000_000.0, 0.75: 10_000_000.0, 0.90: 50_000_000.0}
SRC_DAMAGES = "patent_damages_benchmarks.csv: Lex Machina 2000-2013 compensatory damages P50/P75/P90"


def base_frequency(ip_type: str) -> tuple[float, str]:
    """Claims per right-year for an in-force right, before relativities, with its source.

    The denominator is exposure, not a flow: cases arise from the rights in force, so 2020's
    cases are divided by 2020's right-years (the mid-year in-force stock), not by 2020's grants
    (which overstated the patent frequency about 3x; decision record 0051).
    """
    if ip_type == "patent":
        return (
            PATENT_CASES_2020 / PATENT_RIGHT_YEARS_2020,
            f"{SRC_TABLE_3_1}: 28,528 cases / 10,762,200 right-years ({SRC_IN_FORCE})",
        )
    if ip_type == "trademark":
        return TRADEMARK_CASES_2020 / VALID_TRADEMARKS_2020, f"{SRC_TABLE_3_1}: 78,157 / 30,173,000 valid marks"
    if ip_type == "copyright":
        # The brief gives 313,497 copyright cases but no stock of registered works.
        return 0.004, "assumption: no stock of copyright works in the brief; between trademark and patent"
    raise ValueError(ip_type)


def lognormal_sigma_from_quantiles(quantiles: dict[float, float]) -> float:
    """Least-squares lognormal sigma through ``log(q_p) = mu + sigma * z_p`` for given quantiles."""
    ps = sorted(quantiles)
    zs = [float(ndtri(p)) for p in ps]
    ls = [math.log(quantiles[p]) for p in ps]
    zbar, lbar = sum(zs) / len(zs), sum(ls) / len(ls)
    return sum((z - zbar) * (v - lbar) for z, v in zip(zs, ls, strict=True)) / sum((z - zbar) ** 2 for z in zs)


#: Unconditional log-sd of awards across cases, fitted to the Lex Machina quantiles (about 2.45).
DAMAGES_SIGMA_UNCONDITIONAL = lognormal_sigma_from_quantiles(LEX_MACHINA_DAMAGES_QUANTILES)
#: Assumption: the right's value explains 3/4 of the log-variance of awards, so the spread of
#: the award-to-value ratio is half the cross-case spread.
DAMAGES_R2_EXPLAINED_BY_VALUE = 0.75
DAMAGES_SIGMA = DAMAGES_SIGMA_UNCONDITIONAL * math.sqrt(1.0 - DAMAGES_R2_EXPLAINED_BY_VALUE)


@dataclass(frozen=True)
class HeadDefault:
    """Per-claim severity default for one cost head (lognormal).

    Attributes:
        median: median per-claim amount (CNY) at the reference value, or, for value-linked heads,
            the median as a fraction of the value at risk.
        sigma: log-sd.
        probability: chance that a claim incurs this head.
        value_elasticity: severity scales as ``(value / REFERENCE_VALUE) ** elasticity``; 1.0 with
            ``value_linked`` means proportional to the value.
        value_linked: median is a fraction of the value (direct loss, damages).
        source: where it comes from.
    """

    median: float
    sigma: float
    probability: float
    value_elasticity: float
    value_linked: bool
    source: str


REFERENCE_VALUE = 1_000_000.0  # CNY; cost-head medians are stated at this value at risk
_COST_ELASTICITY = 0.3
_SRC_COST = "assumption: typical Chinese patent-suit cost at a 1M CNY stake; costs rise with the stake (elasticity 0.3)"

HEAD_DEFAULTS: dict[str, HeadDefault] = {
    "investigation": HeadDefault(30_000, 0.8, 1.0, _COST_ELASTICITY, False, _SRC_COST),
    "legal": HeadDefault(80_000, 0.9, 1.0, _COST_ELASTICITY, False, _SRC_COST),
    "evidence": HeadDefault(15_000, 0.8, 0.9, _COST_ELASTICITY, False, _SRC_COST),
    "invalidation_defence": HeadDefault(
        60_000, 0.7, 0.45, _COST_ELASTICITY, False, "assumption: invalidation requested in 45% of patent suits"
    ),
    "direct_loss": HeadDefault(
        0.10,
        DAMAGES_SIGMA,
        0.6,
        1.0,
        True,
        f"median 10% of value at risk (assumption); sigma from {SRC_DAMAGES} (halved, assumption);"
        " 60% of actions end with a loss fixed (assumption)",
    ),
    "third_party_damages": HeadDefault(
        0.10,
        DAMAGES_SIGMA,
        0.5,
        1.0,
        True,
        f"median 10% of value at risk (assumption); sigma from {SRC_DAMAGES}; domestic defendant"
        " loses 50% (assumption); exporters to the US use the section 337 loss rate",
    ),
}

#: Invalidation is the usual counter to a patent suit; rarer for marks and works (assumption).
INVALIDATION_PROBABILITY = {"patent": 0.45, "trademark": 0.20, "copyright": 0.05}

SRC_THESIS_TIERS = "thesis 6.2.1 orders the tier; magnitude is an assumption"

#: Lifecycle stages without overlap (decision record 0051): ``application`` (filed, not yet
#: granted: only provisional protection), ``early_life`` (granted, under 4 years in force),
#: ``mature`` (4 years in force up to the last 3 years of the term), ``near_expiry`` (the last 3
#: years of the term: less left to enforce, infringers wait). Assumption: the relativities
#: follow the thesis's order (risk rises over the life, 6.2.1) and then fall near expiry; they
#: are normalised so that the in-force stock's average is 1.0 under the assumed stock mix
#: below, which keeps the base frequency (cases per in-force right-year) calibrated.
STAGE_FREQUENCY = {"application": 0.2, "early_life": 0.8, "mature": 1.3, "near_expiry": 1.05}
#: Assumption: share of the in-force stock by stage (a young stock: most utility models have a
#: 10-year term and grants grew 40% in 2020).
STAGE_STOCK_MIX = {"early_life": 0.55, "mature": 0.35, "near_expiry": 0.10}
EARLY_LIFE_YEARS = 4.0
NEAR_EXPIRY_YEARS = 3.0
#: Statutory terms from the filing date (Patent Law of the PRC, art. 42, as amended 2020; the
#: 15-year design term applies to designs filed from 1 June 2021).
PATENT_TERM_YEARS = {"invention": 20.0, "utility_model": 10.0, "design": 15.0}


def stage_of(*, granted: bool, years_in_force: float | None = None, years_to_expiry: float | None = None) -> str:
    """The lifecycle stage of a right (see :data:`STAGE_FREQUENCY`).

    Args:
        granted: False while the application is pending.
        years_in_force: years since grant (None: unknown, taken as mature).
        years_to_expiry: years until the term ends (None: unknown).
    """
    if not granted:
        return "application"
    if years_to_expiry is not None and years_to_expiry <= NEAR_EXPIRY_YEARS:
        return "near_expiry"
    if years_in_force is not None and years_in_force < EARLY_LIFE_YEARS:
        return "early_life"
    return "mature"


FIELD_FREQUENCY = {
    "telecom_electronics": 1.6,
    "pharma_biotech": 1.5,
    "software_internet": 1.3,
    "medical_devices": 1.3,
    "consumer_goods": 1.2,
    "chemicals_materials": 1.0,
    "other": 1.0,
    "machinery": 0.9,
    "agriculture_food": 0.8,
}
#: Export markets: frequency relativity (extra claims arise abroad) and cost multiplier abroad.
EXPORT_FREQUENCY = {"US": 2.0, "UK": 1.6, "EU": 1.3, "JP": 1.2, "other": 1.1}
EXPORT_COST_MULTIPLIER = {"US": 4.0, "UK": 2.5, "EU": 1.8, "JP": 1.5, "other": 1.2}
SRC_EXPORT = "thesis 6.2.1 (US/UK exporters pay more: section 337, litigation costs); magnitudes assumed"
IP_TYPE_COST = {"patent": 1.0, "trademark": 0.5, "copyright": 0.35}
SRC_IP_TYPE_COST = "thesis 6.2.1: patent litigation costs clearly more than trademark/copyright; ratios assumed"
FIRM_FREQUENCY = {"champion": 1.0, "sme": 1.2, "micro": 1.2, "other": 1.0}
FIRM_SEVERITY = {"champion": 1.3, "sme": 0.8, "micro": 0.7, "other": 1.0}
SRC_FIRM = (
    "thesis section 1: champion firms' patents suffer heavy losses; SMEs enforce more often at lower"
    " cost; magnitudes assumed"
)
PORTFOLIO_BANDS = ((1, 1.0), (10, 0.95), (50, 0.9), (10**12, 0.85))
SRC_PORTFOLIO = "assumption: firms with larger portfolios manage and deter infringement better"


def shared_data_dir() -> Path | None:
    """The shared data folder (tests and benchmarks only), or None when absent.

    ``IPLEDGER_SHARED_DATA`` wins; otherwise ``<repo root>/../shared/data``.
    """
    env = os.environ.get("IPLEDGER_SHARED_DATA")
    path = Path(env) if env else Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
    path = path.resolve()
    return path if path.is_dir() else None
