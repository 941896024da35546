"""``OpenAIAdminClient``: one method per Admin API endpoint, plain ``requests``, no Airflow.

The methods live in :mod:`.resources` (one mixin per family) and call the two primitives
implemented here, which take the route, HTTP method, retry class and pagination of each
method from :data:`.endpoints.ENDPOINTS`. Every method returns the JSON the API sent
(plain dicts, typed as the TypedDicts in :mod:`.types`); list methods follow the cursor
through every page and return all items.
Ids go positionally, everything else by keyword with the API's own field names.

What is retried (see :mod:`.retry`): reads, deletes and updates that set absolute values
are retried on 429, 5xx and connection failures; creates (projects, project users,
service accounts, keys, invites) are retried only when the request provably had no
effect (429, connection refused). After any other failure of a create, the raised error
has ``maybe_applied=True`` and the caller must look before creating again.

The only secrets a method returns are the one-time key values of
:meth:`create_service_account` and :meth:`create_service_account_api_key`; the caller is
responsible for them from that moment (the hook masks them at once).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Unpack

import requests

from airflow_provider_openai_projects.client.config import (
    ClientConfig,
    ClientOptions,
    config_from_options,
)
from airflow_provider_openai_projects.client.endpoints import Endpoint, endpoint
from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.client.pacing import Pacer
from airflow_provider_openai_projects.client.pagination import Pager
from airflow_provider_openai_projects.client.resources import AdminMethods
from airflow_provider_openai_projects.client.transport import Transport


class OpenAIAdminClient(AdminMethods):
    """A client of the OpenAI Admin API (``/v1/organization/...``).

    :param api_key: an admin key (``sk-admin-...``). Kept private: not in ``repr``,
        errors or logs.
    :param base_url: defaults to ``https://api.openai.com/v1``; plain ``http://`` only for
        loopback hosts (the emulator).
    :param timeout: read timeout per request in seconds; ``connect_timeout`` likewise.
    :param max_retries: retries of a request that is safe to retry (0 disables).
    :param max_retry_wait: the longest ``Retry-After`` that is waited out here; a longer
        one raises :class:`~.errors.RateLimitError` carrying ``retry_after``.
    :param requests_per_minute: client-side pacing per endpoint (``pacing_scope``), or
        ``None`` for none.
    :param pacer: a :class:`~.pacing.Pacer` shared with other clients (then
        ``requests_per_minute``, ``pacing_burst`` and ``pacing_scope`` are not used).
    :param config: a :class:`~.config.ClientConfig` (the hook builds one from the
        connection); when given, the other options above are not used. See it for
        ``total_timeout``, ``max_response_bytes`` and ``max_server_wait``.

    The keyword options are :class:`~.config.ClientOptions` (shared with the async client);
    their defaults live in :meth:`~.config.ClientConfig.create`.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        config: ClientConfig | None = None,
        pacer: Pacer | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        **options: Unpack[ClientOptions],
    ) -> None:
        config = config_from_options(api_key, config, options)
        self._transport = Transport(config=config, pacer=pacer or config.new_pacer(sleep), session=session, sleep=sleep)

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    @property
    def config(self) -> ClientConfig:
        """The validated configuration (shared shape with the async client)."""
        return self._transport.config

    @property
    def pacer(self) -> Pacer:
        """The pacer this client's requests wait on (shared per connection by the hook)."""
        return self._transport.pacer

    def __repr__(self) -> str:
        return f"<OpenAIAdminClient base_url={self.base_url!r}>"

    def close(self) -> None:
        """Release pooled connections."""
        self._transport.close()

    def __enter__(self) -> OpenAIAdminClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the two primitives of the resource mixins ------------------------------------

    def _path_params(self, endpoint: Endpoint, ids: tuple[str, ...]) -> dict[str, str]:
        names = endpoint.path_params
        if len(ids) != len(names):
            raise TypeError(f"{endpoint.method_name}() takes the ids {', '.join(names) or '(none)'}, got {len(ids)}")
        return dict(zip(names, ids, strict=True))

    def _call(
        self,
        method_name: str,
        *ids: str,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Any:
        """One request to the endpoint of ``method_name`` (route, method and retry class
        from :data:`.endpoints.ENDPOINTS`)."""
        row = endpoint(method_name)
        return self._transport.request(
            row.http_method,
            row.route,
            path_params=self._path_params(row, ids),
            params=params,
            json=dict(body) if body is not None else None,
            idempotent=row.is_idempotent,
        )

    def _list(self, method_name: str, *ids: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Every item of a list endpoint, in as few pages as the endpoint allows."""
        return list(self._iter(method_name, *ids, params=params))

    def _iter(self, method_name: str, *ids: str, params: Mapping[str, Any] | None = None) -> Iterator[Any]:
        """The items of a list endpoint, one page in memory at a time (for exports)."""
        row = endpoint(method_name)
        if row.paging is None:
            raise TypeError(f"{method_name} is not a list endpoint")
        path_params = self._path_params(row, ids)
        pager = Pager(
            params, method="GET", path=row.route.format(**path_params), style=row.paging, page_size=row.page_size
        )
        return self._pages(row, path_params, pager)

    def _pages(self, row: Endpoint, path_params: Mapping[str, str], pager: Pager) -> Iterator[Any]:
        """The loop of :meth:`_iter` (a generator of its own, so that a bad id or a
        non-list method fails at the call, not at the first item)."""
        while not pager.done:
            yield from pager.take(
                self._transport.request("GET", row.route, path_params=path_params, params=pager.params)
            )

    # -- checks -----------------------------------------------------------------------

    def check_access(self) -> None:
        """One cheap authenticated read (the first project); raises if the key cannot list projects."""
        self._transport.request("GET", endpoint("list_projects").route, params={"limit": 1})

    def verify_api_key(self, api_key: str) -> None:
        """Prove that a project or service-account key works: ``GET /models`` with it.

        Returns nothing on success; raises :class:`~.errors.AuthenticationError` if the key
        is not (or not yet) accepted. The key is sent only in the Authorization header.
        """
        if not isinstance(api_key, str) or not api_key:
            raise InvalidInputError("api_key", "must be a non-empty string")
        self._transport.request("GET", "/models", api_key=api_key)
