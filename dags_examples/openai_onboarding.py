"""
### Onboard a person to an OpenAI organization

Triggered with the person's email and the projects they join. Every step is idempotent: a
second run with the same parameters changes nothing; a run that failed half way can be re-run.

1. **read_request** checks what the parameter schemas cannot (no API call).
2. **create_or_reuse_projects** lists the active projects once, reuses or creates each one.
3. **invite** invites the person, unless they are a member already or an invite is pending.
4. **wait_until_member** (deferrable, in the triggerer) waits until they accept (at most 7 days).
5. **add_to_project** (mapped) makes them a member of each project with its role.
6. Optionally **groups_to_join** and **add_to_group** (mapped over `groups`): once they are a member,
   they join each group (and so its projects). A group that does not exist is skipped, with a
   warning naming it, or created first when `create_missing_groups` is true. A SCIM-managed
   group fails (the identity provider owns it).
7. Optionally **create_team_service_account** mints generation `<name>--initial` of a service
   account that `openai_key_rotation` rotates; its key goes to a Variable, never to XCom or a log.
8. Optionally **apply_rate_limits** applies a rate-limit policy to the projects.
9. **report** logs what was created, reused and changed.

Trigger it from the UI's *Trigger* form, or with this conf (`airflow dags trigger openai_onboarding -c '...'`):

```json
{"email": "ada@example.com",
 "projects": [{"name": "team-search", "role": "owner"}, {"name": "team-research", "role": "member"}],
 "service_account": {"project": "team-search", "name": "search-backend"},
 "groups": ["search-team"], "create_missing_groups": true,
 "rate_limits": {"gpt-4o": {"max_requests_per_1_minute": 500}}}
```

Deploying: connection `openai_admin_default` (type *OpenAI Admin API*, password = an organization
**admin key** `sk-admin-...`); pool `openai_admin_api` (`airflow pools set openai_admin_api 2 ...`);
`airflow dags unpause openai_onboarding` before `airflow dags trigger openai_onboarding`. See the README.
A triggerer runs the wait; `[openai_admin_examples] poll_interval_seconds` (default 300) sets its checks.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, TriggerRule, conf, dag, task
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.domain.ratelimit_policy import RATE_LIMIT_FIELDS
from airflow_provider_openai_projects.operators import (
    AddGroupUserOperator,
    AddProjectUserOperator,
    EnsureProjectsOperator,
    InviteUserOperator,
    RotateServiceAccountOperator,
    SyncRateLimitsOperator,
)
from airflow_provider_openai_projects.sensors import OrganizationUserSensor
from airflow_provider_openai_projects.utils import reporting

POOL = "openai_admin_api"  # every task that calls the Admin API runs in this pool
DEFAULT_ARGS: dict[str, Any] = {
    "owner": "platform",
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=10),
}
POLL_SECONDS = conf.getfloat("openai_admin_examples", "poll_interval_seconds", fallback=300.0)
NAME = {"type": "string", "minLength": 1, "maxLength": 128, "pattern": r"^[^\r\n\t]*\S[^\r\n\t]*$"}
LOGICAL_NAME = {**NAME, "pattern": r"^(?!.*--)[^\r\n\t]*\S[^\r\n\t]*(?<!-)$"}  # no "--", not ending with "-"
PROJECT = {"type": "object", "properties": {"name": NAME, "role": {"enum": ["member", "owner"]}}}
LIMITS = {"type": "object", "propertyNames": {"enum": list(RATE_LIMIT_FIELDS)}, "minProperties": 1}


@dag(
    dag_id="openai_onboarding",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=4,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["openai", "onboarding", "access"],
    params={
        "email": Param(type="string", pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", maxLength=320),
        "role": Param("reader", enum=["reader", "owner"], description="Organization role."),
        "projects": Param(
            type="array", minItems=1, items={**PROJECT, "required": ["name", "role"], "additionalProperties": False}
        ),
        "service_account": Param(
            None,
            type=["null", "object"],
            properties={
                "project": NAME,
                "name": LOGICAL_NAME,
                "secret_variable": {"pattern": r"^[A-Za-z0-9_.:/-]{1,240}$"},
            },
            required=["project", "name"],
            additionalProperties=False,
        ),
        "groups": Param(
            None,
            type=["null", "array"],
            items={**NAME, "maxLength": 255},
            uniqueItems=True,
            description="Names of groups to add the person to.",
        ),
        "create_missing_groups": Param(
            False,
            type="boolean",
            description="Create a listed group that does not exist (otherwise it is skipped, with a warning).",
        ),
        "rate_limits": Param(
            None,
            type=["null", "object"],
            minProperties=1,
            additionalProperties={**LIMITS, "additionalProperties": {"type": "integer", "minimum": 0}},
        ),
    },
)
def openai_onboarding() -> None:
    @task
    def read_request(params: dict[str, Any]) -> list[str]:
        """The project names (each once); the service account's project must be one of them."""
        names = [p["name"].strip() for p in params["projects"]]
        if len(set(names)) != len(names):
            raise AirflowFailException(f"projects: each project may be listed once; got {names}")
        account = params.get("service_account")
        if account and account["project"].strip() not in names:
            raise AirflowFailException(f"service_account.project: {account['project']!r} is not one of {names}")
        return names

    @task
    def memberships(projects: Any, params: dict[str, Any]) -> list[dict[str, str]]:
        ids = {p["name"]: p["id"] for p in projects}
        return [{"project_id": ids[p["name"].strip()], "role": p["role"]} for p in params["projects"]]

    @task
    def team_service_account(projects: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
        return reporting.team_service_account(projects, params.get("service_account"))

    @task(pool=POOL)
    def groups_to_join(params: dict[str, Any]) -> list[str]:
        """The groups to join, each once (none when not given, without a call). A group that
        does not exist is created when ``create_missing_groups`` is true, else skipped with a
        warning naming it."""
        wanted = list(dict.fromkeys(name for name in params.get("groups") or []))
        if not wanted:
            return []
        from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook

        return reporting.existing_or_created_groups(
            OpenAIAdminHook(), wanted, create=bool(params.get("create_missing_groups"))
        )

    @task
    def rate_limit_targets(projects: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
        policy = params.get("rate_limits")
        return [{"rate_limits": policy, "project_ids": [p["id"] for p in projects]}] if policy else []

    # [START howto_operator_onboarding]
    request = read_request()
    projects = EnsureProjectsOperator(task_id="create_or_reuse_projects", names=request, pool=POOL)
    invite = InviteUserOperator(
        task_id="invite", email="{{ params.email }}", role="{{ params.role }}", projects=[], pool=POOL
    )
    member = OrganizationUserSensor(
        task_id="wait_until_member",
        email="{{ params.email }}",
        deferrable=True,
        poke_interval=POLL_SECONDS,
        timeout=timedelta(days=7),  # an invite's lifetime
        pool=POOL,
    )
    added = AddProjectUserOperator.partial(
        task_id="add_to_project", email="{{ params.email }}", pool=POOL
    ).expand_kwargs(memberships(projects.output))
    request >> invite >> member >> added
    # [END howto_operator_onboarding]

    # [START howto_operator_add_group_user]
    joined = AddGroupUserOperator.partial(task_id="add_to_group", email="{{ params.email }}", pool=POOL).expand(
        group_name=groups_to_join()
    )
    member >> joined
    # [END howto_operator_add_group_user]

    account = RotateServiceAccountOperator.partial(
        task_id="create_team_service_account", generation="initial", pool=POOL
    ).expand_kwargs(team_service_account(projects.output))
    limits = SyncRateLimitsOperator.partial(task_id="apply_rate_limits", pool=POOL).expand_kwargs(
        rate_limit_targets(projects.output)
    )

    @task(trigger_rule=TriggerRule.NONE_FAILED)
    def report(
        projects: Any, invite: dict[str, Any], members: Any, accounts: Any, limits: Any, groups: Any
    ) -> dict[str, Any]:
        return reporting.onboarding_report(projects, invite, members, accounts, limits, groups=groups)

    report(projects.output, invite.output, added.output, account.output, limits.output, joined.output)


openai_onboarding()
