"""The authorisation matrix: every endpoint x every role (and anonymous), requested for real.

Used by the test suite (in process) and by ``benchmarks/platform.py`` (over loopback HTTP). The
expectation is read from the access table in docs/platform.md, the same table users read.

A case passes when an allowed request is not refused (not 401/403, and a page not redirected
to the log-in form) and a refused one is (401/403, or for an anonymous page request the
redirect to log in). Write endpoints are called on an asset that does not exist, so an allowed
write proves it passed the access check (404) without writing anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ipledger.web.authz import ANONYMOUS, ENDPOINTS, WRITES

NO_ASSET = "0x" + "00" * 32

#: (method, url, headers, form or JSON body, is_json) -> (status, location header)
Send = Callable[[str, str, dict[str, str], dict[str, Any] | None, bool], tuple[int, str]]


@dataclass(frozen=True)
class Credential:
    """How one role signs its requests: a session (cookie + CSRF) for pages, a token for the API."""

    cookie: str | None
    csrf: str | None
    token: str | None


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    role: str
    expected: bool
    status: int
    refused: bool

    @property
    def ok(self) -> bool:
        return self.expected != self.refused


def _url(path: str, asset: str, report: str, write: bool) -> str:
    return path.replace("{asset}", NO_ASSET if write else asset).replace("{report}", report)


def _body(method: str, path: str, permission: str, csrf: str | None) -> tuple[dict[str, Any] | None, bool]:
    if method != "POST":
        return None, False
    if path.startswith("/api/"):
        if path.endswith("/quotes"):
            return {"product": "enforcement"}, True
        if path.endswith("/audit"):
            return {"asset": NO_ASSET}, True
        return {}, True
    form: dict[str, Any] = {"csrf": csrf or ""}
    if path == "/audit/run":
        form["asset"] = NO_ASSET
    if path == "/account/tokens":
        form["label"] = "matrix"
    return form, False


def run_matrix(
    send: Send,
    creds: dict[str, Credential],
    expected: dict[tuple[str, str], dict[str, bool]],
    asset: str,
    report: str,
) -> list[Case]:
    """Request every endpoint of :data:`ENDPOINTS` as every role in ``expected``'s columns.

    Args:
        send: performs one request.
        creds: credentials by role (``anonymous`` has none).
        expected: the access table, (method, path) -> role -> allowed.
        asset: an existing asset id for read endpoints.
        report: an existing anchored report hash.
    """
    cases: list[Case] = []
    for e in ENDPOINTS:
        row = expected[(e.method, e.path)]
        for role, allowed in row.items():
            cred = creds.get(role) if role != ANONYMOUS else None
            api = e.path.startswith("/api/")
            headers: dict[str, str] = {"accept": "application/json" if api else "text/html"}
            if cred is not None:
                if api and cred.token:
                    headers["authorization"] = f"Bearer {cred.token}"
                elif cred.cookie:
                    headers["cookie"] = cred.cookie
            body, is_json = _body(e.method, e.path, e.permission, cred.csrf if cred else None)
            url = _url(e.path, asset, report, e.permission in WRITES)
            status, location = send(e.method, url, headers, body, is_json)
            refused = status in (401, 403) or (status in (302, 303) and location.startswith("/login"))
            cases.append(Case(e.method, e.path, role, allowed, status, refused))
    return cases
