"""The default key sink: an Airflow Variable written through the Task SDK."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from airflow_provider_openai_projects.sinks.base import StoredKey

SENSITIVE_HINTS = ("api_key", "apikey", "secret", "token", "password", "private_key", "access_token")


class VariableKeySink:
    """Stores each key as one Airflow Variable holding JSON: ``{"value": ..., **metadata}``.

    Use a Variable name that contains one of Airflow's sensitive keywords (for example
    ``openai_<account>_api_key``): Airflow then masks the value in its UI and logs as well.
    Works inside a running task (``Variable.set`` goes through the Task Execution API).
    Consumers read it with ``Variable.get(name, deserialize_json=True)["value"]``.
    """

    def store(self, name: str, value: str, metadata: Mapping[str, Any]) -> None:
        from airflow.sdk import Variable
        from airflow.sdk.log import mask_secret

        mask_secret(value)
        payload = {**metadata, "value": value}
        Variable.set(name, json.dumps(payload), description="OpenAI key stored by airflow-provider-openai-projects")

    def load(self, name: str) -> StoredKey | None:
        from airflow.sdk import Variable
        from airflow.sdk.log import mask_secret

        raw = Variable.get(name, default=None)
        if raw is None:
            return None
        try:
            payload = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            return None
        if not isinstance(payload, dict) or not isinstance(payload.get("value"), str):
            return None
        value = payload.pop("value")
        mask_secret(value)
        return StoredKey(value=value, metadata=payload)

    def delete(self, name: str) -> None:
        from airflow.sdk import Variable

        try:
            Variable.delete(name)
        except Exception as exc:  # a missing Variable is not an error; anything else is
            if "not found" not in str(exc).lower() and "not_found" not in str(exc).lower():
                raise

    def __repr__(self) -> str:
        return "VariableKeySink()"
