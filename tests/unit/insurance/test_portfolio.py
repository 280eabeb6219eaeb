"""Portfolio simulation: flat vs risk-tiered pricing, book from quotes, simulation accuracy."""

from __future__ import annotations

import numpy as np
import pytest

from ipledger.errors import PricingError
from ipledger.insurance import Loadings, RiskProfile, quote
from ipledger.insurance.portfolio import (
    book_from_quotes,
    compare_pricing,
    flat_premium,
    simulate_claims,
    simulate_portfolio,
    synthetic_book,
)


def test_tiered_pricing_keeps_deciles_together_and_flat_spreads() -> None:
    r = compare_pricing(2_000, 3_000, seed=3)
    assert r["tiered_max_decile_dev"] < 0.15
    assert r["flat_max_decile_dev"] > 0.5
    assert r["tiered_book_loss_ratio"] == pytest.approx(Loadings().target_loss_ratio, rel=0.1)
    assert 0.0 <= r["tiered_prob_claims_exceed_premium"] <= 1.0


def test_simulated_claims_match_expected_loss() -> None:
    book = synthetic_book(500, seed=1, frailty_cv=0.0)
    per_sim, per_policy = simulate_claims(book, 20_000, seed=2)
    expected = book.expected_loss().sum()
    assert per_sim.mean() == pytest.approx(expected, rel=0.05)
    assert per_policy.sum() == pytest.approx(per_sim.sum())


def test_multi_year_horizon_and_subsidy() -> None:
    book = synthetic_book(300, seed=4)
    one = simulate_portfolio(book, n_sims=500, n_years=1, seed=5)
    three = simulate_portfolio(book, n_sims=500, n_years=3, seed=5)
    assert three.premium == pytest.approx(3 * one.premium)
    assert one.subsidy == pytest.approx(one.premium)  # year 1: 100% for every pilot firm
    assert one.premium < three.subsidy < three.premium  # tapering afterwards
    s = three.summary()
    assert set(s) >= {"loss_ratio_p99", "prob_claims_exceed_premium", "insurer_expected_result", "subsidiser_cost"}


def test_book_from_quotes() -> None:
    quotes = [
        quote(v, p, RiskProfile(firm_type=f))
        for v, p, f in [
            (1e6, "champion_patent_guard", "champion"),
            (3e6, "small_micro_patent_guard", "sme"),
            (2e6, "infringement_liability", "sme"),
        ]
    ]
    book = book_from_quotes(quotes)
    assert book.n == 3
    assert np.allclose(book.premium, [q.gross_premium for q in quotes])
    # The book's expected loss equals the quotes' per-claim expectations.
    assert np.allclose(book.expected_loss(), [sum(q.expected_loss_by_head.values()) for q in quotes])
    assert book.subsidy_rate[1].tolist() == pytest.approx([1.0, 0.9, 0.8])
    assert np.all(flat_premium(book)[:2] == [25_000, 10_000])
    with pytest.raises(PricingError):
        book_from_quotes([])
    with pytest.raises(PricingError):
        simulate_claims(book, 0)


def test_dependence_reinsurance_and_capital() -> None:
    from ipledger.insurance import aggregate, reinsurance

    book = synthetic_book(2_000, seed=5)
    field = np.array(["a", "b"] * 1_000)
    indep = aggregate.simulate(book, 4_000, seed=6)
    dep = aggregate.simulate(book, 4_000, dependence=aggregate.Dependence(0.4, 0.3, 0.02), field=field, seed=6)
    # Independent claims reproduce the expected loss; dependence fattens the tail.
    assert indep.per_sim().mean() == pytest.approx(book.expected_loss().sum(), rel=0.05)
    assert reinsurance.capital(dep.per_sim()) > 1.5 * reinsurance.capital(indep.per_sim())
    # co-TVaR shares add up to the capital.
    assert reinsurance.allocate_capital(dep).sum() == pytest.approx(reinsurance.capital(dep.per_sim()))
    # Two policies on one patent share a claim pro rata: paid once, split by sum insured.
    group = np.arange(book.n)
    group[1] = 0
    shared = aggregate.simulate(book, 4_000, group=group, seed=7)
    both = shared.claim[np.isin(shared.policy, [0, 1])]
    assert len(both) and np.all(np.bincount(both)[np.unique(both)] == 2)
    share = book.aggregate[0] / (book.aggregate[0] + book.aggregate[1])
    a0 = shared.amount[shared.policy == 0].sum()
    a1 = shared.amount[shared.policy == 1].sum()
    assert a0 / (a0 + a1) == pytest.approx(share)
    # Treaties: gross = net + ceded; the stop-loss only pays above its attachment.
    res = reinsurance.apply(dep, float(book.premium.sum()), reinsurance.Treaties(stop_loss_attachment=0.5))
    assert np.allclose(res.gross_claims, res.net_claims + res.xol_ceded + res.qs_ceded)
    assert np.all(res.stop_loss <= np.maximum(res.net_claims - 0.5 * res.net_premium, 0.0) + 1e-6)
    s = res.summary()
    assert s["net_capital_tvar99"] < s["gross_capital_tvar99"]
    assert s["stop_loss_prob_triggered"] > 0


def test_capital_ratio_default_is_the_reference_books() -> None:
    from ipledger.insurance import aggregate, reinsurance

    book = synthetic_book(10_000, seed=0)
    rng = np.random.default_rng(0)
    field = rng.choice(list(__import__("ipledger.insurance.calibration", fromlist=["x"]).FIELD_FREQUENCY), 10_000)
    c = aggregate.simulate(book, 3_000, dependence=aggregate.Dependence(), field=field, seed=1)
    ratio = reinsurance.capital(c.per_sim()) / c.per_sim().mean()
    assert ratio == pytest.approx(Loadings().capital_ratio, rel=0.25)
