"""Codes shared with the contracts (contracts/LedgerTypes.sol, ValuationRegistry.sol)."""

from __future__ import annotations

from enum import IntEnum


class AssetKind(IntEnum):
    INVENTION = 1
    UTILITY_MODEL = 2
    DESIGN = 3
    TRADEMARK = 4
    COPYRIGHT = 5
    SOFTWARE = 6
    TRADE_SECRET = 7


class Status(IntEnum):
    PENDING = 1
    ACTIVE = 2
    LAPSED = 3
    INVALIDATED = 4
    EXPIRED = 5
    OWNERSHIP_DISPUTE = 6
    INFRINGEMENT_DISPUTE = 7


class TxKind(IntEnum):
    ASSIGNMENT = 1
    LICENCE = 2
    PLEDGE = 3
    RELEASE = 4
    AUCTION = 5


class Exclusivity(IntEnum):
    NON_EXCLUSIVE = 0
    SOLE = 1
    EXCLUSIVE = 2


class AnchorKind(IntEnum):
    VALUATION = 1
    QUOTE = 2
    POLICY = 3


class ClaimKind(IntEnum):
    """Claim transactions recorded by the insurer (ValuationRegistry.recordClaim)."""

    OPENED = 1  # notified: date of loss, amount = initial case reserve
    PAID = 2
    RECOVERED = 3  # subrogation: damages recovered from the infringer
    CLOSED = 4
    RESERVED = 5  # case reserve revised to amount (zero allowed)
    AWARD_SHARED = 6  # part of a recovered award paid back to the insured
    NOTIFIED = 1  # alias of OPENED


class OrgKind(IntEnum):
    """Kinds of the on-chain organisation directory (0 removes an account)."""

    REGISTRY = 1
    EXCHANGE = 2
    VALUER = 3
    INSURER = 4
    AUDITOR = 5
    HOLDER = 6


class Consent(IntEnum):
    """Who, besides the recorder, signed a record's terms."""

    RECORDER = 0
    ONE_PARTY = 1
    BOTH_PARTIES = 2


ROLES = ("REGISTRAR_ROLE", "RECORDER_ROLE", "VALUER_ROLE", "INSURER_ROLE", "PAUSER_ROLE")
MAX_BATCH = 1000


def parse_enum(enum: type[IntEnum], value: str | int) -> int:
    """Accept a code, a name (``"invention"``, ``"utility-model"``) or a numeric string."""
    if isinstance(value, int):
        return int(enum(value))
    text = value.strip()
    if text.isdigit():
        return int(enum(int(text)))
    return int(enum[text.upper().replace("-", "_").replace(" ", "_")])
