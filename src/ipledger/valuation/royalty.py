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


def screen(table: pd.DataFrame, as_of: pd.Timestamp, jurisdiction: str) -> tuple[pd.DataFrame, dict[str, int]]:
    """Licences dated on or before ``as_of`` that pass the royalty screen, with adjusted rates.

    Args:
        table: the licence table (transactions with ``royalty_rate`` in (0, 1], ``asset_kind``,
            ``asset_field``), in date order.
        as_of: the valuation date.
        jurisdiction: the subject's jurisdiction code (for the territory screen).

    Returns:
        ``(screened, counts)``: the kept rows with ``factor`` and ``adjusted_rate`` columns and
        ``covers`` (territory covers the subject's jurisdiction); counts of rows left out by
        reason (``above_cap``, ``short_term``).
    """
    dated = table.loc[(table["date"] <= as_of).to_numpy(bool)]
    rate = dated["royalty_rate"].to_numpy(float)
    above = rate > ROYALTY_CAP
    term_end = dated["term_end"] if "term_end" in dated else pd.Series(pd.NaT, index=dated.index)
    term = (pd.to_datetime(term_end) - dated["date"]).dt.days.to_numpy(float) / 365.25
    short = np.nan_to_num(term, nan=np.inf) < MIN_TERM_YEARS
    kept = dated.loc[~above & ~short].copy()
    excl = kept["exclusivity"].astype(str) if "exclusivity" in kept else pd.Series("", index=kept.index)
    kept["factor"] = excl.map(EXCLUSIVITY_FACTOR).fillna(1.0).to_numpy(float)
    kept["adjusted_rate"] = np.minimum(kept["royalty_rate"].to_numpy(float) * kept["factor"].to_numpy(), ROYALTY_CAP)
    terr = (
        kept["territory"].fillna("").astype(str).str.upper() if "territory" in kept else pd.Series("", index=kept.index)
    )
    kept["covers"] = (terr == str(jurisdiction).upper()) | terr.isin(WORLDWIDE)
    return kept, {"above_cap": int(above.sum()), "short_term": int((short & ~above).sum())}


def distribution(
    table: pd.DataFrame, as_of: pd.Timestamp, kind: Any, field: str, jurisdiction: str
) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    """The royalty-rate distribution for a subject of ``kind`` in ``field``.

    Returns:
        ``(result, notes)``: result has ``p10``, ``p50``, ``p90`` (fractions), ``n`` (licences
        used, 0 for the fallback), ``source`` (text), ``source_key``, ``licences`` (the most
        recent ones used, with raw and adjusted rates), ``screen`` (counts and medians);
        notes are ``(message key, fields)`` pairs for the report's warnings.
    """
    notes: list[tuple[str, dict[str, Any]]] = []
    kept, counts = screen(table, as_of, jurisdiction)
    if counts["above_cap"]:
        notes.append(("warn.royalty_above_cap", {"n": counts["above_cap"], "cap": ROYALTY_CAP}))
    same_kind = kept.loc[(kept["asset_kind"] == kind).to_numpy(bool)]
    same_field = same_kind.loc[(same_kind["asset_field"] == field).to_numpy(bool)]
    chosen, scope = same_kind.iloc[0:0], ""
    for candidate, label in ((same_field, "field"), (same_kind, "kind")):
        covering = candidate.loc[candidate["covers"].to_numpy(bool)]
        if len(covering) >= MIN_LICENCES:
            chosen, scope = covering, label
            break
        if len(candidate) >= MIN_LICENCES:
            chosen, scope = candidate, label
            notes.append(("warn.royalty_other_territory", {"n": int((~candidate["covers"]).sum())}))
            break
    summary: dict[str, Any] = {**counts, "min_licences": MIN_LICENCES, "cap": ROYALTY_CAP}
    if len(chosen) >= MIN_LICENCES:
        if scope == "kind":
            notes.append(("warn.royalty_all_fields", {"field": field, "min": MIN_LICENCES}))
        adjusted = chosen["adjusted_rate"].to_numpy(float)
        p10, p50, p90 = (float(x) for x in np.percentile(adjusted, [10, 50, 90]))
        summary.update(
            median_raw=float(np.median(chosen["royalty_rate"].to_numpy(float))),
            median_adjusted=p50,
        )
        licences = [
            {
                "record_id": int(r.record_id),
                "tx_hash": str(r.tx_hash),
                "log_index": int(r.log_index),
                "date": pd.Timestamp(r.date).date().isoformat(),
                "royalty_rate": float(r.royalty_rate),
                "exclusivity": str(r.exclusivity),
                "territory": str(getattr(r, "territory", "") or ""),
                "factor": float(r.factor),
                "adjusted_rate": float(r.adjusted_rate),
            }
            for r in chosen.tail(LISTED_LICENCES).itertuples()
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
    notes.append(("warn.royalty_fallback", {"n": len(same_kind), "min": MIN_LICENCES, "field": field}))
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
