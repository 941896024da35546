"""Testing your own DAGs against the embedded Admin API emulator, as moto does for AWS.

Installed with the provider, the pytest plugin :mod:`.pytest_plugin` (entry point
``pytest11``) offers three opt-in fixtures: ``openai_admin_emulator_server`` (one emulator
per session on a free loopback port), ``openai_admin_emulator`` (that emulator, reset to
its seed for the test) and ``openai_admin_connection`` (the connection
``openai_admin_default`` pointed at it, through ``AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT``).

The helpers here play the people around the organization: :func:`seed_people` adds
members, :func:`accept_invite` accepts a pending invite, :func:`auto_accept_invites`
accepts invites in a background thread as soon as they are sent (while ``dag.test()``
waits in a sensor); :func:`dashboard_change` makes a change as a person in the dashboard
would, recorded in the audit log with the person's session as actor. Importing this
package imports neither Airflow nor the emulator.
"""

from __future__ import annotations

from .connection import connection_json
from .dashboard import DashboardChangeError, dashboard_change
from .people import accept_invite, auto_accept_invites, pending_invite, seed_people

__all__ = [
    "DashboardChangeError",
    "accept_invite",
    "auto_accept_invites",
    "connection_json",
    "dashboard_change",
    "pending_invite",
    "seed_people",
]
