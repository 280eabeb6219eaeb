"""Claims data model and development to ultimate (chainladder)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ipledger.errors import PricingError
from ipledger.insurance import claims as clm
from ipledger.insurance.development import develop, prior_cdf


def _tx(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"claim_ref": r, "policy_hash": "0xp", "kind": k, "date": pd.Timestamp(d), "amount": a, "head": 1}
            for r, k, d, a in rows
        ]
    )


def test_claim_state_follows_reserve_payments_recoveries_and_shared_awards() -> None:
    tx = _tx(
        [
            ("C1", "opened", "2021-03-01", 300_000),  # notified: date of loss, initial case reserve
            ("C1", "paid", "2021-09-01", 100_000),  # out of the reserve
            ("C1", "reserved", "2022-02-01", 150_000),  # reserve revised
            ("C1", "recovered", "2022-06-01", 80_000),  # subrogation
            ("C1", "award_shared", "2022-07-01", 20_000),  # award shared back with the insured
            ("C1", "paid", "2022-08-01", 120_000),
            ("C1", "closed", "2022-09-01", 0),
        ]
    )
    mid = clm.states(tx, "2021-12-31").iloc[0]
    assert (mid.paid, mid.case_reserve, mid.incurred) == (100_000, 200_000, 300_000)
    end = clm.states(tx).iloc[0]
    assert end.closed and end.case_reserve == 0
    assert end.incurred == pytest.approx(220_000 + 20_000 - 80_000)
    assert end.net_paid == pytest.approx(end.incurred)
    with pytest.raises(PricingError, match="first transaction"):
        clm.states(_tx([("C2", "paid", "2021-01-01", 5)]))


def test_development_recovers_ultimates_of_a_known_pattern() -> None:
    pattern = np.cumsum([0.55, 0.30, 0.10, 0.05])
    rows = []
    for o in range(2018, 2024):
        for v in range(o, 2024):
            rows.append(
                {
                    "origin": str(o),
                    "valuation": pd.Timestamp(f"{v}-12-31"),
                    "incurred": 1000.0 * pattern[min(v - o, 3)],
                    "reported": 40.0 * pattern[min(v - o, 3)],
                }
            )
    frame = pd.DataFrame(rows)
    r = develop(frame, "incurred", expected=pd.Series({str(o): 900.0 for o in range(2018, 2024)}))
    assert r.ultimate_cl == pytest.approx(np.full(6, 1000.0))
    assert r.ibnr_cl[-1] == pytest.approx(450.0)
    # BF: the latest year's IBNR comes from the prior (900), not its own reported figure.
    assert r.ibnr_bf is not None and r.ibnr_bf[-1] == pytest.approx(0.45 * 900.0)
    assert r.mack_std_err == pytest.approx(0.0, abs=1e-6)  # no volatility in the link ratios
    # Two years only: late link ratios are unknown, the prior tail closes the triangle.
    young = develop(frame[frame["valuation"].dt.year <= 2019], "reported")
    assert young.ultimate_cl == pytest.approx([40.0, 40.0])
    assert prior_cdf()[0] == pytest.approx(1 / 0.55)


def test_development_frame_from_transactions() -> None:
    tx = _tx(
        [
            ("A", "opened", "2020-05-01", 100.0),
            ("A", "paid", "2021-05-01", 60.0),
            ("B", "opened", "2021-02-01", 50.0),
            ("B", "closed", "2021-12-01", 0.0),
        ]
    )
    f = clm.development_frame(tx)
    a2020 = f[f["origin"] == "2020"].sort_values("valuation")
    assert list(a2020["incurred"]) == [100.0, 100.0] and list(a2020["paid"]) == [0.0, 60.0]
    assert f[(f["origin"] == "2021")]["reported"].tolist() == [1.0]
