"""Glue between the ledger, valuation, insurance and the anchors on chain.

- ``risk_profile_for``: an insurance risk profile read from an asset's ledger record;
- ``anchor_valuation`` / ``anchor_quote``: store the canonical report in the document store
  (its SHA-256 is the report hash) and anchor the hash with headline figures on chain;
(Reproducing an anchored valuation from the chain state it names is the audit's:
``ipledger.audit.recompute_valuation``.)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from ipledger.chain.codes import AnchorKind
from ipledger.chain.records import AnchorInput, WriteResult, to_timestamp
from ipledger.errors import ValuationError
from ipledger.money import check_currency, to_minor

IP_TYPES = {
    "invention": "patent",
    "utility_model": "patent",
    "design": "patent",
    "trademark": "trademark",
    "copyright": "copyright",
    "software": "copyright",
    "trade_secret": "patent",
}


def risk_profile_for(ledger: Any, asset_id: str, **overrides: Any) -> Any:
    """An insurance RiskProfile from the asset's kind, field, lifecycle stage, the owner's
    portfolio size and its status history; ``overrides`` set any field (firm_type,
    export_markets, ...)."""
    from ipledger.insurance import calibration as cal
    from ipledger.insurance.loss import RiskProfile

    aid = ledger.resolve_asset(asset_id)
    assets = ledger.assets()
    row = assets[assets["asset_id"] == aid].iloc[0]
    stage = "application" if row["status"] == "pending" or pd.isna(row["grant_date"]) else "in_force"
    field = str(row["field"]) if pd.notna(row["field"]) else "other"
    if field not in getattr(cal, "FIELD_FREQUENCY", {field: 1}):
        field = "other"
    history = ledger.status_history(aid)
    fields: dict[str, Any] = {
        "ip_type": IP_TYPES.get(str(row["kind"]), "patent"),
        "field": field,
        "stage": stage,
        "portfolio_size": max(1, int((assets["owner"] == row["owner"]).sum())),
        "status_history": history[["date", "status"]] if len(history) else None,
    }
    fields.update(overrides)
    return RiskProfile(**fields)


def report_document(payload: dict[str, Any]) -> bytes:
    """The canonical bytes whose SHA-256 is a report's hash."""
    from ipledger.valuation._canonical import canonical_json

    return canonical_json(payload).encode()


def anchor_valuation(ledger: Any, valuation: Any) -> WriteResult:
    """Store the valuation report and anchor its hash, value and range (valuer role)."""
    doc = report_document(valuation.hash_payload())
    digest = ledger.documents.put(doc)
    if "0x" + digest.hex() != valuation.report_hash:
        raise ValuationError("the stored report does not hash to the valuation's report hash")
    cur = check_currency(valuation.currency)  # ISO 4217 before anything is written
    return ledger.client.anchor(
        AnchorInput(
            bytes.fromhex(valuation.asset_id[2:]),
            AnchorKind.VALUATION,
            digest,
            valuation.state_block,
            to_timestamp(valuation.as_of),
            cur,
            to_minor(valuation.value, cur),
            to_minor(valuation.low, cur),
            to_minor(valuation.high, cur),
        )
    )


def anchor_quote(ledger: Any, quote: Any, asset_id: str, state_block: int) -> WriteResult:
    """Store the quote and anchor its hash with sum insured, gross and net premium (insurer role)."""
    digest = ledger.documents.put(quote.canonical_bytes())
    if "0x" + digest.hex() != quote.report_hash:
        raise ValuationError("the stored quote does not hash to the quote's report hash")
    si, gross, net = quote.anchor_figures()
    cur = check_currency(quote.currency)
    # The anchor's date must not be ahead of the chain's clock.
    as_of = min(int(dt.datetime.now(dt.UTC).timestamp()), ledger.backend.block(ledger.backend.head()).timestamp)
    return ledger.client.anchor(
        AnchorInput(
            bytes.fromhex(ledger.resolve_asset(asset_id)[2:]),
            AnchorKind.QUOTE,
            digest,
            state_block,
            as_of,
            cur,
            to_minor(si, cur),
            to_minor(gross, cur),
            to_minor(net, cur),
        )
    )


def record_claim(
    ledger: Any,
    asset_id: str,
    policy_hash: str,
    kind: str,
    amount: float,
    *,
    claim_ref: str,
    head: str = "legal",
    date: Any = None,
    currency: str = "CNY",
    document: bytes | None = None,
) -> WriteResult:
    """Record a claim event on chain (insurer role): ``kind`` is opened (amount = reserve), paid
    (under cost ``head``), recovered (by subrogation) or closed; amounts in major units."""
    from ipledger.chain.codes import ClaimKind
    from ipledger.chain.records import ClaimInput
    from ipledger.insurance.products import COST_HEADS

    if head not in COST_HEADS:
        raise ValuationError(f"unknown cost head {head!r} (heads: {', '.join(COST_HEADS)})")
    code = ClaimKind[kind.upper()]
    currency = check_currency(currency)
    when = to_timestamp(date) if date is not None else ledger.backend.block(ledger.backend.head()).timestamp
    doc = ledger.documents.put(document) if document else b"\0" * 32
    return ledger.client.record_claim(
        ClaimInput(
            bytes.fromhex(ledger.resolve_asset(asset_id)[2:]),
            code,
            bytes.fromhex(policy_hash.removeprefix("0x")),
            _keccak_text(claim_ref),
            when,
            currency,
            to_minor(amount, currency),
            COST_HEADS.index(head),
            doc,
        )
    )


def _keccak_text(text: str) -> bytes:
    from eth_utils import keccak

    return bytes(keccak(text=text))


def claims_experience(ledger: Any, policy_hashes: list[str], exposure_years: float, vhm_cv: float = 0.5) -> Any:
    """A portfolio's claims experience from the claims recorded on chain under its policies:
    paid less recovered by subrogation (major units), over ``exposure_years`` policy-years."""
    from ipledger.chain.codes import ClaimKind
    from ipledger.insurance.quote import ClaimsExperience
    from ipledger.money import to_major

    claims = ledger.claims()
    wanted = {h.lower() if h.startswith("0x") else "0x" + h.lower() for h in policy_hashes}
    paid = 0.0
    if len(claims):
        mine = claims[claims["policy_hash"].isin(wanted)]
        for row in mine.itertuples():
            sign = {int(ClaimKind.PAID): 1.0, int(ClaimKind.RECOVERED): -1.0}.get(int(row.kind), 0.0)
            paid += sign * to_major(int(row.amount), str(row.currency))
    return ClaimsExperience(exposure_years=exposure_years, claims_paid=max(paid, 0.0), vhm_cv=vhm_cv)
