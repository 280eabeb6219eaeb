"""Income approach: relief from royalty, IP-attributable income, profit splits, the TAB factor.

Standards followed: IVS 210 *Intangible Assets* (income approach: relief-from-royalty,
excess-earnings and with-and-without methods; tax amortisation benefit), and Chinese asset-appraisal
practice (资产评估准则—无形资产; 收益法 with 分成率: 销售收入分成率 = 销售利润分成率 × 销售利润率,
the "三分法/四分法" rules of thumb and the equivalent-investment split 约当投资分成法).

Units throughout: money in major currency units (yuan, dollars) per year, rates as fractions
(0.25 means 25%), time in years. Cash flows fall at year ends unless ``mid_year=True``, which
discounts year *i*'s flow by ``(1 + k) ** -(i - 0.5)`` (flows spread evenly over the year).
"""

from __future__ import annotations

from collections.abc import Sequence

from ipledger.errors import ValuationError
from ipledger.valuation import _checks as chk

__all__ = [
    "income_value",
    "profit_split_share",
    "profit_split_to_royalty",
    "relief_from_royalty",
    "royalty_to_profit_split",
    "tab_factor",
]


def relief_from_royalty(
    revenues: Sequence[float],
    royalty_rate: float,
    tax_rate: float,
    discount_rate: float,
    *,
    mid_year: bool = False,
    tab_period: int | None = None,
) -> float:
    """Value of an IP right as the present value of the after-tax royalties its owner saves.

    ``value = sum_i revenues[i] * royalty_rate * (1 - tax_rate) / (1 + discount_rate) ** t_i``,
    times :func:`tab_factor` when ``tab_period`` is given (IVS 210 relief-from-royalty method;
    in Chinese practice the 收益法 with a 销售收入分成率).

    Args:
        revenues: forecast revenue of the products using the IP, one entry per year of the
            remaining useful life, in major currency units per year (each >= 0).
        royalty_rate: royalty on revenue a willing licensee would pay, a fraction in [0, 1].
        tax_rate: income tax rate on the royalties saved, a fraction in [0, 1).
        discount_rate: IP-specific discount rate per year, a fraction > -1.
        mid_year: discount each year's flow from the middle of the year instead of its end.
        tab_period: tax amortisation period in whole years; when given, the value is grossed up
            by the tax amortisation benefit (``None``: no TAB, e.g. where the IP is not
            amortisable for tax or the premise is value in use).

    Returns:
        The present value in the same currency units as ``revenues``.

    Raises:
        ValuationError: empty or negative revenues, a rate outside its range, a discount rate
            <= -1 or an invalid ``tab_period``.
    """
    flows = chk.series("revenues", revenues, allow_negative=False)
    rate = chk.fraction("royalty_rate", royalty_rate)
    tax = chk.fraction("tax_rate", tax_rate, upper_open=True)
    k = chk.discount("discount_rate", discount_rate)
    value = chk.present_value([r * rate * (1.0 - tax) for r in flows], k, mid_year=mid_year)
    if tab_period is not None:
        value *= tab_factor(tax, k, tab_period, mid_year=mid_year)
    return value


def tab_factor(tax_rate: float, discount_rate: float, period: int, *, mid_year: bool = False) -> float:
    """Tax amortisation benefit (TAB) gross-up factor, ``1 / (1 - t * PVA / n)``.

    ``PVA`` is the present value of 1 per year for ``n`` years at the discount rate (the
    amortisation deductions, straight line); ``t * PVA / n`` is the share of the asset's value that
    the tax saving on amortising it returns to a buyer. The closed form solves the circularity of
    the value including its own tax benefit (AICPA / Appraisal Foundation practice for fair value;
    IVS 210 section on tax amortisation benefit). With ``mid_year`` the deductions are discounted
    from mid-year.

    Args:
        tax_rate: income tax rate, a fraction in [0, 1).
        discount_rate: discount rate per year, a fraction > -1.
        period: tax amortisation period in whole years (>= 1), e.g. 15 under US IRC section 197.

    Returns:
        The factor (dimensionless, >= 1): value with TAB = value before TAB x factor.

    Raises:
        ValuationError: an input outside its range, or a (negative) discount rate so low that the
            benefit would exceed the value itself.
    """
    t = chk.fraction("tax_rate", tax_rate, upper_open=True)
    k = chk.discount("discount_rate", discount_rate)
    n_float = chk.positive("period", period)
    if n_float != int(n_float):
        raise ValuationError(f"period must be a whole number of years, got {period}")
    n = int(n_float)
    pva = sum(chk.discount_factors(k, n, mid_year=mid_year))
    share = t * pva / n
    if share >= 1.0:
        raise ValuationError(
            f"tax amortisation benefit undefined: t*PVA/n = {share:.4f} >= 1 "
            f"(tax_rate={t}, discount_rate={k}, period={n})"
        )
    return 1.0 / (1.0 - share)


