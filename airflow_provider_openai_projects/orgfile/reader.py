"""``LiveReader``: the live state, read lazily, each list at most once, fingerprinted.

Every read is a whole list endpoint (all pages) done at most once per run; what was read
is kept in :attr:`LiveReader.snapshot` and :meth:`LiveReader.fingerprint` hashes it, so
a plan records exactly the live state it was computed from. Reads only: nothing here
writes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from airflow_provider_openai_projects.client.resources import AdminMethods
from airflow_provider_openai_projects.domain.display import printable
from airflow_provider_openai_projects.orgfile.progress import NO_PROGRESS, Progress

#: Fields of each object that the plan depends on (timestamps of reads are left out).
_KEPT: dict[str, tuple[str, ...]] = {
    "projects": ("id", "name", "created_at", "archived_at", "status"),
    "users": ("id", "email", "role"),
    "invites": ("id", "email", "role", "status", "projects"),
    "project_users": ("id", "email", "role"),
    "service_accounts": ("id", "name"),
    "rate_limits": (
        "id",
        "model",
        *(
            "max_requests_per_1_minute",
            "max_tokens_per_1_minute",
            "max_images_per_1_minute",
            "max_audio_megabytes_per_1_minute",
            "max_requests_per_1_day",
            "batch_1_day_max_input_tokens",
        ),
    ),
}


class LiveReader:
    """Cached reads of the organization through ``client`` (a client or the hook)."""

    def __init__(self, client: AdminMethods, progress: Progress = NO_PROGRESS) -> None:
        self.client = client
        self.progress = progress
        self.snapshot: dict[str, Any] = {}
        self.reads = 0
        """List reads made (each may be several pages)."""
        self.expected = 1
        """How many list reads the run expects (for progress: n of N)."""

    def _read(self, key: str, kind: str, fetch: Callable[[], list[Any]]) -> list[dict[str, Any]]:
        return self.read(key, _KEPT[kind], fetch)

    def read(self, key: str, fields: tuple[str, ...], fetch: Callable[[], list[Any]]) -> list[dict[str, Any]]:
        """The items ``fetch`` returns, keeping ``fields`` of each: fetched once per run under
        ``key`` and part of the fingerprint. Handlers of other families read through this
        (a single object is read as a list of one)."""
        if key not in self.snapshot:
            items = fetch()
            self.reads += 1
            self.expected = max(self.expected, self.reads)
            self.progress.step("reading the organization", self.reads, self.expected)
            self.snapshot[key] = [{name: item.get(name) for name in fields if name in item} for item in items]
        return list(self.snapshot[key])

    def projects(self) -> list[dict[str, Any]]:
        """Every project, archived ones included (one list)."""
        return self._read("projects", "projects", lambda: list(self.client.list_projects(include_archived=True)))

    def users(self) -> list[dict[str, Any]]:
        return self._read("users", "users", lambda: list(self.client.list_users()))

    def invites(self) -> list[dict[str, Any]]:
        return self._read("invites", "invites", lambda: list(self.client.list_invites()))

    def project_users(self, project_id: str) -> list[dict[str, Any]]:
        return self._read(
            f"project_users/{project_id}", "project_users", lambda: list(self.client.list_project_users(project_id))
        )

    def rate_limits(self, project_id: str) -> list[dict[str, Any]]:
        return self._read(
            f"rate_limits/{project_id}", "rate_limits", lambda: list(self.client.list_rate_limits(project_id))
        )

    def service_accounts(self, project_id: str) -> list[dict[str, Any]]:
        return self._read(
            f"service_accounts/{project_id}",
            "service_accounts",
            lambda: list(self.client.list_service_accounts(project_id)),
        )

    def user_by_email(self, email: str) -> dict[str, Any] | None:
        wanted = email.lower()
        return next((u for u in self.users() if str(u.get("email") or "").lower() == wanted), None)

    def pending_invite(self, email: str) -> dict[str, Any] | None:
        wanted = email.lower()
        return next(
            (i for i in self.invites() if i.get("status") == "pending" and str(i["email"]).lower() == wanted), None
        )

    def fingerprint(self) -> str:
        """``sha256:<hex>`` of everything read so far (canonical JSON)."""
        text = json.dumps(self.snapshot, sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()

    def read_digests(self) -> dict[str, str]:
        """Each read's key -> the first 16 hex digits of the sha256 of what it returned: a
        later run compares them to say which object moved."""
        return {
            key: hashlib.sha256(json.dumps(items, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:16]
            for key, items in sorted(self.snapshot.items())
        }


def moved_objects(before: dict[str, str], after: dict[str, str], projects: list[dict[str, Any]]) -> list[str]:
    """The reads whose content differs between two runs, named for a person: ``the
    members of project 'team-x' (proj_1)``, ``the organization's invites``."""
    names = {str(p.get("id")): str(p.get("name")) for p in projects}
    moved = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) == after.get(key):
            continue
        kind, _, object_id = key.partition("/")
        label = kind.replace("_", " ")
        if object_id:
            project = names.get(object_id)
            where = f"project '{printable(project)}' ({printable(object_id)})" if project else printable(object_id)
            moved.append(f"the {label} of {where}")
        else:
            moved.append(f"the organization's {printable(label)}")
    return moved
