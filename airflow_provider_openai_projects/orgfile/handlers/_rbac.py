"""Reads shared by the group, role and project-group handlers (through the run's reader).

Groups and roles are matched by name: the oldest of a name (lists are oldest first). Each
list is read at most once per run; these functions only read.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_projects.orgfile.reader import LiveReader

ORGANIZATION_RESOURCE = "api.organization"
PROJECT_RESOURCE = "api.project"

#: Apply phases of these families, between the projects' creates (10) and invites (20),
#: the adds (40-41), settings (50) and removals (60) of :mod:`..changes`.
PHASE_CREATE_ROLE = 11
PHASE_CREATE_GROUP = 12
PHASE_GROUP_ADD = 42
PHASE_ROLE_UPDATE = 50
PHASE_GROUP_REMOVE = 61
PHASE_DELETE_GROUP = 65
PHASE_DELETE_ROLE = 66


def groups(reader: LiveReader) -> list[dict[str, Any]]:
    """Every group (``id``, ``name``, ``is_scim_managed``), oldest first."""
    return reader.read(
        "groups", ("id", "name", "is_scim_managed", "created_at"), lambda: list(reader.client.list_groups())
    )


def group_named(reader: LiveReader, name: str) -> dict[str, Any] | None:
    return next((g for g in groups(reader) if g.get("name") == name), None)


def roles(reader: LiveReader) -> list[dict[str, Any]]:
    """Every role, predefined and custom, oldest first."""
    return reader.read(
        "roles",
        ("id", "name", "description", "permissions", "resource_type", "predefined_role"),
        lambda: list(reader.client.list_roles()),
    )


def role_named(reader: LiveReader, name: str, resource_type: str | None = None) -> dict[str, Any] | None:
    return next(
        (
            r
            for r in roles(reader)
            if r.get("name") == name and (resource_type is None or r.get("resource_type") == resource_type)
        ),
        None,
    )


def group_users(reader: LiveReader, group_id: str) -> list[dict[str, Any]]:
    return reader.read(
        f"group_users/{group_id}", ("id", "email"), lambda: list(reader.client.list_group_users(group_id))
    )


def group_roles(reader: LiveReader, group_id: str) -> list[dict[str, Any]]:
    return reader.read(
        f"group_roles/{group_id}", ("id", "name"), lambda: list(reader.client.list_group_roles(group_id))
    )


def project_groups(reader: LiveReader, project_id: str) -> list[dict[str, Any]]:
    return reader.read(
        f"project_groups/{project_id}",
        ("group_id", "group_name"),
        lambda: list(reader.client.list_project_groups(project_id)),
    )
