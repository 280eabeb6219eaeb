"""Check: every party signature logged on chain verifies against its record's terms.

The contract checked each signature when it was recorded; the audit does it again from the logs
alone, so that a store or a log feed that was tampered with, or a contract that was not the
audited code, cannot pass off a record as consented. Each nonce must name the record's recorder
and appear once (the contract spends it; decision 0090). A consent takes no record id: it names
its record, logged just before it in the same chain transaction, whose asset it shares (0091).
Like OpenZeppelin's SignatureChecker it accepts an ECDSA signature that recovers to the signer,
else asks the signer's contract wallet (ERC-1271 ``isValidSignature``) at the block that recorded the consent.
"""

from typing import Any

from eth_abi import decode, encode
from eth_utils import keccak

from ipledger.audit._base import AuditBase, _where
from ipledger.audit.report import Check
from ipledger.chain.backend import CallReverted
from ipledger.chain.consent import PartyConsent, digest, nonce_recorder, recover
from ipledger.chain.records import TxInput
from ipledger.errors import ChainError

ERC1271_MAGIC = bytes.fromhex("1626ba7e")
_IS_VALID = keccak(text="isValidSignature(bytes32,bytes)")[:4]


def _terms(r: dict[str, Any]) -> TxInput:
    """The record's terms exactly as the contract hashed them (from a mapped log row)."""
    return TxInput(
        asset_id=bytes.fromhex(str(r["asset_id"])[2:]),
        kind=int(r["kind"]),  # type: ignore[arg-type]
        seller=str(r["seller"]),
        buyer=str(r["buyer"]),
        date=int(r["date"]),
        currency=str(r["currency"]),
        amount=int(r["amount"]),
        royalty_bps=int(r["royalty_bps"]),
        exclusivity=int(r["exclusivity"]),  # type: ignore[arg-type]
        territory=str(r["territory"]),
        term_end=int(r["term_end"]),
        ref=int(r["ref"]),
        doc_hash=bytes.fromhex(str(r["doc_hash"])[2:]),
    )


class ConsentCheck(AuditBase):
    # ------------------------------------------------------------------ party consent

    def check_consents(self) -> Check:
        check = Check("consent", "Every party signature in the logs verifies against its record's terms")
        logs = [g for g in self.logs if g.block_number <= self.end and g.address == self.ledger_address]
        rows = self.mapper.rows(logs)
        tx = {int(r["record_id"]): r for r in rows.get("transactions", [])}
        chain_id = self.backend.chain_id
        verified = by_wallet = 0
        spent: dict[int, str] = {}
        roles: dict[int, set[int]] = {}
        for c in rows.get("consents", []):
            if self.asset_id and c["asset_id"] != self.asset_id:
                continue
            where = _where("consents", c)
            label = f"consent {c['level']} of #{c['tx_record_id']}"
            t = tx.get(int(c["tx_record_id"]))
            if t is None or t["tx_hash"] != c["tx_hash"] or int(t["block_number"]) != int(c["block_number"]):
                check.fail(
                    f"{label} names record #{c['tx_record_id']}, not a transaction recorded with it",
                    "orphan",
                    **where,
                )
                continue
            signer = str(c["signer"]).lower()
            # The contract logs the seller's signature first, then the buyer's, each at most once.
            taken = roles.setdefault(int(t["record_id"]), set())
            if not taken and signer == str(t["seller"]).lower():
                taken.add(0)
            elif 1 not in taken and signer == str(t["buyer"]).lower():
                taken.add(1)
            else:
                check.fail(
                    f"{label}: {signer} is no party of record #{t['record_id']}, or signs it twice or out of order",
                    "party",
                    **where,
                )
                continue
            nonce = int(c["nonce"])
            if "0x" + nonce_recorder(nonce).hex() != str(t["recorder"]).lower():
                check.fail(
                    f"{label}: nonce {nonce} names another recorder than record #{t['record_id']}'s",
                    "nonce",
                    **where,
                )
                continue
            if nonce in spent:
                check.fail(
                    f"{label}: nonce {nonce} was already spent by {spent[nonce]} (a replayed signature)",
                    "replay",
                    **where,
                )
                continue
            spent[nonce] = label
            terms = _terms(t)
            consent = PartyConsent(
                bytes.fromhex(signer[2:]), int(c["nonce"]), int(c["deadline"]), bytes.fromhex(str(c["signature"])[2:])
            )
            if recover(terms, consent, chain_id, self.ledger_address) == consent.signer:
                verified += 1
                continue
            if self._wallet_accepts(
                consent,
                digest(terms, consent.nonce, consent.deadline, chain_id, self.ledger_address),
                int(c["block_number"]),
            ):
                verified += 1
                by_wallet += 1
                continue
            check.fail(
                f"{label}: the signature of {signer} does not verify against the terms of record #{t['record_id']}",
                "signature",
                **where,
            )
        check.counts["signatures_verified"] = verified
        check.counts["contract_wallet_signatures"] = by_wallet
        return check

    def _wallet_accepts(self, consent: PartyConsent, message: bytes, block: int) -> bool:
        """ERC-1271: does the signer's contract accept the signature at ``block``?"""
        data = _IS_VALID + encode(["bytes32", "bytes"], [message, consent.signature])
        try:
            out = self.backend.call(consent.signer, data, block=block)
        except (CallReverted, ChainError):
            return False
        if len(out) < 32:
            return False
        return bytes(decode(["bytes4"], out[:32])[0]) == ERC1271_MAGIC
