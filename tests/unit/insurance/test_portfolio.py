"""Portfolio simulation: flat vs risk-tiered pricing, book from quotes, simulation accuracy."""

from __future__ import annotations

import numpy as np
import pytest

from ipledger.errors import PricingError
from ipledger.insurance import RiskProfile, quote
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
    assert r["tiered_book_loss_ratio"] == pytest.approx(0.70, rel=0.1)
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
