"""
### Onboard a person to an OpenAI organization

Triggered by hand (or through the REST API) with the person's email and the projects they
join. Every step is idempotent: running it again with the same parameters changes nothing,
and a run that failed half way can simply be run again.

1. **read_request** checks the parameters together (one clear error, nothing changed).
2. **create_or_reuse_projects**: the active projects are listed once; each project whose
   name exists is reused, the others are created.
3. **invite** invites the person to the organization, unless they are a member already (their
   organization role is then left as it is) or an invite is pending.
4. **wait_until_member** (deferrable) waits in the triggerer, not in a worker slot, until
   they have accepted the invite (at most 7 days, an invite's lifetime).
5. **add_to_project** (mapped) makes them a member of each project with its role, or sets
   the role if it differs.
6. Optionally **create_team_service_account** mints a service account in one of the
   projects, as the first generation (`<name>--initial`) of an account that
   `openai_key_rotation` can rotate. Its key is verified and goes straight to an Airflow
   Variable (never to XCom or a log line); consumers read it with
   `VariableKeySink().load(name).value` in a task (masked in its log), or the
   JSON field `api_key` of the Variable.
7. Optionally **apply_rate_limits** applies a per-model rate-limit policy to the projects.
8. **report** logs what was created, reused and changed.

#### Parameters
- `email` (required): the person's email.
- `role`: organization role, `reader` (default) or `owner`.
- `projects` (required, at least one): `[{"name": "team-search", "role": "owner"}, ...]`,
  projects by name, each with the person's project role (`member` or `owner`).
- `service_account` (optional): `{"project": "team-search", "name": "search-backend",
  "secret_variable": "openai_search_backend_api_key"}`; `project` is one of the projects
  above, `secret_variable` defaults to `openai_<name>_api_key` (a name Airflow masks).
- `rate_limits` (optional): a policy for these projects, model name or glob -> limits,
  e.g. `{"gpt-4o*": {"max_requests_per_1_minute": 500}}`.

Example:
```
airflow dags trigger openai_onboarding -c '{"email": "ada@example.com",
  "projects": [{"name": "team-search", "role": "owner"}, {"name": "team-research", "role": "member"}],
  "service_account": {"project": "team-search", "name": "search-backend"},
  "rate_limits": {"gpt-4o": {"max_requests_per_1_minute": 500}}}'
```

#### Running it against a real organization
- Connection `openai_admin_default` (type *OpenAI Admin API*): password = an organization
  **admin key** (`sk-admin-...`, made by an owner under *Organization settings -> Admin
  keys*), host empty for `https://api.openai.com/v1`. For example
  `AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT='{"conn_type": "openai_admin", "password": "sk-admin-..."}'`.
  Set *Requests per minute* in the connection to pace calls: the Admin API allows only a
  few per minute per endpoint.
- Pool: `airflow pools set openai_admin_api 2 "OpenAI Admin API: bounds parallel calls"`.
  Every task that calls the Admin API runs in it, so that parallel workers do not stampede
  the API's per-endpoint limit.
- A triggerer must run (`airflow triggerer`) for the deferrable wait.
- `[openai_admin_examples] poll_interval_seconds` (default 300) sets how often the wait
  checks; the example tests and `make demo` lower it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, TriggerRule, conf, dag, task

from airflow_provider_openai_projects.operators import (
    AddProjectUserOperator,
    EnsureProjectsOperator,
    InviteUserOperator,
    RotateServiceAccountOperator,
    SyncRateLimitsOperator,
)
from airflow_provider_openai_projects.sensors import OrganizationUserSensor

POOL = "openai_admin_api"
"""Every task that calls the Admin API runs in this pool (see the DAG's documentation)."""

POLL_SECONDS = conf.getfloat("openai_admin_examples", "poll_interval_seconds", fallback=300.0)
INVITE_LIFETIME = timedelta(days=7)

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
NAME_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 128, "pattern": r"^[^\r\n\t]*\S[^\r\n\t]*$"}
RATE_LIMIT_FIELDS = {
    "type": "object",
    "minProperties": 1,
    "propertyNames": {
        "enum": [
            "max_requests_per_1_minute",
            "max_tokens_per_1_minute",
            "max_images_per_1_minute",
            "max_audio_megabytes_per_1_minute",
            "max_requests_per_1_day",
            "batch_1_day_max_input_tokens",
        ]
    },
    "additionalProperties": {"type": "integer", "minimum": 0},
}

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "platform",
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=10),
}


