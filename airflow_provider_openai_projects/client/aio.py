"""``AsyncOpenAIAdminClient``: the few Admin API reads the deferrable triggers poll, on ``httpx``.

The triggerer runs every trigger on one event loop, so a trigger must never block it: this
client sends its requests with :class:`httpx.AsyncClient` and waits with ``asyncio.sleep``
(injectable). It is not a second client with its own rules: it reuses the synchronous
client's pure parts, so both sides behave the same way:

- :mod:`.retry` decides what is retried and how long to wait (``Retry-After-Ms``, then
  ``Retry-After`` in seconds or as an HTTP date, else jittered exponential backoff; a
  server-directed wait longer than ``max_retry_wait`` is not taken here but raised as
  :class:`~.errors.RateLimitError` carrying ``retry_after``, for the caller to await);
- :func:`.errors.error_from_response` builds the same exception classes with the same text;
- :mod:`.transport` checks the base URL (no plain ``http://`` off loopback), escapes path
  ids and encodes query parameters;
- :class:`.pacing.Pacer` spaces requests and holds every request to an endpoint after a 429
  (only its non-blocking :meth:`~.pacing.Pacer.reserve` is used; the wait is awaited here).

Only the methods the triggers need exist: :meth:`list_users` and
:meth:`get_project_api_key`. Both are reads, so every failure that may be transient (429,
5xx, timeouts, dropped connections) is retried within the policy.

The admin key is sent only in the ``Authorization`` header; it is never put in a URL, an
exception, a log line or ``repr``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

import httpx

from airflow_provider_openai_projects.client.errors import (
    APIConnectionError,
    APITimeoutError,
    ConfigurationError,
    OpenAIAdminError,
    RateLimitError,
    decode_response,
)
from airflow_provider_openai_projects.client.pacing import Pacer, PacingScope
from airflow_provider_openai_projects.client.pagination import PAGE_SIZE, next_cursor
from airflow_provider_openai_projects.client.retry import RetryPolicy, is_retryable, parse_retry_after
from airflow_provider_openai_projects.client.transport import (
    DEFAULT_BASE_URL,
    encode_query,
    format_path,
    normalize_base_url,
    request_headers,
)

if TYPE_CHECKING:
    from airflow_provider_openai_projects.client.types import ProjectApiKey, User

log = logging.getLogger(__name__)

AsyncSleep = Callable[[float], Awaitable[None]]

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "DELETE", "PUT"})
_USERS = "/organization/users"
_PROJECT_API_KEY = "/organization/projects/{project_id}/api_keys/{api_key_id}"


def connection_error(exc: httpx.HTTPError, method: str, path: str) -> APIConnectionError:
    """Map an ``httpx`` transport failure the way the synchronous transport maps ``requests``'.

    A request that provably never left (connection refused, connect or pool timeout) is not
    ``maybe_applied``; a read timeout or a connection dropped before the response is, unless
    the method is a read. The texts are the synchronous client's.
    """
    never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    maybe_applied = method not in ("GET", "HEAD") and not never_sent
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return APITimeoutError("connect timeout", method=method, path=path, maybe_applied=False)
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError("read timeout", method=method, path=path, maybe_applied=maybe_applied)
    if isinstance(exc, httpx.ConnectError):
        return APIConnectionError("connection refused", method=method, path=path, maybe_applied=False)
    if isinstance(exc, httpx.TransportError):
        detail = "connection dropped before a response arrived"
        return APIConnectionError(detail, method=method, path=path, maybe_applied=maybe_applied)
    return APIConnectionError(type(exc).__name__, method=method, path=path, maybe_applied=maybe_applied)


class AsyncOpenAIAdminClient:
    """An asynchronous client of the Admin API reads that sensors wait on.

    Same options as :class:`~airflow_provider_openai_projects.client.OpenAIAdminClient`
    (``base_url``, timeouts, retries, ``max_retry_wait``, backoff, pacing), plus:

    :param pacer: share a :class:`~.pacing.Pacer` between clients (for example all the
        triggers of one organization in a triggerer), so they pace together and all hold
        back after any 429. Default: a pacer of this client's own.
    :param http_client: an ``httpx.AsyncClient`` to send with (it is closed by
        :meth:`aclose` only if this client created it).
    :param sleep: how to wait (default :func:`asyncio.sleep`); tests record the waits.

    Use as ``async with AsyncOpenAIAdminClient(key, base_url=...) as client: ...`` or call
    :meth:`aclose`.
    """

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = DEFAULT_BASE_URL,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        max_retries: int = 5,
        max_retry_wait: float = 120.0,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
        requests_per_minute: float | None = None,
        pacing_burst: int = 1,
        pacing_scope: PacingScope = "endpoint",
        pacer: Pacer | None = None,
        http_client: httpx.AsyncClient | None = None,
        sleep: AsyncSleep = asyncio.sleep,
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
        try:
            self.retry = RetryPolicy(
                max_retries=max_retries,
                initial_delay=backoff_initial,
                max_delay=backoff_max,
                max_retry_wait=max_retry_wait,
            )
        except ValueError as error:
            raise ConfigurationError(str(error)) from None
        self.pacer = pacer or Pacer(requests_per_minute, burst=pacing_burst, scope=pacing_scope)
        self._sleep = sleep
        self._owns_http_client = http_client is None
        self._http = http_client or httpx.AsyncClient(
            timeout=httpx.Timeout(float(timeout), connect=float(connect_timeout)),
            follow_redirects=False,
            trust_env=False,  # no proxy or netrc credentials picked up from the environment
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} base_url={self.base_url!r}>"

    async def aclose(self) -> None:
        """Release pooled connections (only those of an ``httpx`` client made here)."""
        if self._owns_http_client:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncOpenAIAdminClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- one logical request ------------------------------------------------------------

    async def request(
        self,
        method: str,
        route: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Send one logical request (retried per :mod:`.retry`) and return its JSON body.

        Same contract as the synchronous ``Transport.request``: ``route`` is the template
        (it names the endpoint for pacing), ``idempotent`` defaults to true for GET/DELETE.

        :raises OpenAIAdminError: a subclass naming what went wrong; never containing a key.
            A :class:`~.errors.RateLimitError` whose ``retry_after`` exceeds
            ``max_retry_wait`` is raised at once, for the caller to wait it out.
        """
        method = method.upper()
        path = format_path(route, path_params)
        endpoint = f"{method} {route}"
        safe_to_repeat = method in _IDEMPOTENT_METHODS if idempotent is None else idempotent
        attempts = self.retry.max_retries + 1
        attempt = 0
        while True:
            attempt += 1
            await self._await_slot(endpoint)
            try:
                return await self._send_once(method, path, params=params, json=json)
            except OpenAIAdminError as error:
                if attempt >= attempts or not is_retryable(error, idempotent=safe_to_repeat):
                    raise
                delay = self.retry.delay(attempt - 1, error)
                if delay is None:
                    raise
                log.warning("%s; retrying in %.1fs (attempt %d of %d)", error, delay, attempt + 1, attempts)
                if isinstance(error, RateLimitError):
                    # As the synchronous client: every request sharing the pacer holds back,
                    # and the pacer does the waiting before the next send.
                    self.pacer.cool_down(endpoint, delay)
                elif delay > 0:
                    await self._sleep(delay)

    async def _await_slot(self, endpoint: str) -> None:
        delay = self.pacer.reserve(endpoint)
        if delay > 0:
            await self._sleep(delay)

    async def _send_once(self, method: str, path: str, *, params: Mapping[str, Any] | None, json: Any) -> Any:
        headers = request_headers(self._api_key)
        try:
            response = await self._http.request(
                method,
                self.base_url + path,
                params=tuple(encode_query(params) or ()),
                json=json,
                headers=headers,
            )
        except httpx.HTTPError as exc:
            raise connection_error(exc, method, path) from None
        return decode_response(
            method=method,
            path=path,
            status_code=response.status_code,
            headers=response.headers,
            content=response.content,
            retry_after=parse_retry_after(response.headers),
        )

    async def iter_list(
        self,
        route: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[Any]:
        """Every item of a list endpoint, ``PAGE_SIZE`` per request; the same cursor rule as
        :func:`.pagination.iterate` (a cursor that does not advance stops with
        :class:`~.errors.PaginationError`)."""
        path = route.format(**(path_params or {}))
        after: str | None = None
        seen: set[str] = set()
        while True:
            query = {**(params or {}), "limit": PAGE_SIZE, "after": after}
            page = cast(Mapping[str, Any], await self.request("GET", route, path_params=path_params, params=query))
            for item in page.get("data") or []:
                yield item
            after = next_cursor(page, after, seen, method="GET", path=path)
            if after is None:
                return

    # -- endpoints ----------------------------------------------------------------------

    async def list_users(self, *, emails: list[str] | None = None) -> list[User]:
        """Every organization member, or those with the given ``emails`` (the API matches
        them case-insensitively)."""
        params = {"emails": list(emails)} if emails else None
        return [cast("User", user) async for user in self.iter_list(_USERS, params=params)]

    async def get_project_api_key(self, project_id: str, api_key_id: str) -> ProjectApiKey:
        """A project API key as the API shows it (``redacted_value``, ``last_used_at``, owner;
        never the key itself)."""
        path_params = {"project_id": project_id, "api_key_id": api_key_id}
        return cast("ProjectApiKey", await self.request("GET", _PROJECT_API_KEY, path_params=path_params))
