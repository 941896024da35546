"""The asynchronous client follows the synchronous client's rules, over real HTTP to the emulator.

Waits are recorded (not slept) through the client's injectable async ``sleep``, so the
assertions are on the waits the client chose; errors are compared with what the
synchronous client raises for the same response.
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio

from airflow_provider_openai_projects.client import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    InvalidInputError,
    NotFoundError,
    OpenAIAdminClient,
    OpenAIAdminError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from airflow_provider_openai_projects.client.aio import AsyncOpenAIAdminClient
from airflow_provider_openai_projects.client.pacing import Pacer
from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer

from .conftest import SleepRecorder

USERS = "/organization/users"


class AsyncSleepRecorder:
    """Stands in for ``asyncio.sleep``: records the waits and only yields to the loop."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await asyncio.sleep(0)


MakeAsyncClient = Callable[..., AsyncOpenAIAdminClient]


@pytest.fixture
def async_sleeps() -> AsyncSleepRecorder:
    return AsyncSleepRecorder()


@pytest_asyncio.fixture
async def make_async_client(
    emulator: EmulatorServer, async_sleeps: AsyncSleepRecorder
) -> AsyncIterator[MakeAsyncClient]:
    made: list[AsyncOpenAIAdminClient] = []

    def make(**options: object) -> AsyncOpenAIAdminClient:
        options.setdefault("sleep", async_sleeps)
        options.setdefault("base_url", emulator.base_url)
        api_key = str(options.pop("api_key", emulator.admin_key))
        client = AsyncOpenAIAdminClient(api_key, **options)  # type: ignore[arg-type]
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


@pytest_asyncio.fixture
async def aclient(make_async_client: MakeAsyncClient) -> AsyncOpenAIAdminClient:
    return make_async_client()


def _calls(emulator: EmulatorServer, method: str, path: str) -> int:
    return sum(1 for e in emulator.log.entries() if e.method == method and e.path == path)


def _key_path(emulator: EmulatorServer, key_id: str) -> str:
    return f"/organization/projects/{emulator.state.default_project_id}/api_keys/{key_id}"


def _user_key(emulator: EmulatorServer) -> dict[str, object]:
    """A user-owned key in the default project (the seeded owner is a member there)."""
    owner = next(iter(emulator.state.users))
    return emulator.create_user_api_key(emulator.state.default_project_id, owner.id)


# -- the two endpoints ------------------------------------------------------------------


@pytest.mark.asyncio
async def test_list_users_with_emails_returns_only_those_members(
    emulator: EmulatorServer, aclient: AsyncOpenAIAdminClient
) -> None:
    emulator.add_org_user("ada@example.com")
    emulator.add_org_user("grace@example.com")
    users = await aclient.list_users(emails=["ADA@example.com"])
    assert [u["email"] for u in users] == ["ada@example.com"]
    (request,) = emulator.log.entries()
    assert request.path == USERS
    assert request.query["emails"] == ["ADA@example.com"]
    assert request.query["limit"] == ["100"]


@pytest.mark.asyncio
async def test_list_users_follows_the_cursor_through_every_page(
    emulator: EmulatorServer, aclient: AsyncOpenAIAdminClient
) -> None:
    for n in range(120):
        emulator.add_org_user(f"member{n}@example.com")
    users = await aclient.list_users()
    assert len(users) == 121  # with the seeded owner
    assert len({u["id"] for u in users}) == 121
    assert _calls(emulator, "GET", USERS) == 2
    assert emulator.log.entries()[1].query["after"] == [users[99]["id"]]


@pytest.mark.asyncio
async def test_list_users_of_an_unknown_email_is_empty(
    emulator: EmulatorServer, aclient: AsyncOpenAIAdminClient
) -> None:
    assert await aclient.list_users(emails=["nobody@example.com"]) == []


