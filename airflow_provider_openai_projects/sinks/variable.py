"""The default key sink: an Airflow Variable written through the Task SDK."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from airflow_provider_openai_projects.sinks.base import StoredKey

KEY_FIELD = "api_key"
"""The JSON field of the key: a name Airflow's masker treats as sensitive."""
LEGACY_KEY_FIELD = "value"


class VariableKeySink:
    """Stores each key as one Airflow Variable holding JSON: ``{"api_key": ..., **metadata}``.

    Use a Variable name that contains one of Airflow's sensitive keywords (for example
    ``openai_<account>_api_key``): Airflow then masks the value in its UI and logs as well.
    Works inside a running task (``Variable.set`` goes through the Task Execution API).
    Consumers inside Airflow tasks read it with ``VariableKeySink().load(name).value``: that
    registers the key with Airflow's masker on every Airflow version, so the task's log shows
    ``***`` if the key is ever printed (a plain ``Variable.get(name, deserialize_json=True)``
    is masked only on Airflow 3.3+, through the sensitive field name ``api_key``). Outside
    Airflow, read the JSON field ``api_key``. Entries written by earlier versions under
    ``value`` are still read.
    """

    def store(self, name: str, value: str, metadata: Mapping[str, Any]) -> None:
        from airflow.sdk import Variable
        from airflow.sdk.log import mask_secret

        mask_secret(value)
        payload = json.dumps({**metadata, KEY_FIELD: value})
        Variable.set(name, payload, description="OpenAI key stored by airflow-provider-openai-projects")
        # Airflow 3.2's Variable.set logs a failed write and returns as if it had worked (3.3
        # raises). Reading it back makes a failed store raise on both, so the caller deletes
        # the new service account instead of dropping the only copy of its key.
        if _read_variable(name) != payload:
            raise OSError(f"the key was not stored: Variable {name!r} does not hold it after writing it")

    def load(self, name: str) -> StoredKey | None:
        from airflow.sdk.log import mask_secret

        raw = _read_variable(name)
        if raw is None:
            return None
        try:
            payload = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            return None
        if not isinstance(payload, dict):
            return None
        field = KEY_FIELD if KEY_FIELD in payload else LEGACY_KEY_FIELD
        if not isinstance(payload.get(field), str):
            return None
        value = payload.pop(field)
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


def _read_variable(name: str) -> Any:
    """The Variable's raw value, ``None`` only if it does not exist; a failed read raises.

    ``Variable.get`` cannot be used inside a task for this: its Task Execution API backend
    turns every failure (API server down, refused) into "not found", and a key that looks
    missing makes the operators delete a live service account as keyless. So inside a task
    the supervisor is asked directly, exactly as that backend does, but its errors are kept.
    Outside a task (no supervisor) ``Variable.get`` is used.
    """
    from airflow.sdk.execution_time import task_runner

    comms = getattr(task_runner, "SUPERVISOR_COMMS", None)
    if comms is None:
        from airflow.sdk import Variable

        return Variable.get(name, default=None)

    from airflow.sdk.exceptions import AirflowRuntimeError, ErrorType
    from airflow.sdk.execution_time.comms import ErrorResponse, GetVariable, VariableResult

    reply = comms.send(GetVariable(key=name))  # an error frame raises AirflowRuntimeError
    if isinstance(reply, VariableResult):
        return reply.value
    if isinstance(reply, ErrorResponse):
        if reply.error == ErrorType.VARIABLE_NOT_FOUND:
            return None
        raise AirflowRuntimeError(reply)
    raise RuntimeError(f"unexpected reply {type(reply).__name__} to reading Variable {name!r}")
