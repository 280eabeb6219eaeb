"""value_asset on a small in-memory ledger: evidence, defaults, refusals, determinism, speed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from ipledger.errors import ValuationError
from ipledger.valuation import Valuation, relief_from_royalty, tab_factor, value_asset
from ipledger.valuation.types import MethodResult
from tests.unit.valuation.fakes import AS_OF, INPUTS, SUBJECT, FakeLedger, install_market, sample_frames, sample_ledger

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def market(monkeypatch: pytest.MonkeyPatch) -> None:
    install_market(_Setter(monkeypatch))


@pytest.fixture
def no_market(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ipledger.valuation.market", None)  # import raises ImportError


class _Setter:
    def __init__(self, mp: pytest.MonkeyPatch) -> None:
        self.mp = mp

    def __setitem__(self, key: str, value: Any) -> None:
        self.mp.setitem(sys.modules, key, value)


def test_full_valuation(market: None) -> None:
    v = value_asset(sample_ledger(), SUBJECT, as_of=AS_OF, inputs=INPUTS)
    assert isinstance(v, Valuation)
    assert (v.asset_id, v.as_of, v.currency) == (SUBJECT, AS_OF, "CNY")
    assert (v.state_block, v.state_hash) == (4242, "0x" + "5e" * 32)
    assert 0 < v.low <= v.value <= v.high
    assert [m.method for m in v.methods] == ["market", "income", "cost"]
    assert sum(v.weights.values()) == pytest.approx(1.0)
    assert all(m.weight == pytest.approx(v.weights[m.method]) for m in v.methods)
    # comparables carry their on-chain coordinates; the voided 90M sale is not among them
    assert {c["record_id"] for c in v.comparables} == {12, 13}
    assert all(c["tx_hash"].startswith("0x") and isinstance(c["log_index"], int) for c in v.comparables)


#: The screened, exclusivity-adjusted rates of the sample ledger's pharma licences: six
#: non-exclusive x 1.3, three exclusive x 1.0; the 40% revenue share and the trial licence are out.
ADJUSTED = [0.03 * 1.3, 0.045 * 1.3, 0.05 * 1.3, 0.06 * 1.3, 0.08 * 1.3, 0.035, 0.04, 0.055, 0.07 * 1.3]


def test_income_uses_screened_ledger_licences(no_market: None) -> None:
    v = value_asset(sample_ledger(), SUBJECT, as_of=AS_OF, inputs=INPUTS, methods=("income",))
    income = v.methods[0]
    assert income.n_data == 9  # the 50% licence after as_of, the design licence, the 40% share, the trial: out
    p10, p50, _ = np.percentile(ADJUSTED, [10, 50, 90])
    assert v.inputs["royalty_rate"]["p50"] == pytest.approx(p50)
    assert v.inputs["royalty_rate"]["p10"] == pytest.approx(p10)
    assert {d["record_id"] for d in income.details["licences"]} == {1, 2, 3, 4, 5, 6, 7, 8, 9}
    screen = income.details["royalty_screen"]
    assert (screen["above_cap"], screen["short_term"]) == (1, 1)
    assert screen["median_raw"] == pytest.approx(0.05) and screen["median_adjusted"] == pytest.approx(p50)
    assert any("above 25% of sales left out" in w for w in v.warnings)
    # the point value is relief from royalty at the median rate over the remaining life, the last
    # year a stub discounted at its own end, grossed up by the CN 10-year TAB (market value)
    remaining = 12 - (pd.Timestamp(AS_OF) - pd.Timestamp("2016-03-01")).days / 365.25
    assert v.inputs["remaining_life"] == pytest.approx(remaining)
    k, stub = v.inputs["discount_rate"], remaining - 3
    flows = [10e6, 11e6, 12e6, 12e6 * 1.03 * stub]
    times = [1, 2, 3, 3 + stub]
    pv = sum(f * p50 * 0.75 / (1 + k) ** tt for f, tt in zip(flows, times, strict=True))
    assert income.value == pytest.approx(pv * tab_factor(0.25, k, 10))
    assert v.inputs["tab_period"] == 10 and "Implementation Regulations" in v.assumptions["tab_period"]
    assert income.low < income.value < income.high


def test_defaults_when_no_licences(no_market: None) -> None:
    assets, tx = sample_frames()
    ledger = FakeLedger(assets, tx.loc[tx["kind"] != "licence"].reset_index(drop=True))
    v = value_asset(ledger, SUBJECT, as_of=AS_OF, inputs=INPUTS, methods=("income",))
    assert v.methods[0].n_data == 0
    assert v.inputs["royalty_rate"]["p50"] == pytest.approx(0.06)  # pharmaceuticals default
    assert any("defaults for pharmaceuticals" in w for w in v.warnings)
    assert "discount_rate" in v.assumptions and "tax_rate" in v.assumptions


def test_caller_inputs_override_defaults(no_market: None) -> None:
    inputs = {
        **INPUTS,
        "royalty_rate": 0.04,
        "tax_rate": 0.15,
        "discount_rate": 0.12,
        "remaining_life": 3,
        "tab_period": 10,
    }
    v = value_asset(sample_ledger(), SUBJECT, as_of=AS_OF, inputs=inputs, methods=("income",))
    expected = relief_from_royalty([10e6, 11e6, 12e6], 0.04, 0.15, 0.12, tab_period=10)
    assert v.value == pytest.approx(expected)
    assert "tax_rate" not in v.assumptions and "remaining_life" not in v.assumptions


def test_market_unavailable_is_a_warning(no_market: None) -> None:
    v = value_asset(sample_ledger(), SUBJECT, as_of=AS_OF, inputs=INPUTS)
    assert v.weights["market"] == 0.0
    assert any("market approach is unavailable" in w for w in v.warnings)
    assert v.value > 0


def test_cost_approach(no_market: None) -> None:
    """Hand-computed: 2,000,000 x 1.10 incentive x (1 - used / (used + remaining)) with no inflation."""
    v = value_asset(sample_ledger(), SUBJECT, as_of=AS_OF, methods=("cost",), inputs={"cost_inflation": 0.0})
    used = (pd.Timestamp(AS_OF) - pd.Timestamp("2016-03-01")).days / 365.25
    remaining = 12 - used
    assert v.value == pytest.approx(2_000_000 * 1.10 * remaining / (used + remaining))
    assert "entrepreneurial_incentive" in v.assumptions
    w = value_asset(
        sample_ledger(),
        SUBJECT,
        as_of=AS_OF,
        methods=("cost",),
        inputs={"cost_inflation": 0.0, "entrepreneurial_incentive": 0.2, "functional_obsolescence": 0.25},
    )
    assert w.value == pytest.approx(2_000_000 * 1.20 * remaining / (used + remaining) * 0.75)


def test_no_revenue_and_no_cost_refuses(no_market: None) -> None:
    with pytest.raises(ValuationError, match=r"the data cannot support a value: .*no revenue forecast"):
        value_asset(sample_ledger(), "0x" + f"{1:064x}", as_of=AS_OF)


def test_expiry_caps_life_and_dead_rights_refuse(no_market: None) -> None:
    assets, tx = sample_frames()
    assets.loc[assets["asset_id"] == SUBJECT, "expiry_date"] = pd.Timestamp("2025-06-30")
    v = value_asset(FakeLedger(assets, tx), SUBJECT, as_of=AS_OF, inputs={**INPUTS, "remaining_life": 5})
    assert v.inputs["remaining_life"] == pytest.approx(365 / 365.25)
    assert any("capped" in w for w in v.warnings)
    assets.loc[assets["asset_id"] == SUBJECT, "status"] = "invalidated"
    with pytest.raises(ValuationError, match="cannot support a value"):
        value_asset(FakeLedger(assets, tx), SUBJECT, as_of=AS_OF, inputs=INPUTS)


def test_bad_calls(no_market: None) -> None:
    ledger = sample_ledger()
    with pytest.raises(ValuationError, match="not in the ledger"):
        value_asset(ledger, "0x" + "99" * 32, as_of=AS_OF)
    with pytest.raises(ValuationError, match="0x-prefixed"):
        value_asset(ledger, "abc", as_of=AS_OF)
    with pytest.raises(ValuationError, match="methods"):
        value_asset(ledger, SUBJECT, as_of=AS_OF, methods=("dcf",))
    with pytest.raises(ValuationError, match="as_of"):
        value_asset(ledger, SUBJECT, as_of="not a date")
    with pytest.raises(ValuationError, match="remaining_life"):
        value_asset(ledger, SUBJECT, as_of=AS_OF, inputs={**INPUTS, "remaining_life": -2})
    with pytest.raises(ValuationError, match="cost_role"):
        value_asset(ledger, SUBJECT, as_of=AS_OF, inputs={"cost_role": "average"}, methods=("cost",))
    with pytest.raises(ValuationError, match="invalid valuation input"):
        value_asset(ledger, SUBJECT, as_of=AS_OF, inputs={**INPUTS, "tax_rate": "a lot"}, methods=("income",))
    with pytest.raises(ValuationError, match="royalty_rate"):
        value_asset(ledger, SUBJECT, as_of=AS_OF, inputs={**INPUTS, "royalty_rate": 3.0}, methods=("income",))


def test_licence_cache_follows_ledger_and_state(no_market: None) -> None:
    first = value_asset(sample_ledger(), SUBJECT, as_of=AS_OF, inputs=INPUTS, methods=("income",))
    assets, tx = sample_frames()
    tx.loc[tx["kind"] == "licence", "royalty_rate"] *= 2  # same state id, other ledger object
    other = value_asset(FakeLedger(assets, tx), SUBJECT, as_of=AS_OF, inputs=INPUTS, methods=("income",))
    assert other.inputs["royalty_rate"]["p50"] == pytest.approx(2 * first.inputs["royalty_rate"]["p50"])
    ledger = FakeLedger(assets, tx, state=(1, "0x01"))
    again = value_asset(ledger, SUBJECT, as_of=AS_OF, inputs=INPUTS, methods=("income",))
    assert again.value == pytest.approx(other.value)


def test_market_errors_become_insufficient(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> MethodResult:
        raise ValuationError("too few comparable sales")

    install_market(_Setter(monkeypatch), broken)
    v = value_asset(sample_ledger(), SUBJECT, as_of=AS_OF, inputs=INPUTS)
    market = next(m for m in v.methods if m.method == "market")
    assert not market.sufficient and "too few comparable sales" in market.warnings[0]


def test_deterministic_in_process(market: None) -> None:
    a = value_asset(sample_ledger(), SUBJECT, as_of=AS_OF, inputs=INPUTS)
    b = value_asset(sample_ledger(), SUBJECT, as_of=pd.Timestamp(AS_OF), inputs=dict(reversed(list(INPUTS.items()))))
    assert a.report_hash == b.report_hash
    c = value_asset(sample_ledger(), SUBJECT, as_of="2024-07-01", inputs=INPUTS)
    assert c.report_hash != a.report_hash


def test_deterministic_across_processes(market: None) -> None:
    here = value_asset(sample_ledger(), SUBJECT, as_of=AS_OF, inputs=INPUTS).report_hash
    code = "from tests.unit.valuation.fakes import run_in_subprocess; print(run_in_subprocess())"
    hashes = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")])}
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert out.returncode == 0, out.stderr
        hashes.append(out.stdout.strip().splitlines()[-1])
    assert hashes == [here, here]


def test_speed_printout(market: None) -> None:
    ledger = sample_ledger()
    value_asset(ledger, SUBJECT, as_of=AS_OF, inputs=INPUTS)  # warm up
    n = 20
    start = time.perf_counter()
    for _ in range(n):
        value_asset(ledger, SUBJECT, as_of=AS_OF, inputs=INPUTS)
    per_call = (time.perf_counter() - start) / n
    print(f"\nvalue_asset: {per_call * 1000:.1f} ms per call (cached frames, fake market)")


def test_report_of_real_valuation(market: None, tmp_path: Path) -> None:
    v = value_asset(sample_ledger(), SUBJECT, as_of=AS_OF, inputs=INPUTS)
    html = v.to_html(tmp_path / "r.html")
    assert v.report_hash in html and "screened ledger licences" in html
    assert html.count("data:image/png;base64") == 1
