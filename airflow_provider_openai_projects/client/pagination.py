"""Cursor pagination of the Admin API's list endpoints.

Lists answer ``{"object": "list", "data": [...], "first_id", "last_id", "has_more"}`` and
take ``after=<last id>`` for the next page. A page that claims more but gives a cursor
that does not advance (missing, repeated, or seen before) would loop forever: paging
stops with :class:`PaginationError` instead (as the official Terraform provider does).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from airflow_provider_openai_projects.client.errors import PaginationError

PAGE_SIZE = 100
"""The largest page the Admin API serves; fewer pages means fewer throttled calls."""


def next_cursor(page: Mapping[str, Any], after: str | None, seen: set[str], *, method: str, path: str) -> str | None:
    """The ``after`` cursor of the next page, or ``None`` when this page was the last.

    Raises :class:`PaginationError` for a cursor that does not advance (missing, the same
    as the last one, or seen before); records the cursor in ``seen``.
    """
    if not page.get("has_more"):
        return None
    data = page.get("data") or []
    cursor = page.get("last_id") or (data[-1].get("id") if data else None)
    if not cursor or cursor == after or cursor in seen:
        raise PaginationError(
            f"the cursor did not advance (has_more with last_id={cursor!r} after {after!r})",
            method=method,
            path=path,
        )
    seen.add(cursor)
    return str(cursor)


def iterate(fetch_page: Callable[[str | None], Mapping[str, Any]], *, method: str, path: str) -> Iterator[Any]:
    """Yield every item of a list endpoint, page by page.

    :param fetch_page: sends one request with the given ``after`` cursor (``None`` for the
        first page) and returns the decoded page.
    """
    after: str | None = None
    seen: set[str] = set()
    while True:
        page = fetch_page(after)
        yield from page.get("data") or []
        after = next_cursor(page, after, seen, method=method, path=path)
        if after is None:
            return
