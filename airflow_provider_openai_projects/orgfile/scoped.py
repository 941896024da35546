"""The org file's scoped settings as values: spend limit, spend alerts and active
certificates, each declared for the organization (``organization.<key>``) and per project
(``projects.<name>.<key>``).

Normal forms shared by the loader and the handlers, and the loader's checks of meaning the
JSON Schema cannot express (an alert or a certificate listed twice in one scope). Nothing
here sends a request.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from airflow_provider_openai_projects.orgfile.errors import OrgFileError, format_path

SPEND_LIMIT = "spend_limit"
SPEND_ALERTS = "spend_alerts"
CERTIFICATES = "certificates"
KEYS = (SPEND_LIMIT, SPEND_ALERTS, CERTIFICATES)
NO_LIMIT = "none"
"""``spend_limit: none``: the scope has no spend limit (a set one is deleted)."""


def file_alert(alert: Mapping[str, Any]) -> dict[str, Any]:
    """A spend alert of the file in normal form: threshold (cents), recipients (sorted,
    once each), subject prefix (``None`` when not given)."""
    return {
        "threshold_amount": int(alert["threshold_amount"]),
        "recipients": sorted({str(r) for r in alert["recipients"]}),
        "subject_prefix": alert.get("subject_prefix"),
    }


def live_alert(alert: Mapping[str, Any]) -> dict[str, Any]:
    """A spend alert of the API in the same normal form as :func:`file_alert`."""
    channel = alert.get("notification_channel") or {}
    return {
        "threshold_amount": alert.get("threshold_amount"),
        "recipients": sorted({str(r) for r in channel.get("recipients") or ()}),
        "subject_prefix": channel.get("subject_prefix"),
    }


def declared(document: Mapping[str, Any]) -> Iterator[tuple[list[object], Mapping[str, Any]]]:
    """``(path, entry)`` of the organization and of every project entry of ``document``."""
    yield ["organization"], document.get("organization") or {}
    for name, raw in (document.get("projects") or {}).items():
        yield ["projects", name], raw or {}


def check(document: Mapping[str, Any], source: str) -> None:
    """Refuse, naming the path, a spend alert or a certificate listed twice in one scope."""
    for where, entry in declared(document):
        seen: dict[str, int] = {}
        for index, alert in enumerate(entry.get(SPEND_ALERTS) or []):
            key = repr(file_alert(alert))
            if key in seen:
                raise OrgFileError(
                    source,
                    format_path([*where, SPEND_ALERTS, index]),
                    f"the same alert as {SPEND_ALERTS}[{seen[key]}] (threshold, recipients and subject prefix)",
                )
            seen[key] = index
        names: dict[str, int] = {}
        for index, name in enumerate(entry.get(CERTIFICATES) or []):
            if name in names:
                raise OrgFileError(source, format_path([*where, CERTIFICATES, index]), f"{name!r} is listed twice")
            names[name] = index
