"""A person's changes in the dashboard, recorded in the audit log as the real API records them.

:func:`dashboard_change` makes one write of the Admin API as the person ``user_id`` signed in
to the dashboard would (through the control API's ``POST /_emulator/dashboard``): the same
checks and answer as the API, and an audit event whose actor is the person's ``session``
and whose ``project`` is the project the change is scoped to. Use it to make, in a test,
the changes your automation did not make (a rate limit raised by hand, a member promoted).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_openai_projects.emulator.server import EmulatorServer


class DashboardChangeError(RuntimeError):
    """The emulator refused the change; ``status`` and ``body`` are its answer."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"dashboard change refused with HTTP {status}: {body}")
        self.status = status
        self.body = body


def dashboard_change(
    emulator: EmulatorServer, user_id: str, method: str, path: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Apply ``method path`` (``/v1/organization/...``) with ``body`` as the person ``user_id``.

    The person must be an organization owner, or an owner of the route's project. Returns
    the API's answer; raises :class:`DashboardChangeError` if the emulator refuses.
    """
    import requests  # at call time: importing the testing package stays light

    response = requests.post(
        f"{emulator.url}/_emulator/dashboard",
        json={"user_id": user_id, "method": method, "path": path, "body": body},
        headers=emulator.control_headers(),
        timeout=30,
    )
    if response.status_code != 200:
        raise DashboardChangeError(response.status_code, response.json())
    answer: dict[str, Any] = response.json()
    return answer
