"""The org-file engine against the emulator over loopback HTTP, with a plain client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.orgfile.loader import load_document
from airflow_provider_openai_projects.orgfile.model import OrgSpec


@pytest.fixture
def client(emulator: EmulatorServer) -> Iterator[OpenAIAdminClient]:
    """A client of the (reset) emulator that does not retry: a fault is seen as it is."""
    with OpenAIAdminClient(emulator.admin_key, base_url=emulator.base_url, max_retries=0) as admin:
        yield admin


def spec(document: dict[str, Any], source: str = "org.yaml") -> OrgSpec:
    return load_document(document, source)


@dataclass
class Org:
    """A small organization made directly in the emulator's state (nothing in the log)."""

    emulator: EmulatorServer
    search: str
    ads: str
    ada: str
    bob: str
    cy: str


def seed(emulator: EmulatorServer) -> Org:
    """team-search (ada owner, bob member), team-ads (ada owner, cy member), a pending
    invite for dee to team-ads, bob reader, cy reader; team-search gpt-4o at 600 rpm."""
    state = emulator.state
    search = state.create_project("team-search")["id"]
    ads = state.create_project("team-ads")["id"]
    ada = state.add_user("ada@example.com", "Ada", "owner")["id"]
    bob = state.add_user("bob@example.com", "Bob", "reader")["id"]
    cy = state.add_user("cy@example.com", "Cy", "reader")["id"]
    state.add_project_user(search, "owner", user_id=ada)
    state.add_project_user(search, "member", user_id=bob)
    state.add_project_user(ads, "owner", user_id=ada)
    state.add_project_user(ads, "member", user_id=cy)
    state.create_invite("dee@example.com", "reader", [{"id": ads, "role": "member"}])
    state.update_rate_limit(search, "rl-gpt-4o", {"max_requests_per_1_minute": 600})
    emulator.log.clear()
    return Org(emulator, search, ads, ada, bob, cy)


@pytest.fixture
def org(emulator: EmulatorServer) -> Org:
    return seed(emulator)


def writes(emulator: EmulatorServer) -> list[str]:
    """``METHOD path`` of every write request in the log, in order."""
    return [f"{e.method} {e.path}" for e in emulator.log.writes()]


def reads(emulator: EmulatorServer) -> int:
    return sum(1 for e in emulator.log.entries() if e.method == "GET")
