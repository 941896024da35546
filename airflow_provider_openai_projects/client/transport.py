"""One HTTP request to the Admin API, with auth, timeouts, pacing, retries and error mapping.

Knows nothing of endpoints (see :mod:`.admin`) and nothing of Airflow. The admin key
lives in this object only: it is sent in the ``Authorization`` header, never put in a
URL, an exception or a log line, and hidden from ``repr``.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import requests
import tenacity
import urllib3.exceptions

from airflow_provider_openai_projects import __version__
from airflow_provider_openai_projects.client.errors import (
    APIConnectionError,
    APITimeoutError,
    ConfigurationError,
    InvalidInputError,
    OpenAIAdminError,
    RateLimitError,
    decode_response,
)
from airflow_provider_openai_projects.client.pacing import Pacer
from airflow_provider_openai_projects.client.retry import RetryPolicy, is_retryable, parse_retry_after

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
USER_AGENT = f"airflow-provider-openai-projects/{__version__} (+python-requests/{requests.__version__})"
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "DELETE", "PUT"})


def request_headers(api_key: str) -> dict[str, str]:
    """The headers of every request: bearer auth, this package's User-Agent, JSON."""
    return {"Authorization": f"Bearer {api_key}", "User-Agent": USER_AGENT, "Accept": "application/json"}


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


def normalize_base_url(base_url: str | None) -> str:
    """Check and normalise the API base URL.

    Accepts ``https://host[/prefix]``; a bare host gets ``/v1`` appended. Plain
    ``http://`` is refused unless the host is loopback (the emulator): the admin key must
    never cross a network in clear.
    """
    raw = (base_url or "").strip() or DEFAULT_BASE_URL
    if "://" not in raw:
        raw = f"https://{raw}"
    parts = urlsplit(raw)
    if parts.username or parts.password:
        raise ConfigurationError("base_url must not carry credentials (user:password@); put the key in the password")
    shown = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))  # never the query: it may hold a secret
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"base_url must be an http(s) URL with a host, got {shown!r}")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ConfigurationError(
            f"base_url {shown!r} uses plain http:// to a non-loopback host; the admin key would "
            "cross the network in clear. Use https:// (plain http is allowed only for 127.0.0.1/localhost)."
        )
    if parts.query or parts.fragment:
        raise ConfigurationError("base_url must not carry a query or a fragment")
    path = parts.path.rstrip("/") or "/v1"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def format_path(route: str, path_params: Mapping[str, str] | None) -> str:
    """Fill a route template (``/organization/projects/{project_id}``) with escaped ids."""
    params = {}
    for name, value in (path_params or {}).items():
        if not isinstance(value, str) or not value.strip():
            raise InvalidInputError(name, "must be a non-empty string")
        params[name] = quote(value, safe="")
    return route.format(**params)


def _connection_error(exc: requests.RequestException, method: str, path: str) -> APIConnectionError:
    """Map a transport failure; mark it ``maybe_applied`` unless it provably never left."""
    never_sent = isinstance(exc, requests.exceptions.ConnectTimeout)
    if isinstance(exc, requests.exceptions.ConnectionError) and not never_sent:
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        never_sent = isinstance(reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError)
    maybe_applied = method not in ("GET", "HEAD") and not never_sent
    kind = APITimeoutError if isinstance(exc, requests.exceptions.Timeout) else APIConnectionError
    detail = "connect timeout" if isinstance(exc, requests.exceptions.ConnectTimeout) else type(exc).__name__
    if isinstance(exc, requests.exceptions.ReadTimeout):
        detail = "read timeout"
    elif never_sent and not isinstance(exc, requests.exceptions.ConnectTimeout):
        detail = "connection refused"
    elif isinstance(exc, requests.exceptions.ConnectionError):
        detail = "connection dropped before a response arrived"
    return kind(detail, method=method, path=path, maybe_applied=maybe_applied)


