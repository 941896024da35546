"""The organization as code in Airflow: plan an org file, apply exactly the approved plan.

``OrgPlanOperator`` reads the live organization (reads only), computes the plan of the
org file and returns its summary, readable table and digest to XCom; the plan itself
(JSON: names, emails, ids, limits; never a key), signed with a key derived from the
connection's admin key (:mod:`...orgfile.digest`), goes to ``plan_uri`` (an
``ObjectStoragePath`` URI such as ``file:///shared/plans/{{ run_id }}.json`` or
``s3://...``) or, without one, to the XCom key ``plan``. ``OrgApplyOperator`` applies that
saved plan only if its signature holds, its digest is the one the approval recorded
(``approval_task_ids``), and a re-read of everything it read finds the organization
unchanged; it refuses, with no write, anything else and a plan whose risky changes affect
more objects than the file's ``settings.max_destructive_changes``. Its ``outlets`` (the org
file's asset) get an asset event when it succeeds, so downstream DAGs can be scheduled on
applies.

A bad file, a refused plan and a failed apply fail the task at once (retrying cannot fix
them; run the DAG again to plan afresh).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects.operators.base import OpenAIAdminBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_projects.orgfile.changes import Plan
    from airflow_provider_openai_projects.sinks.base import KeySink

PLAN_XCOM_KEY = "plan"
#: The Airflow Variable naming the folder org files are read from (when no ``org_root``).
ORG_ROOT_VARIABLE = "openai_org_root"


def drift_report(plan: dict[str, Any]) -> list[str]:
    """One line per change of a plan (as JSON), field by field: ``team-search gpt-4o:
    max_requests_per_1_minute 500 -> 9000 (live -> file)``."""
    from airflow_provider_openai_projects.orgfile.changes import Change

    return [Change.from_dict(change).describe() for change in plan["changes"]]


def load_saved_plan(context: Context, key: bytes, *, plan_uri: str | None, plan_task_id: str | None) -> Plan:
    """The signed plan ``OrgPlanOperator`` saved, at ``plan_uri`` or in the XCom ``plan`` of
    ``plan_task_id`` (exactly one), opened with ``key``: an XCom plan only for this run (it was
    sealed for it), a ``plan_uri`` plan for no run in particular (its digest is what an
    approval binds). Used by the apply and the approval alike.

    :raises InvalidInputError: no plan there, or ``plan_uri`` unreadable.
    :raises PlanFileError: not a plan, edited, forged, of another run (one line).
    """
    from airflow_provider_openai_projects.client.errors import InvalidInputError
    from airflow_provider_openai_projects.orgfile.digest import open_sealed, parse

    if plan_uri:
        from airflow.sdk import ObjectStoragePath

        try:
            text = ObjectStoragePath(plan_uri).read_text()
        except (OSError, ValueError) as error:  # missing: retrying cannot fix it
            raise InvalidInputError(
                "plan_uri", f"cannot read the saved plan {plan_uri}: {error.__class__.__name__}"
            ) from None
        data = parse(text, "the saved plan")
    else:
        data = context["ti"].xcom_pull(task_ids=plan_task_id, key=PLAN_XCOM_KEY)
    if not data:
        raise InvalidInputError("plan_uri/plan_task_id", f"no saved plan found ({plan_uri or plan_task_id})")
    run_id = None if plan_uri else str(context["run_id"])  # an XCom plan is sealed for its run
    return open_sealed(data, key, "the saved plan", run_id=run_id)


class OrgPlanOperator(OpenAIAdminBaseOperator):
    """Plan an org file against the live organization; never writes.

    :param org_file: path of the org file (YAML) on the worker (templated), absolute or
        relative to the org root; it must lie inside the org root (``..``, other absolute
        paths and symbolic links that lead out are refused, and an error never quotes a
        file's content), so a run parameter cannot make the worker read another file.
    :param org_root: the folder org files are read from (templated). Default: the Airflow
        Variable ``openai_org_root`` if set, else the folder of the DAG file.
    :param plan_uri: where to write the plan JSON (an ``ObjectStoragePath`` URI, templated);
        ``None`` pushes it to XCom under the key ``plan``.
    :param fail_on_changes: fail the task (after writing the plan) when the live state
        differs from the file: for drift checks.
    :param state_uri: the read cache (an ``ObjectStoragePath`` URI, templated): the plan
        re-reads only what the audit log shows may have changed since the last plan, and
        names who changed each drifted object (``incremental`` in the result; never a key).
    :param full_read: with ``state_uri``, read everything afresh this time.

    Returns ``{"summary": ..., "table": ..., "plan_uri": ..., "in_sync": ..., "digest": ...,
    "risky": ...}``: counts, the readable table, where the plan is, its digest and the number of
    risky changes. Never a key (the plan holds none; its signature is an HMAC).
    """

    template_fields: Sequence[str] = (
        *OpenAIAdminBaseOperator.template_fields,
        "org_file",
        "org_root",
        "plan_uri",
        "state_uri",
    )
    ui_color = "#e6f0fa"

    def __init__(
        self,
        *,
        org_file: str,
        plan_uri: str | None = None,
        fail_on_changes: bool = False,
        org_root: str | None = None,
        state_uri: str | None = None,
        full_read: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.org_file = org_file
        self.org_root = org_root
        self.plan_uri = plan_uri
        self.fail_on_changes = fail_on_changes
        self.state_uri = state_uri
        self.full_read = full_read

    def _incremental_plan(self, spec: Any) -> Any:
        """The plan through the read cache at ``state_uri`` (see orgfile.incremental)."""
        from airflow.sdk import ObjectStoragePath

        from airflow_provider_openai_projects.domain.display import printable
        from airflow_provider_openai_projects.orgfile.incremental.runner import plan_with_state, reads_text

        incremental = plan_with_state(self.hook, spec, ObjectStoragePath(str(self.state_uri)), full=self.full_read)
        self.log.info("Reads of %s:\n%s", printable(self.org_file), reads_text(incremental))
        return incremental

    def _org_root(self) -> str:
        """``org_root``, else the Variable :data:`ORG_ROOT_VARIABLE`, else the DAG's folder."""
        from airflow.sdk.exceptions import AirflowFailException

        if self.org_root:
            return str(self.org_root)
        from airflow.sdk import Variable

        configured = Variable.get(ORG_ROOT_VARIABLE, default=None)
        if configured:
            return str(configured)
        fileloc = getattr(self.dag, "fileloc", None) if self.has_dag() else None  # type: ignore[no-untyped-call]
        if not fileloc:
            from airflow_provider_openai_projects.domain.display import printable

            raise AirflowFailException(
                f"{printable(self.org_file)}: org_file: no folder to read org files from "
                f"(give org_root or set the Variable {ORG_ROOT_VARIABLE})"
            )
        return str(Path(fileloc).resolve().parent)

    def run(self, context: Context) -> Any:
        from airflow.sdk.exceptions import AirflowFailException

        from airflow_provider_openai_projects.domain.display import printable
        from airflow_provider_openai_projects.orgfile.digest import key_of, seal
        from airflow_provider_openai_projects.orgfile.engine import plan
        from airflow_provider_openai_projects.orgfile.errors import OrgFileError, PlanRefusedError
        from airflow_provider_openai_projects.orgfile.loader import load_file
        from airflow_provider_openai_projects.orgfile.render import plan_table

        incremental = None
        try:
            spec = load_file(self.org_file, root=self._org_root())
            if self.state_uri:
                incremental = self._incremental_plan(spec)
                result = incremental.plan
            else:
                result = plan(self.hook, spec)
        except (OrgFileError, PlanRefusedError) as error:
            raise AirflowFailException(str(error)) from None
        table = plan_table(result)
        self.log.info("Plan of %s:\n%s", printable(result.source_name), table)
        sealed = seal(result, key_of(self.hook), run_id=None if self.plan_uri else str(context["run_id"]))
        if self.plan_uri:
            from airflow.sdk import ObjectStoragePath

            path = ObjectStoragePath(self.plan_uri)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(sealed, indent=2))
        else:
            context["ti"].xcom_push(key=PLAN_XCOM_KEY, value=sealed)
        drift = incremental.drift_lines() if incremental is not None else drift_report(result.to_dict())
        if self.fail_on_changes and not result.in_sync:
            for line in drift:
                self.log.warning("DRIFT: %s", line)
            raise AirflowFailException(
                f"{printable(result.source_name)}: the live organization drifted from the file "
                f"({len(result.changes)} changes)"
            )
        returned = {
            "summary": result.summary(),
            "table": table,
            "plan_uri": self.plan_uri,
            "in_sync": result.in_sync,
            "digest": result.digest,
            "risky": len(result.risky_changes()),
        }
        if incremental is not None:
            returned |= {"incremental": {"headline": incremental.headline(), **incremental.to_dict()}, "drift": drift}
        return returned


