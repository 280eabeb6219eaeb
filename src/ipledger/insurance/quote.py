"""Quote: sum insured, expected loss by head, rating factors, loadings, premium and subsidies."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ipledger.errors import PricingError
from ipledger.insurance.compound import annual_loss
from ipledger.insurance.loss import DEFAULT_MODEL, Factor, LossModel, PolicyRisk, RiskProfile
from ipledger.insurance.premium import Loadings, earned_premium, experience_rate, gross_premium
from ipledger.insurance.products import Product, get_product
from ipledger.insurance.subsidies import SubsidyScheme, scheme_for, subsidy_schedule
from ipledger.insurance.sum_insured import Basis, as_valuation, sum_insured

MODEL_VERSION = "ipledger.insurance/2"


@dataclass(frozen=True)
class ClaimsExperience:
    """A portfolio's own claims experience, blended with the manual rate by Buhlmann credibility.

    Attributes:
        exposure_years: policy-years observed.
        claims_paid: total paid on them, net of recoveries (major units).
        vhm_cv: coefficient of variation of true loss costs between portfolios in the same
            rating class (assumption, default 0.5): VHM = (cv x manual rate)^2.
        incurred_ultimate: incurred losses developed to ultimate (major units). Credibility
            uses it when given; payments alone understate a young book's losses.
    """

    exposure_years: float
    claims_paid: float
    vhm_cv: float = 0.5
    incurred_ultimate: float | None = None

    @property
    def losses(self) -> float:
        """The losses credibility weighs: developed incurred when known, else paid."""
        return self.claims_paid if self.incurred_ultimate is None else self.incurred_ultimate


@dataclass(frozen=True)
class Quote:
    """A priced policy; amounts in major units of ``currency``, per policy year unless stated."""

    product: str
    product_label: str
    currency: str
    asset_id: str | None
    valuation_report_hash: str | None
    value_at_risk: float
    value_low: float
    value_high: float
    sum_insured: float
    sub_limits: dict[str, float]
    sum_insured_explanation: tuple[str, ...]
    #: The valuation that set the sum insured and how: report hash, value, range, percentile,
    #: basis value, rule, rounded target and why the sum insured departs from it (if it does).
    sum_insured_basis: dict[str, Any]
    term_years: int
    deductible: float
    coinsurance: float
    frequency: float
    expected_loss_by_head: dict[str, float]
    aggregate_adjustment: float
    expected_loss: float
    expected_ground_up_loss: float
    credibility: float
    pure_premium: float
    factors: tuple[Factor, ...]
    loadings: dict[str, float]
    gross_premium: float
    #: Premium written at inception for the whole term (gross x term) and the part earned in
    #: each policy year (pro rata temporis): losses are set against earned premium.
    written_premium: float
    earned_by_year: dict[int, float]
    minimum_premium: float
    minimum_premium_applied: bool
    flat_premium: float | None
    subsidy_scheme: str | None
    subsidy_by_year: dict[int, float]
    net_premium_by_year: dict[int, float]
    net_premium: float
    year: int
    profile: dict[str, Any]
    risk: PolicyRisk = field(repr=False, compare=False)
    report_hash: str = ""
    model_version: str = MODEL_VERSION
    #: The pricing inputs at full precision (floats as ``repr`` strings, which the canonical
    #: rounding leaves alone), so that an auditor can recompute the quote to the same hash.
    exact_inputs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the same figures the hash covers, plus ``report_hash``)."""
        d = self._body()
        d["report_hash"] = self.report_hash
        return d

    def _body(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        for k in self.__dataclass_fields__:
            if k in ("risk", "report_hash"):
                continue
            d[k] = getattr(self, k)
        d["factors"] = [asdict(f) for f in self.factors]
        d["sum_insured_explanation"] = list(self.sum_insured_explanation)
        d["subsidy_by_year"] = {str(k): v for k, v in self.subsidy_by_year.items()}
        d["net_premium_by_year"] = {str(k): v for k, v in self.net_premium_by_year.items()}
        d["earned_by_year"] = {str(k): v for k, v in self.earned_by_year.items()}
        d["risk"] = {
            "frequency": self.risk.frequency,
            "aggregate_limit": self.risk.aggregate_limit,
            "heads": [asdict(h) for h in self.risk.heads],
        }
        return _canon(d)

    def canonical_bytes(self) -> bytes:
        """The bytes whose SHA-256 is ``report_hash``."""
        return canonical_bytes(self._body())

    def to_json(self, *, indent: int | None = 2) -> str:
        """The quote as JSON (keys sorted)."""
        return json.dumps(self.to_dict(), indent=indent, sort_keys=True, ensure_ascii=False)

    def amounts(self) -> dict[str, Any]:
        """The quote's money as ``Decimal`` rounded half-even to the currency's minor unit
        (``ipledger.money.money``): sum insured, premiums, expected loss, deductible and the
        value at risk. The float fields stay for arithmetic; these are what a contract states."""
        from ipledger.money import money

        names = (
            "sum_insured",
            "gross_premium",
            "written_premium",
            "net_premium",
            "expected_loss",
            "deductible",
            "value_at_risk",
        )
        return {n: money(getattr(self, n), self.currency) for n in names}

    def anchor_figures(self) -> tuple[float, float, float]:
        """``(sum_insured, gross_premium, net_premium)`` in major units, for anchoring on chain."""
        return (round(self.sum_insured, 2), round(self.gross_premium, 2), round(self.net_premium, 2))

    def to_html(self, path: str | Path | None = None, *, lang: str | None = None, identity: Any = None) -> str:
        """Self-contained HTML report (breakdown table, embedded PNG chart); written if ``path``.

        Args:
            path: file to write, or None.
            lang: "en" or "zh-CN" (None: English).
            identity: the asset's :class:`~ipledger.identity.AssetIdentity` for the heading.
        """
        from ipledger.insurance._report import render_html

        html = render_html(self, lang=lang, identity=identity)
        if path is not None:
            Path(path).write_text(html, encoding="utf-8")
        return html


def _canon(x: Any) -> Any:
    """Round floats to 12 significant digits so the canonical JSON is stable across platforms."""
    if isinstance(x, float):
        if not math.isfinite(x):
            return str(x)
        return float(f"{x:.12g}")
    if isinstance(x, dict):
        return {str(k): _canon(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_canon(v) for v in x]
    return x


def canonical_bytes(body: dict[str, Any]) -> bytes:
    """The canonical JSON (sorted keys, no spaces, UTF-8) of a quote body: what is hashed,
    stored in the document store and anchored."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def report_hash(body: dict[str, Any]) -> str:
    """``0x`` + hex SHA-256 of the canonical JSON of a quote body (the valuation's convention)."""
    return "0x" + hashlib.sha256(canonical_bytes(body)).hexdigest()


def _profile(p: RiskProfile | dict[str, Any] | None) -> RiskProfile:
    if p is None:
        return RiskProfile()
    if isinstance(p, RiskProfile):
        return p
    return RiskProfile(**p)


def quote(
    valuation_or_value: Any,
    product: Product | str,
    risk_profile: RiskProfile | dict[str, Any] | None = None,
    *,
    year: int = 1,
    loadings: Loadings | None = None,
    subsidy: SubsidyScheme | str | None = "auto",
    experience: ClaimsExperience | None = None,
    model: LossModel = DEFAULT_MODEL,
    basis: Basis = "value",
    fx_rate: float | None = None,
    as_of: Any = None,
) -> Quote:
    """Price one policy on one IP right.

    Args:
        valuation_or_value: a valuation (``.value, .low, .high, .currency, .asset_id,
            .report_hash``; major units) or a plain value in the product's currency.
        product: a :class:`Product` or a key of :data:`PRODUCTS`.
        risk_profile: a :class:`RiskProfile` or a dict of its fields (default: an SME's in-force
            patent, domestic).
        year: the firm's year of participation (1-based), which sets the subsidy rate.
        loadings: expense/profit loadings and minimum premium (default :class:`Loadings`).
        subsidy: a scheme, a scheme name (``"beijing"``, ``"foshan_chancheng"``, ``"fuzhou"``,
            ``"yantai"``), None, or ``"auto"`` (Beijing for the pilot products, none otherwise).
        experience: the portfolio's own claims, blended by credibility.
        model: the loss model.
        basis: the valuation figure the sum insured is tied to: ``"value"`` (P50), ``"low"``
            (P10), ``"high"`` (P90) or ``"pNN"``, a percentile of the valuation's range.
        fx_rate: product-currency units per valuation-currency unit, required when they differ.
        as_of: date for the eligibility check on ``risk_profile.status_history``.

    Returns:
        The :class:`Quote`.

    Raises:
        PricingError: invalid inputs, a currency mismatch without ``fx_rate``, or an ineligible risk.
    """
    prod = get_product(product)
    prof = _profile(risk_profile)
    if year < 1:
        raise PricingError(f"year of participation starts at 1, got {year}")
    if prof.ip_type not in prod.ip_types:
        raise PricingError(f"product {prod.name!r} does not cover {prof.ip_type}s")
    val = as_valuation(valuation_or_value, fx_rate=fx_rate)
    if val.currency is not None and val.currency != prod.currency and fx_rate is None:
        raise PricingError(f"valuation is in {val.currency}, product in {prod.currency}: pass fx_rate")
    if prof.status_history is not None:
        elig = prod.check_eligibility(prof.status_history, as_of=as_of)
        if not elig.eligible:
            raise PricingError(f"not eligible for {prod.name}: " + "; ".join(elig.reasons))
    si = sum_insured(val, prod, basis=basis)
    risk, factors = model.rate(si.value_at_risk, prod, prof, si.sub_limits, si.total)
    al = annual_loss(risk)
    load = loadings or Loadings()

    pure, z = al.expected, 0.0
    if experience is not None:
        if experience.exposure_years < 0 or experience.claims_paid < 0 or experience.losses < 0:
            raise PricingError("claims experience must be >= 0")
        observed = experience.losses / experience.exposure_years if experience.exposure_years else 0.0
        vhm = (experience.vhm_cv * al.expected) ** 2
        pure, z = experience_rate(al.expected, observed, experience.exposure_years, al.variance, vhm)
    risk_load = pure * load.risk_load_ratio
    gross = gross_premium(
        pure + risk_load,
        fixed_expense=load.fixed_expense,
        variable_expense_ratio=load.variable_expense_ratio,
        profit_ratio=load.profit_ratio,
    )
    minimum = max(load.minimum_premium, prod.minimum_premium)
    min_applied = gross < minimum
    gross = max(gross, minimum)
    premium_factors = [
        Factor("fixed expense", load.fixed_expense, "loading (amount per policy)", "premium"),
        Factor("variable expense ratio", load.variable_expense_ratio, "loading (share of gross)", "premium"),
        Factor("profit ratio", load.profit_ratio, "loading (share of gross)", "premium"),
        Factor(
            "risk load (cost of capital)",
            load.risk_load_ratio,
            f"{load.cost_of_capital:.0%} cost of capital x capital {load.capital_ratio:g} x expected loss"
            " (TVaR 99% - mean of the reference book's simulated claims)",
            "premium",
        ),
    ]
    if experience is not None:
        basis = "developed incurred" if experience.incurred_ultimate is not None else "paid (undeveloped)"
        premium_factors.append(Factor("credibility Z", z, f"Buhlmann on {basis} losses: n / (n + EPV/VHM)", "premium"))

    scheme: SubsidyScheme | None
    if subsidy == "auto":
        scheme = scheme_for("beijing", firm_type=prof.firm_type) if prod.flat_premium is not None else None
    elif isinstance(subsidy, str):
        scheme = scheme_for(
            subsidy, firm_type=prof.firm_type, award_winning=prof.award_winning, patents=prof.portfolio_size
        )
    else:
        scheme = subsidy
    years = {y: gross for y in range(year, year + prod.term_years)}
    sub = subsidy_schedule(scheme, years)
    net = {y: years[y] - sub[y] for y in years}

    q = Quote(
        product=prod.name,
        product_label=prod.label,
        currency=prod.currency,
        asset_id=val.asset_id,
        valuation_report_hash=val.report_hash,
        value_at_risk=si.value_at_risk,
        value_low=val.low,
        value_high=val.high,
        sum_insured=si.total,
        sub_limits=si.sub_limits,
        sum_insured_explanation=si.explanation,
        sum_insured_basis={
            "valuation_report_hash": val.report_hash,
            "value": val.value,
            "low": val.low,
            "high": val.high,
            "percentile": si.percentile,
            "basis_value": si.value_at_risk,
            "rule": si.rule,
            "target": si.target,
            "departure": si.departure,
        },
        term_years=prod.term_years,
        deductible=prod.deductible,
        coinsurance=prod.coinsurance,
        frequency=risk.frequency,
        expected_loss_by_head=al.by_head,
        aggregate_adjustment=al.aggregate_adjustment,
        expected_loss=al.expected,
        expected_ground_up_loss=al.expected_ground_up,
        credibility=z,
        pure_premium=pure,
        factors=tuple(factors + premium_factors),
        loadings={
            "fixed_expense": load.fixed_expense,
            "variable_expense": gross * load.variable_expense_ratio,
            "risk_load": risk_load,
            # Any minimum-premium top-up lands in the margin.
            "profit": gross - pure - risk_load - load.fixed_expense - gross * load.variable_expense_ratio,
        },
        minimum_premium=minimum,
        gross_premium=gross,
        written_premium=gross * prod.term_years,
        earned_by_year={
            y: earned_premium(gross * prod.term_years, prod.term_years, y - year + 1)
            - earned_premium(gross * prod.term_years, prod.term_years, y - year)
            for y in range(year, year + prod.term_years)
        },
        minimum_premium_applied=min_applied,
        flat_premium=prod.flat_premium,
        subsidy_scheme=None if scheme is None else scheme.name,
        subsidy_by_year=sub,
        net_premium_by_year=net,
        net_premium=net[year],
        year=year,
        profile=prof.to_dict(),
        risk=risk,
        exact_inputs={
            "value": repr(float(val.value)),
            "low": repr(float(val.low)),
            "high": repr(float(val.high)),
            "basis": basis,
            "loadings": {
                k: repr(float(getattr(load, k)))
                for k in (
                    "fixed_expense",
                    "variable_expense_ratio",
                    "profit_ratio",
                    "minimum_premium",
                    "cost_of_capital",
                    "capital_ratio",
                )
            },
            "subsidy": subsidy if isinstance(subsidy, str) or subsidy is None else getattr(subsidy, "name", "custom"),
            "model": "default" if model is DEFAULT_MODEL else "custom",
            "experience": None
            if experience is None
            else {
                k: repr(float(getattr(experience, k)))
                for k in ("exposure_years", "claims_paid", "vhm_cv", "incurred_ultimate")
                if getattr(experience, k) is not None
            },
        },
    )
    object.__setattr__(q, "report_hash", report_hash(q._body()))
    return q
