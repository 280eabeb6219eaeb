"""CUAD royalty-rate import: an inline sample, and the real file when present."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ipledger.errors import ValidationError
from ipledger.sources.cuad import LICENCE_COLUMNS, extract_rates, parse_cuad, rate_summary

SAMPLE = pd.DataFrame(
    {
        "Filename": ["a.pdf", "b.pdf", "c.pdf", "d.pdf", "e.pdf"],
        "Document Name-Answer": ["LICENSE AGREEMENT"] * 5,
        "Parties-Answer": ['Acme Inc. ("Licensor"); Beta LLC ("Licensee")', "X; Y", "X; Y", "X; Y", "X; Y"],
        "Agreement Date-Answer": ["1/15/2010", "2/1/2011", "", "3/3/2012", "4/4/2013"],
        "Effective Date-Answer": ["2/1/2010", "", "", "", ""],
        "Expiration Date-Answer": ["2/1/2015", "", "", "", ""],
        "Renewal Term-Answer": ["successive 1 year", "", "", "", ""],
        "Exclusivity-Answer": ["Yes", "No", "No", "No", "No"],
        "Revenue/Profit Sharing": [
            "['Licensee shall pay Licensor a royalty of five percent (5%) of Net Sales of Licensed Products.']",
            "['Licensee shall pay a royalty of [* * *] of Net Sales.']",
            "",
            "['Each party shall receive 50% of advertising revenue.']",
            "['Licensee shall pay royalties of $2.00 per unit sold.']",
        ],
        "Revenue/Profit Sharing-Answer": ["Yes", "Yes", "No", "Yes", "Yes"],
    }
)


def test_inline_sample(tmp_path: Path) -> None:
    path = tmp_path / "master_clauses.csv"
    SAMPLE.to_csv(path, index=False)
    lic, rej = parse_cuad(path)
    assert list(lic.columns) == LICENCE_COLUMNS
    assert len(lic) == 1 and len(rej) == 4
    row = lic.iloc[0]
    assert row["royalty_rate"] == pytest.approx(0.05) and row["basis"] == "net sales"
    assert row["licensor"] == "Acme Inc." and row["licensee"] == "Beta LLC"
    assert row["exclusivity"] == "exclusive" and row["term_years"] == pytest.approx(5.0, abs=0.01)
    reasons = dict(zip(rej["filename"], rej["reason"], strict=True))
    assert reasons["b.pdf"] == "rate redacted"
    assert reasons["c.pdf"] == "no revenue/profit-sharing clause"
    assert "not a royalty" in reasons["d.pdf"]
    assert reasons["e.pdf"] == "no explicit percentage"


def test_rates_are_never_invented() -> None:
    assert extract_rates("Licensee shall credit 50% of such Other Royalties against royalties due.")[0] == []
    rates, basis, is_roy, _ = extract_rates("Royalty in Percent of Net Sales: under 10 million 7% above 10 million 8%")
    assert rates == [0.07, 0.08] and is_roy and basis == "net sales"


def test_not_cuad(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValidationError):
        parse_cuad(path)


def test_real_cuad_file(cuad_csv: Path) -> None:
    lic, rej = parse_cuad(cuad_csv)
    assert len(lic) + len(rej) == 510
    assert 15 <= len(lic) <= 40
    assert lic["royalty_rate"].between(0, 0.5, inclusive="right").all()
    assert (rej["reason"] == "no revenue/profit-sharing clause").sum() == 344
    s = rate_summary(lic)
    assert 0.03 <= s["median"] <= 0.15
