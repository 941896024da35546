"""Risk, not just "destructive" (issue 17 points 5 and 6): demotions, escalations (a custom
role gaining permissions), narrowing, money and owners counted; the cap counts objects; the
last organization owner is never demoted; a pending invite that would bypass a project's
authoritative members is in the plan."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.orgfile import engine
from airflow_provider_openai_projects.orgfile.changes import Change
from airflow_provider_openai_projects.orgfile.errors import PlanRefusedError
from airflow_provider_openai_projects.orgfile.risk import assess, objects_affected

from .conftest import Org, spec, writes


def change(family: str, action: str, before: Any, after: Any, **target: Any) -> Change:
    return Change(family, action, "team-x", "x", before, after, action in ("remove", "archive"), 50, target=target)


@pytest.mark.parametrize(
    ("the_change", "label"),
    [
        (change("members", "update", {"role": "owner"}, {"role": "member"}), "critical: owners, demotion"),
        (change("organization", "update", {"role": "reader"}, {"role": "owner"}), "critical: owners"),
        (
            change("organization", "invite", None, {"role": "reader", "projects": {"team-x": "owner"}}),
            "critical: owners",
        ),
        (change("members", "add", None, {"role": "member"}), "none"),
        (change("groups", "add", None, {"role": "Owner"}), "critical: owners"),
        (change("project_groups", "add", None, {"role": "Project Owner"}), "critical: owners"),
        (change("project_groups", "add", None, {"role": "Project Member"}), "none"),
        (change("roles", "update", {"permissions": ["a", "b"]}, {"permissions": ["a"]}), "risky: demotion"),
        (change("roles", "update", {"permissions": ["a"]}, {"permissions": ["a", "b"]}), "risky: escalation"),
        (change("roles", "update", {"permissions": ["a"]}, {"permissions": ["b"]}), "risky: demotion, escalation"),
        (change("roles", "update", {"description": "old"}, {"description": "new"}), "none"),
        (change("roles", "create", None, {"permissions": ["a", "b"]}), "none"),
        (change("hosted_tools", "update", {"web_search": True}, {"web_search": False}), "risky: narrowing"),
        (
            change(
                "model_permissions",
                "update",
                {"model_ids": ["gpt-4o", "o3"]},
                {"model_ids": []},
                set={"mode": "allow_list", "model_ids": []},
            ),
            "risky: narrowing",
        ),
        (
            change(
                "model_permissions",
                "update",
                {"mode": "allow_list"},
                {"mode": "deny_list"},
                set={"mode": "deny_list", "model_ids": ["gpt-4o", "o3"]},
            ),
            "risky: narrowing",
        ),
        (
            change(
                "model_permissions",
                "update",
                {"mode": "allow_list", "model_ids": ["gpt-4o"]},
                {"mode": "deny_list", "model_ids": ["o3"]},
                set={"mode": "deny_list", "model_ids": ["o3"]},
            ),
            "none",
        ),
        (
            change(
                "model_permissions",
                "update",
                {"mode": "deny_list"},
                {"mode": "allow_list"},
                set={"mode": "allow_list", "model_ids": ["gpt-4o"]},
            ),
            "risky: narrowing",
        ),
        (
            change(
                "model_permissions",
                "update",
                {"model_ids": ["o3"]},
                {"model_ids": []},
                set={"mode": "deny_list", "model_ids": []},
            ),
            "none",
        ),
        (change("spend_limit", "update", {"threshold_amount": 100}, {"threshold_amount": 2**63 - 1}), "risky: money"),
        (change("spend_limit", "update", {"threshold_amount": None}, {"threshold_amount": 100}), "none"),
        (change("spend_alerts", "update", {"recipients": ["a@x.co"]}, {"recipients": ["b@x.co"]}), "risky: money"),
        (
            change("certificates", "remove", {"active": True}, {"active": False}, certificate_ids=list("abcd")),
            "risky: removal",
        ),
    ],
)
def test_every_change_carries_a_risk_from_before_and_after(the_change: Change, label: str) -> None:
    assert assess(the_change).label() == label


def test_the_cap_counts_objects_not_changes() -> None:
    batch = change("certificates", "remove", {"active": True}, {"active": False}, certificate_ids=list("abcd"))
    accounts = Change("service_accounts", "remove", "p", "ci", {"accounts": ["ci", "ci", "ci"]}, None, True, 60)
    assert (objects_affected(batch), objects_affected(accounts)) == (4, 3)


def test_demoting_owners_counts_against_the_cap_with_no_write(client: OpenAIAdminClient, org: Org) -> None:
    org.emulator.state.update_project_user(org.ads, org.cy, "owner")  # the file demotes cy to member
    org.emulator.log.clear()
    document = {
        "settings": {"max_destructive_changes": 0},
        "projects": {
            "team-ads": {
                "members": {"ada@example.com": "owner", "cy@example.com": "member", "dee@example.com": "member"}
            }
        },
    }

    with pytest.raises(PlanRefusedError, match="risky changes affect 1 objects"):
        engine.apply(client, spec(document))
    assert writes(org.emulator) == []


def test_a_role_gaining_a_permission_is_risky_and_counts_against_the_cap_with_no_write(
    client: OpenAIAdminClient, org: Org
) -> None:
    state = org.emulator.state
    auditor = state.create_role("auditor", ["api.organization.read"], None)["id"]
    state.assign_group_role(state.create_group("ops")["id"], auditor)  # who would gain it
    org.emulator.log.clear()
    document: dict[str, Any] = {
        "settings": {"max_destructive_changes": 0},
        "roles": {"auditor": {"permissions": ["api.organization.read", "api.groups.write"]}},
    }

    [gain] = engine.plan(client, spec(document)).changes
    assert assess(gain).label() == "risky: escalation"
    with pytest.raises(PlanRefusedError, match="risky changes affect 1 objects"):
        engine.apply(client, spec(document))
    assert writes(org.emulator) == []

    document["settings"]["max_destructive_changes"] = 1
    engine.apply(client, spec(document))
    assert writes(org.emulator) == [f"POST /organization/roles/{auditor}"]
    assert sorted(state.get_role(auditor)["permissions"]) == ["api.groups.write", "api.organization.read"]


def test_a_new_role_with_permissions_is_a_create_of_no_risk(client: OpenAIAdminClient, org: Org) -> None:
    document = {
        "settings": {"max_destructive_changes": 0},
        "roles": {"billing": {"permissions": ["api.organization.read", "api.groups.write"]}},
    }

    [create] = engine.plan(client, spec(document)).changes
    assert (create.action, assess(create).label()) == ("create", "none")
    engine.apply(client, spec(document))
    assert writes(org.emulator) == ["POST /organization/roles"]


def test_the_last_organization_owner_is_never_demoted_whatever_the_cap(client: OpenAIAdminClient, org: Org) -> None:
    owners = sorted(u.email for u in org.emulator.state.users if u.role == "owner")
    assert len(owners) == 2  # the organization's owner and ada
    document = {
        "settings": {"max_destructive_changes": 100},
        "organization": {"members": dict.fromkeys(owners, "reader")},
    }

    with pytest.raises(PlanRefusedError, match="demotes the organization's last owner"):
        engine.plan(client, spec(document))
    assert writes(org.emulator) == []
    # Demoting one of the two is a critical change, planned.
    [demotion] = engine.plan(client, spec({"organization": {"members": {"ada@example.com": "reader"}}})).changes
    assert assess(demotion).label() == "critical: owners, demotion"


def test_a_pending_invite_giving_an_outsider_owner_of_an_authoritative_project_is_deleted(
    client: OpenAIAdminClient, org: Org
) -> None:
    org.emulator.state.create_invite("mallory@evil.example", "reader", [{"id": org.search, "role": "owner"}])
    org.emulator.log.clear()
    document = {"projects": {"team-search": {"members": {"ada@example.com": "owner", "bob@example.com": "member"}}}}

    plan = engine.plan(client, spec(document))

    assert not plan.in_sync
    [revoke] = plan.changes
    assert (revoke.action, revoke.where, revoke.what, assess(revoke).level) == (
        "remove",
        "team-search",
        "mallory@evil.example",
        "critical",
    )
    with pytest.raises(PlanRefusedError, match="risky changes affect 1 objects"):
        engine.apply(client, spec({**document, "settings": {"max_destructive_changes": 0}}))
    assert writes(org.emulator) == []

    engine.apply(client, spec(document))
    assert [w.split(" ")[0] for w in writes(org.emulator)] == ["DELETE"]
    assert not [i for i in client.list_invites() if i["email"] == "mallory@evil.example" and i["status"] == "pending"]
    assert engine.plan(client, spec(document)).in_sync


def test_a_pending_invite_with_another_role_is_replaced_by_the_files(
    client: OpenAIAdminClient, emulator: EmulatorServer, org: Org
) -> None:
    # dee is invited as a member of team-ads; the file says owner: the invite is deleted, then sent anew.
    document = {
        "projects": {
            "team-ads": {
                "members": {"ada@example.com": "owner", "cy@example.com": "member", "dee@example.com": "owner"}
            }
        }
    }

    plan = engine.plan(client, spec(document))

    assert [(c.family, c.action, c.what) for c in plan.changes] == [
        ("members", "remove", "dee@example.com"),
        ("organization", "invite", "dee@example.com"),
    ]
    engine.apply(client, spec(document))
    pending = [i for i in client.list_invites() if i["status"] == "pending" and i["email"] == "dee@example.com"]
    assert [p["role"] for i in pending for p in i["projects"]] == ["owner"]


def test_a_pending_invite_as_organization_owner_of_someone_the_file_makes_reader_is_replaced(
    client: OpenAIAdminClient, org: Org
) -> None:
    """The plan listed the invite as "pending ... as reader" (the file's role), in sync: once
    accepted, the invite made them an organization owner."""
    org.emulator.state.create_invite("eve@example.com", "owner", [])
    org.emulator.log.clear()
    document = {"organization": {"members": {"eve@example.com": "reader"}}}

    plan = engine.plan(client, spec(document))

    assert [(c.family, c.action, c.what, assess(c).level) for c in plan.changes] == [
        ("members", "remove", "eve@example.com", "critical"),
        ("organization", "invite", "eve@example.com", "none"),
    ]
    assert plan.pending == []
    with pytest.raises(PlanRefusedError, match="risky changes affect 1 objects"):
        engine.apply(client, spec({**document, "settings": {"max_destructive_changes": 0}}))
    assert writes(org.emulator) == []
    engine.apply(client, spec(document))
    pending = [i for i in client.list_invites() if i["status"] == "pending" and i["email"] == "eve@example.com"]
    assert [i["role"] for i in pending] == ["reader"]
    assert engine.plan(client, spec(document)).in_sync


def test_a_leaver_whose_projects_are_handed_over_is_critical_and_counts_every_object_it_touches() -> None:
    from airflow_provider_openai_projects.orgfile.changes import Change
    from airflow_provider_openai_projects.orgfile.risk import assess, objects_affected

    before = {"status": "leaver", "projects": ["legacy", "search"], "groups": [], "handed_over_to": "mgr@example.com"}
    leaver = Change(
        "people", "remove", "organization", "lee@example.com", before, None, True, 62, target={"objects": 4}
    )
    kept = Change(
        "people", "remove", "organization", "ola@example.com", {**before, "handed_over_to": None}, None, True, 62
    )

    assert assess(leaver).label() == "critical: owners, removal"
    assert objects_affected(leaver) == 4
    assert assess(kept).label() == "risky: removal"
    assert objects_affected(kept) == 1
