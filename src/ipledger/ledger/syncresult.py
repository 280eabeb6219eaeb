"""What one sync did (its own module: a sync with nothing to index returns one without loading
the indexer, its log decoders and the contracts' ABI)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SyncResult:
    from_block: int
    to_block: int
    events: int
    seconds: float
    reorgs: int
    rolled_back_rows: int

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0
