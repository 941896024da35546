"""OffboardUserOperator against the emulator."""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.client import OpenAIAdminError
from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.operators.offboarding import OffboardUserOperator

from .conftest import make_context

LIST_USERS = "GET /organization/users"
GET_USER = "GET /organization/users/{user_id}"
LIST_INVITES = "GET /organization/invites"
LIST_PROJECTS = "GET /organization/projects"
LIST_PROJECT_USERS = "GET /organization/projects/{project_id}/users"
LIST_KEYS = "GET /organization/projects/{project_id}/api_keys"
ADD_PROJECT_USER = "POST /organization/projects/{project_id}/users"
UPDATE_PROJECT_USER = "POST /organization/projects/{project_id}/users/{user_id}"
REMOVE_PROJECT_USER = "DELETE /organization/projects/{project_id}/users/{user_id}"
DELETE_USER = "DELETE /organization/users/{user_id}"
DELETE_INVITE = "DELETE /organization/invites/{invite_id}"
LIST_GROUPS = "GET /organization/groups"
LIST_GROUP_USERS = "GET /organization/groups/{group_id}/users"
LIST_PROJECT_GROUPS = "GET /organization/projects/{project_id}/groups"
LIST_USER_ROLES = "GET /organization/users/{user_id}/roles"
REMOVE_GROUP_USER = "DELETE /organization/groups/{group_id}/users/{user_id}"
UNASSIGN_USER_ROLE = "DELETE /organization/users/{user_id}/roles/{role_id}"

LEAVER = "leaver@example.com"


def project(emulator: EmulatorServer, name: str, **members: str) -> str:
    """A new project with ``members`` (user id -> role); its id."""
    project_id = str(emulator.state.create_project(name)["id"])
    for user_id, role in members.items():
        emulator.state.add_project_user(project_id, role, user_id=user_id)
    return project_id


def roles(emulator: EmulatorServer, project_id: str) -> dict[str, str]:
    found = emulator.state.projects.get(project_id)
    assert found is not None
    return {m.user_id: m.role for m in found.users}


def pending_invites(emulator: EmulatorServer, email: str) -> list[str]:
    now = emulator.state.now()
    return [i.id for i in emulator.state.invites if i.email.lower() == email.lower() and i.status(now) == "pending"]


def offboard(**kwargs: Any) -> dict[str, Any]:
    result: dict[str, Any] = OffboardUserOperator(task_id="offboard", **kwargs).execute(make_context())
    json.dumps(result)  # JSON-able report
    return result


@dataclass
class Org:
    """A small organization: the leaver in several projects, a colleague, a future successor."""

    leaver: str
    colleague: str
    successor: str
    shared: str  # leaver member, colleague owner
    co_owned: str  # leaver owner, colleague owner
    alone: str  # leaver the only owner, successor a member
    alone_too: str  # leaver the only owner, successor absent
    elsewhere: str  # leaver absent


def build_org(e: EmulatorServer, *, stale_invite: bool = False) -> Org:
    """The :class:`Org`; with ``stale_invite`` the leaver also has a pending invite from before they joined."""
    if stale_invite:
        e.state.create_invite(LEAVER, "reader")
    leaver = e.add_org_user(LEAVER, name="Leaver")["id"]
    colleague = e.add_org_user("colleague@example.com")["id"]
    successor = e.add_org_user("heir@example.com")["id"]
    built = Org(
        leaver=leaver,
        colleague=colleague,
        successor=successor,
        shared=project(e, "Shared", **{leaver: "member", colleague: "owner"}),
        co_owned=project(e, "Co-owned", **{leaver: "owner", colleague: "owner"}),
        alone=project(e, "Alone", **{leaver: "owner", successor: "member"}),
        alone_too=project(e, "Alone too", **{leaver: "owner"}),
        elsewhere=project(e, "Elsewhere", **{colleague: "member"}),
    )
    e.log.clear()
    return built


@pytest.fixture
def org(admin_conn: EmulatorServer) -> Org:
    return build_org(admin_conn)


@pytest.fixture
def small_org(admin_conn: EmulatorServer) -> tuple[str, list[str]]:
    """4 active projects (the default one and 3 more), one archived; the leaver in 2, owning none alone."""
    e = admin_conn
    leaver = e.add_org_user(LEAVER)["id"]
    colleague = e.add_org_user("colleague@example.com")["id"]
    a = project(e, "A", **{leaver: "member", colleague: "owner"})
    b = project(e, "B", **{leaver: "owner", colleague: "owner"})
    project(e, "C", **{colleague: "member"})
    archived = project(e, "Old", **{leaver: "owner"})
    e.state.archive_project(archived)
    e.log.clear()
    return leaver, [a, b]


