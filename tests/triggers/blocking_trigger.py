"""A trigger that does what no trigger may: sleeps on the event loop and imports a module
there. ``test_event_loop_lag.py`` runs it through the probe to prove the probe catches both."""

from __future__ import annotations

import importlib
import time
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects.triggers.organization_user import OrganizationUserTrigger

if TYPE_CHECKING:
    from airflow_provider_openai_projects.client.aio import AsyncOpenAIAdminClient

BLOCK_SECONDS = 0.3


class BlockingTrigger(OrganizationUserTrigger):
    """:class:`OrganizationUserTrigger` whose poll first blocks the loop (``time.sleep``) and
    imports a module on it."""

    async def poll(self, client: AsyncOpenAIAdminClient) -> dict[str, Any] | None:
        time.sleep(BLOCK_SECONDS)  # the blocking call under test
        importlib.import_module("tests.triggers.imported_on_the_loop")
        return await super().poll(client)
