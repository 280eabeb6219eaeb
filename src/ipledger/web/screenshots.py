"""Screenshots of every platform page, taken by headless Chromium (Debian's ``chromium``,
driven by Playwright), for the demo's ``reports/`` folder and the browser tests.

    from ipledger.web.screenshots import capture
    capture(Path("."), Path("reports"))     # a folder whose ipledger.toml / .ipledger has a ledger
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ipledger.errors import ConfigError

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "demo-only password"


def chromium_path() -> str | None:
    """The system Chromium (Playwright's own browser download is not used)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@contextmanager
def serve_in_thread(app: Any, host: str = "127.0.0.1") -> Iterator[str]:
    """Run ``app`` with uvicorn on a free loopback port in a thread; yields its base URL."""
    import uvicorn

    with socket.socket() as s:
        s.bind((host, 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise ConfigError("the platform server did not start")
        time.sleep(0.05)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


@contextmanager
def browser() -> Iterator[Any]:
    """A headless Chromium browser (Playwright), or ConfigError when none is installed."""
    path = chromium_path()
    if path is None:
        raise ConfigError("no Chromium installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def log_in(page: Any, base: str, user: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("form.card button[type=submit]")
    page.wait_for_load_state()


def capture(folder: Path, out_dir: Path, *, profile: Any = None, lang: str = "en") -> list[Path]:
    """Screenshot every page of the platform over the ledger of ``folder`` into ``out_dir``.

    A throw-away platform database gets one demo organisation and auditor, insurer and valuer
    accounts; nothing is written to the ledger. Pages: register, asset (laptop and phone
    widths), valuation report, valuation form, quote form with a priced quote, portfolio, audit,
    organisations, log-in with a failed attempt.

    Returns:
        The PNG files written, ``platform-*.png``.
    """
    import os

    from ipledger.config import Profile, load_profile
    from ipledger.web import WebSettings, create_app

    out_dir.mkdir(parents=True, exist_ok=True)
    if isinstance(profile, Profile):
        prof = profile
    else:
        here = Path.cwd()
        os.chdir(folder)  # the folder's ipledger.toml names the ledger
        try:
            prof = load_profile(profile)
        finally:
            os.chdir(here)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(WebSettings(profile=prof, db_url=f"sqlite:///{Path(tmp) / 'platform.sqlite'}"))
        accounts = app.state.platform.accounts
        accounts.add_org("demo", "Demo organisation", "auditor")
        for role in ("auditor", "insurer", "valuer"):
            accounts.add_user(role, DEMO_PASSWORD, "demo", role)
        view = app.state.platform.view
        valued = view.anchors(kind="valuation")
        asset = valued[0]["asset_id"] if valued else view.search(per_page=1)[0][0]["asset_id"]
        with serve_in_thread(app) as base, browser() as b:
            ctx = b.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
            page = ctx.new_page()

            def shot(name: str, url: str | None = None) -> None:
                if url:
                    page.goto(base + url + (("&" if "?" in url else "?") + f"lang={lang}"))
                target = out_dir / f"platform-{name}.png"
                page.screenshot(path=str(target), full_page=True)
                written.append(target)

            page.goto(f"{base}/login")
            page.fill("input[name=username]", "auditor")
            page.fill("input[name=password]", "wrong password!")
            page.click("form.card button[type=submit]")
            shot("login-error")
            log_in(page, base, "auditor", DEMO_PASSWORD)
            shot("assets", "/assets")
            shot("asset", f"/assets/{asset}")
            if valued:
                shot("valuation", f"/valuations/{valued[0]['report_hash']}")
            shot("portfolio", "/portfolio")
            shot("audit", "/audit")
            shot("organisations", "/organisations")
            phone = b.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, device_scale_factor=2)
            ppage = phone.new_page()
            log_in(ppage, base, "auditor", DEMO_PASSWORD)
            ppage.goto(f"{base}/assets/{asset}?lang={lang}")
            target = out_dir / "platform-asset-phone.png"
            ppage.screenshot(path=str(target), full_page=True)
            written.append(target)
            phone.close()
            ctx.clear_cookies()
            log_in(page, base, "valuer", DEMO_PASSWORD)
            shot("valuation-form", f"/assets/{asset}/valuation")
            ctx.clear_cookies()
            log_in(page, base, "insurer", DEMO_PASSWORD)
            page.goto(f"{base}/assets/{asset}/quote?lang={lang}")
            page.click("button[value=price]")
            page.wait_for_load_state()
            shot("quote")
            ctx.close()
    return written
