"""The engagement (basis of value, organisation, recompute), marks in use, excess earnings,
currencies in value_asset, and the report in English and Chinese."""

from __future__ import annotations

import re
import sys
from typing import Any

import pandas as pd
import pytest

from ipledger.errors import ValuationError
from ipledger.valuation import value_asset
from ipledger.valuation.engagement import Engagement
from tests.unit.valuation.fakes import AS_OF, INPUTS, SUBJECT, FakeLedger, install_market, sample_frames, sample_ledger


@pytest.fixture
def no_market(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ipledger.valuation.market", None)


@pytest.fixture
def market(monkeypatch: pytest.MonkeyPatch) -> None:
    class Setter:
        def __setitem__(self, key: str, value: Any) -> None:
            monkeypatch.setitem(sys.modules, key, value)

    install_market(Setter())


class OrgLedger(FakeLedger):
    """A ledger with an organisations directory, and its own view at a block (for recompute)."""

    def organisation_of(self, account: str) -> str | None:
        return {"0x" + "ab" * 20: "Beijing IP Appraisal Co."}.get(account)

    def at_block(self, block: int) -> OrgLedger:
        return self


def test_engagement_is_recorded_and_drives_the_tab(no_market: None) -> None:
    base = value_asset(sample_ledger(), SUBJECT, as_of=AS_OF, inputs=INPUTS, methods=("income",))
    assert base.engagement["basis"] == "market" and base.inputs["tab_period"] == 10
    inv = value_asset(
        sample_ledger(), SUBJECT, as_of=AS_OF, inputs=INPUTS, methods=("income",), engagement={"basis": "investment"}
    )
    assert inv.inputs["tab_period"] is None and "investment" in inv.assumptions["tab_period"]
    tab = base.methods[0].details["tab_factor"]
    assert base.value == pytest.approx(inv.value * tab)
    assert inv.report_hash != base.report_hash
    with pytest.raises(ValuationError, match="basis of value"):
        Engagement(basis="book")
    with pytest.raises(ValuationError, match="unknown engagement"):
        Engagement.of({"purpose": "x", "colour": "blue"})


def test_organisation_from_the_ledger_and_recompute(no_market: None) -> None:
    from ipledger.audit.recompute import recompute_valuation

    assets, tx = sample_frames()
    ledger = OrgLedger(assets, tx)
    eng = {"purpose": "pledge", "basis": "liquidation", "premise": "orderly_liquidation", "valuer": "0x" + "AB" * 20}
    v = value_asset(ledger, SUBJECT, as_of=AS_OF, inputs=INPUTS, engagement=eng)
    assert v.engagement["organisation"] == "Beijing IP Appraisal Co."
    assert v.engagement["report_date"] is None  # the valuation date: the hash does not depend on today
    report = v.to_dict()
    assert recompute_valuation(report, ledger, v.state_block) == v.report_hash
    # a ledger without a directory leaves the organisation unknown, never guessed
    plain = value_asset(sample_ledger(), SUBJECT, as_of=AS_OF, inputs=INPUTS, engagement=eng)
    assert plain.engagement["organisation"] is None


def test_trademark_in_use_has_an_indefinite_life_and_a_terminal_value(no_market: None) -> None:
    assets, tx = sample_frames()
    row = assets["asset_id"] == SUBJECT
    assets.loc[row, ["kind", "class_code", "field"]] = ["trademark", "25", None]
    assets.loc[row, "filing_date"] = pd.Timestamp("2016-01-01")
    v = value_asset(FakeLedger(assets, tx), SUBJECT, as_of=AS_OF, inputs=INPUTS, methods=("income",))
    income = v.methods[0]
    assert income.details["indefinite"] and v.asset["indefinite_life"]
    assert income.details["explicit_years"] == 5 and 0.3 < income.details["terminal_share"] < 0.9
    assert v.inputs["field"] == "brands"
    # the old rule gave one year of royalty: the value is now several years' worth
    one_year = 10e6 * v.inputs["royalty_rate"]["p50"] * 0.75
    assert v.value > 4 * one_year
    assets.loc[row, "status"] = "lapsed"
    with pytest.raises(ValuationError, match="cannot support a value"):
        value_asset(FakeLedger(assets, tx), SUBJECT, as_of=AS_OF, inputs=INPUTS, methods=("income",))


def test_film_with_a_non_ipc_code_is_not_materials(no_market: None) -> None:
    assets, tx = sample_frames()
    row = assets["asset_id"] == SUBJECT
    assets.loc[row, ["kind", "class_code", "field"]] = ["copyright", "CR-film", None]
    v = value_asset(FakeLedger(assets, tx), SUBJECT, as_of=AS_OF, inputs=INPUTS, methods=("income",))
    assert v.inputs["field"] == "creative_works"
    assert any("CR-film is not a valid IPC, Locarno or Nice code" in w for w in v.warnings)


def test_excess_earnings_through_value_asset(no_market: None) -> None:
    inputs = {
        "revenues": [1000.0, 1000.0, 1000.0],
        "remaining_life": 3,
        "income_method": "excess_earnings",
        "ebitda_margin": 0.30,
        "discount_rate": 0.15,
        "tab_period": None,
        "contributory_assets": {
            "working_capital": 0.15,
            "working_capital_return": 0.08,
            "fixed_assets": 0.20,
            "fixed_assets_return": 0.10,
            "depreciation": 0.05,
            "workforce": 0.05,
            "workforce_return": 0.12,
            "other_intangibles_royalty": 0.02,
        },
    }
    v = value_asset(
        sample_ledger(), SUBJECT, as_of=AS_OF, inputs=inputs, methods=("income",), engagement={"basis": "investment"}
    )
    assert v.value == pytest.approx(307.094, abs=1e-3)  # the worked example in test_worked_examples
    assert v.methods[0].details["excess_margin"] == pytest.approx(0.1345)
    with pytest.raises(ValuationError, match="cannot support a value"):
        value_asset(
            sample_ledger(), SUBJECT, as_of=AS_OF, inputs={**inputs, "ebitda_margin": None}, methods=("income",)
        )


def test_valuation_currency_must_be_convertible(market: None) -> None:
    v = value_asset(sample_ledger(), SUBJECT, as_of=AS_OF, inputs={**INPUTS, "currency": "USD"}, methods=("income",))
    assert v.currency == "USD"
    with pytest.raises(ValuationError, match="not in the FX table"):
        value_asset(sample_ledger(), SUBJECT, as_of=AS_OF, inputs={**INPUTS, "currency": "CHF"})


ENGAGEMENT_ZH = {
    "purpose": "pledge",
    "basis": "market",
    "valuer": "0x" + "ab" * 20,
    "organisation": "北京知识产权评估有限公司",
    "client": "示例银行",
    "standard": "CAS",
    "scope": "发明专利 CN-A1A1A1 及账本记录的许可",
    "special_assumptions": ["假设该专利持续有效"],
}


def _text(html: str) -> str:
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    body = re.sub(r'src="data:[^"]+"', "", body)
    return re.sub(r"<[^>]+>", "\n", body)


def test_chinese_report_has_no_english_sentences(market: None) -> None:
    v = value_asset(sample_ledger(), SUBJECT, as_of=AS_OF, inputs=INPUTS, engagement=ENGAGEMENT_ZH)
    html = v.to_html(lang="zh-CN")
    text = _text(html)
    for heading in (
        "一、评估对象",
        "二、评估业务基本事项",
        "三、评估结论摘要",
        "五、收益法敏感性分析",
        "附录：链上记录索引",
    ):
        assert heading in text
    assert "《知识产权资产评估指南》" in text and "质押融资" in text and "¥" in text
    # three English words in a row make a phrase; codes, hashes and proper names do not
    phrases = re.findall(r"\b[A-Za-z]{2,}(?:[ ,;:]+[A-Za-z]{2,}){2,}\b", text)
    assert phrases == []
    # identity first: the registry number comes before the summary
    assert text.index("CNa1a1a1") < text.index("三、评估结论摘要")


def test_english_report_reads_like_an_ivs_report(market: None) -> None:
    v = value_asset(
        sample_ledger(), SUBJECT, as_of=AS_OF, inputs=INPUTS, engagement={**ENGAGEMENT_ZH, "standard": "IVS"}
    )
    text = _text(v.to_html())
    for part in ("1. The asset", "2. The engagement", "3. Summary", "5. Sensitivity", "Appendix: on-chain references"):
        assert part in text
    assert "IVS 106" in text and "market value" in text
    assert re.search(r"Income approach: weight \d+% — leads", text)
    assert "Cost approach: weight 0% — a check only" in text
    assert "{'" not in text and not re.search(r"\d\.\d{5,}", text)  # no raw dicts, no long floats
    assert "%" in text and "CN¥" in text
    for c in v.comparables:
        assert c["tx_hash"] in text


def test_every_message_key_in_the_valuation_code_has_both_languages() -> None:
    from pathlib import Path

    from ipledger.i18n.catalog_valuation import MESSAGES

    root = Path(__file__).resolve().parents[3] / "src" / "ipledger" / "valuation"
    used: set[str] = set()
    for path in root.glob("*.py"):
        used |= set(re.findall(r'"((?:warn|why|src)\.[a-z_]+)"', path.read_text("utf-8")))
    assert {"warn.royalty_fallback", "why.leading_shared", "src.cn_eit"} <= used
    # keys built from codes: the cost role, the life basis, the TAB source, the royalty sources
    used |= {"why.cost_check", "why.cost_floor", "src.life_legal", "src.life_economic", "src.life_indefinite"}
    used |= {"src.cn_tab", "src.us_tab", "src.parr_ipra", "src.assumption"}
    missing = sorted(k for k in used if k not in MESSAGES)
    assert missing == []
    one_language = sorted(k for k, v in MESSAGES.items() if not (v.get("en") and v.get("zh-CN")))
    assert one_language == []
