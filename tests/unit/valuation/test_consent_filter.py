"""Comparables by party consent: any, prefer, require."""

from __future__ import annotations

import pandas as pd
import pytest

from ipledger.errors import ValidationError
from ipledger.valuation.comparables import MIN_CONSENTED, consent_filter


def _tx(signed: int, unsigned: int) -> pd.DataFrame:
    return pd.DataFrame({"record_id": range(signed + unsigned), "consent": [2] * signed + [0] * unsigned})


def test_any_keeps_everything_and_require_keeps_signed() -> None:
    tx = _tx(3, 7)
    assert len(consent_filter(tx)) == 10
    assert consent_filter(tx, "require")["consent"].tolist() == [2, 2, 2]
    assert len(consent_filter(tx.drop(columns="consent"), "require")) == 0  # a store without consent


def test_prefer_falls_back_when_too_few_are_signed() -> None:
    assert len(consent_filter(_tx(MIN_CONSENTED - 1, 5), "prefer")) == MIN_CONSENTED + 4
    assert len(consent_filter(_tx(MIN_CONSENTED, 5), "prefer")) == MIN_CONSENTED
    with pytest.raises(ValidationError):
        consent_filter(_tx(1, 1), "sometimes")
