"""Pure-Python pieces: ids and redaction, the catalog, the state without HTTP."""

from __future__ import annotations

import pytest

from airflow_provider_openai_projects.emulator.errors import ApiError
from airflow_provider_openai_projects.emulator.ids import new_key_value, random_id, redact_key
from airflow_provider_openai_projects.emulator.model_catalog import DEFAULT_MODELS, ModelSpec, synthetic_catalog
from airflow_provider_openai_projects.emulator.organization_state import EmulatorState


def test_ids_have_the_prefix_and_length() -> None:
    assert random_id("proj_").startswith("proj_")
    assert len(random_id("proj_")) == 5 + 24
    assert len(random_id("key_", 16)) == 4 + 16
    assert random_id("user-") != random_id("user-")
    assert new_key_value("sk-proj-").startswith("sk-proj-")


@pytest.mark.parametrize(
    ("value", "redacted"),
    [
        ("sk-proj-abcdefghijklmnopqrstuvwxyz1234", "sk-proj-****1234"),
        ("sk-svcacct-abcdefghijklmnopqrstuvwxyzWXYZ", "sk-svcacct-****WXYZ"),
        ("sk-admin-abcdefghijklmnopq9876", "sk-admin-****9876"),
        ("totally-unknown-format-key-5555", "tot****5555"),
        ("short-key", "****"),
    ],
)
def test_redaction_keeps_only_a_prefix_and_the_last_four(value: str, redacted: str) -> None:
    assert redact_key(value) == redacted


def test_the_default_catalog_has_about_a_dozen_models_with_required_limits() -> None:
    assert 10 <= len(DEFAULT_MODELS) <= 15
    assert len({m.id for m in DEFAULT_MODELS}) == len(DEFAULT_MODELS)
    assert [m.id for m in synthetic_catalog(3)] == ["model-0000", "model-0001", "model-0002"]


def test_a_model_without_the_required_limits_is_refused() -> None:
    with pytest.raises(ValueError, match="missing limits"):
        ModelSpec("m", {"max_requests_per_1_minute": 1})
    with pytest.raises(ValueError, match="unknown limits"):
        ModelSpec("m", {"max_requests_per_1_minute": 1, "max_tokens_per_1_minute": 1, "max_fun": 1})


def test_state_operations_raise_api_errors() -> None:
    state = EmulatorState(models=synthetic_catalog(2))
    with pytest.raises(ApiError) as caught:
        state.create_project(" ")
    assert (caught.value.status, caught.value.param, caught.value.type) == (400, "name", "invalid_request_error")
    assert caught.value.body() == {
        "error": {"message": caught.value.message, "type": "invalid_request_error", "param": "name", "code": None}
    }
    project = state.create_project("p")
    assert [rl["id"] for rl in state.list_rate_limits(project["id"])["data"]] == ["rl-model-0000", "rl-model-0001"]


def test_classify_key() -> None:
    state = EmulatorState(admin_key="sk-admin-state-test-000000000")
    project = state.create_project("p")
    account = state.create_service_account(project["id"], "bot")
    assert state.classify_key("sk-admin-state-test-000000000") == "admin"
    assert state.classify_key(account["api_key"]["value"]) == "service_account"
    assert state.classify_key("sk-nothing") is None


def test_a_failed_operation_changes_nothing() -> None:
    state = EmulatorState()
    before = state.snapshot()
    for attempt in (
        lambda: state.create_invite("a@example.com", "reader", [{"id": state.default_project_id, "role": "x"}]),
        lambda: state.update_rate_limit(state.default_project_id, "rl-gpt-4o", {"max_tokens_per_1_minute": 5, "x": 1}),
        lambda: state.update_service_account(state.default_project_id, "svc_acct_x", name="n"),
    ):
        with pytest.raises(ApiError):
            attempt()
    assert state.snapshot() == before


def test_set_clock_lands_on_the_moment_whatever_the_fraction_of_the_real_second() -> None:
    real = [100.9]
    state = EmulatorState(clock=lambda: real[0])
    state.set_clock(200)
    assert state.now() == 200
    real[0] = 101.2  # past the next real second: the old idiom said 201 here
    assert state.now() == 200
    real[0] = 101.95
    assert state.now() == 201


def test_advance_clock_less_the_now_lands_a_second_late_when_the_real_second_turns() -> None:
    """Why set_clock exists: the truncated now() loses the real second's fraction."""
    real = [100.9]
    state = EmulatorState(clock=lambda: real[0])
    state.advance_clock(200 - state.now())
    real[0] = 101.0
    assert state.now() == 201
