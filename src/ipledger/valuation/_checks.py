"""Argument checks shared by the valuation formulas; each failure is a :class:`ValuationError`."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from ipledger.errors import ValuationError


def finite(name: str, value: float) -> float:
    """Return ``value`` as a float, or raise if it is not a finite number."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValuationError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise ValuationError(f"{name} must be finite, got {value!r}")
    return x


def non_negative(name: str, value: float) -> float:
    """A finite number >= 0."""
    x = finite(name, value)
    if x < 0:
        raise ValuationError(f"{name} must be >= 0, got {x}")
    return x


def positive(name: str, value: float) -> float:
    """A finite number > 0."""
    x = finite(name, value)
    if x <= 0:
        raise ValuationError(f"{name} must be > 0, got {x}")
    return x


def fraction(name: str, value: float, *, upper_open: bool = False) -> float:
    """A fraction in [0, 1] (or [0, 1) with ``upper_open``), e.g. 0.25 for 25%."""
    x = finite(name, value)
    if x < 0 or x > 1 or (upper_open and x == 1):
        bound = "[0, 1)" if upper_open else "[0, 1]"
        raise ValuationError(f"{name} must be a fraction in {bound} (0.25 means 25%), got {x}")
    return x


def discount(name: str, value: float) -> float:
    """A discount rate per year: finite and > -1 (a rate <= -100% makes discount factors meaningless)."""
    x = finite(name, value)
    if x <= -1:
        raise ValuationError(f"{name} must be > -1 (a fraction per year), got {x}")
    return x


def series(name: str, values: Iterable[float], *, allow_negative: bool) -> list[float]:
    """A non-empty sequence of finite numbers (>= 0 unless ``allow_negative``)."""
    if isinstance(values, str | bytes):
        raise ValuationError(f"{name} must be a sequence of numbers, got a string")
    try:
        items = list(values)
    except TypeError:
        raise ValuationError(f"{name} must be a sequence of numbers, got {values!r}") from None
    if not items:
        raise ValuationError(f"{name} must not be empty")
    check = finite if allow_negative else non_negative
    return [check(f"{name}[{i}]", v) for i, v in enumerate(items)]


def discount_factors(rate: float, periods: int, *, mid_year: bool) -> list[float]:
    """Discount factors 1/(1+rate)^t for years 1..periods (t = year - 0.5 with ``mid_year``)."""
    shift = 0.5 if mid_year else 0.0
    base = 1.0 + rate
    return [base ** -(year - shift) for year in range(1, periods + 1)]


def present_value(flows: Sequence[float], rate: float, *, mid_year: bool) -> float:
    """Present value of year-end (or mid-year) flows at ``rate`` per year."""
    factors = discount_factors(rate, len(flows), mid_year=mid_year)
    return math.fsum(f * d for f, d in zip(flows, factors, strict=True))
