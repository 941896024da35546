"""CreateProjectOperator, UpdateProjectOperator, ArchiveProjectOperator against the emulator."""

from __future__ import annotations

from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.client import ServerError
from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.operators import (
    ArchiveProjectOperator,
    CreateProjectOperator,
    EnsureProjectsOperator,
    UpdateProjectOperator,
)

from .conftest import make_context

PROJECTS = "/organization/projects"


def project_names(emulator: EmulatorServer, include_archived: bool = True) -> list[str]:
    return [p.name for p in emulator.state.projects if include_archived or p.archived_at is None]


def test_create_project_creates_once_then_reuses(admin_conn: EmulatorServer, context: Any) -> None:
    op = CreateProjectOperator(task_id="create", name="Team Search")
    first = op.execute(context)
    assert first["name"] == "Team Search"
    assert first["status"] == "active"
    assert context["ti"].xcom["project_id"] == first["id"]

    admin_conn.log.clear()
    second = CreateProjectOperator(task_id="create", name="Team Search").execute(make_context())
    assert second["id"] == first["id"]
    assert admin_conn.log.writes() == []
    assert project_names(admin_conn).count("Team Search") == 1


def test_create_project_with_if_exists_fail_refuses_an_existing_name(admin_conn: EmulatorServer, context: Any) -> None:
    CreateProjectOperator(task_id="create", name="Taken").execute(context)
    admin_conn.log.clear()
    with pytest.raises(AirflowFailException, match="already exists"):
        CreateProjectOperator(task_id="create", name="Taken", if_exists="fail").execute(make_context())
    assert admin_conn.log.writes() == []


def test_create_project_ignores_archived_projects_of_the_same_name(admin_conn: EmulatorServer, context: Any) -> None:
    old = CreateProjectOperator(task_id="create", name="Reborn").execute(context)
    ArchiveProjectOperator(task_id="archive", project_id=old["id"]).execute(make_context())
    new = CreateProjectOperator(task_id="create", name="Reborn").execute(make_context())
    assert new["id"] != old["id"]
    assert project_names(admin_conn).count("Reborn") == 2


def test_create_project_reconciles_a_lost_response_instead_of_duplicating(
    admin_conn: EmulatorServer, context: Any
) -> None:
    admin_conn.faults.add(FaultRule(method="POST", path=PROJECTS, status=500, when="after"))
    project = CreateProjectOperator(task_id="create", name="Lost").execute(context)
    assert project_names(admin_conn).count("Lost") == 1
    assert admin_conn.log.count(method="POST", route="POST /organization/projects") == 1
    assert project["name"] == "Lost"


def test_create_project_retries_a_create_that_failed_before_applying(admin_conn: EmulatorServer, context: Any) -> None:
    admin_conn.faults.add(FaultRule(method="POST", path=PROJECTS, status=503, when="before"))
    CreateProjectOperator(task_id="create", name="Second time lucky").execute(context)
    assert project_names(admin_conn).count("Second time lucky") == 1
    assert admin_conn.log.count(method="POST", route="POST /organization/projects") == 2


