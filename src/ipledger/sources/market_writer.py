"""Write a generated market through the contracts of record, in batches."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from ipledger.chain.codes import AssetKind, Exclusivity, Status, TxKind
from ipledger.chain.records import AssetInput, TxInput, to_timestamp
from ipledger.errors import ValidationError
from ipledger.money import to_minor
from ipledger.sources.generator import Market

# Final statuses that would make the contract reject the asset's earlier trades: they are set
# after the trades are recorded.
_CHAIN_BLOCKED = {"lapsed", "invalidated", "expired", "ownership_dispute"}


def _ts(value: Any) -> int:
    return 0 if pd.isna(value) else to_timestamp(pd.Timestamp(value).to_pydatetime())


def _hash_bytes(text: str) -> bytes:
    return (
        bytes.fromhex(text[2:]) if isinstance(text, str) and text.startswith("0x") and len(text) == 66 else b"\0" * 32
    )


def write_market(
    client: Any,
    market: Market,
    documents: Any = None,
    batch_size: int = 500,
    progress: Callable[[str, int, int], None] | None = None,
    skip: int = 0,
) -> dict[str, Any]:
    """Write a generated market through the contracts of record.

    Order: metadata documents into ``documents`` (a DocumentStore) when given; asset
    registrations (with the applicant as owner, and a tradable status for assets whose final
    status blocks trades); transactions in date order (release refs remapped to the pledges'
    actual record ids); finally ``set_status`` for lapsed / invalidated / expired /
    ownership-dispute assets at their ``status_date``.

    Args:
        client: a :class:`~ipledger.chain.client.LedgerClient` holding the registrar and
            recorder roles.
        market: from :func:`generate_market`.
        documents: optional DocumentStore for the metadata documents.
        batch_size: records per chain transaction (1..1000).
        progress: optional ``callable(step_name, done, total)``.
        skip: records of this market already on chain (a run that was killed): the write
            resumes after them, so a rerun ends with the full market and nothing twice.

    Returns:
        ``documents``, ``assets``, ``transactions`` and ``status_changes`` written;
        ``first_tx_record_id`` (chain id of the first transaction record); ``record_id_offset``
        (chain record id = market ``record_id`` + offset); ``last_record_id``; ``blocks``
        (first and last block written).
    """

    def report(step: str, done: int, total: int) -> None:
        if progress is not None:
            progress(step, done, total)

    assets, tx = market.assets, market.transactions
    n_docs = 0
    if documents is not None:
        for h, blob in market.documents.items():
            if "0x" + documents.put(blob).hex() != h:
                raise ValidationError(f"metadata document {h} does not hash to its key")
            n_docs += 1
        report("documents", n_docs, len(market.documents))
    inputs = []
    for a in assets.itertuples(index=False):
        status = a.status if a.status not in _CHAIN_BLOCKED else ("active" if pd.notna(a.grant_date) else "pending")
        inputs.append(
            AssetInput(
                jurisdiction=a.jurisdiction,
                kind=AssetKind[a.kind.upper()],
                registry_number=a.registry_number,
                class_code=a.class_code,
                filing_date=_ts(a.filing_date),
                owner=a.applicant,
                grant_date=_ts(a.grant_date),
                expiry_date=_ts(a.expiry_date),
                status=Status[status.upper()],
                metadata_hash=_hash_bytes(a.metadata_hash),
            )
        )
    blocks: list[int] = []
    skip_assets = min(skip, len(inputs))
    skip_tx = min(max(0, skip - len(inputs)), len(tx))
    skip_status = max(0, skip - len(inputs) - len(tx))
    done = skip_assets
    for res in client.register_assets(inputs[skip_assets:], batch_size):
        done += res.count
        blocks.append(res.block_number)
        report("assets", done, len(inputs))
    first_id = client.record_count() + 1 - skip_tx
    offset = first_id - int(tx["record_id"].min()) if len(tx) else 0
    txs = [
        TxInput(
            asset_id=bytes.fromhex(t.asset_id[2:]),
            kind=TxKind[t.kind.upper()],
            seller=t.seller,
            buyer=t.buyer,
            date=_ts(t.date),
            currency=t.currency,
            amount=to_minor(t.amount, t.currency),
            royalty_bps=round(t.royalty_rate * 10_000),
            exclusivity=Exclusivity[t.exclusivity.upper()],
            territory=t.territory,
            term_end=_ts(t.term_end),
            ref=int(t.ref) + offset if t.ref else 0,
            doc_hash=_hash_bytes(t.doc_hash),
        )
        for t in tx.itertuples(index=False)
    ]
    done = skip_tx
    expected = first_id + skip_tx
    for res in client.record_many(txs[skip_tx:], batch_size):
        if res.first_record_id != expected:
            raise ValidationError(f"record ids moved: batch starts at {res.first_record_id}, expected {expected}")
        expected += res.count
        done += res.count
        blocks.append(res.block_number)
        report("transactions", done, len(txs))
    changes = assets[assets["status"].isin(sorted(_CHAIN_BLOCKED))]
    for n_changes, a in enumerate(changes.iloc[skip_status:].itertuples(index=False), start=skip_status + 1):
        res = client.set_status(bytes.fromhex(a.asset_id[2:]), Status[a.status.upper()], _ts(a.status_date))
        blocks.append(res.block_number)
        report("statuses", n_changes, len(changes))
    return {
        "documents": n_docs,
        "assets": len(inputs),
        "transactions": len(txs),
        "status_changes": len(changes),
        "first_tx_record_id": first_id,
        "record_id_offset": offset,
        "last_record_id": client.record_count(),
        "blocks": (min(blocks), max(blocks)) if blocks else (0, 0),
    }
