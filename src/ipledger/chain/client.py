"""Typed client of the contracts of record: every write mined, every revert a typed exception."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak

from ipledger.chain.abi import ContractABI
from ipledger.chain.backend import CallReverted, ChainBackend, Receipt
from ipledger.chain.codes import MAX_BATCH, ROLES
from ipledger.chain.compiled import load
from ipledger.chain.consent import PartyConsent, nonce_recorder, pack_consents
from ipledger.chain.records import AnchorInput, AssetInput, ClaimInput, TxInput, WriteResult
from ipledger.errors import ChainError, ValidationError


def role_id(name: str) -> bytes:
    """bytes32 id of a role; ``"admin"`` is AccessControl's DEFAULT_ADMIN_ROLE (zero)."""
    if name.lower() in ("admin", "default_admin_role"):
        return b"\0" * 32
    full = name.upper() if name.upper().endswith("_ROLE") else f"{name.upper()}_ROLE"
    if full not in ROLES:
        raise ValidationError(f"unknown role {name!r} (roles: admin, {', '.join(r[:-5].lower() for r in ROLES)})")
    return keccak(text=full)


def transfer_seal(asset_id: bytes, record_id: int, seller: bytes) -> bytes:
    """The asset word's seal of transfer ``record_id`` sold by ``seller``: the top 74 bits of
    keccak256(abi.encode(assetId, recordId, seller)), the rest zero (see IPRegistry._assets)."""
    h = keccak(asset_id + record_id.to_bytes(32, "big") + bytes(12) + seller)
    return h[:9] + bytes([h[9] & 0xC0]) + bytes(22)


@dataclass(frozen=True)
class AssetState:
    owner: bytes
    status: int
    kind: int
    filing_date: int

    @property
    def exists(self) -> bool:
        return self.owner != b"\0" * 20