class OrgApplyOperator(OpenAIAdminBaseOperator):
    """Apply exactly a saved plan (from ``plan_uri`` or the XCom of ``plan_task_id``).

    Refuses, with no write: a plan whose signature does not hold (edited, forged, made with
    another key), one whose digest is not the approved one (``approval_task_ids``: the tasks
    whose return value is an approval record, see :func:`...orgfile.digest.approval_record`;
    exactly the ones that ran must agree), a stale plan (the organization moved since it
    was read; the error names what moved) or one over the risk cap. Returns
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
        approval_task_ids: Sequence[str] | None = None,
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
        self.approval_task_ids = list(approval_task_ids or [])

    def _saved_plan(self, context: Context, key: bytes) -> Plan:
        return load_saved_plan(context, key, plan_uri=self.plan_uri, plan_task_id=self.plan_task_id)

    def _approved_digest(self, context: Context, key: bytes) -> str | None:
        """The digest the approval tasks recorded (``None`` when none is required)."""
        from airflow_provider_openai_projects.orgfile.digest import PlanFileError, approved_digest

        if not self.approval_task_ids:
            return None
        run_id = str(context["run_id"])
        records = [context["ti"].xcom_pull(task_ids=task_id) for task_id in self.approval_task_ids]
        digests = {approved_digest(record, key, run_id) for record in records if record}
        if len(digests) != 1:
            raise PlanFileError(
                f"{'no approval' if not digests else 'approvals of different plans'} recorded by "
                f"{', '.join(self.approval_task_ids)}; nothing was written"
            )
        return digests.pop()

    def run(self, context: Context) -> Any:
        from airflow.sdk.exceptions import AirflowFailException

        from airflow_provider_openai_projects.orgfile.digest import key_of
        from airflow_provider_openai_projects.orgfile.engine import apply
        from airflow_provider_openai_projects.orgfile.errors import OrgFileError, PlanRefusedError

        try:
            key = key_of(self.hook)
            saved = self._saved_plan(context, key)
            approved = self._approved_digest(context, key)
            result = apply(self.hook, saved=saved, approved_digest=approved, key_sinks=self.key_sinks)
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
                    "source": saved.source_name,
                    "applied": len(result.done),
                    "writes": result.writes,
                }
            except (KeyError, TypeError):  # not an asset
                continue
        return summary
