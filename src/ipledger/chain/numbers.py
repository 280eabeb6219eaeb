"""One canonical form per registry number, so that one right cannot register as several assets.

The contract refuses any number outside ``[0-9A-Z][0-9A-Z./-]*`` (at most 64 bytes): no lower
case, spaces, commas or other bytes. This module turns what offices, exchanges and people write
into that form, with a few rules per jurisdiction (docs/methodology/registry-numbers.md):

- everywhere: Unicode NFKC (full-width "ＺＬ２０１８…" becomes "ZL2018…"), upper case, and
  spaces, commas and the Chinese full stop removed;
- CN patents (invention, utility model, design): "ZL" followed by the 8- or 12-digit
  application number, a dot and the check character, e.g. ``ZL201810012345.6``; a bare
  application number gets the "ZL" prefix, and "ZL 2018 1 0012345.6" loses its spaces;
- EP and WO patents: the office prefix ("EP1234567"; WO numbers keep their "/"), added to a
  bare EP number;
- US: commas dropped ("10,123,456" is "10123456"; design patents "D123456").
"""

from __future__ import annotations

import re
import unicodedata

from ipledger.chain.codes import AssetKind
from ipledger.errors import ValidationError

MAX_LENGTH = 64
CANONICAL = re.compile(r"^[0-9A-Z][0-9A-Z./-]{0,63}$")
_PATENTS = (AssetKind.INVENTION, AssetKind.UTILITY_MODEL, AssetKind.DESIGN)
_CN_APPLICATION = re.compile(r"^(\d{8}|\d{12})\.[0-9X]$")
_DROP = re.compile(r"[\s,\u3002\u00b7]")


def canonical_number(jurisdiction: str, kind: AssetKind | int, number: str) -> str:
    """The canonical form of ``number`` for an asset of ``kind`` in ``jurisdiction``.

    Args:
        jurisdiction: two-letter office code ("CN", "EP", "US", ...).
        kind: asset kind (patents get the office's prefix rules).
        number: the number as written.

    Returns:
        The number the contract accepts and the asset id is computed from.

    Raises:
        ValidationError: when nothing canonical remains (empty, too long, or other characters).
    """
    text = _DROP.sub("", unicodedata.normalize("NFKC", number)).upper()
    patent = int(kind) in {int(k) for k in _PATENTS}
    j = jurisdiction.strip().upper()
    if patent and j == "CN":
        if text.startswith("CN") and _CN_APPLICATION.match(text[2:]):
            text = text[2:]
        if _CN_APPLICATION.match(text):
            text = "ZL" + text
    elif patent and j == "EP" and text.isdigit():
        text = "EP" + text
    if not CANONICAL.match(text):
        raise ValidationError(
            f"registry number {number!r} has no canonical form "
            "(letters, digits and . / - only, at most 64 characters, starting with a letter or digit)"
        )
    return text


def is_canonical(number: str) -> bool:
    """Whether the contract would accept ``number`` as it is."""
    return bool(CANONICAL.match(number))
