"""Misspecified books: the truth is not the pricing model's own rate function."""

from __future__ import annotations

import numpy as np
import pytest

from ipledger.insurance import calibration as cal
from ipledger.insurance.validation import SCENARIOS, Scenario, build, run, true_frequency


def test_truth_differs_from_the_rating_where_the_scenario_says() -> None:
    off = build(2_000, Scenario("fields_off", field_sd=0.5, frailty_cv=0.0), seed=1)
    ratio = off.true_frequency / off.book.frequency
    by_field = {f: float(np.mean(ratio[off.attrs["field"] == f])) for f in cal.FIELD_FREQUENCY}
    assert max(by_field.values()) / min(by_field.values()) > 1.5  # fields off, not a constant
    # The same attributes with no misspecification reproduce the rated frequency exactly: the
    # truth function is independent code, not a call of LossModel.rate.
    base, frailty = true_frequency(off.attrs, Scenario("none", frailty_cv=0.0), np.random.default_rng(0))
    assert np.all(frailty == 1.0)
    assert base == pytest.approx(off.book.frequency, rel=1e-9)
    sel = build(2_000, Scenario("adverse", frailty_cv=0.8, selection=1.5), seed=1)
    assert sel.true_frequency.sum() > 1.3 * sel.book.frequency.sum()  # buyers are riskier than priced


def test_experience_rating_moves_the_book_towards_target_and_plain_tiering_does_not() -> None:
    r = run(Scenario("adverse", frailty_cv=0.8, selection=1.5), n=3_000, years=4, seed=2)
    exp, tiered, flat = r["experience"], r["tiered"], r["flat"]
    assert tiered["per_year"]["book_lr"][0] > 1.0  # adverse selection: priced as average, worse
    assert tiered["per_year"]["book_lr"][-1] == tiered["per_year"]["book_lr"][0]  # never learns
    assert abs(exp["per_year"]["book_lr"][-1] - r["target_loss_ratio"]) < abs(
        tiered["per_year"]["book_lr"][-1] - r["target_loss_ratio"]
    )
    assert flat["max_field_dev"] > tiered["max_field_dev"] or flat["max_decile_dev"] > 0.5
    assert len(exp["per_year"]["field_lr"]) == 4 and len(exp["per_year"]["true_decile_lr"][0]) == 10
    # One refit per year end before the last, on a growing count of reported claims.
    reported = [f["reported"] for f in r["refits"]]
    assert len(reported) == 3 and reported == sorted(reported) and reported[-1] <= r["claims"]
    assert all(0.0 <= f["z_frequency"] < 1.0 and 0.0 <= f["z_severity"] <= 1.0 for f in r["refits"])
    assert {s.name for s in SCENARIOS} == {
        "fields_off",
        "firm_reversed",
        "adverse_selection",
        "strong_frailty",
        "campaign",
    }
