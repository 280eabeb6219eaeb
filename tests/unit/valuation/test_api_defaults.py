"""The public API's names and signatures, the lazy market import, and the field defaults."""

from __future__ import annotations

import inspect
import sys

import pytest

import ipledger.valuation as val
from ipledger.valuation.defaults import (
    FIELDS,
    SOURCES,
    class_code_system,
    field_defaults,
    field_from_class_code,
    normalise_field,
)

SIGNATURES = {
    "relief_from_royalty": "(revenues, royalty_rate, tax_rate, discount_rate, *, mid_year=False, tab_period=None)",
    "tab_factor": "(tax_rate, discount_rate, period, *, mid_year=False)",
    "income_value": "(cash_flows, discount_rate, *, tax_rate=0.0, mid_year=False)",
    "profit_split_share": "(ip_cost, ip_profit_rate, other_cost, other_profit_rate)",
    "royalty_to_profit_split": "(royalty_rate_on_sales, operating_margin)",
    "cost_value": (
        "(replacement_cost, years_used, years_remaining, *, price_change=0.0, entrepreneurial_incentive=0.0, "
        "functional_obsolescence=0.0, economic_obsolescence=0.0)"
    ),
    "damages": "(units, unit_price, profit_margin, contribution=1.0)",
    "reconcile": "(results, *, min_methods=1, error_sd=None, cost_role='check')",
}


@pytest.mark.parametrize(("name", "expected"), sorted(SIGNATURES.items()))
def test_public_signatures(name: str, expected: str) -> None:
    sig = inspect.signature(getattr(val, name))
    plain = sig.replace(
        parameters=[p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()],
        return_annotation=inspect.Signature.empty,
    )
    assert str(plain) == expected


def test_value_asset_signature() -> None:
    params = inspect.signature(val.value_asset).parameters
    assert list(params)[:5] == ["ledger", "asset_id", "as_of", "methods", "inputs"]
    assert params["as_of"].default is None and params["inputs"].default is None
    assert tuple(params["methods"].default) == ("market", "income", "cost")


def test_every_public_name_has_a_docstring() -> None:
    for name in val.__all__:
        if name == "MarketModel":
            continue
        assert (getattr(val, name).__doc__ or "").strip(), name


def test_market_model_is_lazy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ipledger.valuation.market", None)
    with pytest.raises(ImportError):
        _ = val.MarketModel
    with pytest.raises(AttributeError):
        _ = val.no_such_name


@pytest.mark.parametrize(
    ("code", "field"),
    [
        ("A61K31/00", "pharmaceuticals"),
        ("A61B5/00", "medical_devices"),
        ("C12N15/10", "biotechnology"),
        ("H01L21/02", "semiconductors"),
        ("H04W72/04", "telecommunications"),
        ("G06F3/01", "computing"),
        ("B60L53/00", "automotive"),
        ("35", None),  # a Nice class says nothing about a technical field
        ("14-03", None),  # nor a Locarno class
        ("CR-film", None),  # not IPC section C: not a valid code at all
        ("C", None),  # a bare section is not an IPC class
        ("Z99", None),  # no section Z
        ("46", None),  # Nice runs 1-45
        ("", None),
        (None, None),
    ],
)
def test_field_from_ipc(code: str | None, field: str | None) -> None:
    assert field_from_class_code(code) == field


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ("Pharmaceuticals", "pharmaceuticals"),
        ("medical devices", "medical_devices"),
        ("computing and AI", "computing"),
        ("organic chemistry", "chemicals"),
        ("vehicles", "automotive"),
        ("basket weaving", None),
        (None, None),
    ],
)
def test_field_names_normalised(raw: str | None, field: str | None) -> None:
    assert normalise_field(raw) == field


@pytest.mark.parametrize(
    ("code", "system"),
    [
        ("A61K31/00", "ipc"),
        ("H04L", "ipc"),
        ("G06", "ipc"),
        ("14-03", "locarno"),
        ("25", "nice"),
        ("45", "nice"),
        ("46", None),
        ("0", None),
        ("CR-film", None),
        ("SW-games", None),
        ("C", None),
        ("1403", None),
    ],
)
def test_class_code_systems(code: str, system: str | None) -> None:
    assert class_code_system(code) == system


def test_field_defaults_fallbacks() -> None:
    assert field_defaults(None, "H01L21/00")[0] == "semiconductors"
    assert field_defaults("unknown", "35")[0] == "general"
    # a film with a non-IPC code is a creative work, not "materials" (IPC section C)
    assert field_defaults(None, "CR-film", "copyright")[0] == "creative_works"
    assert field_defaults(None, "25", "trademark")[0] == "brands"
    assert field_defaults(None, "SW-games", "software")[0] == "software"
    for name, d in FIELDS.items():
        assert 0 < d.royalty_p10 < d.royalty_p50 < d.royalty_p90 < 1, name
        assert d.economic_life > 0 and 0 < d.discount_rate < 1, name
        assert d.royalty_source in SOURCES and d.discount_source in SOURCES and d.life_source in SOURCES
