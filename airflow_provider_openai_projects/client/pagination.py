"""Pagination of the Admin API's list endpoints: three styles, one loop, one guard.

The spec has three styles (docs/design.md fact 11), named in :mod:`.endpoints`:

- ``cursor``: ``{"data", "first_id", "last_id", "has_more"}``; the next page is
  ``after=<last_id>`` (most lists);
- ``next``: ``{"data", "has_more", "next"}``; the next page is ``after=<next>`` (groups,
  group users and roles, project groups, roles, user roles);
- ``page``: ``{"data", "has_more", "next_page"}``; the next page is ``page=<next_page>``
  (costs and usage).

A page that claims more but gives a cursor that does not advance (missing, repeated, or
seen before) would loop forever: paging stops with :class:`PaginationError` instead (as
the official Terraform provider does).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal

from airflow_provider_openai_projects.client.errors import PaginationError

PAGE_SIZE = 100
"""The largest page most lists serve; fewer pages means fewer throttled calls."""

Style = Literal["cursor", "next", "page"]

CURSOR_PARAM: dict[Style, str] = {"cursor": "after", "next": "after", "page": "page"}
"""The query parameter that carries a style's cursor."""


def _page_cursor(page: Mapping[str, Any], style: Style) -> Any:
    if style == "page":
        return page.get("next_page")
    if style == "next":
        return page.get("next")
    data = page.get("data") or []
    last = data[-1] if data else None
    return page.get("last_id") or (last.get("id") if isinstance(last, Mapping) else None)


def next_cursor(
    page: Mapping[str, Any],
    after: str | None,
    seen: set[str],
    *,
    method: str,
    path: str,
    style: Style = "cursor",
) -> str | None:
    """The cursor of the next page, or ``None`` when this page was the last.

    Raises :class:`PaginationError` for a cursor that does not advance (missing, the same
    as the last one, or seen before); records the cursor in ``seen``.
    """
    if not page.get("has_more"):
        return None
    cursor = _page_cursor(page, style)
    if not cursor or not isinstance(cursor, str) or cursor == after or cursor in seen:
        raise PaginationError(
            f"the cursor did not advance (has_more with {style} cursor {cursor!r} after {after!r})",
            method=method,
            path=path,
        )
    seen.add(cursor)
    return cursor


class Pager:
    """The paging of one list read, without I/O: the one loop shape the sync and the async
    client both drive (sync: ``yield from pager.take(fetch(pager.params))``; async: the same
    with ``await``), until :attr:`done`.

    :param query: the list's own query parameters; ``limit`` is set to ``page_size`` unless
        given.
    """

    def __init__(
        self,
        query: Mapping[str, Any] | None = None,
        *,
        method: str,
        path: str,
        style: Style = "cursor",
        page_size: int | None = None,
    ) -> None:
        self.method, self.path, self.style = method, path, style
        self._query = dict(query or {})
        if page_size is not None:
            self._query.setdefault("limit", page_size)
        self.cursor: str | None = None
        self.done = False
        self._seen: set[str] = set()

    @property
    def params(self) -> dict[str, Any]:
        """The query of the next page (its cursor ``None`` on the first)."""
        return {**self._query, CURSOR_PARAM[self.style]: self.cursor}

    def take(self, page: object) -> Iterator[Any]:
        """The items of ``page`` (checked: a JSON object whose ``data`` is an array), then
        the cursor of the next page, or :attr:`done` (:func:`next_cursor`'s guard)."""
        if not isinstance(page, Mapping):
            raise PaginationError("a list page is not a JSON object", method=self.method, path=self.path)
        data = page.get("data")
        if data is not None and not isinstance(data, list):
            raise PaginationError("a list page's data is not an array", method=self.method, path=self.path)
        yield from data or []
        self.cursor = next_cursor(page, self.cursor, self._seen, method=self.method, path=self.path, style=self.style)
        self.done = self.cursor is None


def iterate(
    fetch_page: Callable[[str | None], Mapping[str, Any]],
    *,
    method: str,
    path: str,
    style: Style = "cursor",
) -> Iterator[Any]:
    """Yield every item of a list endpoint, page by page.

    :param fetch_page: sends one request with the given cursor (``None`` for the first
        page; the caller puts it in :data:`CURSOR_PARAM` ``[style]``) and returns the page.
    """
    pager = Pager(method=method, path=path, style=style)
    while not pager.done:
        yield from pager.take(fetch_page(pager.cursor))
