"""Party consent: EIP-712 signatures over a transaction record's terms.

A party signs the typed data ``Record`` of IPLedger's domain (name ``ipledger.IPLedger``, version
``2``, the chain id and the ledger's address) with its own key, offline; the recorder submits the
signature with the record (``LedgerClient.record_with_consent``). The contract checks it
(ecrecover, or ERC-1271 for contract wallets), spends the consent's nonce and logs it right after
the record, without a record id of its own (decision 0091); the audit re-verifies every logged
signature with :func:`digest` and :func:`recover`.

A nonce names the recorder who may submit the signature (its top 160 bits) and a counter that
recorder hands out (the low 96 bits, :func:`consent_nonce`); the contract spends each nonce once,
in any order, in a bitmap shared by all signers (decision 0090), so a signer new to the contract
costs no storage word of its own.

Signing uses eth-account's ``encode_typed_data`` so that the digest is the one MetaMask,
ethers and hardware wallets compute for the same typed data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_utils import to_checksum_address

from ipledger.chain.records import TxInput, _addr
from ipledger.errors import ValidationError

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

# eth-account is imported where a signature is made or checked: it loads a keyfile stack and BLS
# curves (about 0.5-0.9 s), and the client, which imports this module, is also on read paths.

DOMAIN_NAME = "ipledger.IPLedger"
DOMAIN_VERSION = "2"
RECORD_FIELDS: tuple[tuple[str, str], ...] = (
    ("assetId", "bytes32"),
    ("kind", "uint8"),
    ("from", "address"),
    ("to", "address"),
    ("date", "uint40"),
    ("currency", "bytes3"),
    ("amount", "uint128"),
    ("royaltyBps", "uint16"),
    ("exclusivity", "uint8"),
    ("territory", "bytes2"),
    ("termEnd", "uint40"),
    ("ref", "uint64"),
    ("docHash", "bytes32"),
    ("nonce", "uint256"),
    ("deadline", "uint256"),
)


COUNTER_BITS = 96


def consent_nonce(recorder: bytes, counter: int) -> int:
    """The nonce of consent ``counter`` to be submitted by ``recorder`` (recorder << 96 | counter)."""
    if len(recorder) != 20 or not 0 <= counter < 1 << COUNTER_BITS:
        raise ValidationError(f"a consent nonce needs a 20-byte recorder and a counter below 2^96, got {counter}")
    return int.from_bytes(recorder, "big") << COUNTER_BITS | counter


def nonce_recorder(nonce: int) -> bytes:
    """The recorder a consent nonce names."""
    return (nonce >> COUNTER_BITS).to_bytes(20, "big")


@dataclass(frozen=True)
class PartyConsent:
    """One party's signature over a record's terms, as signed and logged (:func:`pack_consents`
    packs it for the contract, which takes the signer from the record)."""

    signer: bytes
    nonce: int
    deadline: int  # unix seconds
    signature: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "signer": "0x" + self.signer.hex(),
            "nonce": self.nonce,
            "deadline": self.deadline,
            "signature": "0x" + self.signature.hex(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PartyConsent:
        try:
            return cls(
                bytes.fromhex(str(data["signer"]).removeprefix("0x")),
                int(data["nonce"]),
                int(data["deadline"]),
                bytes.fromhex(str(data["signature"]).removeprefix("0x")),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise ValidationError(f"not a consent signature: {exc}") from exc


MAX_DEADLINE = 2**40  # the packed deadline takes 5 bytes (a date in the year 36812)


def pack_consents(tx: TxInput, consents: Sequence[PartyConsent]) -> bytes:
    """``tx``'s consents as the contract reads them: a role byte (bit 0 the seller ``from``
    signed, bit 1 the buyer ``to``), then per signature, the seller's first, ``counter (12 bytes)
    | deadline (5) | length (2) | signature``. The contract takes the signer from the record and
    the nonce's top 160 bits from the sender, so a nonce made for another recorder fails there
    (InvalidConsent)."""
    seller, buyer = _addr(tx.seller), _addr(tx.buyer)
    by_role: dict[int, PartyConsent] = {}
    for c in consents:
        role = 0 if c.signer == seller and 0 not in by_role else 1 if c.signer == buyer and 1 not in by_role else None
        if role is None:
            raise ValidationError(f"0x{c.signer.hex()} is no party of the record, or signs it twice")
        if not 0 <= c.deadline < MAX_DEADLINE or not 0 <= c.nonce < 2**256 or len(c.signature) > 0xFFFF:
            raise ValidationError(f"malformed consent of 0x{c.signer.hex()}: deadline below 2^40, 65,535 bytes at most")
        by_role[role] = c
    out = bytearray([sum(1 << role for role in by_role)])
    for role in sorted(by_role):
        c = by_role[role]
        out += (c.nonce % 2**COUNTER_BITS).to_bytes(12, "big") + c.deadline.to_bytes(5, "big")
        out += len(c.signature).to_bytes(2, "big") + c.signature
    return bytes(out)


def typed_data(tx: TxInput, nonce: int, deadline: int, chain_id: int, ledger: bytes) -> dict[str, Any]:
    """The full EIP-712 message (types, domain, message) a party signs for ``tx``."""
    values = tx.as_tuple()
    message = dict(zip([name for name, _t in RECORD_FIELDS[:13]], values, strict=True))
    message["from"] = to_checksum_address(message["from"])
    message["to"] = to_checksum_address(message["to"])
    message["nonce"] = nonce
    message["deadline"] = deadline
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Record": [{"name": n, "type": t} for n, t in RECORD_FIELDS],
        },
        "primaryType": "Record",
        "domain": {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": chain_id,
            "verifyingContract": to_checksum_address(ledger),
        },
        "message": message,
    }


def digest(tx: TxInput, nonce: int, deadline: int, chain_id: int, ledger: bytes) -> bytes:
    """The 32-byte EIP-712 digest the contract checks signatures against."""
    from eth_account.messages import _hash_eip191_message, encode_typed_data

    return bytes(
        _hash_eip191_message(encode_typed_data(full_message=typed_data(tx, nonce, deadline, chain_id, ledger)))
    )


def sign_record(
    tx: TxInput, account: LocalAccount, nonce: int, deadline: int, chain_id: int, ledger: bytes
) -> PartyConsent:
    """Sign ``tx``'s terms as ``account`` (a party: its seller or buyer)."""
    from eth_account.messages import encode_typed_data

    signable = encode_typed_data(full_message=typed_data(tx, nonce, deadline, chain_id, ledger))
    signed = account.sign_message(signable)
    return PartyConsent(bytes.fromhex(account.address[2:]), nonce, deadline, bytes(signed.signature))


def recover(tx: TxInput, consent: PartyConsent, chain_id: int, ledger: bytes) -> bytes | None:
    """The address an ECDSA consent signature recovers to, or None when it is malformed."""
    from eth_account import Account

    try:
        address = Account._recover_hash(
            digest(tx, consent.nonce, consent.deadline, chain_id, ledger), signature=consent.signature
        )
    except Exception:  # a malformed signature (length, s or v out of range) recovers nobody
        return None
    return bytes.fromhex(address[2:])


def consent_level(tx: TxInput, signers: set[bytes]) -> int:
    """0 recorder only, 1 one party, 2 both parties signed."""

    return int(_addr(tx.seller) in signers) + int(_addr(tx.buyer) in signers)
