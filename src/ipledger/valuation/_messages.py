"""Saying a report message in a language: message keys with fields, nested source keys."""

from __future__ import annotations

import contextlib
from typing import Any

from ipledger.i18n import Translator

#: Fields whose value is a code with its own catalogue entry under this prefix.
_CODED = {
    "source": "src.",
    "status": "status.",
    "kind": "kind.",
    "basis": "basis.",
    "method": "method.",
    "field": "field.",
}


def say(t: Translator, key: str, fields: dict[str, Any] | None = None) -> str:
    """The text of ``key`` in ``t``'s language; coded fields (a ``source``, ``status``, ``kind``,
    ``basis``, ``method`` or ``field`` code) are translated too when the catalogue knows them."""
    filled: dict[str, Any] = {}
    for name, value in (fields or {}).items():
        prefix = _CODED.get(name)
        if prefix and isinstance(value, str):
            with contextlib.suppress(KeyError):
                value = t(prefix + value)
        filled[name] = value
    return t(key, **filled)


_EN: Translator | None = None


def english(key: str, fields: dict[str, Any] | None = None) -> str:
    """The English text of a message (the form kept in ``warnings`` and ``assumptions``)."""
    global _EN
    if _EN is None:
        _EN = Translator("en")
    return say(_EN, key, fields)
