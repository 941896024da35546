"""VariableKeySink through the Task SDK's real Variable API.

Inside a task, ``Variable.get/set/delete`` talk to the supervisor over
``task_runner.SUPERVISOR_COMMS``. Here that channel is replaced by a small in-memory
stand-in that answers the same messages (``GetVariable``, ``PutVariable``,
``DeleteVariable``, ``MaskSecret``) with the same reply types as the supervisor does, the
way Airflow's own ``mock_supervisor_comms`` fixture works; everything above it (the SDK's
Variable API, secrets backends, masking) is Airflow's own code.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from airflow.sdk._shared.secrets_masker import redact
from airflow.sdk.exceptions import AirflowRuntimeError, ErrorType
from airflow.sdk.execution_time import task_runner
from airflow.sdk.execution_time.comms import (
    DeleteVariable,
    ErrorResponse,
    GetVariable,
    MaskSecret,
    OKResponse,
    PutVariable,
    VariableResult,
)

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.operators.rotation import RotateServiceAccountOperator
from airflow_provider_openai_projects.operators.service_accounts import CreateServiceAccountOperator
from airflow_provider_openai_projects.sinks import KeySink, StoredKey, VariableKeySink
from tests.operators.conftest import make_context

VALUE = "sk-svcacct-variable-sink-test-value-0123456789abcdef"
NAME = "openai_team_search_api_key"


class SupervisorStandIn:
    """Answers the Variable messages like the supervisor, from a dict (the metadata DB)."""

    def __init__(self) -> None:
        self.variables: dict[str, str | None] = {}
        self.descriptions: dict[str, str | None] = {}
        self.messages: list[Any] = []
        self.fail_next: type | None = None

    def _fail(self, message: Any) -> None:
        # What the real CommsDecoder raises when the supervisor answers with an error frame
        # (the API server failed or refused the request).
        self.fail_next = None
        raise AirflowRuntimeError(
            ErrorResponse(error=ErrorType.API_SERVER_ERROR, detail={"status_code": 500, "message": "boom"})
        )

    def send(self, message: Any) -> Any:
        self.messages.append(message)
        if self.fail_next is not None and isinstance(message, self.fail_next):
            self._fail(message)
        if isinstance(message, GetVariable):
            if message.key in self.variables:
                return VariableResult(key=message.key, value=self.variables[message.key])
            return ErrorResponse(error=ErrorType.VARIABLE_NOT_FOUND, detail={"key": message.key})
        if isinstance(message, PutVariable):
            self.variables[message.key] = message.value
            self.descriptions[message.key] = message.description
            return None
        if isinstance(message, DeleteVariable):
            self.variables.pop(message.key, None)
            return OKResponse(ok=True)
        if isinstance(message, MaskSecret):
            return None
        raise AssertionError(f"the sink sent an unexpected message: {type(message).__name__}")

    def masked(self) -> list[Any]:
        return [m.value for m in self.messages if isinstance(m, MaskSecret)]


@pytest.fixture
def comms(monkeypatch: pytest.MonkeyPatch) -> SupervisorStandIn:
    stand_in = SupervisorStandIn()
    monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", stand_in, raising=False)
    return stand_in


def test_variable_sink_is_a_key_sink() -> None:
    assert isinstance(VariableKeySink(), KeySink)


def test_store_writes_one_json_variable_with_the_value_and_the_metadata(comms: SupervisorStandIn) -> None:
    metadata = {"project_id": "proj_1", "service_account_id": "svc_acct_1", "generation": "g1"}
    VariableKeySink().store(NAME, VALUE, metadata)
    assert json.loads(comms.variables[NAME] or "") == {**metadata, "api_key": VALUE}
    assert comms.descriptions[NAME] == "OpenAI key stored by airflow-provider-openai-projects"
    # One write, then one read-back that proves it landed.
    assert [type(m).__name__ for m in comms.messages if not isinstance(m, MaskSecret)] == [
        "PutVariable",
        "GetVariable",
    ]


def test_load_returns_what_store_wrote(comms: SupervisorStandIn) -> None:
    sink = VariableKeySink()
    sink.store(NAME, VALUE, {"project_id": "proj_1", "created_at": 1764144000})
    assert sink.load(NAME) == StoredKey(value=VALUE, metadata={"project_id": "proj_1", "created_at": 1764144000})


def test_consumers_read_the_value_with_variable_get(comms: SupervisorStandIn) -> None:
    from airflow.sdk import Variable

    VariableKeySink().store(NAME, VALUE, {"project_id": "proj_1"})
    assert Variable.get(NAME, deserialize_json=True)["api_key"] == VALUE


def test_missing_entry_loads_as_none(comms: SupervisorStandIn) -> None:
    assert VariableKeySink().load("openai_nobody_api_key") is None


@pytest.mark.parametrize("raw", ["not json", json.dumps(["a", "list"]), json.dumps({"no": "key"})])
def test_a_variable_that_is_not_a_stored_key_loads_as_none(comms: SupervisorStandIn, raw: str) -> None:
    comms.variables[NAME] = raw
    assert VariableKeySink().load(NAME) is None


def test_delete_removes_the_variable_and_deleting_a_missing_one_is_fine(comms: SupervisorStandIn) -> None:
    sink = VariableKeySink()
    sink.store(NAME, VALUE, {})
    sink.delete(NAME)
    assert NAME not in comms.variables
    sink.delete(NAME)
    assert sink.load(NAME) is None


def test_store_registers_the_value_with_the_masker_here_and_in_the_supervisor(comms: SupervisorStandIn) -> None:
    VariableKeySink().store(NAME, VALUE, {"project_id": "proj_1"})
    assert VALUE not in redact(f"Authorization: Bearer {VALUE}")
    assert VALUE in comms.masked()


def test_load_registers_the_value_with_the_masker(comms: SupervisorStandIn) -> None:
    other = VALUE.replace("0123", "9876")
    comms.variables[NAME] = json.dumps({"api_key": other, "project_id": "proj_1"})
    stored = VariableKeySink().load(NAME)
    assert stored is not None
    assert other not in redact(f"key={other}")
    assert other in comms.masked()
    assert other not in repr(stored)


def test_a_failed_store_raises(comms: SupervisorStandIn) -> None:
    # Airflow 3.3's Variable.set raises; 3.2's logs the error and returns: the sink reads the
    # Variable back so that both raise, and the caller can delete the account it just made.
    comms.fail_next = PutVariable
    with pytest.raises((AirflowRuntimeError, OSError)) as failure:
        VariableKeySink().store(NAME, VALUE, {"project_id": "proj_1"})
    assert NAME not in comms.variables
    assert VALUE not in str(failure.value)


def test_a_store_that_did_not_land_raises(comms: SupervisorStandIn) -> None:
    comms.variables[NAME] = json.dumps({"api_key": "sk-old-key-older-than-the-new-one-0000", "project_id": "proj_1"})
    original_send = comms.send

    def drop_writes(message: Any) -> Any:
        return None if isinstance(message, PutVariable) else original_send(message)

    comms.send = drop_writes  # type: ignore[method-assign]
    with pytest.raises(OSError, match="not stored") as failure:
        VariableKeySink().store(NAME, VALUE, {"project_id": "proj_1"})
    assert VALUE not in str(failure.value)


def test_a_failed_read_raises_instead_of_looking_like_a_missing_entry(comms: SupervisorStandIn) -> None:
    # A missing entry makes the operators treat a live service account as keyless and delete
    # it; a read that failed must never pass for one.
    VariableKeySink().store(NAME, VALUE, {"project_id": "proj_1"})
    comms.fail_next = GetVariable
    with pytest.raises(AirflowRuntimeError):
        VariableKeySink().load(NAME)
    assert VariableKeySink().load(NAME) is not None


def test_repr_names_no_value() -> None:
    assert repr(VariableKeySink()) == "VariableKeySink()"


# -- the operators with their default sink ------------------------------------------------


@pytest.fixture
def admin_connection(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> EmulatorServer:
    monkeypatch.setenv(
        "AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT",
        json.dumps({"conn_type": "openai_admin", "host": emulator.base_url, "password": emulator.admin_key}),
    )
    return emulator


def test_rotation_with_the_default_sink_keeps_the_key_in_an_airflow_variable(
    comms: SupervisorStandIn, admin_connection: EmulatorServer
) -> None:
    project_id = admin_connection.state.create_project("Team")["id"]

    def rotate() -> dict[str, Any]:
        operator = RotateServiceAccountOperator(
            task_id="rotate", project_id=project_id, service_account_name="team", verify_backoff=0
        )
        result: dict[str, Any] = operator.execute(make_context())
        return result

    result = rotate()
    payload = json.loads(comms.variables["openai_team_api_key"] or "")
    assert payload["service_account_id"] == result["service_account_id"]
    assert payload["generation"] == result["generation"]
    assert "openai_team_api_key_pending" not in comms.variables
    assert payload["api_key"] in comms.masked()
    assert admin_connection.use_key(payload["api_key"]) == 200
    assert payload["api_key"] not in json.dumps(result)

    admin_connection.log.clear()
    assert rotate() == {**result, "resumed": True}
    assert admin_connection.log.writes() == []


def test_create_service_account_with_the_default_sink_writes_the_default_variable(
    comms: SupervisorStandIn, admin_connection: EmulatorServer
) -> None:
    project_id = admin_connection.state.create_project("Team")["id"]
    result = CreateServiceAccountOperator(task_id="create", project_id=project_id, name="CI Bot").execute(
        make_context()
    )
    assert result["secret_variable"] == "openai_ci_bot_api_key"
    assert result["key_sink"] == "VariableKeySink"
    payload = json.loads(comms.variables["openai_ci_bot_api_key"] or "")
    assert payload["service_account_id"] == result["service_account_id"]
    assert admin_connection.use_key(payload["api_key"]) == 200


def test_entries_written_under_the_old_value_field_are_still_read(comms: Any) -> None:
    comms.variables[NAME] = json.dumps({"value": VALUE, "project_id": "proj_1"})
    stored = VariableKeySink().load(NAME)
    assert stored is not None
    assert stored.value == VALUE
    assert stored.metadata == {"project_id": "proj_1"}
