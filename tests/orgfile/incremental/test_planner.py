"""The incremental plan: what it re-reads after each kind of change, and when it reads all."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.orgfile.engine import plan
from airflow_provider_openai_projects.orgfile.incremental.cache import KeyInCacheError, ReadCache, dumps, load, save
from airflow_provider_openai_projects.orgfile.incremental.follow import OVERLAP_SECONDS
from airflow_provider_openai_projects.orgfile.incremental.runner import apply_with_state, plan_with_state
from airflow_provider_openai_projects.orgfile.loader import load_document
from airflow_provider_openai_projects.testing import dashboard_change

from .conftest import PROJECTS, Small, document

AUDIT = "/organization/audit_logs"
KEYS = "/organization/admin_api_keys"


def same_as_full(small: Small, incremental: object) -> None:
    full = small.full()
    assert [c.to_dict() for c in incremental.plan.changes] == [c.to_dict() for c in full.changes]  # type: ignore[attr-defined]
    assert incremental.plan.fingerprint == full.fingerprint  # type: ignore[attr-defined]


def raise_rate_limit(small: Small, project: int, value: int = 9000) -> None:
    dashboard_change(
        small.emulator,
        small.ada,
        "POST",
        f"/v1/organization/projects/{small.projects[project]}/rate_limits/rl-gpt-4o",
        {"max_requests_per_1_minute": value},
    )


def test_a_quiet_plan_reads_only_the_audit_log_and_reuses_everything(small: Small) -> None:
    result = small.plan()

    assert result.full_read is None
    assert result.plan.reads == 0
    assert sorted(set(small.gets())) == [KEYS, AUDIT]
    assert result.plan.in_sync
    assert all(f.fresh == 0 and f.reused for f in result.families.values())
    same_as_full(small, result)


def test_a_dashboard_change_re_reads_only_that_projects_family_and_names_the_person(small: Small) -> None:
    raise_rate_limit(small, 1)
    small.emulator.log.clear()

    result = small.plan()

    reads = [p for p in small.gets() if p not in (KEYS, AUDIT)]
    assert reads == [f"/organization/projects/{small.projects[1]}/rate_limits"]
    assert result.families["rate_limits"].fresh == 1
    assert result.families["rate_limits"].reused == PROJECTS - 1
    [line] = result.drift_lines()
    assert "max_requests_per_1_minute 9000 -> 500" in line
    assert "changed by ada@example.com at " in line
    assert "(rate_limit.updated)" in line
    same_as_full(small, result)


def test_another_admin_keys_change_re_reads_the_whole_family_and_names_the_key(small: Small) -> None:
    created = small.client.create_admin_api_key(name="other-automation")
    with OpenAIAdminClient(created["value"], base_url=small.emulator.base_url, max_retries=0) as other:
        other.update_rate_limit(small.projects[2], "rl-gpt-4o", max_requests_per_1_minute=7000)
    small.emulator.log.clear()

    result = small.plan()

    rate_limit_reads = [p for p in small.gets() if p.endswith("/rate_limits")]
    assert len(rate_limit_reads) == PROJECTS  # the event names the Default project: not trusted
    assert result.families["project_users"].fresh == 0
    [line] = result.drift_lines()
    assert f'changed by key {created["id"]} "other-automation"' in line
    same_as_full(small, result)


def test_own_writes_are_re_read_but_never_reported_and_an_apply_restarts_attribution(small: Small) -> None:
    raise_rate_limit(small, 0)
    assert small.plan().attribution[0]  # attributed before the apply

    planned, applied = apply_with_state(small.client, small.spec, small.state)
    assert applied.done
    assert planned.attribution[0]
    small.emulator.log.clear()
    after = small.plan()

    assert after.plan.in_sync
    assert after.attribution == []
    assert load(small.state).events == []  # the own write was not kept as drift
    assert after.families["rate_limits"].fresh >= 1  # the apply's own event made the read stale
    same_as_full(small, after)


def test_a_late_event_within_the_overlap_window_is_not_missed(small: Small) -> None:
    position = load(small.state).position
    assert position.since is not None
    project = small.projects[3]
    small.emulator.state.update_rate_limit(project, "rl-gpt-4o", {"max_requests_per_1_minute": 42})
    small.emulator.state.seed_audit_event(  # recorded late: its time is before the cache's position
        "rate_limit.updated",
        {"id": "rl-gpt-4o", "changes_requested": {"max_requests_per_1_minute": 42}},
        effective_at=position.since - OVERLAP_SECONDS // 2,
        actor=small.emulator.state.session_actor(small.ada),
        project_id=project,
    )

    result = small.plan()

    assert [c.where for c in result.plan.changes] == ["p3"]
    same_as_full(small, result)


def test_a_change_with_no_event_is_caught_by_the_next_full_read(small: Small) -> None:
    small.emulator.state.update_rate_limit(small.projects[0], "rl-gpt-4o", {"max_requests_per_1_minute": 42})

    missed = small.plan()
    caught = small.plan(clock=lambda: time.time() + 2 * 86400)

    assert missed.plan.in_sync
    assert missed.full_read is None
    assert caught.full_read is not None
    assert "settings.full_read_every" in caught.full_read
    assert [c.where for c in caught.plan.changes] == ["p0"]
    same_as_full(small, caught)


def _garbage(small: Small) -> str:
    small.state.write_text("{not json")
    return "no usable cache (not JSON"


def _missing(small: Small) -> str:
    small.state.unlink()
    return "there is no cache yet"


def _other_file(small: Small) -> str:
    small.spec = load_document(document(), "another.yaml")
    return "another file"


def _audit_forbidden(small: Small) -> str:
    small.emulator.faults.add(FaultRule(method="GET", path="/organization/audit_logs", status=403, times=None))
    return "not readable (403)"


def _gap(small: Small) -> str:
    cache = load(small.state)
    cache.position.anchor = "audit_log-gone"
    save(small.state, cache)
    return "a gap in the log"


def _other_organization(small: Small) -> str:
    cache = load(small.state)
    cache.organization = "https://elsewhere.example/v1|key_other"
    save(small.state, cache)
    return "another organization"


def _edited(small: Small, edit: object) -> None:
    data = json.loads(small.state.read_text())
    edit(data)  # type: ignore[operator]
    small.state.write_text(json.dumps(data))


def _hostile_file_name(small: Small) -> str:
    _edited(small, lambda data: data.update(source="org.yaml\x1b]0;owned\x07\n"))
    return "another file (org.yaml\\x1b]0;owned\\x07\\x0a)"


def _hostile_value(small: Small) -> str:
    _edited(small, lambda data: data.update(full_read_at="\x1b[2J"))
    return "a field is missing or malformed (ValueError: invalid literal for int() with base 10: '\\x1b[2J')"


def _malformed_event(small: Small) -> str:
    event = {"id": "audit_log-1", "type": "project.updated", "at": "soon", "actor": {"type": "session"}}
    _edited(small, lambda data: data.update(events=[event]))
    return "an event's time is not a time"


def _id_climbing_out(small: Small) -> str:
    _edited(small, lambda data: data["reads"]["projects"][0].update(id=".."))
    return "an object's id is not an id"


def _full_read_in_the_future(small: Small) -> str:
    _edited(small, lambda data: data.update(full_read_at=int(time.time()) + 10 * 365 * 86400))
    return "the cache's last full read is in the future"


@pytest.mark.parametrize(
    "make",
    [
        _garbage,
        _missing,
        _other_file,
        _audit_forbidden,
        _gap,
        _other_organization,
        _hostile_file_name,
        _hostile_value,
        _malformed_event,
        _id_climbing_out,
        _full_read_in_the_future,
    ],
)
def test_anything_the_log_cannot_justify_means_a_full_read_said_in_one_line(small: Small, make: object) -> None:
    expected = make(small)  # type: ignore[operator]
    small.emulator.state.update_rate_limit(small.projects[0], "rl-gpt-4o", {"max_requests_per_1_minute": 42})

    result = small.plan()

    assert result.full_read is not None
    assert expected in result.full_read
    assert "\n" not in result.headline()
    assert not any(ord(c) < 0x20 for c in result.headline())  # nothing from the cache file unescaped
    assert result.headline().startswith("full read: ")
    assert all(f.reused == 0 for f in result.families.values())
    assert [c.where for c in result.plan.changes] == ["p0"]


def test_full_asks_for_a_full_read(small: Small) -> None:
    result = small.plan(full=True)

    assert result.full_read == "asked for (--full)"
    assert result.plan.reads == 3 + 2 * PROJECTS  # projects, users, pending invites (members are listed), 2 per project


def test_the_cache_never_holds_a_key(small: Small) -> None:
    raise_rate_limit(small, 1)
    small.plan()
    text = small.state.read_text()

    assert small.emulator.admin_key not in text
    assert "sk-" not in text
    json.loads(text)
    poisoned = ReadCache("org", "org.yaml", reads={"users": [{"email": "sk-admin-" + "x" * 40}]}, read_at={"users": 0})
    with pytest.raises(KeyInCacheError) as error:
        dumps(poisoned)
    assert "sk-admin" not in str(error.value)


def test_a_group_member_added_in_the_dashboard_is_followed_through_tenant_events(
    emulator: EmulatorServer, client: OpenAIAdminClient, tmp_path: Path
) -> None:
    state = emulator.state
    ada = state.add_user("ada@example.com", "Ada", "owner")["id"]
    bob = state.add_user("bob@example.com", "Bob", "reader")["id"]
    spec = load_document({"version": 1, "groups": {"eng": {"members": ["ada@example.com"]}}}, "org.yaml")
    apply_with_state(client, spec, tmp_path / "state.json")
    plan_with_state(client, spec, tmp_path / "state.json")
    group = client.list_groups()[0]["id"]
    dashboard_change(emulator, ada, "POST", f"/v1/organization/groups/{group}/users", {"user_id": bob})

    result = plan_with_state(client, spec, tmp_path / "state.json")

    assert result.full_read is None
    assert result.families["group_users"].fresh == 1
    assert result.families["groups"].reused == 1
    [line] = result.drift_lines()
    assert "bob@example.com" in line
    assert "[changed by ada@example.com at " in line
    full = plan(client, spec)
    assert [c.to_dict() for c in full.changes] == [c.to_dict() for c in result.plan.changes]