@pytest.mark.asyncio
async def test_get_project_api_key_shows_last_used_at_and_never_the_value(
    emulator: EmulatorServer, aclient: AsyncOpenAIAdminClient
) -> None:
    created = _user_key(emulator)
    before = await aclient.get_project_api_key(emulator.state.default_project_id, str(created["id"]))
    assert before["id"] == created["id"]
    assert before["last_used_at"] is None
    assert emulator.use_key(str(created["value"])) == 200
    after = await aclient.get_project_api_key(emulator.state.default_project_id, str(created["id"]))
    assert isinstance(after["last_used_at"], int)
    assert str(created["value"]) not in repr(after)
    assert after["redacted_value"] != created["value"]


@pytest.mark.asyncio
async def test_ids_are_checked_before_any_request(emulator: EmulatorServer, aclient: AsyncOpenAIAdminClient) -> None:
    with pytest.raises(InvalidInputError, match="api_key_id"):
        await aclient.get_project_api_key(emulator.state.default_project_id, " ")
    assert emulator.log.entries() == []


# -- retries and waits: the same rules as the synchronous client --------------------------


@pytest.mark.asyncio
async def test_429_with_retry_after_waits_the_servers_delay_then_succeeds(
    emulator: EmulatorServer, aclient: AsyncOpenAIAdminClient, async_sleeps: AsyncSleepRecorder
) -> None:
    emulator.faults.add(FaultRule(method="GET", path=USERS, status=429, retry_after=7, times=2))
    assert await aclient.list_users()
    assert async_sleeps.calls == pytest.approx([7.0, 7.0], abs=0.5)
    assert _calls(emulator, "GET", USERS) == 3


@pytest.mark.asyncio
async def test_429_with_retry_after_ms_is_preferred_and_read_in_milliseconds(
    emulator: EmulatorServer, aclient: AsyncOpenAIAdminClient, async_sleeps: AsyncSleepRecorder
) -> None:
    emulator.faults.add(FaultRule(method="GET", path=USERS, status=429, retry_after_ms=1500, retry_after=9))
    await aclient.list_users()
    assert async_sleeps.calls == pytest.approx([1.5], abs=0.5)


@pytest.mark.asyncio
async def test_429_with_an_http_date_retry_after_is_honoured(
    emulator: EmulatorServer, aclient: AsyncOpenAIAdminClient, async_sleeps: AsyncSleepRecorder
) -> None:
    emulator.faults.add(FaultRule(method="GET", path=USERS, status=429, retry_after_date=True, retry_after=30))
    await aclient.list_users()
    assert len(async_sleeps.calls) == 1
    assert 25 <= async_sleeps.calls[0] <= 31


@pytest.mark.asyncio
async def test_429_without_retry_after_backs_off_exponentially_with_jitter(
    emulator: EmulatorServer, make_async_client: MakeAsyncClient, async_sleeps: AsyncSleepRecorder
) -> None:
    emulator.faults.add(FaultRule(method="GET", path=USERS, status=429, times=4))
    client = make_async_client(backoff_initial=1.0, backoff_max=30.0)
    await client.list_users()
    assert len(async_sleeps.calls) == 4
    for n, waited in enumerate(async_sleeps.calls):
        assert 0.75 * 2**n - 0.05 <= waited <= 2**n
    assert _calls(emulator, "GET", USERS) == 5


@pytest.mark.asyncio
async def test_sustained_429_gives_up_after_max_retries_with_a_rate_limit_error(
    emulator: EmulatorServer, make_async_client: MakeAsyncClient, async_sleeps: AsyncSleepRecorder
) -> None:
    emulator.faults.add(FaultRule(method="GET", path=USERS, status=429, times=100))
    client = make_async_client(max_retries=3)
    with pytest.raises(RateLimitError):
        await client.list_users()
    assert _calls(emulator, "GET", USERS) == 4
    assert len(async_sleeps.calls) == 3


