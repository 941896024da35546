"""What the provider's polling triggers share: the connection, the async client, the poll loop.

A deferrable sensor hands its waiting to a trigger, which polls one Admin API read on the
triggerer's event loop until a condition holds (docs/design.md, "Deferrable"; issue 6: waiting
happens in the triggerer, not in a worker slot). The loop:

- resolves the connection asynchronously (``BaseHook.aget_connection`` where it masks
  asynchronously, Airflow 3.3.2+; before that, the synchronous lookup in a worker thread,
  as the common-compat provider's ``get_async_connection`` does) and registers the admin
  key with the secrets masker (``amask_secret``, or ``mask_secret`` in a thread on 3.2)
  before anything could log it;
- polls with :class:`~airflow_provider_openai_projects.client.aio.AsyncOpenAIAdminClient`,
  which applies the synchronous client's retry, ``Retry-After`` and pacing rules; all
  triggers of one connection in a triggerer process share one pacer, so they pace
  together and all hold back after a 429;
- waits ``poll_interval`` between polls with ``asyncio.sleep``; a transient failure that
  outlived the client's retries (429, 5xx, lost connection) is not an error: the trigger
  waits ``max(poll_interval, Retry-After)`` and polls again; a long ``Retry-After`` is
  simply awaited here, which costs no worker slot;
- ends with one event: ``{"status": "success", ...}`` or ``{"status": "error",
  "message": ...}`` for a failure that waiting cannot fix (404, 401, 403, 400, a bad
  connection). Messages are scrubbed of anything shaped like a key and of the admin key.

Nothing blocks the loop: HTTP is ``httpx`` async, the client modules (and what ``httpx``
and the connection lookup would import lazily at the first poll) are imported and the
client (with its TLS context) is built in a worker thread, and sleeps are
``asyncio.sleep`` (``tests/triggers/test_event_loop_lag.py`` runs a first poll in a fresh
process and fails on a loop lag above 0.1 s or a module imported on the loop).
Trigger kwargs are plain JSON and never hold a secret: the key is
looked up in the triggerer from the connection id.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_openai_projects import DEFAULT_CONN_ID

if TYPE_CHECKING:
    from airflow.sdk import Connection

    from airflow_provider_openai_projects.client.aio import AsyncOpenAIAdminClient
    from airflow_provider_openai_projects.client.errors import OpenAIAdminError

AsyncSleep = Callable[[float], Awaitable[None]]


async def aget_connection(conn_id: str) -> Connection:
    """The connection, fetched without blocking the event loop on any supported Airflow.

    From Airflow 3.3.2 ``BaseHook.aget_connection`` masks the connection's secrets
    asynchronously (``Connection.aextra_dejson`` marks that version); earlier it masks them
    with a synchronous call to the supervisor, so there the synchronous lookup runs in a
    worker thread instead (the common-compat provider's ``get_async_connection`` rule).
    """
    from airflow.sdk import BaseHook, Connection

    if hasattr(Connection, "aextra_dejson"):
        return await BaseHook.aget_connection(conn_id)
    return await asyncio.to_thread(BaseHook.get_connection, conn_id)


async def aextra_dejson(conn: Connection) -> dict[str, Any]:
    """The connection's extra as a dict, its secrets masked, without blocking the loop."""
    read = getattr(conn, "aextra_dejson", None)
    if read is not None:
        return dict(await read())
    return dict(await asyncio.to_thread(lambda: conn.extra_dejson))


async def amask_secret(value: str) -> None:
    """Register ``value`` with the secrets masker from async code (``amask_secret`` on 3.3,
    the synchronous ``mask_secret`` in a worker thread on 3.2)."""
    from airflow.sdk import log as sdk_log

    amask = getattr(sdk_log, "amask_secret", None)
    if amask is not None:
        await amask(value)
    else:
        await asyncio.to_thread(sdk_log.mask_secret, value)


#: Modules imported lazily on the event loop's thread by the first poll of a triggerer
#: process, unless imported before: ``httpx``'s transport loads ``anyio``'s asyncio back-end
#: and its streams at the first request (0.25 s on a loaded 2-core machine, 0.55 s seen in a
#: deployed triggerer: issue 21, point 9); the connection lookup imports the Task SDK's
#: ``BaseHook``/``Connection``, its secrets-backend loader and (Airflow 3.3) ``asgiref.sync``.
LAZY_RUNTIME_MODULES = (
    "anyio",
    "anyio._backends._asyncio",
    "anyio.abc",
    "anyio.lowlevel",
    "anyio.streams.memory",
    "anyio.streams.stapled",
    "anyio.streams.tls",
    "anyio.to_thread",
    "httpcore._backends.anyio",
    "asgiref.sync",
    "airflow.sdk.bases.hook",
    "airflow.sdk.definitions.connection",
    "airflow.sdk.execution_time.cache",
    "airflow.sdk.execution_time.supervisor",
)


def _import_runtime_modules() -> None:
    """Import what polling needs (client, hook helpers, httpx and what httpx and the
    connection lookup import lazily: :data:`LAZY_RUNTIME_MODULES`); run in a worker thread,
    so the first trigger of a triggerer process reads no module from disk on the loop."""
    import importlib

    import airflow_provider_openai_projects.client.aio
    import airflow_provider_openai_projects.client.errors
    import airflow_provider_openai_projects.hooks.connection  # noqa: F401

    for name in LAZY_RUNTIME_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:  # another version of a library without that module: nothing to warm
            continue


def scrub(text: str, secret: str | None = None) -> str:
    """``text`` without the admin key and without anything shaped like an OpenAI key."""
    from airflow_provider_openai_projects.client.errors import redact_keys

    return redact_keys(text, (secret,) if secret else ())


class OpenAIAdminPollingTrigger(BaseTrigger):
    """Base of the provider's triggers: poll until :meth:`poll` returns a result.

    Subclasses implement :meth:`poll` (one check with the async client: the success
    payload, or ``None`` for "not yet"), :meth:`trigger_kwargs` (their own JSON-able
    kwargs) and may refine :meth:`failure_message`.

    :param openai_admin_conn_id: the ``openai_admin`` connection (its password is the key).
    :param poll_interval: seconds between polls.

    Two triggers are equal when they serialize equally, so ``cls(**kwargs)`` of a
    serialized trigger equals the trigger.
    """

    def __init__(self, *, openai_admin_conn_id: str = DEFAULT_CONN_ID, poll_interval: float = 60.0) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        if isinstance(poll_interval, bool) or not isinstance(poll_interval, int | float) or poll_interval < 0:
            raise ValueError(f"poll_interval must be a non-negative number of seconds, got {poll_interval!r}")
        self.openai_admin_conn_id = openai_admin_conn_id
        self.poll_interval = float(poll_interval)
        self._sleep: AsyncSleep = asyncio.sleep  # not a kwarg: tests replace it to record waits

    # -- serialization ------------------------------------------------------------------

    def trigger_kwargs(self) -> dict[str, Any]:
        """The subclass's own kwargs (JSON-able, never a secret)."""
        raise NotImplementedError

    def serialize(self) -> tuple[str, dict[str, Any]]:
        kwargs = {
            **self.trigger_kwargs(),
            "openai_admin_conn_id": self.openai_admin_conn_id,
            "poll_interval": self.poll_interval,
        }
        return f"{type(self).__module__}.{type(self).__qualname__}", kwargs

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OpenAIAdminPollingTrigger):
            return NotImplemented
        return self.serialize() == other.serialize()

    def __hash__(self) -> int:
        classpath, kwargs = self.serialize()
        return hash((classpath, json.dumps(kwargs, sort_keys=True)))

    # -- polling ------------------------------------------------------------------------

    async def poll(self, client: AsyncOpenAIAdminClient) -> dict[str, Any] | None:
        """One check: the success payload (without ``status``), or ``None`` for not yet."""
        raise NotImplementedError

    def failure_message(self, error: OpenAIAdminError) -> str:
        """The error event's message for a failure that waiting cannot fix."""
        return str(error)

    def describe(self) -> str:
        """What is being waited for, for log lines."""
        return type(self).__name__

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll until done; yield exactly one success or error event."""
        payload = await self._wait()
        yield TriggerEvent(payload)  # type: ignore[no-untyped-call]

    async def _wait(self) -> dict[str, Any]:
        await asyncio.to_thread(_import_runtime_modules)
        from airflow_provider_openai_projects.client.errors import (
            APIConnectionError,
            OpenAIAdminError,
            RateLimitError,
            ServerError,
        )

        conn_id = self.openai_admin_conn_id
        try:
            client, secret = await self._open_client()
        except Exception as error:
            # A missing connection, no key, a bad base URL or extra: nothing to wait for.
            message = f"cannot use connection {conn_id!r}: {scrub(str(error))}"
            self.log.error("%s: %s", self.describe(), message)
            return {"status": "error", "message": message}
        try:
            polls = 0
            while True:
                polls += 1
                try:
                    result = await self.poll(client)
                except (RateLimitError, ServerError, APIConnectionError) as error:
                    hint = error.retry_after if isinstance(error, RateLimitError) else None
                    wait = max(self.poll_interval, hint or 0.0)
                    self.log.warning(
                        "%s: poll %d failed for now (%s); polling again in %.1fs.",
                        self.describe(),
                        polls,
                        scrub(str(error), secret),
                        wait,
                    )
                    await self._sleep(wait)
                    continue
                except OpenAIAdminError as error:
                    message = scrub(self.failure_message(error), secret)
                    self.log.error("%s: %s", self.describe(), message)
                    return {"status": "error", "message": message}
                if result is not None:
                    self.log.info("%s: done after %d poll(s).", self.describe(), polls)
                    return {"status": "success", **result}
                self.log.info(
                    "%s: not yet (poll %d); polling again in %.1fs.", self.describe(), polls, self.poll_interval
                )
                await self._sleep(self.poll_interval)
        finally:
            await client.aclose()

    async def _open_client(self) -> tuple[AsyncOpenAIAdminClient, str]:
        """The configured async client and the admin key (kept only to scrub messages)."""
        conn_id = self.openai_admin_conn_id
        conn = await aget_connection(conn_id)
        key = (conn.password or "").strip()
        if key:
            await amask_secret(key)
        extra = await aextra_dejson(conn)
        # Building the client reads the TLS trust store and may import modules: keep it off the loop.
        client = await asyncio.to_thread(self._build_client, conn, extra)
        return client, key

    def _build_client(self, conn: Connection, extra: dict[str, Any]) -> AsyncOpenAIAdminClient:
        """The client from the same :func:`~..hooks.connection.client_config_from_connection`
        as the hook's (same fields, same checks, the same shared pacer key)."""
        from airflow_provider_openai_projects.client.aio import AsyncOpenAIAdminClient
        from airflow_provider_openai_projects.hooks.connection import (
            backend_url,
            client_config_from_connection,
            connection_pacer,
        )

        conn_id = self.openai_admin_conn_id
        config = client_config_from_connection(conn, conn_id, extra=extra)
        pacer = connection_pacer(conn_id, config, backend=backend_url(extra, conn_id))
        return AsyncOpenAIAdminClient(config=config, pacer=pacer, sleep=self._sleep)
