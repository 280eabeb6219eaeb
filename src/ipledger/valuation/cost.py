"""Cost approach: replacement cost of the IP less obsolescence.

Standards followed: IVS 210 (cost approach: replacement cost method for intangibles, less
functional, technological and economic obsolescence) and Chinese asset-appraisal practice
(成本法: 评估值 = 重置成本 × 成新率, where for an intangible the 成新率 is
``remaining / (used + remaining)`` and the 贬值率 is ``used / (used + remaining)``; historic cost is
brought to the valuation date with a price index, 重置成本 = 历史成本 × (1 + 物价变动指数)).

Units: money in major currency units, years as floats, rates as fractions.
"""

from __future__ import annotations

import math

from ipledger.valuation import _checks as chk

__all__ = ["cost_value", "depreciation_rate", "rd_replacement_cost"]


def depreciation_rate(years_used: float, years_remaining: float) -> float:
    """Obsolescence from age, ``used / (used + remaining)`` (无形资产贬值率; 1 minus the 成新率).

    Args:
        years_used: years the IP has been in use at the valuation date, >= 0.
        years_remaining: remaining useful (economic) life in years, > 0; ``inf`` for a right
            with an indefinite life (a mark in use), which does not wear out with age (rate 0).

    Returns:
        A fraction in [0, 1).

    Raises:
        ValuationError: negative years used or a remaining life <= 0.
    """
    used = chk.non_negative("years_used", years_used)
    if years_remaining == math.inf:
        return 0.0
    remaining = chk.positive("years_remaining", years_remaining)
    return used / (used + remaining)


def cost_value(
    replacement_cost: float,
    years_used: float,
    years_remaining: float,
    *,
    price_change: float = 0.0,
    entrepreneurial_incentive: float = 0.0,
    functional_obsolescence: float = 0.0,
    economic_obsolescence: float = 0.0,
) -> float:
    """Depreciated replacement cost of an intangible.

    ``value = C * (1 + price_change) * (1 + incentive) * (1 - used / (used + remaining))
    * (1 - functional_obsolescence) * (1 - economic_obsolescence)``.

    The entrepreneurial incentive is the return a developer would need to undertake the work
    (IVS 105 s.70.6 and IVS 210: the cost approach includes it; in Chinese practice the
    合理利润 / 成本利润率 of the replacement cost). Functional and economic obsolescence are
    fractions of the value left after age, applied in turn (IVS 210 applies obsolescence as
    percentages; the Chinese form 重置成本 − 实体性贬值 − 功能性贬值 − 经济性贬值 in amounts gives the
    same result when each amount is stated as a fraction of what remains).

    Args:
        replacement_cost: cost to recreate the IP at historic prices (or at current prices
            with ``price_change=0``), in major currency units, >= 0.
        years_used: years in use at the valuation date, >= 0.
        years_remaining: remaining useful life in years, > 0 (``inf``: no age obsolescence).
        price_change: cumulative price change since the cost was incurred, a fraction > -1
            (0.25 means prices rose 25%).
        entrepreneurial_incentive: developer's required profit on the cost, a fraction >= 0.
        functional_obsolescence: loss of value from better substitutes, a fraction in [0, 1].
        economic_obsolescence: loss of value from the market (demand, regulation), a fraction
            in [0, 1].

    Returns:
        The value in the currency units of ``replacement_cost``.

    Raises:
        ValuationError: an input outside its range (remaining life <= 0, negative cost, ...).
    """
    cost = chk.non_negative("replacement_cost", replacement_cost)
    index = chk.discount("price_change", price_change)
    incentive = chk.non_negative("entrepreneurial_incentive", entrepreneurial_incentive)
    func = chk.fraction("functional_obsolescence", functional_obsolescence)
    econ = chk.fraction("economic_obsolescence", economic_obsolescence)
    age = depreciation_rate(years_used, years_remaining)
    return cost * (1.0 + index) * (1.0 + incentive) * (1.0 - age) * (1.0 - func) * (1.0 - econ)


def rd_replacement_cost(
    direct_cost: float,
    researcher_labour: float,
    *,
    labour_multiplier: float = 1.0,
    research_risk: float = 0.0,
    return_rate: float = 0.0,
) -> float:
    """Replacement cost of self-developed technology by the multiplier method (倍加系数法).

    ``C = (direct_cost + labour_multiplier * researcher_labour) / (1 - research_risk) * (1 + return_rate)``:
    creative research labour is weighted up (β1), the cost of failed research spread over the
    successful result (β2, 科研平均风险系数), and a return on the investment added (L, 投资报酬率).

    Args:
        direct_cost: materials and other direct costs (物化劳动), major currency units, >= 0.
        researcher_labour: researchers' labour cost (活劳动), major currency units, >= 0.
        labour_multiplier: weight of creative labour (β1), >= 0.
        research_risk: average share of research that fails (β2), a fraction in [0, 1).
        return_rate: required return on the development investment (L), a fraction >= 0.

    Returns:
        The replacement cost in major currency units.
    """
    c = chk.non_negative("direct_cost", direct_cost)
    v = chk.non_negative("researcher_labour", researcher_labour)
    beta1 = chk.non_negative("labour_multiplier", labour_multiplier)
    beta2 = chk.fraction("research_risk", research_risk, upper_open=True)
    ret = chk.non_negative("return_rate", return_rate)
    return (c + beta1 * v) / (1.0 - beta2) * (1.0 + ret)
