"""Import royalty rates from the CUAD contract set (``master_clauses.csv``).

CUAD v1 (The Atticus Project; Hendrycks et al., NeurIPS 2021; CC BY 4.0) labels 41 clause
categories in 510 contracts filed on SEC EDGAR. Each category has a text column (a Python list
of the clause excerpts) and an ``-Answer`` column. This importer reads parties, dates, term,
exclusivity and, where the Revenue/Profit Sharing excerpts state an explicit percentage of a
revenue base (or call it a royalty), that percentage as a royalty rate. Nothing is inferred:
a contract without such a statement (no sharing clause, a redacted ``[* * *]`` rate, a per-unit
amount, a percentage of something that is no royalty base) goes to ``rejected`` with the reason.

Conventions: rates are fractions (0.05 for 5%); ``royalty_rate`` is the first rate stated in
the first qualifying sentence (for tiered schedules the base tier), ``rate_low`` /
``rate_high`` span every qualifying percentage; ``exclusivity`` is ``"exclusive"`` when CUAD
found an exclusivity clause (which may bind either party, so it is an approximation).
Attribution must be kept in anything that ships results derived from the data.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ipledger.errors import ValidationError

ATTRIBUTION = "CUAD v1, The Atticus Project (Hendrycks et al., NeurIPS 2021), CC BY 4.0"
_PCT = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*\)?\s*(?:%|percent\b|per\s*cent\b)", re.IGNORECASE)
_BASE = re.compile(
    r"^[^.;%]{0,80}?\b(?:of|on)\b[^.;%]{0,60}?\b(net\s+sales|gross\s+sales|sales|net\s+revenues?|gross\s+revenues?|"
    r"revenues?|receipts|proceeds|net\s+profits?|profits?|income|selling\s+price|invoice\s+price|price|billings?)\b",
    re.IGNORECASE,
)
_NOT_BASE = re.compile(
    r"^[^.;%]{0,40}?\b(?:of|against)\b[^.;%]{0,40}?\b(capital|costs?|expenses?|royalt\w*|advance|shares|interest|those)\b",
    re.IGNORECASE,
)
_BASE_WORD = re.compile(
    r"\b(net\s+sales|gross\s+sales|sales|net\s+revenues?|gross\s+revenues?|revenues?|receipts|invoice\s+price|"
    r"selling\s+price|price)\b",
    re.IGNORECASE,
)
_ROYALTY = re.compile(r"royalt", re.IGNORECASE)
_FEE = re.compile(r"licen[cs]ee?\s+fee", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.;])\s+(?=[A-Z(\"“])")
_REQUIRED = ("Filename", "Parties-Answer", "Revenue/Profit Sharing", "Revenue/Profit Sharing-Answer")
LICENCE_COLUMNS = [
    "filename",
    "document_name",
    "parties",
    "licensor",
    "licensee",
    "agreement_date",
    "effective_date",
    "expiration_date",
    "term_years",
    "renewal_term",
    "exclusivity",
    "royalty_rate",
    "rate_low",
    "rate_high",
    "basis",
    "is_royalty",
    "clause",
    "source",
]


def _excerpts(cell: object) -> list[str]:
    if not isinstance(cell, str) or not cell.strip():
        return []
    text = cell.strip()
    if text.startswith("["):
        try:
            value = ast.literal_eval(text)
            if isinstance(value, list):
                return [str(v) for v in value]
        except (ValueError, SyntaxError):
            pass
    return [text]


def extract_rates(text: str) -> tuple[list[float], str, bool, str]:
    """Royalty percentages stated in clause ``text``.

    A sentence qualifies when it speaks of a royalty or a licence fee; a percentage in it counts
    when it is "of / on" a revenue base (net sales, revenue, price, ...) or sits next to the
    word royalty in a sentence that names such a base (tiered schedules). Percentages of
    royalties, costs, advances or shares (credits, splits, reimbursements) never count, nor
    anything above 50%.

    Returns:
        (rates as fractions in order of appearance, the base of the first rate, whether the
        qualifying sentence says "royalty" (rather than licence fee), the first qualifying
        sentence).
    """
    rates: list[float] = []
    basis, first, royalty = "", "", False
    for excerpt in _excerpts(text) or [text]:
        for sentence in _SENTENCE.split(excerpt):
            is_roy = bool(_ROYALTY.search(sentence))
            if not (is_roy or _FEE.search(sentence)):
                continue
            named_base = _BASE_WORD.search(sentence)
            found = []
            for m in _PCT.finditer(sentence):
                value = float(m.group(1)) / 100.0
                tail = sentence[m.end() :]
                if _NOT_BASE.match(tail) or not 0 < value <= 0.5:
                    continue
                base = _BASE.match(tail)
                near = sentence[max(m.start() - 80, 0) : m.end() + 80]
                if base:
                    found.append((value, base.group(1).lower()))
                elif named_base and _ROYALTY.search(near):
                    found.append((value, named_base.group(0).lower()))
            if found:
                if not first:
                    first, basis, royalty = sentence.strip(), re.sub(r"\s+", " ", found[0][1]), is_roy
                rates.extend(v for v, _ in found)
    return rates, basis, royalty, first


def _party(parties: str, role: str) -> str:
    for part in re.split(r";\s*", parties or ""):
        if re.search(rf"[\"“]{role}", part, re.IGNORECASE):
            return re.sub(r"\s*\(.*$", "", part).strip()
    return ""


def _dates(col: pd.Series) -> pd.Series:
    return pd.to_datetime(col, format="%m/%d/%Y", errors="coerce").astype("datetime64[ns]")


def parse_cuad(path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse a CUAD ``master_clauses.csv`` into licences with explicit rates, and the rest.

    Args:
        path: the CSV file.

    Returns:
        ``(licences, rejected)``: ``licences`` has the columns :data:`LICENCE_COLUMNS` (dates
        datetime64, ``term_years`` from effective (else agreement) date to expiration, NaN when
        unknown or negative; ``royalty_rate`` a fraction); ``rejected`` has ``filename`` and
        ``reason`` for every other row.

    Raises:
        ValidationError: the file lacks CUAD's columns.
    """
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in _REQUIRED if c not in df.columns]
    if missing:
        raise ValidationError(f"{path} is not a CUAD master_clauses.csv: missing columns {missing}")
    get = lambda c: df[c] if c in df else pd.Series([""] * len(df))  # noqa: E731
    agreement = _dates(get("Agreement Date-Answer"))
    effective = _dates(get("Effective Date-Answer"))
    expiration = _dates(get("Expiration Date-Answer"))
    start = effective.fillna(agreement)
    term = (expiration - start).dt.days / 365.25
    term = term.where(term > 0)
    licences, rejected = [], []
    for i, row in df.iterrows():
        name = row["Filename"]
        answer = str(row["Revenue/Profit Sharing-Answer"]).strip().lower()
        if answer != "yes":
            rejected.append({"filename": name, "reason": "no revenue/profit-sharing clause"})
            continue
        text = row["Revenue/Profit Sharing"]
        rates, basis, is_roy, sentence = extract_rates(text)
        if not rates:
            if re.search(r"\[\s*\*|\*\*\*", text):
                reason = "rate redacted"
            elif not (_ROYALTY.search(text) or _FEE.search(text)):
                reason = "revenue or profit share, not a royalty or licence fee"
            elif _PCT.search(text):
                reason = "percentage is not a royalty on a revenue base"
            else:
                reason = "no explicit percentage"
            rejected.append({"filename": name, "reason": reason})
            continue
        parties = str(row["Parties-Answer"])
        licences.append(
            {
                "filename": name,
                "document_name": row.get("Document Name-Answer", ""),
                "parties": parties,
                "licensor": _party(parties, "licensor"),
                "licensee": _party(parties, "licensee"),
                "agreement_date": agreement[i],
                "effective_date": effective[i],
                "expiration_date": expiration[i],
                "term_years": term[i],
                "renewal_term": row.get("Renewal Term-Answer", ""),
                "exclusivity": "exclusive"
                if str(row.get("Exclusivity-Answer", "")).strip().lower() == "yes"
                else "non_exclusive",
                "royalty_rate": rates[0],
                "rate_low": min(rates),
                "rate_high": max(rates),
                "basis": basis,
                "is_royalty": is_roy,
                "clause": sentence[:500],
                "source": ATTRIBUTION,
            }
        )
    out = pd.DataFrame(licences, columns=LICENCE_COLUMNS)
    for c in ("agreement_date", "effective_date", "expiration_date"):
        out[c] = pd.to_datetime(out[c]).astype("datetime64[ns]")
    for c in ("term_years", "royalty_rate", "rate_low", "rate_high"):
        out[c] = out[c].astype(float)
    out["is_royalty"] = out["is_royalty"].astype(bool)
    rej = pd.DataFrame(rejected, columns=["filename", "reason"])
    return out, rej


def rate_summary(licences: pd.DataFrame) -> dict[str, float]:
    """Count and quantiles (fractions) of the imported royalty rates."""
    r = licences["royalty_rate"].to_numpy(dtype=float)
    if len(r) == 0:
        return {"n": 0}
    q = np.quantile(r, [0.25, 0.5, 0.75])
    return {
        "n": len(r),
        "p25": float(q[0]),
        "median": float(q[1]),
        "p75": float(q[2]),
        "share_le_2pct": float(np.mean(r <= 0.02)),
        "share_le_10pct": float(np.mean(r <= 0.10)),
    }
