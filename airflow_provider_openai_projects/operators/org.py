"""The organization as code in Airflow: plan an org file, apply exactly the approved plan.

``OrgPlanOperator`` reads the live organization (reads only), computes the plan of the
org file and returns its summary and readable table to XCom; the plan itself (JSON: names,
emails, ids, limits; never a key) goes to ``plan_uri`` (an ``ObjectStoragePath`` URI such
as ``file:///shared/plans/{{ run_id }}.json`` or ``s3://...``) or, without one, to the XCom
key ``plan``. ``OrgApplyOperator`` applies that saved plan: it re-plans what the plan
touches and refuses, with no write, a plan gone stale or one over the file's
``settings.max_destructive_changes``. Its ``outlets`` (the org file's asset) get an asset
event when it succeeds, so downstream DAGs can be scheduled on applies.

A bad file, a refused plan and a failed apply fail the task at once (retrying cannot fix
them; run the DAG again to plan afresh).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects.operators.base import OpenAIAdminBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_projects.orgfile.changes import Plan
    from airflow_provider_openai_projects.sinks.base import KeySink

PLAN_XCOM_KEY = "plan"


def drift_report(plan: dict[str, Any]) -> list[str]:
    """One line per change of a plan (as JSON), field by field: ``team-search gpt-4o:
    max_requests_per_1_minute 500 -> 9000 (live -> file)``."""
    from airflow_provider_openai_projects.orgfile.changes import Change

    return [Change.from_dict(change).describe() for change in plan["changes"]]


class OrgPlanOperator(OpenAIAdminBaseOperator):
    """Plan an org file against the live organization; never writes.

    :param org_file: path of the org file (YAML) on the worker (templated).
    :param plan_uri: where to write the plan JSON (an ``ObjectStoragePath`` URI, templated);
        ``None`` pushes it to XCom under the key ``plan``.
    :param fail_on_changes: fail the task (after writing the plan) when the live state
        differs from the file: for drift checks.
    :param state_uri: the read cache (an ``ObjectStoragePath`` URI, templated): the plan
        re-reads only what the audit log shows may have changed since the last plan, and
        names who changed each drifted object (``incremental`` in the result; never a key).
    :param full_read: with ``state_uri``, read everything afresh this time.

    Returns ``{"summary": ..., "table": ..., "plan_uri": ..., "in_sync": ...}``: counts, the
    readable table, where the plan is. Never a key (the plan holds none).
    """

    template_fields: Sequence[str] = (*OpenAIAdminBaseOperator.template_fields, "org_file", "plan_uri", "state_uri")
    ui_color = "#e6f0fa"

    def __init__(
        self,
        *,
        org_file: str,
        plan_uri: str | None = None,
        fail_on_changes: bool = False,
        state_uri: str | None = None,
        full_read: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.org_file = org_file
        self.plan_uri = plan_uri
        self.fail_on_changes = fail_on_changes
        self.state_uri = state_uri
        self.full_read = full_read

    def _incremental_plan(self, spec: Any) -> Any:
        """The plan through the read cache at ``state_uri`` (see orgfile.incremental)."""
        from airflow.sdk import ObjectStoragePath

        from airflow_provider_openai_projects.orgfile.incremental.runner import plan_with_state, reads_text

        incremental = plan_with_state(self.hook, spec, ObjectStoragePath(str(self.state_uri)), full=self.full_read)
        self.log.info("Reads of %s:\n%s", self.org_file, reads_text(incremental))
        return incremental

    def run(self, context: Context) -> Any:
        from airflow.sdk.exceptions import AirflowFailException

        from airflow_provider_openai_projects.orgfile.engine import plan
        from airflow_provider_openai_projects.orgfile.errors import OrgFileError
        from airflow_provider_openai_projects.orgfile.loader import load_file
        from airflow_provider_openai_projects.orgfile.render import plan_table

        incremental = None
        try:
            if self.state_uri:
                incremental = self._incremental_plan(load_file(self.org_file))
                result = incremental.plan
            else:
                result = plan(self.hook, load_file(self.org_file))
        except OrgFileError as error:
            raise AirflowFailException(str(error)) from None
        table = plan_table(result)
        self.log.info("Plan of %s:\n%s", self.org_file, table)
        if self.plan_uri:
            from airflow.sdk import ObjectStoragePath

            path = ObjectStoragePath(self.plan_uri)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(result.to_json())
        else:
            context["ti"].xcom_push(key=PLAN_XCOM_KEY, value=result.to_dict())
        drift = incremental.drift_lines() if incremental is not None else drift_report(result.to_dict())
        if self.fail_on_changes and not result.in_sync:
            for line in drift:
                self.log.warning("DRIFT: %s", line)
            raise AirflowFailException(
                f"{self.org_file}: the live organization drifted from the file ({len(result.changes)} changes)"
            )
        returned = {"summary": result.summary(), "table": table, "plan_uri": self.plan_uri, "in_sync": result.in_sync}
        if incremental is not None:
            returned |= {"incremental": {"headline": incremental.headline(), **incremental.to_dict()}, "drift": drift}
        return returned


class OrgApplyOperator(OpenAIAdminBaseOperator):
    """Apply exactly a saved plan (from ``plan_uri`` or the XCom of ``plan_task_id``).

    Refuses, with no write, a stale plan or one with too many destructive changes. Returns
    the summary, the number of writes and one line per change made (no key, ever). Give the
    org file's asset as ``outlets`` to emit an asset event on success; its ``extra`` carries
    the counts.

    :param key_sinks: key sinks by the names the file's ``service_accounts`` give them
        (``sink: vault`` -> ``{"vault": VaultSink(...)}``); ``variable`` (an Airflow Variable)
        and ``aws_secrets_manager`` are built in. A name that resolves to nothing fails the
        task before any write.
    :param state_uri: the plan's read cache (``OrgPlanOperator(state_uri=...)``): the apply
        is recorded there, so drift is attributed from this apply on.
    """

    template_fields: Sequence[str] = (*OpenAIAdminBaseOperator.template_fields, "plan_uri", "state_uri")
    ui_color = "#fbeee6"

    def __init__(
        self,
        *,
        plan_uri: str | None = None,
        plan_task_id: str | None = None,
        key_sinks: Mapping[str, KeySink] | None = None,
        state_uri: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.state_uri = state_uri
        if (plan_uri is None) == (plan_task_id is None):
            raise ValueError("OrgApplyOperator: give exactly one of plan_uri or plan_task_id")
        self.plan_uri = plan_uri
        self.plan_task_id = plan_task_id
        self.key_sinks = dict(key_sinks or {})

    def _saved_plan(self, context: Context) -> Plan:
        from airflow_provider_openai_projects.client.errors import InvalidInputError
        from airflow_provider_openai_projects.orgfile.changes import Plan

        if self.plan_uri:
            from airflow.sdk import ObjectStoragePath

            try:
                data = json.loads(ObjectStoragePath(self.plan_uri).read_text())
            except (OSError, ValueError) as error:  # missing or not a plan: retrying cannot fix it
                raise InvalidInputError("plan_uri", f"cannot read the saved plan {self.plan_uri}: {error}") from None
        else:
            data = context["ti"].xcom_pull(task_ids=self.plan_task_id, key=PLAN_XCOM_KEY)
        if not data:
            raise InvalidInputError(
                "plan_uri/plan_task_id", f"no saved plan found ({self.plan_uri or self.plan_task_id})"
            )
        return Plan.from_dict(data)

    def run(self, context: Context) -> Any:
        from airflow.sdk.exceptions import AirflowFailException

        from airflow_provider_openai_projects.orgfile.engine import apply
        from airflow_provider_openai_projects.orgfile.errors import OrgFileError, PlanRefusedError

        saved = self._saved_plan(context)
        try:
            result = apply(self.hook, saved=saved, key_sinks=self.key_sinks)
        except (PlanRefusedError, OrgFileError) as error:  # stale, too destructive, stopped part-way, unknown sink
            raise AirflowFailException(str(error)) from None
        for change in result.done:
            self.log_change("%s", change.describe())
        if self.state_uri:  # drift is attributed from this apply on (orgfile.incremental)
            from airflow.sdk import ObjectStoragePath

            from airflow_provider_openai_projects.orgfile.incremental.runner import record_apply_at

            record_apply_at(ObjectStoragePath(self.state_uri), self.hook)
        summary = {**result.summary(), "done": [change.describe() for change in result.done]}
        for outlet in self.outlets or []:
            try:
                context["outlet_events"][outlet].extra = {
                    "source": saved.source,
                    "applied": len(result.done),
                    "writes": result.writes,
                }
            except (KeyError, TypeError):  # not an asset
                continue
        return summary
