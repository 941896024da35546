"""List pages in either order (``order=asc|desc``) over an :class:`OrderedStore`.

Shared by the settings families (admin API keys, certificates, spend alerts) whose list
endpoints take ``order``; the cursor (``after``) is always the last id of the previous
page, in the order asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

from airflow_provider_openai_projects.emulator.errors import ApiError
from airflow_provider_openai_projects.emulator.pagination import MAX_LIMIT, OrderedStore, Page, list_body

T = TypeVar("T")
Order = Literal["asc", "desc"]


def check_order(order: str) -> Order:
    """``order`` as given, or 400 naming ``order`` unless it is ``asc`` or ``desc``."""
    if order == "asc":
        return "asc"
    if order == "desc":
        return "desc"
    raise ApiError(400, f"Invalid 'order': '{order}'. Must be one of 'asc', 'desc'.", param="order")


def ordered_page(
    store: OrderedStore[T],
    limit: int,
    after: str | None,
    order: Order,
    before: str | None = None,
    where: Callable[[T], bool] | None = None,
    *,
    min_limit: int = 1,
) -> Page[T]:
    """Up to ``limit`` items in creation (``asc``) or reverse creation (``desc``) order:
    after the cursor ``after`` (the last id of the previous page), or with ``before`` alone
    the ``limit`` items just before it in that order (the previous page, "the ID of the
    first ... from the previous response"); ``min_limit <= limit <= 100`` (400 otherwise)."""
    if not min_limit <= limit <= MAX_LIMIT:
        raise ApiError(
            400, f"Invalid 'limit': must be between {min_limit} and {MAX_LIMIT}, got {limit}.", param="limit"
        )
    return store.window(limit, newest_first=order == "desc", after=after, before=before, where=where)


def render_page(page: Page[T], render: Callable[[T], dict[str, Any]]) -> dict[str, Any]:
    """The spec's list envelope (``first_id``/``last_id``/``has_more``) of a page."""
    return list_body([render(item) for item in page.items], page.has_more)


def chained(parent: object) -> Any:
    """``super()`` of a family mixin, typed loosely: the operations it extends (``snapshot``,
    ``classify_key``, ``use_key``) live in the sibling mixins of ``EmulatorState``, which
    come after the family mixins in its bases."""
    return parent
