"""
### Offboard a person from an OpenAI organization

Triggered by hand (or by your HR system through the API) when someone leaves. Idempotent:
a second run finds the person gone and changes nothing.

1. **offboard** reads everything first (the person, their pending invites, every active
   project's members, their own API keys), checks it, and only then writes:
   - projects the person owns alone get the **successor owner** as owner first (the run
     refuses, changing nothing, if such a project exists and no successor is given);
   - pending invites for their email are deleted;
   - the person is removed from the organization (which removes them from every project),
     or only from each project with `remove_from_organization` false.
   The API keys the person owned in those projects stop working; they are reported by id
   and redacted value only.
2. **report** logs a readable summary: memberships, ownership handed over, keys that
   stopped working, invites deleted, what was removed (or, in a dry run, what would be).

#### Parameters
- `email` or `user_id` (exactly one): the person.
- `successor_owner`: email or user id of the organization member who takes over the
  projects the person owns alone.
- `remove_from_organization` (default `true`): `false` removes them only from each project.
- `dry_run` (default `false`): read and check everything, change nothing, report the plan.

Example (start with `"dry_run": true` to see what a run would do):
```
airflow dags trigger openai_offboarding -c '{"email": "ada@example.com", "successor_owner": "grace@example.com"}'
```

#### Running it against a real organization
- Connection `openai_admin_default` (type *OpenAI Admin API*): password = an organization
  **admin key** (`sk-admin-...`); host empty for `https://api.openai.com/v1`.
- Pool: `airflow pools set openai_admin_api 2 "OpenAI Admin API: bounds parallel calls"`.
  The offboarding lists the users of every active project (there is no "projects of a
  user" endpoint): with many projects it makes many reads, so keep the pool small and set
  *Requests per minute* in the connection.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, dag, task

from airflow_provider_openai_projects.operators import OffboardUserOperator

POOL = "openai_admin_api"
"""Every task that calls the Admin API runs in this pool (see the DAG's documentation)."""

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "platform",
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=10),
}


@dag(
    dag_id="openai_offboarding",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["openai", "offboarding", "access"],
    params={
        "email": Param(
            None,
            type=["null", "string"],
            pattern=EMAIL_PATTERN,
            title="Email",
            description="The person's email (or give user_id).",
        ),
        "user_id": Param(
            None,
            type=["null", "string"],
            pattern=r"^\S+$",
            title="User id",
            description="The person's user id (or give email).",
        ),
        "successor_owner": Param(
            None,
            type=["null", "string"],
            pattern=r"^\S+$",
            title="Successor owner",
            description="Email or user id of the member who takes over the projects the person owns alone.",
        ),
        "remove_from_organization": Param(
            True,
            type="boolean",
            title="Remove from the organization",
            description="Off: remove the person only from each project.",
        ),
        "dry_run": Param(False, type="boolean", title="Dry run", description="Read and report; change nothing."),
    },
)
def openai_offboarding() -> None:
    @task
    def read_request(params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The operator's arguments from the parameters, as a list of one.

        ``dry_run`` and ``remove_from_organization`` are not templated fields of the
        operator, so they reach it through ``expand_kwargs`` (resolved when the run starts).
        The operator checks them (exactly one of email and user_id, ...) before any request.
        """
        assert params is not None
        return [
            {
                "email": params.get("email") or None,
                "user_id": params.get("user_id") or None,
                "successor_owner": params.get("successor_owner") or None,
                "remove_from_organization": params["remove_from_organization"],
                "dry_run": params["dry_run"],
            }
        ]

    offboard = OffboardUserOperator.partial(task_id="offboard", pool=POOL).expand_kwargs(read_request())

    @task
    def report(results: Any) -> dict[str, Any]:
        """Log the offboarding report in plain words; returns counts (never a key value)."""
        import logging

        log = logging.getLogger("airflow.task")
        result = next(iter(results))
        who = result["email"] or result["user_id"]
        would = "would be " if result["dry_run"] else ""
        lines = [f"Offboarding of {who}{' (DRY RUN: nothing was changed)' if result['dry_run'] else ''}:"]
        if not result["found"]:
            lines.append("  not in the organization and no pending invite: nothing to do")
        for m in result["memberships"]:
            sole = ", its only owner" if m["sole_owner"] else ""
            lines.append(f"  member of {m['project_name']!r} ({m['project_id']}) as {m['role']}{sole}")
        heir = result["successor_owner"]
        for change in result["successor_changes"]:
            verb = "added as owner of" if change["action"] == "added" else "made owner of"
            lines.append(f"  successor {heir['email'] or heir['user_id']} {would}{verb} {change['project_name']!r}")
        stop = "would stop working" if result["dry_run"] else "stopped working"
        for key in result["api_keys"]:
            lines.append(
                f"  API key {key['name']!r} ({key['id']}, {key['redacted_value']}) in {key['project_name']!r} {stop}"
            )
        for invite_id in result["invites_deleted"]:
            lines.append(f"  pending invite {invite_id} {would}deleted")
        names = {m["project_id"]: m["project_name"] for m in result["memberships"]}
        removed_from = ", ".join(repr(names.get(p, p)) for p in result["removed_from_projects"]) or "no project"
        if result["removed_from_organization"]:
            lines.append(f"  {would}removed from the organization, and so from {removed_from}")
        elif result["removed_from_projects"]:
            lines.append(f"  {would}removed from {removed_from} (still a member of the organization)")
        counts = {
            "memberships": len(result["memberships"]),
            "successor_changes": len(result["successor_changes"]),
            "api_keys_stopped": len(result["api_keys"]),
            "invites_deleted": len(result["invites_deleted"]),
            "removed_from_projects": len(result["removed_from_projects"]),
            "removed_from_organization": bool(result["removed_from_organization"]),
        }
        lines.append(f"  counts: {counts}")
        log.info("\n".join(lines))
        return {"user_id": result["user_id"], "email": result["email"], "dry_run": result["dry_run"], **counts}

    report(offboard.output)


openai_offboarding()
