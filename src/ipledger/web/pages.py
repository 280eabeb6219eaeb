"""Server-rendered pages: register, asset, valuation, quote, portfolio, audit, organisations."""

from __future__ import annotations

import json
import math
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from ipledger.errors import IPLedgerError, ValidationError
from ipledger.web import charts
from ipledger.web.app import LANG_COOKIE, SESSION_COOKIE, Denied, platform, principal, render, require, translator
from ipledger.web.writes import FIRM_TYPES, VALUATION_INPUTS

router = APIRouter(include_in_schema=False)
PER_PAGE = 25


def _safe_next(target: str | None) -> str:
    # Only same-site paths: "//evil.example" or "https://..." would be an open redirect.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/assets"


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/assets", status_code=303)


@router.get("/healthz")
def healthz(request: Request) -> JSONResponse:
    block, _ = platform(request).view.state()
    return JSONResponse({"ok": True, "indexed_block": block})


@router.get("/lang/{lang}")
def set_lang(lang: str, next: str = "/assets") -> RedirectResponse:
    resp = RedirectResponse(_safe_next(next), status_code=303)
    if lang in ("en", "zh-CN"):
        resp.set_cookie(LANG_COOKIE, lang, samesite="lax", max_age=365 * 86400)
    return resp


# ------------------------------------------------------------------ log-in


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/assets") -> HTMLResponse:
    return render(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login", response_model=None)
def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form(max_length=512)] = "/assets",
) -> Response:
    p = platform(request)
    client = request.client.host if request.client else "?"
    if (wait := p.limiter.hit("login", client)) is not None:
        raise Denied(429, "rate_limited", f"too many log-in attempts; try again in {wait:.0f} s", wait)
    who = p.accounts.authenticate(username.strip().lower(), password)
    if who is None:
        return render(request, "login.html", status=401, next=_safe_next(next), error="bad_login")
    sid, _ = p.accounts.start_session(who.username)
    resp = RedirectResponse(_safe_next(next), status_code=303)
    resp.set_cookie(
        SESSION_COOKIE, sid, httponly=True, samesite="lax", secure=p.settings.secure_cookies, max_age=8 * 3600
    )
    return resp


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=128)] = "") -> RedirectResponse:
    p = platform(request)
    who = principal(request)
    sid = request.cookies.get(SESSION_COOKIE)
    if who is not None and sid and who.csrf == csrf:
        p.accounts.end_session(sid)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE)
    return resp


# ------------------------------------------------------------------ register and asset


@router.get("/assets", response_class=HTMLResponse)
async def assets(
    request: Request,
    q: str = "",
    kind: str = "",
    jurisdiction: str = "",
    status: str = "",
    class_code: str = "",
    owner: str = "",
    page: int = 1,
) -> HTMLResponse:
    require(request, "read")
    view = platform(request).view
    filters = {"kind": kind, "jurisdiction": jurisdiction, "status": status, "class_code": class_code, "owner": owner}
    rows, total = view.search(q[:200], max(page, 1), PER_PAGE, **filters)
    pages = max(1, math.ceil(total / PER_PAGE))
    args = {k: v for k, v in {"q": q, **filters}.items() if v}
    return render(
        request,
        "assets.html",
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        q=q,
        filters=filters,
        facets=view.facets(),
        args=args,
    )


@router.get("/assets/{asset}", response_class=HTMLResponse)
async def asset_page(request: Request, asset: str) -> HTMLResponse:
    require(request, "read")
    who = principal(request)
    p = platform(request)
    view = p.view
    a = view.asset(asset)
    aid = a["asset_id"]
    members = who is not None
    t = translator(request)
    # The body depends only on the asset (at this ledger state), the language and whether prices
    # may be shown: render it once and reuse it; only the header and actions are per request.
    bundle = view._bundle(aid)
    key = (t.lang, members, p.settings.tx_url)
    fragments = bundle.setdefault("fragments", {})
    body = fragments.get(key)
    if body is None:
        history = view.history(aid)
        prices = view.price_history(aid) if members else []
        chart = charts.price_history(
            [(x["date"], x["amount"], x["kind"]) for x in prices],
            prices[0]["currency"] if prices else "",
            "price history",
        )
        body = Markup(
            p.templates.env.get_template("_asset_body.html").render(
                t=t,
                a=a,
                history=history,
                status_rows=[h for h in history if h["event"] in ("registered", "status")],
                documents=view.documents(aid),
                valuations=view.anchors(aid, "valuation") if members else [],
                quotes=[q for q in view.anchors(aid) if q["kind_name"] != "valuation"] if members else [],
                chart=chart,
                members=members,
                owner_org=a["owner_organisation"],
                tx_url=p.settings.tx_url,
            )
        )
        fragments[key] = body
    return render(request, "asset.html", a=a, body=body)


