"""One HTTP request to the Admin API, with auth, timeouts, pacing, retries and error mapping.

Knows nothing of endpoints (see :mod:`.admin`) and nothing of Airflow. The admin key
lives in this object only: it is sent in the ``Authorization`` header, never put in a
URL, an exception or a log line, and hidden from ``repr``.

Configured by one :class:`~.config.ClientConfig` (shared with the async client, which
runs the same retry loop around the same :class:`~.retry.RetryLoop`). Every attempt:

- checks the ids and fills the route (:func:`~.config.prepare_call`), then refuses to send
  if the path ``requests`` would put on the wire differs from it (dot segments);
- streams the body and stops with :class:`~.errors.APITimeoutError` at the whole-request
  deadline (``total_timeout``, besides the per-read ``timeout``) and with
  :class:`~.errors.ResponseTooLargeError` past ``max_response_bytes``;
- accepts only a 2xx JSON object; every field of an error it shows is redacted of every
  key this transport holds (the admin key, keys given to ``request(api_key=...)``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3.exceptions

from airflow_provider_openai_projects import __version__
from airflow_provider_openai_projects.client.config import (
    DEFAULT_BASE_URL,
    IDEMPOTENT_METHODS,
    ClientConfig,
    PreparedCall,
    check_api_key,
    check_sent_path,
    encode_query,
    format_path,
    is_loopback_host,
    normalize_base_url,
    prepare_call,
)
from airflow_provider_openai_projects.client.errors import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    ConfigurationError,
    InvalidInputError,
    OpenAIAdminError,
    RateLimitError,
    ResponseTooLargeError,
    decode_response,
)
from airflow_provider_openai_projects.client.pacing import Pacer
from airflow_provider_openai_projects.client.retry import RetryLoop, RetryPolicy, parse_retry_after

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_BASE_URL",
    "IDEMPOTENT_METHODS",
    "USER_AGENT",
    "ClientConfig",
    "Transport",
    "encode_query",
    "format_path",
    "is_loopback_host",
    "normalize_base_url",
    "request_headers",
]

USER_AGENT = f"airflow-provider-openai-projects/{__version__} (+python-requests/{requests.__version__})"
_CHUNK = 64 * 1024


def request_headers(api_key: str) -> dict[str, str]:
    """The headers of every request: bearer auth, this package's User-Agent, JSON, and no
    compression (a body is capped as it arrives; a compressed one could expand past it)."""
    return {
        "Authorization": f"Bearer {api_key}",
        "User-Agent": USER_AGENT,
        "Accept": "application/json",
        "Accept-Encoding": "identity",
    }


def check_request_key(api_key: object) -> str:
    """A key given for one request (verifying a minted key): :class:`InvalidInputError`
    naming ``api_key`` unless it could go into a header (never echoing it)."""
    if not isinstance(api_key, str) or not api_key:
        raise InvalidInputError("api_key", "must be a non-empty string")
    try:
        return check_api_key(api_key, "API key")
    except ConfigurationError as error:
        raise InvalidInputError("api_key", error.message) from None


def too_large(call: PreparedCall, limit: int) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"response body larger than {limit} bytes (max_response_bytes); refused",
        method=call.method,
        path=call.path,
        maybe_applied=call.method not in ("GET", "HEAD"),
    )


def past_deadline(call: PreparedCall, seconds: float) -> APITimeoutError:
    return APITimeoutError(
        f"no complete response within {seconds:g} s (total_timeout)",
        method=call.method,
        path=call.path,
        maybe_applied=call.method not in ("GET", "HEAD"),
    )


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
    """Sends requests to the Admin API and returns the decoded JSON objects of 2xx responses.

    Thread-safe: one instance may be shared by threads (the pacer and the session are).

    :param config: the client configuration; without it one is built from ``api_key``,
        ``base_url``, ``timeout``, ``connect_timeout`` and ``retry`` (validated the same way).
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        config: ClientConfig | None = None,
        base_url: str | None = None,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        pacer: Pacer | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if config is None:
            config = ClientConfig(
                api_key or "",
                base_url=base_url or DEFAULT_BASE_URL,
                timeout=timeout,
                connect_timeout=connect_timeout,
                retry=retry or RetryPolicy(),
            )
        self.config = config
        self.base_url = config.base_url
        self.timeout = (config.connect_timeout, config.timeout)
        self.retry = config.retry
        self.pacer = pacer or config.new_pacer(sleep)
        self._sleep = sleep
        self._session = session or self._new_session()
        self._secrets = set(config.hidden_values)
        self._secrets_lock = threading.Lock()

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

    def secrets(self) -> tuple[str, ...]:
        """Every key this transport has held (redacted by value from every error)."""
        with self._secrets_lock:
            return tuple(self._secrets)

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
        """Send one logical request (retried per :mod:`.retry`) and return its JSON object.

        :param route: the route template, e.g. ``/organization/projects/{project_id}``; it
            names the endpoint for pacing and appears (filled) in errors.
        :param path_params: the ids; each checked by :func:`~.config.validate_id` before
            anything is sent.
        :param idempotent: whether repeating the request is harmless even if it took
            effect. Defaults to true for GET/DELETE and false for POST.
        :param api_key: send with this key instead of the admin key (verifying a minted key).
        :raises OpenAIAdminError: a subclass naming what went wrong; never containing a key.
        """
        call = prepare_call(method, route, path_params, idempotent, json)
        key = self.config.api_key
        if api_key is not None:
            key = check_request_key(api_key)
            with self._secrets_lock:
                self._secrets.add(key)
        loop = RetryLoop(self.retry, safe_to_repeat=call.safe_to_repeat, max_server_wait=self.config.max_server_wait)
        attempt = 0
        while True:
            attempt += 1
            self.pacer.wait(call.endpoint)
            try:
                return self._send_once(call, params=params, json=json, api_key=key)
            except OpenAIAdminError as error:
                delay = loop.next_wait(attempt, error)
                if delay is None:
                    raise
                log.warning("%s; retrying in %.1fs (attempt %d of %d)", error, delay, attempt + 1, loop.attempts)
                if isinstance(error, RateLimitError):
                    # Throttled: every thread sharing this client holds back, not just this one;
                    # the pacer does the waiting (for this thread too) before the next send.
                    self.pacer.cool_down(call.endpoint, delay)
                elif delay > 0:
                    self._sleep(delay)

    def _send_once(self, call: PreparedCall, *, params: Mapping[str, Any] | None, json: Any, api_key: str) -> Any:
        url = self.base_url + call.path
        prepared = self._session.prepare_request(
            requests.Request(call.method, url, params=encode_query(params), json=json, headers=request_headers(api_key))
        )
        check_sent_path(urlsplit(url).path, urlsplit(prepared.url or "").path, method=call.method, route=call.route)
        deadline = time.monotonic() + self.config.total_timeout
        try:
            response = self._session.send(prepared, stream=True, timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            raise _connection_error(exc, call.method, call.path) from None
        try:
            content = self._read_body(response, call, deadline)
        except requests.RequestException as exc:
            raise _connection_error(exc, call.method, call.path) from None
        except (urllib3.exceptions.ReadTimeoutError, TimeoutError) as exc:
            raise _connection_error(requests.exceptions.ReadTimeout(exc), call.method, call.path) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise _connection_error(requests.ConnectionError(exc), call.method, call.path) from None
        finally:
            response.close()
        return decode_response(
            method=call.method,
            path=call.path,
            status_code=response.status_code,
            headers=response.headers,
            content=content,
            retry_after=parse_retry_after(response.headers),
            secrets=self.secrets(),
        )

    def _read_body(self, response: requests.Response, call: PreparedCall, deadline: float) -> bytes:
        """The body, read as it arrives: refused past ``max_response_bytes`` (at once when
        ``Content-Length`` says so) or past the deadline; each read waits at most ``timeout``."""
        limit = self.config.max_response_bytes
        declared = response.headers.get("content-length", "")
        if declared.strip().isdigit() and int(declared) > limit:
            raise too_large(call, limit)
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise APIResponseValidationError(
                f"{response.status_code} response is {encoding}-encoded although identity was asked",
                method=call.method,
                path=call.path,
                maybe_applied=call.method not in ("GET", "HEAD"),
            )
        raw = response.raw
        read = getattr(raw, "read1", None) or raw.read
        chunks: list[bytes] = []
        size = 0
        while True:
            if time.monotonic() > deadline:
                raise past_deadline(call, self.config.total_timeout)
            chunk = read(_CHUNK, decode_content=False)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > limit:
                raise too_large(call, limit)
            chunks.append(chunk)
