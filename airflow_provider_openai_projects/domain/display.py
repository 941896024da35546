"""Text from outside (names, emails, descriptions, file content) made safe to show.

Every name the provider prints to a terminal, writes to a log or puts into Markdown (the
approval page, drift reports) goes through one of these. Neither ever raises, and neither
returns a character that can move the cursor, change colours, reorder text (bidi controls),
hide text (zero-width and other format characters) or break a line.
"""

from __future__ import annotations

import unicodedata

#: Unicode categories never shown raw: controls (C0, C1: ESC, NUL...), format characters
#: (zero-width, bidi overrides), line and paragraph separators, surrogates, private use and
#: unassigned code points.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})

_MARKDOWN_SPECIALS = frozenset("\\`*_{}[]()<>#+-.!|~&")


def is_hidden(char: str) -> bool:
    """Whether ``char`` is a control, format or other character that must never be shown raw."""
    return unicodedata.category(char) in HIDDEN_CATEGORIES


def printable(text: object) -> str:
    """``text`` with every hidden character written as a visible escape (``\\x1b``, ``\\u202e``).

    Plain text (ASCII, accented letters, other scripts) is unchanged; ``str()`` of anything
    that is not a string.
    """
    value = text if isinstance(text, str) else str(text)
    if not any(is_hidden(c) for c in value):
        return value
    return "".join(_escape(c) if is_hidden(c) else c for c in value)


def markdown_text(text: object) -> str:
    """``text`` for Markdown (a table cell or a sentence): hidden characters escaped and every
    Markdown-special character backslash-escaped, so no value opens or closes a code span or
    fence, a table cell, a link, emphasis or an HTML tag."""
    return "".join(f"\\{c}" if c in _MARKDOWN_SPECIALS else c for c in printable(text))


def _escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
