"""The people around an emulated organization: members who already exist, invitees who accept.

Every helper goes through :class:`~airflow_provider_openai_projects.emulator.server.EmulatorServer`
(the object the fixtures yield), never through the HTTP control API, so that it works
whatever the control API requires.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_openai_projects.emulator.records import Invite
    from airflow_provider_openai_projects.emulator.server import EmulatorServer


def seed_people(emulator: EmulatorServer, *emails: str, role: str = "reader") -> list[dict[str, Any]]:
    """Add each email as an organization member with ``role`` (``reader`` or ``owner``), as if
    they had joined long ago. Returns the ``User`` objects, in order. Not idempotent: an email
    that is already a member is refused by the emulator (``ApiError`` 400, field ``email``)."""
    return [emulator.add_org_user(email, role=role) for email in emails]


def pending_invite(emulator: EmulatorServer, email: str) -> Invite | None:
    """The invite for ``email`` that is not accepted yet (the latest, if several), else ``None``."""
    pending = [invite for invite in emulator.state.invites if invite.email == email and invite.accepted_at is None]
    return pending[-1] if pending else None


def accept_invite(emulator: EmulatorServer, email: str) -> dict[str, Any]:
    """The invited person accepts their pending invite: they become an organization member.

    Returns the ``User``. Raises ``LookupError`` naming the email if no invite for it is
    pending (the DAG did not invite them, or the invite was accepted already).
    """
    invite = pending_invite(emulator, email)
    if invite is None:
        raise LookupError(f"no pending invite for {email!r}")
    return emulator.accept_invite(invite.id)


@contextmanager
def auto_accept_invites(emulator: EmulatorServer, *emails: str, interval: float = 0.05) -> Iterator[set[str]]:
    """While the block runs, each person in ``emails`` accepts their invite as soon as it is
    sent (checked every ``interval`` seconds in a background thread): for a ``dag.test()``
    that waits in a sensor for them to join. Yields the set of emails that accepted so far."""
    accepted: set[str] = set()
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            for email in set(emails) - accepted:
                invite = pending_invite(emulator, email)
                if invite is not None:
                    emulator.accept_invite(invite.id)
                    accepted.add(email)
            stop.wait(interval)

    thread = threading.Thread(target=watch, name="openai-admin-invitees", daemon=True)
    thread.start()
    try:
        yield accepted
    finally:
        stop.set()
        thread.join(timeout=10)
