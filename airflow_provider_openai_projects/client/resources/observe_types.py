"""Shapes of the audit-log, usage and costs responses (``TypedDict`` views for type checkers;
the client returns the plain dicts the API sent)."""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

BucketWidth = Literal["1m", "1h", "1d"]


class AuditLogProject(TypedDict):
    id: str
    name: str


class AuditLog(TypedDict):
    """The spec's ``AuditLog``; the event's details are under the key named by ``type``
    (``event["project.created"]``), so they are not typed here."""

    id: str
    type: str
    effective_at: int
    project: NotRequired[AuditLogProject]
    actor: NotRequired[dict[str, Any] | None]


class UsageBucket(TypedDict):
    """The spec's ``UsageTimeBucket``: ``results`` hold the endpoint's result objects
    (``organization.usage.completions.result``, ``organization.costs.result``, ...)."""

    object: Literal["bucket"]
    start_time: int
    end_time: int
    results: list[dict[str, Any]]
