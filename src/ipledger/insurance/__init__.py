"""IP insurance pricing: products, loss model, expected payments, premiums, subsidies, quotes.

Public API::

    from ipledger.insurance import PRODUCTS, expected_payment, gross_premium, credibility, quote
"""

from __future__ import annotations

from ipledger.insurance.compound import AnnualLoss, annual_loss
from ipledger.insurance.loss import DEFAULT_MODEL, Factor, LossModel, PolicyRisk, RiskProfile
from ipledger.insurance.payment import expected_payment, limited_expected_value
from ipledger.insurance.premium import Loadings, buhlmann_parameters, credibility, experience_rate, gross_premium
from ipledger.insurance.products import (
    COST_HEADS,
    PRODUCTS,
    Eligibility,
    Product,
    get_product,
    make_product,
)
from ipledger.insurance.quote import ClaimsExperience, Quote, quote
from ipledger.insurance.subsidies import (
    BeijingSubsidy,
    FoshanChanchengSubsidy,
    FuzhouSubsidy,
    SubsidyScheme,
    YantaiSubsidy,
)
from ipledger.insurance.sum_insured import SumInsured, sum_insured

__all__ = [
    "COST_HEADS",
    "DEFAULT_MODEL",
    "PRODUCTS",
    "AnnualLoss",
    "BeijingSubsidy",
    "ClaimsExperience",
    "Eligibility",
    "Factor",
    "FoshanChanchengSubsidy",
    "FuzhouSubsidy",
    "Loadings",
    "LossModel",
    "PolicyRisk",
    "Product",
    "Quote",
    "RiskProfile",
    "SubsidyScheme",
    "SumInsured",
    "YantaiSubsidy",
    "annual_loss",
    "buhlmann_parameters",
    "credibility",
    "expected_payment",
    "experience_rate",
    "get_product",
    "gross_premium",
    "limited_expected_value",
    "make_product",
    "quote",
    "sum_insured",
]
