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


def risk_profile_for(ledger: Any, asset_id: str, *, as_of: Any = None, **overrides: Any) -> Any:
    """An insurance RiskProfile from the asset's kind, field, lifecycle stage, the owner's
    portfolio size and its status history; ``overrides`` set any field (firm_type,
    export_markets, ...).

    The stage follows ``calibration.stage_of``: a pending right (or one with no grant date) is
    an application; otherwise years since grant and years to expiry at ``as_of`` (default
    today, UTC) place it in early life, mature or near expiry.
    """
    from ipledger.insurance import calibration as cal
    from ipledger.insurance.loss import RiskProfile

    aid = ledger.resolve_asset(asset_id)
    assets = ledger.assets()
    row = assets[assets["asset_id"] == aid].iloc[0]
    when = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp(dt.datetime.now(dt.UTC).date())
    granted = not (row["status"] == "pending" or pd.isna(row["grant_date"]))
    in_force = to_expiry = None
    if granted:
        in_force = (when - pd.Timestamp(row["grant_date"])).days / 365.25
        if pd.notna(row["expiry_date"]):
            to_expiry = (pd.Timestamp(row["expiry_date"]) - when).days / 365.25
    stage = cal.stage_of(granted=granted, years_in_force=in_force, years_to_expiry=to_expiry)
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


def parse_inputs(pairs: list[str]) -> dict[str, object]:
    """``KEY=VALUE`` pairs -> valuation inputs; numbers become floats, true/false booleans."""
    import contextlib

    from ipledger.errors import ValidationError

    out: dict[str, object] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise ValidationError(f"--input takes KEY=VALUE, not {pair!r}")
        value: object = text.strip()
        if text.strip().lower() in ("true", "false"):
            value = text.strip().lower() == "true"
        else:
            with contextlib.suppress(ValueError):  # not a number: keep the text
                value = float(text)
        out[key.strip()] = value
    return out


def value_with_options(
    ledger: Any,
    asset_id: str,
    *,
    as_of: str | None = None,
    methods: str = "market,income,cost",
    revenue: float | None = None,
    growth: float = 0.0,
    inputs: list[str] | None = None,
    consent: str | None = None,
) -> Any:
    """Value an asset from the command-line options ``ipledger value`` and ``ipledger quote``
    share: one ``value_asset`` call with the same inputs (``KEY=VALUE`` pairs, revenue and its
    growth enabling the income approach, comparables by party ``consent``), so a quote's
    valuation report hash equals the one ``value`` prints for the same options."""
    from ipledger.valuation import value_asset

    given = parse_inputs(inputs or [])
    if revenue is not None:
        given.update(revenue=revenue, revenue_growth=growth)
    if consent is not None:
        given["consent"] = consent
    return value_asset(
        ledger,
        ledger.resolve_asset(asset_id),
        as_of=as_of,
        methods=tuple(m.strip() for m in methods.split(",")),
        inputs=given or None,
    )


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


def anchor_quote(ledger: Any, quote: Any, asset_id: str, state_block: int, *, policy: bool = False) -> WriteResult:
    """Store the quote and anchor its hash with sum insured, gross and net premium (insurer
    role); ``policy=True`` anchors it as a bound policy (what ``portfolio simulate
    --from-ledger`` simulates)."""
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
            AnchorKind.POLICY if policy else AnchorKind.QUOTE,
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


def claims_experience(
    ledger: Any, policy_hashes: list[str], exposure_years: float, vhm_cv: float = 0.5, *, as_of: Any = None
) -> Any:
    """A portfolio's claims experience from the claims recorded on chain under its policies.

    Credibility works on developed incurred losses, not on payments: each claim's incurred at
    ``as_of`` (paid + case reserve + awards shared - subrogation recoveries), summed by accident
    year and developed to ultimate with the prior reporting pattern's factor at that year's age
    (``development.prior_cdf``; it adds the claims not yet notified). Amounts in major units,
    over ``exposure_years`` policy-years.
    """
    import pandas as pd

    from ipledger.insurance import claims as clm
    from ipledger.insurance.development import prior_cdf
    from ipledger.insurance.quote import ClaimsExperience

    when = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp(dt.datetime.now(dt.UTC).date())
    tx = clm.from_ledger(ledger.claims())
    wanted = {h.lower() if h.startswith("0x") else "0x" + h.lower() for h in policy_hashes}
    tx = tx[tx["policy_hash"].isin(wanted)]
    paid = ultimate = 0.0
    if len(tx):
        st = clm.states(tx, when)
        paid = float(st["net_paid"].sum())
        cdf = prior_cdf()
        for year, inc in st.groupby(st["loss_date"].dt.year)["incurred"].sum().items():
            age = max(int(when.year) - int(year), 0)
            ultimate += float(inc) * float(cdf[min(age, len(cdf) - 1)])
    return ClaimsExperience(
        exposure_years=exposure_years,
        claims_paid=max(paid, 0.0),
        vhm_cv=vhm_cv,
        incurred_ultimate=max(ultimate, 0.0),
    )


def anchored_policy_reports(ledger: Any, *, include_quotes: bool = False) -> list[dict[str, Any]]:
    """The reports of the policies anchored on the ledger (and of quotes if asked), read from
    the document store and checked against the anchored hash (the store may be hostile: a
    document that does not hash to its anchor is refused, not priced)."""
    import hashlib
    import json

    from ipledger.errors import LedgerError

    anchors = ledger.anchors()
    kinds = {int(AnchorKind.POLICY)} | ({int(AnchorKind.QUOTE)} if include_quotes else set())
    out: list[dict[str, Any]] = []
    if not len(anchors):
        return out
    for row in anchors[anchors["kind"].astype(int).isin(kinds)].itertuples():
        doc = ledger.documents.get(str(row.report_hash))
        if "0x" + hashlib.sha256(doc).hexdigest() != str(row.report_hash).lower():
            raise LedgerError(f"document for anchor {row.report_hash} does not match its hash")
        report = json.loads(doc)
        report["report_hash"] = str(row.report_hash).lower()
        out.append(report)
    return out
