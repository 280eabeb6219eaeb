"""Writes from the platform: value and anchor, price and anchor, each signed by the writer's
organisation's own key from the keystore, never by a key the server shares.

The writer types the keystore password with each write; the server unlocks the key for that
one transaction and forgets it (the password is never stored or logged). Before signing, the
unlocked key's address must be the organisation's registered account and, where the ledger has
the on-chain organisations directory, that account must belong to the same organisation there.
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Protocol

from ipledger.errors import ChainError, PricingError, ValidationError
from ipledger.web.data import LedgerView

#: Inputs of a valuation request (major units, fractions, years) the form and the API accept.
VALUATION_INPUTS = ("revenue", "revenue_growth", "royalty_rate", "tax_rate", "discount_rate", "remaining_life")
FIRM_TYPES = ("sme", "micro", "champion", "other")


class KeyStoreLike(Protocol):
    """What the platform needs of ``ipledger.keys.KeyStore``."""

    def unlock(self, name: str, password: str) -> Any: ...


def default_keystore(data_dir: Path) -> KeyStoreLike | None:
    """``ipledger.keys.KeyStore`` at ``<data_dir>/keystore``, or None where this version has none."""
    try:
        from ipledger.keys import KeyStore  # type: ignore[import-not-found,unused-ignore]
    except ModuleNotFoundError:
        return None
    return KeyStore(data_dir / "keystore")  # type: ignore[no-any-return]


class _SignedLedger:
    """The ledger as seen by ``ipledger.workflows``, writing through another client."""

    def __init__(self, ledger: Any, client: Any) -> None:
        self._ledger = ledger
        self.client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ledger, name)


class Writer:
    """Anchors valuations and quotes for an organisation.

    Args:
        view: the platform's ledger view.
        keystore: the keystore (None: writes unavailable, with the reason shown).
        chain_lock: shared with the audit runner (see :class:`ipledger.web.audits.AuditJobs`).
    """

    def __init__(
        self, view: LedgerView, keystore: KeyStoreLike | None, chain_lock: threading.Lock | None = None
    ) -> None:
        self.view = view
        self.keystore = keystore
        # One write at a time (nonces and the sync after it), and none while an audit reads.
        self._lock = chain_lock or threading.Lock()

    def unavailable(self, org: dict[str, Any] | None) -> str | None:
        """Why this organisation cannot write from the platform, or None when it can."""
        if self.keystore is None:
            return "no keystore: this version of ipledger has no ipledger.keys module"
        if org is None or not org.get("account") or not org.get("key_name"):
            return "the organisation has no chain account and key registered (ipledger serve org add --account --key)"
        return None

    def _client(self, org: dict[str, Any], password: str) -> tuple[Any, Any]:
        reason = self.unavailable(org)
        if reason:
            raise ValidationError(reason)
        assert self.keystore is not None
        try:
            account = self.keystore.unlock(str(org["key_name"]), password)
        except Exception as exc:  # the keystore's own error types are not ours to name
            raise ValidationError("the keystore did not unlock with that password") from exc
        address = str(account.address).lower()
        if address != str(org["account"]).lower():
            raise ValidationError("the organisation's key does not hold its registered account")
        listed, missing = self.view.organisations()
        listed_ids = {str(r["account"]).lower(): str(r["org_id"]) for r in listed}
        if missing is None and listed_ids.get(address) != org["org_id"]:
            raise ValidationError(f"account {address} is not listed for {org['org_id']} in the on-chain directory")
        ledger = self.view.ledger
        sender = bytes.fromhex(address[2:])
        backend = ledger.backend
        if hasattr(backend, "add_signer"):
            backend.add_signer(account)
            remove = getattr(backend, "remove_signer", None)

            def forget() -> None:
                if remove is not None:
                    remove(account)

        elif hasattr(backend, "use_signer"):
            # The embedded chain signs with a registered keystore account (and funds it).
            backend.use_signer(account)

            def forget() -> None:
                return None

        elif getattr(backend, "kind", "") == "embedded":
            # The embedded chain signs with keys it holds; hold this one for one write only.
            from eth_keys import keys

            held = sender in backend._keys
            backend._keys[sender] = keys.PrivateKey(bytes(account.key))

            def forget() -> None:
                if not held:
                    backend._keys.pop(sender, None)

        else:
            raise ChainError("this chain backend cannot sign with keystore accounts (no add_signer)")
        return ledger.client.as_sender(sender), forget

    def _signed(self, org: dict[str, Any], password: str, action: Any) -> Any:
        with self._lock:
            client, forget = self._client(org, password)
            try:
                result = action(_SignedLedger(self.view.ledger, client))
            finally:
                forget()
            with self.view._lock:
                self.view.ledger.sync(progress=False)
            self.view.invalidate()
            return result

    # ------------------------------------------------------------ valuations

    def value(self, asset_id: str, inputs: dict[str, float]) -> Any:
        """Value an asset (``ipledger.value_asset``) with the valuer's inputs; nothing anchored."""
        from ipledger.valuation import value_asset

        unknown = set(inputs) - set(VALUATION_INPUTS)
        if unknown:
            raise ValidationError(f"unknown valuation input(s): {', '.join(sorted(unknown))}")
        aid = self.view.resolve(asset_id)
        with self.view._lock:
            return value_asset(self.view.ledger, aid, inputs=dict(inputs))

    def anchor_valuation(self, org: dict[str, Any], password: str, valuation: Any) -> Any:
        """Anchor a valuation's report hash and figures, signed by the organisation's key."""
        from ipledger.workflows import anchor_valuation

        return self._signed(org, password, lambda ledger: anchor_valuation(ledger, valuation))

    # ------------------------------------------------------------ quotes

    def price(self, asset_id: str, product: str, firm_type: str = "sme", year: int = 1) -> Any:
        """Price a policy on the asset's latest anchored valuation (``ipledger.quote``)."""
        from ipledger.insurance import PRODUCTS, quote
        from ipledger.workflows import risk_profile_for

        if product not in PRODUCTS:
            raise PricingError(f"unknown product {product!r} (products: {', '.join(PRODUCTS)})")
        if firm_type not in FIRM_TYPES:
            raise PricingError(f"unknown firm type {firm_type!r} (one of {', '.join(FIRM_TYPES)})")
        aid = self.view.resolve(asset_id)
        valuations = self.view.anchors(aid, "valuation")
        if not valuations:
            raise PricingError("the asset has no anchored valuation to insure: a valuer must value it first")
        v = valuations[0]
        basis = SimpleNamespace(
            value=v["value"],
            low=v["low"],
            high=v["high"],
            currency=v["currency"],
            asset_id=aid,
            report_hash=v["report_hash"],
        )
        with self.view._lock:
            profile = risk_profile_for(self.view.ledger, aid, firm_type=firm_type)
        return quote(basis, product, profile, year=year), int(v["state_block"])

    def anchor_quote(self, org: dict[str, Any], password: str, asset_id: str, q: Any, state_block: int) -> Any:
        """Anchor a quote's hash with sum insured, gross and net premium (insurer's key)."""
        from ipledger.workflows import anchor_quote

        aid = self.view.resolve(asset_id)
        return self._signed(org, password, lambda ledger: anchor_quote(ledger, q, aid, state_block))
