"""Plan, apply and export over the emulator: minimum reads and writes, safe order,
idempotence, stale and over-destructive plans refused, interrupted applies converge."""

from __future__ import annotations

import copy
from fnmatch import fnmatchcase
from typing import Any

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.orgfile import engine
from airflow_provider_openai_projects.orgfile.changes import Plan
from airflow_provider_openai_projects.orgfile.engine import ApplyError
from airflow_provider_openai_projects.orgfile.errors import OrgFileError, PlanRefusedError

from .conftest import Org, reads, seed, spec, writes

RPM = "max_requests_per_1_minute"
TPM = "max_tokens_per_1_minute"

DESIRED: dict[str, Any] = {
    "settings": {"max_destructive_changes": 5},
    "organization": {"members": {"bob@example.com": "owner"}},
    "projects": {
        "team-search": {
            "members": {
                "ada@example.com": "owner",
                "bob@example.com": "owner",
                "cy@example.com": "member",
                "eve@example.com": "member",
            },
            "rate_limits": {"gpt-4o*": {RPM: 500}},
        },
        "team-ads": {"members": {"ada@example.com": "owner", "dee@example.com": "member"}},
        "team-new": {
            "members": {"bob@example.com": "owner", "eve@example.com": "owner"},
            "rate_limits": {"gpt-4.1*": {TPM: 1000}},
        },
    },
}


def models(emulator: EmulatorServer) -> list[str]:
    return [m.id for m in emulator.state.models]


def minimum_writes(org: Org) -> int:
    """What DESIRED needs, counted from the seeded state: create team-new; invite eve (one
    invite for both projects); bob's organization role; bob promoted and cy added in
    team-search; every gpt-4o* limit whose rpm is not 500 there; cy removed from team-ads;
    bob added to team-new; every gpt-4.1* limit of team-new (all differ from 1000)."""
    state = org.emulator.state
    search_limits = state.projects.get(org.search).rate_limits
    rpm_updates = sum(
        1 for m in models(org.emulator) if fnmatchcase(m, "gpt-4o*") and search_limits.get(f"rl-{m}").limits[RPM] != 500
    )
    new_project_updates = sum(1 for m in models(org.emulator) if fnmatchcase(m, "gpt-4.1*"))
    return 1 + 1 + 1 + 2 + rpm_updates + 1 + 1 + new_project_updates


def test_plan_never_writes_and_reads_each_needed_list_once(client: OpenAIAdminClient, org: Org) -> None:
    plan = engine.plan(client, spec(DESIRED))

    assert writes(org.emulator) == []
    # projects; team-search users and rate limits; team-ads users; org users; invites (eve is new)
    assert reads(org.emulator) == plan.reads == 6
    assert plan.unmanaged_projects == 1  # the default project
    assert plan.pending == [
        {"where": "team-ads", "what": "dee@example.com", "role": "member", "status": "invite pending"}
    ]
    assert plan.fingerprint.startswith("sha256:")


def test_apply_makes_exactly_the_minimum_writes_in_a_safe_order_and_a_second_apply_none(
    client: OpenAIAdminClient, org: Org
) -> None:
    expected = minimum_writes(org)

    result = engine.apply(client, spec(DESIRED))

    done = writes(org.emulator)
    assert len(done) == result.writes == expected
    create = done.index("POST /organization/projects")
    invite = done.index("POST /organization/invites")
    removal = next(i for i, w in enumerate(done) if w.startswith("DELETE"))
    assert create < invite  # the invite references the new project: create before reference
    assert removal == len(done) - 1  # add before remove
    invite_body = next(e.body for e in org.emulator.log.writes() if e.path == "/organization/invites")
    new_id = next(p.id for p in org.emulator.state.projects if p.name == "team-new")
    assert sorted(invite_body["projects"], key=lambda g: g["id"]) == sorted(
        [{"id": org.search, "role": "member"}, {"id": new_id, "role": "owner"}], key=lambda g: g["id"]
    )
    search = org.emulator.state.projects.get(org.search)
    assert search.users.get(org.bob).role == "owner"
    assert all(
        search.rate_limits.get(f"rl-{m}").limits[RPM] == 500 for m in models(org.emulator) if m.startswith("gpt-4o")
    )
    assert org.cy not in org.emulator.state.projects.get(org.ads).users

    org.emulator.log.clear()
    again = engine.apply(client, spec(DESIRED))
    assert writes(org.emulator) == []
    assert again.writes == 0
    assert sorted(p["what"] for p in again.plan.pending) == ["dee@example.com", "eve@example.com", "eve@example.com"]


