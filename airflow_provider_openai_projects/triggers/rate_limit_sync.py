"""``RateLimitSyncTrigger``: the paced part of a rate-limit sync, run in the triggerer.

Under the Admin API's throttle a sync of many projects spends nearly all its time waiting
for the next slot of an endpoint. :class:`~..operators.rate_limits.SyncRateLimitsOperator`
with ``deferrable=True`` hands that waiting to this trigger when the paced work left would
hold its worker slot longer than ``defer_paced_work_after`` seconds: the trigger reads every
targeted project's limits and writes the differing ones with the asynchronous client
(``AsyncOpenAIAdminClient.request``), on the same connection, the same throttle budget
(in-process or the shared ``rate_limit_backend``) and with the same rules as the operator:

- the plan is the operator's (:class:`~..ratelimit_policy.SyncPlan`): the same reads, the
  same writes, in the same order, with only the differing fields; so the same call count;
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
from typing import TYPE_CHECKING, Any

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
    from airflow_provider_openai_projects.ratelimit_policy import LimitChange, SyncPlan


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
        await asyncio.to_thread(_import_runtime_modules)
        from airflow_provider_openai_projects.client.errors import InvalidInputError
        from airflow_provider_openai_projects.ratelimit_policy import SyncPlan, describe_unknown, parse_policy

        policy = parse_policy(self.rate_limits, "rate_limits")
        try:
            client, secret = await self._open_client()
        except Exception as error:
            message = f"cannot use connection {self.openai_admin_conn_id!r}: {scrub(str(error))}"
            self.log.error("%s: %s", self.describe(), message)
            return {"status": "error", "message": message}
        run = _SyncRun(client, SyncPlan(policy, dry_run=self.dry_run), secret)
        try:
            stopped = await run.execute(self.targets, wait_for_known=self.fail_on_unknown_model)
        finally:
            await client.aclose()
        plan = run.plan
        unknown = [] if stopped is not None else plan.find_unknown_models()
        unknown_message = None
        if unknown:
            described = describe_unknown(policy, unknown)
            if self.fail_on_unknown_model:
                unread = len(plan.failed_projects)
                note = f" ({unread} targeted projects could not be read)" if unread else ""
                unknown_message = str(
                    InvalidInputError(
                        f"rate_limits[{unknown[0]!r}]" if len(unknown) == 1 else "rate_limits",
                        f"unknown model(s): {described}{note}. Nothing was written; fix the policy or "
                        "set fail_on_unknown_model=False to skip them",
                    )
                )
            else:
                run.note("warning", f"Ignoring policy keys that match no model: {described}.")
        for model, names in plan.skipped_fields().items():
            run.note("warning", f"Model {model} has no {', '.join(names)} limit: not sent (see skipped_fields).")
        if self.dry_run:
            for change in plan.changes():
                run.note("info", f"DRY RUN: would set {change.describe()}")
        self.log.info("%s: %s", self.describe(), plan.summary())
        return {
            "status": "done",
            "report": plan.report(),
            "summary": plan.summary(),
            "retry_may_help": plan.retry_may_help,
            "failure_message": scrub(plan.failure_message(), secret),
            "unknown_message": unknown_message,
            "stopped_by": None
            if stopped is None
            else {"kind": stop_kind(stopped), "message": scrub(str(stopped), secret)},
            "log": run.lines,
        }


class _SyncRun:
    """One sync on the event loop: reads in order, writes on a task of their own."""

    def __init__(self, client: AsyncOpenAIAdminClient, plan: SyncPlan, secret: str) -> None:
        self.client = client
        self.plan = plan
        self.secret = secret
        self.lines: list[list[str]] = []
        self._queue: asyncio.Queue[LimitChange | None] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._aborted = False
        self._stopped_by: Exception | None = None

    def note(self, level: str, line: str) -> None:
        self.lines.append([level, scrub(line, self.secret)])

    async def execute(self, targets: list[list[str | None]], *, wait_for_known: bool) -> Exception | None:
        """Read every target and write the changes; the error that stopped the run, if any."""
        try:
            await self._read_all(targets, wait_for_known=wait_for_known)
            may_write = self._stopped_by is None and self._writer is None and not self.plan.dry_run
            if may_write and not (wait_for_known and self.plan.find_unknown_models()):
                self._start(self.plan.changes())
            if self._stopped_by is not None:
                self._aborted = True
            if self._writer is not None:
                self._queue.put_nowait(None)
                await self._writer
        finally:
            if self._writer is not None and not self._writer.done():
                self._aborted = True
                self._writer.cancel()
        return self._stopped_by

    async def _read_all(self, targets: list[list[str | None]], *, wait_for_known: bool) -> None:
        from airflow_provider_openai_projects.client.errors import OpenAIAdminError
        from airflow_provider_openai_projects.operators.rate_limits import _is_transient, _stops_the_run
        from airflow_provider_openai_projects.ratelimit_policy import project_label

        models_seen: set[str] = set()
        for project_id, name in targets:
            assert project_id is not None
            if self._stopped_by is not None:
                return
            try:
                limits = [item async for item in self.client.iter_list("list_rate_limits", project_id)]
            except OpenAIAdminError as error:
                if _stops_the_run(error):
                    self._stopped_by = error
                    return
                message = scrub(str(error), self.secret)
                self.note("error", f"Cannot read the rate limits of {project_label(project_id, name)}: {message}")
                self.plan.add_failed_project(project_id, name, message, transient=_is_transient(error))
                continue
            project = self.plan.add_project(project_id, name, limits)
            if self.plan.dry_run:
                continue
            if self._writer is not None:
                for change in project.changes:
                    self._queue.put_nowait(change)
                continue
            models_seen.update(project.models)
            if not wait_for_known or not self.plan.policy.unknown_keys(models_seen):
                self._start(self.plan.changes())

    def _start(self, changes: list[LimitChange]) -> None:
        for change in changes:
            self._queue.put_nowait(change)
        self._writer = asyncio.create_task(self._write_all())

    async def _write_all(self) -> None:
        while not self._aborted:
            change = await self._queue.get()
            if change is None or self._aborted:
                return
            try:
                await self._write_one(change)
            except Exception as error:
                self._stopped_by = error
                return

    async def _write_one(self, change: LimitChange) -> None:
        from airflow_provider_openai_projects.client.errors import OpenAIAdminError
        from airflow_provider_openai_projects.operators.rate_limits import _is_transient, _stops_the_run

        path_params = {"project_id": change.project_id, "rate_limit_id": change.rate_limit_id}
        try:
            result = await self.client.request(
                "POST",
                endpoint("update_rate_limit").route,
                path_params=path_params,
                json=change.updates(),
                idempotent=True,
            )
        except OpenAIAdminError as error:
            if _stops_the_run(error):
                raise
            change.status, change.error = "failed", scrub(str(error), self.secret)
            change.transient = _is_transient(error)
            self.note("error", f"FAILED to set {change.describe()}: {change.error}")
            return
        change.status = "updated"
        self.note("info", f"CHANGE: set {change.describe()}")
        answered = {n: result.get(n) for n in change.fields if result.get(n) != change.fields[n][1]}
        if answered:
            self.note(
                "warning",
                f"The API answered {answered} for {change.project_id} {change.model} (asked {change.updates()}); "
                "it may cap these values, so later runs will try again.",
            )
