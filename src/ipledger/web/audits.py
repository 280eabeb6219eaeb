"""Audits run from the platform: one at a time, in a background thread, on a ledger of its own.

The audit opens its own :class:`ipledger.ledger.Ledger` on the same profile (its own chain and
store connections), so pages keep answering while it reads the whole chain. The latest result
is kept as JSON in ``<data_dir>/reports/platform-audit.json`` and survives restarts. Progress is
the elapsed time against the previous audit's duration: the audit library reports no stages, so
the percentage is an estimate and labelled so.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ipledger.errors import ValidationError


class AuditJobs:
    """The platform's audit runner.

    Args:
        open_ledger: opens a fresh Ledger for one audit (closed afterwards).
        result_file: where the latest result is kept.
        chain_lock: held while the audit's ledger is open; writes take it too.
    """

    def __init__(self, open_ledger: Callable[[], Any], result_file: Path, chain_lock: threading.Lock) -> None:
        self.open_ledger = open_ledger
        self.result_file = result_file
        self.chain_lock = chain_lock
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._started = 0.0
        self._by = ""
        self._error: str | None = None

    def latest(self) -> dict[str, Any] | None:
        """The latest finished audit as a dict (``AuditReport.to_dict`` plus who ran it), or None."""
        try:
            return json.loads(self.result_file.read_text())  # type: ignore[no-any-return]
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def status(self) -> dict[str, Any]:
        """``state`` (idle, running, failed), elapsed seconds and an estimated fraction done."""
        with self._lock:
            running = self._thread is not None and self._thread.is_alive()
            last = self.latest()
            out: dict[str, Any] = {"state": "running" if running else ("failed" if self._error else "idle")}
            if running:
                elapsed = time.monotonic() - self._started
                expected = float(last["seconds"]) if last else 30.0
                out.update(elapsed_s=round(elapsed, 1), estimate=min(0.95, elapsed / max(expected, 0.1)), by=self._by)
            if self._error:
                out["error"] = self._error
            if last:
                out["latest"] = {k: last.get(k) for k in ("created", "passed", "seconds", "by", "head")}
            return out

    def start(self, username: str, asset_id: str | None = None) -> None:
        """Start an audit (ValidationError when one is running)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                raise ValidationError("an audit is already running")
            self._started = time.monotonic()
            self._by = username
            self._error = None
            self._thread = threading.Thread(target=self._run, args=(username, asset_id), daemon=True)
            self._thread.start()

    def wait(self, timeout: float | None = None) -> None:
        t = self._thread
        if t is not None:
            t.join(timeout)

    def _run(self, username: str, asset_id: str | None) -> None:
        from ipledger.audit import audit_ledger

        try:
            # The audit's own chain connection and the platform's writes must not overlap: the
            # embedded chain is one SQLite file, and a write would wait on the audit's reads.
            with self.chain_lock:
                ledger = self.open_ledger()
                try:
                    report = audit_ledger(ledger, asset_id=asset_id)
                finally:
                    ledger.close()
            data = report.to_dict()
            data["by"] = username
            data["seconds"] = round(report.seconds, 2)
            data["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            self.result_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.result_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, default=str, indent=1))
            tmp.replace(self.result_file)
        except Exception as exc:  # shown on the audit page; the server keeps running
            with self._lock:
                self._error = f"{exc.__class__.__name__}: {exc}"