@pytest.mark.asyncio
async def test_retry_after_longer_than_the_cap_is_raised_with_its_hint_not_slept(
    emulator: EmulatorServer, make_async_client: MakeAsyncClient, async_sleeps: AsyncSleepRecorder
) -> None:
    emulator.faults.add(FaultRule(method="GET", path=USERS, status=429, retry_after=600))
    client = make_async_client(max_retry_wait=60)
    with pytest.raises(RateLimitError) as caught:
        await client.list_users()
    assert caught.value.retry_after == 600
    assert async_sleeps.calls == []
    assert _calls(emulator, "GET", USERS) == 1


@pytest.mark.asyncio
async def test_a_429_holds_back_every_client_sharing_the_pacer(
    emulator: EmulatorServer, make_async_client: MakeAsyncClient, async_sleeps: AsyncSleepRecorder
) -> None:
    pacer = Pacer()
    first = make_async_client(pacer=pacer)
    second = make_async_client(pacer=pacer)
    emulator.faults.add(FaultRule(method="GET", path=USERS, status=429, retry_after=20))
    await first.list_users()
    assert async_sleeps.calls == pytest.approx([20.0], abs=0.5)
    await second.list_users()  # the same endpoint: it waits out the cooldown too, without a 429
    assert len(async_sleeps.calls) == 2
    assert async_sleeps.calls[1] == pytest.approx(20.0, abs=0.5)
    assert [e.status for e in emulator.log.entries()] == [429, 200, 200]


@pytest.mark.asyncio
async def test_pacing_spaces_requests_to_the_configured_rate(
    emulator: EmulatorServer, make_async_client: MakeAsyncClient, async_sleeps: AsyncSleepRecorder
) -> None:
    client = make_async_client(requests_per_minute=30)
    for _ in range(3):
        await client.list_users(emails=["owner@example.com"])
    # Waits are recorded, not taken, so the schedule accumulates: sends at 0 s, 2 s and 4 s.
    assert async_sleeps.calls == pytest.approx([2.0, 4.0], abs=0.2)
    assert _calls(emulator, "GET", USERS) == 3


@pytest.mark.asyncio
async def test_500_on_get_is_retried(
    emulator: EmulatorServer, aclient: AsyncOpenAIAdminClient, async_sleeps: AsyncSleepRecorder
) -> None:
    key = _user_key(emulator)
    path = _key_path(emulator, str(key["id"]))
    emulator.faults.add(FaultRule(method="GET", path=path, status=500, times=2))
    got = await aclient.get_project_api_key(emulator.state.default_project_id, str(key["id"]))
    assert got["id"] == key["id"]
    assert _calls(emulator, "GET", path) == 3
    assert len(async_sleeps.calls) == 2
    assert 0.75 <= async_sleeps.calls[0] <= 1.0


@pytest.mark.asyncio
async def test_a_dropped_connection_on_get_is_retried(
    emulator: EmulatorServer, aclient: AsyncOpenAIAdminClient, async_sleeps: AsyncSleepRecorder
) -> None:
    emulator.faults.add(FaultRule(method="GET", path=USERS, drop=True))
    assert await aclient.list_users()
    assert _calls(emulator, "GET", USERS) == 2
    assert len(async_sleeps.calls) == 1


@pytest.mark.asyncio
async def test_a_read_timeout_on_get_is_retried(emulator: EmulatorServer, make_async_client: MakeAsyncClient) -> None:
    emulator.faults.add(FaultRule(method="GET", path=USERS, latency=1.5))
    client = make_async_client(timeout=0.5)
    assert await client.list_users()
    assert _calls(emulator, "GET", USERS) == 2


@pytest.mark.asyncio
async def test_400_is_not_retried(emulator: EmulatorServer, aclient: AsyncOpenAIAdminClient) -> None:
    project = emulator.state.create_project("Archived", None, None)
    emulator.state.archive_project(project["id"])
    with pytest.raises(BadRequestError, match="archived"):
        await aclient.get_project_api_key(project["id"], "key_x")
    assert len(emulator.log.entries()) == 1


