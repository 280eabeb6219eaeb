"""Currency conversion at transaction dates from an exchange-rate table the user can supply.

The table is a CSV file with the columns ``date,currency,rate,base`` (``base`` optional, CNY by
default; lines starting with ``#`` are comments): ``rate`` is the number of ``base`` units per
one unit of ``currency`` from ``date`` until the next row of that currency. One base per table.
A conversion uses the latest row dated on or before the transaction date; an amount dated before
a currency's first row, or in a currency the table does not list, **cannot be converted**: the
caller leaves it out with a warning, never mixes it in raw.

The shipped default (``data/fx_reference_rates.csv``) holds annual averages for USD, EUR, GBP
and JPY against CNY, 2015-2024, transcribed by hand (sources named in the file). Annual
averages are a stated approximation of transaction-date rates; give your own table
(``inputs["fx_table"]``, a CSV path) for daily rates.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ipledger.errors import ValuationError

__all__ = ["DEFAULT_TABLE", "FxTable", "load_fx"]

DEFAULT_TABLE = "ipledger:valuation/data/fx_reference_rates.csv"


@dataclass(frozen=True)
class FxTable:
    """Exchange rates to one base currency.

    Attributes:
        base: ISO code of the base currency.
        rates: per currency, ``(dates as datetime64[ns] ascending, base units per unit)``.
        source: where the table came from (the default's name or the file path).
        digest: ``0x`` + SHA-256 of the table's bytes (recorded in reports).
    """

    base: str
    rates: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    source: str = ""
    digest: str = ""

    @property
    def currencies(self) -> tuple[str, ...]:
        """The currencies the table converts (the base included)."""
        return tuple(sorted({self.base, *self.rates}))

    def to_base(self, amounts: Any, currencies: Any, dates: Any) -> np.ndarray:
        """Amounts converted to the base currency at their dates; NaN where no rate exists.

        Args:
            amounts: major units, array-like.
            currencies: ISO codes, array-like of the same length.
            dates: transaction dates, array-like of the same length.
        """
        amt = np.asarray(amounts, dtype=float)
        cur = np.asarray(pd.Series(currencies, dtype=object).fillna("").astype(str).str.upper())
        when = np.asarray(pd.to_datetime(dates), dtype="datetime64[ns]")
        out = np.full(amt.shape, np.nan)
        out[cur == self.base] = amt[cur == self.base]
        for code, (days, rate) in self.rates.items():
            rows = cur == code
            if not rows.any():
                continue
            k = np.searchsorted(days, when[rows], side="right") - 1
            ok = k >= 0
            conv = np.full(int(rows.sum()), np.nan)
            conv[ok] = amt[rows][ok] * rate[k[ok]]
            out[rows] = conv
        return out

    def rate(self, currency: str, date: Any) -> float | None:
        """Base units per one unit of ``currency`` at ``date`` (None when not convertible)."""
        x = self.to_base([1.0], [currency], [pd.Timestamp(date)])[0]
        return None if np.isnan(x) else float(x)

    def convert(self, amount: float, currency: str, to: str, date: Any) -> float | None:
        """``amount`` of ``currency`` in ``to`` at ``date``, or None when either rate is missing."""
        if currency.upper() == to.upper():
            return float(amount)
        there, back = self.rate(currency, date), self.rate(to, date)
        if there is None or back is None:
            return None
        return float(amount) * there / back


def _parse(text: str, source: str) -> FxTable:
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    need = {"date", "currency", "rate"}
    if not reader.fieldnames or not need <= set(reader.fieldnames):
        raise ValuationError(f"FX table {source}: needs the columns date, currency, rate (and optionally base)")
    rows: dict[str, list[tuple[np.datetime64, float]]] = {}
    bases: set[str] = set()
    for n, row in enumerate(reader, start=2):
        try:
            day = np.datetime64(pd.Timestamp(row["date"]).to_datetime64(), "ns")
            rate = float(row["rate"])
        except (TypeError, ValueError) as exc:
            raise ValuationError(f"FX table {source}, row {n}: {exc}") from None
        if not rate > 0 or not np.isfinite(rate):
            raise ValuationError(f"FX table {source}, row {n}: rate must be a positive number, got {row['rate']}")
        bases.add((row.get("base") or "CNY").strip().upper())
        rows.setdefault(row["currency"].strip().upper(), []).append((day, rate))
    if len(bases) > 1:
        raise ValuationError(f"FX table {source}: one base currency per table, found {sorted(bases)}")
    base = bases.pop() if bases else "CNY"
    rates = {}
    for code, items in rows.items():
        items.sort(key=lambda x: x[0])
        rates[code] = (np.array([d for d, _ in items], dtype="datetime64[ns]"), np.array([r for _, r in items]))
    digest = "0x" + hashlib.sha256(text.encode("utf-8")).hexdigest()
    return FxTable(base=base, rates=rates, source=source, digest=digest)


_LOADED: dict[str, FxTable] = {}


def load_fx(path: str | Path | None = None) -> FxTable:
    """The FX table at ``path`` (a CSV file), or the shipped default when None (cached)."""
    key = DEFAULT_TABLE if path is None else str(Path(path))
    hit = _LOADED.get(key)
    if hit is not None:
        return hit
    if path is None:
        text = resources.files("ipledger.valuation").joinpath("data/fx_reference_rates.csv").read_text("utf-8")
    else:
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise ValuationError(f"cannot read the FX table {path}: {exc}") from None
    table = _parse(text, key)
    _LOADED[key] = table
    return table
