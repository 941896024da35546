"""Guarantee 4, bad input: one clear error naming the field, before any write, nothing changed.

One table over every operator, both sensors, the hook and the connection. Each row is a bad
input and the field its error must name. Three kinds of rows:

- ``LOCAL``: checked before any request (names, roles, limits, emails, ids, flags, the
  connection's configuration): the emulator's request log stays empty.
- ``REMOTE``: only the API can tell (an id of the right shape that does not exist, a model
  no project has, a key that is not an admin key): reads happen, no write is sent, and the
  error says what was not found.
- ``REFUSED``: the operator lets the API check it on the write itself (a membership for a
  person who is not an organization member, an invite into a project that does not exist):
  one write is sent and refused, none is applied.

Every row also proves that nothing changed (``emulator.state.snapshot()`` before and after)
and that no key appears in the error's text. The error is ``AirflowFailException`` (the task
fails at once, without retries) except for a 404 on an unknown id, which the operators raise
as the client's ``NotFoundError`` (naming the id and the ``param``). Each row counts as one
bad input tried in the ledger. The operators' own test modules hold the detailed
per-operator cases; this table is the cross-cutting proof.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.client import ConfigurationError, NotFoundError
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook
from airflow_provider_openai_projects.operators import (
    AddGroupUserOperator,
    AddProjectUserOperator,
    ArchiveProjectOperator,
    CreateProjectOperator,
    CreateServiceAccountOperator,
    DeleteProjectApiKeyOperator,
    DeleteServiceAccountGenerationsOperator,
    DeleteServiceAccountOperator,
    EnsureProjectsOperator,
    InviteUserOperator,
    OffboardUserOperator,
    OrgApplyOperator,
    OrgPlanOperator,
    RemoveGroupUserOperator,
    RemoveProjectUserOperator,
    RotateServiceAccountOperator,
    SyncRateLimitsOperator,
    UpdateProjectOperator,
)
from airflow_provider_openai_projects.sensors import ApiKeyUsageSensor, OrganizationUserSensor
from airflow_provider_openai_projects.sinks.memory import InMemoryKeySink
from tests.reliability.conftest import Ledger
from tests.reliability.hygiene import CONN_ENV, connection_env, make_context

Kind = Literal["local", "remote", "refused"]
LOCAL: Kind = "local"
REMOTE: Kind = "remote"
REFUSED: Kind = "refused"

UNKNOWN_PROJECT = "proj_Unknown000000000000000000"
UNKNOWN_USER = "user-Unknown0000000000000000"
UNKNOWN_KEY = "key_Unknown00000000000"
UNKNOWN_GROUP = "group_Unknown000000000000000"
LIMIT = "max_requests_per_1_minute"


@dataclass
class World:
    """What the bad inputs aim at: an active project with an owner and the owner's key, an
    organization member outside it, and a project user key value (not an admin key)."""

    project_id: str
    owner_email: str
    member_email: str
    key_id: str
    project_key: str


@pytest.fixture
def world(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv(CONN_ENV, connection_env(emulator, extra={"max_retries": 0}))
    project_id = str(emulator.state.create_project("team")["id"])
    owner = emulator.add_org_user("ada@example.com")
    emulator.add_org_user("grace@example.com")
    emulator.state.add_project_user(project_id, "owner", user_id=owner["id"])
    emulator.state.create_group("team")
    key = emulator.create_user_api_key(project_id, owner["id"])
    return World(project_id, "ada@example.com", "grace@example.com", str(key["id"]), str(key["value"]))


class HookCall:
    """A hook method called the way a task would, under the table's ``execute`` interface."""

    def __init__(self, method: str) -> None:
        self.method = method

    def execute(self, context: Any) -> Any:
        hook = OpenAIAdminHook()
        if self.method == "test_connection":
            ok, message = hook.test_connection()
            assert not ok
            raise ConfigurationError(message)
        return getattr(hook, self.method)()


