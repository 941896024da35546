"""The pytest plugin shipped with the provider: registered by entry point, opt-in fixtures, helpers."""

from __future__ import annotations

import os
import time
from importlib.metadata import entry_points

import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook
from airflow_provider_openai_projects.testing import (
    accept_invite,
    auto_accept_invites,
    connection_json,
    pending_invite,
    seed_people,
)

PLUGIN = "airflow_provider_openai_projects.testing.pytest_plugin"


def test_the_plugin_is_registered_under_pytest11_and_loaded(pytestconfig: pytest.Config) -> None:
    registered = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert registered["openai_admin_emulator"] == PLUGIN
    plugin = pytestconfig.pluginmanager.get_plugin("openai_admin_emulator")
    assert plugin is not None
    assert plugin.__name__ == PLUGIN


def test_the_connection_fixture_points_the_default_connection_at_the_emulator(
    openai_admin_connection: str, openai_admin_emulator: EmulatorServer
) -> None:
    assert openai_admin_connection == "openai_admin_default"
    assert os.environ["AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT"] == connection_json(openai_admin_emulator)
    hook = OpenAIAdminHook()
    assert [p["name"] for p in hook.list_projects()] == ["Default project"]
    assert [(e.method, e.path, e.key_kind) for e in openai_admin_emulator.log.entries()] == [
        ("GET", "/organization/projects", "admin")
    ]


def test_the_emulator_fixture_starts_each_test_from_the_seed(openai_admin_emulator: EmulatorServer) -> None:
    assert [u["email"] for u in openai_admin_emulator.state.snapshot()["users"]] == ["owner@example.com"]
    assert openai_admin_emulator.log.entries() == []
    seed_people(openai_admin_emulator, "left-over@example.com")


def test_seeded_people_are_members_with_their_role(
    openai_admin_connection: str, openai_admin_emulator: EmulatorServer
) -> None:
    seeded = seed_people(openai_admin_emulator, "ada@example.com", "grace@example.com", role="owner")
    members = {u["email"]: u["role"] for u in OpenAIAdminHook().list_users()}
    assert [u["email"] for u in seeded] == ["ada@example.com", "grace@example.com"]
    assert members == {"owner@example.com": "owner", "ada@example.com": "owner", "grace@example.com": "owner"}


def test_accept_invite_makes_the_invitee_a_member_and_names_a_missing_invite(
    openai_admin_connection: str, openai_admin_emulator: EmulatorServer
) -> None:
    hook = OpenAIAdminHook()
    with pytest.raises(LookupError, match=r"ada@example\.com"):
        accept_invite(openai_admin_emulator, "ada@example.com")
    hook.create_invite(email="ada@example.com", role="reader")
    assert pending_invite(openai_admin_emulator, "ada@example.com") is not None
    user = accept_invite(openai_admin_emulator, "ada@example.com")
    assert user["email"] == "ada@example.com"
    assert pending_invite(openai_admin_emulator, "ada@example.com") is None
    assert [u["email"] for u in hook.list_users(emails=["ada@example.com"])] == ["ada@example.com"]


def test_auto_accept_invites_accepts_an_invite_sent_while_the_block_runs(
    openai_admin_connection: str, openai_admin_emulator: EmulatorServer
) -> None:
    hook = OpenAIAdminHook()
    joined = False
    with auto_accept_invites(openai_admin_emulator, "ada@example.com", interval=0.01) as accepted:
        hook.create_invite(email="ada@example.com", role="reader")
        for _ in range(500):
            if hook.list_users(emails=["ada@example.com"]):
                joined = True
                break
            time.sleep(0.01)
    assert joined
    assert accepted == {"ada@example.com"}
