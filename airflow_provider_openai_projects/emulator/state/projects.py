"""Projects, their members and their rate limits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_openai_projects.emulator.errors import ApiError, not_found
from airflow_provider_openai_projects.emulator.model_catalog import RATE_LIMIT_FIELDS
from airflow_provider_openai_projects.emulator.pagination import list_body
from airflow_provider_openai_projects.emulator.records import Membership, deleted

from .core import PROJECT_ROLES, RESIDENCIES, StateCore, check_choice, check_name, locked


class ProjectOps(StateCore):
    """Projects, their members and their rate limits."""

    # -- projects --------------------------------------------------------------------------

    @locked
    def list_projects(
        self, limit: int = 20, after: str | None = None, include_archived: bool = False
    ) -> dict[str, Any]:
        """Projects in creation order; archived ones only with ``include_archived``."""
        page = self.projects.page(limit, after, where=None if include_archived else lambda p: not p.archived)
        return list_body([p.render() for p in page.items], page.has_more)

    @locked
    def create_project(
        self, name: str, external_key_id: str | None = None, residency: str | None = None
    ) -> dict[str, Any]:
        """A new active project. Names are not unique: each call makes another project."""
        check_name(name)
        if residency is not None:
            check_choice(residency, RESIDENCIES, "residency")
        return self._new_project(name, external_key_id, residency).render()

    @locked
    def get_project(self, project_id: str) -> dict[str, Any]:
        return self._project(project_id).render()

    @locked
    def update_project(
        self, project_id: str, name: str | None = None, external_key_id: str | None = None
    ) -> dict[str, Any]:
        """Rename and/or set the external key id (``None`` leaves a field unchanged).

        The default project and archived projects cannot be modified (400).
        """
        project = self._project(project_id)
        if project.id == self.default_project_id:
            raise ApiError(400, "The default project cannot be modified.", param="project_id")
        self._ensure_active(project)
        if name is not None:
            check_name(name)
            project.name = name
        if external_key_id is not None:
            project.external_key_id = external_key_id
        return project.render()

    @locked
    def archive_project(self, project_id: str) -> dict[str, Any]:
        """Archive for good (projects cannot be deleted). 400 for the default project and
        for a project that is already archived."""
        project = self._project(project_id)
        if project.id == self.default_project_id:
            raise ApiError(400, "The default project cannot be archived.", param="project_id")
        if project.archived:
            raise ApiError(400, f"Project '{project_id}' is already archived.", param="project_id")
        project.archived_at = self.now()
        return project.render()

    # -- project users ---------------------------------------------------------------------

    @locked
    def list_project_users(self, project_id: str, limit: int = 20, after: str | None = None) -> dict[str, Any]:
        project = self._active_project(project_id)
        page = project.users.page(limit, after)
        return list_body([m.render(self._user(m.user_id)) for m in page.items], page.has_more)

    @locked
    def add_project_user(
        self, project_id: str, role: str, user_id: str | None = None, email: str | None = None
    ) -> dict[str, Any]:
        """Add an organization member (by exactly one of ``user_id``/``email``) to a project."""
        project = self._active_project(project_id)
        if user_id is not None and email is None:
            user, param, wanted = self.users.get(user_id), "user_id", user_id
        elif email is not None and user_id is None:
            user, param, wanted = self._user_by_email(email), "email", email
        else:
            raise ApiError(400, "Provide exactly one of 'user_id' or 'email'.", param="user_id")
        check_choice(role, PROJECT_ROLES, "role")
        if user is None:
            raise ApiError(400, f"User '{wanted}' is not a member of the organization; invite them first.", param=param)
        if user.id in project.users:
            raise ApiError(400, f"User '{user.id}' is already a member of project '{project.id}'.", param=param)
        membership = Membership(user.id, role, self.now())
        project.users.add(user.id, membership)
        return membership.render(user)

    @locked
    def get_project_user(self, project_id: str, user_id: str) -> dict[str, Any]:
        project = self._active_project(project_id)
        return self._membership(project, user_id).render(self._user(user_id))

    @locked
    def update_project_user(self, project_id: str, user_id: str, role: str) -> dict[str, Any]:
        project = self._active_project(project_id)
        check_choice(role, PROJECT_ROLES, "role")
        membership = self._membership(project, user_id)
        membership.role = role
        return membership.render(self._user(user_id))

    @locked
    def remove_project_user(self, project_id: str, user_id: str) -> dict[str, Any]:
        """Remove a member; their keys in the project stay but become ``inactive``."""
        project = self._active_project(project_id)
        self._membership(project, user_id)
        project.users.remove(user_id)
        return deleted("organization.project.user", user_id)

    # -- rate limits -----------------------------------------------------------------------

    @locked
    def list_rate_limits(
        self, project_id: str, limit: int = 100, after: str | None = None, before: str | None = None
    ) -> dict[str, Any]:
        project = self._active_project(project_id)
        page = project.rate_limits.page(limit, after, before)
        return list_body([r.render() for r in page.items], page.has_more)

    @locked
    def update_rate_limit(self, project_id: str, rate_limit_id: str, changes: Mapping[str, object]) -> dict[str, Any]:
        """Set some of the model's limit fields (integers >= 0). A field the spec does not
        know, or one the model does not have (images on a chat model), is a 400."""
        project = self._active_project(project_id)
        rate_limit = project.rate_limits.get(rate_limit_id)
        if rate_limit is None:
            raise not_found("rate limit", rate_limit_id, "rate_limit_id")
        updates: dict[str, int] = {}
        for name, value in changes.items():
            if name not in RATE_LIMIT_FIELDS:
                raise ApiError(400, f"Unrecognized request argument supplied: {name}", param=name)
            if name not in rate_limit.limits:
                raise ApiError(400, f"Model '{rate_limit.model}' has no '{name}' limit.", param=name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ApiError(400, f"Invalid '{name}': must be an integer >= 0.", param=name)
            updates[name] = value
        rate_limit.limits.update(updates)
        return rate_limit.render()