# -- the common case and its call count ------------------------------------------------


def test_offboard_member_of_several_projects_removes_them_from_the_organization_and_kills_their_keys(
    admin_conn: EmulatorServer, small_org: tuple[str, list[str]]
) -> None:
    leaver, (a, b) = small_org
    key_a = admin_conn.create_user_api_key(a, leaver, name="laptop")
    key_b = admin_conn.create_user_api_key(b, leaver, name="ci")
    colleague_key = admin_conn.create_user_api_key(a, _colleague(admin_conn))
    assert admin_conn.use_key(key_a["value"]) == 200
    admin_conn.log.clear()

    context = make_context()
    report = OffboardUserOperator(task_id="offboard", email=LEAVER).execute(context)

    assert report["found"] is True
    assert report["user_id"] == leaver
    assert report["email"] == LEAVER
    assert report["dry_run"] is False
    assert report["memberships"] == [
        {"project_id": a, "project_name": "A", "role": "member", "sole_owner": False},
        {"project_id": b, "project_name": "B", "role": "owner", "sole_owner": False},
    ]
    assert report["successor_changes"] == []
    assert report["removed_from_organization"] is True
    assert report["removed_from_projects"] == [a, b]
    assert report["invites_deleted"] == []
    assert [(k["id"], k["project_id"], k["name"]) for k in report["api_keys"]] == [
        (key_a["id"], a, "laptop"),
        (key_b["id"], b, "ci"),
    ]
    assert report["api_keys"][0]["redacted_value"] == key_a["redacted_value"]
    assert set(report["api_keys"][0]) == {"id", "name", "redacted_value", "last_used_at", "project_id", "project_name"}
    assert report["api_keys"][0]["last_used_at"] is not None
    for value in (key_a["value"], key_b["value"]):
        assert value not in json.dumps(report)
        assert value not in json.dumps(context["ti"].xcom)

    assert admin_conn.state.users.get(leaver) is None
    assert admin_conn.use_key(key_a["value"]) == 401
    assert admin_conn.use_key(key_b["value"]) == 401
    assert admin_conn.use_key(colleague_key["value"]) == 200  # nobody else's key is touched
    assert [w.route for w in admin_conn.log.writes()] == [DELETE_USER]


def _colleague(emulator: EmulatorServer) -> str:
    return next(u.id for u in emulator.state.users if u.email == "colleague@example.com")


def test_offboard_makes_the_number_of_calls_its_docstring_formula_says(
    admin_conn: EmulatorServer, small_org: tuple[str, list[str]]
) -> None:
    """1 resolve + 1 invites page + 1 projects page + P users lists + 1 groups page (no group:
    no members or project-groups lists) + 1 roles list + M key lists + writes."""
    active_projects, memberships, writes = 4, 2, 1
    offboard(email=LEAVER)

    log = admin_conn.log
    assert log.count(route=LIST_USERS) == 1
    assert log.count(route=LIST_INVITES) == 1
    assert log.count(route=LIST_PROJECTS) == 1
    assert log.count(route=LIST_PROJECT_USERS) == active_projects  # the archived project is skipped
    assert log.count(route=LIST_KEYS) == memberships
    assert log.count(route=LIST_GROUPS) == 1
    assert log.count(route=LIST_USER_ROLES) == 1
    assert log.count(route=LIST_GROUP_USERS) == log.count(route=LIST_PROJECT_GROUPS) == 0
    assert len(log.writes()) == writes
    assert len(log.entries()) == 1 + 1 + 1 + active_projects + 1 + 1 + memberships + writes

    log.clear()
    again = offboard(email=LEAVER)
    assert again["found"] is False
    assert log.writes() == []
    assert len(log.entries()) == 3  # the user lookup, the invite list, every member (no look-alike)


def test_offboard_by_user_id_reads_the_user_then_works_the_same(
    admin_conn: EmulatorServer, small_org: tuple[str, list[str]]
) -> None:
    leaver, _ = small_org
    report = offboard(user_id=leaver)
    assert report["email"] == LEAVER
    assert report["removed_from_organization"] is True
    assert admin_conn.state.users.get(leaver) is None
    assert admin_conn.log.count(route=GET_USER) == 1
    assert admin_conn.log.count(route=LIST_USERS) == 0

    admin_conn.log.clear()
    again = offboard(user_id=leaver)
    assert again["found"] is False
    assert [e.route for e in admin_conn.log.entries()] == [GET_USER]  # 404: gone, email unknown


# -- sole owners and successors ----------------------------------------------------------


