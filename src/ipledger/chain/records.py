"""Typed inputs of the contracts of record, with the checks the contracts make.

Python-side values are friendly (ISO dates, currency strings, enums); ``as_tuple`` gives the
exact struct the contract takes. ``validate`` repeats the contract's stateless checks so that an
import can report every bad row before anything is sent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field, replace
from typing import Any

from ipledger.chain.codes import AnchorKind, AssetKind, ClaimKind, Exclusivity, Status, TxKind
from ipledger.errors import ValidationError
from ipledger.money import check_currency

ZERO32 = b"\0" * 32
_TERRITORY = re.compile(r"^[A-Z]{2}$")
MAX_UINT128 = 2**128 - 1


def to_timestamp(value: dt.date | dt.datetime | int | str | None) -> int:
    """Unix seconds (UTC) from a date, datetime, ISO string or int; None gives 0."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise ValidationError(f"not a date: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValidationError(f"not an ISO date: {value!r}") from exc
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return int(value.timestamp())
    return int(dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC).timestamp())


def doc_hash(content: bytes) -> bytes:
    """SHA-256 of a document: the hash recorded on chain and the document store's key."""
    return hashlib.sha256(content).digest()


def asset_id(jurisdiction: str, kind: AssetKind | int, registry_number: str) -> bytes:
    """The contract's asset id: keccak256(jurisdiction(2) ‖ kind(1) ‖ registry number)."""
    from eth_utils import keccak  # eth-utils loads on use: the valuation path imports this module

    return keccak(jurisdiction.encode("ascii") + bytes([int(kind)]) + registry_number.encode("utf-8"))


def _addr(value: str | bytes) -> bytes:
    from eth_utils import to_canonical_address

    try:
        return bytes(to_canonical_address(value))
    except (ValueError, TypeError) as exc:
        raise ValidationError(f"not an address: {value!r}") from exc


def _bytes_n(text: str, n: int) -> bytes:
    raw = text.encode("ascii")
    if len(raw) > n:
        raise ValidationError(f"{text!r} is longer than {n} bytes")
    return raw.ljust(n, b"\0")


@dataclass(frozen=True)
class AssetInput:
    """An IP asset to register. Dates in unix seconds (see ``to_timestamp``)."""

    jurisdiction: str
    kind: AssetKind
    registry_number: str
    class_code: str
    filing_date: int
    owner: str | bytes
    grant_date: int = 0
    expiry_date: int = 0
    status: Status = Status.ACTIVE
    metadata_hash: bytes = ZERO32

    @property
    def asset_id(self) -> bytes:
        return asset_id(self.jurisdiction, self.kind, self.registry_number)

    def canonical(self) -> AssetInput:
        """The same asset with its registry number in canonical form (see ipledger.chain.numbers)."""
        from ipledger.chain.numbers import canonical_number

        number = canonical_number(self.jurisdiction, self.kind, self.registry_number)
        return self if number == self.registry_number else replace(self, registry_number=number)

    def validate(self, now: int | None = None) -> None:
        now = now if now is not None else int(dt.datetime.now(dt.UTC).timestamp())
        if not _TERRITORY.match(self.jurisdiction):
            raise ValidationError(f"jurisdiction must be two capital letters, not {self.jurisdiction!r}")
        if not self.registry_number:
            raise ValidationError("registry number is empty")
        from ipledger.chain.numbers import is_canonical

        if not is_canonical(self.registry_number):
            raise ValidationError(f"registry number {self.registry_number!r} is not in canonical form")
        if not 0 < self.filing_date <= now:
            raise ValidationError("filing date is missing or in the future")
        if self.grant_date and self.grant_date < self.filing_date:
            raise ValidationError("grant date is before the filing date")
        if self.expiry_date and self.expiry_date <= self.filing_date:
            raise ValidationError("expiry date is not after the filing date")
        _addr(self.owner)
        _bytes_n(self.class_code, 16)

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.jurisdiction.encode("ascii"),
            int(self.kind),
            self.registry_number,
            _bytes_n(self.class_code, 16),
            self.filing_date,
            self.grant_date,
            self.expiry_date,
            int(self.status),
            _addr(self.owner),
            self.metadata_hash,
        )


