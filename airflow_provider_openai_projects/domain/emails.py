"""Emails that name people: what makes one unusable, and when two only look alike.

The API compares emails ignoring case. A person named by an email that merely looks like a
member's (a Cyrillic ``\u0430`` for a Latin ``a``, a zero-width space, ``+tag`` plus-addressing,
a trailing dot) is someone else, or no one: an offboarding by such an email would succeed
and remove nobody, an invite would reach an address that passes for a colleague's. The
look-alike test is Unicode's (UTS #39): the ``confusable-homoglyphs`` library's data for
confusable characters and scripts, not a table of ours.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable

from airflow_provider_openai_projects.domain.display import is_hidden, printable

#: Spaces and other separators that have no place in an address.
_SEPARATOR_CATEGORIES = frozenset({"Zs", "Zl", "Zp"})


def hidden_characters(email: str) -> list[str]:
    """The control, format (zero-width, bidi) and space characters in ``email``, escaped."""
    return [printable(c) for c in email if is_hidden(c) or unicodedata.category(c) in _SEPARATOR_CATEGORIES]


def email_problem(email: str) -> str | None:
    """Why ``email`` cannot name a person, or ``None``.

    Refused: hidden characters (controls, format characters, spaces), and a local part or
    domain that mixes scripts (``ex\u0430mple`` with a Cyrillic ``\u0430``). The message quotes the
    email escaped, never raw.
    """
    hidden = hidden_characters(email)
    if hidden:
        return f"contains invisible or control characters ({', '.join(hidden)}): {printable(email)!r}"
    from confusable_homoglyphs import confusables  # 0.1 s of tables: loaded when an email is checked

    for part in email.split("@"):
        if part and confusables.is_mixed_script(part):
            return f"mixes scripts (a look-alike of another address?): {printable(email)!r}"
    return None


def normalized(email: str) -> str:
    """``email`` as mail servers commonly route it: case folded, NFKC, hidden characters
    dropped, ``+tag`` dropped from the local part, a trailing dot dropped from the domain."""
    text = unicodedata.normalize("NFKC", email).casefold()
    text = "".join(c for c in text if not is_hidden(c) and unicodedata.category(c) not in _SEPARATOR_CATEGORIES)
    local, at, domain = text.rpartition("@")
    if not at:
        return text
    local = local.split("+", 1)[0]
    return f"{local}@{domain.rstrip('.')}"


def skeleton(email: str) -> str:
    """The UTS #39 skeleton of the normalized email: every character replaced by the one
    character that stands for its whole confusable class (:func:`confusable_classes`), so two
    addresses that look alike have the same skeleton: ``ex\u0430mple`` (Cyrillic), ``ex\u0251mple``
    (Latin alpha), ``examp1e`` (a digit one) and ``example`` alike."""
    classes = confusable_classes()
    return "".join(classes.get(char, char) for char in normalized(email))


@functools.cache
def confusable_classes() -> dict[str, str]:
    """Each character of Unicode's confusables data mapped to its class's stand-in.

    The data (``confusable-homoglyphs``, from UTS #39's ``confusables.txt``) pairs a character
    with its prototype; a class is every character linked by those pairs, taken whole, so that
    a chain (``\u04cf`` to ``I`` to ``l``, ``0`` to ``O``) ends in one class and a Latin script
    look-alike (``\u0251``, ``\u0261``, ``\u0131``, which the library's per-script
    ``is_confusable`` skips) is mapped too. The stand-in is the class's lowercase ASCII letter,
    else its ASCII letter case-folded, else its ASCII digit, else its smallest character.
    Sequences (``rn`` for ``m``) are not characters and are not mapped.
    """
    from confusable_homoglyphs import confusables  # 0.1 s of tables: loaded when first needed

    parent: dict[str, str] = {}

    def root(char: str) -> str:
        while parent.setdefault(char, char) != char:
            parent[char] = parent[parent[char]]
            char = parent[char]
        return char

    for char, homoglyphs in confusables.confusables_data.items():
        for glyph in homoglyphs:
            parent[root(glyph["c"])] = root(char)
    members: dict[str, list[str]] = {}
    for char in list(parent):
        if len(char) == 1:
            members.setdefault(root(char), []).append(char)
    classes: dict[str, str] = {}
    for chars in members.values():
        stand_in = _stand_in(chars)
        classes.update((char, stand_in) for char in chars if char != stand_in)
    return classes


def _stand_in(chars: list[str]) -> str:
    for fits in (str.islower, str.isalpha, str.isdigit):
        ascii_fits = sorted(c for c in chars if c.isascii() and fits(c))
        if ascii_fits:
            return ascii_fits[0].casefold()
    return min(chars)


def same_email(a: str | None, b: str | None) -> bool:
    """Both given and equal ignoring case (the API compares emails case-insensitively)."""
    return a is not None and b is not None and a.lower() == b.lower()


def near_matches(email: str, candidates: Iterable[str]) -> list[str]:
    """The candidates that are not ``email`` (ignoring case) but look like it or route to the
    same mailbox: same skeleton after normalization. Sorted, deduplicated."""
    key = skeleton(email)
    return sorted({c for c in candidates if not same_email(c, email) and skeleton(c) == key})
