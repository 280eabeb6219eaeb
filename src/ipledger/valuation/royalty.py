"""Royalty-rate evidence for relief from royalty: screening, adjustment, distribution, fallback.

A ledger licence is evidence of a royalty rate only if it is one. The rule (each figure a
documented constant, the judgement ones labelled assumptions):

1. **True royalties only.** A rate above :data:`ROYALTY_CAP` (25% of sales) is a revenue or
   profit share, not a running royalty on sales (the 25% rule of thumb puts a *profit* share
   there; royalties on sales above it are rare in the Parr/IPRA data, 92% <= 10%): left out.
2. **Term.** A licence shorter than :data:`MIN_TERM_YEARS` (an evaluation or option licence) is
   left out.
3. **Territory.** Royalties are a share of sales, so the size of a territory is in the revenue
   base, not the rate; territory is a relevance screen: licences covering the subject's
   jurisdiction (the same code or ``WW``, worldwide) are used when there are at least
   :data:`MIN_LICENCES` of them, else all, with a warning.
4. **Exclusivity.** Relief from royalty prices the owner's whole right, an exclusive licence;
   a non-exclusive or sole licence's rate is scaled up by :data:`EXCLUSIVITY_FACTOR`
   (an assumption; the report shows each licence's raw rate, factor and adjusted rate).
5. **Enough of them.** Percentiles need at least :data:`MIN_LICENCES` (8) screened licences of
   the same kind and field (else same kind, any field). With fewer, the field's default
   distribution is used, with a warning (the general row is the Parr/IPRA distribution).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ipledger.valuation.defaults import SOURCES, field_defaults

__all__ = ["EXCLUSIVITY_FACTOR", "MIN_LICENCES", "MIN_TERM_YEARS", "ROYALTY_CAP", "distribution", "screen"]

#: Highest rate accepted as a royalty on sales (fraction); above it a "rate" is a revenue or
#: profit share. Source: the 25% rule (Goldscheider) caps the licensor's share of *profit*; a
#: royalty on sales above 25% would exceed most licensees' whole operating margin.
ROYALTY_CAP = 0.25
#: Shortest licence term accepted (years): shorter ones are trials or options (assumption).
MIN_TERM_YEARS = 1.0
#: The same in days, allowing for calendar conventions (a licence "for one year" may run 364 days).
SHORT_TERM_DAYS = 360
#: Fewest screened licences for a distribution from the ledger (assumption: with fewer, the
#: 10th and 90th percentiles are the extreme points themselves).
MIN_LICENCES = 8
#: Multiplier bringing a licence's rate to an exclusive-licence basis (assumption: exclusive
#: licences command higher rates; Parr, Intellectual Property: Valuation, Exploitation and
#: Infringement Damages, ch. on royalty rates, names exclusivity the first adjustment but gives
#: no single factor).
EXCLUSIVITY_FACTOR: dict[str, float] = {"exclusive": 1.0, "sole": 1.1, "non_exclusive": 1.3}
#: Territory code of a worldwide licence.
WORLDWIDE = ("WW", "")
#: The report lists at most this many of the licences used (the most recent).
LISTED_LICENCES = 25
_LISTED = (
    "record_id",
    "tx_hash",
    "log_index",
    "date",
    "royalty_rate",
    "exclusivity",
    "territory_code",
    "factor",
    "adjusted_rate",
)


def screen(table: pd.DataFrame) -> pd.DataFrame:
    """The licence table with the screen's columns: ``above_cap``, ``short_term``, ``kept``,
    ``factor`` and ``adjusted_rate`` (the rate on an exclusive basis, capped at the cap).

    Args:
        table: the licence table (transactions with ``royalty_rate`` in (0, 1], ``asset_kind``,
            ``asset_field``), in date order.

    Returns:
        A copy with the added columns; a caller filters it by date, kind, field and territory.
    """
    # plain numpy columns (no Arrow strings, no attrs to deep-copy): the distribution below reads
    # them for every subject
    keep = [
        c
        for c in (
            "record_id",
            "tx_hash",
            "log_index",
            "date",
            "royalty_rate",
            "exclusivity",
            "territory",
            "term_end",
            "asset_kind",
            "asset_field",
        )
        if c in table
    ]
    out = pd.DataFrame(
        {
            c: table[c].to_numpy(dtype=object)
            if table[c].dtype == object or str(table[c].dtype).startswith(("string", "str"))
            else table[c].to_numpy()
            for c in keep
        }
    )
    rate = out["royalty_rate"].to_numpy(float)
    above = rate > ROYALTY_CAP
    term_end = out["term_end"] if "term_end" in out else pd.Series(pd.NaT, index=out.index)
    days = (pd.to_datetime(term_end) - pd.to_datetime(out["date"])).dt.days.to_numpy(float)  # typed when empty
    short = np.nan_to_num(days, nan=np.inf) < SHORT_TERM_DAYS
    excl = out["exclusivity"].astype(str) if "exclusivity" in out else pd.Series("", index=out.index)
    factor = excl.map(EXCLUSIVITY_FACTOR).fillna(1.0).to_numpy(float)
    out["above_cap"], out["short_term"], out["kept"] = above, short & ~above, ~above & ~short
    out["factor"] = factor
    out["adjusted_rate"] = np.minimum(rate * factor, ROYALTY_CAP)
    terr = out["territory"].fillna("").astype(str).str.upper() if "territory" in out else pd.Series("", index=out.index)
    out["territory_code"] = terr.to_numpy(dtype=object)
    return out


def distribution(
    table: pd.DataFrame, as_of: pd.Timestamp, kind: Any, field: str, jurisdiction: str
) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    """The royalty-rate distribution for a subject of ``kind`` in ``field``.

    Args:
        table: the licence table after :func:`screen`.
        as_of: the valuation date (later licences are ignored).
        kind: the subject's kind.
        field: the subject's field.
        jurisdiction: the subject's jurisdiction code (territory screen).

    Returns:
        ``(result, notes)``: result has ``p10``, ``p50``, ``p90`` (fractions), ``n`` (licences
        used, 0 for the fallback), ``source`` (text), ``source_key``, ``licences`` (the most
        recent ones used, with raw and adjusted rates), ``screen`` (counts and medians);
        notes are ``(message key, fields)`` pairs for the report's warnings.
    """
    notes: list[tuple[str, dict[str, Any]]] = []
    # numpy masks over the date-sorted table: a batch asks this for many subjects
    n = int(np.searchsorted(table["date"].to_numpy(dtype="datetime64[ns]"), np.datetime64(as_of, "ns"), side="right"))
    counts = {
        "above_cap": int(table["above_cap"].to_numpy(bool)[:n].sum()),
        "short_term": int(table["short_term"].to_numpy(bool)[:n].sum()),
    }
    if counts["above_cap"]:
        notes.append(("warn.royalty_above_cap", {"n": counts["above_cap"], "cap": ROYALTY_CAP}))
    kept = table["kept"].to_numpy(bool)[:n]
    terr = table["territory_code"].to_numpy(dtype=object)[:n]
    covers = (terr == str(jurisdiction).upper()) | np.isin(terr, WORLDWIDE)
    same_kind = kept & (table["asset_kind"].to_numpy(dtype=object)[:n] == kind)
    same_field = same_kind & (table["asset_field"].to_numpy(dtype=object)[:n] == field)
    chosen, scope = np.zeros(0, dtype=np.int64), ""
    for candidate, label in ((same_field, "field"), (same_kind, "kind")):
        if int((candidate & covers).sum()) >= MIN_LICENCES:
            chosen, scope = np.flatnonzero(candidate & covers), label
            break
        if int(candidate.sum()) >= MIN_LICENCES:
            chosen, scope = np.flatnonzero(candidate), label
            notes.append(("warn.royalty_other_territory", {"n": int((candidate & ~covers).sum())}))
            break
    summary: dict[str, Any] = {**counts, "min_licences": MIN_LICENCES, "cap": ROYALTY_CAP}
    if len(chosen) >= MIN_LICENCES:
        if scope == "kind":
            notes.append(("warn.royalty_all_fields", {"field": field, "min": MIN_LICENCES}))
        adjusted = table["adjusted_rate"].to_numpy(float)[chosen]
        p10, p50, p90 = (float(x) for x in np.percentile(adjusted, [10, 50, 90]))
        summary.update(
            median_raw=float(np.median(table["royalty_rate"].to_numpy(float)[chosen])),
            median_adjusted=p50,
        )
        # the listed licences from column arrays (an iloc over the whole frame costs more)
        rows = chosen[-LISTED_LICENCES:]
        cols = {c: table[c].to_numpy()[rows] for c in _LISTED}
        licences = [
            {
                "record_id": int(cols["record_id"][i]),
                "tx_hash": str(cols["tx_hash"][i]),
                "log_index": int(cols["log_index"][i]),
                "date": pd.Timestamp(cols["date"][i]).date().isoformat(),
                "royalty_rate": float(cols["royalty_rate"][i]),
                "exclusivity": str(cols["exclusivity"][i]),
                "territory": str(cols["territory_code"][i]),
                "factor": float(cols["factor"][i]),
                "adjusted_rate": float(cols["adjusted_rate"][i]),
            }
            for i in range(len(rows))
        ]
        source_key = "src.ledger_licences_field" if scope == "field" else "src.ledger_licences_kind"
        source = f"ledger licences of {kind} assets" + (f" in {field}" if scope == "field" else " (all fields)")
        result = {
            "p10": p10,
            "p50": p50,
            "p90": p90,
            "n": len(chosen),
            "source": source,
            "source_key": source_key,
            "licences": licences,
            "screen": summary,
        }
        return result, notes
    _, d = field_defaults(field)
    notes.append(("warn.royalty_fallback", {"n": int(same_kind.sum()), "min": MIN_LICENCES, "field": field}))
    result = {
        "p10": d.royalty_p10,
        "p50": d.royalty_p50,
        "p90": d.royalty_p90,
        "n": 0,
        "source": SOURCES[d.royalty_source],
        "source_key": f"src.{d.royalty_source}",
        "licences": [],
        "screen": summary,
    }
    return result, notes