@dataclass(frozen=True)
class TxInput:
    """A transaction record. ``amount`` in integer minor units; ``royalty_bps`` in basis points."""

    asset_id: bytes
    kind: TxKind
    seller: str | bytes  # seller / licensor / pledgor
    buyer: str | bytes  # buyer / licensee / pledgee
    date: int
    currency: str = "CNY"
    amount: int = 0
    royalty_bps: int = 0
    exclusivity: Exclusivity = Exclusivity.NON_EXCLUSIVE
    territory: str = "WW"
    term_end: int = 0
    ref: int = 0
    doc_hash: bytes = ZERO32

    def validate(self, now: int | None = None) -> None:
        """The contract's stateless checks (asset state is checked on chain)."""
        now = now if now is not None else int(dt.datetime.now(dt.UTC).timestamp())
        if len(self.asset_id) != 32:
            raise ValidationError("asset id must be 32 bytes")
        if not 0 < self.date <= now:
            raise ValidationError("date is missing or in the future")
        check_currency(self.currency)
        if not 0 <= self.amount <= MAX_UINT128:
            raise ValidationError(f"amount must be a non-negative integer of minor units, not {self.amount}")
        if not 0 <= self.royalty_bps <= 10_000:
            raise ValidationError(f"royalty must be 0-10000 basis points, not {self.royalty_bps}")
        if self.kind != TxKind.RELEASE and self.amount == 0 and (self.kind != TxKind.LICENCE or self.royalty_bps == 0):
            raise ValidationError(f"a {self.kind.name.lower()} needs a non-zero amount")
        if not _TERRITORY.match(self.territory):
            raise ValidationError(f"territory must be two capital letters, not {self.territory!r}")
        if self.term_end and self.term_end < self.date:
            raise ValidationError("term ends before it starts")
        _addr(self.seller)
        _addr(self.buyer)

    def as_tuple(self) -> tuple[Any, ...]:
        # Encoding only: validate() and the importer check the currency; the contract refuses an
        # unlisted one (UnknownCurrency), which the conformance tests exercise through this path.
        return (
            self.asset_id,
            int(self.kind),
            _addr(self.seller),
            _addr(self.buyer),
            self.date,
            self.currency.encode("ascii"),
            self.amount,
            self.royalty_bps,
            int(self.exclusivity),
            self.territory.encode("ascii"),
            self.term_end,
            self.ref,
            self.doc_hash,
        )


@dataclass(frozen=True)
class AnchorInput:
    """A report anchor. Figures in minor units: value/low/high, or sum insured/gross/net premium."""

    asset_id: bytes
    kind: AnchorKind
    report_hash: bytes
    state_block: int
    as_of: int
    currency: str
    value: int
    low: int = 0
    high: int = 0

    def as_tuple(self) -> tuple[Any, ...]:
        # Encoding only; the contract refuses a currency off its ISO 4217 list (UnknownCurrency).
        return (
            self.asset_id,
            int(self.kind),
            self.report_hash,
            self.state_block,
            self.as_of,
            self.currency.encode("ascii"),
            self.value,
            self.low,
            self.high,
        )


@dataclass(frozen=True)
class ClaimInput:
    asset_id: bytes
    kind: ClaimKind
    policy_hash: bytes
    claim_ref: bytes
    date: int
    currency: str
    amount: int
    head: int = 0
    doc_hash: bytes = ZERO32

    def as_tuple(self) -> tuple[Any, ...]:
        # Encoding only; the contract refuses a currency off its ISO 4217 list (UnknownCurrency).
        return (
            self.asset_id,
            int(self.kind),
            self.policy_hash,
            self.claim_ref,
            self.head,
            self.date,
            self.currency.encode("ascii"),
            self.amount,
            self.doc_hash,
        )


@dataclass(frozen=True)
class WriteResult:
    """What one mined write gave back."""

    tx_hash: bytes
    block_number: int
    gas_used: int
    first_record_id: int = 0
    count: int = 1
    extra: dict[str, Any] = field(default_factory=dict)
