"""What is approved is what is applied (issue 17 points 1 and 2): a saved plan is signed
with a key derived from the admin key; an edited, forged, substituted or replayed plan is
refused before any write, and a stale one names the object that moved."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.orgfile import engine
from airflow_provider_openai_projects.orgfile.digest import (
    PlanFileError,
    approval_record,
    approved_digest,
    key_of,
    open_sealed,
    parse,
    seal,
    signing_key,
)
from airflow_provider_openai_projects.orgfile.errors import PlanRefusedError

from .conftest import Org, spec, writes

REMOVE_BOB: dict[str, Any] = {"projects": {"team-search": {"members": {"ada@example.com": "owner"}}}}


def sealed_plan(client: OpenAIAdminClient, document: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(seal(engine.plan(client, spec(document)), key_of(client))))


def test_the_digest_covers_the_file_the_live_reads_and_the_changes(client: OpenAIAdminClient, org: Org) -> None:
    first = engine.plan(client, spec(REMOVE_BOB))
    again = engine.plan(client, spec(REMOVE_BOB))
    other_file = engine.plan(client, spec({**REMOVE_BOB, "settings": {"max_destructive_changes": 3}}))
    org.emulator.state.create_project("team-other")
    moved = engine.plan(client, spec(REMOVE_BOB))

    assert first.digest == again.digest
    assert first.digest.startswith("sha256:")
    assert other_file.digest != first.digest  # same changes, other file content
    assert moved.changes == first.changes
    assert moved.digest != first.digest


def test_a_key_is_never_in_a_saved_plan_and_the_signing_key_is_derived(client: OpenAIAdminClient, org: Org) -> None:
    text = json.dumps(sealed_plan(client, REMOVE_BOB))
    admin_key = org.emulator.admin_key

    assert admin_key not in text
    assert signing_key(admin_key).hex() not in text
    assert signing_key(admin_key) != admin_key.encode()


def test_a_replayed_plan_already_applied_is_stale_and_names_what_moved(client: OpenAIAdminClient, org: Org) -> None:
    saved = sealed_plan(client, REMOVE_BOB)
    engine.apply(client, saved=open_sealed(saved, key_of(client), "plan.json"))
    # An administrator adds bob back and another project appears: the organization moved on.
    org.emulator.state.add_project_user(org.search, "member", user_id=org.bob)
    org.emulator.state.create_project("team-other")
    org.emulator.log.clear()

    with pytest.raises(PlanRefusedError, match=r"stale: .*the organization's projects moved"):
        engine.apply(client, saved=open_sealed(saved, key_of(client), "plan.json"))
    assert writes(org.emulator) == []


def test_a_plan_whose_project_members_moved_names_the_project(client: OpenAIAdminClient, org: Org) -> None:
    saved = sealed_plan(client, REMOVE_BOB)
    org.emulator.state.add_project_user(org.search, "member", user_id=org.cy)
    org.emulator.log.clear()

    with pytest.raises(PlanRefusedError, match=rf"the project users of project 'team-search' \({org.search}\) moved"):
        engine.apply(client, saved=open_sealed(saved, key_of(client), "plan.json"))
    assert writes(org.emulator) == []


def test_a_stale_plan_is_refused_even_when_its_changes_are_the_same(client: OpenAIAdminClient, org: Org) -> None:
    saved = sealed_plan(client, REMOVE_BOB)
    org.emulator.state.create_project("team-other")  # read by the plan, changes no planned change
    org.emulator.log.clear()

    with pytest.raises(PlanRefusedError, match="the organization's projects moved"):
        engine.apply(client, saved=open_sealed(saved, key_of(client), "plan.json"))
    assert writes(org.emulator) == []


def test_a_plan_edited_by_hand_is_refused_with_no_request(client: OpenAIAdminClient, org: Org) -> None:
    saved = sealed_plan(
        client, {"projects": {"team-search": {"members": {"ada@example.com": "owner", "bob@example.com": "member"}}}}
    )
    edited = copy.deepcopy(saved)
    # The member made owner, in the embedded document and in the changes alike.
    edited["desired"]["projects"]["team-search"]["members"]["bob@example.com"] = "owner"
    edited["changes"] = [
        {"family": "members", "action": "update", "where": "team-search", "what": "bob@example.com",
         "before": {"role": "member"}, "after": {"role": "owner"}, "destructive": False, "phase": 41,
         "target": {"project_id": org.search, "user_id": org.bob}}
    ]  # fmt: skip
    org.emulator.log.clear()

    with pytest.raises(PlanFileError, match="edited after it was made"):
        open_sealed(edited, key_of(client), "plan.json")
    edited["digest"] = engine.Plan.from_dict(edited).digest  # the digest recomputed too: the MAC fails
    with pytest.raises(PlanFileError, match="signature does not match"):
        open_sealed(edited, key_of(client), "plan.json")
    assert org.emulator.log.entries() == []


def test_what_the_approval_shows_beside_the_changes_is_covered_too(client: OpenAIAdminClient, org: Org) -> None:
    """The approval body also shows the plan's warnings (a last owner kept), its pending invites,
    the cap and the project counts: editing any of them in a saved plan or an XCom is refused."""
    saved = sealed_plan(
        client,
        {
            "projects": {
                "team-search": {
                    "members": {"bob@example.com": "member"},  # ada, the last owner, is kept: a warning
                    "rate_limits": {"gpt-4o": {"max_requests_per_1_minute": 700}},
                },
                "team-ads": {
                    "members": {"ada@example.com": "owner", "cy@example.com": "member", "dee@example.com": "member"}
                },
            }
        },
    )
    assert saved["warnings"]
    assert saved["pending"]
    assert open_sealed(saved, key_of(client), "plan.json").warnings == saved["warnings"]
    edits: list[dict[str, Any]] = [
        {"warnings": []},
        {"pending": []},
        {"max_destructive_changes": 10**6},
        {"managed_projects": 0},
        {"unmanaged_projects": 7},
    ]
    for edit in edits:
        with pytest.raises(PlanFileError, match="edited after it was made"):
            open_sealed({**saved, **edit}, key_of(client), "plan.json")


def test_a_plan_signed_with_another_key_is_refused(client: OpenAIAdminClient, org: Org) -> None:
    saved = sealed_plan(client, REMOVE_BOB)
    with pytest.raises(PlanFileError, match="signature does not match"):
        open_sealed(saved, signing_key("sk-admin-another-organization"), "plan.json")


def test_a_substituted_plan_is_not_the_approved_one(client: OpenAIAdminClient, org: Org) -> None:
    approved = sealed_plan(
        client, {"projects": {"team-search": {"rate_limits": {"gpt-4o": {"max_requests_per_1_minute": 700}}}}}
    )
    substitute = sealed_plan(client, REMOVE_BOB)  # validly signed, but not what was approved
    org.emulator.log.clear()

    with pytest.raises(PlanRefusedError, match="is not the approved plan"):
        engine.apply(
            client, saved=open_sealed(substitute, key_of(client), "p.json"), approved_digest=approved["digest"]
        )
    assert org.emulator.log.entries() == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[1, 2]", "the top level is list, not an object"),
        ("[" * 5000 + "]" * 5000, "nested more than 64 levels deep"),
        ('{"a": ' * 100 + "1" + "}" * 100, "nested more than 64 levels deep"),
        ("{not json", "not JSON"),
        ('{"format": 2}', "not a plan: missing"),
        ('{"format": 1}', "not a plan: not a plan of format 2"),
    ],
)
def test_a_plan_file_that_is_not_a_plan_is_one_line(client: OpenAIAdminClient, text: str, problem: str) -> None:
    with pytest.raises(PlanFileError) as raised:
        open_sealed(parse(text, "plan.json"), key_of(client), "plan.json")
    assert problem in str(raised.value)
    assert "\n" not in str(raised.value)


def test_an_approval_record_binds_the_digest_to_the_run(client: OpenAIAdminClient) -> None:
    key = key_of(client)
    record = approval_record(key, "run-1", "sha256:abc", "reviewer")

    assert approved_digest(record, key, "run-1") == "sha256:abc"
    with pytest.raises(PlanFileError, match="does not match this run"):
        approved_digest(record, key, "run-2")
    with pytest.raises(PlanFileError, match="does not match this run"):
        approved_digest({**record, "digest": "sha256:other"}, key, "run-1")


def test_a_plan_sealed_for_one_dag_run_opens_only_in_that_run(client: OpenAIAdminClient, org: Org) -> None:
    """A validly signed plan of another run swapped into this run's XCom (the deployment test's
    attack, which a retried approval would otherwise ask about again) is refused; so is
    moving the run binding by hand."""
    the_plan = engine.plan(client, spec(REMOVE_BOB))
    key = key_of(client)
    run_a = json.loads(json.dumps(seal(the_plan, key, run_id="manual__a")))

    assert open_sealed(run_a, key, "xcom", run_id="manual__a").digest == the_plan.digest
    with pytest.raises(PlanFileError, match="made for another DAG run, not this one"):
        open_sealed(run_a, key, "xcom", run_id="manual__b")
    with pytest.raises(PlanFileError, match="made for another DAG run"):
        open_sealed(run_a, key, "plan.json")  # a run's plan is no saved plan for the CLI
    rebound = {**run_a, "run_id": "manual__b"}
    with pytest.raises(PlanFileError, match="signature does not match"):
        open_sealed(rebound, key, "xcom", run_id="manual__b")
    unbound = json.loads(json.dumps(seal(the_plan, key)))
    with pytest.raises(PlanFileError, match="made for no DAG run"):
        open_sealed(unbound, key, "xcom", run_id="manual__b")
    assert writes(org.emulator) == []
