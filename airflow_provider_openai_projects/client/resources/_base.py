"""What every resource mixin calls: one request or one whole list, by method name.

The mixins in this package hold one typed method per row of :data:`..endpoints.ENDPOINTS`
and nothing else: they check arguments the API would refuse, build the query or body
with the spec's own field names, and call :meth:`EndpointCaller._call` or
:meth:`EndpointCaller._list` (or :meth:`EndpointCaller._iter`, to stream) with their own
method name. The route, the HTTP method,
the retry class and the pagination come from the table. Both the client (which sends)
and the hook (which delegates to the client and masks secrets) implement the two calls,
so one method definition serves both.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


def body(**fields: Any) -> dict[str, Any]:
    """A request body of the fields that were given (``None`` means "not given")."""
    return {name: value for name, value in fields.items() if value is not None}


class EndpointCaller:
    """The two primitives the resource mixins are written against."""

    def _call(
        self,
        method_name: str,
        *ids: str,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Any:
        """Send the request of endpoint ``method_name`` (ids fill its route in path order)
        and return the decoded JSON."""
        raise NotImplementedError

    def _list(self, method_name: str, *ids: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Every item of list endpoint ``method_name``, following its pagination style."""
        raise NotImplementedError

    def _iter(self, method_name: str, *ids: str, params: Mapping[str, Any] | None = None) -> Iterator[Any]:
        """The items of list endpoint ``method_name``, fetched page by page as consumed."""
        raise NotImplementedError
