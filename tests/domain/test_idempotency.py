"""create_once: after an ambiguous failure it looks before creating again; otherwise it raises."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_openai_projects.client.errors import OpenAIAdminError
from airflow_provider_openai_projects.domain.idempotency import create_once


class Api:
    """A create that fails as told (``maybe_applied`` or not) and a look-up of what exists."""

    def __init__(self, failures: list[bool], *, applied_despite_failure: bool = False) -> None:
        self.failures = failures
        self.applied_despite_failure = applied_despite_failure
        self.created: list[dict[str, Any]] = []
        self.creates = self.finds = 0

    def create(self) -> dict[str, Any]:
        self.creates += 1
        if self.failures:
            maybe_applied = self.failures.pop(0)
            if maybe_applied and self.applied_despite_failure:
                self.created.append({"id": f"obj_{self.creates}"})
            raise OpenAIAdminError("lost", maybe_applied=maybe_applied)
        self.created.append({"id": f"obj_{self.creates}"})
        return self.created[-1]

    def find(self) -> dict[str, Any] | None:
        self.finds += 1
        return self.created[-1] if self.created else None


def test_a_create_that_succeeds_is_not_looked_up() -> None:
    api = Api([])
    assert create_once(api.create, api.find, what="x") == {"id": "obj_1"}
    assert (api.creates, api.finds) == (1, 0)


def test_a_lost_response_whose_create_was_applied_returns_what_it_finds_without_creating_again() -> None:
    api = Api([True], applied_despite_failure=True)
    assert create_once(api.create, api.find, what="x") == {"id": "obj_1"}
    assert (api.creates, api.finds, len(api.created)) == (1, 1, 1)


def test_a_lost_response_whose_create_was_not_applied_creates_again_once() -> None:
    api = Api([True])
    assert create_once(api.create, api.find, what="x") == {"id": "obj_2"}
    assert (api.creates, api.finds, len(api.created)) == (2, 1, 1)


def test_a_failure_that_cannot_have_applied_raises_at_once_without_looking() -> None:
    api = Api([False])
    with pytest.raises(OpenAIAdminError, match="lost"):
        create_once(api.create, api.find, what="x")
    assert (api.creates, api.finds) == (1, 0)


def test_after_the_last_attempt_the_last_error_is_raised() -> None:
    api = Api([True, True, True])
    with pytest.raises(OpenAIAdminError):
        create_once(api.create, api.find, what="x", attempts=3)
    assert (api.creates, api.finds, api.created) == (3, 3, [])