# ------------------------------------------------------------------ valuations


@router.get("/valuations/{report}", response_class=HTMLResponse)
def valuation_view(request: Request, report: str) -> HTMLResponse:
    require(request, "prices")
    view = platform(request).view
    anchor, body = view.report(report)
    doc = json.loads(body) if body else None
    return render(request, "valuation.html", anchor=anchor, doc=doc, **_valuation_charts(doc, anchor["currency"]))


def _valuation_charts(doc: dict[str, Any] | None, currency: str) -> dict[str, Any]:
    if not doc or "methods" not in doc:
        return {"field_chart": "", "comp_chart": ""}
    rows = [(m["method"], m["low"], m["value"], m["high"]) for m in doc["methods"] if m.get("sufficient")]
    rows.append(("reconciled", doc["low"], doc["value"], doc["high"]))
    comps = [(c["date"], c.get("adjusted_value") or c["amount"], c["kind"]) for c in doc.get("comparables", [])]
    return {
        "field_chart": charts.range_bars(rows, currency, "football field"),
        "comp_chart": charts.price_history(comps, currency, "comparables"),
    }


@router.get("/assets/{asset}/valuation", response_class=HTMLResponse)
def valuation_form(request: Request, asset: str) -> HTMLResponse:
    who = require(request, "valuation.write")
    p = platform(request)
    a = p.view.asset(asset)
    org = p.accounts.org(who.org_id) if who else None
    return render(
        request,
        "valuation_form.html",
        a=a,
        inputs={},
        result=None,
        error=None,
        unavailable=p.writer.unavailable(org),
        fields=VALUATION_INPUTS,
        **_valuation_charts(None, ""),
    )


@router.post("/assets/{asset}/valuation", response_class=HTMLResponse)
async def valuation_post(request: Request, asset: str) -> HTMLResponse:
    form = await request.form()
    who = require(request, "valuation.write", str(form.get("csrf", "")))
    assert who is not None
    p = platform(request)
    a = p.view.asset(asset)
    org = p.accounts.org(who.org_id)
    inputs: dict[str, float] = {}
    error = None
    result = anchored = None
    try:
        for k in VALUATION_INPUTS:
            raw = str(form.get(k, "")).strip()
            if raw:
                try:
                    inputs[k] = float(raw)
                except ValueError as exc:
                    raise ValidationError(f"{k}: {raw!r} is not a number") from exc
        result = await run_in_threadpool(p.writer.value, a["asset_id"], inputs)
        if form.get("action") == "anchor":
            res = await run_in_threadpool(p.writer.anchor_valuation, org or {}, str(form.get("password", "")), result)
            anchored = "0x" + res.tx_hash.hex()
    except IPLedgerError as exc:
        error = str(exc)
    doc = json.loads(result.to_json()) if result is not None else None
    return render(
        request,
        "valuation_form.html",
        status=422 if error else 200,
        a=a,
        inputs=inputs,
        result=doc,
        anchored=anchored,
        error=error,
        unavailable=p.writer.unavailable(org),
        fields=VALUATION_INPUTS,
        **_valuation_charts(doc, doc["currency"] if doc else ""),
    )


# ------------------------------------------------------------------ quotes


def _products() -> list[tuple[str, str]]:
    from ipledger.insurance import PRODUCTS

    return [(k, v.label) for k, v in PRODUCTS.items()]


@router.get("/assets/{asset}/quote", response_class=HTMLResponse)
def quote_form(request: Request, asset: str) -> HTMLResponse:
    who = require(request, "quote.write")
    p = platform(request)
    a = p.view.asset(asset)
    org = p.accounts.org(who.org_id) if who else None
    return render(
        request,
        "quote_form.html",
        a=a,
        products=_products(),
        firm_types=FIRM_TYPES,
        chosen={},
        q=None,
        error=None,
        unavailable=p.writer.unavailable(org),
        breakdown="",
    )


