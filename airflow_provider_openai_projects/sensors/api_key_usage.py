"""``ApiKeyUsageSensor``: wait until a project API key has been used (after a point in time)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.domain.validation import require_id
from airflow_provider_openai_projects.sensors.base import OpenAIAdminBaseSensor

if TYPE_CHECKING:
    from airflow_provider_openai_projects.client.errors import OpenAIAdminError
    from airflow_provider_openai_projects.triggers.api_key_usage import ApiKeyUsageTrigger


def parse_used_after(value: object) -> float | None:
    """``used_after`` as unix seconds (``None`` stays ``None``).

    Accepts a ``datetime`` (naive means UTC), a unix timestamp (int or float, or a string
    of one, as a template renders it) or an ISO 8601 string (``2026-11-26T08:00:00Z``,
    ``2026-11-26 08:00:00+02:00``, ``2026-11-26``; without an offset, UTC).

    :raises InvalidInputError: for anything else, naming ``used_after``.
    """

    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return moment.timestamp()
    if isinstance(value, bool):
        raise InvalidInputError("used_after", f"must be a datetime, an ISO 8601 string or unix seconds, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            seconds = float(text)
        except ValueError:
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                raise InvalidInputError(
                    "used_after", f"must be a datetime, an ISO 8601 string or unix seconds, got {value!r}"
                ) from None
            return (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).timestamp()
    else:
        raise InvalidInputError("used_after", f"must be a datetime, an ISO 8601 string or unix seconds, got {value!r}")
    if not math.isfinite(seconds) or seconds < 0:
        raise InvalidInputError("used_after", f"must be non-negative unix seconds, got {value!r}")
    return seconds


class ApiKeyUsageSensor(OpenAIAdminBaseSensor):
    """Wait until a project API key has been used, and after ``used_after`` if given.

    Key rotation needs it: proof that consumers switched to the new key before the old
    generation is deleted. Each check is one request,
    ``GET /organization/projects/{project_id}/api_keys/{api_key_id}``; the key's
    ``last_used_at`` (whole unix seconds) must be set and strictly later than
    ``used_after``. A key that no longer exists (404) fails the task at once: it will never
    be used. Read-only, so trivially idempotent.

    :param project_id: the key's project (templated).
    :param api_key_id: the key's id, ``key_...`` (templated).
    :param used_after: only a use after this counts (templated): a ``datetime``, an ISO
        8601 string (``"{{ data_interval_end }}"``) or unix seconds; ``None`` accepts any
        use ever.
    :param openai_admin_conn_id: the ``openai_admin`` connection (templated).
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).
    :param poke_interval: seconds between checks (default 60).
    :return: ``{"api_key_id": ..., "last_used_at": <unix seconds>}``. Never a key value
        (the Admin API only shows redacted values anyway).
    """

    template_fields: Sequence[str] = (
        *OpenAIAdminBaseSensor.template_fields,
        "project_id",
        "api_key_id",
        "used_after",
    )

    def __init__(
        self,
        *,
        project_id: str,
        api_key_id: str,
        used_after: datetime | str | float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.project_id = project_id
        self.api_key_id = api_key_id
        self.used_after = used_after
        self._used_after_seconds: float | None = None

    def validate(self) -> None:
        self.project_id = require_id("project_id", self.project_id)
        self.api_key_id = require_id("api_key_id", self.api_key_id)
        self._used_after_seconds = parse_used_after(self.used_after)

    def check(self) -> dict[str, Any] | None:
        from airflow_provider_openai_projects.triggers.api_key_usage import usage_after

        key = self.hook.get_project_api_key(self.project_id, self.api_key_id)
        result = usage_after(key, self._used_after_seconds)
        if result is None:
            self.log.info(
                "API key %s not used%s yet (last used at %s).",
                self.api_key_id,
                "" if self._used_after_seconds is None else f" after {self._used_after_seconds:.0f}",
                key.get("last_used_at"),
            )
        else:
            self.log.info("API key %s was used at %s.", self.api_key_id, result["last_used_at"])
        return result

    def failure_message(self, error: OpenAIAdminError) -> str:
        from airflow_provider_openai_projects.triggers.api_key_usage import api_key_failure_message

        return api_key_failure_message(self.project_id, self.api_key_id, error)

    def make_trigger(self) -> ApiKeyUsageTrigger:
        from airflow_provider_openai_projects.triggers.api_key_usage import ApiKeyUsageTrigger

        return ApiKeyUsageTrigger(
            project_id=self.project_id,
            api_key_id=self.api_key_id,
            used_after=self._used_after_seconds,
            openai_admin_conn_id=self.openai_admin_conn_id,
            poll_interval=self.poke_interval,
        )

    def result_from_event(self, event: dict[str, Any]) -> dict[str, Any]:
        result = {"api_key_id": event["api_key_id"], "last_used_at": event["last_used_at"]}
        self.log.info("API key %s was used at %s.", result["api_key_id"], result["last_used_at"])
        return result
