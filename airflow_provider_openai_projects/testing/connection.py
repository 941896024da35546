"""The Airflow connection that points the provider's hook at an emulator."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects import CONN_TYPE

if TYPE_CHECKING:
    from airflow_provider_openai_projects.emulator.server import EmulatorServer


def connection_json(emulator: EmulatorServer, **extra: Any) -> str:
    """The JSON form of an ``openai_admin`` connection to ``emulator`` (its base URL and the
    admin key it accepts), with ``extra`` fields such as ``requests_per_minute``; the value
    of an ``AIRFLOW_CONN_<CONN_ID>`` environment variable. Holds the admin key: do not log it."""
    connection: dict[str, Any] = {"conn_type": CONN_TYPE, "host": emulator.base_url, "password": emulator.admin_key}
    if extra:
        connection["extra"] = extra
    return json.dumps(connection)
