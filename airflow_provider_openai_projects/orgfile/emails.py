"""The emails of an org file: each one usable, none a look-alike of another.

An email the file names (an organization or project member, a group member, a spend
alert's recipient) is refused, at its path, when :func:`~...domain.emails.email_problem`
finds it unusable (invisible characters, scripts mixed in its local part or domain: the
Cyrillic ``\u0430`` of ``owner@ex\u0430mple.com``), and when its UTS #39 skeleton
(:func:`~...domain.emails.skeleton`) is that of another address: another email of the same
file (:func:`check_file_emails`, at load) or a member of the organization
(:func:`check_live_emails`, at plan time, with the people the plan read). Two spellings of
one address that differ only in case are the same person, not a look-alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from airflow_provider_openai_projects.domain.display import printable
from airflow_provider_openai_projects.domain.emails import email_problem, same_email, skeleton
from airflow_provider_openai_projects.orgfile.errors import OrgFileError, format_path

_ALERTS = "spend_alerts"


def file_emails(document: Mapping[str, Any]) -> Iterator[tuple[str, list[object]]]:
    """``(email, path)`` of every email a (schema-valid) document names, in file order."""
    organization = document.get("organization") or {}
    for email in organization.get("members") or {}:
        yield email, ["organization", "members", email]
    yield from _recipients(organization, ["organization"])
    for name, raw in (document.get("projects") or {}).items():
        for email in (raw or {}).get("members") or {}:
            yield email, ["projects", name, "members", email]
        yield from _recipients(raw or {}, ["projects", name])
    for name, raw in (document.get("groups") or {}).items():
        for index, email in enumerate((raw or {}).get("members") or []):
            yield email, ["groups", name, "members", index]


def _recipients(scope: Mapping[str, Any], where: list[object]) -> Iterator[tuple[str, list[object]]]:
    for index, alert in enumerate(scope.get(_ALERTS) or []):
        for number, email in enumerate(alert.get("recipients") or []):
            yield email, [*where, _ALERTS, index, "recipients", number]


def _plain_ascii(email: str) -> bool:
    """Printable ASCII without a space: nothing :func:`email_problem` refuses (no hidden
    character, one script), known without its slower per-character script lookup."""
    return email.isascii() and email.isprintable() and " " not in email


def check_file_emails(document: Mapping[str, Any], source: str) -> None:
    """Refuse the first unusable email of ``document``, or the first that looks like
    another email of the file (same skeleton, another address)."""
    seen: dict[str, tuple[str, list[object]]] = {}
    for email, path in file_emails(document):
        problem = None if _plain_ascii(email) else email_problem(email)
        if problem is not None:
            raise OrgFileError(source, format_path(path), f"email {problem}")
        key = skeleton(email)
        if key in seen and not same_email(seen[key][0], email):
            other, other_path = seen[key]
            raise OrgFileError(
                source,
                format_path(path),
                f"looks like {printable(other)!r} at {format_path(other_path)} (the same UTS #39 skeleton) "
                "but is another address: a look-alike? Write one address one way",
            )
        seen.setdefault(key, (email, path))


def check_live_emails(document: Mapping[str, Any], source: str, people: Iterable[str]) -> None:
    """Refuse the first email of ``document`` that looks like, but is not, the email of one
    of ``people`` (the organization's members as the plan read them, and optionally its
    pending invitees): the same UTS #39 skeleton, another address.

    Call it at plan time, before any write, with the emails the plan has read
    (``[u["email"] for u in reader.users()]``); it reads nothing itself.
    """
    by_skeleton: dict[str, list[str]] = {}
    for person in people:
        if person:
            by_skeleton.setdefault(skeleton(str(person)), []).append(str(person))
    if not by_skeleton:
        return
    for email, path in file_emails(document):
        bucket = by_skeleton.get(skeleton(email), [])
        if any(same_email(person, email) for person in bucket):
            continue  # names a member exactly
        look_alikes = sorted(set(bucket))
        if look_alikes:
            raise OrgFileError(
                source,
                format_path(path),
                f"looks like the organization member {printable(look_alikes[0])!r} (the same UTS #39 skeleton) "
                "but is another address: a look-alike? Write the member's address exactly",
            )
