"""Currencies and money: ISO 4217 codes, integer minor units on chain, Decimal in Python.

Codes are checked against ISO 4217 as published by the pycountry package (a maintained copy of
the ISO tables). Minor units follow the ISO 4217 exponent of each currency.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import cache

from ipledger.errors import ValidationError

# ISO 4217 exponents that are not 2 (ISO 4217 list one, "Minor unit" column); every other code
# uses 2. pycountry carries the codes but not their minor units.
_EXPONENTS = {
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "UYI": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
    "CLF": 4,
    "UYW": 4,
}

# ISO 4217 codes that are not money a trade is paid in: "no currency", the testing code, precious
# metals and bond-market units of account (assumption: an IP trade is never priced in these).
_NOT_TRADE_CURRENCIES = frozenset({"XXX", "XTS", "XAU", "XAG", "XPT", "XPD", "XBA", "XBB", "XBC", "XBD"})


@cache
def _iso_codes() -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.currencies)


def check_currency(code: str) -> str:
    """The code in capitals when it is an ISO 4217 currency a trade can be paid in.

    Raises:
        ValidationError: the code is not ISO 4217 (``XYZ``), or is a non-money code (``XXX``).
    """
    c = str(code).strip().upper()
    if len(c) != 3 or not c.isascii() or not c.isalpha():
        raise ValidationError(f"currency must be a three-letter ISO 4217 code, not {code!r}")
    if c not in _iso_codes():
        raise ValidationError(f"unknown currency {c!r} (not an ISO 4217 code)")
    if c in _NOT_TRADE_CURRENCIES:
        raise ValidationError(f"currency {c!r} is an ISO 4217 code but not a currency a trade is paid in")
    return c


def exponent(currency: str) -> int:
    """Digits of the currency's minor unit (2 for CNY: fen; 0 for JPY)."""
    return _EXPONENTS.get(currency.upper(), 2)


def to_minor(amount: float | Decimal | int | str, currency: str) -> int:
    """Major units -> integer minor units, rounding half-even at the currency's precision.

    Raises:
        ValidationError: the amount is not a finite number.
    """
    try:
        value = Decimal(str(amount).strip()).scaleb(exponent(currency))
        if not value.is_finite():
            raise ValidationError(f"amount {amount!r} is not a finite number")
        if abs(value) >= 2**128:
            raise ValidationError(f"amount {amount!r} is too large")
        return int(value.quantize(Decimal(1)))
    except ValidationError:
        raise
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError(f"amount {amount!r} is not a number") from exc


def to_major(minor: int, currency: str) -> float:
    """Integer minor units -> major units as a float (for statistics; see ``to_decimal``)."""
    return float(Decimal(int(minor)).scaleb(-exponent(currency)))


def to_decimal(minor: int, currency: str) -> Decimal:
    """Integer minor units -> major units as an exact Decimal (``123456`` CNY -> ``1234.56``)."""
    return Decimal(int(minor)).scaleb(-exponent(currency)).quantize(Decimal(1).scaleb(-exponent(currency)))


def money(amount: float | Decimal | int | str, currency: str) -> Decimal:
    """An amount in major units rounded half-even to the currency's minor unit, as a Decimal."""
    return to_decimal(to_minor(amount, currency), currency)
