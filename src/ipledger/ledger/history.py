"""An asset's history: every record of one asset in chain order, with names, amounts and the
organisation that wrote it (``Ledger.history``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from ipledger.ledger.api import Ledger


def history(ledger: Ledger, asset_id: str) -> pd.DataFrame:
    """Every record of one asset in chain order: registration, transactions (void ones
    flagged), status changes, voids, anchors and claims.

    Columns: record_id, event, date, detail (one readable line, party names where known),
    fields (the same as a dict of structured values: parties with names, amounts as Decimal
    in major units with their currency, dates), block_number, log_index, tx_hash.
    """
    from ipledger.money import to_decimal
    from ipledger.parties import label

    aid = ledger.resolve_asset(asset_id)
    names = ledger.party_names()
    parts = []
    a = ledger.assets()
    row = a[a["asset_id"] == aid].iloc[0]

    def party(address: Any) -> dict[str, Any]:
        return {"address": str(address), "name": names.get(str(address).lower())}

    def add(
        record_id: Any,
        event: str,
        date: Any,
        detail: str,
        fields: dict[str, Any],
        r: Any,
        by: Any,
        consent: int | None = None,
    ) -> None:
        parts.append(
            {
                "record_id": int(record_id),
                "event": event,
                "date": date,
                "detail": detail,
                "fields": fields,
                "consent": consent,
                "by": by,
                "block_number": int(r["block_number"] if isinstance(r, dict) else r.block_number),
                "log_index": int(r["log_index"] if isinstance(r, dict) else r.log_index),
                "tx_hash": str(r["tx_hash"] if isinstance(r, dict) else r.tx_hash),
            }
        )

    add(
        row["record_id"],
        "registered",
        row["filing_date"],
        f"{row['kind']} {row['registry_number']} owner {label(row['initial_owner'], names)}",
        {
            "kind": str(row["kind"]),
            "registry_number": str(row["registry_number"]),
            "jurisdiction": str(row["jurisdiction"]),
            "owner": party(row["initial_owner"]),
        },
        row.to_dict(),
        row["registrar"],
    )
    for r in ledger.transactions(aid, include_void=True).itertuples():
        amount = to_decimal(int(r.amount_minor), str(r.currency))
        detail = f"{label(r.seller, names)} -> {label(r.buyer, names)} {amount:,} {r.currency}"
        fields: dict[str, Any] = {
            "seller": party(r.seller),
            "buyer": party(r.buyer),
            "amount": amount,
            "currency": str(r.currency),
        }
        if r.kind == "licence":
            detail += f" royalty {r.royalty_rate:.2%} {r.exclusivity} {r.territory}"
            fields.update(
                royalty_rate=r.royalty_rate,
                exclusivity=str(r.exclusivity),
                territory=str(r.territory),
                term_end=None if pd.isna(r.term_end) else r.term_end,
            )
        if r.amends:
            detail += f" (amends #{r.amends})"
            fields["amends"] = int(r.amends)
        consent = int(r.consent)
        detail += {1: " [signed by one party]", 2: " [signed by both parties]"}.get(consent, "")
        if r.void:
            detail += " [void]"
        fields["void"] = bool(r.void)
        fields["doc_hash"] = str(r.doc_hash)
        add(r.record_id, str(r.kind), r.date, detail, fields, r, r.recorder, consent)
    for r in ledger.status_history(aid).itertuples():
        add(
            r.record_id,
            "status",
            r.date,
            f"{r.previous_status} -> {r.status}",
            {"previous_status": str(r.previous_status), "status": str(r.status)},
            r,
            r.registrar,
        )
    for v in ledger._cache["voids"]:
        if v["asset_id"] == aid:
            voided = {"voids": int(v["target"])}
            add(v["record_id"], "void", pd.NaT, f"voids #{v['target']}", voided, v, v["recorder"])
    from ipledger.chain.codes import AnchorKind, ClaimKind

    for table, label_, kinds, amounts in (
        ("anchors", "anchor", AnchorKind, ("value", "low", "high")),
        ("claims", "claim", ClaimKind, ("amount",)),
    ):
        for r in ledger.store.read(table, lambda t: t.c.asset_id == aid):
            try:
                kind = kinds(int(r["kind"])).name.lower()
            except ValueError:
                kind = str(r["kind"])
            cur = str(r.get("currency", ""))
            fields = {"kind": kind, "currency": cur}
            for key in amounts:
                if r.get(key) is not None:
                    fields[key] = to_decimal(int(r[key]), cur)
            if "report_hash" in r:
                fields["report_hash"] = r["report_hash"]
            shown = " ".join(f"{k} {fields[k]:,}" for k in amounts if k in fields)
            add(
                r["record_id"],
                label_,
                pd.to_datetime(r.get("as_of", r.get("date", 0)), unit="s"),
                f"{kind} {shown} {cur}".strip(),
                fields,
                r,
                r.get("by", r.get("insurer")),
            )
    df = pd.DataFrame(parts).sort_values(["block_number", "log_index"]).reset_index(drop=True)
    # The organisation that wrote each record, as the directory stood at that record.
    orgs = ledger.org_directory()
    org_names = [
        orgs.name_at(str(by), int(b), int(i))
        for by, b, i in zip(df["by"], df["block_number"], df["log_index"], strict=True)
    ]
    df["organisation"] = pd.Series(org_names, index=df.index, dtype="object")
    return df