def test_export_then_plan_is_in_sync(client: OpenAIAdminClient, org: Org) -> None:
    org.emulator.state.create_project("team-search")  # a younger namesake: unmanaged
    archived = org.emulator.state.create_project("old")["id"]
    org.emulator.state.archive_project(archived)

    document = engine.export(client)
    plan = engine.plan(client, spec(document))

    assert plan.in_sync, plan.changes
    assert writes(org.emulator) == []
    assert plan.unmanaged_projects == 1
    assert document["projects"]["team-ads"]["members"] == {
        "ada@example.com": "owner",
        "cy@example.com": "member",
        "dee@example.com": "member",
    }
    assert document["projects"]["team-search"]["rate_limits"]["gpt-4o"][RPM] == 600
    assert "old" not in document["projects"]


def by_family(plan: Plan) -> dict[str, list[tuple[str, str, Any, Any]]]:
    found: dict[str, list[tuple[str, str, Any, Any]]] = {}
    for c in plan.changes:
        found.setdefault(c.family, []).append((c.where, c.what, c.before, c.after))
    return found


def test_drift_in_each_family_is_reported_field_by_field(client: OpenAIAdminClient, org: Org) -> None:
    engine.apply(client, spec(DESIRED))
    state = org.emulator.state
    new_id = next(p.id for p in state.projects if p.name == "team-new")
    state.update_rate_limit(org.search, "rl-gpt-4o-mini", {RPM: 9})
    state.update_project_user(org.search, org.ada, "member")
    state.update_user(org.bob, "reader")
    intruder = state.add_user("mallory@example.com", None, "reader")["id"]
    state.add_project_user(org.ads, "member", user_id=intruder)
    state.archive_project(new_id)
    org.emulator.log.clear()

    drift = by_family(engine.plan(client, spec(DESIRED)))

    assert writes(org.emulator) == []
    assert drift["rate_limits"] == [
        ("team-search", "gpt-4o-mini", {RPM: 9}, {RPM: 500}),
        ("team-new", "(every listed model)", None, {"gpt-4.1*": {TPM: 1000}}),  # recreated: archived behind our back
    ]
    assert ("team-search", "ada@example.com", {"role": "member"}, {"role": "owner"}) in drift["members"]
    assert ("team-ads", "mallory@example.com", {"role": "member"}, None) in drift["members"]
    assert drift["organization"] == [("organization", "bob@example.com", {"role": "reader"}, {"role": "owner"})]
    assert drift["projects"] == [("team-new", "team-new", None, {"name": "team-new"})]


def test_a_saved_plan_gone_stale_is_refused_with_no_write(client: OpenAIAdminClient, org: Org) -> None:
    saved = Plan.from_dict(engine.plan(client, spec(DESIRED)).to_dict())
    org.emulator.state.update_rate_limit(org.search, "rl-gpt-4o", {RPM: 500})  # someone fixed one by hand
    org.emulator.log.clear()

    with pytest.raises(PlanRefusedError, match="stale"):
        engine.apply(client, saved=saved)
    assert writes(org.emulator) == []


def test_a_saved_plan_still_current_is_applied_exactly(client: OpenAIAdminClient, org: Org) -> None:
    saved = Plan.from_dict(engine.plan(client, spec(DESIRED)).to_dict())
    result = engine.apply(client, saved=saved)
    assert [c.to_dict() for c in result.done] == [c.to_dict() for c in saved.changes]


