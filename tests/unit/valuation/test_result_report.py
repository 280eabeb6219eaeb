"""Valuation result: canonical hash, JSON and the self-contained HTML report."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from ipledger.valuation import MethodResult, Valuation
from ipledger.valuation._canonical import canonical_json, plain


def make(**overrides: object) -> Valuation:
    fields: dict[str, object] = {
        "asset_id": "0x" + "ab" * 32,
        "as_of": "2024-06-30",
        "currency": "CNY",
        "value": 1_000_000.0,
        "low": 800_000.0,
        "high": 1_300_000.0,
        "methods": [
            MethodResult("market", 1_100_000.0, 900_000.0, 1_400_000.0, n_data=4, weight=0.6),
            MethodResult("cost", 850_000.0, 600_000.0, 1_100_000.0, n_data=1, weight=0.4),
        ],
        "weights": {"market": 0.6, "cost": 0.4},
        "comparables": [
            {
                "record_id": 7,
                "tx_hash": "0x" + "cd" * 32,
                "log_index": 2,
                "date": "2023-04-01",
                "amount": 1_200_000.0,
                "weight": 0.7,
            },
            {
                "record_id": 9,
                "tx_hash": "0x" + "ef" * 32,
                "log_index": 0,
                "date": "2022-01-05",
                "amount": 950_000.0,
                "weight": 0.3,
            },
        ],
        "inputs": {"tax_rate": 0.25, "discount_rate": 0.15},
        "assumptions": {"tax_rate": "Enterprise Income Tax Law art. 4 <25%>"},
        "warnings": ["value rests on & two methods"],
        "model_version": "test",
        "state_block": 12,
        "state_hash": "0x" + "11" * 32,
    }
    fields.update(overrides)
    return Valuation(**fields)  # type: ignore[arg-type]


def test_report_hash_is_deterministic_and_covers_fields() -> None:
    a, b = make(), make()
    assert a.report_hash == b.report_hash
    assert re.fullmatch(r"0x[0-9a-f]{64}", a.report_hash)
    assert make(value=1_000_001.0).report_hash != a.report_hash
    assert make(state_block=13).report_hash != a.report_hash
    assert make(warnings=[]).report_hash != a.report_hash


def test_report_hash_ignores_float_noise_and_key_order() -> None:
    a = make()
    noisy = make(value=1_000_000.0 * (1 + 1e-14), inputs={"discount_rate": 0.15, "tax_rate": 0.25 + 1e-17})
    assert noisy.report_hash == a.report_hash


def test_negative_zero_hashes_like_zero() -> None:
    assert canonical_json({"x": -0.0}) == canonical_json({"x": 0.0}) == '{"x":0.0}'


def test_report_hash_is_sha256_of_canonical_payload() -> None:
    import hashlib

    v = make()
    digest = hashlib.sha256(canonical_json(v.hash_payload()).encode()).hexdigest()
    assert v.report_hash == "0x" + digest


def test_to_dict_and_json() -> None:
    v = make()
    d = v.to_dict()
    assert d["report_hash"] == v.report_hash
    assert d["methods"][0]["weight"] == 0.6
    assert json.loads(v.to_json()) == d
    canonical = v.to_json(indent=None)
    assert " " not in canonical.split('"warnings"')[0].replace("Enterprise Income Tax Law art. 4 <25%>", "")


def test_plain_handles_numpy_pandas_and_nan() -> None:
    import numpy as np
    import pandas as pd

    out = plain(
        {
            "a": np.float64(0.1),
            "b": np.int64(3),
            "c": pd.Timestamp("2024-01-02"),
            "d": float("nan"),
            "e": pd.NaT,
            "f": (1, 2),
            "g": np.bool_(True),
        }
    )
    assert out == {"a": 0.1, "b": 3, "c": "2024-01-02T00:00:00", "d": None, "e": None, "f": [1, 2], "g": True}


def test_html_is_self_contained_with_headline_and_charts(tmp_path: Path) -> None:
    v = make()
    target = tmp_path / "report.html"
    html = v.to_html(target)
    assert target.read_text(encoding="utf-8") == html
    assert v.report_hash in html and v.asset_id in html
    assert "CN¥1,000,000" in html and "CN¥800,000" in html and "CN¥1,300,000" in html and "CNY" in html
    pngs = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(pngs) == 1  # the comparables chart; the range chart is HTML
    assert all(base64.b64decode(p).startswith(b"\x89PNG") for p in pngs)
    assert "0x" + "cd" * 32 in html  # comparables table carries tx hashes
    assert "&lt;25%&gt;" in html and "&amp; two methods" in html  # escaped
    assert not re.search(r'(src|href)="(http|//)', html)  # nothing fetched from elsewhere


def test_html_without_comparables() -> None:
    html = make(comparables=[]).to_html()
    assert "No market comparables" in html
    assert len(re.findall(r"data:image/png;base64", html)) == 0


@pytest.mark.parametrize("field", ["value", "low", "high", "currency", "asset_id", "report_hash"])
def test_insurance_facing_attributes(field: str) -> None:
    assert getattr(make(), field) is not None
