"""``openai_key_rotation`` end to end: ``dag.test()`` against the emulator, with a consumer
service that reads its key from the Airflow Variable and uses it (or does not)."""

from __future__ import annotations

from typing import Any

import pendulum
import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import KeyConsumer, read_variable, run_dag, run_texts, set_variable, task_states, xcom

SECRET = "openai_search_backend_api_key"
GROUP = "rotate_entry"
MONDAY = pendulum.datetime(2026, 11, 23, 6, tz="UTC")
CREATE = "POST /organization/projects/{project_id}/service_accounts"
DELETE = "DELETE /organization/projects/{project_id}/service_accounts/{service_account_id}"


@pytest.fixture
def dag(example_dags: dict[str, Any]) -> Any:
    return example_dags["openai_key_rotation"]


def accounts(org: EmulatorServer, project_id: str) -> list[Any]:
    project = org.state.projects.get(project_id)
    assert project is not None
    return list(project.service_accounts)


def key_of(org: EmulatorServer, project_id: str, account_id: str) -> Any:
    project = org.state.projects.get(project_id)
    assert project is not None
    return next(k for k in project.api_keys if k.owner_id == account_id)


def test_rotation_lifecycle_same_run_is_idempotent_new_run_is_a_new_generation_and_grace_period_revokes(
    org: EmulatorServer, dag: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    project_id = org.state.create_project("team-search")["id"]
    conf = {"entries": [{"project_id": project_id, "service_account_name": "search-backend"}]}

    with KeyConsumer(org, SECRET) as consumer:
        # 1. The first rotation creates generation 1; the consumer picks its key up from the Variable.
        first = run_dag(dag, conf, when=MONDAY)
        assert first.state == "success", task_states(first)
        [gen1] = accounts(org, project_id)
        assert gen1.name.startswith("search-backend--20261123T060000Z-")
        stored1 = read_variable(SECRET)
        assert stored1["service_account_id"] == gen1.id
        assert stored1["api_key"] == key_of(org, project_id, gen1.id).value
        assert read_variable(SECRET + "_pending") is None
        assert xcom(first, f"{GROUP}.wait_until_new_key_used", map_index=0)["api_key_id"] == stored1["api_key_id"]
        assert [e.route for e in org.log.writes()] == [CREATE]
        assert stored1["api_key"] not in run_texts(first)

        # 2. The same DAG run again (a retry, a cleared run): nothing changes.
        org.log.clear()
        again = run_dag(dag, conf, when=MONDAY)
        assert again.state == "success", task_states(again)
        assert org.log.writes() == []
        assert [a.id for a in accounts(org, project_id)] == [gen1.id]
        assert read_variable(SECRET) == stored1

        # 3. Next week's run is a new generation; the previous one is deleted once the new key is in use.
        org.log.clear()
        second = run_dag(dag, conf, when=MONDAY.add(days=7))
        assert second.state == "success", task_states(second)
        [gen2] = accounts(org, project_id)
        assert gen2.id != gen1.id
        assert gen2.name.startswith("search-backend--20261130T060000Z-")
        stored2 = read_variable(SECRET)
        assert stored2["service_account_id"] == gen2.id
        assert stored2["previous_service_account_id"] == gen1.id
        assert [e.route for e in org.log.writes()] == [CREATE, DELETE]
        assert org.use_key(stored1["api_key"]) == 401
        assert org.use_key(stored2["api_key"]) == 200
        assert stored2["api_key_id"] in consumer.keys_used
        assert xcom(second, "report")["entries"][0]["new_key_seen_in_use"] is True

    # 4. No consumer switches this time: after the grace period the previous generation is deleted
    #    anyway. dag.test() runs a deferred trigger inline and ignores the deferral's timeout, so
    #    the wait is made to poke in the worker with a 1 s grace period (the timeout the triggerer
    #    would enforce in a real deployment).
    sensor = dag.get_task(f"{GROUP}.wait_until_new_key_used")
    monkeypatch.setattr(sensor, "deferrable", False)
    monkeypatch.setattr(sensor, "timeout", 1.0)
    monkeypatch.setattr(sensor, "poke_interval", 0.2)
    org.log.clear()
    third = run_dag(dag, conf, when=MONDAY.add(days=14))
    assert third.state == "success", task_states(third)
    states = task_states(third)
    assert states[f"{GROUP}.wait_until_new_key_used[0]"] == "skipped"
    assert states[f"{GROUP}.delete_previous_generations[0]"] == "success"
    [gen3] = accounts(org, project_id)
    assert gen3.id not in (gen1.id, gen2.id)
    assert org.use_key(stored2["api_key"]) == 401
    assert read_variable(SECRET)["service_account_id"] == gen3.id
    assert xcom(third, "report")["entries"][0]["new_key_seen_in_use"] is False


def test_rotation_entries_come_from_the_variable_and_a_failing_entry_does_not_block_the_others(
    org: EmulatorServer, dag: Any
) -> None:
    good = org.state.create_project("team-search")["id"]
    archived = org.state.create_project("old-team")["id"]
    org.state.archive_project(archived)
    set_variable(
        "openai_key_rotation_entries",
        [
            {"project_id": archived, "service_account_name": "legacy-bot", "secret_variable": "openai_legacy_api_key"},
            {"project_id": good, "service_account_name": "search-backend"},
        ],
    )

    with KeyConsumer(org, SECRET):
        run = run_dag(dag)  # no params: the scheduled runs' case

    assert run.state == "failed"
    states = task_states(run)
    assert states[f"{GROUP}.rotate[0]"] == "failed"
    assert states[f"{GROUP}.wait_until_new_key_used[0]"] == "upstream_failed"
    assert states[f"{GROUP}.delete_previous_generations[0]"] == "upstream_failed"
    assert [
        states[f"{GROUP}.{t}[1]"] for t in ("rotate", "wait_until_new_key_used", "delete_previous_generations")
    ] == ["success"] * 3
    assert states["report"] == "failed"  # ran after both entries, then failed the run
    [account] = accounts(org, good)
    assert read_variable(SECRET)["service_account_id"] == account.id
    assert read_variable("openai_legacy_api_key") is None
    assert accounts(org, archived) == []


def test_rotation_takes_over_the_team_service_account_minted_by_onboarding(
    org: EmulatorServer, example_dags: dict[str, Any], dag: Any
) -> None:
    org.add_org_user("ada@example.com")
    onboarding = {
        "email": "ada@example.com",
        "projects": [{"name": "team-search", "role": "member"}],
        "service_account": {"project": "team-search", "name": "search-backend"},
    }
    assert run_dag(example_dags["openai_onboarding"], onboarding).state == "success"
    [project] = [p for p in org.state.projects if p.name == "team-search"]
    [initial] = accounts(org, project.id)
    assert initial.name == "search-backend--initial"
    initial_key = read_variable(SECRET)["api_key"]

    with KeyConsumer(org, SECRET):
        run = run_dag(dag, {"entries": [{"project_id": project.id, "service_account_name": "search-backend"}]})

    assert run.state == "success", task_states(run)
    [rotated] = accounts(org, project.id)
    assert rotated.id != initial.id
    assert read_variable(SECRET)["previous_generation"] == "initial"
    assert org.use_key(initial_key) == 401
