"""Turn CUAD licences (Hendrycks et al., NeurIPS 2021; CC BY 4.0) into ipledger import files.

Each CUAD agreement whose clause states a royalty rate becomes one asset (the licensed IP, kind
guessed from the agreement's title) owned by the licensor, and one licence record. The rows go
through the ordinary validated, idempotent import. The project ships no CUAD data: the user
passes the path of the ``master_clauses.csv`` they downloaded.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

import pandas as pd

from ipledger.chain.numbers import MAX_LENGTH
from ipledger.errors import ValidationError

ASSET_COLUMNS = [
    "jurisdiction",
    "kind",
    "registry_number",
    "class_code",
    "filing_date",
    "status",
    "owner",
    "title",
    "field",
]
TX_COLUMNS = [
    "asset",
    "kind",
    "seller",
    "buyer",
    "date",
    "currency",
    "amount",
    "royalty_rate",
    "exclusivity",
    "territory",
    "term_end",
    "document",
]


def _kind(title: str) -> str:
    t = title.lower()
    if "patent" in t:
        return "invention"
    if any(w in t for w in ("trademark", "brand", "endorsement", "co-branding", "franchise", "name")):
        return "trademark"
    if any(w in t for w in ("software", "source code", "technology", "saas", "hosting")):
        return "software"
    return "copyright"


def _date(value: object) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def registry_number(filename: str) -> str:
    """A canonical registry number for a CUAD agreement: ``CUAD-`` and its file name's letters and
    digits, cut to fit the contract's 64 characters, and 8 hex digits of the full name's SHA-256 so
    two agreements whose names agree in their first characters stay two assets."""
    stem = re.sub(r"[^0-9A-Z]+", "-", Path(filename).stem.upper()).strip("-")
    digest = hashlib.sha256(filename.encode()).hexdigest()[:8].upper()
    return f"CUAD-{stem[: MAX_LENGTH - len('CUAD--') - len(digest)].rstrip('-')}-{digest}"


def write_import_files(path: Path, folder: Path) -> tuple[Path, Path, int]:
    """Write ``cuad-assets.csv``, ``cuad-licences.csv`` and one JSON document per licence into
    ``folder``; returns their paths and how many contracts had no usable rate."""
    from ipledger.sources.cuad import ATTRIBUTION, parse_cuad

    if not Path(path).is_file():
        raise ValidationError(f"no such file: {path}")
    licences, rejected = parse_cuad(path)
    undated = licences[licences["effective_date"].isna() & licences["agreement_date"].isna()]
    if len(undated):
        extra = undated[["filename"]].assign(reason="no agreement or effective date")
        rejected = pd.concat([rejected, extra], ignore_index=True)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cuad-rejected.csv").write_text(rejected.to_csv(index=False))
    docs = folder / "cuad-documents"
    docs.mkdir(exist_ok=True)
    assets_csv, tx_csv = folder / "cuad-assets.csv", folder / "cuad-licences.csv"
    with assets_csv.open("w", newline="") as fa, tx_csv.open("w", newline="") as ft:
        wa = csv.DictWriter(fa, ASSET_COLUMNS)
        wt = csv.DictWriter(ft, TX_COLUMNS)
        wa.writeheader()
        wt.writeheader()
        for row in licences.itertuples(index=False):
            date = _date(row.effective_date) or _date(row.agreement_date)
            if not date or pd.isna(row.royalty_rate):
                continue
            licensor = str(row.licensor or "").strip() or f"Licensor of {row.filename}"
            licensee = str(row.licensee or "").strip() or f"Licensee of {row.filename}"
            number = registry_number(str(row.filename))
            doc = {
                "source": ATTRIBUTION,
                "filename": row.filename,
                "document_name": row.document_name,
                "parties": row.parties,
                "clause": row.clause,
                "basis": row.basis,
            }
            doc_path = docs / f"{hashlib.sha256(number.encode()).hexdigest()[:16]}.json"
            doc_path.write_text(json.dumps(doc, sort_keys=True, default=str))
            wa.writerow(
                {
                    "jurisdiction": "US",
                    "kind": _kind(str(row.document_name)),
                    "registry_number": number,
                    "class_code": "",
                    "filing_date": date,
                    "status": "active",
                    "owner": licensor,
                    "title": str(row.document_name)[:120],
                    "field": "other",
                }
            )
            wt.writerow(
                {
                    "asset": number,
                    "kind": "licence",
                    "seller": licensor,
                    "buyer": licensee,
                    "date": date,
                    "currency": "USD",
                    "amount": "0",
                    "royalty_rate": f"{float(row.royalty_rate):.4f}",
                    "exclusivity": row.exclusivity if row.exclusivity in ("exclusive", "sole") else "non_exclusive",
                    "territory": "US",
                    "term_end": _date(row.expiration_date),
                    "document": str(doc_path.relative_to(folder)),
                }
            )
    return assets_csv, tx_csv, len(rejected)