def test_offboard_sole_owner_without_successor_refuses_before_any_write_naming_the_projects(
    admin_conn: EmulatorServer, org: Org
) -> None:
    with pytest.raises(AirflowFailException) as failure:
        offboard(email=LEAVER)
    message = str(failure.value)
    assert "invalid successor_owner" in message
    for project_id, name in ((org.alone, "Alone"), (org.alone_too, "Alone too")):
        assert project_id in message
        assert repr(name) in message
    assert org.co_owned not in message
    assert admin_conn.log.writes() == []
    assert admin_conn.state.users.get(org.leaver) is not None


def test_offboard_dry_run_of_a_sole_owner_without_successor_refuses_as_the_real_run_would(
    admin_conn: EmulatorServer, org: Org
) -> None:
    with pytest.raises(AirflowFailException, match="only owner of 2 project"):
        offboard(email=LEAVER, dry_run=True)
    assert admin_conn.log.writes() == []


def test_offboard_with_successor_hands_over_sole_owned_projects_first_then_removes(
    admin_conn: EmulatorServer, org: Org
) -> None:
    report = offboard(email=LEAVER, successor_owner="HEIR@example.com")

    assert report["successor_owner"] == {"user_id": org.successor, "email": "heir@example.com"}
    assert report["successor_changes"] == [
        {"project_id": org.alone, "project_name": "Alone", "user_id": org.successor, "action": "role_updated"},
        {"project_id": org.alone_too, "project_name": "Alone too", "user_id": org.successor, "action": "added"},
    ]
    assert {m["project_id"]: m["sole_owner"] for m in report["memberships"]} == {
        org.shared: False,
        org.co_owned: False,
        org.alone: True,
        org.alone_too: True,
    }
    assert roles(admin_conn, org.alone) == {org.successor: "owner"}
    assert roles(admin_conn, org.alone_too) == {org.successor: "owner"}
    assert roles(admin_conn, org.co_owned) == {org.colleague: "owner"}  # not a sole owner: no successor there
    assert admin_conn.state.users.get(org.leaver) is None
    writes = admin_conn.log.writes()
    assert [w.route for w in writes] == [UPDATE_PROJECT_USER, ADD_PROJECT_USER, DELETE_USER]
    assert writes[0].body == {"role": "owner"}
    assert writes[1].body == {"user_id": org.successor, "role": "owner"}
    # The successor is a member of a listed project, so no lookup was needed to know they are in the org.
    assert admin_conn.log.count(route=LIST_USERS) == 1

    admin_conn.log.clear()
    again = offboard(email=LEAVER, successor_owner="heir@example.com")
    assert again["found"] is False
    assert admin_conn.log.writes() == []


def test_offboard_with_a_successor_in_no_listed_project_looks_them_up_once(
    admin_conn: EmulatorServer, org: Org
) -> None:
    outsider = admin_conn.add_org_user("outsider@example.com")["id"]
    admin_conn.log.clear()
    report = offboard(user_id=org.leaver, successor_owner=outsider)
    assert [c["action"] for c in report["successor_changes"]] == ["added", "added"]
    assert roles(admin_conn, org.alone) == {org.successor: "member", outsider: "owner"}
    assert roles(admin_conn, org.alone_too) == {outsider: "owner"}
    assert admin_conn.log.count(route=GET_USER) == 2  # the leaver, then the successor


def test_offboard_with_a_successor_outside_the_organization_refuses_before_any_write(
    admin_conn: EmulatorServer, org: Org
) -> None:
    with pytest.raises(
        AirflowFailException, match=re.escape("'stranger@example.com' is not a member of the organization")
    ):
        offboard(email=LEAVER, successor_owner="stranger@example.com")
    assert admin_conn.log.writes() == []
    with pytest.raises(AirflowFailException, match=re.escape("'user-nope' is not a member of the organization")):
        offboard(email=LEAVER, successor_owner="user-nope")
    assert admin_conn.log.writes() == []
    assert admin_conn.state.users.get(org.leaver) is not None


def test_offboard_refuses_the_person_as_their_own_successor(admin_conn: EmulatorServer, org: Org) -> None:
    with pytest.raises(AirflowFailException, match="must not be the person being offboarded"):
        offboard(email=LEAVER, successor_owner=LEAVER.upper())
    assert admin_conn.log.entries() == []  # caught before any request
    with pytest.raises(AirflowFailException, match="must not be the person being offboarded"):
        offboard(user_id=org.leaver, successor_owner=LEAVER)
    assert admin_conn.log.writes() == []  # caught once the person was resolved


def test_offboard_ignores_the_successor_when_nobody_needs_one(
    admin_conn: EmulatorServer, small_org: tuple[str, list[str]]
) -> None:
    report = offboard(email=LEAVER, successor_owner="not-in-org@example.com")
    assert report["successor_owner"] is None
    assert report["successor_changes"] == []
    assert report["removed_from_organization"] is True


