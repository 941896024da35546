"""An organization and an org file that touch every family of the org file, with a create,
an update and a removal where the family has them (shared by the read-count and the
interrupted-apply tests)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import Org, seed

RPM = "max_requests_per_1_minute"
TPM = "max_tokens_per_1_minute"


@dataclass
class Everything:
    org: Org
    old: str
    eng: str
    auditor: str


def seed_everything(emulator: EmulatorServer) -> Everything:
    """The conftest organization (team-search, team-ads, ada, bob, cy, dee invited) plus:
    project team-old; team-ads allowed only gpt-4o; custom roles auditor and legacy; group
    eng (ada, bob; role Reader) with Project Member access to team-search; group old-team."""
    org = seed(emulator)
    state = emulator.state
    old = state.create_project("team-old")["id"]
    state.update_project_model_permissions(org.ads, "allow_list", ["gpt-4o"])
    auditor = state.create_role("auditor", ["api.organization.read"], "reads everything")["id"]
    state.create_role("legacy", ["api.organization.read"])
    roles = {r["name"]: r["id"] for r in state.list_roles()["data"]}
    eng = state.create_group("eng")["id"]
    state.add_group_user(eng, org.ada)
    state.add_group_user(eng, org.bob)
    state.assign_group_role(eng, roles["Reader"])
    state.add_project_group(org.search, eng, roles["Project Member"])
    state.create_group("old-team")
    emulator.log.clear()
    return Everything(org, old, eng, auditor)


#: The file. Per family (c = create, u = update, r = remove):
#: projects c team-new, r (archive) team-old; members u bob owner in team-search, c cy there,
#: r cy from team-ads, c bob in team-new; organization u bob owner, c invite eve; rate limits
#: u gpt-4o* in team-search, c the gpt-4.1* limits of team-new; roles c billing, u auditor,
#: r legacy; groups c ops (+ bob, + role auditor), eng + cy, - bob, + billing, - Reader,
#: r old-team; project groups r eng from team-search, c ops there, c eng in team-new; model
#: permissions u team-search, r (reset) team-ads, c team-new; hosted tools u team-search, c
#: team-new; data retention u organization, u team-search, c team-new.
DOCUMENT: dict[str, Any] = {
    "settings": {"max_destructive_changes": 20},
    "organization": {"members": {"bob@example.com": "owner"}, "data_retention": "zero_data_retention"},
    "roles": {
        "billing": {"permissions": ["api.organization.read"]},
        "auditor": {"permissions": ["api.organization.read", "api.groups.read"]},
        "legacy": {"absent": True},
    },
    "groups": {
        "eng": {"members": ["ada@example.com", "cy@example.com"], "roles": ["billing"]},
        "ops": {"members": ["bob@example.com"], "roles": ["auditor"]},
        "old-team": {"absent": True},
    },
    "projects": {
        "team-search": {
            "members": {"ada@example.com": "owner", "bob@example.com": "owner", "cy@example.com": "member"},
            "rate_limits": {"gpt-4o*": {RPM: 500}},
            "groups": {"ops": "Project Viewer"},
            "model_permissions": {"mode": "allow_list", "model_ids": ["gpt-4o", "gpt-4o-mini"]},
            "hosted_tools": {"web_search": False},
            "data_retention": "zero_data_retention",
        },
        "team-ads": {
            "members": {"ada@example.com": "owner", "dee@example.com": "member"},
            "model_permissions": "reset",
        },
        "team-old": {"archived": True},
        "team-new": {
            "members": {"bob@example.com": "owner", "eve@example.com": "member"},
            "rate_limits": {"gpt-4.1*": {TPM: 1000}},
            "groups": {"eng": "Project Member"},
            "model_permissions": {"mode": "deny_list", "model_ids": ["gpt-4.1"]},
            "hosted_tools": {"file_search": False},
            "data_retention": "none",
        },
    },
}


def minimum_writes(emulator: EmulatorServer) -> int:
    """The writes DOCUMENT needs from :func:`seed_everything`'s state, counted by family."""
    models = [m.id for m in emulator.state.models]
    gpt_4o = sum(1 for m in models if m.startswith("gpt-4o"))  # all at another rpm than 500
    gpt_41 = sum(1 for m in models if m.startswith("gpt-4.1"))
    projects = 2  # create team-new, archive team-old
    members = 4  # bob promoted, cy added (team-search); cy removed (team-ads); bob added (team-new)
    organization = 2  # bob's role; one invite of eve (to team-new)
    rate_limits = gpt_4o + gpt_41
    roles = 3  # create billing, update auditor, delete legacy
    groups = 1 + 2 + 4 + 1  # create ops, add bob + assign auditor; eng +cy -bob +billing -Reader; delete old-team
    project_groups = 3  # remove eng and add ops (team-search), add eng (team-new)
    model_permissions = 3  # team-search, reset team-ads, team-new
    hosted_tools = 2
    data_retention = 3
    return (
        projects
        + members
        + organization
        + rate_limits
        + roles
        + groups
        + project_groups
        + model_permissions
        + hosted_tools
        + data_retention
    )
