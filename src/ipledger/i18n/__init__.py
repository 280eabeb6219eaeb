"""Languages of the reports people read: English and simplified Chinese (zh-CN).

The Beijing pilot's insurers, valuers and IP office read Chinese, so every report a person reads
(valuation, quote, audit) renders in either language. Numbers, dates, percentages and money are
formatted for the locale by babel (CLDR data); words come from per-domain catalogues
(``ipledger.i18n.catalog_*`` modules, each a ``MESSAGES`` dict of key -> {lang: text}).

    >>> from ipledger.i18n import Translator
    >>> t = Translator("zh-CN")
    >>> t.money(1234567.5, "CNY")
    '¥1,234,567.50'
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Literal, get_args

from ipledger.errors import ConfigError

Lang = Literal["en", "zh-CN"]
LANGS: tuple[str, ...] = get_args(Lang)
DEFAULT_LANG: Lang = "en"

_BABEL_LOCALE = {"en": "en_GB", "zh-CN": "zh_Hans_CN"}


def check_lang(lang: str | None) -> Lang:
    """The language code ``lang`` (None -> the default), or a ConfigError naming the choices."""
    if lang is None:
        return DEFAULT_LANG
    for known in LANGS:
        if lang.lower() == known.lower():
            return known  # type: ignore[return-value]
    raise ConfigError(f"unknown language {lang!r}: choose one of {', '.join(LANGS)}")


def _catalogue() -> dict[str, dict[str, str]]:
    from ipledger.i18n import (
        catalog_audit,
        catalog_common,
        catalog_findings,
        catalog_insurance,
        catalog_valuation,
        catalog_web,
    )

    merged: dict[str, dict[str, str]] = {}
    modules = (catalog_common, catalog_valuation, catalog_insurance, catalog_audit, catalog_findings, catalog_web)
    for module in modules:
        for key, texts in module.MESSAGES.items():
            if key in merged:
                raise ConfigError(f"message key {key!r} is defined twice")
            merged[key] = texts
    return merged


_MESSAGES: dict[str, dict[str, str]] | None = None


class Translator:
    """Words and locale formats for one language.

    Args:
        lang: "en" or "zh-CN" (case-insensitive); None for English.
    """

    def __init__(self, lang: str | None = None) -> None:
        self.lang: Lang = check_lang(lang)
        self.locale = _BABEL_LOCALE[self.lang]

    # ------------------------------------------------------------------ words
    def __call__(self, key: str, **fields: object) -> str:
        """The text of ``key`` in this language, with ``{name}`` fields filled in.

        A key missing from the catalogue raises KeyError: a report must never show a raw key.
        """
        global _MESSAGES
        if _MESSAGES is None:
            _MESSAGES = _catalogue()
        texts = _MESSAGES[key]
        text = texts.get(self.lang) or texts["en"]
        return text.format(**fields) if fields else text

    # ------------------------------------------------------------------ numbers
    def money(self, amount: float | Decimal | int, currency: str, *, digits: int | None = None) -> str:
        """``amount`` (major units) with its currency, e.g. 'CN¥1,234.50' / '¥1,234.50'."""
        from babel.numbers import format_currency

        fmt = None
        if digits == 0:
            fmt = "¤#,##0"
        return str(format_currency(amount, currency, format=fmt, locale=self.locale, currency_digits=digits is None))

    def number(self, value: float | Decimal | int, *, digits: int = 0) -> str:
        """A grouped decimal number with exactly ``digits`` decimals."""
        from babel.numbers import format_decimal

        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return str(format_decimal(value, format=pattern, locale=self.locale))

    def percent(self, fraction: float, *, digits: int = 1) -> str:
        """A fraction as a percentage (0.0525 -> '5.3%' at one decimal)."""
        from babel.numbers import format_percent

        pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
        return str(format_percent(fraction, format=pattern, locale=self.locale))

    def date(self, value: _dt.date | _dt.datetime | str) -> str:
        """A calendar date in the locale's medium form ('29 Nov 2026' / '2026年11月29日')."""
        from babel.dates import format_date

        if isinstance(value, str):
            value = _dt.date.fromisoformat(value[:10])
        if isinstance(value, _dt.datetime):
            value = value.date()
        return str(format_date(value, format="long" if self.lang == "zh-CN" else "medium", locale=self.locale))


__all__ = ["DEFAULT_LANG", "LANGS", "Lang", "Translator", "check_lang"]
