"""The human approval of an org plan: a permission, bound to one plan (the standard
provider's Human-in-the-loop ``ApprovalOperator``, Airflow 3.1+).

``OrgApprovalOperator`` reads the signed plan of ``plan_task_id`` or ``plan_uri`` (as
``OrgApplyOperator`` does; refused if edited or forged), asks with a Markdown body made
from that plan (:func:`...orgfile.render.approval_markdown`: risky changes first, one
table row per change, the digest), and records what was approved as its return value:
the plan's digest, who approved it and a MAC over both and the run
(:func:`...orgfile.digest.approval_record`). ``OrgApplyOperator`` applies only the plan
with that digest. While it waits, the task keeps the digest it asked about in an XCom
with a MAC (:func:`...orgfile.digest.asked_record`): an answer approves that plan or
nothing, whatever is written to the XCom in between.

- **Who may approve**: ``approvers`` (the HITL ``assigned_users``; by default read from the
  Airflow Variable ``openai_org_approvers``: a JSON list of ``{"id", "name"}`` or of user
  ids) minus the user who triggered the run (``dag_run.triggering_user_name``, which Airflow
  3.2 and 3.3 set for runs triggered from the UI or the REST API). The Airflow api-server
  enforces ``assigned_users`` (403 to anyone else) unless the auth manager lets every user
  approve (``simple_auth_manager_all_admins``); this operator checks the responder again.
- **Four eyes**: a response from the user who triggered the run is refused (the task
  fails: ``self-approval refused``), as is one from a user not assigned.
- **Rejected**: the task fails saying ``rejected by <user>`` (the run shows it failed,
  apply never runs); refusals raise ``AirflowFailException``, so no retry asks again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.providers.standard.operators.hitl import ApprovalOperator, HITLOperator
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects import DEFAULT_CONN_ID

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_projects.orgfile.changes import Plan

APPROVERS_VARIABLE = "openai_org_approvers"
ASKED_XCOM_KEY = "asked_digest"


def parse_approvers(value: Any) -> list[dict[str, str]]:
    """Approvers from a Variable's value: a JSON list of ``{"id", "name"}`` objects or of
    ids (a comma-separated string works too). Ids are Airflow user ids (the simple auth
    manager: the user name)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list):
        raise AirflowFailException(f"Variable {APPROVERS_VARIABLE}: a list of approvers, got {type(value).__name__}")
    approvers = []
    for item in value:
        if isinstance(item, str):
            approvers.append({"id": item, "name": item})
        elif isinstance(item, dict) and isinstance(item.get("id"), str):
            approvers.append({"id": item["id"], "name": str(item.get("name") or item["id"])})
        else:
            raise AirflowFailException(f"Variable {APPROVERS_VARIABLE}: each approver is an id or {{id, name}}")
    return approvers


def triggering_user(context: Context) -> str | None:
    """The user who triggered the run, where Airflow tells (``None`` for scheduled runs)."""
    dag_run = context.get("dag_run")
    name = getattr(dag_run, "triggering_user_name", None)
    return str(name) if name else None


class OrgApprovalOperator(ApprovalOperator):
    """Ask a person to approve exactly the signed plan of ``plan_task_id`` (module docstring).

    :param plan_task_id: the ``OrgPlanOperator`` whose XCom ``plan`` holds the signed plan.
    :param plan_uri: or where that operator saved it (its ``plan_uri``, templated); exactly
        one of the two, as for ``OrgApplyOperator``.
    :param approvers: the assigned approvers (ids or ``{"id", "name"}``); ``None`` reads the
        Variable ``openai_org_approvers`` when the task runs (no Variable: anyone allowed to
        respond, except the user who triggered the run).
    """

    template_fields: Sequence[str] = (*ApprovalOperator.template_fields, "plan_uri")

    def __init__(
        self,
        *,
        plan_task_id: str | None = None,
        plan_uri: str | None = None,
        approvers: Sequence[Any] | None = None,
        openai_admin_conn_id: str = DEFAULT_CONN_ID,
        subject: str = "Apply the plan to the OpenAI organization?",
        **kwargs: Any,
    ) -> None:
        super().__init__(subject=subject, **kwargs)
        if (plan_uri is None) == (plan_task_id is None):
            raise ValueError("OrgApprovalOperator: give exactly one of plan_uri or plan_task_id")
        self.plan_task_id = plan_task_id
        self.plan_uri = plan_uri
        self.approvers = list(approvers) if approvers is not None else None
        self.openai_admin_conn_id = openai_admin_conn_id

    def _key(self) -> bytes:
        from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook
        from airflow_provider_openai_projects.orgfile.digest import key_of

        return key_of(OpenAIAdminHook(openai_admin_conn_id=self.openai_admin_conn_id))

    def _assigned(self, context: Context) -> list[dict[str, str]]:
        if self.approvers is not None:
            approvers = parse_approvers(self.approvers)
        else:
            from airflow.sdk import Variable

            approvers = parse_approvers(Variable.get(APPROVERS_VARIABLE, default=None))
        trigger = triggering_user(context)
        kept = [a for a in approvers if trigger is None or trigger not in (a["id"], a["name"])]
        if approvers and not kept:
            raise AirflowFailException(
                f"no approver left: the only assigned approvers triggered this run ({trigger}); four eyes"
            )
        return kept

    def execute(self, context: Context) -> Any:
        from airflow_provider_openai_projects.client.errors import InvalidInputError
        from airflow_provider_openai_projects.domain.display import printable
        from airflow_provider_openai_projects.operators.org import load_saved_plan
        from airflow_provider_openai_projects.orgfile.digest import PlanFileError, asked_record
        from airflow_provider_openai_projects.orgfile.render import approval_markdown

        key, run_id = self._key(), str(context["run_id"])
        try:  # the same plan, read and checked the same way, as the apply will
            plan = load_saved_plan(context, key, plan_uri=self.plan_uri, plan_task_id=self.plan_task_id)
        except (PlanFileError, InvalidInputError) as error:
            raise AirflowFailException(str(error)) from None
        self.subject = f"Apply the plan of {printable(plan.source_name)} to the OpenAI organization?"
        self.body = approval_markdown(plan)
        self.assigned_users = self._assigned(context) or None  # type: ignore[assignment]
        context["ti"].xcom_push(key=ASKED_XCOM_KEY, value=asked_record(key, run_id, plan.digest))
        return super().execute(context)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> Any:
        from airflow_provider_openai_projects.domain.display import printable
        from airflow_provider_openai_projects.orgfile.digest import PlanFileError, approval_record, asked_digest

        answer = HITLOperator.execute_complete(self, context, event)
        responder = answer.get("responded_by_user") or {}
        who = str(responder.get("name") or responder.get("id") or "unknown")
        ids = {str(responder.get("id") or ""), str(responder.get("name") or "")} - {""}
        key, run_id = self._key(), str(context["run_id"])
        try:  # the plan asked about, as this task recorded it (an edited XCom approves nothing)
            digest = asked_digest(context["ti"].xcom_pull(task_ids=self.task_id, key=ASKED_XCOM_KEY), key, run_id)
        except PlanFileError as error:
            raise AirflowFailException(str(error)) from None
        if answer["chosen_options"] != [self.APPROVE]:
            raise AirflowFailException(f"rejected by {printable(who)}: the plan {digest[:19]} is not applied")
        trigger = triggering_user(context)
        if trigger is not None and trigger in ids:
            raise AirflowFailException(
                f"self-approval refused: {printable(who)} triggered this run and cannot approve it (four eyes); "
                "nothing is applied"
            )
        assigned = self._assigned(context)  # a resumed task is a new operator object: read again
        if assigned and not ids & {str(a["id"]) for a in assigned}:
            raise AirflowFailException(
                f"approval by {printable(who)} refused: not an assigned approver; nothing is applied"
            )
        self.log.info("Approved by %s: plan %s", printable(who), digest)
        return approval_record(key, run_id, digest, who)


