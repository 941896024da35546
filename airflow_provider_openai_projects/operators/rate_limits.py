"""Declarative per-model rate limits across projects: read once, diff, write only the difference.

The Admin API is throttled to a handful of requests per minute per endpoint, so the sync
is built around its call count: one read per project, one write per limit that differs,
nothing else. The policy, the matching and the plan live in the pure module
:mod:`airflow_provider_openai_projects.domain.ratelimit_policy`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects.operators.base import OpenAIAdminBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_projects.domain.ratelimit_policy import LimitChange, RateLimitPolicy, SyncPlan

REPORT_XCOM_KEY = "rate_limit_report"


class SyncRateLimitsOperator(OpenAIAdminBaseOperator):
    """Make projects' per-model rate limits match a declared policy.

    ``rate_limits`` maps a model name or an fnmatch glob to the fields to enforce, e.g.
    ``{"gpt-4o*": {"max_requests_per_1_minute": 500}, "gpt-4o-mini": {"max_tokens_per_1_minute": 10000}}``.
    Fields are those of the API's ``ProjectRateLimitUpdateRequest``; values are integers
    >= 0. When several keys match a model, each field comes from the most specific key
    that sets it: an exact name beats any glob, a glob with more literal characters beats
    one with fewer, and the first declared wins a tie (details in
    :mod:`airflow_provider_openai_projects.domain.ratelimit_policy`).

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
        """Check the inputs, find the targets, read and (unless a dry run) write while reading:
        the steps and their order are :class:`~..ratelimit_sync.SyncSteps`'s."""
        from airflow_provider_openai_projects.domain.ratelimit_policy import SyncPlan
        from airflow_provider_openai_projects.domain.ratelimit_sync import SyncSteps, ThreadWriter

        policy, project_ids, pattern, dry_run, fail_on_unknown = self._inputs()
        targets = self._targets(project_ids, pattern)
        if self.deferrable and targets:
            paced = len(targets) * self.hook.client.pacer.interval
            if paced > self.defer_paced_work_after:
                self._defer_sync(policy, targets, dry_run=dry_run, fail_on_unknown=fail_on_unknown, paced=paced)

        plan = SyncPlan(policy, dry_run=dry_run)
        steps = SyncSteps(plan, fail_on_unknown=fail_on_unknown, note=self._note)
        writer = None if dry_run else ThreadWriter(lambda change: steps.write(change, self._update))
        try:
            stopped_by = steps.run(targets, self.hook.list_rate_limits, writer)
            if stopped_by is not None:
                self._report_failure(plan, context, stopped_by=stopped_by)
                raise stopped_by
            unknown = steps.conclude()
            if unknown is not None:
                self._report_failure(plan, context)
                raise unknown
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
        from airflow_provider_openai_projects.domain.ratelimit_policy import (
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
        from airflow_provider_openai_projects.domain.ratelimit_policy import select_projects

        if project_ids is not None:
            return [(project_id, None) for project_id in project_ids]
        targets = select_projects(self.hook.list_projects(), pattern)
        if not targets:
            self.log.warning(
                "No active project matches %s; nothing to sync.",
                "(there are none)" if pattern is None else f"project_name_pattern {pattern!r}",
            )
        return targets

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

        from airflow_provider_openai_projects.domain.ratelimit_policy import RateLimitSyncError

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

    def _note(self, level: str, line: str) -> None:
        """A line of the sync's steps into the task log (``change``: a change made)."""
        if level == "change":
            self.log_change("%s", line)
        else:
            getattr(self.log, level)("%s", line)

    def _update(self, change: LimitChange) -> Mapping[str, Any]:
        """One update with only the differing fields."""
        return self.hook.update_rate_limit(change.project_id, change.rate_limit_id, **change.updates())

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

        from airflow_provider_openai_projects.domain.ratelimit_policy import RateLimitSyncError

        error = RateLimitSyncError(plan.failure_message(), plan.report())
        if plan.retry_may_help:
            raise error
        raise AirflowFailException(str(error)) from error
