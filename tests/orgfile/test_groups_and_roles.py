"""Groups, group members and roles, project groups and custom roles in the org file, over
the emulator: export -> plan in sync, drift field by field, minimum writes then none,
destructive changes counted, SCIM-managed groups and unknown roles refused before any write."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.orgfile import engine
from airflow_provider_openai_projects.orgfile.errors import OrgFileError, PlanRefusedError

from .conftest import Org, seed, spec, writes


@dataclass
class Rbac:
    org: Org
    eng: str
    idp: str
    auditor: str
    roles: dict[str, str]


def role_ids(emulator: EmulatorServer) -> dict[str, str]:
    return {r["name"]: r["id"] for r in emulator.state.list_roles()["data"]}


@pytest.fixture
def rbac(emulator: EmulatorServer) -> Rbac:
    """The conftest organization plus: group ``eng`` (ada, bob; role Reader) with Project
    Member access to team-search; SCIM group ``idp`` (cy); custom role ``auditor``."""
    org = seed(emulator)
    state = emulator.state
    auditor = state.create_role("auditor", ["api.organization.read"], "reads everything")["id"]
    roles = role_ids(emulator)
    eng = state.create_group("eng")["id"]
    state.add_group_user(eng, org.ada)
    state.add_group_user(eng, org.bob)
    state.assign_group_role(eng, roles["Reader"])
    state.add_project_group(org.search, eng, roles["Project Member"])
    idp = state.add_scim_group("idp", [org.cy])["id"]
    emulator.log.clear()
    return Rbac(org, eng, idp, auditor, roles)


def exported(client: OpenAIAdminClient, rbac: Rbac) -> dict[str, Any]:
    document = engine.export(client)
    rbac.org.emulator.log.clear()
    return document


def test_export_then_plan_is_in_sync_with_groups_and_roles(client: OpenAIAdminClient, rbac: Rbac) -> None:
    document = exported(client, rbac)
    document["projects"]["team-search"]["groups"] = {"eng": "Project Member"}  # export cannot see the role

    plan = engine.plan(client, spec(document))

    assert plan.in_sync, plan.changes
    assert writes(rbac.org.emulator) == []
    assert document["groups"] == {
        "eng": {"members": ["ada@example.com", "bob@example.com"], "roles": ["Reader"]},
        "idp": {"members": ["cy@example.com"], "roles": []},
    }
    assert document["roles"] == {
        "auditor": {"permissions": ["api.organization.read"], "description": "reads everything"}
    }


def test_drift_in_groups_and_roles_is_reported_field_by_field(client: OpenAIAdminClient, rbac: Rbac) -> None:
    document = exported(client, rbac)
    document["projects"]["team-search"]["groups"] = {"eng": "Project Member"}
    state = rbac.org.emulator.state
    state.update_role(rbac.auditor, permissions=["api.organization.read", "api.groups.write"])
    state.remove_group_user(rbac.eng, rbac.org.bob)
    state.add_group_user(rbac.eng, rbac.org.cy)
    state.unassign_group_role(rbac.eng, rbac.roles["Reader"])
    state.remove_project_group(rbac.org.search, rbac.eng)
    rbac.org.emulator.log.clear()

    plan = engine.plan(client, spec(document))

    assert writes(rbac.org.emulator) == []
    drift = {(c.family, c.action, c.where, c.what, str(c.before), str(c.after)) for c in plan.changes}
    assert drift == {
        (
            "roles",
            "update",
            "organization",
            "auditor",
            str({"permissions": ["api.groups.write", "api.organization.read"]}),
            str({"permissions": ["api.organization.read"]}),
        ),
        ("groups", "add", "group eng", "bob@example.com", "None", str({"member": True})),
        ("groups", "remove", "group eng", "cy@example.com", str({"member": True}), "None"),
        ("groups", "add", "group eng", "role Reader", "None", str({"role": "Reader"})),
        ("project_groups", "add", "team-search", "eng", "None", str({"role": "Project Member"})),
    }
    # cy leaves eng; auditor loses api.groups.write (a demotion)
    assert plan.destructive_count == 2


def test_apply_makes_the_minimum_writes_in_a_safe_order_and_a_second_apply_none(
    client: OpenAIAdminClient, rbac: Rbac
) -> None:
    document = exported(client, rbac)
    document["roles"]["auditor"]["permissions"] = ["api.organization.read", "api.groups.read"]  # 1 update
    document["roles"]["billing"] = {"permissions": ["api.organization.read"]}  # 1 create
    document["groups"]["eng"] = {"members": ["ada@example.com", "cy@example.com"], "roles": ["Reader", "billing"]}
    document["groups"]["ops"] = {"members": ["bob@example.com"], "roles": ["auditor"]}  # create, add, assign
    document["projects"]["team-search"]["groups"] = {"eng": "Project Member", "ops": "Project Viewer"}  # 1 add
    document["projects"]["team-ads"]["groups"] = {}  # none now, none wanted
    # eng: add cy, remove bob (destructive), assign billing
    minimum = 1 + 1 + 3 + 3 + 1

    result = engine.apply(client, spec(document))

    sent = writes(rbac.org.emulator)
    assert result.writes == len(sent) == minimum
    assert result.plan.destructive_count == 2  # bob removed from eng; auditor gaining api.groups.read
    creates = [i for i, w in enumerate(sent) if w in ("POST /organization/roles", "POST /organization/groups")]
    assert creates == [0, 1]  # created before anything references them
    assert sent[-1] == f"DELETE /organization/groups/{rbac.eng}/users/{rbac.org.bob}"  # removals last
    state = rbac.org.emulator.state
    ops = next(g["id"] for g in state.list_groups()["data"] if g["name"] == "ops")
    assert [u["email"] for u in state.list_group_users(ops)["data"]] == ["bob@example.com"]
    assert {r["name"] for r in state.list_group_roles(ops)["data"]} == {"auditor"}
    assert {g["group_name"] for g in state.list_project_groups(rbac.org.search)["data"]} == {"eng", "ops"}

    rbac.org.emulator.log.clear()
    again = engine.apply(client, spec(document))
    assert again.writes == 0
    assert writes(rbac.org.emulator) == []


def test_destructive_group_and_role_changes_count_against_max_destructive_changes(
    client: OpenAIAdminClient, rbac: Rbac
) -> None:
    document = exported(client, rbac)
    document["settings"]["max_destructive_changes"] = 2
    document["groups"]["eng"] = {"absent": True}
    document["roles"]["auditor"] = {"absent": True}
    document["projects"]["team-search"]["groups"] = {}  # eng loses access

    plan = engine.plan(client, spec(document))
    assert plan.destructive_count == 3
    with pytest.raises(PlanRefusedError, match="risky changes affect 3 objects"):
        engine.apply(client, spec(document))
    assert writes(rbac.org.emulator) == []

    document["settings"]["max_destructive_changes"] = 3
    engine.apply(client, spec(document))
    assert sorted(writes(rbac.org.emulator)) == sorted(
        [
            f"DELETE /organization/projects/{rbac.org.search}/groups/{rbac.eng}",
            f"DELETE /organization/groups/{rbac.eng}",
            f"DELETE /organization/roles/{rbac.auditor}",
        ]
    )


def test_a_file_changing_a_scim_managed_group_is_refused_in_the_plan(client: OpenAIAdminClient, rbac: Rbac) -> None:
    document = exported(client, rbac)
    changed = copy.deepcopy(document)
    changed["groups"]["idp"]["members"] = ["cy@example.com", "ada@example.com"]

    with pytest.raises(OrgFileError, match=r"groups\.idp\.members: the group is SCIM-managed"):
        engine.apply(client, spec(changed))
    deleted = copy.deepcopy(document)
    deleted["groups"]["idp"] = {"absent": True}
    with pytest.raises(OrgFileError, match=r"groups\.idp\.absent: the group is SCIM-managed"):
        engine.plan(client, spec(deleted))
    assert writes(rbac.org.emulator) == []

    document["groups"]["idp"]["roles"] = ["Reader"]  # roles of a SCIM group stay ours
    assert engine.apply(client, spec(document)).writes == 1


def test_an_unknown_role_is_a_file_error_naming_the_path_before_any_write(
    client: OpenAIAdminClient, rbac: Rbac
) -> None:
    document = exported(client, rbac)
    document["groups"]["eng"]["roles"] = ["Reader", "Nope"]
    with pytest.raises(OrgFileError, match=r"groups\.eng\.roles\[1\]: no organization role is named 'Nope'"):
        engine.plan(client, spec(document))
    document["groups"]["eng"]["roles"] = ["Reader"]
    document["projects"]["team-ads"]["groups"] = {"eng": "Owner"}
    with pytest.raises(OrgFileError, match=r"groups\.eng: 'Owner' is not a project role"):
        engine.plan(client, spec(document))
    document["projects"]["team-ads"]["groups"] = {}
    document["roles"]["Owner"] = {"permissions": ["x"]}
    with pytest.raises(OrgFileError, match=r"roles\.Owner: a predefined role cannot be declared"):
        engine.plan(client, spec(document))
    assert writes(rbac.org.emulator) == []


def test_a_role_create_looks_the_name_up_first_and_takes_an_existing_role_as_done(
    client: OpenAIAdminClient, rbac: Rbac
) -> None:
    """Role names are unique ("Unique name for the role"): a create finds the role first."""
    from airflow_provider_openai_projects.orgfile.handlers.roles import create_role_once

    made_meanwhile = rbac.org.emulator.state.create_role("billing", ["api.organization.read"])["id"]
    rbac.org.emulator.log.clear()

    role = create_role_once(client, "billing", {"permissions": ["api.organization.read"]})

    assert role["id"] == made_meanwhile
    assert writes(rbac.org.emulator) == []
    assert [r["id"] for r in rbac.org.emulator.state.list_roles()["data"] if r["name"] == "billing"] == [made_meanwhile]


def test_a_role_create_whose_response_is_lost_leaves_one_role(client: OpenAIAdminClient, rbac: Rbac) -> None:
    from airflow_provider_openai_projects.emulator.faults import FaultRule

    document = exported(client, rbac)
    document["roles"]["billing"] = {"permissions": ["api.organization.read"]}
    rbac.org.emulator.faults.add(FaultRule(method="POST", path="/organization/roles", status=500, when="after"))

    engine.apply(client, spec(document))

    assert [r["name"] for r in rbac.org.emulator.state.list_roles()["data"]].count("billing") == 1
    assert engine.plan(client, spec(document)).in_sync


def test_adding_a_person_to_a_group_the_file_makes_owner_is_critical_and_capped(
    client: OpenAIAdminClient, rbac: Rbac
) -> None:
    """eng holds Owner: a member added to it becomes an organization owner (was level none, so
    a plan of such adds passed any cap and could be approved automatically)."""
    from airflow_provider_openai_projects.orgfile.render import plan_table
    from airflow_provider_openai_projects.orgfile.risk import assess

    rbac.org.emulator.state.assign_group_role(rbac.eng, rbac.roles["Owner"])
    rbac.org.emulator.log.clear()
    eng = {"members": ["ada@example.com", "bob@example.com", "cy@example.com"], "roles": ["Reader", "Owner"]}
    document = {"settings": {"max_destructive_changes": 0}, "groups": {"eng": eng}}

    plan = engine.plan(client, spec(document))

    [add] = plan.changes
    assert (add.action, add.what, add.after, assess(add).level) == (
        "add",
        "cy@example.com",
        {"member": True, "owner_via_group": ["Owner"]},
        "critical",
    )
    assert 'owner_via_group ["Owner"] (new)' in plan_table(plan)
    with pytest.raises(PlanRefusedError, match="risky changes affect 1 objects"):
        engine.apply(client, spec(document))
    assert writes(rbac.org.emulator) == []