def income_value(
    cash_flows: Sequence[float],
    discount_rate: float,
    *,
    tax_rate: float = 0.0,
    mid_year: bool = False,
) -> float:
    """Present value of income attributable to the IP (excess earnings, incremental profit).

    ``value = sum_i cash_flows[i] * (1 - tax_rate) / (1 + discount_rate) ** t_i``. Use it for the
    multi-period excess-earnings method (flows after contributory asset charges), the
    with-and-without / incremental-profit method (超额收益法: the extra profit from using the IP)
    and the profit-split method (profit x 分成率). Pass pre-tax flows with ``tax_rate`` or
    after-tax flows with ``tax_rate=0``.

    Args:
        cash_flows: income attributable to the IP per year, in major currency units (may be
            negative in a year, e.g. a launch year).
        discount_rate: discount rate per year, a fraction > -1.
        tax_rate: income tax rate applied to each flow, a fraction in [0, 1).
        mid_year: discount from mid-year instead of year end.

    Returns:
        The present value in the currency units of ``cash_flows``.

    Raises:
        ValuationError: empty flows, a non-finite flow, or a rate outside its range.
    """
    flows = chk.series("cash_flows", cash_flows, allow_negative=True)
    k = chk.discount("discount_rate", discount_rate)
    tax = chk.fraction("tax_rate", tax_rate, upper_open=True)
    return chk.present_value([f * (1.0 - tax) for f in flows], k, mid_year=mid_year)


def profit_split_share(ip_cost: float, ip_profit_rate: float, other_cost: float, other_profit_rate: float) -> float:
    """The IP's share of profit by the equivalent-investment method (约当投资分成法).

    ``share = C_ip (1 + r_ip) / (C_ip (1 + r_ip) + C_other (1 + r_other))``: each party's
    "equivalent investment" is its replacement cost grossed up by its cost-profit rate
    (成本利润率), and profit is split in proportion.

    Args:
        ip_cost: replacement cost of the IP (重置成本), major currency units, >= 0.
        ip_profit_rate: cost-profit rate of the IP, a fraction >= 0 (4.0 means 400%).
        other_cost: replacement cost of the other assets used with it, major units, >= 0.
        other_profit_rate: cost-profit rate of those assets, a fraction >= 0.

    Returns:
        The IP's profit share (利润分成率), a fraction in [0, 1].

    Raises:
        ValuationError: a negative input, or both costs zero.
    """
    ci = chk.non_negative("ip_cost", ip_cost)
    ri = chk.non_negative("ip_profit_rate", ip_profit_rate)
    co = chk.non_negative("other_cost", other_cost)
    ro = chk.non_negative("other_profit_rate", other_profit_rate)
    ip_eq = ci * (1.0 + ri)
    total = ip_eq + co * (1.0 + ro)
    if total <= 0:
        raise ValuationError("profit split undefined: ip_cost and other_cost are both zero")
    return ip_eq / total


def royalty_to_profit_split(royalty_rate_on_sales: float, operating_margin: float) -> float:
    """Convert a royalty on sales to a share of operating profit.

    ``profit share = royalty rate on sales / operating margin`` (销售利润分成率 = 销售收入分成率 /
    销售利润率). The result is compared with the rules of thumb: one third (三分法: capital,
    labour/organisation and technology each earn a third), one quarter (四分法; the 25% rule).

    Args:
        royalty_rate_on_sales: royalty as a fraction of revenue, in [0, 1].
        operating_margin: the licensee's operating profit over revenue, a fraction in (0, 1].

    Returns:
        The licensor's share of operating profit, a fraction in [0, 1].

    Raises:
        ValuationError: a rate outside its range, or a royalty larger than the whole margin.
    """
    r = chk.fraction("royalty_rate_on_sales", royalty_rate_on_sales)
    m = chk.fraction("operating_margin", operating_margin)
    if m == 0:
        raise ValuationError("operating_margin must be > 0 to express a royalty as a profit share")
    if r > m:
        raise ValuationError(
            f"royalty rate {r} exceeds the operating margin {m}: the licensee would pay more than its whole profit"
        )
    return r / m


def profit_split_to_royalty(profit_share: float, operating_margin: float) -> float:
    """Convert a share of operating profit to a royalty on sales (销售收入分成率 = 利润分成率 × 销售利润率).

    Args:
        profit_share: licensor's share of operating profit, a fraction in [0, 1].
        operating_margin: operating profit over revenue, a fraction in [0, 1].

    Returns:
        The royalty as a fraction of revenue.
    """
    return chk.fraction("profit_share", profit_share) * chk.fraction("operating_margin", operating_margin)
