"""One root exception with a category per layer; the CLI turns any of them into one line."""

from __future__ import annotations

from typing import Any


class IPLedgerError(Exception):
    """Root of every error ipledger raises on purpose."""


class ConfigError(IPLedgerError, ValueError):
    """The configuration or a profile is missing or invalid."""


class ChainError(IPLedgerError):
    """The chain could not be reached, or answered unexpectedly."""


class ContractRevert(ChainError):
    """A contract call reverted with a custom error.

    Attributes:
        error: the custom error's name, e.g. ``"SellerNotOwner"`` (``"Revert"`` when the data
            matched no known error).
        args: the decoded arguments by name.
        data: the raw revert data.
    """

    def __init__(self, error: str, args: dict[str, Any], data: bytes = b"") -> None:
        self.error = error
        self.args_by_name = args
        self.data = data
        shown = ", ".join(f"{k}={_show(v)}" for k, v in args.items())
        super().__init__(f"{error}({shown})")


class LedgerError(IPLedgerError):
    """The ledger store or the indexer failed, or a query was invalid."""


class ValidationError(IPLedgerError, ValueError):
    """Input (a record, a CSV row, an argument) is invalid; nothing was written."""


class ValuationError(IPLedgerError, ValueError):
    """A valuation input is invalid or the data cannot support a value."""


class PricingError(IPLedgerError, ValueError):
    """An insurance pricing input is invalid or the risk is not eligible."""


class ProvenanceError(IPLedgerError):
    """An audit could not run (a failed check is a finding in the report, not this error)."""


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)
