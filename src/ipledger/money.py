"""Minor units of ISO 4217 currencies: integers on chain, major units in the Python API."""

from __future__ import annotations

from decimal import Decimal

# Currencies whose minor unit is not 1/100 (ISO 4217 exponent); every other code uses 2.
_EXPONENTS = {
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    "CLP": 0,
    "ISK": 0,
    "UGX": 0,
    "XAF": 0,
    "XOF": 0,
    "PYG": 0,
    "BHD": 3,
    "KWD": 3,
    "OMR": 3,
    "JOD": 3,
    "TND": 3,
    "LYD": 3,
    "IQD": 3,
}


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def to_minor(amount: float | Decimal | int | str, currency: str) -> int:
    """Major units -> integer minor units, rounding half-even at the currency's precision."""
    value = Decimal(str(amount)).scaleb(exponent(currency))
    return int(value.quantize(Decimal(1)))


def to_major(minor: int, currency: str) -> float:
    return float(Decimal(int(minor)).scaleb(-exponent(currency)))
