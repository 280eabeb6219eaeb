"""The main job as a user runs it, and its HTML reports as a browser shows them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import CLI

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if CHROMIUM is None:
        if os.environ.get("IPLEDGER_REQUIRE_CHROMIUM"):
            pytest.fail("chromium is required here but not installed")
        pytest.skip("chromium not installed")
    profile = tmp / f"chromium-{len(list(tmp.glob('chromium-*')))}"
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    folder = tmp_path_factory.mktemp("demo")
    cli = CLI(folder)
    proc = cli("demo", "--assets", "200", "--transactions", "2000", "--json")
    return folder, json.loads(proc.stdout)


def test_demo_runs_end_to_end(demo: tuple[Path, dict[str, object]]) -> None:
    folder, out = demo
    assert out["audit_passed"] is True
    figures = out["figures"]
    assert isinstance(figures, dict)
    assert figures["assets"] == 200 and figures["transactions"] > 1500
    assert 0 < figures["low"] <= figures["value"] <= figures["high"]
    assert figures["gross_premium"] >= figures["net_premium"] > 0
    reports = out["reports"]
    assert isinstance(reports, dict)
    for name in ("valuation", "quote", "audit"):
        assert (folder / str(reports[name])).is_file()
    if shutil.which("chromium") or os.environ.get("IPLEDGER_REQUIRE_CHROMIUM"):  # the platform's pages, photographed
        pictures = sorted((folder / "reports").glob("platform-*.png"))
        assert figures["screenshots"] == len(pictures) >= 9, figures.get("screenshots_skipped")
        assert all(p.stat().st_size > 5_000 for p in pictures)
    else:
        assert "Chromium" in str(figures["screenshots_skipped"])
    # A second run reuses the market on chain and still passes.
    again = json.loads(
        CLI(folder)("demo", "--assets", "200", "--transactions", "2000", "--json", "--no-screenshots").stdout
    )
    assert again["audit_passed"] is True and again["figures"]["assets"] == 200


def test_json_gives_money_as_decimal_strings_with_the_currency(demo: tuple[Path, dict[str, object]]) -> None:
    folder, out = demo
    figures = out["figures"]
    assert isinstance(figures, dict)
    q = json.loads(CLI(folder)("quote", str(figures["asset_id"]), "--json", "--revenue", "40000000").stdout)
    money = q["amounts"]
    assert money["currency"] == q["currency"] == "CNY"
    assert all(isinstance(v, str) and len(v.split(".")[1]) == 2 for k, v in money.items() if k != "currency")
    assert float(money["gross_premium"]) == pytest.approx(q["gross_premium"], abs=0.005)


def test_claims_record_list_and_develop_on_the_demo_ledger(demo: tuple[Path, dict[str, object]]) -> None:
    folder, out = demo
    figures = out["figures"]
    assert isinstance(figures, dict)
    cli = CLI(folder)
    asset, policy = str(figures["asset_id"]), str(figures["quote_hash"])
    for args in (
        ("opened", "300000", "--ref", "C-1", "--date", "2024-03-01"),
        ("paid", "120000", "--ref", "C-1", "--date", "2024-08-01"),
        ("opened", "50000", "--ref", "C-2", "--date", "2025-02-01"),
        ("reserved", "80000", "--ref", "C-2", "--date", "2025-09-01"),
    ):
        cli("claims", "record", asset, policy, *args)
    refused = cli("claims", "record", asset, "0x" + "ab" * 32, "paid", "5", "--ref", "C-9", check=False)
    assert refused.returncode == 1 and "not an anchored quote or policy" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    listed = json.loads(cli("claims", "list", "--json").stdout)
    assert sorted(c["incurred"] for c in listed) == [80_000.0, 300_000.0]
    tri = json.loads(cli("claims", "triangle", "--json").stdout)
    assert tri["triangle"]["2024"] == {"2024": 300_000.0, "2025": 300_000.0}
    assert tri["triangle"]["2025"] == {"2024": None, "2025": 80_000.0}
    # Two ages observed; link ratio 300k/300k = 1; the tail beyond age 2 is the pricing's
    # reporting pattern's (0.55 + 0.30 reported by then): 1 / 0.85.
    assert tri["ultimate_cl"] == pytest.approx([300_000 / 0.85, 80_000 / 0.85])
    audit = cli("audit", "--json", check=False)
    assert audit.returncode == 0, audit.stdout[-2000:]


@pytest.mark.parametrize(
    ("report", "must_show"),
    [
        ("valuation", ["Intangible asset valuation report", "Report hash", "Comparable evidence"]),
        ("quote", ["Sum insured", "Gross premium", "Net premium"]),
        ("audit", ["provenance audit", "PASSED", "accumulators"]),
    ],
)
def test_reports_render_in_headless_chromium(
    demo: tuple[Path, dict[str, object]], report: str, must_show: list[str]
) -> None:
    folder, out = demo
    reports = out["reports"]
    assert isinstance(reports, dict)
    page = (folder / str(reports[report])).resolve()
    dom = _chromium(folder, "--dump-dom", page.as_uri()).stdout
    for text in must_show:
        assert text in dom, f"{report} report does not show {text!r}"
    if report != "audit":
        assert dom.count("data:image/png;base64,") >= 1, f"{report} report has no chart"
    figures = out["figures"]
    assert isinstance(figures, dict)
    if report == "valuation":
        assert f"{round(float(figures['value'])):,}" in dom  # the headline value, as shown to the user
    shot = folder / f"{report}.png"
    _chromium(folder, "--window-size=1200,1600", f"--screenshot={shot}", page.as_uri())
    assert shot.is_file()
    import matplotlib.image as mpimg

    pixels = mpimg.imread(shot)
    assert pixels.shape[0] >= 1000 and pixels.std() > 0.05  # a real page, not a blank one


def test_read_commands_on_the_demo_ledger(demo: tuple[Path, dict[str, object]]) -> None:
    folder, out = demo
    cli = CLI(folder)
    figures = out["figures"]
    assert isinstance(figures, dict)
    aid = str(figures["asset_id"])
    v = json.loads(cli("value", aid, "--json", "--revenue", "20000000", "--growth", "0.02").stdout)
    assert v["asset_id"] == aid and v["low"] <= v["value"] <= v["high"]
    assert {m["method"] for m in v["methods"]} == {"market", "income", "cost"}
    assert v["inputs"]["caller_inputs"] == {"revenue": 20000000.0, "revenue_growth": 0.02}
    q = json.loads(cli("quote", aid, "--product", "enforcement", "--json").stdout)
    assert q["gross_premium"] >= q["net_premium"] > 0
    # quote values the asset exactly as value does with the same options (income approach too).
    same = ("--revenue", "20000000", "--growth", "0.02", "--as-of", "2026-01-15")
    v2 = json.loads(cli("value", aid, "--json", *same).stdout)
    q2 = json.loads(cli("quote", aid, "--product", "enforcement", "--json", *same).stdout)
    assert q2["valuation_report_hash"] == v2["report_hash"] == q2["sum_insured_basis"]["valuation_report_hash"]
    assert q2["sum_insured_basis"]["value"] == pytest.approx(v2["value"], abs=0.01)
    history = json.loads(cli("history", aid, "--json").stdout)["records"]
    assert history[0]["event"] == "registered" and all(h["tx_hash"].startswith("0x") for h in history)
    book = json.loads(cli("portfolio", "simulate", "--policies", "500", "--sims", "200", "--json").stdout)
    assert book["tiered"]["max_decile_dev"] < book["flat"]["max_decile_dev"]
    assert book["reinsurance"]["net_premium"] < book["reinsurance"]["gross_premium"]
    assert len(book["by_decile"]) == 10 and {r["group"] for r in book["by_field"]} >= {"other"}


def test_errors_are_one_line_with_exit_codes(demo: tuple[Path, dict[str, object]]) -> None:
    cli = CLI(demo[0])
    for args, code in (
        (("value", "NO-SUCH-ASSET"), 1),
        (("value", "x", "--input", "oops"), 1),
        (("quote", "x", "--product", "enforcement", "--profile", "nope"), 1),
        (("nonsense",), 2),
    ):
        proc = cli(*args, check=False)
        assert proc.returncode == code, (args, proc.returncode, proc.stderr)
        assert "Traceback" not in proc.stderr
        if code == 1:
            assert len(proc.stderr.strip().splitlines()) == 1 and proc.stderr.startswith("error:")
