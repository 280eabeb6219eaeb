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


def _audit_codes() -> set[str]:
    """Every finding code the audit's checks can emit (read from their source)."""
    import ast
    from pathlib import Path

    import ipledger.audit

    codes: set[str] = set()
    for path in Path(ipledger.audit.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("fail", "warn", "note")
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)
            ):
                codes.add(node.args[1].value)
            if path.name == "witness.py" and isinstance(node, ast.For) and isinstance(node.iter, ast.Tuple):
                for row in node.iter.elts:  # the block checks: (label, info, expected, code)
                    last = row.elts[-1] if isinstance(row, ast.Tuple) else None
                    if isinstance(last, ast.Constant) and isinstance(last.value, str):
                        codes.add(last.value)
    return codes


def test_every_audit_finding_kind_is_explained_in_both_languages() -> None:
    codes = _audit_codes()
    assert {"inserted", "edited", "accumulator", "signature", "head_hash"} <= codes
    zh, en = Translator("zh-CN"), Translator("en")
    for code in sorted(codes):
        assert en(f"audit.finding.{code}") != zh(f"audit.finding.{code}"), code


def test_chinese_audit_report_explains_each_finding_above_its_english_detail() -> None:
    from ipledger.audit.html import render_html
    from ipledger.audit.report import AuditReport, Check

    check = Check("rows", "store rows against the chain's logs")
    check.fail("transactions #7 differs from its log: amount", "edited", table="transactions", record_id=7)
    report = AuditReport(checks=[check])
    zh = render_html(report, "zh-CN")
    assert "索引库中的记录与链上事件不一致" in zh and "transactions #7 differs from its log" in zh
    assert "索引库中的记录与链上事件不一致" not in render_html(report, "en")
