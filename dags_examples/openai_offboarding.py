"""
### Offboard a person from an OpenAI organization

Triggered by hand (or by your HR system through the API) when someone leaves. Idempotent:
a second run finds the person gone and changes nothing.

1. **offboard** finds the person's memberships (one users list per active project), their
   groups and the projects those groups reach, and their directly assigned organization
   roles; makes `successor_owner` owner of the projects they own alone (refusing, before any
   write, when there is none), reports their own API keys (redacted), deletes pending invites
   and removes them from the organization (or, with `remove_from_organization` off, from each
   project and each group, and unassigns their direct roles: afterwards no project is
   reachable). A SCIM-managed group that would keep a project reachable cannot be left
   through the API: the task fails before any write, naming it (remove the person in the
   identity provider, then run again).
2. **report** logs the outcome in plain words, with the projects reached through groups,
   the groups left, the roles unassigned and the projects still reachable (none).

Parameters: `email` or `user_id`; `successor_owner` (email or user id of a member);
`remove_from_organization` (default true); `dry_run` (read and report, change nothing).

Deploying: connection `openai_admin_default` (type *OpenAI Admin API*, password = an organization
**admin key** `sk-admin-...`); pool `openai_admin_api` (`airflow pools set openai_admin_api 2 ...`);
`airflow dags unpause openai_offboarding` before `airflow dags trigger openai_offboarding`. See the README.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, dag, task

from airflow_provider_openai_projects.operators import OffboardUserOperator
from airflow_provider_openai_projects.utils import reporting

POOL = "openai_admin_api"  # every task that calls the Admin API runs in this pool
DEFAULT_ARGS: dict[str, Any] = {
    "owner": "platform",
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=10),
}
OPTIONAL_ID = {"type": ["null", "string"], "pattern": r"^\S+$"}


@dag(
    dag_id="openai_offboarding",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["openai", "offboarding", "access"],
    params={
        "email": Param(None, type=["null", "string"], pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
        "user_id": Param(None, **OPTIONAL_ID),
        "successor_owner": Param(None, **OPTIONAL_ID, description="Takes over the projects the person owns alone."),
        "remove_from_organization": Param(True, type="boolean", description="Off: remove from each project only."),
        "dry_run": Param(False, type="boolean", description="Read and report; change nothing."),
    },
)
def openai_offboarding() -> None:
    @task
    def read_request(params: dict[str, Any]) -> list[dict[str, Any]]:
        """The operator's arguments (``dry_run`` is not templated, so it comes through expand_kwargs)."""
        names = ("email", "user_id", "successor_owner", "remove_from_organization", "dry_run")
        return [{name: params.get(name) if params.get(name) != "" else None for name in names}]

    # [START howto_operator_offboard_user]
    offboard = OffboardUserOperator.partial(task_id="offboard", pool=POOL).expand_kwargs(read_request())
    # [END howto_operator_offboard_user]

    @task
    def report(results: Any) -> dict[str, Any]:
        return reporting.offboarding_report(reporting.mapped_results(results)[0])

    report(offboard.output)


openai_offboarding()
