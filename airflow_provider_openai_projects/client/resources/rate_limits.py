"""Per-model rate limits of a project: list and update only (docs/design.md fact 9)."""

from __future__ import annotations

from typing import cast

from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.client.resources._base import EndpointCaller
from airflow_provider_openai_projects.client.types import RATE_LIMIT_FIELDS, RateLimit


class RateLimitsMixin(EndpointCaller):
    def list_rate_limits(self, project_id: str) -> list[RateLimit]:
        """Every per-model rate limit of a project (ids look like ``rl-<model>``)."""
        return cast(list[RateLimit], self._list("list_rate_limits", project_id))

    def update_rate_limit(self, project_id: str, rate_limit_id: str, **fields: int) -> RateLimit:
        """Set the given fields of one rate limit (idempotent); only those fields are sent."""
        unknown = sorted(set(fields) - set(RATE_LIMIT_FIELDS))
        if unknown:
            raise InvalidInputError(unknown[0], f"not a rate-limit field (known: {', '.join(RATE_LIMIT_FIELDS)})")
        if not fields:
            raise InvalidInputError("fields", "give at least one rate-limit field to update")
        return cast(RateLimit, self._call("update_rate_limit", project_id, rate_limit_id, body=dict(fields)))
