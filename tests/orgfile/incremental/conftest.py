"""An organization of a few projects, planned through the read cache, over loopback HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.orgfile.engine import apply, plan
from airflow_provider_openai_projects.orgfile.incremental.runner import plan_with_state
from airflow_provider_openai_projects.orgfile.loader import load_document
from airflow_provider_openai_projects.orgfile.model import OrgSpec

PROJECTS = 4
MEMBERS = ("ada@example.com", "bob@example.com")


@dataclass
class Small:
    emulator: EmulatorServer
    client: OpenAIAdminClient
    spec: OrgSpec
    state: Path
    projects: list[str]
    ada: str
    """An organization owner (she makes the dashboard changes)."""
    bob: str

    def plan(self, **options: Any) -> Any:
        """An incremental plan through the cache file (which is updated)."""
        return plan_with_state(self.client, self.spec, self.state, **options)

    def full(self) -> Any:
        return plan(self.client, self.spec)

    def gets(self) -> list[str]:
        """The paths of the reads since the log was last cleared."""
        return [e.path for e in self.emulator.log.entries() if e.method == "GET"]


def document(projects: int = PROJECTS) -> dict[str, Any]:
    return {
        "version": 1,
        "projects": {
            f"p{i}": {
                "members": {"ada@example.com": "owner", "bob@example.com": "member"},
                "rate_limits": {"gpt-4o": {"max_requests_per_1_minute": 500}},
            }
            for i in range(projects)
        },
    }


@pytest.fixture
def small(emulator: EmulatorServer, client: OpenAIAdminClient, tmp_path: Path) -> Small:
    """The file applied (so the log has events), then one plan to make the cache."""
    state = emulator.state
    projects = [state.create_project(f"p{i}")["id"] for i in range(PROJECTS)]
    ada = state.add_user("ada@example.com", "Ada", "owner")["id"]
    bob = state.add_user("bob@example.com", "Bob", "reader")["id"]
    spec = load_document(document(), "org.yaml")
    apply(client, spec)
    made = Small(emulator, client, spec, tmp_path / "cache" / "org.json", projects, ada, bob)
    made.plan()
    emulator.log.clear()
    return made
