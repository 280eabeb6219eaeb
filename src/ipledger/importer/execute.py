"""Writing an import plan to the chain in batches, documents first."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ipledger.importer.plan import ImportPlan
from ipledger.importer.rows import StatusInput


def _segments(rows: list[tuple[Any, list[Any]]]) -> Iterator[list[tuple[Any, list[Any]]]]:
    """Runs of consecutive transactions (one batch stream) and single status changes, each row
    with its parties' consents."""
    run: list[tuple[Any, list[Any]]] = []
    for pair in rows:
        if isinstance(pair[0], StatusInput):
            if run:
                yield run
                run = []
            yield [pair]
        else:
            run.append(pair)
    if run:
        yield run


def execute(
    plan: ImportPlan,
    client: Any,
    documents: Any,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
    parties: Any = None,
) -> int:
    """Store the documents and party names, then write the plan's rows; returns rows written.

    Transactions go in batches of ``batch_size``; a status change is one transaction of its own,
    written between the trades dated before and after it.
    """
    for doc in plan.documents:
        documents.put(doc)
    if parties is not None:
        parties.add(plan.parties)
    written = 0
    if plan.kind == "assets":
        for res in client.register_assets(plan.rows, batch_size=batch_size):
            written += res.count
            if progress:
                progress(res.count)
        return written
    consents = plan.consents if len(plan.consents) == len(plan.rows) else [[] for _ in plan.rows]
    for segment in _segments(list(zip(plan.rows, consents, strict=True))):
        first = segment[0][0]
        if isinstance(first, StatusInput):
            client.set_status(first.asset_id, int(first.status), first.date, first.doc_hash)
            written += 1
            if progress:
                progress(1)
            continue
        if any(c for _, c in segment):
            for start in range(0, len(segment), batch_size):
                chunk = segment[start : start + batch_size]
                client.record_batch_with_consent(chunk)
                written += len(chunk)
                if progress:
                    progress(len(chunk))
            continue
        for res in client.record_many([r for r, _ in segment], batch_size=batch_size):
            written += res.count
            if progress:
                progress(res.count)
    return written