def test_offboard_the_organizations_only_owner_is_refused_before_any_write(
    admin_conn: EmulatorServer, org: Org
) -> None:
    with pytest.raises(AirflowFailException, match=r"invalid remove_from_organization: .* only owner"):
        offboard(email="owner@example.com", successor_owner="heir@example.com")
    assert admin_conn.log.writes() == []
    assert [u.email for u in admin_conn.state.users if u.role == "owner"] == ["owner@example.com"]


def test_offboard_an_organization_owner_checks_that_another_owner_remains(admin_conn: EmulatorServer) -> None:
    boss = admin_conn.add_org_user(LEAVER, role="owner")["id"]
    admin_conn.log.clear()
    report = offboard(email=LEAVER)
    assert report["removed_from_organization"] is True
    assert admin_conn.state.users.get(boss) is None
    assert admin_conn.log.count(route=LIST_USERS) == 2  # the lookup by email, then the owners

    other_boss = admin_conn.add_org_user("other.boss@example.com", role="owner")["id"]
    admin_conn.log.clear()
    report = offboard(email="other.boss@example.com", remove_from_organization=False)
    assert report["removed_from_organization"] is False
    assert admin_conn.state.users.get(other_boss) is not None
    assert admin_conn.log.count(route=LIST_USERS) == 1  # staying in the organization: no owner check


# -- dry run, keys, special cases ---------------------------------------------------------


def test_offboard_dry_run_reads_everything_writes_nothing_and_returns_the_plan(
    admin_conn: EmulatorServer, org: Org
) -> None:
    key = admin_conn.create_user_api_key(org.shared, org.leaver)
    admin_conn.log.clear()
    plan = offboard(email=LEAVER, successor_owner="heir@example.com", dry_run=True)

    assert plan["dry_run"] is True
    assert [c["action"] for c in plan["successor_changes"]] == ["role_updated", "added"]
    assert [k["id"] for k in plan["api_keys"]] == [key["id"]]
    assert plan["removed_from_organization"] is True
    assert admin_conn.log.writes() == []
    assert admin_conn.state.users.get(org.leaver) is not None
    assert roles(admin_conn, org.alone) == {org.leaver: "owner", org.successor: "member"}
    assert admin_conn.use_key(key["value"]) == 200


def test_offboard_person_already_gone_is_success_without_a_write(admin_conn: EmulatorServer) -> None:
    report = offboard(email="ghost@example.com")
    assert report["found"] is False
    assert report["memberships"] == []
    assert report["removed_from_organization"] is False
    assert admin_conn.log.writes() == []
    # The exact lookup, the invites, then every member (no look-alike of the email).
    assert [e.route for e in admin_conn.log.entries()] == [LIST_USERS, LIST_INVITES, LIST_USERS]

    admin_conn.log.clear()
    assert offboard(user_id="user-ghost")["found"] is False
    assert [e.route for e in admin_conn.log.entries()] == [GET_USER]


def test_offboard_person_with_only_a_pending_invite_deletes_the_invite(admin_conn: EmulatorServer) -> None:
    invite = admin_conn.state.create_invite("Invited@Example.com", "reader")
    admin_conn.log.clear()

    report = offboard(email="invited@example.com")

    assert report["found"] is True
    assert report["user_id"] is None
    assert report["invites_deleted"] == [invite["id"]]
    assert report["removed_from_organization"] is False
    assert pending_invites(admin_conn, "invited@example.com") == []
    assert [w.route for w in admin_conn.log.writes()] == [DELETE_INVITE]
    assert admin_conn.log.count(route=LIST_PROJECTS) == 0  # not a user: no memberships to look for

    admin_conn.log.clear()
    assert offboard(email="invited@example.com")["found"] is False
    assert admin_conn.log.writes() == []


def test_offboard_member_with_a_stale_pending_invite_removes_both(admin_conn: EmulatorServer) -> None:
    invite = admin_conn.state.create_invite(LEAVER, "owner")
    leaver = admin_conn.add_org_user(LEAVER)["id"]  # joined another way (SSO) while the invite was pending
    admin_conn.log.clear()
    report = offboard(email=LEAVER)
    assert report["invites_deleted"] == [invite["id"]]
    assert report["removed_from_organization"] is True
    assert pending_invites(admin_conn, LEAVER) == []
    assert admin_conn.state.users.get(leaver) is None


def test_offboard_ignores_expired_invites(admin_conn: EmulatorServer) -> None:
    admin_conn.state.create_invite("expired@example.com", "reader")
    admin_conn.state.advance_clock(8 * 24 * 3600)
    admin_conn.log.clear()
    assert offboard(email="expired@example.com")["found"] is False
    assert admin_conn.log.writes() == []


