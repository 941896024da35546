"""Identifiers and API key values shaped like the real ones, and key redaction.

Ids are random (``proj_`` + 24 alphanumerics and so on); key values come from
:mod:`secrets`. :func:`redact_key` is the only form in which a key may leave the emulator
after the one response that creates it.
"""

from __future__ import annotations

import secrets
import string

_ALNUM = string.ascii_letters + string.digits

#: Known key prefixes, longest first, kept visible by :func:`redact_key`.
_KEY_PREFIXES = ("sk-svcacct-", "sk-admin-", "sk-proj-", "sk-")


def random_id(prefix: str, length: int = 24) -> str:
    """``prefix`` followed by ``length`` random ASCII letters and digits."""
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(length))


def new_key_value(prefix: str) -> str:
    """A fresh secret API key value such as ``sk-svcacct-<random>``."""
    return prefix + secrets.token_urlsafe(48)


def redact_key(value: str) -> str:
    """``sk-proj-****abcd``: a known prefix, four stars and the last four characters.

    Short or unrecognised values keep less (never more than a prefix of at most 11
    characters and the last 4), so the redacted form never reveals a usable key.
    """
    if len(value) < 16:
        return "****"
    head = next((p for p in _KEY_PREFIXES if value.startswith(p)), value[:3])
    return f"{head}****{value[-4:]}"
