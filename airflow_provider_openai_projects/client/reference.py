"""The hook's method reference (README "The hook"), rendered from the endpoint table.

One row per :data:`.endpoints.ENDPOINTS` entry, grouped by family: the method's signature
(read from the resource mixin, so it cannot drift), the HTTP method and route, and what
retrying it is safe for. ``python -m airflow_provider_openai_projects.client.reference``
rewrites the README's table between its markers; a test fails when the README differs.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

from airflow_provider_openai_projects.client.endpoints import ENDPOINTS, Endpoint
from airflow_provider_openai_projects.client.resources import AdminMethods

BEGIN = "<!-- BEGIN hook-table (generated from client/endpoints.py; do not edit by hand) -->"
END = "<!-- END hook-table -->"

_RETRY_NOTES = {
    "read": "retried",
    "set": "retried (sets absolute values)",
    "delete": "retried (404 after a lost response)",
    "create": "not retried blindly: look first",
    "action": "not retried blindly",
}


def signature(endpoint: Endpoint) -> str:
    """``name(ids, *, keyword=default)`` of the endpoint's method, without ``self`` or types."""
    method = getattr(AdminMethods, endpoint.method_name, None)
    if method is None:
        return f"`{endpoint.method_name}` (missing)"
    parameters = [
        parameter.replace(annotation=inspect.Parameter.empty)
        for parameter in list(inspect.signature(method).parameters.values())[1:]
    ]
    rendered = str(inspect.Signature(parameters)).replace("|", "\\|")
    return f"`{endpoint.method_name}{rendered}`"


def row(endpoint: Endpoint) -> str:
    notes = _RETRY_NOTES[endpoint.retry]
    if endpoint.secret_fields:
        notes += "; the one-time secret is masked before it is returned"
    if endpoint.paging:
        notes += f"; every page ({endpoint.paging} pagination)"
    return f"| {signature(endpoint)} | `{endpoint.http_method} {endpoint.route}` | {notes} |"


def table() -> str:
    lines = [BEGIN, "| Method | Endpoint | Retries and notes |", "|---|---|---|"]
    family = None
    for endpoint in ENDPOINTS:
        if endpoint.family != family:
            family = endpoint.family
            lines.append(f"| **{family.replace('_', ' ')}** | | |")
        lines.append(row(endpoint))
    lines.append(END)
    return "\n".join(lines)


def render_into(readme: str) -> str:
    """``readme`` with the text between the markers replaced by :func:`table`."""
    start, end = readme.index(BEGIN), readme.index(END) + len(END)
    return readme[:start] + table() + readme[end:]


def main(argv: list[str] | None = None) -> int:
    path = Path(argv[0] if argv else "README.md")
    path.write_text(render_into(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