class LedgerClient:
    """Writes and reads IPLedger and ValuationRegistry through any backend.

    Args:
        backend: the chain.
        ledger: IPLedger address.
        registry: ValuationRegistry address.
        sender: account to write from (default: the backend's first account).
    """

    def __init__(self, backend: ChainBackend, ledger: bytes, registry: bytes, sender: bytes | None = None) -> None:
        self.backend = backend
        self.ledger_address = ledger
        self.registry_address = registry
        self.sender = sender or backend.accounts()[0]
        self.ledger_abi = ContractABI(load("IPLedger"))
        self.registry_abi = ContractABI(load("ValuationRegistry"))

    def as_sender(self, sender: bytes) -> LedgerClient:
        """The same client writing from another account."""
        return LedgerClient(self.backend, self.ledger_address, self.registry_address, sender)

    # ---------------------------------------------------------------- plumbing

    def _write(self, contract: str, fn: str, *args: Any) -> Receipt:
        abi, to = self._target(contract)
        receipt = self.backend.transact(self.sender, to, abi.encode_call(fn, *args))
        if receipt.status != 1:
            raise abi.decode_revert(receipt.revert_data or b"")
        return receipt

    def _read(self, contract: str, fn: str, *args: Any, block: int | str = "latest") -> tuple[Any, ...]:
        abi, to = self._target(contract)
        try:
            out = self.backend.call(to, abi.encode_call(fn, *args), block=block, sender=self.sender)
        except CallReverted as exc:
            raise abi.decode_revert(exc.data) from None
        if not out:
            raise ChainError(f"no contract answered {fn} at 0x{to.hex()} (block {block})")
        return abi.decode_output(fn, out)

    def _target(self, contract: str) -> tuple[ContractABI, bytes]:
        if contract == "ledger":
            return self.ledger_abi, self.ledger_address
        return self.registry_abi, self.registry_address

    @staticmethod
    def _result(receipt: Receipt, count: int = 1) -> WriteResult:
        first = int.from_bytes(receipt.logs[0].topics[1], "big") if receipt.logs else 0
        return WriteResult(receipt.tx_hash, receipt.block_number, receipt.gas_used, first, count)

    # ---------------------------------------------------------------- assets

    def register_asset(self, asset: AssetInput, *, canonicalise: bool = True) -> WriteResult:
        """Register one asset; the result's ``extra['asset_id']`` is its bytes32 id.

        With ``canonicalise`` (the default) the registry number is first put in its canonical
        form (``ipledger.chain.numbers``); the contract refuses any other form.
        """
        if canonicalise:
            asset = asset.canonical()
        receipt = self._write("ledger", "registerAsset", asset.as_tuple())
        res = self._result(receipt)
        res.extra["asset_id"] = asset.asset_id
        return res

    def register_assets(self, assets: Sequence[AssetInput], batch_size: int = 200) -> Iterator[WriteResult]:
        """Register assets in batches (one transaction each), yielding each batch's result."""
        for chunk in _chunks([a.canonical() for a in assets], batch_size):
            yield self._result(self._write("ledger", "registerAssets", [a.as_tuple() for a in chunk]), len(chunk))

    def set_status(self, asset_id: bytes, status: int, date: int, doc_hash: bytes = b"\0" * 32) -> WriteResult:
        return self._result(self._write("ledger", "setStatus", asset_id, int(status), date, doc_hash))

    # ---------------------------------------------------------------- transactions

    def record(self, tx: TxInput) -> WriteResult:
        return self._result(self._write("ledger", "recordTransaction", tx.as_tuple()))

    def record_batch(self, txs: Sequence[TxInput]) -> WriteResult:
        """Record up to MAX_BATCH transactions in one transaction, all or nothing."""
        if not 0 < len(txs) <= MAX_BATCH:
            raise ValidationError(f"a batch holds 1 to {MAX_BATCH} records, not {len(txs)}")
        return self._result(self._write("ledger", "recordBatch", [t.as_tuple() for t in txs]), len(txs))

    def record_many(self, txs: Iterable[TxInput], batch_size: int = 500) -> Iterator[WriteResult]:
        """Record any number of transactions in batches, yielding each batch's result."""
        for chunk in _chunks(list(txs), batch_size):
            yield self.record_batch(chunk)

    def _packed(self, tx: TxInput, consents: Sequence[PartyConsent]) -> bytes:
        """``consents`` packed for the contract, after checking that each nonce names this sender
        (the contract builds the nonce from the sender, so another recorder's would only fail
        there as InvalidConsent)."""
        for c in consents:
            if nonce_recorder(c.nonce) != self.sender:
                raise ValidationError(
                    f"the signature of 0x{c.signer.hex()} is for recorder 0x{nonce_recorder(c.nonce).hex()} "
                    f"(its nonce names it), not 0x{self.sender.hex()}: only that recorder can submit it"
                )
        return pack_consents(tx, consents)

    def record_with_consent(self, tx: TxInput, consents: Sequence[PartyConsent]) -> WriteResult:
        """Record ``tx`` with its parties' EIP-712 signatures (see ipledger.chain.consent)."""
        return self._result(self._write("ledger", "recordWithConsent", tx.as_tuple(), self._packed(tx, consents)), 1)

    def record_batch_with_consent(self, items: Sequence[tuple[TxInput, Sequence[PartyConsent]]]) -> WriteResult:
        """Record up to MAX_BATCH transactions, each with its signatures (possibly none)."""
        if not 0 < len(items) <= MAX_BATCH:
            raise ValidationError(f"a batch holds 1 to {MAX_BATCH} records, not {len(items)}")
        records = [t.as_tuple() for t, _c in items]
        consents = b"".join(self._packed(t, cs) for t, cs in items)
        return self._result(self._write("ledger", "recordBatchWithConsent", records, consents), len(items))

    def amend_with_consent(self, tx: TxInput, consents: Sequence[PartyConsent]) -> WriteResult:
        """``amend`` with the parties' signatures over the new terms."""
        return self._result(
            self._write("ledger", "amendRecordWithConsent", tx.as_tuple(), self._packed(tx, consents)), 1
        )

    def nonce_spent(self, nonce: int, block: int | str = "latest") -> bool:
        """Whether consent nonce ``nonce`` (see ipledger.chain.consent.consent_nonce) was spent."""
        word = int(self._read("ledger", "spentNonces", nonce >> 8, block=block)[0])
        return bool(word >> (nonce & 255) & 1)

    def set_owner_consent_required(self, required: bool) -> None:
        """Require (admin) the owner's signature for assignments, auctions and pledges."""
        self._write("ledger", "setOwnerConsentRequired", required)

    def owner_consent_required(self) -> bool:
        return bool(self._read("ledger", "ownerConsentRequired")[0])

    def amend(self, tx: TxInput) -> WriteResult:
        """Replace the terms of record ``tx.ref``."""
        return self._result(self._write("ledger", "amendRecord", tx.as_tuple()))

    def void(
        self, record_id: int, asset_id: bytes, restored_owner: bytes = b"\0" * 20, doc_hash: bytes = b"\0" * 32
    ) -> WriteResult:
        return self._result(self._write("ledger", "voidRecord", record_id, asset_id, restored_owner, doc_hash))

    # ---------------------------------------------------------------- currencies and organisations

    def set_currencies(self, codes: Sequence[str], allowed: bool = True) -> None:
        """Allow (or withdraw) ISO 4217 codes on the ledger's allow-list (admin), 200 a transaction."""
        for chunk in _chunks(list(codes), 200):
            self._write("ledger", "setCurrencies", [c.encode("ascii") for c in chunk], allowed)

    def is_currency(self, code: str, block: int | str = "latest") -> bool:
        return bool(self._read("ledger", "isCurrency", code.encode("ascii"), block=block)[0])

    def set_organisation(self, account: bytes, org_id: str, name: str, kind: int) -> WriteResult:
        """Name the organisation behind ``account`` in the on-chain directory (admin); kind 0 removes it."""
        receipt = self._write("ledger", "setOrganisation", account, org_id, name, int(kind))
        return WriteResult(receipt.tx_hash, receipt.block_number, receipt.gas_used, 0, 0)

    def organisation_of(self, account: bytes, block: int | str = "latest") -> tuple[str, str, int] | None:
        """(org id, name, kind) of ``account`` in the directory, or None."""
        org_id, name, kind = self._read("ledger", "organisationOf", account, block=block)[0]
        return (str(org_id), str(name), int(kind)) if int(kind) else None

    # ---------------------------------------------------------------- anchors and claims

    def anchor(self, anchor: AnchorInput) -> WriteResult:
        return self._result(self._write("registry", "anchor", anchor.as_tuple()))

    def record_claim(self, claim: ClaimInput) -> WriteResult:
        return self._result(self._write("registry", "recordClaim", claim.as_tuple()))

    # ---------------------------------------------------------------- roles and pause

    def grant_role(self, role: str, account: bytes, contract: str = "both") -> None:
        for c in _contracts(contract):
            self._write(c, "grantRole", role_id(role), account)

    def revoke_role(self, role: str, account: bytes, contract: str = "both") -> None:
        for c in _contracts(contract):
            self._write(c, "revokeRole", role_id(role), account)

    def has_role(self, role: str, account: bytes, contract: str = "ledger", block: int | str = "latest") -> bool:
        return bool(self._read(contract, "hasRole", role_id(role), account, block=block)[0])

    def begin_admin_transfer(self, new_admin: bytes, contract: str = "both") -> None:
        for c in _contracts(contract):
            self._write(c, "beginDefaultAdminTransfer", new_admin)

    def accept_admin_transfer(self, contract: str = "both") -> None:
        for c in _contracts(contract):
            self._write(c, "acceptDefaultAdminTransfer")

    def admin(self, contract: str = "ledger") -> bytes:
        return bytes.fromhex(str(self._read(contract, "defaultAdmin")[0])[2:])

    def pause(self, contract: str = "both") -> None:
        for c in _contracts(contract):
            self._write(c, "pause")

    def unpause(self, contract: str = "both") -> None:
        for c in _contracts(contract):
            self._write(c, "unpause")

    def paused(self, contract: str = "ledger") -> bool:
        return bool(self._read(contract, "paused")[0])

    # ---------------------------------------------------------------- views

    def asset_state(self, asset_id: bytes, block: int | str = "latest") -> AssetState:
        owner, status, kind, filing = self._read("ledger", "assetState", asset_id, block=block)
        return AssetState(bytes.fromhex(owner[2:]), status, kind, filing)

    def asset_history(self, asset_id: bytes, block: int | str = "latest") -> tuple[bytes, int, int]:
        """(seal of the latest live transfer, last status date, status a dispute interrupted).

        Compare the seal with :func:`transfer_seal` of a candidate (record id, seller)."""
        seal, last_date, resume = self._read("ledger", "assetHistory", asset_id, block=block)
        return bytes(seal), int(last_date), int(resume)

    def record_info(self, record_id: int, block: int | str = "latest") -> tuple[int, bool, bool]:
        kind, is_void, released = self._read("ledger", "recordInfo", record_id, block=block)
        return int(kind), bool(is_void), bool(released)

    def accumulator(self, contract: str = "ledger", block: int | str = "latest") -> bytes:
        return bytes(self._read(contract, "accumulator", block=block)[0])

    def record_count(self, contract: str = "ledger", block: int | str = "latest") -> int:
        return int(self._read(contract, "recordCount", block=block)[0])


def _contracts(which: str) -> tuple[str, ...]:
    if which == "both":
        return ("ledger", "registry")
    if which in ("ledger", "registry"):
        return (which,)
    raise ValidationError(f"contract must be ledger, registry or both, not {which!r}")


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    if size < 1:
        raise ValidationError("batch size must be at least 1")
    for start in range(0, len(items), size):
        yield items[start : start + size]
