"""The FastAPI application: settings, who is asking, what they may do, and errors.

``create_app(settings)`` wires the ledger view, the platform database, the writer, the audit
runner, the middleware and both routers (pages and ``/api/v1``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote as urlquote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from ipledger.errors import ChainError, IPLedgerError, LedgerError, PricingError, ValidationError, ValuationError
from ipledger.i18n import LANGS, Translator
from ipledger.web.accounts import Accounts, Principal
from ipledger.web.audits import AuditJobs
from ipledger.web.authz import ANONYMOUS, WRITES, ReadPolicy, allowed
from ipledger.web.data import LedgerView
from ipledger.web.security import RateLimiter, SecurityMiddleware, csrf_ok
from ipledger.web.writes import KeyStoreLike, Writer, default_keystore

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "ipl_session"
LANG_COOKIE = "ipl_lang"


@dataclass
class WebSettings:
    """How the platform runs.

    Attributes:
        profile: the ledger profile (name or ``ipledger.config.Profile``; None: the default).
        db_url: the platform database (default: SQLite ``<data_dir>/platform.sqlite``).
        read_policy: ``members`` (sign-in to read) or ``public`` (anonymous may read the
            register and provenance; prices and reports stay members-only).
        max_body: largest request body, bytes.
        login_limit: log-in attempts per client address per minute.
        write_limit: writes per account per minute.
        secure_cookies: mark cookies Secure and send HSTS (behind HTTPS).
        keystore: the keystore (default: ``ipledger.keys.KeyStore`` at ``<data_dir>/keystore``).
        tx_url: a block explorer's transaction URL with ``{}`` for the hash (e.g.
            ``https://explorer.example/tx/{}``); transaction hashes link there when set.
    """

    profile: Any = None
    db_url: str | None = None
    read_policy: ReadPolicy = "members"
    max_body: int = 64 * 1024
    login_limit: int = 10
    write_limit: int = 30
    secure_cookies: bool = False
    keystore: KeyStoreLike | None = None
    tx_url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Platform:
    """Everything a request handler needs (``request.app.state.platform``)."""

    settings: WebSettings
    profile: Any
    view: LedgerView
    accounts: Accounts
    writer: Writer
    audits: AuditJobs
    limiter: RateLimiter
    templates: Jinja2Templates


class Denied(Exception):
    """A refused request: 401 (sign in), 403 (not your role or scope), 429 (slow down)."""

    def __init__(self, status: int, code: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after


def platform(request: Request) -> Platform:
    return request.app.state.platform  # type: ignore[no-any-return]


def principal(request: Request) -> Principal | None:
    """The account a request acts for: an API token (``Authorization: Bearer``) or a session."""
    if "principal" in request.scope:
        return request.scope["principal"]  # type: ignore[no-any-return]
    p = platform(request)
    who: Principal | None = None
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        who = p.accounts.token(auth[7:].strip())
        if who is None:
            raise Denied(401, "bad_token", "the API token is unknown or revoked")
    elif sid := request.cookies.get(SESSION_COOKIE):
        who = p.accounts.session(sid)
    request.scope["principal"] = who
    return who


def require(request: Request, permission: str, form_csrf: str | None = None) -> Principal | None:
    """The principal if it holds ``permission`` (and, for writes, the write scope, a valid CSRF
    token when it is a browser session, and room under the write rate limit); else Denied."""
    p = platform(request)
    who = principal(request)
    role = who.role if who else ANONYMOUS
    if not allowed(permission, role, p.settings.read_policy):
        if who is None:
            raise Denied(401, "sign_in", "sign in to see this")
        raise Denied(403, "forbidden", f"the {role} role cannot do this")
    if request.method not in ("GET", "HEAD") and who is not None:
        if "write" not in who.scopes:
            raise Denied(403, "scope", "this API token has no write scope")
        if who.csrf is not None:
            given = form_csrf or request.headers.get("x-csrf-token")
            if not csrf_ok(who.csrf, given):
                raise Denied(403, "csrf", "the form's CSRF token is missing or wrong; reload the page")
        if permission in WRITES and (wait := p.limiter.hit("write", who.username)) is not None:
            raise Denied(429, "rate_limited", f"too many writes; try again in {wait:.0f} s", wait)
    return who


class _MemoTranslator(Translator):
    """A Translator that remembers the dates and amounts it formatted: a provenance table
    formats hundreds of them per page and babel's formatting dominated the page's cost."""

    def __init__(self, lang: str) -> None:
        super().__init__(lang)
        self._dates: dict[Any, str] = {}
        self._money: dict[Any, str] = {}

    def date(self, value: Any) -> str:
        hit = self._dates.get(value)
        if hit is None:
            hit = super().date(value)
            if len(self._dates) < 100_000:
                self._dates[value] = hit
        return hit

    def money(self, amount: Any, currency: str, *, digits: int | None = None) -> str:
        key = (amount, currency, digits)
        hit = self._money.get(key)
        if hit is None:
            hit = super().money(amount, currency, digits=digits)
            if len(self._money) < 100_000:
                self._money[key] = hit
        return hit


_TRANSLATORS = {lang: _MemoTranslator(lang) for lang in LANGS}


def translator(request: Request) -> Translator:
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if lang not in LANGS:
        accept = request.headers.get("accept-language", "").lower()
        lang = "zh-CN" if accept.startswith("zh") else "en"
    return _TRANSLATORS[lang]


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def render(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    """A page: the template with the translator, the principal and the CSRF token."""
    p = platform(request)
    who = principal(request)
    t = translator(request)
    ctx.update(
        request=request,
        t=t,
        who=who,
        csrf=who.csrf if who else "",
        policy=p.settings.read_policy,
        tx_url=p.settings.tx_url,
        can=lambda perm: allowed(perm, who.role if who else ANONYMOUS, p.settings.read_policy),
    )
    resp = p.templates.TemplateResponse(request, template, ctx, status_code=status)
    if request.query_params.get("lang") in LANGS:
        resp.set_cookie(LANG_COOKIE, request.query_params["lang"], samesite="lax", max_age=365 * 86400)
    return resp


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


_STATUS = {ValidationError: 422, ValuationError: 422, PricingError: 422, LedgerError: 404, ChainError: 502}


def _status_of(exc: IPLedgerError) -> int:
    for cls, status in _STATUS.items():
        if isinstance(exc, cls):
            return status
    return 400


def create_app(settings: WebSettings | None = None) -> FastAPI:
    """The platform app over ``settings.profile``'s ledger."""
    from ipledger.config import Profile, load_profile
    from ipledger.ledger import Ledger

    settings = settings or WebSettings()
    profile = settings.profile if isinstance(settings.profile, Profile) else load_profile(settings.profile)
    ledger = Ledger.open(profile)
    view = LedgerView(ledger)
    db_url = settings.db_url or f"sqlite:///{profile.data_dir / 'platform.sqlite'}"
    accounts = Accounts(db_url)
    keystore = settings.keystore if settings.keystore is not None else default_keystore(profile.data_dir)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    chain_lock = threading.Lock()
    templates.env.filters["tojson_compact"] = lambda v: json.dumps(v, default=str)
    templates.env.globals["urlquote"] = urlquote
    plat = Platform(
        settings=settings,
        profile=profile,
        view=view,
        accounts=accounts,
        writer=Writer(view, keystore, chain_lock),
        audits=AuditJobs(
            lambda: Ledger.open(profile), profile.data_dir / "reports" / "platform-audit.json", chain_lock
        ),
        limiter=RateLimiter({"login": (settings.login_limit, 60.0), "write": (settings.write_limit, 60.0)}),
        templates=templates,
    )
    closed: list[bool] = []

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if not closed:  # once, however many servers or test clients ran the app
            closed.append(True)
            plat.audits.wait(timeout=60)
            accounts.close()
            ledger.close()

    app = FastAPI(
        lifespan=lifespan,
        title="ipledger platform",
        version="1",
        description="REST mirror of the ipledger Python API: assets, history, valuations, quotes, audit.",
        docs_url=None,  # Swagger UI loads script from elsewhere; the schema itself is served
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.platform = plat
    app.add_middleware(SecurityMiddleware, max_body=settings.max_body, hsts=settings.secure_cookies)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    from ipledger.web import api, pages

    app.include_router(api.router)
    app.include_router(pages.router)

    @app.exception_handler(Denied)
    async def _denied(request: Request, exc: Denied) -> Response:
        headers = {"Retry-After": str(int(exc.retry_after) + 1)} if exc.retry_after else None
        if _is_api(request):
            return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status, headers=headers)
        if exc.status == 401:
            return RedirectResponse(f"/login?next={urlquote(request.url.path)}", status_code=303)
        return render(request, "error.html", status=exc.status, code=exc.code, message=exc.message)

    @app.exception_handler(IPLedgerError)
    async def _domain(request: Request, exc: IPLedgerError) -> Response:
        status = _status_of(exc)
        code = exc.__class__.__name__
        if _is_api(request):
            return JSONResponse(error_body(code, str(exc)), status_code=status)
        return render(request, "error.html", status=status, code=code, message=str(exc))

    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        msg = "; ".join(f"{'.'.join(str(x) for x in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors())
        if _is_api(request):
            return JSONResponse(error_body("invalid_request", msg), status_code=422)
        return render(request, "error.html", status=422, code="invalid_request", message=msg)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        code = "not_found" if exc.status_code == 404 else f"http_{exc.status_code}"
        if _is_api(request) or exc.status_code == 405:
            return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code)
        return render(request, "error.html", status=exc.status_code, code=code, message=str(exc.detail))

    return app