def test_offboard_without_removing_from_the_organization_removes_each_membership(
    admin_conn: EmulatorServer, small_org: tuple[str, list[str]]
) -> None:
    leaver, (a, b) = small_org
    key = admin_conn.create_user_api_key(a, leaver)
    admin_conn.log.clear()

    report = offboard(email=LEAVER, remove_from_organization=False)

    assert report["removed_from_organization"] is False
    assert report["removed_from_projects"] == [a, b]
    assert [k["id"] for k in report["api_keys"]] == [key["id"]]
    assert admin_conn.state.users.get(leaver) is not None  # still in the organization
    assert leaver not in roles(admin_conn, a)
    assert leaver not in roles(admin_conn, b)
    assert admin_conn.use_key(key["value"]) == 401
    writes = admin_conn.log.writes()
    assert [w.route for w in writes] == [REMOVE_PROJECT_USER, REMOVE_PROJECT_USER]
    assert [w.path for w in writes] == [f"/organization/projects/{p}/users/{leaver}" for p in (a, b)]

    admin_conn.log.clear()
    again = offboard(email=LEAVER, remove_from_organization=False)
    assert again["memberships"] == []
    assert again["removed_from_projects"] == []
    assert admin_conn.log.writes() == []


# -- faults on every write, then a re-run -------------------------------------------------


def _converged(emulator: EmulatorServer, org: Org, *, in_org: bool) -> None:
    assert (emulator.state.users.get(org.leaver) is not None) is in_org
    for project_id in (org.shared, org.co_owned, org.alone, org.alone_too):
        assert org.leaver not in roles(emulator, project_id)
    assert roles(emulator, org.alone)[org.successor] == "owner"
    assert roles(emulator, org.alone_too)[org.successor] == "owner"
    assert roles(emulator, org.co_owned) == {org.colleague: "owner"}
    assert pending_invites(emulator, LEAVER) == []


FAULTS = {
    "update-role-500-after": lambda o: FaultRule(
        method="POST", path=f"/organization/projects/{o.alone}/users/{o.successor}", status=500, when="after"
    ),
    "add-owner-500-after": lambda o: FaultRule(
        method="POST", path=f"/organization/projects/{o.alone_too}/users", status=500, when="after"
    ),
    "add-owner-drop-after": lambda o: FaultRule(
        method="POST", path=f"/organization/projects/{o.alone_too}/users", drop=True, when="after"
    ),
    "delete-invite-500-after": lambda o: FaultRule(
        method="DELETE", path="/organization/invites/*", status=500, when="after"
    ),
    "delete-user-500-after": lambda o: FaultRule(
        method="DELETE", path=f"/organization/users/{o.leaver}", status=500, when="after"
    ),
    "delete-user-drop-after": lambda o: FaultRule(
        method="DELETE", path=f"/organization/users/{o.leaver}", drop=True, when="after"
    ),
    "delete-user-503-before": lambda o: FaultRule(
        method="DELETE", path=f"/organization/users/{o.leaver}", status=503, when="before"
    ),
    "remove-member-500-after": lambda o: FaultRule(
        method="DELETE", path=f"/organization/projects/{o.co_owned}/users/*", status=500, when="after"
    ),
}


ORG_ONLY = {"delete-user-500-after", "delete-user-drop-after", "delete-user-503-before"}
PROJECTS_ONLY = {"remove-member-500-after"}
CASES = [
    (fault, remove)
    for fault in FAULTS
    for remove in (True, False)
    if not (fault in ORG_ONLY and not remove) and not (fault in PROJECTS_ONLY and remove)
]


@pytest.mark.parametrize(
    ("fault", "remove_from_organization"), CASES, ids=[f"{f}-{'org' if r else 'projects'}" for f, r in CASES]
)
def test_offboard_after_a_lost_response_on_a_write_converges_on_a_re_run(
    no_retry_conn: EmulatorServer, fault: str, remove_from_organization: bool
) -> None:
    emulator = no_retry_conn
    org = build_org(emulator, stale_invite=True)  # the offboarding must delete the stale invite too
    emulator.faults.add(FAULTS[fault](org))
    kwargs = {
        "email": LEAVER,
        "successor_owner": "heir@example.com",
        "remove_from_organization": remove_from_organization,
    }

    with contextlib.suppress(OpenAIAdminError):  # the task may fail on the lost response; Airflow retries it
        offboard(**kwargs)
    assert emulator.faults.stats()["injected"] == 1
    emulator.faults.clear()
    offboard(**kwargs)
    _converged(emulator, org, in_org=not remove_from_organization)
    assert emulator.log.count(route=ADD_PROJECT_USER) == 1  # never a second membership of the successor

    emulator.log.clear()
    offboard(**kwargs)
    assert emulator.log.writes() == []


