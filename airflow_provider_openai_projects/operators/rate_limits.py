"""Declarative per-model rate limits across projects: read once, diff, write only the difference.

The Admin API is throttled to a handful of requests per minute per endpoint, so the sync
is built around its call count: one read per project, one write per limit that differs,
nothing else. The policy, the matching and the plan live in the pure module
:mod:`airflow_provider_openai_projects.ratelimit_policy`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects.operators.base import OpenAIAdminBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_projects.ratelimit_policy import LimitChange, RateLimitPolicy, SyncPlan

REPORT_XCOM_KEY = "rate_limit_report"


class SyncRateLimitsOperator(OpenAIAdminBaseOperator):
    """Make projects' per-model rate limits match a declared policy.

    ``rate_limits`` maps a model name or an fnmatch glob to the fields to enforce, e.g.
    ``{"gpt-4o*": {"max_requests_per_1_minute": 500}, "gpt-4o-mini": {"max_tokens_per_1_minute": 10000}}``.
    Fields are those of the API's ``ProjectRateLimitUpdateRequest``; values are integers
    >= 0. When several keys match a model, each field comes from the most specific key
    that sets it: an exact name beats any glob, a glob with more literal characters beats
    one with fewer, and the first declared wins a tie (details in
    :mod:`airflow_provider_openai_projects.ratelimit_policy`).

    Targets: the projects in ``project_ids`` (used as given, not listed), or the active
    projects whose name matches ``project_name_pattern`` (case-sensitive glob), or, with
    neither, every active project including the default one. Giving both is an error.

    What it does, in this order:

    1. validates every input before any request (one error naming the field, e.g.
       ``rate_limits['gpt-4o'].max_requests_per_1_minute``; nothing is sent);
    2. lists active projects once (only without ``project_ids``);
    3. reads each targeted project's limits once; a project that cannot be read (unknown
       id, archived) is reported as failed and the others go on;
    4. computes the whole plan; a policy key that matches no model of any project read
       (an exact name no project has, a glob matching nothing) fails the task before any
       write when ``fail_on_unknown_model`` (default), else it is logged as a warning;
    5. writes only the limits that differ, sending only the differing fields (one update
       per limit). Writes go on while the remaining projects are read (the read and the
       write endpoints have separate budgets, so the job takes about as long as its busier
       endpoint, not the sum of both), but only once every policy key has matched a model
       of a project read (so an unknown key still fails the task before any write), or at
       once with ``fail_on_unknown_model=False``. A field the limit does not carry
       (``max_images_per_1_minute`` on a chat model: the API would answer 400) is never
       sent; it is reported in ``skipped_fields``.
       A write that fails is reported as failed and the others go on.

    Errors that concern every call (401, 403, a 429 the client's retries gave up on, no
    connection to the API) stop the run at once: the sync is idempotent, so the task's
    retry resumes it with only the writes still needed. When anything failed (an
    unreadable project, a failed write), the task fails after logging the whole report
    and pushing it to XCom under ``rate_limit_report``; the error lists the failures. It
    fails without retries when every failure is a 4xx (retrying cannot fix an unknown or
    archived project), and with Airflow's retries when any failure was transient (5xx).

    Worker slots (with ``deferrable=True``): when the paced work left after listing the
    projects (at least one read per targeted project at the connection's
    ``requests_per_minute``) would hold the worker slot longer than
    ``defer_paced_work_after`` seconds, the task defers at once with the remaining plan
    (the validated policy and the targets) to
    :class:`~airflow_provider_openai_projects.triggers.rate_limit_sync.RateLimitSyncTrigger`,
    which does the reads and writes in the triggerer with the same rules, order and calls;
    the task then resumes only to log the outcome, push the report and succeed or fail as
    above. Without pacing configured nothing is paced, so it never defers for this.

    Idempotent: a second run with the same inputs reads the same limits, finds nothing
    different and makes zero writes. ``dry_run=True`` makes zero writes and returns the plan.

    API calls: ``P + T * ceil(M / 100) + W`` where ``P`` is the pages of the project list
    (``ceil(active projects / 100)``; 0 with ``project_ids``), ``T`` the targeted
    projects, ``M`` the models per project (one page for up to 100) and ``W`` the limits
    that differ (0 in a dry run and on a second run). This is the minimum: every targeted
    limit must be read once and every differing one written once.

    Logs one line per change (``project <name> (<id>) <model>: max_requests_per_1_minute
    10000 -> 500``; ``project <id> ...`` when the name is unknown, i.e. with
    ``project_ids``), prefixed ``CHANGE:`` when written and ``DRY RUN: would set`` in a
    dry run, then a summary line with the counts.

    :param rate_limits: the policy: a dict, or a JSON string (from a Variable, a rendered
        template) (templated).
    :param project_ids: ids of the projects to sync: a list, or its JSON rendering
        (templated). Never empty: omit it to target every active project.
    :param project_name_pattern: glob on active projects' names, e.g. ``"team-*"`` (templated).
    :param dry_run: compute and log the plan, write nothing (templated; ``"true"``/``"false"``
        accepted). Held as ``plan_only`` (``dry_run`` is a method of ``BaseOperator``).
    :param fail_on_unknown_model: fail before any write when a key matches no model
        (templated, like ``dry_run``).
    :return: the report, JSON-able::

            {"dry_run": bool,
             "projects": {project_id: {
                 "name": str | None,
                 "changes": [{"model", "rate_limit_id",
                              "fields": {field: {"from": int, "to": int}},
                              "status": "planned" | "updated" | "failed", "error"?: str}],
                 "skipped_fields": {model: [field, ...]},
                 "error"?: str}},
             "counts": {"projects", "limits_checked", "unchanged",
                        "updated" (or "planned" in a dry run), "failed", "failed_projects"},
             "unknown_models": [key, ...]}

        ``changes`` lists only limits that differ; ``failed`` counts failed writes plus
        unreadable projects. Nothing secret is ever in it.
    """

    template_fields: Sequence[str] = (
        *OpenAIAdminBaseOperator.template_fields,
        "rate_limits",
        "project_ids",
        "project_name_pattern",
        "plan_only",
        "fail_on_unknown_model",
    )
    template_fields_renderers = {"rate_limits": "json", "project_ids": "json"}
    ui_color = "#f0e8f4"

    def __init__(
        self,
        *,
        rate_limits: dict[str, dict[str, int]] | str,
        project_ids: list[str] | str | None = None,
        project_name_pattern: str | None = None,
        dry_run: bool | str = False,
        fail_on_unknown_model: bool | str = True,
        defer_paced_work_after: float = 60.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(defer_paced_work_after, bool) or not isinstance(defer_paced_work_after, int | float):
            raise TypeError("defer_paced_work_after must be a number of seconds")
        self.defer_paced_work_after = float(defer_paced_work_after)
        self.rate_limits = rate_limits
        self.project_ids = project_ids
        self.project_name_pattern = project_name_pattern
        # Not ``self.dry_run``: that would shadow BaseOperator.dry_run(), a method.
        self.plan_only = dry_run
        self.fail_on_unknown_model = fail_on_unknown_model

    def run(self, context: Context) -> dict[str, Any]:
        """Check the inputs, find the targets, read and (unless a dry run) write while reading."""
        from airflow_provider_openai_projects.ratelimit_policy import SyncPlan

        policy, project_ids, pattern, dry_run, fail_on_unknown = self._inputs()
        targets = self._targets(project_ids, pattern)
        if self.deferrable and targets:
            paced = len(targets) * self.hook.client.pacer.interval
            if paced > self.defer_paced_work_after:
                self._defer_sync(policy, targets, dry_run=dry_run, fail_on_unknown=fail_on_unknown, paced=paced)

        plan = SyncPlan(policy, dry_run=dry_run)
        writer = None if dry_run else _Writer(self._write_one)
        try:
            self._read(plan, targets, context, writer, wait_for_known=fail_on_unknown)
            self._check_unknown_models(plan, policy, context, fail_on_unknown=fail_on_unknown)
            for model, names in plan.skipped_fields().items():
                self.log.warning(
                    "Model %s has no %s limit: not sent (see skipped_fields in the report).", model, ", ".join(names)
                )
            self._finish_writes(plan, writer, context)
        finally:
            if writer is not None:
                writer.abort()
        if plan.failed:
            self._report_failure(plan, context)
            self._raise_failed(plan)
        self.log.info("%s", plan.summary())
        return plan.report()

    def _inputs(self) -> tuple[RateLimitPolicy, list[str] | None, str | None, bool, bool]:
        """The checked inputs (one error naming the field, before any request)."""
        from airflow_provider_openai_projects.client.errors import InvalidInputError
        from airflow_provider_openai_projects.ratelimit_policy import (
            parse_flag,
            parse_name_pattern,
            parse_policy,
            parse_project_ids,
        )

        policy = parse_policy(self.rate_limits, "rate_limits")
        project_ids = parse_project_ids(self.project_ids, "project_ids")
        pattern = parse_name_pattern(self.project_name_pattern, "project_name_pattern")
        if project_ids is not None and pattern is not None:
            raise InvalidInputError(
                "project_ids/project_name_pattern",
                "give at most one of project_ids or project_name_pattern (neither: every active project)",
            )
        dry_run = parse_flag("dry_run", self.plan_only)
        fail_on_unknown = parse_flag("fail_on_unknown_model", self.fail_on_unknown_model)
        return policy, project_ids, pattern, dry_run, fail_on_unknown

    def _targets(self, project_ids: list[str] | None, pattern: str | None) -> list[tuple[str, str | None]]:
        """``(project id, name or None)``: the ids as given, or the active projects matching."""
        from airflow_provider_openai_projects.ratelimit_policy import select_projects

        if project_ids is not None:
            return [(project_id, None) for project_id in project_ids]
        targets = select_projects(self.hook.list_projects(), pattern)
        if not targets:
            self.log.warning(
                "No active project matches %s; nothing to sync.",
                "(there are none)" if pattern is None else f"project_name_pattern {pattern!r}",
            )
        return targets

    def _check_unknown_models(
        self, plan: SyncPlan, policy: RateLimitPolicy, context: Context, *, fail_on_unknown: bool
    ) -> None:
        """A policy key that matches no model read fails the run before any write (or is ignored)."""
        from airflow_provider_openai_projects.client.errors import InvalidInputError
        from airflow_provider_openai_projects.ratelimit_policy import describe_unknown

        unknown = plan.find_unknown_models()
        if not unknown:
            return
        described = describe_unknown(policy, unknown)
        if not fail_on_unknown:
            self.log.warning("Ignoring policy keys that match no model: %s.", described)
            return
        unread = len(plan.failed_projects)
        note = f" ({unread} targeted projects could not be read)" if unread else ""
        self._report_failure(plan, context)
        raise InvalidInputError(
            f"rate_limits[{unknown[0]!r}]" if len(unknown) == 1 else "rate_limits",
            f"unknown model(s): {described}{note}. Nothing was written; fix the policy or "
            "set fail_on_unknown_model=False to skip them",
        )

    def _finish_writes(self, plan: SyncPlan, writer: _Writer | None, context: Context) -> None:
        """A dry run logs what it would set; otherwise the writer finishes every change."""
        if writer is None:
            for change in plan.changes():
                self.log.info("DRY RUN: would set %s", change.describe())
            return
        if not writer.started:
            writer.start(plan.changes())
        stopped_by = writer.finish()
        if stopped_by is not None:
            self._report_failure(plan, context, stopped_by=stopped_by)
            raise stopped_by

    def _defer_sync(
        self,
        policy: RateLimitPolicy,
        targets: list[tuple[str, str | None]],
        *,
        dry_run: bool,
        fail_on_unknown: bool,
        paced: float,
    ) -> None:
        """Hand the reads and writes to the triggerer (raises ``TaskDeferred``)."""
        from airflow_provider_openai_projects.triggers.rate_limit_sync import RateLimitSyncTrigger

        self.log.info(
            "%d projects to read at the connection's pace: at least %.1f s of paced work, more than "
            "defer_paced_work_after (%.1f s); continuing in the triggerer, not in a worker slot.",
            len(targets),
            paced,
            self.defer_paced_work_after,
        )
        self.defer(
            trigger=RateLimitSyncTrigger(
                rate_limits={rule.key: dict(rule.fields) for rule in policy.rules},
                targets=[[project_id, name] for project_id, name in targets],
                dry_run=dry_run,
                fail_on_unknown_model=fail_on_unknown,
                openai_admin_conn_id=self.openai_admin_conn_id,
            ),
            method_name="resume_sync_from_trigger",
        )

    def resume_sync_from_trigger(self, context: Context, event: dict[str, Any] | None = None) -> dict[str, Any]:
        """The triggerer did the sync: log its lines, push the report, succeed or fail as
        :meth:`run` does (same errors, same retry rules); return the report."""
        from airflow.sdk.exceptions import AirflowFailException

        from airflow_provider_openai_projects.ratelimit_policy import RateLimitSyncError

        if not event or event.get("status") != "done":
            message = (event or {}).get("message") or "the rate-limit sync trigger ended without a result"
            raise AirflowFailException(str(message))
        for level, line in event.get("log") or []:
            getattr(self.log, level if level in ("info", "warning", "error") else "info")("%s", line)
        report: dict[str, Any] = event["report"]

        def report_failure(stopped: str | None = None) -> None:
            if stopped is not None:
                self.log.error("Stopping the sync (the task's retry will resume it): %s", stopped)
            self.log.error("%s", event["summary"])
            context["ti"].xcom_push(key=REPORT_XCOM_KEY, value=report)

        stopped_by = event.get("stopped_by")
        if stopped_by:
            report_failure(stopped_by["message"])
            if stopped_by["kind"] in ("auth", "permission"):
                raise AirflowFailException(stopped_by["message"])
            raise RateLimitSyncError(f"{event['summary']}\n- stopped: {stopped_by['message']}", report)
        if event.get("unknown_message"):
            report_failure()
            raise AirflowFailException(event["unknown_message"])
        if report["counts"]["failed"]:
            report_failure()
            error = RateLimitSyncError(event["failure_message"], report)
            if event.get("retry_may_help"):
                raise error
            raise AirflowFailException(str(error)) from error
        self.log.info("%s", event["summary"])
        return report

    def _read(
        self,
        plan: SyncPlan,
        targets: list[tuple[str, str | None]],
        context: Context,
        writer: _Writer | None,
        *,
        wait_for_known: bool,
    ) -> None:
        """One listing per target; a project that fails is recorded and the others go on.

        Hands each project's changes to ``writer`` as soon as writing may begin: at once
        unless ``wait_for_known``, else when every policy key has matched a model read.
        """
        from airflow_provider_openai_projects.client.errors import OpenAIAdminError
        from airflow_provider_openai_projects.ratelimit_policy import project_label

        models_seen: set[str] = set()
        for project_id, name in targets:
            if writer is not None and writer.stopped_by is not None:
                return  # the writer met an error that stops the run; run() reports it
            try:
                limits = self.hook.list_rate_limits(project_id)
            except OpenAIAdminError as error:
                if _stops_the_run(error):
                    if writer is not None:
                        writer.abort()
                    self._report_failure(plan, context, stopped_by=error)
                    raise
                self.log.error("Cannot read the rate limits of %s: %s", project_label(project_id, name), error)
                plan.add_failed_project(project_id, name, str(error), transient=_is_transient(error))
                continue
            project = plan.add_project(project_id, name, limits)
            if writer is None:
                continue
            if writer.started:
                writer.submit(project.changes)
                continue
            models_seen.update(project.models)
            if not wait_for_known or not plan.policy.unknown_keys(models_seen):
                writer.start(plan.changes())

    def _write_one(self, change: LimitChange) -> None:
        """One update with only the differing fields; a failure that concerns only this
        limit is recorded on it, one that concerns every call is raised."""
        from airflow_provider_openai_projects.client.errors import OpenAIAdminError

        try:
            result = self.hook.update_rate_limit(change.project_id, change.rate_limit_id, **change.updates())
        except OpenAIAdminError as error:
            if _stops_the_run(error):
                raise
            change.status, change.error, change.transient = "failed", str(error), _is_transient(error)
            self.log.error("FAILED to set %s: %s", change.describe(), error)
            return
        change.status = "updated"
        self.log_change("set %s", change.describe())
        self._warn_if_not_applied(change, result)

    def _warn_if_not_applied(self, change: LimitChange, result: Mapping[str, Any]) -> None:
        """The API may cap a value (an organization's own limit); say so instead of
        letting every later run write it again without a word."""
        answered = {name: result.get(name) for name in change.fields if result.get(name) != change.fields[name][1]}
        if answered:
            self.log.warning(
                "The API answered %s for %s %s (asked %s); it may cap these values, so later runs will try again.",
                answered,
                change.project_id,
                change.model,
                change.updates(),
            )

    def _report_failure(self, plan: SyncPlan, context: Context, stopped_by: Exception | None = None) -> None:
        """Log the summary and every failure, and push the report for whoever looks next."""
        if stopped_by is not None:
            self.log.error("Stopping the sync (the task's retry will resume it): %s", stopped_by)
        self.log.error("%s", plan.summary())
        for line in plan.failures():
            self.log.error("FAILED: %s", line)
        context["ti"].xcom_push(key=REPORT_XCOM_KEY, value=plan.report())

    @staticmethod
    def _raise_failed(plan: SyncPlan) -> None:
        from airflow.sdk.exceptions import AirflowFailException

        from airflow_provider_openai_projects.ratelimit_policy import RateLimitSyncError

        error = RateLimitSyncError(plan.failure_message(), plan.report())
        if plan.retry_may_help:
            raise error
        raise AirflowFailException(str(error)) from error


def _stops_the_run(error: Exception) -> bool:
    """Errors that every further call would get too: bad credentials, a throttle the client
    gave up on, no connection. Going on would only fight them."""
    from airflow_provider_openai_projects.client.errors import (
        APIConnectionError,
        AuthenticationError,
        PermissionDeniedError,
        RateLimitError,
    )

    return isinstance(error, AuthenticationError | PermissionDeniedError | RateLimitError | APIConnectionError)


def _is_transient(error: Exception) -> bool:
    """A failure a later attempt may not get (5xx, 409), unlike a 404 or a 400."""
    from airflow_provider_openai_projects.client.errors import ConflictError, ServerError

    return isinstance(error, ServerError | ConflictError)


class _Writer:
    """Writes changes in order on one thread of its own while the reads go on.

    The write endpoint has its own throttle budget, so writing while reading takes the
    time of the busier endpoint instead of the sum. An error that stops the run ends the
    writing; :meth:`finish` returns it for the caller to report and raise.
    """

    def __init__(self, write: Callable[[LimitChange], None]) -> None:
        self._write = write
        self._queue: queue.SimpleQueue[LimitChange | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._aborted = threading.Event()
        self.stopped_by: Exception | None = None

    @property
    def started(self) -> bool:
        return self._thread is not None

    def start(self, changes: Sequence[LimitChange]) -> None:
        """Begin writing ``changes`` (the ones planned so far)."""
        self.submit(changes)
        self._thread = threading.Thread(target=self._run, name="rate-limit-writer", daemon=True)
        self._thread.start()

    def submit(self, changes: Sequence[LimitChange]) -> None:
        for change in changes:
            self._queue.put(change)

    def _run(self) -> None:
        while not self._aborted.is_set():
            change = self._queue.get()
            if change is None:
                return
            try:
                self._write(change)
            except Exception as error:
                self.stopped_by = error
                return

    def finish(self) -> Exception | None:
        """Write what is queued, wait for it, and return the error that stopped it, if any."""
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join()
        return self.stopped_by

    def abort(self) -> None:
        """Stop after the write in progress; idempotent."""
        self._aborted.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join()
