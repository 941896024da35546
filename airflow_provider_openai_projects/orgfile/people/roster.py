"""The roster's rows as people: every row checked, each problem one :class:`RosterError`.

Rules (each error names the row, the column and the one value at fault, escaped):

- ``email``: required; no invisible or control character and no mixed scripts
  (:func:`~...domain.emails.email_problem`); matched exactly after normalising case; a
  second row with the same email, or with one that looks like it (same UTS #39 skeleton
  after normalisation: a Cyrillic ``\u0430``, ``+tag``), is refused.
- ``status``: required; one of ``active`` (works here), ``leaver`` (has left; only this
  offboards), or anything else: that person is left untouched and reported.
- ``team``: for an active person, empty (no team) or a team the file declares.
- ``manager``: empty, or an email (checked as ``email``).

Reads nothing beyond the rows it is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from airflow_provider_openai_projects.domain.display import printable
from airflow_provider_openai_projects.domain.emails import email_problem, skeleton
from airflow_provider_openai_projects.orgfile.people.config import PeopleSpec
from airflow_provider_openai_projects.orgfile.people.source import RosterError, RosterRow

Status = Literal["active", "leaver", "other"]


@dataclass(frozen=True)
class Person:
    """One row of the roster: ``email`` and ``manager`` lower-cased."""

    row: int
    email: str
    status: Status
    team: str | None = None
    manager: str | None = None
    raw_status: str = ""


@dataclass
class Roster:
    """The people of the roster by email (lower-cased), in row order."""

    name: str
    people: dict[str, Person] = field(default_factory=dict)
    skeletons: dict[str, str] = field(default_factory=dict)
    """UTS #39 skeleton -> the email that has it (for look-alikes of live members)."""

    def of(self, status: Status) -> list[Person]:
        return [p for p in self.people.values() if p.status == status]


def build_roster(rows: list[RosterRow], spec: PeopleSpec) -> Roster:
    """The people of ``rows`` (see the module docstring for the rules)."""
    roster = Roster(spec.describe_source())
    for row in rows:
        person = _person(row, spec, roster.name)
        earlier = roster.people.get(person.email)
        column = spec.columns["email"]
        if earlier is not None:
            raise RosterError(
                roster.name,
                f"{printable(person.email)!r} is also at row {earlier.row} (emails ignore case)",
                row=row.number,
                column=column,
            )
        key = skeleton(person.email)
        alike = roster.skeletons.get(key)
        if alike is not None:
            raise RosterError(
                roster.name,
                f"{printable(person.email)!r} looks like {printable(alike)!r} at row {roster.people[alike].row} "
                "(a look-alike address is someone else, or no one)",
                row=row.number,
                column=column,
            )
        roster.people[person.email] = person
        roster.skeletons[key] = person.email
    return roster


def _email(value: str | None, roster: str, row: int, column: str, *, required: bool) -> str | None:
    if not value:
        if required:
            raise RosterError(roster, "no value (an email is required)", row=row, column=column)
        return None
    problem = email_problem(value)
    if problem is None and (value.count("@") != 1 or value.startswith("@") or value.endswith("@")):
        problem = f"not an email address: {printable(value)!r}"
    if problem is not None:
        raise RosterError(roster, problem, row=row, column=column)
    return value.lower()


def _person(row: RosterRow, spec: PeopleSpec, roster: str) -> Person:
    columns = spec.columns
    email = _email(row.values.get("email"), roster, row.number, columns["email"], required=True)
    assert email is not None  # required
    raw_status = row.values.get("status") or ""
    if not raw_status:
        raise RosterError(roster, "no value (a status is required)", row=row.number, column=columns["status"])
    folded = raw_status.casefold()
    status: Status = "active" if folded in spec.active else "leaver" if folded in spec.leaver else "other"
    team = row.values.get("team") or None
    if status == "active" and team is not None and team not in spec.teams:
        raise RosterError(
            roster, f"unknown team {printable(team)!r} (not under people.teams)", row=row.number, column=columns["team"]
        )
    manager = _email(row.values.get("manager"), roster, row.number, columns["manager"], required=False)
    return Person(row.number, email, status, team, manager, printable(raw_status))
