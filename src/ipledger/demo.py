"""The main job, end to end on the embedded chain: deploy, record a generated market through
the contracts, index it, value an asset, quote and anchor insurance, audit everything.

A demo folder remembers its market (``demo.json`` in the data folder: sizes, seed, valuation
date). A rerun with the same sizes resumes a killed run to the full market and anchors nothing
twice (the valuation is made at the market's last block and date, so its report hash is the
same); other sizes are refused with what to do, and so is a folder holding another ledger.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ipledger.config import Profile
from ipledger.errors import ValidationError

STATE_FILE = "demo.json"

Step = Callable[[str, int, int], None]  # (label, done, total)

# A stated assumption of the demo, not data: sales of the product that uses the valued asset.
DEMO_INCOME_INPUTS = {"revenue": 40_000_000.0, "revenue_growth": 0.03}


@dataclass
class DemoResult:
    reports: dict[str, Path] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    audit_passed: bool = False


def pick_asset(ledger: Any) -> str:
    """A granted invention patent in force with the most licences and sales: a good first
    asset to value."""
    a = ledger.assets()
    tx = ledger.transactions()
    counts = tx.groupby("asset_id").size()
    live = a[(a["status"] == "active") & (a["kind"] == "invention")]
    if not len(live):
        live = a[a["status"] == "active"]
    ranked = live.assign(n=live["asset_id"].map(counts).fillna(0)).sort_values(
        ["n", "record_id"], ascending=[False, True]
    )
    return str(ranked.iloc[0]["asset_id"])


def run_demo(
    profile: Profile,
    *,
    n_assets: int = 3000,
    n_transactions: int = 30000,
    seed: int = 7,
    out_dir: Path = Path("reports"),
    step: Step | None = None,
    screenshots: bool = True,
) -> DemoResult:
    """Run the demo on ``profile``; reruns reuse the market already on chain.

    With ``screenshots``, headless Chromium then photographs every page of the web platform over
    the demo ledger into ``out_dir`` (``platform-*.png``); without a Chromium installed the step is
    skipped and ``figures["screenshots_skipped"]`` says why."""
    from ipledger.chain.connect import ensure_deployed, open_backend
    from ipledger.insurance import quote as make_quote
    from ipledger.ledger import Ledger
    from ipledger.sources.generator import generate_market, write_market
    from ipledger.valuation import value_asset
    from ipledger.workflows import anchor_quote, anchor_valuation, risk_profile_for

    def tick(label: str, done: int, total: int) -> None:
        if step:
            step(label, done, total)

    result = DemoResult()
    out_dir.mkdir(parents=True, exist_ok=True)
    profile.data_dir.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    backend = open_backend(profile)
    ensure_deployed(profile, backend)
    ledger = Ledger(profile, backend)
    result.timings["deploy_s"] = time.perf_counter() - t

    t = time.perf_counter()
    state = _market_state(profile, ledger, n_assets, n_transactions, seed)
    expected = state.get("records")
    have = ledger.client.record_count()
    if expected is None or have < int(expected):
        market = generate_market(seed=seed, n_assets=n_assets, n_transactions=n_transactions)
        total = len(market.assets) + len(market.transactions) + _status_changes(market)
        state["records"] = total
        _save_state(profile, state)
        if have < total:
            written = write_market(ledger.client, market, ledger.documents, batch_size=500, progress=tick, skip=have)
            result.figures["written"] = {k: v for k, v in written.items() if isinstance(v, int)}
            result.figures["resumed_after"] = have
    result.timings["record_s"] = time.perf_counter() - t

    t = time.perf_counter()
    sync = ledger.indexer.sync(lambda done, total, events: tick("index", done, total))
    ledger._cache.clear()
    result.timings["sync_s"] = time.perf_counter() - t
    result.figures["events_indexed"] = sync.events
    result.figures["assets"] = len(ledger.assets())
    result.figures["transactions"] = len(ledger.transactions())

    t = time.perf_counter()
    tick("value", 0, 1)
    if "market_block" not in state:
        # The market's last block and today's date, fixed at the first run that completes it:
        # reruns value the same state on the same date, so the report hash (and anchor) repeat.
        state.update(market_block=ledger.state()[0], as_of=str(pd.Timestamp.now(tz="UTC").date()))
        _save_state(profile, state)
    market_view = ledger.at_block(int(state["market_block"]))
    asset_id = pick_asset(market_view)
    # The ledger holds prices, not the owner's sales: the income approach needs a revenue
    # forecast from the valuer. The demo states one (shown in the report's inputs).
    valuation = value_asset(market_view, asset_id, as_of=state["as_of"], inputs=dict(DEMO_INCOME_INPUTS))
    from ipledger.identity import identify
    from ipledger.reports import write_html

    ident = identify(ledger, asset_id)
    result.reports["valuation"] = out_dir / "valuation.html"
    write_html(valuation, result.reports["valuation"], profile.lang, ident)
    (out_dir / "valuation.json").write_text(valuation.to_json())
    anchored = _anchored(ledger)
    if valuation.report_hash not in anchored:
        anchor_valuation(ledger, valuation)
    tick("value", 1, 1)
    result.timings["value_s"] = time.perf_counter() - t
    result.figures.update(
        asset=ident.to_dict(),
        asset_id=asset_id,
        value=valuation.value,
        low=valuation.low,
        high=valuation.high,
        currency=valuation.currency,
        valuation_hash=valuation.report_hash,
    )

    t = time.perf_counter()
    tick("quote", 0, 1)
    profile_ = risk_profile_for(ledger, asset_id, firm_type="sme")
    q = make_quote(valuation, "enforcement", profile_)
    result.reports["quote"] = out_dir / "quote.html"
    write_html(q, result.reports["quote"], profile.lang, ident)
    (out_dir / "quote.json").write_text(q.to_json())
    if q.report_hash not in anchored:
        anchor_quote(ledger, q, asset_id, valuation.state_block)
    tick("quote", 1, 1)
    result.timings["quote_s"] = time.perf_counter() - t
    result.figures.update(
        sum_insured=q.anchor_figures()[0],
        gross_premium=q.anchor_figures()[1],
        net_premium=q.anchor_figures()[2],
        quote_hash=q.report_hash,
    )

    t = time.perf_counter()
    tick("audit", 0, 1)
    from ipledger.audit import audit_ledger

    ledger.sync(progress=False)
    report = audit_ledger(ledger)  # reproduces the anchored valuation from its state block
    result.reports["audit"] = out_dir / "audit.html"
    write_html(report, result.reports["audit"], profile.lang)
    result.audit_passed = bool(report.passed)
    tick("audit", 1, 1)
    result.timings["audit_s"] = time.perf_counter() - t
    result.figures["valued_at"] = str(pd.Timestamp.now(tz="UTC").date())
    ledger.close()
    if screenshots:
        _screenshots(profile, out_dir, result, tick)
    return result


def _screenshots(profile: Profile, out_dir: Path, result: DemoResult, tick: Step) -> None:
    """Pictures of the platform's pages over the demo ledger (nothing is written to the ledger)."""
    from ipledger.errors import ConfigError
    from ipledger.web.screenshots import capture

    t = time.perf_counter()
    tick("screenshots", 0, 1)
    try:
        shots = capture(Path.cwd(), out_dir, profile=profile, lang=profile.lang)
    except (ConfigError, ImportError) as exc:  # no Chromium (or Playwright) here: say so, go on
        result.figures["screenshots_skipped"] = str(exc)
        return
    tick("screenshots", 1, 1)
    result.figures["screenshots"] = len(shots)
    result.reports["platform"] = out_dir / "platform-asset.png"
    result.timings["screenshots_s"] = time.perf_counter() - t


