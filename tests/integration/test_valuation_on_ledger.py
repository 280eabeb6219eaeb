"""Valuation on a real ledger: a generated market written through the contracts and indexed."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from ipledger.ledger import Ledger
from ipledger.valuation import value_asset, value_assets
from ipledger.workflows import anchor_valuation
from tests.integration.conftest import market_ledger

INPUTS = {"revenue": 20_000_000.0, "revenue_growth": 0.02}


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    led = market_ledger(tmp_path_factory.mktemp("market"), seed=5, n_assets=150, n_transactions=1500)
    yield led
    led.close()


def test_batch_equals_one_by_one(ledger: Ledger) -> None:
    ids = list(ledger.assets()["asset_id"][:40])
    table = value_assets(ledger, ids, as_of="2025-06-30", inputs=INPUTS).set_index("asset_id")
    assert len(table) == 40
    for aid in ids[:40:4]:
        row = table.loc[aid]
        try:
            v = value_asset(ledger, aid, as_of="2025-06-30", inputs=INPUTS)
        except Exception as exc:  # the batch must report the same refusal, not a number
            assert math.isnan(row["value"]) and row["error"], exc
            continue
        assert row["value"] == pytest.approx(v.value, rel=1e-9)
        assert (row["low"], row["high"]) == pytest.approx((v.low, v.high), rel=1e-9)


def test_anchored_valuation_is_reproduced_from_its_block(ledger: Ledger) -> None:
    from ipledger.audit import recompute_valuation

    aid = str(ledger.assets()["asset_id"].iloc[3])
    v = value_asset(ledger, aid, as_of="2025-06-30", inputs=INPUTS)
    anchor_valuation(ledger, v)
    ledger.client.record_count()  # more blocks may follow; the report names its own state block
    ledger.sync(progress=False)
    report = v.to_dict()
    assert recompute_valuation(report, ledger, v.state_block) == v.report_hash
    changed = {**report, "inputs": {**report["inputs"], "caller_inputs": {"revenue": 1.0}}}
    assert recompute_valuation(changed, ledger, v.state_block) != v.report_hash


def test_market_model_is_kept_beside_the_ledger_and_read_back(ledger: Ledger) -> None:
    from ipledger.audit import recompute_valuation
    from ipledger.valuation import market as mk
    from ipledger.valuation.conformal import StoredModel

    aid = str(ledger.assets()["asset_id"].iloc[7])
    mk._CACHE.clear()
    fitted = value_asset(ledger, aid, as_of="2025-06-30", inputs=INPUTS)
    files = list((ledger.profile.data_dir / "models").glob("market-*.npz"))
    assert files
    mk._CACHE.clear()  # as a new process: the model comes from its file, not from a refit
    read = value_asset(ledger, aid, as_of="2025-06-30", inputs=INPUTS)
    ctx = mk.get_context(ledger.assets(), ledger.transactions(), "2025-06-30")
    assert isinstance(ctx.model, StoredModel)
    assert read.report_hash == fitted.report_hash
    # A damaged file is ignored: the model is refitted and the value is the same.
    for f in files:
        f.write_bytes(b"not a model")
    mk._CACHE.clear()
    assert value_asset(ledger, aid, as_of="2025-06-30", inputs=INPUTS).report_hash == fitted.report_hash
    # The audit recomputes from the state block without the cache (its frames carry no folder).
    anchor_valuation(ledger, read)
    ledger.sync(progress=False)
    assert recompute_valuation(read.to_dict(), ledger, read.state_block) == read.report_hash


def test_valuer_can_prefer_or_require_consented_comparables(ledger: Ledger) -> None:
    """The generated market has no signed trades: "require" leaves the market approach without
    evidence, "prefer" falls back to every trade (fewer than MIN_CONSENTED signed), and the
    report records the choice."""
    from ipledger.errors import ValuationError

    a = ledger.assets()
    aid = str(a[(a["status"] == "active") & (a["kind"] == "invention")]["asset_id"].iloc[0])
    assert int((ledger.transactions()["consent"] > 0).sum()) == 0
    plain = value_asset(ledger, aid, as_of="2025-06-30", inputs=INPUTS)
    prefer = value_asset(ledger, aid, as_of="2025-06-30", inputs={**INPUTS, "consent": "prefer"})
    require = value_asset(ledger, aid, as_of="2025-06-30", inputs={**INPUTS, "consent": "require"})
    market = {v.inputs["consent"]: next(m for m in v.methods if m.method == "market") for v in (plain, prefer)}
    assert market["any"].sufficient and market["prefer"].value == pytest.approx(market["any"].value)
    assert plain.inputs["consent"] == "any" and "consent" in plain.assumptions
    required = next(m for m in require.methods if m.method == "market")
    assert not required.sufficient and required.weight == 0.0
    assert "market" not in require.weights or require.weights["market"] == 0.0
    with pytest.raises(ValuationError, match="consent must be one of"):
        value_asset(ledger, aid, as_of="2025-06-30", inputs={**INPUTS, "consent": "signed"})


def test_liquidation_basis_discounts_the_reconciled_value_and_shows_it(ledger: Ledger) -> None:
    from ipledger.errors import ValuationError

    a = ledger.assets()
    aid = str(a[(a["status"] == "active") & (a["kind"] == "invention")]["asset_id"].iloc[0])
    market = value_asset(ledger, aid, as_of="2025-06-30", inputs=INPUTS)
    forced = value_asset(
        ledger, aid, as_of="2025-06-30", inputs=INPUTS, engagement={"basis": "liquidation", "premise": "forced_sale"}
    )
    # The reconciled value, less 60% for a forced sale (the range too), with the value before shown.
    liq = forced.reconciliation["liquidation"]
    assert liq["discount"] == 0.6 and liq["premise"] == "forced_sale"
    assert forced.value == pytest.approx(liq["value_before"] * 0.40, rel=1e-9)
    assert (forced.low, forced.high) == pytest.approx((liq["low_before"] * 0.40, liq["high_before"] * 0.40), rel=1e-9)
    assert liq["value_before"] == pytest.approx(market.value, rel=0.05)  # the same evidence (TAB aside)
    assert "liquidation_discount" in forced.assumptions and any("liquidation basis" in w for w in forced.warnings)
    given = value_asset(
        ledger,
        aid,
        as_of="2025-06-30",
        inputs={**INPUTS, "liquidation_discount": 0.25},
        engagement={"basis": "liquidation"},  # premise current use: an orderly liquidation
    )
    assert given.value == pytest.approx(given.reconciliation["liquidation"]["value_before"] * 0.75, rel=1e-9)
    assert "liquidation_discount" not in given.assumptions  # the valuer's own figure
    assert "liquidation" not in market.reconciliation
    with pytest.raises(ValuationError, match="liquidation_discount"):
        value_asset(
            ledger,
            aid,
            as_of="2025-06-30",
            inputs={**INPUTS, "liquidation_discount": 1.5},
            engagement={"basis": "liquidation"},
        )
