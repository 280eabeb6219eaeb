"""The royalty screen on the licence tables a young ledger gives, including none at all."""

from __future__ import annotations

import pandas as pd

from ipledger.valuation.royalty import screen


def _table(rows: list[dict[str, object]]) -> pd.DataFrame:
    cols = ["record_id", "date", "royalty_rate", "exclusivity", "territory", "term_end", "asset_kind", "asset_field"]
    return pd.DataFrame(rows, columns=cols).astype({"record_id": "int64", "royalty_rate": "float64"})


def test_an_empty_licence_table_screens_to_an_empty_table() -> None:
    out = screen(_table([]))  # a ledger with assets and no licence yet
    assert len(out) == 0 and {"kept", "adjusted_rate", "short_term"} <= set(out.columns)


def test_short_terms_and_rates_above_the_cap_are_screened_out() -> None:
    day = pd.Timestamp("2021-01-01")
    out = screen(
        _table(
            [
                dict(
                    record_id=1,
                    date=day,
                    royalty_rate=0.05,
                    exclusivity="exclusive",
                    territory="CN",
                    term_end=pd.Timestamp("2026-01-01"),
                    asset_kind="invention",
                    asset_field="machinery",
                ),
                dict(
                    record_id=2,
                    date=day,
                    royalty_rate=0.05,
                    exclusivity="exclusive",
                    territory="CN",
                    term_end=pd.Timestamp("2021-02-01"),
                    asset_kind="invention",
                    asset_field="machinery",
                ),
                dict(
                    record_id=3,
                    date=day,
                    royalty_rate=0.60,
                    exclusivity="exclusive",
                    territory="CN",
                    term_end=pd.NaT,
                    asset_kind="invention",
                    asset_field="machinery",
                ),
            ]
        )
    )
    assert out["kept"].tolist() == [True, False, False]
    assert out["short_term"].tolist() == [False, True, False] and out["above_cap"].tolist() == [False, False, True]
