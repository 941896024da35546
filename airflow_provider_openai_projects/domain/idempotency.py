"""Creating things exactly once through an API that has no idempotency keys.

The Admin API's creates are not idempotent and names are not unique (docs/design.md, fact 5).
A create whose response is lost (5xx after the change, read timeout, dropped connection)
may or may not have happened; retrying it blindly can make a duplicate project that can
never be deleted. :func:`create_once` closes that gap: after an ambiguous failure it
looks for what it meant to create and only creates again if it is not there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from airflow_provider_openai_projects.client.errors import OpenAIAdminError

T = TypeVar("T")
log = logging.getLogger(__name__)


def create_once(
    create: Callable[[], T],
    find: Callable[[], T | None],
    *,
    what: str,
    attempts: int = 3,
) -> T:
    """Run ``create``; after an ambiguous failure, return what ``find`` finds or create again.

    :param create: sends the create request and returns the created object.
    :param find: looks the object up (by name, email, ...) and returns it or ``None``.
    :param what: a description for the log, e.g. ``"project 'Search'"``.
    :param attempts: creates tried at most (each after a look that found nothing).
    :raises OpenAIAdminError: the last error when the create does not succeed, or at once
        when the failure was not ambiguous (a 400 will not get better by repeating it).
    """
    for attempt in range(1, attempts + 1):
        try:
            return create()
        except OpenAIAdminError as error:
            if not error.maybe_applied:
                raise
            log.warning("Creating %s failed ambiguously (%s); looking for it before anything else.", what, error)
            found = find()
            if found is not None:
                log.info("Found %s: the create had been applied; not creating it again.", what)
                return found
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")  # pragma: no cover
