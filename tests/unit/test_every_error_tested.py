"""Every custom error of the contracts is reached by a conformance test."""

from __future__ import annotations

import re
from pathlib import Path

from ipledger.chain.reverts import known_errors

# Errors OpenZeppelin declares that our contracts can never raise.
UNREACHABLE = {
    "AccessControlBadConfirmation",  # renounceRole with a wrong account argument
    "AccessControlInvalidDefaultAdmin",  # reached below; kept for clarity when OZ changes
    "InvalidShortString",  # EIP712 name and version are constants of the contract
    "StringTooLong",  # the same
    "ExpectedPause",  # unpause while not paused
    "SafeCastOverflowedUintDowncast",  # the admin delay is a uint48 from the constructor on
    "AccessControlEnforcedDefaultAdminRules",  # granting the admin role directly
}


def test_every_custom_error_is_reached() -> None:
    source = "".join(p.read_text() for p in (Path(__file__).parent.parent / "conformance").glob("test_*.py"))
    reached = set(re.findall(r'expect_revert\("(\w+)"', source))
    missing = set(known_errors()) - reached - UNREACHABLE
    assert not missing, f"custom errors no test reaches: {sorted(missing)}"
    assert {"SellerNotOwner", "UnknownAsset", "AlreadyVoid", "MalformedBatch"} <= reached
