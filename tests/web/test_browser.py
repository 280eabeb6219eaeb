"""The platform as people meet it: real headless Chromium (Debian) driven by Playwright."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest

from ipledger.web.screenshots import browser, chromium_path, serve_in_thread
from tests.web.conftest import KEY_PASSWORD, PASSWORD, DemoLedger, add_accounts

pytestmark = pytest.mark.slow


def need_chromium() -> None:
    if chromium_path() is None:
        if os.environ.get("IPLEDGER_REQUIRE_CHROMIUM"):
            pytest.fail("chromium is required here but not installed")
        pytest.skip("chromium not installed")


@pytest.fixture(scope="module")
def site(demo_ledger: DemoLedger, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """The platform on a loopback port (its own app and database) and a Chromium browser."""
    need_chromium()
    from ipledger.web import WebSettings, create_app

    db = tmp_path_factory.mktemp("browser-db") / "platform.sqlite"
    app = create_app(WebSettings(profile=demo_ledger.profile, db_url=f"sqlite:///{db}", keystore=demo_ledger.keystore))
    add_accounts(app.state.platform.accounts, demo_ledger.keystore)
    with serve_in_thread(app) as base, browser() as b:
        yield base, b


@pytest.fixture
def page_as(site: tuple[str, Any]) -> Iterator[Any]:
    base, b = site
    contexts = []

    def login(user: str | None, width: int = 1280) -> Any:
        ctx = b.new_context(viewport={"width": width, "height": 900})
        contexts.append(ctx)
        page = ctx.new_page()
        page.base = base
        if user:
            page.goto(f"{base}/login")
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", PASSWORD)
            page.click("form.card button[type=submit]")
            page.wait_for_url(re.compile(r".*/assets.*"))
        return page

    yield login
    for c in contexts:
        c.close()


def test_login_refuses_a_wrong_password_then_lists_the_register(page_as: Any) -> None:
    page = page_as(None)
    resp = page.goto(f"{page.base}/assets")
    assert "/login" in page.url  # members-only by default
    page.fill("input[name=username]", "auditor")
    page.fill("input[name=password]", "not the password")
    page.click("form.card button[type=submit]")
    assert page.locator("p.error").is_visible()
    page.fill("input[name=username]", "auditor")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(r".*/assets$"))
    assert resp is not None
    rows = page.locator("#assets tbody tr")
    assert rows.count() == 25
    assert "60 assets" in page.locator("#total").inner_text()
    page.click("a[rel=next]")
    assert "page 2 of 3" in page.inner_text("nav.pager")
    first = page.locator("#assets tbody tr td a").first.inner_text()
    page.fill("input[name=q]", first)
    page.click("form.filters button")
    assert page.locator("#assets tbody tr").count() == 1


def test_asset_page_shows_provenance_documents_and_anchors(page_as: Any, demo_ledger: DemoLedger) -> None:
    page = page_as("readonly")
    page.goto(f"{page.base}/assets/{demo_ledger.asset_id}")
    history = page.locator("#provenance tbody tr")
    assert history.count() >= 3
    assert page.locator("#provenance tbody tr.ev-registered").count() == 1
    assert page.locator("#documents tbody tr").count() >= 2
    assert page.locator("svg.chart circle").count() >= 2  # price history chart
    assert page.locator("#valuations tbody tr a").count() >= 1
    page.click("#valuations tbody tr a")
    assert page.locator("svg.chart rect").count() >= 2  # football field
    # read-only users see no write actions
    page.goto(f"{page.base}/assets/{demo_ledger.asset_id}")
    assert page.locator("text=Request a valuation").count() == 0


def test_valuer_values_and_anchors_and_a_wrong_key_password_is_refused(page_as: Any, demo_ledger: DemoLedger) -> None:
    page = page_as("valuer")
    page.goto(f"{page.base}/assets/{demo_ledger.asset_id}")
    before = page.locator("#valuations tbody tr").count()
    page.click("text=Request a valuation")
    page.fill("input[name=revenue]", "25000000")
    page.click("button[value=preview]")
    assert page.locator("#result").is_visible()
    assert page.locator("#result svg.chart").count() >= 1
    page.fill("input[name=password]", "wrong keystore password")
    page.click("button[value=anchor]")
    assert "did not unlock" in page.locator("#form-error").inner_text()
    page.fill("input[name=password]", KEY_PASSWORD)
    page.click("button[value=anchor]")
    assert page.locator("#anchored").is_visible()
    page.goto(f"{page.base}/assets/{demo_ledger.asset_id}")
    assert page.locator("#valuations tbody tr").count() == before + 1


def test_insurer_prices_every_factor_and_anchors_the_quote(page_as: Any, demo_ledger: DemoLedger) -> None:
    page = page_as("insurer")
    page.goto(f"{page.base}/assets/{demo_ledger.asset_id}/quote")
    page.select_option("select[name=product]", "enforcement")
    page.fill("input[name=year]", "x")
    page.click("button[value=price]")
    assert "whole number" in page.locator("#form-error").inner_text()
    page.fill("input[name=year]", "1")
    page.click("button[value=price]")
    assert page.locator("#sum-insured").inner_text().strip()
    assert page.locator("#factors tbody tr").count() >= 4
    assert page.locator("#quote svg.chart rect").count() >= 3  # premium breakdown
    page.fill("input[name=password]", KEY_PASSWORD)
    page.click("button[value=anchor]")
    assert page.locator("#anchored").is_visible()
    page.goto(f"{page.base}/portfolio")
    assert page.locator("#by-field tbody tr").count() >= 1
    assert page.locator("#by-decile tbody tr").count() >= 1


def test_auditor_runs_an_audit_and_sees_it_pass(page_as: Any) -> None:
    page = page_as("auditor")
    page.goto(f"{page.base}/audit")
    page.click("#run-audit button")
    page.wait_for_selector("#verdict", timeout=120_000)
    assert page.locator("#verdict").inner_text() == "passed"
    assert page.locator("#checks tbody tr").count() >= 5


def test_roles_are_kept_in_their_place(page_as: Any, demo_ledger: DemoLedger) -> None:
    page = page_as("readonly")
    resp = page.goto(f"{page.base}/portfolio")
    assert resp is not None and resp.status == 403
    assert page.locator("p.error").is_visible()
    resp = page.goto(f"{page.base}/assets/{demo_ledger.asset_id}/valuation")
    assert resp is not None and resp.status == 403


def test_organisations_and_chinese_pages_on_a_phone(page_as: Any) -> None:
    page = page_as("registrar", width=390)
    page.goto(f"{page.base}/organisations?lang=zh-CN")
    assert "机构" in page.inner_text("h1")
    assert page.locator("#members tbody tr").count() == 7
    assert page.locator("#directory tbody tr").count() + page.locator("#directory-empty").count() >= 1
    page.goto(f"{page.base}/assets")  # the language sticks (cookie)
    assert "知识产权登记簿" in page.inner_text("h1")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400  # nothing overflows a phone screen sideways
