"""``make demo``: the provider working end to end against the embedded Admin API emulator.

Starts the emulator on a free loopback port, points an ``openai_admin`` connection at it
(through ``AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT``, in a throwaway ``AIRFLOW_HOME``) and drives
the hook through a short sequence, printing what happened. Nothing leaves this machine.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile


def main() -> int:
    os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="openai-provider-demo-")
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

    from airflow_provider_openai_projects.emulator.server import EmulatorServer

    with EmulatorServer() as emulator:
        os.environ["AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT"] = json.dumps(
            {"conn_type": "openai_admin", "host": emulator.base_url, "password": emulator.admin_key}
        )
        from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook

        print(f"Admin API emulator listening on {emulator.base_url}\n")
        hook = OpenAIAdminHook()
        ok, message = hook.test_connection()
        print(f"1. test_connection: {message}")
        if not ok:
            return 1

        project = hook.create_project(name="Team Search")
        print(f"2. created project {project['name']!r} ({project['id']})")

        person = emulator.add_org_user("ada@example.com", name="Ada Lovelace")
        member = hook.add_project_user(project["id"], user_id=person["id"], role="member")
        print(f"3. added {member['email']} to the project as {member['role']}")

        account = hook.create_service_account(project["id"], name="search-backend")
        key = account["api_key"]
        assert key is not None
        hook.verify_api_key(key["value"])
        print(
            f"4. created service account {account['name']!r} ({account['id']}) with key {key['id']}; "
            "the key works (GET /v1/models) and its value was masked, not printed"
        )

        limits = {limit["model"]: limit for limit in hook.list_rate_limits(project["id"])}
        before = limits["gpt-4o"]["max_requests_per_1_minute"]
        after = hook.update_rate_limit(project["id"], limits["gpt-4o"]["id"], max_requests_per_1_minute=500)
        print(
            f"5. rate limit gpt-4o: max_requests_per_1_minute {before} -> {after['max_requests_per_1_minute']} "
            f"({len(limits)} models in the project)"
        )

        writes = emulator.log.writes()
        print(f"\nDone: {len(emulator.log.entries())} API calls, {len(writes)} of them writes.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
