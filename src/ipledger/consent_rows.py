"""Signature columns of transaction import files (CSV or JSON lines).

A row may carry the parties' EIP-712 consent (see ipledger.chain.consent) in six columns:
``seller_signature``, ``seller_nonce``, ``seller_deadline`` and the same for ``buyer_``. The
signature is 0x hex, the nonce an integer (the submitting recorder's address times 2^96 plus a
counter, see ipledger.chain.consent.consent_nonce), the deadline unix seconds or an ISO date. ``ipledger
sign`` fills them in for the parties whose key it holds; ``ipledger import transactions`` sends
them with the record, and the contract refuses the row if a signature does not match its terms.
"""

from __future__ import annotations

from collections.abc import Mapping

from ipledger.chain.consent import MAX_DEADLINE, PartyConsent
from ipledger.chain.records import TxInput, _addr, to_timestamp
from ipledger.errors import ValidationError

PARTIES = ("seller", "buyer")
COLUMNS = tuple(f"{p}_{c}" for p in PARTIES for c in ("signature", "nonce", "deadline"))


def consents_from_row(row: Mapping[str, str], tx: TxInput) -> list[PartyConsent]:
    """The consents a row carries, signer taken from the record's seller or buyer."""
    out = []
    for party in PARTIES:
        sig = (row.get(f"{party}_signature") or "").strip()
        if not sig:
            continue
        try:
            signature = bytes.fromhex(sig.removeprefix("0x"))
            nonce = int(str(row.get(f"{party}_nonce") or "").strip())
        except ValueError as exc:
            raise ValidationError(f"{party} signature or nonce is malformed ({exc})") from exc
        deadline_text = (row.get(f"{party}_deadline") or "").strip()
        if not deadline_text:
            raise ValidationError(f"{party}_deadline is missing")
        deadline = int(deadline_text) if deadline_text.isdigit() else to_timestamp(deadline_text)
        if deadline >= MAX_DEADLINE:
            raise ValidationError(f"{party}_deadline {deadline} is not below 2^40 (the contract's five bytes)")
        out.append(PartyConsent(_addr(tx.seller if party == "seller" else tx.buyer), nonce, deadline, signature))
    return out


def row_with_consent(row: Mapping[str, str], party: str, consent: PartyConsent) -> dict[str, str]:
    """``row`` with ``party``'s signature columns filled in."""
    out = dict(row)
    out[f"{party}_signature"] = "0x" + consent.signature.hex()
    out[f"{party}_nonce"] = str(consent.nonce)
    out[f"{party}_deadline"] = str(consent.deadline)
    return out