def test_create_project_gives_up_after_repeated_ambiguous_failures(admin_conn: EmulatorServer, context: Any) -> None:
    admin_conn.faults.add(FaultRule(method="POST", path=PROJECTS, status=500, when="before", times=10))
    with pytest.raises(ServerError):
        CreateProjectOperator(task_id="create", name="Never").execute(context)
    assert "Never" not in project_names(admin_conn)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 129}, "name"),
        ({"name": "two\nlines"}, "name"),
        ({"name": "ok", "if_exists": "replace"}, "if_exists"),
    ],
)
def test_create_project_rejects_bad_input_before_any_request(
    admin_conn: EmulatorServer, context: Any, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(AirflowFailException, match=f"invalid {field}"):
        CreateProjectOperator(task_id="create", **kwargs).execute(context)
    assert admin_conn.log.entries() == []


def test_update_project_sends_only_what_differs_and_a_second_run_writes_nothing(
    admin_conn: EmulatorServer, context: Any
) -> None:
    project = CreateProjectOperator(task_id="create", name="Old name").execute(context)
    updated = UpdateProjectOperator(task_id="update", project_id=project["id"], name="New name").execute(context)
    assert updated["name"] == "New name"
    assert admin_conn.state.projects.get(project["id"]).name == "New name"
    admin_conn.log.clear()
    UpdateProjectOperator(task_id="update", project_id=project["id"], name="New name").execute(make_context())
    assert admin_conn.log.writes() == []


def test_update_project_needs_a_field(admin_conn: EmulatorServer, context: Any) -> None:
    with pytest.raises(AirflowFailException, match="give at least one field"):
        UpdateProjectOperator(task_id="update", project_id="proj_x").execute(context)
    assert admin_conn.log.entries() == []


def test_update_of_the_default_project_fails_clearly(admin_conn: EmulatorServer, context: Any) -> None:
    default_id = admin_conn.state.default_project_id
    with pytest.raises(AirflowFailException, match="400"):
        UpdateProjectOperator(task_id="update", project_id=default_id, name="Renamed").execute(context)
    assert admin_conn.state.projects.get(default_id).name == "Default project"


def test_archive_project_archives_once_and_succeeds_again_without_a_write(
    admin_conn: EmulatorServer, context: Any
) -> None:
    project = CreateProjectOperator(task_id="create", name="Retired").execute(context)
    archived = ArchiveProjectOperator(task_id="archive", project_id=project["id"]).execute(context)
    assert archived["status"] == "archived"
    assert admin_conn.state.projects.get(project["id"]).archived_at is not None
    admin_conn.log.clear()
    again = ArchiveProjectOperator(task_id="archive", project_id=project["id"]).execute(make_context())
    assert again["status"] == "archived"
    assert admin_conn.log.writes() == []


def test_archive_reconciles_a_lost_response(admin_conn: EmulatorServer, context: Any) -> None:
    project = CreateProjectOperator(task_id="create", name="Flaky archive").execute(context)
    admin_conn.faults.add(FaultRule(method="POST", path=f"{PROJECTS}/{project['id']}/archive", drop=True, when="after"))
    archived = ArchiveProjectOperator(task_id="archive", project_id=project["id"]).execute(make_context())
    assert archived["status"] == "archived"


def test_unknown_project_id_is_a_clear_not_found(admin_conn: EmulatorServer, context: Any) -> None:
    from airflow_provider_openai_projects.client import NotFoundError

    with pytest.raises(AirflowFailException, match="404") as caught:
        ArchiveProjectOperator(task_id="archive", project_id="proj_doesnotexist").execute(context)
    assert isinstance(caught.value.__cause__, NotFoundError)
    assert admin_conn.log.writes() == []


def test_template_fields_cover_every_input() -> None:
    assert set(CreateProjectOperator.template_fields) >= {"name", "external_key_id", "residency"}
    assert set(UpdateProjectOperator.template_fields) >= {"project_id", "name", "external_key_id"}
    assert "project_id" in ArchiveProjectOperator.template_fields


def test_ensure_projects_lists_once_reuses_existing_and_creates_only_the_missing(
    admin_conn: EmulatorServer, context: Any
) -> None:
    existing = CreateProjectOperator(task_id="create", name="Search").execute(context)
    admin_conn.log.clear()
    projects = EnsureProjectsOperator(task_id="ensure", names=["Search", "Ads", "Search", "Billing"]).execute(context)
    assert [(p["name"], p["created"]) for p in projects] == [("Search", False), ("Ads", True), ("Billing", True)]
    assert projects[0]["id"] == existing["id"]
    assert [e.route for e in admin_conn.log.entries()] == [
        "GET /organization/projects",
        "POST /organization/projects",
        "POST /organization/projects",
    ]
    admin_conn.log.clear()
    again = EnsureProjectsOperator(task_id="ensure", names=["Search", "Ads", "Billing"]).execute(make_context())
    assert [p["id"] for p in again] == [p["id"] for p in projects]
    assert admin_conn.log.count() == 1
    assert admin_conn.log.writes() == []


def test_ensure_projects_reconciles_a_lost_create(admin_conn: EmulatorServer, context: Any) -> None:
    admin_conn.faults.add(FaultRule(method="POST", path=PROJECTS, drop=True, when="after"))
    EnsureProjectsOperator(task_id="ensure", names=["One", "Two"]).execute(context)
    assert sorted(n for n in project_names(admin_conn) if n in ("One", "Two")) == ["One", "Two"]


@pytest.mark.parametrize(
    ("names", "field"), [([], "names"), ("Search", "names"), (["ok", ""], r"names\[1\]"), (["x" * 200], r"names\[0\]")]
)
def test_ensure_projects_rejects_bad_names_before_any_request(
    admin_conn: EmulatorServer, context: Any, names: Any, field: str
) -> None:
    with pytest.raises(AirflowFailException, match=f"invalid {field}"):
        EnsureProjectsOperator(task_id="ensure", names=names).execute(context)
    assert admin_conn.log.entries() == []
