"""Write the reports people read (valuation, quote, audit) in a language, naming the asset."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any


def write_html(report: Any, path: Path, lang: str | None = None, identity: Any = None) -> None:
    """Write ``report.to_html`` to ``path`` in ``lang`` ("en" or "zh-CN") with the asset's
    identity block, passing each only where the report's renderer takes it (a renderer without
    a language writes English)."""
    params = inspect.signature(report.to_html).parameters
    kwargs: dict[str, Any] = {}
    if "lang" in params:
        kwargs["lang"] = lang
    if "identity" in params:
        kwargs["identity"] = identity
    report.to_html(path, **kwargs)
