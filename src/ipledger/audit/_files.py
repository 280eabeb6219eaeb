"""Checks 5 and 6: stored documents and anchored reports against the hashes on chain."""

import hashlib
import json
from collections import defaultdict
from typing import Any

from ipledger.audit._base import DOC_COLUMNS, ZERO32, AuditBase, _hex, _name, _same, _where
from ipledger.audit.recompute import LedgerAt, RecomputeUnavailable
from ipledger.audit.report import Check
from ipledger.chain.codes import AnchorKind


def _kind_name(kind: int) -> str:
    try:
        return AnchorKind(kind).name.lower()
    except ValueError:
        return f"kind-{kind}"


class FilesCheck(AuditBase):
    # ------------------------------------------------------------------ 5. documents

    def check_docs(self) -> Check:
        check = Check("documents", "Every stored document hashes to the hash recorded on chain")
        if self.documents is None:
            check.skipped = "no document store"
            check.note("no document store given: documents not checked", "skipped")
            return check
        refs: dict[str, list[tuple[str, dict[str, Any], str]]] = defaultdict(list)
        for table, column in DOC_COLUMNS.items():
            for r in self.rows[table]:
                h = str(r[column]).lower()
                if self._audited(r) and h != ZERO32:
                    refs[h].append((table, r, column))
        ok = missing = bad = 0
        for h, uses in refs.items():
            table, r, column = uses[0]
            also = f" (and {len(uses) - 1} more rows)" if len(uses) > 1 else ""
            path = self.documents.path(h)
            if not path.is_file():
                missing += 1
                check.warn(
                    f"document {h[2:]} named by {_name(table, r)}.{column}{also} is not in the document store",
                    "missing",
                    file=path.name,
                    column=column,
                    **_where(table, r),
                )
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest != h[2:]:
                bad += 1
                check.fail(
                    f"document file {path.name} (named by {_name(table, r)}.{column}{also}) hashes to "
                    f"{digest}: altered",
                    "mismatch",
                    file=path.name,
                    column=column,
                    **_where(table, r),
                )
            else:
                ok += 1
        check.counts.update(documents=len(refs), verified=ok, missing=missing, mismatching=bad)
        return check

    # ------------------------------------------------------------------ 6. reports and quotes

    def check_reports(self) -> Check:
        check = Check("reports", "Anchored valuation reports and quotes are stored and reproduce their hash")
        anchors = [r for r in self.rows["anchors"] if self._audited(r)]
        check.counts["anchors"] = len(anchors)
        if self.documents is None:
            check.skipped = "no document store"
            check.note("no document store given: reports not checked", "skipped")
            return check
        view: Any = self.ledger if self.ledger is not None else LedgerAt(self.store, self.documents, None)
        reproduced = unstored = unverifiable = 0
        skipped_kinds: dict[int, str] = {}
        for r in sorted(anchors, key=lambda a: int(a["record_id"])):
            h = str(r["report_hash"]).lower()
            where = _where("anchors", r)
            label = _kind_name(int(r["kind"]))
            path = self.documents.path(h)
            if not path.is_file():
                unstored += 1
                check.warn(
                    f"{label} report {h} anchored by {_name('anchors', r)} is not in the document store",
                    "unstored",
                    file=path.name,
                    **where,
                )
                continue
            content = path.read_bytes()
            digest = "0x" + hashlib.sha256(content).hexdigest()
            if digest != h:
                check.fail(
                    f"{label} report file {path.name} (anchored by {_name('anchors', r)}) hashes to {digest}: "
                    "altered after anchoring",
                    "altered",
                    file=path.name,
                    **where,
                )
            try:
                report = json.loads(content)
            except (ValueError, UnicodeDecodeError):
                check.fail(f"{label} report file {path.name} is not JSON", "not_json", file=path.name, **where)
                continue
            if not isinstance(report, dict):
                check.fail(f"{label} report file {path.name} is not a JSON object", "not_json", file=path.name, **where)
                continue
            for field, expected in (("asset_id", str(r["asset_id"])), ("state_block", int(r["state_block"]))):
                if field in report and not _same(expected, report[field]):
                    check.fail(
                        f"{label} report file {path.name} gives {field} {report[field]}, the anchor "
                        f"{_name('anchors', r)} says {expected}",
                        "anchor_field",
                        file=path.name,
                        **where,
                    )
            fn = self.recompute.get(int(r["kind"]))
            if fn is None:
                unverifiable += 1
                skipped_kinds.setdefault(int(r["kind"]), "no recompute function given")
                continue
            try:
                new = fn(report, view, int(r["state_block"]))
            except RecomputeUnavailable as exc:
                unverifiable += 1
                skipped_kinds.setdefault(int(r["kind"]), str(exc))
                continue
            except Exception as exc:  # the report cannot be reproduced, whatever the reason
                check.fail(
                    f"{label} report {path.name} (anchored by {_name('anchors', r)}) cannot be reproduced: "
                    f"recomputing failed with {exc.__class__.__name__}: {exc}",
                    "irreproducible",
                    file=path.name,
                    **where,
                )
                continue
            new_hex = _hex(new) if isinstance(new, bytes) else str(new).lower()
            if new_hex != h:
                check.fail(
                    f"{label} report {path.name} (anchored by {_name('anchors', r)}) cannot be reproduced: "
                    f"recomputed at block {r['state_block']} it hashes to {new_hex}",
                    "irreproducible",
                    file=path.name,
                    recomputed=new_hex,
                    **where,
                )
            else:
                reproduced += 1
        for kind, why in sorted(skipped_kinds.items()):
            check.note(
                f"{_kind_name(kind)} reports verified by file hash only, not recomputed: {why}", "not_recomputed"
            )
        check.counts.update(reproduced=reproduced, unstored=unstored, not_recomputed=unverifiable)
        return check
