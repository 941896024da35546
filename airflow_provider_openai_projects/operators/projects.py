"""Operators for projects: create (or reuse), update, archive.

Projects can never be deleted, only archived, and their names are not unique in the
API: creating is the most dangerous write of all, so it always looks first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from airflow_provider_openai_projects.client.errors import InvalidInputError, OpenAIAdminError
from airflow_provider_openai_projects.domain.validation import require_choice, require_id, require_name
from airflow_provider_openai_projects.operators.base import OpenAIAdminBaseOperator
from airflow_provider_openai_projects.operators.links import PROJECT_ID_XCOM_KEY, OpenAIProjectLink

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_projects.client.types import Project
    from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook


class CreateProjectOperator(OpenAIAdminBaseOperator):
    """Create a project, or reuse the active project that already has this name.

    Idempotent: the name is looked up among active projects first; with
    ``if_exists="reuse"`` (default) an existing one is returned unchanged (the oldest, if
    several share the name), with ``"fail"`` the task fails. A create whose response is
    lost is reconciled by looking again, never by creating blindly.

    :param name: project name (templated).
    :param external_key_id: optional external key for encryption (templated).
    :param residency: optional data residency region (templated).
    :param if_exists: ``"reuse"`` or ``"fail"``.
    :return: the project (``id``, ``name``, ``status``, ...); ``project_id`` is also pushed
        to XCom for the dashboard link.
    """

    template_fields: Sequence[str] = (*OpenAIAdminBaseOperator.template_fields, "name", "external_key_id", "residency")
    operator_extra_links = (OpenAIProjectLink(),)

    def __init__(
        self,
        *,
        name: str,
        external_key_id: str | None = None,
        residency: str | None = None,
        if_exists: Literal["reuse", "fail"] = "reuse",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.name = name
        self.external_key_id = external_key_id
        self.residency = residency
        self.if_exists = if_exists

    def run(self, context: Context) -> Project:
        name = require_name("name", self.name)
        require_choice("if_exists", self.if_exists, ("reuse", "fail"))
        project = find_active_project(self.hook.list_projects(), name)
        if project is not None:
            if self.if_exists == "fail":
                raise InvalidInputError(
                    "name", f"an active project named {name!r} already exists ({project['id']}) and if_exists='fail'"
                )
            self.log.info("Project %r already exists (%s); reusing it.", name, project["id"])
        else:
            project = create_project_once(
                self.hook, name, external_key_id=self.external_key_id, residency=self.residency
            )
            self.log_change("created project %r (%s)", name, project["id"])
        context["ti"].xcom_push(key=PROJECT_ID_XCOM_KEY, value=project["id"])
        return project


class EnsureProjectsOperator(OpenAIAdminBaseOperator):
    """Create or reuse several projects by name with one look at the project list.

    For a team's set of projects (onboarding): the active projects are listed once,
    existing names are reused (the oldest, if several share a name) and only the missing
    ones are created, each through the same lost-response reconciliation as
    :class:`CreateProjectOperator`. Idempotent: a second run lists once and writes nothing.

    API calls: ``ceil(active projects / 100)`` + one create per missing name (+ a look
    again after an ambiguous failure).

    :param names: project names (templated; duplicates are ignored).
    :return: the projects, in the order of ``names`` (first occurrence), each with an
        extra ``"created": bool``.
    """

    template_fields: Sequence[str] = (*OpenAIAdminBaseOperator.template_fields, "names")

    def __init__(self, *, names: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.names = names

    def run(self, context: Context) -> list[dict[str, Any]]:
        if not isinstance(self.names, list | tuple) or not self.names:
            raise InvalidInputError("names", "must be a non-empty list of project names")
        names = list(dict.fromkeys(require_name(f"names[{i}]", n) for i, n in enumerate(self.names)))
        existing = self.hook.list_projects()
        result: list[dict[str, Any]] = []
        for name in names:
            project = find_active_project(existing, name)
            if project is not None:
                self.log.info("Project %r already exists (%s); reusing it.", name, project["id"])
                result.append({**project, "created": False})
                continue
            project = create_project_once(self.hook, name)
            self.log_change("created project %r (%s)", name, project["id"])
            result.append({**project, "created": True})
        return result


def create_project_once(
    hook: OpenAIAdminHook, name: str, *, external_key_id: str | None = None, residency: str | None = None
) -> Project:
    """Create project ``name``; after a lost response, find it rather than create a duplicate."""
    from airflow_provider_openai_projects.domain.idempotency import create_once

    return create_once(
        lambda: hook.create_project(name=name, external_key_id=external_key_id, residency=residency),
        lambda: find_active_project(hook.list_projects(), name),
        what=f"project {name!r}",
    )


def find_active_project(projects: list[Project], name: str) -> Project | None:
    """The oldest active project named exactly ``name``, or ``None``."""
    matches = [p for p in projects if p.get("name") == name and p.get("status", "active") == "active"]
    return min(matches, key=lambda p: (p["created_at"], p["id"])) if matches else None


class UpdateProjectOperator(OpenAIAdminBaseOperator):
    """Set a project's name and/or external key id.

    Idempotent: the project is read first and only fields that differ are sent; a second
    run makes no write. Archived projects and the default project cannot be updated (the
    API refuses; the error says so).

    :return: the project as it is after the update.
    """

    template_fields: Sequence[str] = (
        *OpenAIAdminBaseOperator.template_fields,
        "project_id",
        "name",
        "external_key_id",
    )
    operator_extra_links = (OpenAIProjectLink(),)

    def __init__(
        self,
        *,
        project_id: str,
        name: str | None = None,
        external_key_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.project_id = project_id
        self.name = name
        self.external_key_id = external_key_id

    def run(self, context: Context) -> Project:
        project_id = require_id("project_id", self.project_id)
        name = require_name("name", self.name) if self.name is not None else None
        if name is None and self.external_key_id is None:
            raise InvalidInputError("name/external_key_id", "give at least one field to update")
        project = self.hook.get_project(project_id)
        changes: dict[str, Any] = {}
        if name is not None and project.get("name") != name:
            changes["name"] = name
        if self.external_key_id is not None and project.get("external_key_id") != self.external_key_id:
            changes["external_key_id"] = self.external_key_id
        if changes:
            project = self.hook.update_project(project_id, **changes)
            self.log_change("updated project %s: %s", project_id, ", ".join(sorted(changes)))
        else:
            self.log.info("Project %s already up to date.", project_id)
        context["ti"].xcom_push(key=PROJECT_ID_XCOM_KEY, value=project_id)
        return project


class ArchiveProjectOperator(OpenAIAdminBaseOperator):
    """Archive a project (irreversible: it can no longer be used or updated).

    Idempotent: archiving an archived project succeeds without a write.

    :return: the archived project.
    """

    template_fields: Sequence[str] = (*OpenAIAdminBaseOperator.template_fields, "project_id")

    def __init__(self, *, project_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.project_id = project_id

    def run(self, context: Context) -> Project:
        project_id = require_id("project_id", self.project_id)
        project = self.hook.get_project(project_id)
        if project.get("status") == "archived":
            self.log.info("Project %s is already archived.", project_id)
            return project
        try:
            project = self.hook.archive_project(project_id)
        except OpenAIAdminError as error:
            if not error.maybe_applied:
                raise
            project = self.hook.get_project(project_id)
            if project.get("status") != "archived":
                raise
        self.log_change("archived project %s (%r)", project_id, project.get("name"))
        return project
