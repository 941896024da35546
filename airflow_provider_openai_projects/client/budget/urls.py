"""What a ``rate_limit_backend`` URL may show: every password-bearing part redacted, by parsing.

The clients behind the extra accept passwords in several places, and every one is redacted
by :func:`redact_url` (for messages, log lines and ``repr``) and listed by
:func:`url_secrets` (for the secrets masker and for scrubbing a driver's own message):

- the userinfo's password: ``redis://:pw@h``, ``redis://u:pw@h``, ``postgresql://u:pw@h/db``,
  shown as ``u:***@h`` (the user name stays);
- a password-like query parameter (``password``, ``pass``, ``pwd``, ``passwd``, ``token``, and
  any name containing ``pass``, ``pwd``, ``token``, ``secret``, ``key`` or ``auth``):
  ``?password=***``;
- an unencoded ``#`` (a password such as ``pa#ss`` written as is): everything after it is
  ``***``; when the ``#`` sits inside the userinfo (an ``@`` follows it), the whole userinfo
  after the user name is ``***`` and the host is read after that ``@``.

A value that is not a URL at all (a libpq ``key=value`` string, free text) is shown as
``***``: nothing of it is echoed. No regular expression: the URL is split with
:mod:`urllib.parse` and its query one parameter at a time.
"""

from __future__ import annotations

from urllib.parse import unquote, unquote_plus, urlsplit

REDACTED = "***"
_SECRET_NAMES = ("pass", "pwd", "token", "secret", "key", "auth", "credential")


def _secret_parameter(name: str) -> bool:
    lowered = unquote_plus(name).strip().lower()
    return any(part in lowered for part in _SECRET_NAMES)


def _is_url(url: str) -> bool:
    scheme, colon, _ = url.partition(":")
    return bool(colon) and scheme.isascii() and scheme[:1].isalpha() and all(c.isalnum() or c in "+-." for c in scheme)


def _split(url: str) -> tuple[str, str, str, str, str, str]:
    """``(scheme, userinfo, hostport, path, query, fragment)``; a ``#`` followed by an ``@``
    was inside the userinfo, so the authority is re-read after that ``@``."""
    parts = urlsplit(url)
    netloc, path, query, fragment = parts.netloc, parts.path, parts.query, parts.fragment
    userinfo = ""
    if "#" in url and "@" in fragment and url[len(parts.scheme) + 1 :].startswith("//"):
        head = url[len(parts.scheme) + 3 :]
        userinfo, _, rest = head.rpartition("@")
        again = urlsplit(f"{parts.scheme}://{rest}")
        netloc, path, query, fragment = again.netloc, again.path, again.query, again.fragment
        return parts.scheme, userinfo, netloc, path, query, fragment
    if "@" in netloc:
        userinfo, _, netloc = netloc.rpartition("@")
    return parts.scheme, userinfo, netloc, path, query, fragment


def _query_pairs(query: str) -> list[tuple[str, str | None]]:
    pairs: list[tuple[str, str | None]] = []
    for piece in query.split("&"):
        name, equals, value = piece.partition("=")
        pairs.append((name, value if equals else None))
    return pairs


def redact_url(url: str) -> str:
    """``url`` with every password-bearing part replaced by ``***`` (see the module docstring)."""
    if not _is_url(url):
        return REDACTED
    scheme, userinfo, hostport, path, query, fragment = _split(url)
    shown = f"{scheme}:"
    if userinfo or hostport or url[len(scheme) + 1 :].startswith("//"):
        shown += "//"
        if userinfo:
            user, colon, _ = userinfo.partition(":")
            if "#" in userinfo and not colon:
                user, colon = "", ":"
            shown += f"{user}:{REDACTED}@" if colon else f"{user}@"
        shown += hostport
    shown += path
    if query:
        shown += "?" + "&".join(
            name if value is None else f"{name}={REDACTED if _secret_parameter(name) else value}"
            for name, value in _query_pairs(query)
        )
    if "#" in url and (fragment or url.endswith("#")) and "#" not in userinfo:
        shown += f"#{REDACTED}"
    return shown


def url_secrets(url: str) -> list[str]:
    """Every secret ``url`` carries, as written and decoded (longest first): what the secrets
    masker registers and what :func:`scrub` removes from a driver's message."""
    if not _is_url(url):
        return [url] if url.strip() else []
    _, userinfo, _, _, query, fragment = _split(url)
    found: set[str] = set()
    if userinfo and (":" in userinfo or "#" in userinfo):
        password = userinfo.partition(":")[2] if ":" in userinfo else userinfo
        found.update({password, unquote(password)})
        # A driver splitting at the '#' shows a piece alone (as a port, a host, a fragment).
        found.update(piece for piece in password.split("#") if piece)
    for name, value in _query_pairs(query):
        if value and _secret_parameter(name):
            found.update({value, unquote_plus(value)})
    if fragment and "#" not in userinfo:
        found.update({fragment, unquote(fragment)})
    return sorted((s for s in found if s), key=len, reverse=True)


def scrub(text: str, url: str) -> str:
    """``text`` (a driver's error message) with every secret of ``url`` replaced by ``***``."""
    for secret in url_secrets(url):
        text = text.replace(secret, REDACTED)
    return text
