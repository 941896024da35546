"""``RateLimitSyncTrigger``: the paced part of a rate-limit sync, run in the triggerer.

Under the Admin API's throttle a sync of many projects spends nearly all its time waiting
for the next slot of an endpoint. :class:`~..operators.rate_limits.SyncRateLimitsOperator`
with ``deferrable=True`` hands that waiting to this trigger when the paced work left would
hold its worker slot longer than ``defer_paced_work_after`` seconds: the trigger reads every
targeted project's limits and writes the differing ones with the asynchronous client
(``AsyncOpenAIAdminClient.request``), on the same connection, the same throttle budget
(in-process or the shared ``rate_limit_backend``) and with the same rules as the operator:

- the plan and its steps are the operator's (:class:`~..ratelimit_policy.SyncPlan`,
  :class:`~..ratelimit_sync.SyncSteps`): the same reads, the same writes, in the same
  order, with only the differing fields; so the same call count;
- writes go on while the remaining projects are read (endpoint-parallel), but only once
  every policy key has matched a model read when ``fail_on_unknown_model``: an unknown key
  still means no write at all;
- an unreadable project or a failed write is recorded and the others go on; an error that
  concerns every call (401, 403, a 429 given up on, no connection) stops the sync.

It yields one event (plain JSON, never a secret; API errors scrubbed of key-shaped text)::

    {"status": "done", "report": <SyncPlan.report()>, "summary": str, "retry_may_help": bool,
     "failure_message": str, "unknown_message": str | None (the operator's InvalidInputError text),
     "stopped_by": {"kind": "auth" | "permission" | "throttle" | "connection", "message": str} | None,
     "log": [[level, line], ...]}

or ``{"status": "error", "message": ...}`` when the connection cannot be used. The operator
replays ``log`` into the task log and decides success or failure exactly as it does when it
runs the sync in the worker. Idempotent like the sync: a retry reads again and writes only
what still differs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, cast

from airflow.triggers.base import TriggerEvent

from airflow_provider_openai_projects import DEFAULT_CONN_ID
from airflow_provider_openai_projects.client.endpoints import endpoint
from airflow_provider_openai_projects.triggers.base import (
    OpenAIAdminPollingTrigger,
    _import_runtime_modules,
    scrub,
)

if TYPE_CHECKING:
    from airflow_provider_openai_projects.client.aio import AsyncOpenAIAdminClient
    from airflow_provider_openai_projects.domain.ratelimit_policy import LimitChange
    from airflow_provider_openai_projects.domain.ratelimit_sync import SyncSteps


def _import_sync_modules() -> None:
    """What polling needs and the sync's own rules (the policy, the steps), imported in a
    worker thread: the imports in :meth:`RateLimitSyncTrigger._sync` then find them loaded
    and read nothing from disk on the event loop."""
    _import_runtime_modules()
    import airflow_provider_openai_projects.domain.ratelimit_policy
    import airflow_provider_openai_projects.domain.ratelimit_sync  # noqa: F401


def stop_kind(error: Exception) -> str:
    """What kind of run-stopping error this is (named in the event, never its object)."""
    from airflow_provider_openai_projects.client.errors import (
        AuthenticationError,
        PermissionDeniedError,
        RateLimitError,
    )

    if isinstance(error, AuthenticationError):
        return "auth"
    if isinstance(error, PermissionDeniedError):
        return "permission"
    if isinstance(error, RateLimitError):
        return "throttle"
    return "connection"


class RateLimitSyncTrigger(OpenAIAdminPollingTrigger):
    """Read and write a rate-limit sync's projects from the triggerer (see the module).

    :param rate_limits: the validated policy, as a JSON mapping (key -> fields).
    :param targets: ``[[project_id, name or None], ...]`` in the order to read them.
    :param dry_run: plan only, write nothing.
    :param fail_on_unknown_model: write nothing while a policy key matches no model read.
    :param openai_admin_conn_id: the ``openai_admin`` connection.
    :param poll_interval: unused (kept for the shared serialization); 0.
    """

    def __init__(
        self,
        *,
        rate_limits: Mapping[str, Mapping[str, int]],
        targets: list[list[str | None]],
        dry_run: bool = False,
        fail_on_unknown_model: bool = True,
        openai_admin_conn_id: str = DEFAULT_CONN_ID,
        poll_interval: float = 0.0,
    ) -> None:
        super().__init__(openai_admin_conn_id=openai_admin_conn_id, poll_interval=poll_interval)
        self.rate_limits = {key: dict(fields) for key, fields in rate_limits.items()}
        self.targets = [[str(t[0]), None if t[1] is None else str(t[1])] for t in targets]
        self.dry_run = bool(dry_run)
        self.fail_on_unknown_model = bool(fail_on_unknown_model)

    def trigger_kwargs(self) -> dict[str, Any]:
        return {
            "rate_limits": self.rate_limits,
            "targets": self.targets,
            "dry_run": self.dry_run,
            "fail_on_unknown_model": self.fail_on_unknown_model,
        }

    def describe(self) -> str:
        return f"rate-limit sync of {len(self.targets)} projects"

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Do the sync; yield exactly one event."""
        yield TriggerEvent(await self._sync())  # type: ignore[no-untyped-call]

    async def _sync(self) -> dict[str, Any]:
        await asyncio.to_thread(_import_sync_modules)
        from airflow_provider_openai_projects.domain.ratelimit_policy import SyncPlan, parse_policy
        from airflow_provider_openai_projects.domain.ratelimit_sync import SyncSteps

        policy = parse_policy(self.rate_limits, "rate_limits")
        try:
            client, secret = await self._open_client()
        except Exception as error:
            message = f"cannot use connection {self.openai_admin_conn_id!r}: {scrub(str(error))}"
            self.log.error("%s: %s", self.describe(), message)
            return {"status": "error", "message": message}
        lines: list[list[str]] = []

        def note(level: str, line: str) -> None:
            if level == "change":
                level, line = "info", f"CHANGE: {line}"
            lines.append([level, scrub(line, secret)])

        plan = SyncPlan(policy, dry_run=self.dry_run)
        steps = SyncSteps(
            plan,
            fail_on_unknown=self.fail_on_unknown_model,
            note=note,
            describe=lambda error: scrub(str(error), secret),
        )
        try:
            stopped = await self._read_and_write(client, steps)
        finally:
            await client.aclose()
        unknown = steps.conclude() if stopped is None else None
        self.log.info("%s: %s", self.describe(), plan.summary())
        return {
            "status": "done",
            "report": plan.report(),
            "summary": plan.summary(),
            "retry_may_help": plan.retry_may_help,
            "failure_message": scrub(plan.failure_message(), secret),
            "unknown_message": None if unknown is None else str(unknown),
            "stopped_by": None
            if stopped is None
            else {"kind": stop_kind(stopped), "message": scrub(str(stopped), secret)},
            "log": lines,
        }

    async def _read_and_write(self, client: AsyncOpenAIAdminClient, steps: SyncSteps) -> Exception | None:
        """The reads in order, the writes on a task of their own (the steps' order is
        :class:`~..ratelimit_sync.SyncSteps`'s); the error that stopped the run, if any."""
        from airflow_provider_openai_projects.domain.ratelimit_sync import TaskWriter

        route = endpoint("update_rate_limit").route

        async def read(project_id: str) -> list[Any]:
            return [item async for item in client.iter_list("list_rate_limits", project_id)]

        async def update(change: LimitChange) -> Mapping[str, Any]:
            ids = {"project_id": change.project_id, "rate_limit_id": change.rate_limit_id}
            result = await client.request("POST", route, path_params=ids, json=change.updates(), idempotent=True)
            return cast("Mapping[str, Any]", result)

        writer = None if steps.plan.dry_run else TaskWriter(lambda change: steps.awrite(change, update))
        try:
            return await steps.arun(self.targets, read, writer)
        finally:
            if writer is not None:
                writer.cancel()