def _status_changes(market: Any) -> int:
    from ipledger.sources.market_writer import _CHAIN_BLOCKED

    return int(market.assets["status"].isin(sorted(_CHAIN_BLOCKED)).sum())


def _anchored(ledger: Any) -> set[str]:
    ledger.sync(progress=False)
    anchors = ledger.anchors()
    return set(anchors["report_hash"].astype(str)) if len(anchors) else set()


def _market_state(profile: Profile, ledger: Any, n_assets: int, n_transactions: int, seed: int) -> dict[str, Any]:
    """The folder's demo state; a ValidationError when it holds another market or ledger."""
    path = profile.data_dir / STATE_FILE
    wanted = {"assets": n_assets, "transactions": n_transactions, "seed": seed}
    if path.is_file():
        state: dict[str, Any] = json.loads(path.read_text())
        had = {k: state.get(k) for k in wanted}
        if had != wanted:
            raise ValidationError(
                f"this folder already holds a demo market of {had['assets']} assets and {had['transactions']} "
                f"transactions (seed {had['seed']}): run `ipledger demo` in a new folder for other sizes, "
                "or rerun with the same ones"
            )
        return state
    if ledger.client.record_count() > 0:
        raise ValidationError(
            f"the ledger in {profile.data_dir} holds records that are not a demo market: "
            "run `ipledger demo` in a new, empty folder"
        )
    _save_state(profile, wanted)
    return dict(wanted)


def _save_state(profile: Profile, state: dict[str, Any]) -> None:
    path = profile.data_dir / STATE_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2))
    tmp.replace(path)
