"""REST API under ``/api/v1``: a thin mirror of the Python API (``Ledger``, ``value_asset``,
``quote``, ``audit_ledger``). JSON in and out; money in major units, rates as fractions, dates ISO.

Every GET answer carries an ``ETag`` (SHA-256 of the body) and honours ``If-None-Match`` with
304; lists are paginated (``page``, ``per_page`` up to 100) and say ``total``. Errors are
``{"error": {"code": ..., "message": ...}}`` with a fitting status. Authenticate with
``Authorization: Bearer <token>`` (tokens from ``/account`` or ``ipledger serve token add``).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ipledger.errors import ValidationError
from ipledger.web.accounts import Principal
from ipledger.web.app import Denied, platform, require
from ipledger.web.data import MAX_PER_PAGE

router = APIRouter(prefix="/api/v1", tags=["ledger"])


def _needs(permission: str) -> Callable[[Request], Principal | None]:
    # A dependency, so that the caller is checked before the body is parsed: an anonymous
    # request with a malformed body gets 401, not a validation message.
    def check(request: Request) -> Principal | None:
        return require(request, permission)

    return check


def _json(request: Request, data: Any, status: int = 200) -> Response:
    body = json.dumps(data, default=str, separators=(",", ":")).encode()
    if status != 200:
        return Response(body, status_code=status, media_type="application/json")
    tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers={"ETag": tag})
    return Response(body, media_type="application/json", headers={"ETag": tag, "Cache-Control": "private, no-cache"})


def _hide_prices(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("amount", "amount_minor", "royalty_rate", "royalty_bps")}


@router.get("/assets", summary="Assets, filtered and paginated")
async def list_assets(
    request: Request,
    q: str = Query("", max_length=200, description="text in the registry number or title"),
    kind: str = "",
    jurisdiction: str = "",
    status: str = "",
    class_code: str = Query("", description="class code prefix, e.g. G06F"),
    owner: str = "",
    page: int = Query(1, ge=1),
    per_page: int = Query(25, ge=1, le=MAX_PER_PAGE),
) -> Response:
    require(request, "read")
    rows, total = platform(request).view.search(
        q, page, per_page, kind=kind, jurisdiction=jurisdiction, status=status, class_code=class_code, owner=owner
    )
    return _json(
        request,
        {
            "items": rows,
            "total": total,
            "page": page,
            "per_page": per_page,
            "pages": max(1, math.ceil(total / per_page)),
        },
    )


@router.get("/assets/{asset}", summary="One asset: identity, current status and owner")
async def get_asset(request: Request, asset: str) -> Response:
    require(request, "read")
    view = platform(request).view
    return _json(request, view.asset(asset))


@router.get("/assets/{asset}/history", summary="Every record of an asset in chain order")
async def get_history(request: Request, asset: str) -> Response:
    who = require(request, "read")
    view = platform(request).view
    rows = view.history(asset)
    if who is None:  # anonymous under the public read policy: provenance without prices
        rows = [{k: v for k, v in r.items() if k != "detail"} for r in rows]
    tx = {t["record_id"]: t for t in view.transactions(asset)}
    out = []
    for r in rows:
        t = tx.get(r["record_id"])
        extra = (t if who is not None else _hide_prices(t)) if t else {}
        out.append({**r, "transaction": extra or None})
    return _json(request, {"asset_id": view.resolve(asset), "items": out, "total": len(out)})


@router.get("/assets/{asset}/valuations", summary="Anchored valuations of an asset, newest first")
async def get_valuations(request: Request, asset: str) -> Response:
    require(request, "prices")
    items = platform(request).view.anchors(asset, "valuation")
    return _json(request, {"items": items, "total": len(items)})


@router.get("/assets/{asset}/quotes", summary="Anchored quotes and policies of an asset, newest first")
async def get_quotes(request: Request, asset: str) -> Response:
    require(request, "prices")
    items = [a for a in platform(request).view.anchors(asset) if a["kind_name"] != "valuation"]
    for a in items:  # quote anchors carry (sum insured, gross premium, net premium)
        a["sum_insured"], a["gross_premium"], a["net_premium"] = a["value"], a["low"], a["high"]
    return _json(request, {"items": items, "total": len(items)})


class ValuationRequest(BaseModel):
    """Inputs of ``value_asset`` (major units, fractions, years) and the keystore password."""

    model_config = ConfigDict(extra="forbid")
    revenue: float | None = Field(None, ge=0)
    revenue_growth: float | None = Field(None, ge=-1, le=1)
    royalty_rate: float | None = Field(None, ge=0, le=1)
    tax_rate: float | None = Field(None, ge=0, le=1)
    discount_rate: float | None = Field(None, gt=0, le=1)
    remaining_life: float | None = Field(None, gt=0, le=50)
    anchor: bool = False
    keystore_password: str | None = Field(None, max_length=256)


@router.post("/assets/{asset}/valuations", summary="Value an asset; anchor it when asked (valuer)")
async def post_valuation(
    request: Request,
    asset: str,
    body: ValuationRequest,
    who: Annotated[Principal | None, Depends(_needs("valuation.write"))],
) -> Response:
    assert who is not None
    p = platform(request)
    inputs = body.model_dump(exclude_none=True, exclude={"anchor", "keystore_password"})
    valuation = await run_in_threadpool(p.writer.value, asset, inputs)
    out: dict[str, Any] = {"valuation": json.loads(valuation.to_json()), "anchored": None}
    if body.anchor:
        org = p.accounts.org(who.org_id) or {}
        res = await run_in_threadpool(p.writer.anchor_valuation, org, body.keystore_password or "", valuation)
        out["anchored"] = {"tx_hash": "0x" + res.tx_hash.hex(), "block_number": res.block_number}
    return _json(request, out, status=201 if body.anchor else 200)


class QuoteRequest(BaseModel):
    """Product, firm type and participation year of ``ipledger.quote`` and the keystore password."""

    model_config = ConfigDict(extra="forbid")
    product: str = Field(..., max_length=64)
    firm_type: str = Field("sme", max_length=16)
    year: int = Field(1, ge=1, le=10)
    anchor: bool = False
    keystore_password: str | None = Field(None, max_length=256)


@router.post("/assets/{asset}/quotes", summary="Price a policy on the latest valuation; anchor when asked (insurer)")
async def post_quote(
    request: Request,
    asset: str,
    body: QuoteRequest,
    who: Annotated[Principal | None, Depends(_needs("quote.write"))],
) -> Response:
    assert who is not None
    p = platform(request)
    q, state_block = await run_in_threadpool(p.writer.price, asset, body.product, body.firm_type, body.year)
    out: dict[str, Any] = {"quote": json.loads(q.to_json()), "anchored": None}
    if body.anchor:
        org = p.accounts.org(who.org_id) or {}
        aid = p.view.resolve(asset)
        res = await run_in_threadpool(p.writer.anchor_quote, org, body.keystore_password or "", aid, q, state_block)
        out["anchored"] = {"tx_hash": "0x" + res.tx_hash.hex(), "block_number": res.block_number}
    return _json(request, out, status=201 if body.anchor else 200)


@router.get("/organisations", summary="The on-chain organisations directory")
async def get_organisations(request: Request) -> Response:
    require(request, "read")
    rows, missing = platform(request).view.organisations()
    return _json(request, {"items": rows, "total": len(rows), "unavailable": missing})


@router.get("/portfolio", summary="Anchored book: premium, claims, loss ratios by field and decile")
def get_portfolio(request: Request) -> Response:
    require(request, "portfolio.read")
    return _json(request, platform(request).view.portfolio())


@router.get("/audit", summary="The latest audit result and the running audit's progress")
def get_audit(request: Request) -> Response:
    require(request, "audit.read")
    jobs = platform(request).audits
    return _json(request, {"status": jobs.status(), "latest": jobs.latest()})


class AuditRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    asset: str | None = Field(None, max_length=80, description="restrict to one asset")


@router.post("/audit", summary="Start an audit (auditor)", status_code=202)
def post_audit(
    request: Request, body: AuditRequest, who: Annotated[Principal | None, Depends(_needs("audit.run"))]
) -> Response:
    assert who is not None
    p = platform(request)
    asset = p.view.resolve(body.asset) if body.asset else None
    try:
        p.audits.start(who.username, asset)
    except ValidationError as exc:
        raise Denied(409, "audit_running", str(exc)) from exc
    return _json(request, {"status": p.audits.status()}, status=202)
