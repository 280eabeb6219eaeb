"""Experience rating: Buhlmann-Straub class relativities, book frequency and severity levels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ipledger.errors import PricingError
from ipledger.insurance import experience as ex


def test_levels_that_differ_only_by_noise_are_not_rerated() -> None:
    rel, z, tau2 = ex.level_credibility(np.array([9.0, 11.0, 10.0]), np.array([10.0, 10.0, 10.0]))
    assert tau2 == 0.0 and np.all(z == 0.0) and rel == pytest.approx(np.ones(3))


def test_levels_that_differ_clearly_get_credibility_by_their_volume() -> None:
    expected = np.array([400.0, 400.0, 40.0])
    observed = np.array([200.0, 600.0, 40.0])  # r = 0.5, 1.5, 1.0
    rel, z, tau2 = ex.level_credibility(observed, expected)
    assert tau2 > 0.1
    assert z[0] == pytest.approx(400 / (400 + 1 / tau2)) and z[2] < z[0]
    assert rel[0] < 0.6 and rel[1] > 1.4  # near the observed ratios: 400 expected claims each
    assert float((expected * rel).sum()) == pytest.approx(float(expected.sum()))  # balanced


def test_paying_share_from_head_probabilities_and_deductibles() -> None:
    prob = np.array([[0.5, 0.0], [1.0, 0.0]])
    mu, sigma = np.zeros((2, 2)), np.ones((2, 2))
    ded = np.array([[0.0, 0.0], [1.0, 0.0]])  # median loss 1 = deductible: half pay
    assert ex.paying_share(prob, mu, sigma, ded) == pytest.approx([0.5, 0.5])


def _book(n: int, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "field": rng.choice(["a", "b", "c"], size=n),
            "firm": rng.choice(["sme", "micro"], size=n),
            "stage": "mature",
            "export": "",
        }
    )


def _claims(lam: np.ndarray, years: int, rng: np.random.Generator) -> pd.DataFrame:
    frames = []
    for a in range(1, years + 1):
        pol = np.repeat(np.arange(len(lam)), rng.poisson(lam))
        ult = rng.lognormal(np.log(100.0) - 0.5, 1.0, size=len(pol))  # mean 100
        frames.append(
            pd.DataFrame(
                {
                    "pol": pol,
                    "acc": a,
                    "lag": rng.choice(4, size=len(pol), p=[0.55, 0.30, 0.10, 0.05]),
                    "ult": ult,
                    "reserve": ult,
                    "event": False,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_refit_finds_a_mispriced_field_and_the_book_level_from_the_books_own_claims() -> None:
    rng = np.random.default_rng(3)
    attrs = _book(20_000, rng)
    freq = np.full(len(attrs), 0.05)
    per_claim = np.full(len(attrs), 100.0)
    manual = freq * per_claim / 0.7
    # Truth: field "c" twice as risky as priced, the whole book 30% riskier (adverse selection).
    true = freq * 1.3 * np.where(attrs["field"] == "c", 2.0, 1.0)
    fit = ex.refit(attrs, freq, per_claim, manual, _claims(true, 4, rng), 4)
    c = (attrs["field"] == "c").to_numpy()
    ratio = fit.premium / manual
    # Relativity of c to the others near 2; the book level near the truth's average.
    assert 1.7 < ratio[c].mean() / ratio[~c].mean() < 2.3
    assert float((fit.premium * 0.7).sum()) == pytest.approx(float((true * per_claim).sum()), rel=0.1)
    assert fit.levels["firm"]["sme"][2] == 0.0  # firm types are priced right: no re-rating
    # Severity: ~5,800 claims of CV ~1.3 exceed the 1,082 x CV^2 standard; priced right.
    assert fit.z_severity == 1.0 and fit.severity_factor == pytest.approx(1.0, abs=0.1)


def test_refit_needs_a_year_of_claims() -> None:
    rng = np.random.default_rng(0)
    attrs = _book(10, rng)
    with pytest.raises(PricingError):
        ex.refit(attrs, np.ones(10), np.ones(10), np.ones(10), _claims(np.ones(10), 1, rng), 0)


def test_campaign_claims_are_a_load_per_policy_not_a_multiple_of_rated_frequency() -> None:
    rng = np.random.default_rng(5)
    attrs = _book(20_000, rng)
    freq = np.where(attrs["field"] == "a", 0.02, 0.08)  # low- and high-frequency policies
    per_claim = np.full(len(attrs), 100.0)
    manual = freq * per_claim / 0.7
    claims = _claims(freq, 4, rng)
    event = _claims(np.full(len(attrs), 0.01), 4, rng).assign(event=True)
    fit = ex.refit(attrs, freq, per_claim, manual, pd.concat([claims, event], ignore_index=True), 4)
    extra = (fit.premium - manual * fit.relativity * fit.frequency_factor * fit.severity_factor) * 0.7
    # The event load is the same per policy (about 0.01 claims x 100 a year), whatever the freq.
    a = (attrs["field"] == "a").to_numpy()
    assert fit.event_load == pytest.approx(0.01, rel=0.15)
    assert extra[a].mean() == pytest.approx(extra[~a].mean(), rel=1e-6)
    assert fit.frequency_factor == pytest.approx(1.0, abs=0.05)  # single claims as priced
