"""Scenario settings of the generated market: independent of the valuation, guarded, as described."""

from __future__ import annotations

import ast
import inspect

import numpy as np
import pytest

from ipledger.errors import ValidationError
from ipledger.sources import generator, scenarios
from ipledger.sources.generator import generate_market
from ipledger.sources.scenarios import MAX_PRICE, SCENARIOS, Scenario, licence_share, life_curve

SALES = ("assignment", "auction")


def test_price_process_imports_nothing_from_the_valuation() -> None:
    # The backtest is only fair if the market is not priced with the model's own formulas.
    for module in (generator, scenarios):
        tree = ast.parse(inspect.getsource(module))
        names = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        names += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [m for m in names if m.startswith("ipledger.valuation")], module.__name__


def test_every_scenario_generates_and_unknown_is_refused() -> None:
    assert {"base", "heavy_tails", "nonlinear", "omitted_driver", "regime_shift", "noisy", "thin"} < set(SCENARIOS)
    assert {"first_sale", "all"} < set(SCENARIOS)
    with pytest.raises(ValidationError):
        generate_market(seed=1, n_assets=20, n_transactions=50, scenario="nope")


def test_heavy_tails_are_heavier_and_guarded() -> None:
    base = generate_market(seed=9, n_assets=1500, n_transactions=6000)
    heavy = generate_market(seed=9, n_assets=1500, n_transactions=6000, scenario="heavy_tails")
    lb, lh = np.log(base.latent_value), np.log(heavy.latent_value)
    kurt = [float(((x - x.mean()) ** 4).mean() / x.var() ** 2) for x in (lb, lh)]
    assert kurt[1] > kurt[0]
    amounts = heavy.transactions["amount"]
    assert np.isfinite(amounts).all() and amounts.max() <= MAX_PRICE
    extreme = Scenario("extreme", tail_df=1.01, quality_sd=5.0)
    m = generate_market(seed=2, n_assets=800, n_transactions=2000, scenario=extreme)
    assert np.isfinite(m.transactions["amount"]).all() and m.transactions["amount"].max() <= MAX_PRICE


def test_regime_shift_changes_only_later_prices() -> None:
    base = generate_market(seed=4, n_assets=600, n_transactions=4000)
    shifted = generate_market(seed=4, n_assets=600, n_transactions=4000, scenario="regime_shift")
    before = base.transactions["date"] < "2024-07-01"
    sale = base.transactions["kind"].isin(SALES)
    a, b = base.transactions["amount"], shifted.transactions["amount"]
    assert (a[before & sale] == b[before & sale]).all()
    ratio = np.log(b[~before & sale] / a[~before & sale])
    assert ratio.median() < -0.1  # the level drops 25% on average, fields re-rank around it


def test_first_sale_market_has_few_repeat_sales() -> None:
    sc = SCENARIOS["first_sale"]
    m = generate_market(seed=3, n_assets=sc.n_assets // 4, n_transactions=sc.n_transactions // 4, scenario=sc)
    sales = m.transactions[m.transactions["kind"].isin(SALES)]
    repeat_share = 1 - sales["asset_id"].nunique() / len(sales)
    assert repeat_share < 0.35


def test_life_and_licence_curves_are_the_generators_own() -> None:
    kind = np.array(["invention", "invention", "trademark"])
    got = life_curve(kind, np.array([20.0, 5.0, np.inf]), np.array([20.0, 20.0, np.inf]))
    assert got == pytest.approx([1.0, 0.25**0.6, 1.0])
    share = licence_share(np.array(["exclusive", "non_exclusive"]), np.array([4.0, 20.0]), np.array([16.0, 10.0]))
    assert share == pytest.approx([0.65 * 0.5, 0.12])
