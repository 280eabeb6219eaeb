"""Accounts, tokens, sessions, CSRF, limits, headers, ETags and JSON errors, through the app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from ipledger.errors import ValidationError
from ipledger.web.accounts import Accounts, tokens, users
from ipledger.web.security import RateLimiter
from tests.web.conftest import PASSWORD, DemoLedger


@pytest.fixture
def accounts(tmp_path: Path) -> Accounts:
    a = Accounts(f"sqlite:///{tmp_path / 'p.sqlite'}")
    a.add_org("org-a", "Org A", "insurer")
    a.add_user("alice", "long enough pw", "org-a", "insurer")
    return a


def test_passwords_and_tokens_are_stored_hashed_only(accounts: Accounts) -> None:
    _, secret = accounts.issue_token("alice", ("read",))
    with accounts.engine.connect() as c:
        stored = c.execute(sa.select(users.c.password_hash)).scalar_one()
        digest = c.execute(sa.select(tokens.c.digest)).scalar_one()
    assert "long enough pw" not in stored and stored.startswith("$argon2id$")
    assert secret not in digest and len(digest) == 64
    assert accounts.authenticate("alice", "long enough pw") is not None
    assert accounts.authenticate("alice", "wrong password") is None
    assert accounts.authenticate("nobody", "long enough pw") is None


def test_tokens_are_scoped_and_revocable_and_disabled_users_lose_them(accounts: Accounts) -> None:
    token_id, secret = accounts.issue_token("alice", ("read",))
    who = accounts.token(secret)
    assert who is not None and who.scopes == frozenset({"read"}) and who.csrf is None
    accounts.revoke_token(token_id)
    assert accounts.token(secret) is None
    _, secret2 = accounts.issue_token("alice", ("read", "write"))
    sid, _ = accounts.start_session("alice")
    accounts.set_active("alice", False)
    assert accounts.token(secret2) is None and accounts.session(sid) is None
    with pytest.raises(ValidationError):
        accounts.issue_token("alice", ("admin",))
    with pytest.raises(ValidationError):
        accounts.add_user("bob", "short", "org-a", "valuer")
    with pytest.raises(ValidationError):
        accounts.add_user("bob", "long enough pw", "org-a", "superuser")


def test_rate_limiter_refuses_past_the_window_count() -> None:
    lim = RateLimiter({"login": (3, 60.0)})
    assert [lim.hit("login", "1.2.3.4") for _ in range(3)] == [None, None, None]
    wait = lim.hit("login", "1.2.3.4")
    assert wait is not None and 0 < wait <= 60
    assert lim.hit("login", "5.6.7.8") is None  # per client


def _login(client: TestClient, user: str) -> str:
    r = client.post("/login", data={"username": user, "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303
    return str(r.cookies.get("ipl_session") or client.cookies.get("ipl_session"))


def test_headers_body_limit_errors_and_etags(platform_app: Any, demo_ledger: DemoLedger) -> None:
    client = TestClient(platform_app)
    r = client.get("/login")
    assert r.status_code == 200
    for h in ("content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy"):
        assert h in r.headers
    assert "script-src 'self'" in r.headers["content-security-policy"]
    # bodies over the limit are refused before they are read
    r = client.post("/login", content=b"x" * (65 * 1024), headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"
    # API errors are JSON with a code and a message
    r = client.get("/api/v1/assets")
    assert r.status_code == 401 and r.json()["error"]["code"] == "sign_in"
    r = client.get("/api/v1/assets", headers={"authorization": "Bearer ipl_nope"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_token"
    accounts = platform_app.state.platform.accounts
    _, token = accounts.issue_token("auditor", ("read",))
    auth = {"authorization": f"Bearer {token}"}
    r = client.get("/api/v1/assets/0xnot-an-asset", headers=auth)
    assert r.status_code == 422 and r.json()["error"]["code"] == "ValidationError"
    r = client.get("/api/v1/assets/0x" + "ab" * 32, headers=auth)
    assert r.status_code == 404 and r.json()["error"]["code"] == "LedgerError"
    r = client.get("/api/v1/assets?per_page=1000", headers=auth)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
    r = client.get(f"/api/v1/assets/{demo_ledger.asset_id}", headers=auth)
    assert r.status_code == 200 and r.json()["asset_id"] == demo_ledger.asset_id
    again = client.get(f"/api/v1/assets/{demo_ledger.asset_id}", headers={**auth, "if-none-match": r.headers["etag"]})
    assert again.status_code == 304
    # a read-only token cannot write even where the role could
    _, read_only = accounts.issue_token("auditor", ("read",))
    r = client.post("/api/v1/audit", json={}, headers={"authorization": f"Bearer {read_only}"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "scope"
    # the OpenAPI schema is served and lists the API
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/assets/{asset}/history" in paths and "/api/v1/assets/{asset}/quotes" in paths


def test_browser_writes_need_the_session_csrf_token(platform_app: Any) -> None:
    client = TestClient(platform_app)
    _login(client, "auditor")
    r = client.post("/audit/run", data={"csrf": "forged", "asset": "0x" + "00" * 32}, follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text
    r = client.post("/account/tokens", data={"label": "x"}, follow_redirects=False)
    assert r.status_code == 403


def test_login_is_rate_limited_and_next_is_same_site(platform_app: Any) -> None:
    client = TestClient(platform_app)
    r = client.post(
        "/login", data={"username": "auditor", "password": PASSWORD, "next": "//evil.example/x"}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/assets"
    limiter = platform_app.state.platform.limiter
    saved = dict(limiter._hits)
    try:
        statuses = [
            client.post("/login", data={"username": "auditor", "password": "wrong"}, follow_redirects=False).status_code
            for _ in range(12)
        ]
    finally:
        limiter._hits = saved
    assert 401 in statuses and statuses[-1] == 429


def test_public_read_policy_hides_prices(platform_app: Any, demo_ledger: DemoLedger) -> None:
    settings = platform_app.state.platform.settings
    settings.read_policy = "public"
    try:
        client = TestClient(platform_app)
        page = client.get(f"/assets/{demo_ledger.asset_id}")
        assert page.status_code == 200 and "CNY" not in page.text and "¥" not in page.text
        hist = client.get(f"/api/v1/assets/{demo_ledger.asset_id}/history").json()
        assert hist["items"] and all("amount" not in (i["transaction"] or {}) for i in hist["items"])
        assert all("detail" not in i for i in hist["items"])
        assert client.get(f"/api/v1/assets/{demo_ledger.asset_id}/valuations").status_code == 401
    finally:
        settings.read_policy = "members"


def test_api_prices_a_quote_and_refuses_a_wrong_keystore_password(platform_app: Any, demo_ledger: DemoLedger) -> None:
    client = TestClient(platform_app)
    _, token = platform_app.state.platform.accounts.issue_token("insurer", ("read", "write"))
    auth = {"authorization": f"Bearer {token}"}
    url = f"/api/v1/assets/{demo_ledger.asset_id}/quotes"
    r = client.post(url, json={"product": "enforcement"}, headers=auth)
    assert r.status_code == 200, r.text
    q = r.json()["quote"]
    assert q["sum_insured"] > 0 and q["gross_premium"] > 0 and len(q["factors"]) >= 4
    assert r.json()["anchored"] is None
    r = client.post(url, json={"product": "enforcement", "anchor": True, "keystore_password": "nope"}, headers=auth)
    assert r.status_code == 422 and "did not unlock" in r.json()["error"]["message"]
    r = client.post(url, json={"product": "no-such-product"}, headers=auth)
    assert r.status_code == 422 and r.json()["error"]["code"] == "PricingError"
    r = client.post(url, json={"product": "enforcement", "extra": 1}, headers=auth)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