def test_a_plan_over_max_destructive_changes_is_refused_with_no_write(client: OpenAIAdminClient, org: Org) -> None:
    document = copy.deepcopy(DESIRED)
    document["settings"]["max_destructive_changes"] = 1
    document["projects"]["team-search"]["members"] = {"ada@example.com": "owner"}  # removes bob
    document["projects"]["team-ads"]["archived"] = True
    del document["projects"]["team-ads"]["members"]

    with pytest.raises(PlanRefusedError, match="risky changes affect 5 objects"):
        engine.apply(client, spec(document))
    assert writes(org.emulator) == []


def test_the_last_owner_of_a_project_is_never_removed(client: OpenAIAdminClient, org: Org) -> None:
    document = {"projects": {"team-search": {"members": {"bob@example.com": "member"}}}}

    result = engine.apply(client, spec(document))

    users = org.emulator.state.projects.get(org.search).users
    assert users.get(org.ada).role == "owner"
    assert any("ada@example.com stays owner" in w for w in result.plan.warnings)
    assert writes(org.emulator) == []


def test_a_demotion_of_the_last_owner_is_not_planned(client: OpenAIAdminClient, org: Org) -> None:
    document = {"projects": {"team-search": {"members": {"ada@example.com": "member", "bob@example.com": "member"}}}}
    plan = engine.plan(client, spec(document))
    assert plan.in_sync
    assert plan.warnings


def test_an_unknown_model_is_a_file_error_before_any_write(client: OpenAIAdminClient, org: Org) -> None:
    document = {"projects": {"team-search": {"rate_limits": {"gpt-9": {RPM: 1}}}}}
    with pytest.raises(OrgFileError, match=r"org.yaml: projects\['team-search'\].rate_limits\['gpt-9'\]: matches no"):
        engine.apply(client, spec(document))
    assert writes(org.emulator) == []


def final_state(emulator: EmulatorServer) -> dict[str, Any]:
    state = emulator.state
    projects = sorted(
        (p.name, sorted((m.user_id, m.role) for m in p.users), sorted(str(r.limits) for r in p.rate_limits))
        for p in state.projects
        if not p.archived
    )
    invites = sorted((i.email, sorted(g["role"] for g in i.projects)) for i in state.invites)
    users = sorted((u.email, u.role) for u in state.users)
    return {"projects": projects, "invites": invites, "users": users}


def test_an_apply_interrupted_after_each_write_converges_on_rerun_without_duplicates(
    client: OpenAIAdminClient, emulator: EmulatorServer
) -> None:
    seed(emulator)
    engine.apply(client, spec(DESIRED))
    reference = [e.method for e in emulator.log.writes()]
    expected = final_state(emulator)
    expected["projects"] = [(n, len(m), r) for n, m, r in expected["projects"]]  # user ids differ per seed

    interrupted = 0
    for k, method in enumerate(reference):
        emulator.reset()
        seed(emulator)
        before = reference[:k].count(method)
        if before:
            emulator.faults.add(FaultRule(method=method, path="*", latency=0.001, times=before))
        emulator.faults.add(FaultRule(method=method, path="*", status=500, when="after"))
        try:
            engine.apply(client, spec(DESIRED))
        except ApplyError as error:
            done_before_failure = len(error.result.done)
            interrupted += 1
        else:
            done_before_failure = 0
        assert done_before_failure <= k
        emulator.faults.clear()
        engine.apply(client, spec(DESIRED))

        assert engine.plan(client, spec(DESIRED)).in_sync, f"interrupted after write {k + 1}"
        got = final_state(emulator)
        got["projects"] = [(n, len(m), r) for n, m, r in got["projects"]]
        assert got == expected, f"interrupted after write {k + 1} ({method})"
        assert sum(1 for p in emulator.state.projects if p.name == "team-new") == 1
    # creates recover by looking, idempotent writes by the client's retry; the rest stop the apply
    assert interrupted > 0
