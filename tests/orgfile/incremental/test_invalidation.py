"""The invalidation table: what each event may make stale, and whose events name a project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from airflow_provider_openai_projects.orgfile.incremental.invalidation import (
    EVERYTHING,
    RULES,
    is_followed,
    is_stale,
    stale_reads,
)

SPEC = Path(__file__).resolve().parents[2] / "spec" / "openapi-admin.yaml"
DEFAULT = {"id": "proj_default", "name": "Default project"}
KEY = {"type": "api_key", "api_key": {"id": "key_other", "type": "user"}}
PERSON = {"type": "session", "session": {"user": {"id": "user_ada", "email": "ada@example.com"}}}
CACHED = [
    "projects",
    "users",
    "project_users/proj_a",
    "project_users/proj_b",
    "rate_limits/proj_a",
    "rate_limits/proj_b",
]


def _spec_event_types() -> list[str]:
    spec = yaml.safe_load(SPEC.read_text())
    return list(spec["components"]["schemas"]["AuditLogEventType"]["enum"])


def event(kind: str, actor: dict[str, Any], project: dict[str, str] | None, **details: Any) -> dict[str, Any]:
    return {"id": "audit_log-x", "type": kind, "effective_at": 1, "actor": actor, "project": project, kind: details}


def stale_keys(ev: dict[str, Any]) -> list[str]:
    found = stale_reads(ev, {})
    return [key for key in CACHED if is_stale(key, found)]


def test_every_row_is_an_event_type_of_the_spec_with_a_reason() -> None:
    types = set(_spec_event_types())
    assert set(RULES) <= types
    assert all(rule.reason for rule in RULES.values())


def test_a_read_of_a_family_no_row_names_is_never_reused() -> None:
    assert all(is_followed(key) for key in CACHED)
    assert all(is_followed(f"{family}/x") for rule in RULES.values() for family in rule.whole)
    assert not is_followed("user_roles/user_lee")  # an offboarding's read: no event names it
    assert not is_followed("project_api_keys/proj_a")


def test_an_event_type_without_a_row_makes_everything_stale() -> None:
    unlisted = [t for t in _spec_event_types() if t not in RULES]
    assert unlisted  # the spec has more types than the table: they are not assumed harmless
    for kind in [*unlisted, "something.new"]:
        assert stale_reads(event(kind, PERSON, None), {}) == EVERYTHING


def test_a_persons_event_names_its_project() -> None:
    ev = event("rate_limit.updated", PERSON, {"id": "proj_a", "name": "a"}, id="rl-gpt-4o")
    assert stale_keys(ev) == ["rate_limits/proj_a"]


def test_an_admin_keys_event_on_the_default_project_makes_the_whole_family_stale() -> None:
    ev = event("rate_limit.updated", KEY, DEFAULT, id="rl-gpt-4o")
    assert stale_keys(ev) == ["rate_limits/proj_a", "rate_limits/proj_b"]
    member = event("user.added", KEY, DEFAULT, id="user_bob", data={"role": "member"})
    assert stale_keys(member) == ["users", "project_users/proj_a", "project_users/proj_b"]


def test_an_admin_keys_project_event_is_localized_by_its_target_not_its_project() -> None:
    ev = event("project.updated", KEY, DEFAULT, id="proj_b", changes_requested={})
    assert stale_keys(ev) == ["projects", "project_users/proj_b", "rate_limits/proj_b"]


def test_a_persons_event_on_another_project_than_their_scope_makes_both_stale() -> None:
    ev = event("project.updated", PERSON, {"id": "proj_a", "name": "a"}, id="proj_b", changes_requested={})
    assert stale_keys(ev) == [
        "projects",
        "project_users/proj_a",
        "project_users/proj_b",
        "rate_limits/proj_a",
        "rate_limits/proj_b",
    ]
    granted = event(
        "role.assignment.created",
        PERSON,
        {"id": "proj_a", "name": "a"},
        principal_id="user_bob",
        resource_id="proj_b",
        resource_type="api.project",
    )
    assert "project_users/proj_b" in stale_keys(granted)


def test_an_accepted_invite_makes_stale_the_projects_it_grants() -> None:
    cached = {"invites": [{"id": "invite_1", "projects": [{"id": "proj_b", "role": "member"}]}]}
    found = stale_reads(event("invite.accepted", PERSON, None, id="invite_1"), cached)
    assert [key for key in CACHED if is_stale(key, found)] == ["users", "project_users/proj_b"]


def test_events_of_objects_the_file_does_not_manage_make_nothing_stale() -> None:
    for kind in ("login.succeeded", "api_key.created", "ip_allowlist.updated"):
        assert stale_keys(event(kind, KEY, DEFAULT, id="x")) == []


def test_the_own_key_is_told_from_its_redacted_value_as_the_spec_and_the_emulator_show_it() -> None:
    from airflow_provider_openai_projects.orgfile.incremental.attribution import shows_as

    key = "sk-admin-" + "A" * 40 + "wxyz"
    assert shows_as("sk-admin...xyz", key)
    assert shows_as("sk-admin-****wxyz", key)
    assert not shows_as("sk-admin...abc", key)
    assert not shows_as("****", key)
