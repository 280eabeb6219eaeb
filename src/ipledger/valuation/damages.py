"""Patent-infringement damages: lost profit on lost units, the calculation base, the statutory order.

Follows Chinese patent law (Patent Law art. 71, formerly art. 65: the right holder's actual loss,
else the infringer's profit, else a multiple of a reasonable royalty; one to five times for wilful
infringement) and the Supreme People's Court judgment (2020) 最高法知民终 589 号 upholding
Guangzhou IP Court (2018) 粤73民初1538号: for a patented component, the component (the smallest
saleable unit) or the whole product may be the base; the component is the better base when it is
separable, sold on its own to end users (like a consumable), works without marked synergy with
the rest of the product, and its price, volume and margin are documented.

Units: money in major currency units, margins and contributions as fractions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ipledger.errors import ValuationError
from ipledger.valuation import _checks as chk

__all__ = ["BaseChoice", "DamagesBasis", "choose_damages_base", "damages", "statutory_damages"]


def damages(units: float, unit_price: float, profit_margin: float, contribution: float = 1.0) -> float:
    """Damages as lost units x unit price x profit margin x the patent's contribution.

    Args:
        units: units of sales lost to the infringement (or the infringer's units sold), >= 0.
        unit_price: price of one unit of the calculation base, major currency units, >= 0.
        profit_margin: profit over price of the base, a fraction in [0, 1].
        contribution: share of that profit due to the patent (专利贡献率), a fraction in [0, 1];
            1.0 when the base is the patented component itself.

    Returns:
        The damages in the currency of ``unit_price``.

    Raises:
        ValuationError: negative units or price, a margin or contribution outside [0, 1].
    """
    n = chk.non_negative("units", units)
    p = chk.non_negative("unit_price", unit_price)
    m = chk.fraction("profit_margin", profit_margin)
    c = chk.fraction("contribution", contribution)
    return n * p * m * c


@dataclass(frozen=True)
class BaseChoice:
    """Which product the damages are computed on, and why.

    Attributes:
        base: ``"component"`` (the patented part, contribution usually 1.0) or
            ``"whole_product"`` (the product containing it, apportioned by contribution).
        reasons: the facts that decided it, in plain language.
        apportion: True when the damages must be apportioned by the patent's contribution
            (always for the whole product).
    """

    base: Literal["component", "whole_product"]
    reasons: tuple[str, ...]
    apportion: bool


def choose_damages_base(
    *,
    separable: bool,
    sold_separately: bool,
    component_data_documented: bool,
    synergy_with_other_parts: bool = False,
    demand_driven_by_component: bool | None = None,
    other_patents_in_product: bool = False,
    whole_product_data_documented: bool = True,
) -> BaseChoice:
    """Choose the component or the whole product as the damages base (SPC (2020) 最高法知民终 589 号).

    The component is chosen when it can be separated from the product, is sold on its own, its
    price and volume (and margin) are documented, and it has no marked synergy with the other
    parts; then its own price already carries its value and its share of the product's synergy.
    Otherwise the whole product is the base, apportioned by the patent's contribution; other
    patents in the product or demand driven by the whole product point the same way.

    Args:
        separable: the component can be separated from the product (design).
        sold_separately: the component is sold on its own (commercial practice, e.g. consumables).
        component_data_documented: price, volume and margin of the component are in evidence.
        synergy_with_other_parts: the component works with other parts in a way its own price
            would not capture.
        demand_driven_by_component: True if demand for the product comes from the component,
            False if from the product as a whole, None if unknown.
        other_patents_in_product: the product embodies other patented solutions.
        whole_product_data_documented: price, volume and margin of the whole product are in evidence.

    Returns:
        The :class:`BaseChoice`.

    Raises:
        ValuationError: neither the component's nor the whole product's data are documented.
    """
    reasons: list[str] = []
    component_ok = separable and sold_separately and component_data_documented and not synergy_with_other_parts
    if component_ok:
        reasons.append("the component is separable from the product")
        reasons.append("the component is sold on its own")
        reasons.append("the component's price and volume are documented")
        reasons.append("no marked synergy with other parts: its own price carries its value")
        if demand_driven_by_component is False:
            reasons.append("note: demand is driven by the whole product; check the component's price reflects it")
        if other_patents_in_product:
            reasons.append("other patents in the product do not affect a component base")
        return BaseChoice("component", tuple(reasons), apportion=False)
    if not separable:
        reasons.append("the component cannot be separated from the product")
    if not sold_separately:
        reasons.append("the component is not sold on its own")
    if not component_data_documented:
        reasons.append("the component's price/volume/margin are not documented")
    if synergy_with_other_parts:
        reasons.append("the component has synergy with other parts that its own price would not capture")
    if other_patents_in_product:
        reasons.append("the product embodies other patents: apportion by this patent's contribution")
    if demand_driven_by_component is False:
        reasons.append("demand is driven by the product as a whole")
    if not whole_product_data_documented:
        raise ValuationError(
            "no damages base is supported by the evidence: " + "; ".join(reasons) + "; and the whole product's "
            "price/volume/margin are not documented either"
        )
    reasons.append("the whole product is the base, apportioned by the patent's contribution")
    return BaseChoice("whole_product", tuple(reasons), apportion=True)


@dataclass(frozen=True)
class DamagesBasis:
    """The basis used for a damages claim in the statutory order, and the amount.

    Attributes:
        basis: ``"actual_loss"``, ``"infringer_profit"`` or ``"royalty_multiple"``.
        amount: damages in major currency units.
    """

    basis: Literal["actual_loss", "infringer_profit", "royalty_multiple"]
    amount: float


def statutory_damages(
    actual_loss: float | None = None,
    infringer_profit: float | None = None,
    reasonable_royalty: float | None = None,
    *,
    royalty_multiple: float = 1.0,
) -> DamagesBasis:
    """Damages in the statutory order: actual loss, else infringer's profit, else a royalty multiple.

    Args:
        actual_loss: the right holder's proven loss, major currency units (None if not proven).
        infringer_profit: the infringer's proven profit from infringing, major units (None if not).
        reasonable_royalty: a reasonable royalty for the infringing use, major units (None if not).
        royalty_multiple: the multiple of the royalty, 1 to 5 (above 1 only for wilful, serious
            infringement under art. 71).

    Returns:
        The first basis in the order that has evidence, with its amount.

    Raises:
        ValuationError: no basis has evidence (the court then sets statutory damages by
            discretion), or an amount or multiple out of range.
    """
    if actual_loss is not None:
        return DamagesBasis("actual_loss", chk.non_negative("actual_loss", actual_loss))
    if infringer_profit is not None:
        return DamagesBasis("infringer_profit", chk.non_negative("infringer_profit", infringer_profit))
    if reasonable_royalty is not None:
        mult = chk.finite("royalty_multiple", royalty_multiple)
        if not 1.0 <= mult <= 5.0:
            raise ValuationError(f"royalty_multiple must be between 1 and 5, got {mult}")
        return DamagesBasis("royalty_multiple", chk.non_negative("reasonable_royalty", reasonable_royalty) * mult)
    raise ValuationError(
        "no statutory basis has evidence (actual loss, infringer's profit, reasonable royalty): "
        "damages are then set by the court's discretion within the statutory range"
    )