@router.post("/assets/{asset}/quote", response_class=HTMLResponse)
async def quote_post(request: Request, asset: str) -> HTMLResponse:
    form = await request.form()
    who = require(request, "quote.write", str(form.get("csrf", "")))
    assert who is not None
    p = platform(request)
    a = p.view.asset(asset)
    org = p.accounts.org(who.org_id)
    chosen = {k: str(form.get(k, "")) for k in ("product", "firm_type", "year")}
    error = anchored = None
    doc = None
    try:
        try:
            year = int(chosen["year"] or 1)
        except ValueError as exc:
            raise ValidationError("year must be a whole number") from exc
        q, state_block = await run_in_threadpool(
            p.writer.price, a["asset_id"], chosen["product"], chosen["firm_type"] or "sme", year
        )
        doc = json.loads(q.to_json())
        if form.get("action") == "anchor":
            password = str(form.get("password", ""))
            res = await run_in_threadpool(p.writer.anchor_quote, org or {}, password, a["asset_id"], q, state_block)
            anchored = "0x" + res.tx_hash.hex()
    except IPLedgerError as exc:
        error = str(exc)
    breakdown = ""
    if doc:
        items = [(f"E[loss] {k}", v) for k, v in doc["expected_loss_by_head"].items()]
        items += [(k.replace("_", " "), v) for k, v in doc["loadings"].items()]
        breakdown = charts.bars(items, doc["currency"], "premium breakdown")
    return render(
        request,
        "quote_form.html",
        status=422 if error else 200,
        a=a,
        products=_products(),
        firm_types=FIRM_TYPES,
        chosen=chosen,
        q=doc,
        anchored=anchored,
        error=error,
        unavailable=p.writer.unavailable(org),
        breakdown=breakdown,
    )


# ------------------------------------------------------------------ portfolio, audit, organisations


@router.get("/portfolio", response_class=HTMLResponse)
def portfolio(request: Request) -> HTMLResponse:
    require(request, "portfolio.read")
    book = platform(request).view.portfolio()
    by_field = charts.bars(
        [(r["field"], r["loss_ratio"]) for r in book["by_field"] if r["loss_ratio"] is not None],
        label="loss ratio by field",
        percent=True,
    )
    by_decile = charts.bars(
        [(f"decile {r['decile']}", r["loss_ratio"]) for r in book["by_decile"] if r["loss_ratio"] is not None],
        label="loss ratio by decile",
        percent=True,
    )
    return render(request, "portfolio.html", book=book, by_field=by_field, by_decile=by_decile)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request) -> HTMLResponse:
    require(request, "audit.read")
    jobs = platform(request).audits
    latest = jobs.latest()
    tl = ""
    if latest and latest.get("timeline"):
        tl = charts.timeline(
            [
                (e["block"], e["event"], f"#{e['record_id']} {e['event']} block {e['block']}")
                for e in latest["timeline"]
            ],
            "audit timeline",
        )
    return render(request, "audit.html", latest=latest, job=jobs.status(), timeline=tl)


@router.get("/audit/status")
def audit_status(request: Request) -> JSONResponse:
    require(request, "audit.read")
    return JSONResponse(platform(request).audits.status())


@router.post("/audit/run")
async def audit_run(request: Request) -> RedirectResponse:
    form = await request.form()
    who = require(request, "audit.run", str(form.get("csrf", "")))
    assert who is not None
    asset = str(form.get("asset", "")).strip() or None
    p = platform(request)
    p.audits.start(who.username, p.view.resolve(asset) if asset else None)
    return RedirectResponse("/audit", status_code=303)


@router.get("/organisations", response_class=HTMLResponse)
def organisations(request: Request) -> HTMLResponse:
    require(request, "read")
    p = platform(request)
    rows, missing = p.view.organisations()
    members = p.accounts.list_orgs() if principal(request) else []
    return render(request, "organisations.html", rows=rows, missing=missing, members=members)


# ------------------------------------------------------------------ account and tokens


@router.get("/account", response_class=HTMLResponse)
def account(request: Request) -> HTMLResponse:
    who = require(request, "member")
    assert who is not None
    p = platform(request)
    return render(
        request,
        "account.html",
        tokens=p.accounts.list_tokens(who.username),
        new_token=None,
        org=p.accounts.org(who.org_id),
    )


@router.post("/account/tokens", response_class=HTMLResponse)
async def new_token(request: Request) -> HTMLResponse:
    form = await request.form()
    who = require(request, "member", str(form.get("csrf", "")))
    assert who is not None
    p = platform(request)
    scopes = tuple(s for s in ("read", "write") if form.get(f"scope_{s}")) or ("read",)
    _, secret = p.accounts.issue_token(who.username, scopes, str(form.get("label", ""))[:100])
    return render(
        request,
        "account.html",
        tokens=p.accounts.list_tokens(who.username),
        new_token=secret,
        org=p.accounts.org(who.org_id),
    )


@router.post("/account/tokens/{token_id}/revoke")
async def revoke_token(request: Request, token_id: str) -> RedirectResponse:
    form = await request.form()
    who = require(request, "member", str(form.get("csrf", "")))
    assert who is not None
    platform(request).accounts.revoke_token(token_id, who.username)
    return RedirectResponse("/account", status_code=303)