class Transport:
    """Sends requests to the Admin API and returns the decoded JSON of 2xx responses.

    Thread-safe: one instance may be shared by threads (the pacer and the session are).
    """

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        pacer: Pacer | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not isinstance(api_key, str) or not api_key.strip():
            raise ConfigurationError("an admin API key is required (the connection's password)")
        if any(c.isspace() for c in api_key.strip()):
            raise ConfigurationError("the admin API key must not contain whitespace")
        for name, value in (("timeout", timeout), ("connect_timeout", connect_timeout)):
            if not isinstance(value, int | float) or value <= 0:
                raise ConfigurationError(f"{name} must be a positive number of seconds")
        self._api_key = api_key.strip()
        self.base_url = normalize_base_url(base_url)
        self.timeout = (float(connect_timeout), float(timeout))
        self.retry = retry or RetryPolicy()
        self.pacer = pacer or Pacer()
        self._sleep = sleep
        self._session = session or self._new_session()

    @staticmethod
    def _new_session() -> requests.Session:
        session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.trust_env = False  # no proxy or netrc credentials picked up from the environment
        return session

    def __repr__(self) -> str:
        return f"<{type(self).__name__} base_url={self.base_url!r}>"

    def close(self) -> None:
        """Release pooled connections."""
        self._session.close()

    def request(
        self,
        method: str,
        route: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
        api_key: str | None = None,
    ) -> Any:
        """Send one logical request (retried per :mod:`.retry`) and return its JSON body.

        :param route: the route template, e.g. ``/organization/projects/{project_id}``; it
            names the endpoint for pacing and appears (filled) in errors.
        :param idempotent: whether repeating the request is harmless even if it took
            effect. Defaults to true for GET/DELETE and false for POST.
        :param api_key: send with this key instead of the admin key (verifying a minted key).
        :raises OpenAIAdminError: a subclass naming what went wrong; never containing a key.
        """
        method = method.upper()
        path = format_path(route, path_params)
        endpoint = f"{method} {route}"
        safe_to_repeat = method in _IDEMPOTENT_METHODS if idempotent is None else idempotent

        def attempt() -> Any:
            self.pacer.wait(endpoint)
            return self._send_once(method, path, params=params, json=json, api_key=api_key)

        def wait(state: tenacity.RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            assert isinstance(error, OpenAIAdminError)
            delay = self.retry.delay(state.attempt_number - 1, error) or 0.0
            log.warning(
                "%s; retrying in %.1fs (attempt %d of %d)",
                error,
                delay,
                state.attempt_number + 1,
                self.retry.max_retries + 1,
            )
            if isinstance(error, RateLimitError):
                # Throttled: every thread sharing this client holds back, not just this one;
                # the pacer does the waiting (for this thread too) before the next send.
                self.pacer.cool_down(endpoint, delay)
                return 0.0
            return delay

        def retry_if(state: tenacity.RetryCallState) -> bool:
            error = state.outcome.exception() if state.outcome else None
            if not isinstance(error, OpenAIAdminError):
                return False
            if not is_retryable(error, idempotent=safe_to_repeat):
                return False
            return self.retry.delay(state.attempt_number - 1, error) is not None

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.retry.max_retries + 1),
            wait=wait,
            retry=retry_if,
            sleep=lambda seconds: self._sleep(seconds) if seconds > 0 else None,
            reraise=True,
        )
        return retrying(attempt)

    def _send_once(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None,
        json: Any,
        api_key: str | None,
    ) -> Any:
        headers = request_headers(api_key or self._api_key)
        try:
            response = self._session.request(
                method,
                self.base_url + path,
                params=encode_query(params),
                json=json,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise _connection_error(exc, method, path) from None
        return decode_response(
            method=method,
            path=path,
            status_code=response.status_code,
            headers=response.headers,
            content=response.content,
            retry_after=parse_retry_after(response.headers),
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