def test_offboard_lost_response_on_delete_user_converges_within_the_run_when_retrying(
    admin_conn: EmulatorServer, small_org: tuple[str, list[str]]
) -> None:
    leaver, _ = small_org
    admin_conn.faults.add(FaultRule(method="DELETE", path=f"/organization/users/{leaver}", status=500, when="after"))
    report = offboard(email=LEAVER)
    assert report["removed_from_organization"] is True
    assert admin_conn.state.users.get(leaver) is None
    assert [e.status for e in admin_conn.log.entries() if e.route == DELETE_USER] == [500, 404]


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "user_id/email"),
        ({"email": LEAVER, "user_id": "user-1"}, "user_id/email"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b"}, "email"),
        ({"user_id": "user 1"}, "user_id"),
        ({"email": LEAVER, "successor_owner": "bad@@example.com"}, "successor_owner"),
        ({"email": LEAVER, "successor_owner": "user with spaces"}, "successor_owner"),
        ({"email": LEAVER, "successor_owner": LEAVER}, "successor_owner"),
        ({"user_id": "user-1", "successor_owner": "user-1"}, "successor_owner"),
        ({"email": LEAVER, "dry_run": "yes"}, "dry_run"),
        ({"email": LEAVER, "remove_from_organization": "false"}, "remove_from_organization"),
    ],
)
def test_offboard_rejects_bad_input_before_any_request(
    admin_conn: EmulatorServer, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(AirflowFailException, match=f"invalid {field}"):
        offboard(**kwargs)
    assert admin_conn.log.entries() == []


def test_template_fields_cover_every_string_input() -> None:
    assert set(OffboardUserOperator.template_fields) >= {"user_email", "user_id", "successor_owner"}


def test_dry_run_does_not_shadow_the_base_operator_dry_run_method() -> None:
    op = OffboardUserOperator(task_id="offboard", email=LEAVER, dry_run=True)
    assert op.plan_only is True
    assert callable(op.dry_run)


# -- groups and roles (docs/design.md, fact 14: access = direct membership OR a project group)


@dataclass
class GroupOrg:
    """The leaver in 3 projects only through the group ``eng`` (with a colleague), in one
    project directly, with a custom role assigned directly and another held through ``eng``."""

    leaver: str
    colleague: str
    eng: str
    through_group: list[str]
    direct: str
    direct_role: str
    group_role: str


def _role_id(emulator: EmulatorServer, name: str) -> str:
    return next(r["id"] for r in emulator.state.list_roles(limit=1000)["data"] if r["name"] == name)


def build_group_org(e: EmulatorServer, *, direct_project: bool = True) -> GroupOrg:
    state = e.state
    leaver = e.add_org_user(LEAVER, name="Leaver")["id"]
    colleague = e.add_org_user("colleague@example.com")["id"]
    eng = state.create_group("Engineering")["id"]
    for user_id in (leaver, colleague):
        state.add_group_user(eng, user_id)
    member = _role_id(e, "Project Member")
    through_group = [project(e, f"Via group {n}") for n in range(3)]
    for project_id in through_group:
        state.add_project_group(project_id, eng, member)
    direct = project(e, "Direct", **{leaver: "member", colleague: "owner"}) if direct_project else ""
    direct_role = state.create_role("Billing", ["api.organization.billing.read"])["id"]
    group_role = state.create_role("Auditor", ["api.organization.audit_logs.read"])["id"]
    state.assign_user_role(leaver, direct_role)
    state.assign_group_role(eng, group_role)
    e.log.clear()
    return GroupOrg(leaver, colleague, eng, through_group, direct, direct_role, group_role)


@pytest.fixture
def group_org(admin_conn: EmulatorServer) -> GroupOrg:
    return build_group_org(admin_conn)


def _group_members(emulator: EmulatorServer, group_id: str) -> list[str]:
    group = emulator.state.groups.get(group_id)
    assert group is not None
    return group.users.ids()


def test_offboard_from_projects_reached_only_through_a_group_leaves_no_project_reachable(
    admin_conn: EmulatorServer,
) -> None:
    """The issue's case: 3 projects only through a group, staying in the organization."""
    g = build_group_org(admin_conn, direct_project=False)
    assert admin_conn.state.projects_reachable_by(g.leaver) == set(g.through_group)

    report = offboard(email=LEAVER, remove_from_organization=False)

    assert admin_conn.state.projects_reachable_by(g.leaver) == set()
    assert admin_conn.state.users.get(g.leaver) is not None  # still in the organization
    assert _group_members(admin_conn, g.eng) == [g.colleague]
    assert admin_conn.state.projects_reachable_by(g.colleague) == set(g.through_group)  # nobody else loses access
    assert report["memberships"] == []
    assert report["removed_from_projects"] == []
    assert report["projects_through_groups"] == [
        {"project_id": p, "project_name": f"Via group {n}", "group_ids": [g.eng], "direct_member": False}
        for n, p in enumerate(g.through_group)
    ]
    assert report["groups_left"] == [{"group_id": g.eng, "group_name": "Engineering", "scim_managed": False}]
    assert report["projects_still_reachable"] == []
    assert [w.route for w in admin_conn.log.writes()] == [REMOVE_GROUP_USER, UNASSIGN_USER_ROLE]


def test_offboard_unassigns_direct_roles_and_leaves_group_held_roles_to_the_group(
    admin_conn: EmulatorServer, group_org: GroupOrg
) -> None:
    g = group_org
    held = {r["name"] for r in admin_conn.state.list_user_roles(g.leaver)["data"]}
    assert held == {"Billing", "Auditor"}

    report = offboard(email=LEAVER, remove_from_organization=False)

    assert report["roles_unassigned"] == [{"role_id": g.direct_role, "role_name": "Billing"}]
    assert admin_conn.state.direct_role_ids("user", g.leaver) == []
    assert admin_conn.state.direct_role_ids("group", g.eng) == [g.group_role]  # untouched
    assert admin_conn.state.list_user_roles(g.leaver)["data"] == []  # left the group: its role went with it
    assert admin_conn.log.count(route=UNASSIGN_USER_ROLE) == 1
    assert admin_conn.log.count(method="DELETE", route="DELETE /organization/groups/{group_id}/roles/{role_id}") == 0
    assert [w.route for w in admin_conn.log.writes()] == [REMOVE_GROUP_USER, UNASSIGN_USER_ROLE, REMOVE_PROJECT_USER]
    assert admin_conn.state.projects_reachable_by(g.leaver) == set()


def test_offboard_with_groups_makes_the_calls_its_docstring_formula_says_and_a_second_run_no_write(
    admin_conn: EmulatorServer, group_org: GroupOrg
) -> None:
    g = group_org
    admin_conn.state.create_group("Empty")  # G = 2 groups, the leaver in 1
    admin_conn.log.clear()
    active, groups, memberships, only_through_groups = 5, 2, 1, 3
    offboard(email=LEAVER, remove_from_organization=False)

    log = admin_conn.log
    assert log.count(route=LIST_GROUPS) == 1
    assert log.count(route=LIST_GROUP_USERS) == groups
    assert log.count(route=LIST_PROJECT_GROUPS) == active
    assert log.count(route=LIST_USER_ROLES) == 1
    assert log.count(route=LIST_KEYS) == memberships + only_through_groups
    writes = 1 + 1 + memberships  # group left, direct role, project membership
    assert len(log.writes()) == writes
    assert len(log.entries()) == (
        1 + 1 + 1 + active + 1 + groups + active + 1 + memberships + only_through_groups + writes
    )

    log.clear()
    again = offboard(email=LEAVER, remove_from_organization=False)
    assert log.writes() == []
    assert again["groups"] == again["groups_left"] == again["roles_unassigned"] == []
    assert again["projects_through_groups"] == []
    assert again["memberships"] == []
    assert log.count(route=LIST_PROJECT_GROUPS) == 0  # in no group: the projects' groups are not read
    assert admin_conn.state.projects_reachable_by(g.leaver) == set()


def test_offboard_removing_from_the_organization_lets_delete_user_take_groups_and_roles(
    admin_conn: EmulatorServer, group_org: GroupOrg
) -> None:
    g = group_org
    key = admin_conn.create_user_api_key(g.direct, g.leaver, name="laptop")
    admin_conn.log.clear()

    report = offboard(email=LEAVER)

    assert [w.route for w in admin_conn.log.writes()] == [DELETE_USER]
    assert admin_conn.state.users.get(g.leaver) is None
    assert _group_members(admin_conn, g.eng) == [g.colleague]
    assert admin_conn.state.projects_reachable_by(g.leaver) == set()
    assert [p["project_id"] for p in report["projects_through_groups"]] == g.through_group
    assert [x["group_id"] for x in report["groups_left"]] == [g.eng]
    assert [r["role_id"] for r in report["roles_unassigned"]] == [g.direct_role]
    assert [(k["id"], k["project_id"]) for k in report["api_keys"]] == [(key["id"], g.direct)]
    # the keys of the projects reached only through the group are looked at too (one list each)
    assert admin_conn.log.count(route=LIST_KEYS) == 1 + len(g.through_group)
    assert key["value"] not in json.dumps(report)
    assert admin_conn.use_key(key["value"]) == 401


def test_offboard_dry_run_with_groups_plans_the_group_and_role_changes_and_writes_nothing(
    admin_conn: EmulatorServer, group_org: GroupOrg
) -> None:
    g = group_org
    plan = offboard(email=LEAVER, remove_from_organization=False, dry_run=True)

    assert admin_conn.log.writes() == []
    assert [x["group_id"] for x in plan["groups_left"]] == [g.eng]
    assert [r["role_id"] for r in plan["roles_unassigned"]] == [g.direct_role]
    assert plan["removed_from_projects"] == [g.direct]
    assert plan["projects_still_reachable"] == []
    assert admin_conn.state.projects_reachable_by(g.leaver) == {*g.through_group, g.direct}
    assert admin_conn.state.direct_role_ids("user", g.leaver) == [g.direct_role]


def test_offboard_group_removal_and_role_unassignment_already_gone_is_success(
    admin_conn: EmulatorServer, group_org: GroupOrg
) -> None:
    """A lost response (500 after the change) is retried by the client; the 404 then is success."""
    g = group_org
    admin_conn.faults.add(
        FaultRule(method="DELETE", path=f"/organization/groups/{g.eng}/users/*", status=500, when="after")
    )
    admin_conn.faults.add(
        FaultRule(method="DELETE", path=f"/organization/users/{g.leaver}/roles/*", status=500, when="after")
    )

    report = offboard(email=LEAVER, remove_from_organization=False)

    assert [e.status for e in admin_conn.log.entries() if e.route == REMOVE_GROUP_USER] == [500, 404]
    assert [e.status for e in admin_conn.log.entries() if e.route == UNASSIGN_USER_ROLE] == [500, 404]
    assert report["projects_still_reachable"] == []
    assert admin_conn.state.projects_reachable_by(g.leaver) == set()


# -- SCIM-managed groups: the identity provider owns their members ---------------------------


def test_offboard_refuses_before_any_write_when_a_scim_group_would_keep_a_project_reachable(
    admin_conn: EmulatorServer, group_org: GroupOrg
) -> None:
    g = group_org
    scim = admin_conn.state.add_scim_group("Okta Data", [g.leaver])["id"]
    data = project(admin_conn, "Data")
    admin_conn.state.add_project_group(data, scim, _role_id(admin_conn, "Project Viewer"))
    admin_conn.log.clear()

    for dry_run in (True, False):
        with pytest.raises(AirflowFailException) as failure:
            offboard(email=LEAVER, remove_from_organization=False, dry_run=dry_run)
        message = str(failure.value)
        assert "'Okta Data'" in message
        assert scim in message
        assert data in message
        assert "identity provider" in message
        assert "Nothing was changed" in message
    assert admin_conn.log.writes() == []
    assert admin_conn.state.projects_reachable_by(g.leaver) == {*g.through_group, g.direct, data}
    assert _group_members(admin_conn, g.eng) == [g.leaver, g.colleague]
    assert admin_conn.state.direct_role_ids("user", g.leaver) == [g.direct_role]


def test_offboard_keeps_a_scim_group_that_reaches_no_project_and_reports_it(
    admin_conn: EmulatorServer, group_org: GroupOrg
) -> None:
    g = group_org
    scim = admin_conn.state.add_scim_group("Okta Everyone", [g.leaver, g.colleague])["id"]
    admin_conn.log.clear()

    report = offboard(email=LEAVER, remove_from_organization=False)

    assert report["groups_kept"] == [{"group_id": scim, "group_name": "Okta Everyone", "scim_managed": True}]
    assert [x["group_id"] for x in report["groups_left"]] == [g.eng]
    assert admin_conn.state.projects_reachable_by(g.leaver) == set()
    assert g.leaver in _group_members(admin_conn, scim)
    assert admin_conn.log.count(method="DELETE", route=REMOVE_GROUP_USER) == 1  # never a write to the SCIM group
    admin_conn.log.clear()
    offboard(email=LEAVER, remove_from_organization=False)
    assert admin_conn.log.writes() == []


def test_offboard_from_the_organization_succeeds_despite_a_scim_group(
    admin_conn: EmulatorServer, group_org: GroupOrg
) -> None:
    g = group_org
    scim = admin_conn.state.add_scim_group("Okta Data", [g.leaver])["id"]
    admin_conn.state.add_project_group(project(admin_conn, "Data"), scim, _role_id(admin_conn, "Project Viewer"))
    admin_conn.log.clear()

    report = offboard(email=LEAVER)

    assert [w.route for w in admin_conn.log.writes()] == [DELETE_USER]
    assert {x["group_id"] for x in report["groups_left"]} == {g.eng, scim}
    assert report["groups_kept"] == []
    assert report["projects_still_reachable"] == []
    assert admin_conn.state.projects_reachable_by(g.leaver) == set()
