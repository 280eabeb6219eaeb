"""Every endpoint x every role (and anonymous): allowed or refused exactly as docs/platform.md says."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ipledger.web.authz import COLUMNS, ENDPOINTS, markdown_table, parse_markdown_table
from ipledger.web.matrix import Credential, run_matrix
from tests.web.conftest import DemoLedger, username

DOC = Path(__file__).resolve().parents[2] / "docs" / "platform.md"


def doc_table(policy: str) -> dict[tuple[str, str], dict[str, bool]]:
    text = DOC.read_text()
    m = re.search(rf"<!-- access-table:{policy} -->\n(.*?)<!-- /access-table -->", text, re.S)
    assert m, f"docs/platform.md has no {policy} access table"
    return parse_markdown_table(m.group(1))


@pytest.mark.parametrize("policy", ["members", "public"])
def test_doc_table_is_the_code_table(policy: str) -> None:
    # The document users read and the rules the code enforces are one table.
    assert doc_table(policy) == parse_markdown_table(markdown_table(policy))  # type: ignore[arg-type]
    assert set(doc_table(policy)) == {(e.method, e.path) for e in ENDPOINTS}


def _creds(app: Any) -> dict[str, Credential]:
    accounts = app.state.platform.accounts
    out = {}
    for role in COLUMNS[1:]:
        sid, csrf = accounts.start_session(username(role))
        _, token = accounts.issue_token(username(role), ("read", "write"), "matrix")
        out[role] = Credential(f"ipl_session={sid}", csrf, token)
    return out


def _sender(client: TestClient):  # type: ignore[no-untyped-def]
    def send(method: str, url: str, headers: dict[str, str], body: Any, is_json: bool) -> tuple[int, str]:
        client.cookies.clear()
        kw: dict[str, Any] = {"headers": headers, "follow_redirects": False}
        if body is not None:
            kw["json" if is_json else "data"] = body
        r = client.request(method, url, **kw)
        return r.status_code, r.headers.get("location", "")

    return send


@pytest.mark.parametrize("policy", ["members", "public"])
def test_authorisation_matrix(platform_app: Any, demo_ledger: DemoLedger, policy: str) -> None:
    settings = platform_app.state.platform.settings
    old = settings.read_policy
    settings.read_policy = policy
    try:
        client = TestClient(platform_app)  # no lifespan: the session's app stays open
        cases = run_matrix(
            _sender(client), _creds(platform_app), doc_table(policy), demo_ledger.asset_id, demo_ledger.report_hash
        )
    finally:
        settings.read_policy = old
    assert len(cases) == len(ENDPOINTS) * len(COLUMNS)
    wrong = [c for c in cases if not c.ok]
    assert not wrong, "\n".join(f"{c.method} {c.path} as {c.role}: status {c.status}" for c in wrong)
    # Both outcomes occur: the matrix is not vacuous.
    assert any(c.expected for c in cases) and any(not c.expected for c in cases)
