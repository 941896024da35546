"""``AsyncOpenAIAdminClient``: the few Admin API reads the deferrable triggers poll, on ``httpx``.

The triggerer runs every trigger on one event loop, so a trigger must never block it: this
client sends its requests with :class:`httpx.AsyncClient` and waits with ``asyncio.sleep``
(injectable). It is not a second client with its own rules: it reuses the synchronous
client's pure parts, so both sides behave the same way:

- one :class:`~.config.ClientConfig` (key, base URL, timeouts, retry policy, caps, pacing),
  validated by the same code;
- the same retry loop around the same :class:`~.retry.RetryLoop`: what is retried and how
  long to wait (``Retry-After-Ms``, then ``Retry-After`` in seconds or as an HTTP date,
  else jittered exponential backoff; a server-directed wait longer than
  ``max_retry_wait`` is not taken here but raised as :class:`~.errors.RateLimitError`
  carrying ``retry_after``, for the caller to await; one beyond ``max_server_wait`` is
  :class:`~.errors.ServerWaitTooLongError`);
- :func:`.errors.decode_response` builds the same exception classes with the same text,
  redacted of every key the client holds;
- :func:`.config.prepare_call` checks the ids and fills the route, and the path ``httpx``
  would send is compared with it; the body is streamed under the same whole-request
  deadline and size cap;
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
from typing import TYPE_CHECKING, Any, Unpack, cast
from urllib.parse import urlsplit

import httpx

from airflow_provider_openai_projects.client.config import (
    ClientConfig,
    ClientOptions,
    PreparedCall,
    check_sent_path,
    config_from_options,
    encode_query,
    format_path,
    prepare_call,
)
from airflow_provider_openai_projects.client.endpoints import endpoint
from airflow_provider_openai_projects.client.errors import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    OpenAIAdminError,
    RateLimitError,
    decode_response,
)
from airflow_provider_openai_projects.client.pacing import Pacer
from airflow_provider_openai_projects.client.pagination import Pager
from airflow_provider_openai_projects.client.resources.audit_logs import audit_log_query
from airflow_provider_openai_projects.client.retry import RetryLoop, parse_retry_after
from airflow_provider_openai_projects.client.transport import past_deadline, request_headers, too_large

if TYPE_CHECKING:
    from airflow_provider_openai_projects.client.resources.observe_types import AuditLog
    from airflow_provider_openai_projects.client.types import ProjectApiKey, User

log = logging.getLogger(__name__)

AsyncSleep = Callable[[float], Awaitable[None]]

_CHUNK = 64 * 1024


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
        api_key: str | None = None,
        *,
        config: ClientConfig | None = None,
        pacer: Pacer | None = None,
        http_client: httpx.AsyncClient | None = None,
        sleep: AsyncSleep = asyncio.sleep,
        **options: Unpack[ClientOptions],
    ) -> None:
        config = config_from_options(api_key, config, options)
        self.config = config
        self.base_url = config.base_url
        self.retry = config.retry
        self.pacer = pacer or config.new_pacer()
        self._sleep = sleep
        self._owns_http_client = http_client is None
        self._http = http_client or httpx.AsyncClient(
            timeout=httpx.Timeout(config.timeout, connect=config.connect_timeout),
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
        call = prepare_call(method, route, path_params, idempotent, json)
        loop = RetryLoop(self.retry, safe_to_repeat=call.safe_to_repeat, max_server_wait=self.config.max_server_wait)
        attempt = 0
        while True:
            attempt += 1
            await self._await_slot(call.endpoint)
            try:
                return await self._send_once(call, params=params, json=json)
            except OpenAIAdminError as error:
                delay = loop.next_wait(attempt, error)
                if delay is None:
                    raise
                log.warning("%s; retrying in %.1fs (attempt %d of %d)", error, delay, attempt + 1, loop.attempts)
                if isinstance(error, RateLimitError):
                    # As the synchronous client: every request sharing the pacer holds back,
                    # and the pacer does the waiting before the next send.
                    self.pacer.cool_down(call.endpoint, delay)
                elif delay > 0:
                    await self._sleep(delay)

    async def _await_slot(self, endpoint: str) -> None:
        # As the synchronous transport's ``pacer.wait``: a shared budget gives its unit when
        # the sender is awake and about to send (``admit_now``), so a late wake-up does not
        # spend a slot it missed; each ask is a round trip to the budget's store (SQLite,
        # Redis, PostgreSQL), never made on the triggerer's event loop. The waits of one send
        # are bounded as the synchronous pacer's (``admit_within``: ``max_server_wait``).
        admit_within = getattr(self.pacer, "admit_within", None)
        if admit_within is None:  # the per-process pacer: reserve, then sleep until the slot
            delay = await asyncio.to_thread(self.pacer.reserve, endpoint)
            if delay > 0:
                await self._sleep(delay)
            return
        waited = 0.0
        while (delay := await asyncio.to_thread(admit_within, endpoint, waited)) > 0:
            await self._sleep(delay)
            waited += delay

    async def _send_once(self, call: PreparedCall, *, params: Mapping[str, Any] | None, json: Any) -> Any:
        url = self.base_url + call.path
        request = self._http.build_request(
            call.method,
            url,
            params=tuple(encode_query(params) or ()),
            json=json,
            headers=request_headers(self.config.api_key),
        )
        sent = request.url.raw_path.decode("ascii", "replace").partition("?")[0]
        check_sent_path(urlsplit(url).path, sent, method=call.method, route=call.route)
        try:
            async with asyncio.timeout(self.config.total_timeout):
                response = await self._http.send(request, stream=True)
                try:
                    content = await self._read_body(response, call)
                finally:
                    await response.aclose()
        except TimeoutError:
            raise past_deadline(call, self.config.total_timeout) from None
        except httpx.HTTPError as exc:
            raise connection_error(exc, call.method, call.path) from None
        return decode_response(
            method=call.method,
            path=call.path,
            status_code=response.status_code,
            headers=response.headers,
            content=content,
            retry_after=parse_retry_after(response.headers),
            secrets=self.config.hidden_values,
        )

    async def _read_body(self, response: httpx.Response, call: PreparedCall) -> bytes:
        """The body as it arrives (undecoded), refused past ``max_response_bytes``."""
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
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_raw(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise too_large(call, limit)
            chunks.append(chunk)
        return b"".join(chunks)

    async def iter_list(
        self, method_name: str, *ids: str, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[Any]:
        """Every item of the list endpoint ``method_name`` (its row in
        :data:`.endpoints.ENDPOINTS` gives the route, page size and pagination style), paged
        by the sync client's :class:`.pagination.Pager`."""
        row = endpoint(method_name)
        if row.paging is None:
            raise TypeError(f"{method_name} is not a list endpoint")
        path_params = dict(zip(row.path_params, ids, strict=True))
        pager = Pager(
            params, method="GET", path=format_path(row.route, path_params), style=row.paging, page_size=row.page_size
        )
        while not pager.done:
            page = await self.request("GET", row.route, path_params=path_params, params=pager.params)
            for item in pager.take(page):
                yield item

    async def call(self, method_name: str, *ids: str, params: Mapping[str, Any] | None = None) -> Any:
        """One read of the endpoint ``method_name`` (route from :data:`.endpoints.ENDPOINTS`)."""
        row = endpoint(method_name)
        path_params = dict(zip(row.path_params, ids, strict=True))
        return await self.request(row.http_method, row.route, path_params=path_params, params=params)

    # -- endpoints (the reads the triggers poll) ------------------------------------------

    async def list_users(self, *, emails: list[str] | None = None) -> list[User]:
        """Every organization member, or those with the given ``emails`` (the API matches
        them case-insensitively)."""
        params = {"emails": list(emails)} if emails else None
        return [cast("User", user) async for user in self.iter_list("list_users", params=params)]

    async def get_project_api_key(self, project_id: str, api_key_id: str) -> ProjectApiKey:
        """A project API key as the API shows it (``redacted_value``, ``last_used_at``, owner;
        never the key itself)."""
        return cast("ProjectApiKey", await self.call("get_project_api_key", project_id, api_key_id))

    async def list_audit_logs(self, **filters: Any) -> list[AuditLog]:
        """Every audit event matching the filters (the synchronous client's arguments and
        query encoding: :func:`.resources.audit_logs.audit_log_query`)."""
        query = audit_log_query(**filters)
        return [cast("AuditLog", event) async for event in self.iter_list("list_audit_logs", params=query)]
