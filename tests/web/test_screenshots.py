"""The demo's screenshots of every platform page (headless Chromium)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ipledger.web.screenshots import capture
from tests.web.conftest import DemoLedger
from tests.web.test_browser import need_chromium

pytestmark = pytest.mark.slow


def test_screenshots_of_every_page(demo_ledger: DemoLedger, tmp_path: Path) -> None:
    need_chromium()
    shots = capture(tmp_path, tmp_path / "reports", profile=demo_ledger.profile)
    names = {p.stem for p in shots}
    assert {"platform-assets", "platform-asset", "platform-quote", "platform-audit", "platform-login-error"} <= names
    for p in shots:
        assert p.stat().st_size > 5_000