def automatic_approval(
    signed_plan: Any,
    run_id: str,
    why: str,
    conn_id: str = DEFAULT_CONN_ID,
    allowed: Callable[[Plan], bool] | None = None,
) -> dict[str, str]:
    """The approval record of a signed plan the deployment lets through without a person; makes
    no request (the key only derives the signing secret).

    :param allowed: which plans may be approved automatically (checked on the signed plan,
        not on anything a run passed in); default: plans with no risky change.
    :raises AirflowFailException: the plan's signature does not hold, or it is not allowed.
    """
    from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook
    from airflow_provider_openai_projects.orgfile.digest import PlanFileError, approval_record, key_of, open_sealed

    key = key_of(OpenAIAdminHook(openai_admin_conn_id=conn_id))
    try:
        plan = open_sealed(signed_plan, key, "the plan", run_id=run_id)
    except PlanFileError as error:  # retrying cannot mend a forged or edited plan
        raise AirflowFailException(str(error)) from None
    if not (allowed(plan) if allowed is not None else not plan.risky_changes()):
        raise AirflowFailException("automatic approval refused: this plan needs a person's approval")
    return approval_record(key, run_id, plan.digest, why)


def approval_policy(variable: str, policies: Sequence[str]) -> str:
    """The deployment's automatic-approval policy: the Airflow Variable ``variable``, one of
    ``policies`` (default ``never``).

    :raises AirflowFailException: any other value, in one line naming the Variable (a setting
        to fix, so the task fails at once instead of retrying)."""
    from airflow.sdk import Variable

    policy = str(Variable.get(variable, default="never")).strip()
    if policy not in policies:
        raise AirflowFailException(f"Variable {variable}: one of {', '.join(policies)}, got {policy!r}")
    return policy


def approval_gates(
    *,
    plan_task_id: str,
    policy_variable: str,
    policies: Sequence[str],
    automatic: str,
    allowed: Callable[[Plan], bool] | None = None,
    response_timeout: timedelta = timedelta(days=2),
) -> list[Any]:
    """The two approval gates of an org-as-code DAG, to be called inside its ``@dag``:

    - ``auto_approve`` (a task): the approval record of the signed plan of ``plan_task_id``
      when the Variable ``policy_variable`` says ``automatic`` and ``allowed`` accepts the
      plan (default: no risky change), both checked when it runs
      (:func:`approval_policy`, :func:`automatic_approval`); refused otherwise;
    - ``approve``: :class:`OrgApprovalOperator` (a person).

    ``OrgApplyOperator(approval_task_ids=["approve", "auto_approve"])`` applies the plan one
    of them approved; the DAG's branch picks which one runs.
    """
    from airflow.sdk import task

    @task(task_id="auto_approve")
    def auto_approve(ti: Any = None, run_id: str | None = None) -> dict[str, str]:
        """The approval record of a plan the deployment lets through (re-checked on the signed plan)."""
        from airflow_provider_openai_projects.operators.org import PLAN_XCOM_KEY

        if approval_policy(policy_variable, policies) != automatic:
            raise AirflowFailException(f"automatic approval refused: the policy ({policy_variable}) is not {automatic}")
        why = f"automatic ({policy_variable}={automatic})"
        signed = ti.xcom_pull(task_ids=plan_task_id, key=PLAN_XCOM_KEY)
        return automatic_approval(signed, str(run_id), why, allowed=allowed)

    return [
        auto_approve(),
        OrgApprovalOperator(task_id="approve", plan_task_id=plan_task_id, response_timeout=response_timeout),
    ]
