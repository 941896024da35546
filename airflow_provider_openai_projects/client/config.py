"""One configuration and one request preparation for the sync and the async client.

:class:`ClientConfig` holds everything both clients need (the admin key, the base URL,
timeouts, the retry policy, the caps on server-directed waits and response sizes, the
pacing) and validates it once: a bad value is one :class:`~.errors.ConfigurationError`
naming the field, raised when the client is built, before anything is sent. The
synchronous :class:`~.transport.Transport` and the asynchronous
:class:`~.aio.AsyncOpenAIAdminClient` both take it; ``hooks/connection.py`` builds it from
an Airflow connection for both.

Pure (no ``requests``, no ``httpx``): also the place of the checks every request passes
through on both sides: ids (:func:`validate_id`), the route filled with them
(:func:`format_path`), the path the HTTP library would really send
(:func:`check_sent_path`), which methods are idempotent and how query parameters are
encoded.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict
from urllib.parse import quote, urlsplit, urlunsplit

from airflow_provider_openai_projects.client.errors import ConfigurationError, InvalidInputError
from airflow_provider_openai_projects.client.ids import MAX_ID_LENGTH as MAX_ID_LENGTH
from airflow_provider_openai_projects.client.ids import validate_id as validate_id
from airflow_provider_openai_projects.client.pacing import Pacer, PacingScope
from airflow_provider_openai_projects.client.retry import DEFAULT_MAX_SERVER_WAIT, RetryPolicy

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024
"""The largest response body read (8 MiB); lists come in pages of at most 100 items."""
DEFAULT_TOTAL_TIMEOUT = 120.0
"""The deadline of one attempt, from sending to the last byte of the body (seconds)."""
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "DELETE", "PUT"})
"""Methods whose repetition is harmless by default (a POST says so per call)."""


# -- ids and paths ---------------------------------------------------------------------------


def format_path(route: str, path_params: Mapping[str, object] | None) -> str:
    """Fill a route template (``/organization/projects/{project_id}``) with checked ids.

    Every id passes :func:`validate_id`; a template whose placeholders are not exactly the
    given ids is an :class:`~.errors.InvalidInputError` too.
    """
    params = {name: quote(validate_id(name, value), safe="") for name, value in (path_params or {}).items()}
    try:
        return route.format(**params)
    except (KeyError, IndexError) as error:
        raise InvalidInputError(str(error).strip("'"), f"the route {route} needs it") from None


def check_sent_path(expected: str, sent: str, *, method: str, route: str) -> None:
    """Belt and braces: refuse to send when the path the HTTP library would put on the wire
    (after its normalisation: dot segments removed, re-quoting) differs from the base path
    plus the route filled with the ids. Nothing is sent then."""
    if sent != expected:
        raise InvalidInputError(
            "path",
            f"{method} {route}: the request would go to a different path than its route "
            "(a path segment climbs out of it); not sent",
        )


def encode_query(params: Mapping[str, Any] | None) -> list[tuple[str, str]] | None:
    """Encode query parameters the way the spec describes them (form style, exploded arrays)."""
    if not params:
        return None
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            pairs.append((name, ("true" if item else "false") if isinstance(item, bool) else str(item)))
    return pairs


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def check_body(value: object, where: str = "body") -> None:
    """Refuse a request body with an integer outside the signed 64-bit range (what the API's
    integer fields take; the spec gives no wider bound), naming the field."""
    if isinstance(value, Mapping):
        for name, item in value.items():
            check_body(item, f"{name}" if where == "body" else f"{where}.{name}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_body(item, f"{where}[{index}]")
    elif isinstance(value, int) and not isinstance(value, bool) and not INT64_MIN <= value <= INT64_MAX:
        raise InvalidInputError(where, f"must be at most {INT64_MAX} (a signed 64-bit integer)")


@dataclass(frozen=True)
class PreparedCall:
    """One logical request, checked and ready for either client's retry loop."""

    method: str
    route: str
    path: str
    safe_to_repeat: bool

    @property
    def endpoint(self) -> str:
        """``METHOD /route/template``: the pacing key and the name used in errors."""
        return f"{self.method} {self.route}"


