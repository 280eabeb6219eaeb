"""Which asset a report or a command is about, in words a person recognises.

A 64-hex asset id tells nobody anything: every CLI title, JSON output and HTML report names the
asset by registry number, title, kind, jurisdiction and owner (by name when it was given at
import, see ``ipledger.parties``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class AssetIdentity:
    """The identity block of one asset.

    Attributes:
        asset_id: 0x id (keccak of jurisdiction, kind and registry number).
        registry_number: the registry's number, never shortened.
        title: title from the asset's metadata document, or None.
        kind: invention, utility_model, design, trademark, copyright, software, trade_secret.
        jurisdiction: ISO 3166 two-letter code of the registry.
        owner: current owner's 0x address.
        owner_name: the owner's name when it was given at import, else None.
        status: current status (active, lapsed, ...).
    """

    asset_id: str
    registry_number: str
    title: str | None
    kind: str
    jurisdiction: str
    owner: str
    owner_name: str | None
    status: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def owner_label(self) -> str:
        return self.owner_name or self.owner

    def headline(self) -> str:
        """``ZL201810012345.6 "Drug delivery" (invention, CN), owner Acme Pharma``."""
        title = f' "{self.title}"' if self.title else ""
        return f"{self.registry_number}{title} ({self.kind}, {self.jurisdiction}), owner {self.owner_label}"


def identify(ledger: Any, asset_id: str, names: dict[str, str] | None = None) -> AssetIdentity:
    """The identity of ``asset_id`` (0x id or registry number) in ``ledger`` (a Ledger or LedgerAt).

    Args:
        ledger: the ledger to read the asset from.
        asset_id: 0x id or registry number.
        names: {address: name} of parties; default the ledger's party book when it has one.
    """
    aid = ledger.resolve_asset(asset_id)
    a = ledger.assets()
    row = a[a["asset_id"] == aid].iloc[0]
    if names is None:
        names = ledger.party_names() if hasattr(ledger, "party_names") else {}
    owner = str(row["owner"])
    title = row.get("title")
    return AssetIdentity(
        asset_id=aid,
        registry_number=str(row["registry_number"]),
        title=str(title) if title not in (None, "") and title == title else None,
        kind=str(row["kind"]),
        jurisdiction=str(row["jurisdiction"]),
        owner=owner,
        owner_name=names.get(owner.lower()),
        status=str(row["status"]),
    )