@dataclass(frozen=True)
class Case:
    """One bad input: what to run, the field its error names, and what reaches the API."""

    id: str
    make: Callable[[World], Any]
    field: str
    kind: Kind = LOCAL
    conn: Callable[[World], Mapping[str, Any]] | None = None
    expected: type[BaseException] | tuple[type[BaseException], ...] = AirflowFailException
    mentions: Callable[[World], tuple[str, ...]] = lambda w: ()


def _sa(**kw: Any) -> Callable[[World], Any]:
    return lambda w: CreateServiceAccountOperator(
        task_id="t", **{"project_id": w.project_id, "name": "bot", "key_sink": InMemoryKeySink(), **kw}
    )


def _rotate(**kw: Any) -> Callable[[World], Any]:
    return lambda w: RotateServiceAccountOperator(
        task_id="t",
        **{"project_id": w.project_id, "service_account_name": "team", "key_sink": InMemoryKeySink(), **kw},
    )


def _generations(**kw: Any) -> Callable[[World], Any]:
    return lambda w: DeleteServiceAccountGenerationsOperator(
        task_id="t",
        **{"project_id": w.project_id, "service_account_name": "team", "key_sink": InMemoryKeySink(), **kw},
    )


def _sync(rate_limits: Any, **kw: Any) -> Callable[[World], Any]:
    return lambda w: SyncRateLimitsOperator(
        task_id="t", rate_limits=rate_limits, **{"project_ids": [w.project_id], **kw}
    )


def _create(**kw: Any) -> Callable[[World], Any]:
    return lambda w: CreateProjectOperator(task_id="t", **{"name": "fine", **kw})


def _conn(**kw: Any) -> Callable[[World], Mapping[str, Any]]:
    return lambda w: kw


OVERLONG = "x" * 129
ERROR_404 = (AirflowFailException, NotFoundError)