def _refused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.asyncio
async def test_connection_refused_is_retried_and_reported_like_the_sync_client(
    async_sleeps: AsyncSleepRecorder,
) -> None:
    base_url = f"http://127.0.0.1:{_refused_port()}/v1"
    async with AsyncOpenAIAdminClient("sk-admin-x", base_url=base_url, max_retries=2, sleep=async_sleeps) as client:
        with pytest.raises(APIConnectionError) as caught:
            await client.list_users()
    assert caught.value.maybe_applied is False
    assert str(caught.value) == "GET /organization/users -> connection refused"
    assert len(async_sleeps.calls) == 2


# -- errors: the same classes and text as the synchronous client ---------------------------

_REQUEST_ID = re.compile(r"req_[0-9a-f]+")


def _same(error: OpenAIAdminError) -> tuple[type, str, int | None, bool]:
    status = error.status_code if isinstance(error, APIStatusError) else None
    return type(error), _REQUEST_ID.sub("req_*", str(error)), status, error.maybe_applied


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("unknown key", NotFoundError),
        ("archived project", BadRequestError),
        ("wrong admin key", AuthenticationError),
        ("project key on the admin api", PermissionDeniedError),
        ("5xx beyond retries", ServerError),
        ("throttled beyond retries", RateLimitError),
        ("connection dropped beyond retries", APIConnectionError),
    ],
)
@pytest.mark.asyncio
async def test_errors_have_the_same_class_and_text_as_the_sync_client(
    emulator: EmulatorServer,
    make_async_client: MakeAsyncClient,
    sleeps: SleepRecorder,
    case: str,
    expected: type[OpenAIAdminError],
) -> None:
    project_id = emulator.state.default_project_id
    api_key = emulator.admin_key
    key_id = "key_doesnotexist"
    if case == "archived project":
        project_id = emulator.state.create_project("Archived", None, None)["id"]
        emulator.state.archive_project(project_id)
    elif case == "wrong admin key":
        api_key = "sk-admin-not-the-right-one-0123456789"
    elif case == "project key on the admin api":
        api_key = str(_user_key(emulator)["value"])
    elif case != "unknown key":
        key_id = str(_user_key(emulator)["id"])
        fault = {
            "5xx beyond retries": {"status": 503},
            "throttled beyond retries": {"status": 429},
            "connection dropped beyond retries": {"drop": True},
        }[case]
        emulator.faults.add(FaultRule(method="GET", path=_key_path(emulator, key_id), times=None, **fault))  # type: ignore[arg-type]

    sync_client = OpenAIAdminClient(api_key, base_url=emulator.base_url, max_retries=1, sleep=sleeps)
    with pytest.raises(expected) as sync_caught:
        sync_client.get_project_api_key(project_id, key_id)
    sync_client.close()
    async_client = make_async_client(api_key=api_key, max_retries=1)
    with pytest.raises(expected) as async_caught:
        await async_client.get_project_api_key(project_id, key_id)

    assert _same(async_caught.value) == _same(sync_caught.value)
    assert api_key not in str(async_caught.value)


# -- configuration ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api_key", "options", "problem"),
    [
        ("", {}, "admin API key is required"),
        ("sk-admin with space", {}, "whitespace"),
        ("sk-admin-x", {"base_url": "http://api.example.com/v1"}, "plain http://"),
        ("sk-admin-x", {"timeout": 0}, "timeout must be a positive number"),
        ("sk-admin-x", {"max_retries": -1}, "max_retries"),
    ],
)
def test_bad_configuration_is_refused_like_the_sync_client(
    api_key: str, options: dict[str, object], problem: str
) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        AsyncOpenAIAdminClient(api_key, **options)  # type: ignore[arg-type]


def test_repr_never_shows_the_key() -> None:
    client = AsyncOpenAIAdminClient("sk-admin-secret-value-123456", base_url="http://127.0.0.1:1/v1")
    assert "secret" not in repr(client)
    assert repr(client) == "<AsyncOpenAIAdminClient base_url='http://127.0.0.1:1/v1'>"
