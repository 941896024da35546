from __future__ import annotations

from collections.abc import Callable

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.emulator.server import EmulatorServer


class SleepRecorder:
    """Stands in for ``time.sleep`` so retry tests record the waits instead of taking them."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def make_client(emulator: EmulatorServer, sleeps: SleepRecorder) -> Callable[..., OpenAIAdminClient]:
    def make(**options: object) -> OpenAIAdminClient:
        options.setdefault("sleep", sleeps)
        return OpenAIAdminClient(emulator.admin_key, base_url=emulator.base_url, **options)  # type: ignore[arg-type]

    return make


@pytest.fixture
def client(make_client: Callable[..., OpenAIAdminClient]) -> OpenAIAdminClient:
    return make_client()