CASES: list[Case] = [
    # -- the organization as code: a file that is not there, a plan that is not there ----------
    Case(
        "org-plan-file-missing",
        lambda w: OrgPlanOperator(task_id="t", org_file="/nonexistent/openai_org.yaml"),
        "openai_org.yaml",
    ),
    Case(
        "org-apply-plan-missing",
        lambda w: OrgApplyOperator(task_id="t", plan_uri="file:///nonexistent/plan.json"),
        "plan.json",
    ),
    # -- names: empty, blank, overlong, multi-line, reserved separators, bad entry names --------
    Case("project-name-empty", _create(name=""), "name"),
    Case("project-name-overlong", _create(name=OVERLONG), "name"),
    Case("project-name-two-lines", _create(name="team\nsearch"), "name"),
    Case("ensure-projects-none", lambda w: EnsureProjectsOperator(task_id="t", names=[]), "names"),
    Case("ensure-projects-blank-name", lambda w: EnsureProjectsOperator(task_id="t", names=["ok", "  "]), "names[1]"),
    Case(
        "update-project-name-overlong",
        lambda w: UpdateProjectOperator(task_id="t", project_id=w.project_id, name=OVERLONG),
        "name",
    ),
    Case("service-account-name-empty", _sa(name=""), "name"),
    Case("service-account-name-overlong", _sa(name=OVERLONG), "name"),
    Case("service-account-secret-variable-malformed", _sa(secret_variable="my key!"), "secret_variable"),
    Case("rotation-name-with-generation-separator", _rotate(service_account_name="team--x"), "service_account_name"),
    Case("rotation-name-overlong", _rotate(service_account_name=OVERLONG), "service_account_name"),
    Case("rotation-generation-malformed", _rotate(generation="-x"), "generation"),
    Case("generations-name-empty", _generations(service_account_name=" "), "service_account_name"),
    Case(
        "delete-service-account-name-overlong",
        lambda w: DeleteServiceAccountOperator(task_id="t", project_id=w.project_id, name=OVERLONG),
        "name",
    ),
    Case(
        "rate-limit-pattern-empty",
        _sync({"gpt-4o": {LIMIT: 1}}, project_ids=None, project_name_pattern=" "),
        "project_name_pattern",
    ),
    # -- unknown roles and choices --------------------------------------------------------------
    Case(
        "project-user-role-unknown",
        lambda w: AddProjectUserOperator(task_id="t", project_id=w.project_id, role="admin", email=w.member_email),
        "role",
    ),
    Case(
        "invite-role-unknown", lambda w: InviteUserOperator(task_id="t", email="new@example.com", role="member"), "role"
    ),
    Case(
        "invite-project-role-unknown",
        lambda w: InviteUserOperator(
            task_id="t", email="new@example.com", projects=[{"id": w.project_id, "role": "admin"}]
        ),
        "projects[0].role",
    ),
    Case("create-project-if-exists-unknown", _create(if_exists="overwrite"), "if_exists"),
    Case("rate-limit-field-unknown", _sync({"gpt-4o": {"max_widgets_per_1_minute": 1}}), "max_widgets_per_1_minute"),
    # -- negative or non-integer limits and counts ---------------------------------------------
    Case("rate-limit-negative", _sync({"gpt-4o": {LIMIT: -1}}), f"rate_limits['gpt-4o'].{LIMIT}"),
    Case("rate-limit-not-a-number", _sync({"gpt-4o": {LIMIT: "lots"}}), f"rate_limits['gpt-4o'].{LIMIT}"),
    Case("rate-limit-fraction", _sync({"gpt-4o": {LIMIT: 2.5}}), f"rate_limits['gpt-4o'].{LIMIT}"),
    Case("rate-limit-boolean", _sync({"gpt-4o": {LIMIT: True}}), f"rate_limits['gpt-4o'].{LIMIT}"),
    Case("rotation-keep-previous-negative", _rotate(keep_previous=-1), "keep_previous"),
    Case("rotation-keep-previous-text", _rotate(keep_previous="1"), "keep_previous"),
    Case("rotation-verify-attempts-zero", _rotate(verify_attempts=0), "verify_attempts"),
    Case("rotation-verify-backoff-negative", _rotate(verify_backoff=-1), "verify_backoff"),
    Case("generations-keep-previous-fraction", _generations(keep_previous=0.5), "keep_previous"),
    # -- malformed emails -----------------------------------------------------------------------
    Case("invite-email-malformed", lambda w: InviteUserOperator(task_id="t", email="ada.example.com"), "email"),
    Case(
        "add-user-email-malformed",
        lambda w: AddProjectUserOperator(task_id="t", project_id=w.project_id, role="member", email="ada@example"),
        "email",
    ),
    Case(
        "remove-user-email-malformed",
        lambda w: RemoveProjectUserOperator(task_id="t", project_id=w.project_id, email="ada@@example.com"),
        "email",
    ),
    Case(
        "add-group-user-email-malformed",
        lambda w: AddGroupUserOperator(task_id="t", group_name="team", email="ada@example"),
        "email",
    ),
    Case(
        "remove-group-user-id-and-name",
        lambda w: RemoveGroupUserOperator(task_id="t", group_id="group_1", group_name="team", email=w.member_email),
        "group_id/group_name",
    ),
    Case("offboard-email-malformed", lambda w: OffboardUserOperator(task_id="t", email="ada example.com"), "email"),
    Case(
        "offboard-successor-malformed",
        lambda w: OffboardUserOperator(task_id="t", email=w.owner_email, successor_owner="grace@"),
        "successor_owner",
    ),
    Case("sensor-email-malformed", lambda w: OrganizationUserSensor(task_id="t", email="nobody"), "email"),
    # -- ids, flags, times and combinations of the wrong shape ------------------------------------
    Case(
        "api-key-id-with-space",
        lambda w: DeleteProjectApiKeyOperator(task_id="t", project_id=w.project_id, api_key_id="key 1"),
        "api_key_id",
    ),
    Case("archive-project-id-empty", lambda w: ArchiveProjectOperator(task_id="t", project_id=""), "project_id"),
    Case(
        "delete-service-account-id-and-name",
        lambda w: DeleteServiceAccountOperator(task_id="t", project_id=w.project_id, service_account_id="a", name="b"),
        "service_account_id/name",
    ),
    Case(
        "add-user-neither-id-nor-email",
        lambda w: AddProjectUserOperator(task_id="t", project_id=w.project_id, role="member"),
        "user_id/email",
    ),
    Case(
        "offboard-dry-run-not-a-flag",
        lambda w: OffboardUserOperator(task_id="t", email=w.owner_email, dry_run="yes"),  # type: ignore[arg-type]
        "dry_run",
    ),
    Case(
        "sensor-used-after-malformed",
        lambda w: ApiKeyUsageSensor(task_id="t", project_id=w.project_id, api_key_id=w.key_id, used_after="someday"),
        "used_after",
    ),
    Case(
        "rate-limit-ids-and-pattern",
        _sync({"gpt-4o": {LIMIT: 1}}, project_name_pattern="team-*"),
        "project_ids/project_name_pattern",
    ),
    Case("rate-limit-project-ids-empty", _sync({"gpt-4o": {LIMIT: 1}}, project_ids=[]), "project_ids"),
    Case("generations-without-a-current-entry", _generations(), "secret_variable"),
    # -- the connection ---------------------------------------------------------------------------
    Case("conn-timeout-not-a-number", _create(), "timeout", conn=_conn(extra={"timeout": "fast"})),
    Case("conn-timeout-zero", _create(), "timeout", conn=_conn(extra={"timeout": 0})),
    Case("conn-max-retries-negative", _create(), "max_retries", conn=_conn(extra={"max_retries": -1})),
    Case("conn-max-retries-fraction", _create(), "max_retries", conn=_conn(extra={"max_retries": "1.5"})),
    Case(
        "conn-requests-per-minute-not-a-number",
        _create(),
        "requests_per_minute",
        conn=_conn(extra={"requests_per_minute": "many"}),
    ),
    Case("conn-no-password", _create(), "password", conn=_conn(omit=("password",))),
    Case("conn-password-blank", _create(), "password", conn=_conn(password="   ")),
    Case("conn-host-no-hostname", _create(), "base_url", conn=_conn(host="https://")),
    Case("conn-host-not-http", _create(), "base_url", conn=_conn(host="ftp://api.example.com/v1")),
    Case("conn-host-with-credentials", _create(), "base_url", conn=_conn(host="https://user:pw@api.example.com/v1")),
    Case(
        "conn-plain-http-to-a-remote-host",
        _create(),
        "http://",
        conn=_conn(host="http://api.example.com/v1"),
        mentions=lambda w: ("api.example.com",),
    ),
    Case(
        "conn-plain-http-sensor",
        lambda w: OrganizationUserSensor(task_id="t", email=w.member_email),
        "http://",
        conn=_conn(host="http://10.0.0.8:8080/v1"),
    ),
    Case(
        "hook-no-password",
        lambda w: HookCall("get_conn"),
        "password",
        conn=_conn(omit=("password",)),
        expected=ConfigurationError,
    ),
    Case(
        "hook-test-connection-bad-extra",
        lambda w: HookCall("test_connection"),
        "requests_per_minute",
        conn=_conn(extra={"requests_per_minute": -5}),
        expected=ConfigurationError,
    ),
    Case(
        "conn-project-key-instead-of-admin-key",
        lambda w: CreateServiceAccountOperator(
            task_id="t", project_id=w.project_id, name="bot", key_sink=InMemoryKeySink()
        ),
        "admin API key",
        kind=REMOTE,
        conn=lambda w: {"password": w.project_key},
        mentions=lambda w: ("403",),
    ),
    # -- unknown ids of the right shape and unknown models: only the API can tell ------------------
    Case(
        "update-unknown-project",
        lambda w: UpdateProjectOperator(task_id="t", project_id=UNKNOWN_PROJECT, name="new"),
        "project_id",
        kind=REMOTE,
        expected=ERROR_404,
        mentions=lambda w: (UNKNOWN_PROJECT, "404"),
    ),
    Case(
        "archive-unknown-project",
        lambda w: ArchiveProjectOperator(task_id="t", project_id=UNKNOWN_PROJECT),
        "project_id",
        kind=REMOTE,
        expected=ERROR_404,
        mentions=lambda w: (UNKNOWN_PROJECT, "404"),
    ),
    Case(
        "service-account-unknown-project",
        _sa(project_id=UNKNOWN_PROJECT),
        "project_id",
        kind=REMOTE,
        expected=ERROR_404,
        mentions=lambda w: (UNKNOWN_PROJECT, "404"),
    ),
    Case(
        "rotation-unknown-project",
        _rotate(project_id=UNKNOWN_PROJECT, generation="g1"),
        "project_id",
        kind=REMOTE,
        expected=ERROR_404,
        mentions=lambda w: (UNKNOWN_PROJECT, "404"),
    ),
    Case(
        "delete-service-account-unknown-project",
        lambda w: DeleteServiceAccountOperator(
            task_id="t", project_id=UNKNOWN_PROJECT, service_account_id="svc_acct_x"
        ),
        "project_id",
        kind=REMOTE,
        expected=ERROR_404,
        mentions=lambda w: (UNKNOWN_PROJECT, "404"),
    ),
    Case(
        "delete-api-key-unknown-project",
        lambda w: DeleteProjectApiKeyOperator(task_id="t", project_id=UNKNOWN_PROJECT, api_key_id=UNKNOWN_KEY),
        "project_id",
        kind=REMOTE,
        expected=ERROR_404,
        mentions=lambda w: (UNKNOWN_PROJECT, "404"),
    ),
    Case(
        "add-user-unknown-project",
        lambda w: AddProjectUserOperator(task_id="t", project_id=UNKNOWN_PROJECT, role="member", email=w.member_email),
        "project_id",
        kind=REMOTE,
        expected=ERROR_404,
        mentions=lambda w: (UNKNOWN_PROJECT, "404"),
    ),
    Case(
        "remove-user-unknown-project",
        lambda w: RemoveProjectUserOperator(task_id="t", project_id=UNKNOWN_PROJECT, email=w.member_email),
        "project_id",
        kind=REMOTE,
        expected=ERROR_404,
        mentions=lambda w: (UNKNOWN_PROJECT, "404"),
    ),
    Case(
        "add-group-user-unknown-group",
        lambda w: AddGroupUserOperator(task_id="t", group_id=UNKNOWN_GROUP, email=w.member_email),
        "group_id",
        kind=REMOTE,
        expected=ERROR_404,
        mentions=lambda w: (UNKNOWN_GROUP, "404"),
    ),
    Case(
        "remove-group-user-unknown-group-name",
        lambda w: RemoveGroupUserOperator(task_id="t", group_name="no such team", email=w.member_email),
        "group_name",
        kind=REMOTE,
        mentions=lambda w: ("no such team",),
    ),
    Case(
        "add-group-user-outside-the-organization",
        lambda w: AddGroupUserOperator(task_id="t", group_name="team", email="stranger@example.com"),
        "email",
        kind=REMOTE,
        mentions=lambda w: ("stranger@example.com", "not a member of the organization"),
    ),
    Case(
        "sensor-unknown-api-key",
        lambda w: ApiKeyUsageSensor(task_id="t", project_id=w.project_id, api_key_id=UNKNOWN_KEY),
        "api_key_id",
        kind=REMOTE,
        mentions=lambda w: (UNKNOWN_KEY, "does not exist"),
    ),
    Case(
        "rate-limit-unknown-project",
        _sync({"gpt-4o": {LIMIT: 1}}, project_ids=[UNKNOWN_PROJECT]),
        "project_id",
        kind=REMOTE,
        mentions=lambda w: (UNKNOWN_PROJECT, "404"),
    ),
    Case(
        "rate-limit-unknown-model",
        _sync({"gpt-9": {LIMIT: 1}}),
        "rate_limits['gpt-9']",
        kind=REMOTE,
        mentions=lambda w: ("unknown model",),
    ),
    Case(
        "offboard-unknown-successor",
        lambda w: OffboardUserOperator(task_id="t", email=w.owner_email, successor_owner=UNKNOWN_USER),
        "successor_owner",
        kind=REMOTE,
        mentions=lambda w: (UNKNOWN_USER, "not a member"),
    ),
    Case(
        "add-unknown-user",
        lambda w: AddProjectUserOperator(task_id="t", project_id=w.project_id, role="member", user_id=UNKNOWN_USER),
        "user",
        kind=REFUSED,
        mentions=lambda w: (UNKNOWN_USER, "not a member of the organization"),
    ),
    Case(
        "add-group-user-unknown-user",
        lambda w: AddGroupUserOperator(task_id="t", group_name="team", user_id=UNKNOWN_USER),
        "user_id",
        kind=REFUSED,
        mentions=lambda w: (UNKNOWN_USER, "not a member of the organization"),
    ),
    Case(
        "invite-into-unknown-project",
        lambda w: InviteUserOperator(
            task_id="t", email="new@example.com", projects=[{"id": UNKNOWN_PROJECT, "role": "member"}]
        ),
        "projects[0].id",
        kind=REFUSED,
        mentions=lambda w: (UNKNOWN_PROJECT,),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_fails_once_naming_the_field_before_any_write_and_changes_nothing(
    case: Case, world: World, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, ledger: Ledger
) -> None:
    if case.conn is not None:
        monkeypatch.setenv(CONN_ENV, connection_env(emulator, **{"extra": {"max_retries": 0}, **case.conn(world)}))
    target = case.make(world)
    before = emulator.state.snapshot()
    emulator.log.clear()

    with pytest.raises(case.expected) as caught:
        target.execute(make_context())
    ledger.add("bad_inputs_tried")

    message = str(caught.value)
    assert case.field in message, f"the error does not name {case.field!r}: {message}"
    for expected in case.mentions(world):
        assert expected in message, f"the error does not mention {expected!r}: {message}"
    for secret in (emulator.admin_key, world.project_key):
        assert secret not in message
    requests = emulator.log.entries()
    if case.kind == LOCAL:
        assert requests == [], "a local check sent requests"
    elif case.kind == REMOTE:
        assert requests, "a remote check made no request"
        assert emulator.log.writes() == [], "a remote check sent a write"
    else:
        assert [e.method for e in emulator.log.writes()] == ["POST"]
        assert [e for e in requests if e.applied] == []
        assert emulator.log.writes()[0].status == 400
    assert emulator.state.snapshot() == before, "bad input changed the organization"


def test_the_table_covers_every_operator_and_sensor_and_every_kind_of_bad_input() -> None:
    import airflow_provider_openai_projects.operators as operators
    import airflow_provider_openai_projects.sensors as sensors

    world = World("proj_x", "a@example.com", "b@example.com", "key_x", "sk-proj-x")
    covered = {type(c.make(world)).__name__ for c in CASES}
    public = {
        name for module in (operators, sensors) for name in module.__all__ if name.endswith(("Operator", "Sensor"))
    }
    assert public - covered == set(), "operators or sensors missing from the bad-input table"
    assert "HookCall" in covered
    kinds = {c.kind for c in CASES}
    assert kinds == {LOCAL, REMOTE, REFUSED}
    assert len({c.id for c in CASES}) == len(CASES)
