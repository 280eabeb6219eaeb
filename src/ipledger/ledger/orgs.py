"""The organisation directory as indexed from the chain: who stands behind an address.

Rows come from IPLedger's ``OrganisationSet`` events (table ``organisations``); the latest event
of an account wins and kind ``"removed"`` takes the account out. Reports and the audit name the
organisation as it stood when a record was written, so look-ups take a chain position.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import pandas as pd

COLUMNS = ["account", "org_id", "name", "kind", "block_number", "log_index"]


class OrgDirectory:
    """Organisation look-ups over the ``organisations`` rows.

    Args:
        rows: rows of the ``organisations`` table, in any order.
    """

    def __init__(self, rows: Iterable[dict[str, Any]]) -> None:
        self._rows = sorted(rows, key=lambda r: (int(r["block_number"]), int(r["log_index"])))
        self._by_account: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in self._rows:
            self._by_account[str(r["account"]).lower()].append(r)

    def frame(self) -> pd.DataFrame:
        """The current directory: one row per listed account (removed accounts left out)."""
        latest = [events[-1] for events in self._by_account.values() if events[-1]["kind"] != "removed"]
        df = pd.DataFrame(latest, columns=COLUMNS)
        return df.sort_values(["org_id", "account"]).reset_index(drop=True)

    def row_at(self, account: str, block: int | None = None, log_index: int = 2**31) -> dict[str, Any] | None:
        """The directory entry of ``account`` as it stood at (block, log index); None when unlisted."""
        events = self._by_account.get(str(account).lower())
        if not events:
            return None
        if block is None:
            row = events[-1]
        else:
            keys = [(int(r["block_number"]), int(r["log_index"])) for r in events]
            i = bisect_right(keys, (int(block), int(log_index)))
            if i == 0:
                return None
            row = events[i - 1]
        return None if row["kind"] == "removed" else row

    def name_at(self, account: str, block: int | None = None, log_index: int = 2**31) -> str | None:
        """The organisation name of ``account`` at a chain position (latest when block is None)."""
        row = self.row_at(account, block, log_index)
        return None if row is None else str(row["name"])
