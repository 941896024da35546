"""Ordered collections with cursor pagination that survives deletions.

The API lists objects in creation order and pages with ``after=<id>`` (rate limits also
with ``before=<id>``). Two envelopes exist: ``first_id``/``last_id``/``has_more``
(:func:`list_body`, most lists) and ``has_more``/``next`` (:meth:`OrderedStore.page_next`
and :func:`next_list_body`: groups, group users and roles, project groups, roles, user
roles; docs/design.md fact 11), where ``next`` is the id to send as ``after`` for the next page.

An :class:`OrderedStore` gives every insertion a position from one process-wide
monotonic counter and remembers the position of an id after the object is removed, so
a client paging through a list while deleting from it keeps a valid cursor.
Re-inserting an id (a user re-added to a project) moves it to the end of the list.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from .errors import ApiError

T = TypeVar("T")

MAX_LIMIT = 100
_positions = itertools.count(1)


def check_limit(limit: int) -> None:
    """400 with ``param: "limit"`` unless ``1 <= limit <= 100``."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(400, f"Invalid 'limit': must be between 1 and {MAX_LIMIT}, got {limit}.", param="limit")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: the items and whether more follow in the paging direction."""

    items: list[T]
    has_more: bool


@dataclass(frozen=True)
class NextPage(Generic[T]):
    """One page of a ``next``-style list: the items, whether more follow, and the cursor."""

    items: list[T]
    has_more: bool
    next: str | None


class OrderedStore(Generic[T]):
    """Objects keyed by id, iterated in insertion order, paged by cursor."""

    def __init__(self) -> None:
        self._items: dict[str, T] = {}
        self._position: dict[str, int] = {}

    def add(self, item_id: str, item: T) -> None:
        """Insert (or re-insert) ``item`` at the end of the order."""
        self._items.pop(item_id, None)
        self._items[item_id] = item
        self._position[item_id] = next(_positions)

    def remove(self, item_id: str) -> T:
        """Remove and return the item; its position stays valid as a cursor."""
        return self._items.pop(item_id)

    def get(self, item_id: str) -> T | None:
        return self._items.get(item_id)

    def ids(self) -> list[str]:
        """The ids held, in order."""
        return list(self._items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._items.values()))

    def page(
        self,
        limit: int,
        after: str | None = None,
        before: str | None = None,
        where: Callable[[T], bool] | None = None,
    ) -> Page[T]:
        """Up to ``limit`` items strictly after ``after`` and before ``before``.

        With only ``before``, the page is the ``limit`` items closest before it (paging
        backwards) and ``has_more`` says whether earlier items exist. Cursors are ids this
        store has ever held (400 with ``param`` ``after``/``before`` otherwise).
        """
        check_limit(limit)
        return self.window(limit, after=after, before=before, where=where)

    def window(
        self,
        limit: int,
        *,
        newest_first: bool = False,
        after: str | None = None,
        before: str | None = None,
        where: Callable[[T], bool] | None = None,
    ) -> Page[T]:
        """One page in creation order (or ``newest_first``), ``after`` and ``before`` read in
        that order: ``after`` lists what follows the cursor, ``before`` alone the ``limit``
        items closest before it (the previous page), both what lies between. ``has_more``:
        more items follow in the paging direction. ``limit`` is not checked (0 gives an
        empty page). Costs the items walked up to the ``limit + 1``-th match, never a copy
        of the store.
        """
        pairs, has_more = self._window(limit, newest_first, after, before, where)
        return Page([item for _, item in pairs], has_more)

    def _window(
        self,
        limit: int,
        newest_first: bool,
        after: str | None,
        before: str | None,
        where: Callable[[T], bool] | None,
    ) -> tuple[list[tuple[str, T]], bool]:
        """(id, item) pairs of :meth:`window`'s page, and whether more follow."""
        older = self._cursor(after if newest_first else before, "after" if newest_first else "before")
        newer = self._cursor(before if newest_first else after, "before" if newest_first else "after")
        backwards = before is not None and after is None
        # Walk from the oldest when the page runs in creation order, or when paging back
        # through a newest-first list (and from the newest otherwise).
        found = self._walk(newest_first == backwards, above=newer or 0, below=older, count=limit + 1, where=where)
        pairs = found[:limit]
        if backwards:
            pairs.reverse()
        return pairs, len(found) > limit

    def _walk(
        self,
        oldest_first: bool,
        *,
        above: int,
        below: int | None,
        count: int,
        where: Callable[[T], bool] | None,
    ) -> list[tuple[str, T]]:
        """Up to ``count`` (id, item) pairs whose position is in ``(above, below)`` and that
        match ``where``, walking from the oldest or the newest (positions grow in dict order)."""
        found: list[tuple[str, T]] = []
        pairs = self._items.items()
        for item_id, item in iter(pairs) if oldest_first else reversed(pairs):
            position = self._position[item_id]
            if position <= above:
                if oldest_first:
                    continue
                break
            if below is not None and position >= below:
                if oldest_first:
                    break
                continue
            if where is None or where(item):
                found.append((item_id, item))
                if len(found) >= count:
                    break
        return found

    def page_next(
        self,
        limit: int,
        after: str | None = None,
        *,
        order: str = "asc",
        max_limit: int = 1000,
        where: Callable[[T], bool] | None = None,
    ) -> NextPage[T]:
        """Up to ``limit`` items after the cursor ``after``, in creation order (``asc``) or
        newest first (``desc``): the ``next``-style pagination.

        ``0 <= limit <= max_limit`` (400 with ``param: "limit"`` otherwise; the spec allows
        0, which gives an empty page); ``order`` is ``asc`` or ``desc`` (400 otherwise).
        ``next`` is the id of the page's last item when more follow, else ``None``.
        """
        if not 0 <= limit <= max_limit:
            raise ApiError(400, f"Invalid 'limit': must be between 0 and {max_limit}, got {limit}.", param="limit")
        if order not in ("asc", "desc"):
            raise ApiError(400, f"Invalid 'order': '{order}'. Must be one of 'asc', 'desc'.", param="order")
        pairs, has_more = self._window(limit, order == "desc", after, None, where)
        last = pairs[-1][0] if has_more and pairs else None
        return NextPage([item for _, item in pairs], has_more, last)

    @overload
    def _cursor(self, item_id: str, param: str) -> int: ...
    @overload
    def _cursor(self, item_id: None, param: str) -> None: ...
    def _cursor(self, item_id: str | None, param: str) -> int | None:
        if item_id is None:
            return None
        if item_id not in self._position:
            raise ApiError(400, f"Invalid '{param}': no object with id '{item_id}' in this list.", param=param)
        return self._position[item_id]


def list_body(data: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    """The spec's list envelope around already-rendered objects."""
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": has_more,
    }


def next_list_body(data: list[dict[str, Any]], page: NextPage[Any]) -> dict[str, Any]:
    """The spec's ``next``-style list envelope (``GroupListResource`` and its kin)."""
    return {"object": "list", "data": data, "has_more": page.has_more, "next": page.next}
