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
  ``***``;
- a password written with an unencoded ``/``, ``?`` or ``#`` (``redis://:ab/cd@h``: a base64
  password holds ``/``): the userinfo ends at the last ``@`` after ``//`` (unless that ``@`` is
  in a query parameter's value, ``?user=bob@server``), so the whole password is ``***`` and
  the host is read after that ``@``;
- a URL written without ``//`` (``redis:/:pw@h``, ``redis:pw@h``: refused as a URL, but
  its message shows it): read as if it had them, all before the last ``@`` a password
  unless it names a ``user:``.

A ``sqlite:`` URL is a file path: an ``@`` in it is no userinfo's end.

A driver's message is scrubbed of the password, of each of its pieces between ``/``, ``?``,
``#`` and ``@`` (a driver splitting the URL its own way shows one alone; :data:`MIN_PIECE`
characters or more), in any case.

A value that is not a URL at all (a libpq ``key=value`` string, free text) is shown as
``***``: nothing of it is echoed. No regular expression: the URL is split with
:mod:`urllib.parse` and its query one parameter at a time.
"""

from __future__ import annotations

from urllib.parse import unquote, unquote_plus, urlsplit

REDACTED = "***"
#: A piece of a password shorter than this is not scrubbed alone (one or two characters would
#: blank every such letter of a message and say next to nothing); the whole password always is.
MIN_PIECE = 3
_SECRET_NAMES = ("pass", "pwd", "token", "secret", "key", "auth", "credential")


def _secret_parameter(name: str) -> bool:
    lowered = unquote_plus(name).strip().lower()
    return any(part in lowered for part in _SECRET_NAMES)


def _is_url(url: str) -> bool:
    scheme, colon, _ = url.partition(":")
    return bool(colon) and scheme.isascii() and scheme[:1].isalpha() and all(c.isalnum() or c in "+-." for c in scheme)


def _split(url: str) -> tuple[str, str, str, str, str, str]:
    """``(scheme, userinfo, hostport, path, query, fragment)``.

    The userinfo ends at the *last* ``@`` after ``//``, wherever :mod:`urllib.parse` puts it:
    a password written with an unencoded ``/``, ``?`` or ``#`` (a base64 password holds ``/``)
    would otherwise be read as the host and a path, query or fragment, and shown. The one ``@``
    not taken as the userinfo's end is one inside a query parameter's value
    (``?user=bob@server``, as Azure's PostgreSQL user names are written).
    """
    parts = urlsplit(url)
    after = url[len(parts.scheme) + 1 :]
    if after.startswith("//") and not _is_file(parts.scheme):
        head = after[2:]
        userinfo, at, rest = head.rpartition("@")
        if at and not _in_query_value(head, len(userinfo)):
            again = urlsplit(f"{parts.scheme}://{rest}")
            return parts.scheme, userinfo, again.netloc, again.path, again.query, again.fragment
    userinfo, _, netloc = parts.netloc.rpartition("@")
    return parts.scheme, userinfo, netloc, parts.path, parts.query, parts.fragment


def _in_query_value(head: str, index: int) -> bool:
    """Whether ``head[index]`` lies in the value of a query parameter (``?name=...@...``)."""
    query, hash_ = head.find("?"), head.find("#")
    if query == -1 or query > index or -1 < hash_ < query:
        return False
    return "=" in head[query + 1 : index].rpartition("&")[2]


def _without_authority(url: str) -> tuple[str, str] | None:
    """``(the scheme, its colon and the slashes as written, an authority form of the rest)``
    for a URL written without ``//`` but with an ``@`` (a mistyped ``redis:/:pw@host`` or
    ``redis:pw@host``), else ``None``.

    :mod:`urllib.parse` sees no userinfo there, only a path, which would be shown whole. The
    rest is read as ``//<rest>``, and all before its last ``@`` as a password when it names
    no ``user:`` (nobody can tell what ``pw@`` meant).
    """
    scheme = url.partition(":")[0]
    after = url[len(scheme) + 1 :]
    body = after.lstrip("/")
    at = body.rfind("@")
    if after.startswith("//") or at == -1 or _in_query_value(body, at) or _is_file(scheme):
        return None
    return url[: len(url) - len(body)], f"{scheme}://{body if ':' in body[:at] else ':' + body}"


def _is_file(scheme: str) -> bool:
    """``sqlite:``: what follows is a file path, where an ``@`` is a character like any other."""
    return scheme.lower() == "sqlite"


def _garbled(user: str) -> bool:
    """A user name holding ``/``, ``?`` or ``#``: a password's piece, not a user (nothing shown)."""
    return any(c in user for c in "/?#")


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
    if (written := _without_authority(url)) is not None:
        prefix, as_authority = written
        shown = redact_url(as_authority).split("//", 1)[1]
        return prefix + (shown[1:] if ":" not in url[len(prefix) :].rpartition("@")[0] else shown)
    scheme, userinfo, hostport, path, query, fragment = _split(url)
    shown = f"{scheme}:"
    if userinfo or hostport or url[len(scheme) + 1 :].startswith("//"):
        shown += "//"
        if userinfo:
            user, colon, _ = userinfo.partition(":")
            if _garbled(user):
                user, colon = "", ":"
            shown += f"{user}:{REDACTED}@" if colon else f"{user}@"
        shown += hostport
    shown += path
    if query:
        shown += "?" + "&".join(
            name if value is None else f"{name}={REDACTED if _secret_parameter(name) else value}"
            for name, value in _query_pairs(query)
        )
    if fragment or url.endswith("#"):
        shown += f"#{REDACTED}"
    return shown


def url_secrets(url: str) -> list[str]:
    """Every secret ``url`` carries, as written and decoded (longest first): what the secrets
    masker registers and what :func:`scrub` removes from a driver's message."""
    if not _is_url(url):
        return [url] if url.strip() else []
    if (written := _without_authority(url)) is not None:
        return url_secrets(written[1])
    _, userinfo, _, _, query, fragment = _split(url)
    found: set[str] = set()
    user, _, password = userinfo.partition(":")
    if _garbled(user):
        password = userinfo
    if password:
        found.update({password, unquote(password)})
        # A driver splitting the URL elsewhere shows a piece alone (as a host, a port, a path).
        found.update(piece for piece in _pieces(password) if len(piece) >= MIN_PIECE)
    for name, value in _query_pairs(query):
        if value and _secret_parameter(name):
            found.update({value, unquote_plus(value)})
    if fragment:
        found.update({fragment, unquote(fragment)})
    return sorted((s for s in found if s), key=len, reverse=True)


def _pieces(password: str) -> list[str]:
    """``password`` split at every ``/``, ``?``, ``#`` and ``@``."""
    for separator in "?#@":
        password = password.replace(separator, "/")
    return password.split("/")


def scrub(text: str, url: str) -> str:
    """``text`` (a driver's error message) with every secret of ``url`` replaced by ``***``,
    in any case (a driver that reads a piece as a host name shows it in lower case)."""
    for secret in url_secrets(url):
        lowered, start = text.lower(), 0
        while (found := lowered.find(secret.lower(), start)) != -1:
            text = text[:found] + REDACTED + text[found + len(secret) :]
            lowered, start = text.lower(), found + len(REDACTED)
    return text