def prepare_call(
    method: str,
    route: str,
    path_params: Mapping[str, object] | None,
    idempotent: bool | None,
    body: object = None,
) -> PreparedCall:
    """Check the ids and fill the route, check the body's integers; decide whether repeating the call is harmless
    (``idempotent`` if given, else true for GET, HEAD, PUT and DELETE)."""
    method = method.upper()
    path = format_path(route, path_params)
    check_body(body)
    safe = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
    return PreparedCall(method, route, path, safe)


# -- the key and the base URL ----------------------------------------------------------------


def check_api_key(api_key: object, what: str = "admin API key") -> str:
    """A key as it may go into an ``Authorization`` header: a non-empty string of printable
    ASCII without whitespace (surrounding whitespace is stripped). The value and its
    characters are never put in the error (only the position of a bad character)."""
    if not isinstance(api_key, str) or not api_key.strip():
        raise ConfigurationError(f"an {what} is required (the connection's password)")
    key = api_key.strip()
    for position, char in enumerate(key):
        if not 33 <= ord(char) <= 126:
            raise ConfigurationError(
                f"the {what} must be printable ASCII and must not contain whitespace "
                f"(character {position + 1} of {len(key)} is not)"
            )
    return key


def is_loopback_host(host: str | None) -> bool:
    """Whether ``host`` names this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``: all of a URL that errors and messages show
    (a path or a query may hold a token)."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, "", "", ""))


def normalize_base_url(base_url: str | None) -> str:
    """Check and normalise the API base URL.

    Accepts ``https://host[:port][/prefix]``; a bare host gets ``https://``, an empty path
    ``/v1``. Refused with :class:`~.errors.ConfigurationError`: credentials, a query or a
    fragment, a port that is not a number in 1-65535, plain ``http://`` to a host that is
    not loopback (the admin key must never cross a network in clear). Errors show the
    URL's scheme, host and port only.
    """
    raw = (base_url or "").strip() or DEFAULT_BASE_URL
    if "://" not in raw:
        raw = f"https://{raw}"
    parts = urlsplit(raw)
    shown = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ConfigurationError("base_url must not carry credentials (user:password@); put the key in the password")
    if "?" in raw or "#" in raw:
        raise ConfigurationError(f"base_url {shown!r} must not carry a query or a fragment")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"base_url must be an http(s) URL with a host, got {shown!r}")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 or (port is None and parts.netloc.endswith(":")):
        raise ConfigurationError(f"base_url {shown!r}: the port must be a number from 1 to 65535")
    if any(c.isspace() or not c.isprintable() for c in raw):
        raise ConfigurationError(f"base_url {shown!r} must not contain whitespace or control characters")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ConfigurationError(
            f"base_url {shown!r} uses plain http:// to a non-loopback host; the admin key would "
            "cross the network in clear. Use https:// (plain http is allowed only for 127.0.0.1/localhost)."
        )
    path = parts.path.rstrip("/") or "/v1"
    if any(segment in (".", "..") for segment in path.split("/")):
        raise ConfigurationError(f"base_url {shown!r}: its path must not contain '.' or '..' segments")
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


# -- the configuration -----------------------------------------------------------------------


def _positive(name: str, value: object, *, allow_zero: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):  # type: ignore[operator]
        kind = "a non-negative" if allow_zero else "a positive"
        raise ConfigurationError(f"{name} must be {kind} number of seconds (finite)")
    return float(value)  # type: ignore[arg-type]


class ClientOptions(TypedDict, total=False):
    """The keyword options both clients take (``OpenAIAdminClient(key, **options)``,
    ``AsyncOpenAIAdminClient(key, **options)``): the one list of them, read by
    :meth:`ClientConfig.create`, where their defaults live. An option is added here and
    there, and both clients take it."""

    base_url: str | None
    timeout: float
    connect_timeout: float
    total_timeout: float
    max_response_bytes: int
    max_server_wait: float
    max_retries: int
    max_retry_wait: float
    backoff_initial: float
    backoff_max: float
    requests_per_minute: float | None
    pacing_burst: int
    pacing_scope: PacingScope


@dataclass(frozen=True)
class ClientConfig:
    """Everything the sync and the async client are configured with; validated on creation.

    :param api_key: the admin key (``repr`` hides it). Printable ASCII, no whitespace.
    :param base_url: see :func:`normalize_base_url` (stored normalised).
    :param timeout: the longest wait for one read from the socket, seconds.
    :param connect_timeout: the longest wait for the connection, seconds.
    :param total_timeout: the deadline of one attempt, from sending to the last byte of
        the body: a server that trickles its answer cannot hold a request longer.
    :param max_response_bytes: a larger body is refused while it is read.
    :param max_server_wait: the longest server-directed wait (``Retry-After``) obeyed at
        all; a longer one is :class:`~.errors.ServerWaitTooLongError`.
    :param retry: the retry policy (its own fields validated likewise).
    :param requests_per_minute: client-side pacing (``None``: none), with ``pacing_burst``
        and ``pacing_scope``.
    """

    api_key: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    timeout: float = 60.0
    connect_timeout: float = 10.0
    total_timeout: float = DEFAULT_TOTAL_TIMEOUT
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    max_server_wait: float = DEFAULT_MAX_SERVER_WAIT
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    requests_per_minute: float | None = None
    pacing_burst: int = 1
    pacing_scope: PacingScope = "endpoint"

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "api_key", check_api_key(self.api_key))
        set_(self, "base_url", normalize_base_url(self.base_url))
        for name in ("timeout", "connect_timeout", "total_timeout"):
            set_(self, name, _positive(name, getattr(self, name)))
        set_(self, "max_server_wait", _positive("max_server_wait", self.max_server_wait, allow_zero=True))
        size = self.max_response_bytes
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ConfigurationError("max_response_bytes must be a positive integer")
        if not isinstance(self.retry, RetryPolicy):
            raise ConfigurationError("retry must be a RetryPolicy")
        rpm = self.requests_per_minute
        if rpm is not None:
            set_(self, "requests_per_minute", _positive("requests_per_minute", rpm, allow_zero=True) or None)
        if isinstance(self.pacing_burst, bool) or not isinstance(self.pacing_burst, int) or self.pacing_burst < 1:
            raise ConfigurationError("pacing_burst must be an integer of at least 1")
        if self.pacing_scope not in ("endpoint", "global"):
            raise ConfigurationError("pacing_scope must be 'endpoint' or 'global'")

    @classmethod
    def create(
        cls,
        api_key: str,
        *,
        base_url: str | None = DEFAULT_BASE_URL,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        total_timeout: float = DEFAULT_TOTAL_TIMEOUT,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_server_wait: float = DEFAULT_MAX_SERVER_WAIT,
        max_retries: int = 5,
        max_retry_wait: float = 120.0,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
        requests_per_minute: float | None = None,
        pacing_burst: int = 1,
        pacing_scope: PacingScope = "endpoint",
    ) -> ClientConfig:
        """The configuration from the clients' keyword arguments (:class:`ClientOptions`)."""
        retry = RetryPolicy(
            max_retries=max_retries,
            initial_delay=backoff_initial,
            max_delay=backoff_max,
            max_retry_wait=max_retry_wait,
        )
        return cls(
            api_key,
            base_url=base_url or DEFAULT_BASE_URL,
            timeout=timeout,
            connect_timeout=connect_timeout,
            total_timeout=total_timeout,
            max_response_bytes=max_response_bytes,
            max_server_wait=max_server_wait,
            retry=retry,
            requests_per_minute=requests_per_minute,
            pacing_burst=pacing_burst,
            pacing_scope=pacing_scope,
        )

    @property
    def hidden_values(self) -> tuple[str, ...]:
        """What every error text is redacted of: the admin key, and the base URL's path when
        it is more than ``/v1`` (a path prefix may hold a tenant or a token)."""
        path = urlsplit(self.base_url).path
        return (self.api_key, path) if path not in ("", "/", "/v1") else (self.api_key,)

    @property
    def origin(self) -> str:
        """``scheme://host[:port]`` of the base URL: what messages show of it."""
        return origin(self.base_url)

    def new_pacer(self, sleep: Callable[[float], None] = time.sleep) -> Pacer:
        """A pacer of this configuration's own (when none is shared)."""
        return Pacer(self.requests_per_minute, burst=self.pacing_burst, scope=self.pacing_scope, sleep=sleep)


def config_from_options(api_key: str | None, config: ClientConfig | None, options: ClientOptions) -> ClientConfig:
    """What a client is configured with: ``config`` when given (``options`` then unused),
    else :meth:`ClientConfig.create` from the key and the options. Both clients call this."""
    return config if config is not None else ClientConfig.create(api_key or "", **options)