@dag(
    dag_id="openai_onboarding",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["openai", "onboarding", "access"],
    max_active_runs=4,
    params={
        "email": Param(
            type="string",
            pattern=EMAIL_PATTERN,
            maxLength=320,
            title="Email",
            description="The person's email address.",
        ),
        "role": Param(
            "reader",
            enum=["reader", "owner"],
            title="Organization role",
            description="reader (default) or owner.",
        ),
        "projects": Param(
            type="array",
            minItems=1,
            items={
                "type": "object",
                "properties": {"name": NAME_SCHEMA, "role": {"enum": ["member", "owner"]}},
                "required": ["name", "role"],
                "additionalProperties": False,
            },
            title="Projects",
            description='Projects by name, each with a role: [{"name": "team-search", "role": "member"}].',
        ),
        "service_account": Param(
            None,
            type=["null", "object"],
            properties={
                "project": NAME_SCHEMA,
                "name": NAME_SCHEMA,
                "secret_variable": {"type": "string", "pattern": r"^[A-Za-z0-9_.:/-]{1,240}$"},
            },
            required=["project", "name"],
            additionalProperties=False,
            title="Team service account",
            description="Optional: {project (one of the project names), name, secret_variable (optional)}.",
        ),
        "rate_limits": Param(
            None,
            type=["null", "object"],
            minProperties=1,
            additionalProperties=RATE_LIMIT_FIELDS,
            title="Rate limits",
            description='Optional policy for these projects: {"gpt-4o*": {"max_requests_per_1_minute": 500}}.',
        ),
    },
)
def openai_onboarding() -> None:
    @task
    def read_request(params: dict[str, Any] | None = None) -> list[str]:
        """Check the parameters together (the JSON schema checked each one); no API call.

        Returns the project names, which the next task maps over.
        """
        from airflow.sdk.exceptions import AirflowFailException

        assert params is not None
        names = [p["name"].strip() for p in params["projects"]]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise AirflowFailException(f"projects: each project may be listed once; repeated: {repeated}")
        account = params.get("service_account")
        if account:
            from airflow_provider_openai_projects.client.errors import InvalidInputError
            from airflow_provider_openai_projects.key_generations import require_logical_name

            if account["project"].strip() not in names:
                raise AirflowFailException(
                    f"service_account.project: {account['project']!r} is not one of the projects {names}"
                )
            try:
                require_logical_name("service_account.name", account["name"])
            except InvalidInputError as error:
                raise AirflowFailException(str(error)) from None
        return names

    def by_name(projects: Any) -> dict[str, str]:
        return {p["name"]: p["id"] for p in projects}

    @task
    def memberships(projects: Any, params: dict[str, Any] | None = None) -> list[dict[str, str]]:
        """``[{"project_id", "role"}]``, one per requested project (now that ids are known)."""
        assert params is not None
        ids = by_name(projects)
        return [{"project_id": ids[p["name"].strip()], "role": p["role"]} for p in params["projects"]]

    @task
    def team_service_account(projects: Any, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The service account to mint, as a list of one, or an empty list (the step is skipped).

        It is minted as the first generation (``<name>--initial``) of a rotated account, so
        that ``openai_key_rotation`` can take it over. Skipped when the Variable already holds
        a generation of it in that project: it exists, and rotation may have replaced the
        first generation since (minting ``initial`` again would roll the key back).
        """
        import logging

        from airflow_provider_openai_projects.key_generations import default_secret_variable, generation_of
        from airflow_provider_openai_projects.sinks import VariableKeySink

        assert params is not None
        account = params.get("service_account")
        if not account:
            return []
        name = account["name"].strip()
        project_id = by_name(projects)[account["project"].strip()]
        entry = account.get("secret_variable") or default_secret_variable(name)
        stored = VariableKeySink().load(entry)
        if stored is not None and stored.metadata.get("project_id") == project_id:
            held = str(stored.metadata.get("service_account_name", ""))
            if generation_of(held, name) is not None:
                logging.getLogger("airflow.task").info(
                    "Variable %r already holds the key of %r (%s): nothing to mint.", entry, held, project_id
                )
                return []
        return [{"project_id": project_id, "service_account_name": name, "secret_variable": entry}]

    @task
    def rate_limit_targets(projects: Any, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The policy and the projects' ids as a list of one, or an empty list (the step is skipped)."""
        assert params is not None
        policy = params.get("rate_limits")
        return [{"rate_limits": policy, "project_ids": [p["id"] for p in projects]}] if policy else []

    request = read_request()
    projects = EnsureProjectsOperator(task_id="create_or_reuse_projects", names=request, pool=POOL)

    invite = InviteUserOperator(
        task_id="invite",
        email="{{ params.email }}",
        role="{{ params.role }}",
        projects=[],  # none on acceptance (not even the default project): add_to_project adds them
        pool=POOL,
    )
    member = OrganizationUserSensor(
        task_id="wait_until_member",
        email="{{ params.email }}",
        deferrable=True,
        poke_interval=POLL_SECONDS,
        timeout=INVITE_LIFETIME,
        pool=POOL,
    )
    added = AddProjectUserOperator.partial(
        task_id="add_to_project", email="{{ params.email }}", pool=POOL
    ).expand_kwargs(memberships(projects.output))
    request >> invite >> member >> added

    account = RotateServiceAccountOperator.partial(
        task_id="create_team_service_account",
        generation="initial",  # <name>--initial: the first generation, rotated later by openai_key_rotation
        verify=True,
        pool=POOL,
    ).expand_kwargs(team_service_account(projects.output))
    limits = SyncRateLimitsOperator.partial(task_id="apply_rate_limits", pool=POOL).expand_kwargs(
        rate_limit_targets(projects.output)
    )

    @task(trigger_rule=TriggerRule.NONE_FAILED)
    def report(projects: Any, invite: dict[str, Any], members: Any, accounts: Any, limits: Any) -> dict[str, Any]:
        """Log what the run did, in plain words, and return it as a JSON-able summary (no key value)."""
        import logging

        projects, members, accounts, limits = list(projects), list(members), list(accounts), list(limits)
        names = {p["id"]: p["name"] for p in projects}
        email = invite["email"]
        status = {
            "invited": "was invited to the organization and accepted",
            "pending": "had an invite pending already, and accepted it",
            "member": "was already a member of the organization",
        }[invite["status"]]
        lines = [f"Onboarding of {email}: {email} {status}."]
        for m in members:
            change = {"added": "added as", "role_updated": "role set to", None: "already"}[m["changed"]]
            lines.append(f"  project {names[m['project_id']]!r} ({m['project_id']}): {change} {m['role']}")
        for a in accounts:
            verb = "already there" if a["resumed"] else "created"
            lines.append(
                f"  service account {a['service_account_name']!r} {verb} in {names[a['project_id']]!r}; its key "
                f"{a['redacted_value']} (verified) is in Variable {a['secret_variable']!r}"
            )
        for sync in limits:
            counts = sync["counts"]
            lines.append(f"  rate limits: {counts['updated']} set, {counts['unchanged']} already as asked")
        logging.getLogger("airflow.task").info("\n".join(lines))
        return {
            "email": email,
            "invite_status": invite["status"],
            "projects": [{"id": p["id"], "name": p["name"]} for p in projects],
            "memberships": [{k: m[k] for k in ("project_id", "role", "changed")} for m in members],
            "service_accounts": [
                {k: a[k] for k in ("project_id", "service_account_id", "service_account_name", "redacted_value")}
                for a in accounts
            ],
            "rate_limits_updated": sum(s["counts"]["updated"] for s in limits),
        }

    report(projects.output, invite.output, added.output, account.output, limits.output)


openai_onboarding()
