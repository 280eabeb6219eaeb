"""Locale formatting and catalogue look-ups of ipledger.i18n."""

import datetime as dt

import pytest

from ipledger.errors import ConfigError
from ipledger.i18n import Translator, check_lang


def test_money_and_dates_follow_the_locale() -> None:
    en, zh = Translator("en"), Translator("zh-CN")
    assert en.money(1234567.5, "CNY") == "CN¥1,234,567.50"
    assert zh.money(1234567.5, "CNY") == "¥1,234,567.50"
    assert zh.date(dt.date(2026, 11, 29)) == "2026年11月29日"
    assert en.date("2026-11-29") == "29 Nov 2026"
    assert en.percent(0.0525, digits=2) == "5.25%"


def test_words_come_in_both_languages() -> None:
    assert Translator("zh-cn")("owner") == "权利人"
    assert Translator()("owner") == "Owner"
    with pytest.raises(KeyError):
        Translator()("no-such-key")


def test_unknown_language_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="zh-CN"):
        check_lang("fr")
