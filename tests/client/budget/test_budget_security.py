"""Issue 18, points 1, 3 and 4: a back-end's password never shown, a budget no clock can
freeze, and a ``sqlite:`` budget that is an absolute path or nothing.

The attacks: ``?password=`` and an unencoded ``#`` in the password were printed in the
unreachable-back-end error; one host an hour ahead made a correct host wait 3,600.8 s;
``sqlite:budget.db`` silently meant ``/budget.db``.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from pathlib import Path

import pytest
from airflow.sdk._shared.secrets_masker import redact

from airflow_provider_openai_projects.client.budget import (
    BudgetClockError,
    BudgetUnavailableError,
    SharedPacer,
    open_store,
    redact_url,
    url_secrets,
)
from airflow_provider_openai_projects.client.shared_pacers import forget_shared_pacers
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook
from tests.loopback import free_port

CONN_ENV = "AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT"
SECRET = "Sup3rS3cretPw"

#: Every form redis-py or libpq accepts a password in, and how it must be shown.
PASSWORD_FORMS = [
    ("redis://:{s}@127.0.0.1:{port}/0", "redis://:***@127.0.0.1:{port}/0"),
    ("redis://user:{s}@127.0.0.1:{port}/0", "redis://user:***@127.0.0.1:{port}/0"),
    ("redis://127.0.0.1:{port}/0?password={s}", "redis://127.0.0.1:{port}/0?password=***"),
    ("valkey://127.0.0.1:{port}/0?db=0&password={s}", "valkey://127.0.0.1:{port}/0?db=0&password=***"),
    ("postgresql://bob:{s}@127.0.0.1:{port}/db", "postgresql://bob:***@127.0.0.1:{port}/db"),
    ("postgresql://bob@127.0.0.1:{port}/db?password={s}", "postgresql://bob@127.0.0.1:{port}/db?password=***"),
    ("postgresql://bob@127.0.0.1:{port}/db?sslpassword={s}&sslmode=disable", "sslpassword=***&sslmode=disable"),
    ("redis://user:pa#{s}@127.0.0.1:{port}/0", "redis://user:***@127.0.0.1:{port}/0"),
    ("postgresql://bob:{s}#tail@127.0.0.1:{port}/db", "postgresql://bob:***@127.0.0.1:{port}/db"),
    ("redis://127.0.0.1:{port}/0#{s}", "redis://127.0.0.1:{port}/0#***"),
    # A password written with an unencoded '/' or '?' (a base64 password holds '/'); the driver
    # reads a piece of it as the host (lower-cased) or the port.
    ("redis://:ab/{s}@127.0.0.1:{port}/0", "redis://:***@127.0.0.1:{port}/0"),
    ("redis://user:{s}/x@127.0.0.1:{port}/0", "redis://user:***@127.0.0.1:{port}/0"),
    ("redis://{s}/x@127.0.0.1:{port}/0", "redis://:***@127.0.0.1:{port}/0"),
    ("redis://u:pw@{s}/w@127.0.0.1:{port}/0", "redis://u:***@127.0.0.1:{port}/0"),
    ("postgresql://bob:pa/{s}@127.0.0.1:{port}/db", "postgresql://bob:***@127.0.0.1:{port}/db"),
    ("postgresql://bob:pa?{s}@127.0.0.1:{port}/db", "postgresql://bob:***@127.0.0.1:{port}/db"),
    ("host=127.0.0.1 port={port} password={s}", "(***)"),
    # Written without '//' (refused as a URL, but its message shows it as written): urllib
    # sees a path there, no userinfo.
    ("redis:/:{s}@127.0.0.1:{port}/0", "(redis:/:***@127.0.0.1:{port}/0)"),
    ("redis:{s}@127.0.0.1:{port}/0", "(redis:***@127.0.0.1:{port}/0)"),
    ("postgresql:/bob:{s}@127.0.0.1:{port}/db", "(postgresql:/bob:***@127.0.0.1:{port}/db)"),
]


@pytest.mark.parametrize(
    "url",
    ["postgresql://127.0.0.1:5432/db?user=bob@server", "postgresql://u:***@127.0.0.1:5432/db?sslmode=disable&user=a@b"],
)
def test_an_at_sign_in_a_query_value_is_no_password_and_is_shown(url: str) -> None:
    assert redact_url(url) == url


def connection(emulator: EmulatorServer, **extra: object) -> str:
    return json.dumps(
        {"conn_type": "openai_admin", "host": emulator.base_url, "password": emulator.admin_key, "extra": extra}
    )


@pytest.fixture(autouse=True)
def _fresh_pacers() -> None:
    forget_shared_pacers()


@pytest.mark.parametrize(("url", "shown"), PASSWORD_FORMS)
def test_a_backend_password_in_any_form_is_redacted_in_the_error_and_masked_with_no_request(
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    url: str,
    shown: str,
) -> None:
    port = free_port()  # nothing listens there
    backend = url.format(s=SECRET, port=port)
    monkeypatch.setenv(CONN_ENV, connection(emulator, rate_limit_backend=backend))
    with caplog.at_level(logging.DEBUG), pytest.raises(BudgetUnavailableError) as caught:
        OpenAIAdminHook().list_projects()
    message = str(caught.value)
    assert "'rate_limit_backend'" in message
    assert shown.format(port=port) in message
    assert SECRET not in message
    assert SECRET not in repr(caught.value)
    # No driver exception kept in the chain: psycopg's holds the password (its pgconn), and a
    # traceback printer or error reporter walking __cause__/__context__ would show it.
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None
    assert SECRET not in repr(vars(caught.value))
    assert SECRET not in caplog.text
    assert "\n" not in message
    assert SECRET not in str(redact(f"the back-end is {backend}"))  # registered with the secrets masker
    assert emulator.log.entries() == []


def test_a_shared_pacer_and_its_store_show_no_password_in_repr(valkey_url: str) -> None:
    url = valkey_url.replace("valkey://", f"valkey://default:{SECRET}@") + f"?password={SECRET}"
    assert SECRET not in redact_url(url)
    pacer = SharedPacer(open_store(valkey_url), "conn url", 60, url=url)
    assert SECRET not in repr(pacer)
    assert SECRET not in repr(pacer.store)


@pytest.mark.parametrize(
    "url", ["sqlite:budget.db", "sqlite:///budget.db", "sqlite://host/budget.db", "sqlite:///:memory:", "sqlite:"]
)
def test_a_sqlite_budget_that_is_not_an_absolute_path_is_a_configuration_error_naming_the_extra(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.chdir("/")
    monkeypatch.setenv(CONN_ENV, connection(emulator, rate_limit_backend=url))
    with pytest.raises(BudgetUnavailableError, match=r"'rate_limit_backend'.*absolute file path: sqlite:////"):
        OpenAIAdminHook().list_projects()
    assert not Path("/budget.db").exists()
    assert emulator.log.entries() == []


def test_an_at_sign_in_a_sqlite_path_is_no_password_and_nothing_of_it_is_masked() -> None:
    # Read as a userinfo, '//srv/data/a' was shown as ***, and 'srv' and 'data' were registered
    # with the secrets masker (every log line with the word 'data' then blanked).
    url = "sqlite:////srv/data/a@b/budget.db"
    assert redact_url(url) == url
    assert url_secrets(url) == []


def test_a_sqlite_budget_with_an_absolute_path_is_created_there(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'budget.db'}")
    try:
        assert (tmp_path / "budget.db").is_file()
    finally:
        store.close()


# -- point 3: clocks ---------------------------------------------------------------------------


def skewed(seconds: float) -> float:
    return time.time() + seconds


@pytest.mark.parametrize("skew", [3600.0, -86400.0])
def test_hosts_whose_clocks_disagree_share_the_store_clock_and_keep_the_pace(
    request: pytest.FixtureRequest, skew: float
) -> None:
    for name in ("valkey_url", "postgres_url"):
        url = str(request.getfixturevalue(name))
        namespace = f"clock {name} {skew}"
        wrong = SharedPacer(open_store(url), namespace, 120, url=url, clock=lambda s=skew: skewed(s))
        right = SharedPacer(open_store(url), namespace, 120, url=url)
        assert wrong.admit_now("POST /x") == 0.0
        assert wrong.clock_offset == pytest.approx(-skew, abs=1.0)  # measured against the store's clock
        # The correct host waits one interval (0.5 s), not the wrong host's hour or day.
        assert 0.0 < right.admit_now("POST /x") <= 0.6
        assert right.reserve("POST /x") <= 0.6


def test_a_state_far_in_the_future_is_repaired_with_one_warning_naming_the_offset(
    backend_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # An old host (or a clock that jumped back) wrote a state an hour ahead of the store's clock.
    ahead = SharedPacer(open_store(backend_url), "fault", 60, url=backend_url)
    ahead._now_ms = lambda: int((time.time() + 3600) * 1000)  # type: ignore[method-assign]
    assert ahead.admit_now("POST /x") == 0.0
    ahead.cool_down("POST /y", 60)  # a cooldown ending an hour and a minute from now

    right = SharedPacer(open_store(backend_url), "fault", 60, url=backend_url, max_wait=120)
    with caplog.at_level(logging.WARNING):
        assert right.admit_now("POST /x") == 0.0
        assert right.admit_now("POST /x") == pytest.approx(0.75, abs=0.1)  # paced: an interval less the tolerance
        assert right.admit_now("POST /y") == 0.0
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2  # one per endpoint
    assert "36" in warnings[0]
    assert "clock" in warnings[0]


def test_a_queue_of_reservations_deeper_than_the_clock_fault_bound_is_kept_and_no_fault(
    backend_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # 40 slots reserved at once, one a second: the last lies 39 s ahead, beyond the 30 s a
    # state taken *now* may be ahead; a reservation may legitimately lie up to max_wait ahead.
    pacer = SharedPacer(open_store(backend_url), "queue", 60, url=backend_url, max_wait=300)
    with caplog.at_level(logging.WARNING):
        waits = [pacer.reserve("POST /x") for _ in range(40)]
    assert waits[0] == 0.0
    assert all(later - earlier == pytest.approx(1.0, abs=0.1) for earlier, later in itertools.pairwise(waits))
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_no_pacer_wait_exceeds_max_server_wait(backend_url: str) -> None:
    pacer = SharedPacer(open_store(backend_url), "cap", 60, url=backend_url, max_wait=5, sleep=pytest.fail)
    pacer.cool_down("POST /x", 20)  # a real 429 cooldown, longer than this pacer may wait
    with pytest.raises(BudgetClockError, match=r"20\.\d s before POST /x, more than max_server_wait \(5 s\)"):
        pacer.wait("POST /x")
    with pytest.raises(BudgetClockError):
        pacer.reserve("POST /x")


@pytest.mark.asyncio
async def test_the_async_clients_waits_for_one_send_are_bounded_by_max_server_wait_too(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    # The async client (every trigger) asked admit_now until it said 0, with no bound: a budget
    # that keeps asking for 2 s more (held by other hosts' 429s, a contended endpoint) was
    # waited on for ever, while the synchronous pacer stops at max_server_wait.
    from airflow_provider_openai_projects.client.aio import AsyncOpenAIAdminClient

    url = f"sqlite:///{tmp_path / 'budget.db'}"
    pacer = SharedPacer(open_store(url), "cap", 60, url=url, max_wait=5)
    waits: list[float] = []

    async def recorded(seconds: float) -> None:  # time does not pass: each ask is ~2 s again
        waits.append(seconds)
        if len(waits) > 10:
            pytest.fail(f"the async client kept waiting: {waits}")

    pacer.cool_down("GET /organization/users", 2)
    client = AsyncOpenAIAdminClient(emulator.admin_key, base_url=emulator.base_url, pacer=pacer, sleep=recorded)
    try:
        with pytest.raises(BudgetClockError, match=r"before GET /organization/users, more than max_server_wait"):
            await client.list_users()
    finally:
        await client.aclose()
    assert len(waits) == 2  # 2 + 2 s waited; a third 2 s would pass 5 s
    assert emulator.log.entries() == []


@pytest.mark.parametrize("value", [42, ["redis://x"], {"url": "redis://x"}])
def test_a_backend_that_is_not_a_string_is_one_configuration_error_naming_the_extra(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, value: object
) -> None:
    from airflow_provider_openai_projects.client.errors import ConfigurationError

    monkeypatch.setenv(CONN_ENV, connection(emulator, rate_limit_backend=value))
    with pytest.raises(ConfigurationError, match="extra 'rate_limit_backend' must be a URL string"):
        OpenAIAdminHook().list_projects()
    assert emulator.log.entries() == []


def test_the_ui_form_of_the_extra_is_the_hooks_budget_as_it_is_the_clis(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The hook read only the plain key: a connection saved with the UI's prefixed extra was
    # masked and used by the CLI, but the hook paced per process, silently.
    extra = {"extra__openai_admin__rate_limit_backend": "sqlite:budget.db"}
    monkeypatch.setenv(CONN_ENV, connection(emulator, **extra))
    with pytest.raises(BudgetUnavailableError, match=r"'rate_limit_backend' \(sqlite:budget.db\) must name an abs"):
        OpenAIAdminHook().list_projects()
    budget = tmp_path / "budget.db"
    monkeypatch.setenv(CONN_ENV, connection(emulator, extra__openai_admin__rate_limit_backend=f"sqlite:///{budget}"))
    OpenAIAdminHook().list_projects()
    assert budget.is_file()
    assert [(e.method, e.path) for e in emulator.log.entries()] == [("GET", "/organization/projects")]
