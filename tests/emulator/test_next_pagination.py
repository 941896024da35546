"""The ``next``-style pagination of the emulator (groups, roles, their assignments,
project groups): ``after`` + ``has_more``/``next``, both orders, the spec's bounds, and a
cursor that stays valid after its object is deleted."""

from __future__ import annotations

import pytest

from airflow_provider_openai_projects.emulator.errors import ApiError
from airflow_provider_openai_projects.emulator.organization_state import EmulatorState


@pytest.fixture
def state() -> EmulatorState:
    state = EmulatorState()
    for n in range(5):
        state.create_group(f"g{n}")
    return state


def _names(page: dict[str, object]) -> list[str]:
    return [g["name"] for g in page["data"]]  # type: ignore[attr-defined,index]


def test_pages_carry_next_until_the_last_one(state: EmulatorState) -> None:
    first = state.list_groups(limit=2)
    assert (_names(first), first["has_more"]) == (["g0", "g1"], True)
    assert first["next"] == first["data"][1]["id"]
    assert set(first) == {"object", "data", "has_more", "next"}
    second = state.list_groups(limit=2, after=first["next"])
    third = state.list_groups(limit=2, after=second["next"])
    assert (_names(second), _names(third)) == (["g2", "g3"], ["g4"])
    assert (third["has_more"], third["next"]) == (False, None)


def test_desc_order_pages_newest_first(state: EmulatorState) -> None:
    first = state.list_groups(limit=3, order="desc")
    assert _names(first) == ["g4", "g3", "g2"]
    assert _names(state.list_groups(limit=3, after=first["next"], order="desc")) == ["g1", "g0"]


def test_a_cursor_survives_the_deletion_of_its_group(state: EmulatorState) -> None:
    first = state.list_groups(limit=2)
    state.delete_group(first["next"])
    assert _names(state.list_groups(limit=10, after=first["next"])) == ["g2", "g3", "g4"]


def test_limit_zero_gives_an_empty_page_and_the_bounds_are_the_spec_s(state: EmulatorState) -> None:
    empty = state.list_groups(limit=0)
    assert (empty["data"], empty["has_more"], empty["next"]) == ([], True, None)
    with pytest.raises(ApiError) as too_many:
        state.list_groups(limit=1001)
    assert (too_many.value.status, too_many.value.param) == (400, "limit")
    project_id = state.default_project_id
    with pytest.raises(ApiError) as too_many_project_groups:
        state.list_project_groups(project_id, limit=101)
    assert too_many_project_groups.value.param == "limit"
    with pytest.raises(ApiError) as bad_order:
        state.list_groups(order="sideways")
    assert bad_order.value.param == "order"
    with pytest.raises(ApiError) as unknown_cursor:
        state.list_groups(after="group_unknown")
    assert unknown_cursor.value.param == "after"


def test_a_failed_write_changes_nothing(state: EmulatorState) -> None:
    before = state.snapshot()
    with pytest.raises(ApiError):
        state.add_project_group(state.default_project_id, "group_unknown", "role_unknown")
    with pytest.raises(ApiError):
        state.create_group("x" * 256)
    assert state.snapshot() == before
