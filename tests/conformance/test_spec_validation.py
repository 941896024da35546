"""The suite-wide spec check catches what it must, and our client passes it.

The check itself must not be able to pass silently, so it is tested against an emulator
whose responses a ``Tamper`` layer corrupts (a project without ``id``, an error body in
FastAPI's shape instead of OpenAI's...), against requests the spec rejects, and end to
end in a pytest subprocess whose off-spec test must fail at teardown.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest
import requests
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.client.endpoints import ENDPOINTS
from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from tests.conformance.spec_validation import Exchange, SuiteConformance, Violation
from tests.x509_certificates import make_pem_certificate

REPO = Path(__file__).resolve().parents[2]
TEST = "tests/fake_test.py::test_something"
OTHER_TEST = "tests/fake_test.py::test_something_else"

#: A response rewrite: (method, path, status, body) -> (status, body).
Rewrite = Callable[[str, str, int, bytes], tuple[int, bytes]]


class Tamper:
    """ASGI layer rewriting the emulator's responses that match a rule (tests only)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.rules: list[tuple[str, str, Rewrite]] = []

    def add(self, method: str, path: str, rewrite: Rewrite) -> None:
        self.rules.append((method, path, rewrite))

    def add_json(self, method: str, path: str, change: Callable[[Any], Any], status: int | None = None) -> None:
        def rewrite(method: str, path: str, old_status: int, body: bytes) -> tuple[int, bytes]:
            return (status or old_status), json.dumps(change(json.loads(body))).encode()

        self.add(method, path, rewrite)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rules = [
            r
            for m, p, r in self.rules
            if scope["type"] == "http" and m == scope["method"] and fnmatchcase(scope["path"], p)
        ]
        if not rules:
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def hold(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, hold)
        if start is None:
            return
        status, body = int(start["status"]), b"".join(chunks)
        for rewrite in rules:
            status, body = rewrite(scope["method"], scope["path"], status, body)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@dataclass
class Rig:
    """A second emulator, its responses tamperable, its traffic recorded by its own check."""

    server: EmulatorServer
    conformance: SuiteConformance
    tampers: list[Tamper] = field(default_factory=list)

    @property
    def tamper(self) -> Tamper:
        return self.tampers[0]

    def call(self, method: str, path: str, key: str | None = "admin", **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if key is not None:
            headers["Authorization"] = f"Bearer {self.server.admin_key if key == 'admin' else key}"
        return requests.request(method, self.server.base_url + path, headers=headers, timeout=10, **kwargs)

    def exchanges(self) -> list[Exchange]:
        return self.conformance.recorder.drain()

    def violations(self) -> list[Violation]:
        return self.conformance.validator.validate(self.exchanges())


@pytest.fixture(scope="module")
def rig_server() -> Iterator[Rig]:
    conformance = SuiteConformance()
    tampers: list[Tamper] = []

    def wrap(app: ASGIApp) -> ASGIApp:
        tampers.append(Tamper(app))
        return conformance.middleware(tampers[-1])

    with EmulatorServer(app_wrapper=wrap) as server:
        yield Rig(server, conformance, tampers)


@pytest.fixture
def rig(rig_server: Rig) -> Rig:
    rig_server.server.reset()
    rig_server.tamper.rules.clear()
    rig_server.conformance.recorder.drain()
    rig_server.conformance.recorder.current_test = TEST
    return rig_server


def _only(violations: list[Violation]) -> Violation:
    assert len(violations) == 1, violations
    return violations[0]


# -- what the validator reports ------------------------------------------------------------


def test_conformant_traffic_has_no_violations(rig: Rig) -> None:
    project = rig.call("POST", "/organization/projects", json={"name": "fine"}).json()
    rig.call("GET", f"/organization/projects/{project['id']}")
    rig.call("GET", "/organization/projects", params={"limit": 1, "include_archived": "true"})
    rig.call("GET", "/organization/projects/proj_nope")
    assert len(rig.conformance.recorder.pending()) == 4
    assert rig.violations() == []


def test_a_response_missing_a_required_field_is_reported(rig: Rig) -> None:
    rig.tamper.add_json("POST", "/v1/organization/projects", lambda p: {k: v for k, v in p.items() if k != "id"})

    assert rig.call("POST", "/organization/projects", json={"name": "no id"}).status_code == 200

    violation = _only(rig.violations())
    assert (violation.side, violation.test, violation.status) == ("response", TEST, 200)
    assert violation.target == "POST /v1/organization/projects"
    assert "'id' is a required property" in str(violation)


def test_a_response_with_a_value_outside_its_enum_is_reported(rig: Rig) -> None:
    rig.tamper.add_json("GET", "/v1/organization/projects/*", lambda p: {**p, "object": "organization.projekt"})

    rig.call("GET", f"/organization/projects/{rig.server.state.default_project_id}")

    violation = _only(rig.violations())
    assert violation.side == "response"
    assert "'organization.projekt' is not one of ['organization.project']" in str(violation)


def test_a_list_item_of_the_wrong_shape_is_reported(rig: Rig) -> None:
    def break_first(page: dict[str, Any]) -> dict[str, Any]:
        page["data"][0]["added_at"] = "yesterday"
        return page

    rig.tamper.add_json("GET", "/v1/organization/users", break_first)

    rig.call("GET", "/organization/users")

    assert "'yesterday' is not of type 'integer'" in str(_only(rig.violations()))


def test_an_error_status_the_spec_does_not_document_must_still_be_an_error_response(rig: Rig) -> None:
    rig.tamper.add_json("GET", "/v1/organization/invites/*", lambda _: {"detail": "Not Found"})
    rig.tamper.add("GET", "/v1/organization/users/*", lambda m, p, s, b: (500, b"Internal Server Error"))

    assert rig.call("GET", "/organization/invites/invite-nope").status_code == 404
    assert rig.call("GET", "/organization/users/user-nope").status_code == 500

    not_found, crashed = rig.violations()
    assert (not_found.side, not_found.status) == ("response", 404)
    assert "ErrorResponse: 'error' is a required property" in str(not_found)
    assert (crashed.side, crashed.status) == ("response", 500)
    assert "error body is not JSON" in str(crashed)


def test_injected_faults_and_throttling_answer_in_the_error_shape(rig: Rig) -> None:
    rig.server.faults.add(FaultRule(method="GET", path="/organization/projects", status=503, retry_after=1))
    rig.server.faults.add(FaultRule(method="POST", path="/organization/projects", status=500, when="after"))
    rig.server.faults.throttle(1, burst=1)

    statuses = [
        rig.call("GET", "/organization/projects").status_code,
        rig.call("POST", "/organization/projects", json={"name": "lost"}).status_code,
        rig.call("GET", "/organization/users").status_code,
        rig.call("GET", "/organization/users").status_code,
    ]

    assert statuses == [503, 500, 200, 429]
    assert rig.violations() == []


def test_a_success_status_the_spec_does_not_document_is_reported(rig: Rig) -> None:
    rig.tamper.add("POST", "/v1/organization/invites", lambda m, p, s, b: (201, b))

    rig.call("POST", "/organization/invites", json={"email": "new@example.com", "role": "reader"})

    violation = _only(rig.violations())
    assert violation.side == "response"
    assert "success status 201 is not documented" in str(violation)


def test_a_request_with_a_value_outside_its_enum_is_reported(rig: Rig) -> None:
    response = rig.call("POST", "/organization/invites", json={"email": "new@example.com", "role": "member"})

    assert response.status_code == 400
    violation = _only(rig.violations())
    assert (violation.side, violation.status) == ("request", 400)
    assert "'member' is not one of ['reader', 'owner']" in str(violation)


def test_a_request_body_field_the_spec_does_not_declare_is_reported(rig: Rig) -> None:
    path = f"/organization/projects/{rig.server.state.default_project_id}/rate_limits/rl-gpt-4o"

    rig.call("POST", path, json={"max_request_per_1_minute": 10})

    violation = _only(rig.violations())
    assert violation.side == "request"
    assert "'max_request_per_1_minute' was unexpected" in str(violation)


def test_an_undeclared_query_parameter_is_reported_but_the_sdks_bracket_form_is_not(rig: Rig) -> None:
    rig.call("GET", "/organization/users", params={"email": "a@example.com"})
    rig.call("GET", "/organization/users", params={"emails[]": "a@example.com"})
    rig.call("GET", "/organization/users", params=[("emails", "a@example.com"), ("emails", "b@example.com")])

    violation = _only(rig.violations())
    assert violation.target == "GET /v1/organization/users?email=a%40example.com"
    assert "query parameter 'email' is not a parameter of this operation" in str(violation)


def test_a_request_without_credentials_breaks_the_security_requirement(rig: Rig) -> None:
    assert rig.call("GET", "/organization/projects", key=None).status_code == 401

    violation = _only(rig.violations())
    assert violation.side == "request"
    assert "AdminApiKeyAuth" in str(violation)


def test_paths_and_methods_outside_the_spec_are_reported_as_requests(rig: Rig) -> None:
    rig.call("GET", "/organization/nowhere")
    rig.call("DELETE", "/organization/projects")

    assert [(v.side, v.status) for v in rig.violations()] == [("request", 404), ("request", 405)]


def test_dropped_connections_models_and_the_control_api_are_not_response_checked(rig: Rig) -> None:
    account = rig.server.state.create_service_account(rig.server.state.default_project_id, "bot", False)
    rig.server.faults.add(FaultRule(method="GET", path="/organization/invites", drop=True))

    with pytest.raises(requests.ConnectionError):
        rig.call("GET", "/organization/invites")
    assert rig.server.use_key(account["api_key"]["value"]) == 200
    assert requests.get(rig.server.url + "/_emulator/state", headers=rig.server.control_headers(), timeout=10).ok

    exchanges = rig.exchanges()
    assert [(e.target, e.status) for e in exchanges] == [("GET /v1/organization/invites", None)]
    assert rig.conformance.validator.validate(exchanges) == []


def test_the_recorder_keeps_request_bodies_and_stamps_the_running_test(rig: Rig) -> None:
    rig.conformance.recorder.current_test = OTHER_TEST
    rig.call("POST", "/organization/projects", json={"name": "stamped"})

    (exchange,) = rig.exchanges()
    assert exchange.test == OTHER_TEST
    assert json.loads(exchange.body) == {"name": "stamped"}
    assert json.loads(exchange.response_body)["name"] == "stamped"
    assert ("content-type", "application/json") in exchange.response_headers


# -- how violations fail tests ------------------------------------------------------------


def test_a_test_fails_for_its_own_request_violations_unless_marked(rig: Rig) -> None:
    rig.call("POST", "/organization/invites", json={"email": "new@example.com", "role": "member"})
    failure = rig.conformance.check_test(TEST, request_violations_expected=False)
    assert failure is not None
    assert TEST in failure
    assert "'member' is not one of" in failure

    rig.call("POST", "/organization/invites", json={"email": "new@example.com", "role": "member"})
    assert rig.conformance.check_test(TEST, request_violations_expected=True) is None


def test_the_marker_never_excuses_a_response_violation(rig: Rig) -> None:
    rig.tamper.add_json("POST", "/v1/organization/invites", lambda error: {"message": "flat"})

    rig.call("POST", "/organization/invites", json={"email": "new@example.com", "role": "member"})

    failure = rig.conformance.check_test(TEST, request_violations_expected=True)
    assert failure is not None
    assert "response of POST /v1/organization/invites" in failure
    assert "request of" not in failure


def test_a_marked_test_that_sends_only_conformant_requests_fails(rig: Rig) -> None:
    rig.call("GET", "/organization/projects")

    failure = rig.conformance.check_test(TEST, request_violations_expected=True)

    assert failure is not None
    assert "remove the marker" in failure


def test_a_violation_of_an_earlier_test_is_kept_for_the_end_of_the_session(rig: Rig) -> None:
    rig.conformance.recorder.current_test = OTHER_TEST
    rig.call("GET", "/organization/nowhere")
    rig.conformance.recorder.current_test = TEST
    rig.call("GET", "/organization/projects")

    assert rig.conformance.check_test(TEST, request_violations_expected=False) is None
    (leftover,) = rig.conformance.leftover_violations()
    assert (leftover.test, leftover.target) == (OTHER_TEST, "GET /v1/organization/nowhere")
    assert rig.conformance.leftover_violations() == []


def test_the_session_emulator_records_this_tests_traffic(
    emulator: EmulatorServer, spec_conformance: SuiteConformance, request: pytest.FixtureRequest
) -> None:
    requests.get(
        emulator.base_url + "/organization/projects",
        headers={"Authorization": f"Bearer {emulator.admin_key}"},
        timeout=10,
    )

    assert spec_conformance.active
    mine = [e for e in spec_conformance.recorder.pending() if e.test == request.node.nodeid]
    assert [(e.target, e.status) for e in mine] == [("GET /v1/organization/projects", 200)]


_INNER_TESTS = """
import pytest
import requests


def _invite(emulator, role):
    return requests.post(
        emulator.base_url + "/organization/invites",
        json={"email": "new@example.com", "role": role},
        headers={"Authorization": f"Bearer {emulator.admin_key}"},
        timeout=10,
    )


def test_off_spec_request(emulator):
    assert _invite(emulator, "member").status_code == 400


@pytest.mark.spec_violations_expected
def test_off_spec_request_on_purpose(emulator):
    assert _invite(emulator, "member").status_code == 400


@pytest.mark.spec_violations_expected
def test_marked_but_conformant(emulator):
    assert _invite(emulator, "reader").status_code == 200


def test_conformant(emulator):
    assert _invite(emulator, "reader").status_code == 200
"""


def test_a_suite_using_the_conftest_fails_exactly_the_tests_that_broke_the_spec(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["tests.conftest"]\n')
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(_INNER_TESTS))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}

    result = subprocess.run(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", "-rE", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "4 passed, 2 errors" in output, output
    errors = sorted(line.split()[1] for line in output.splitlines() if line.startswith("ERROR "))
    assert errors == ["test_inner.py::test_marked_but_conformant", "test_inner.py::test_off_spec_request"], output
    assert "'member' is not one of ['reader', 'owner']" in output
    assert "remove the marker" in output


# -- our client's requests ------------------------------------------------------------------

#: The families each client-conformance test below drives, every operation of each; together
#: every family of the endpoint table (checked), so every operation's request is sent once here.
PROJECT_FAMILIES = frozenset(
    {"projects", "project_users", "service_accounts", "project_api_keys", "rate_limits", "invites", "users"}
)
ORGANIZATION_FAMILIES = frozenset(
    {
        "user_roles",
        "groups",
        "group_users",
        "group_roles",
        "project_groups",
        "roles",
        "admin_api_keys",
        "certificates",
        "data_retention",
        "permissions",
        "spend",
        "audit_logs",
        "usage",
    }
)


def _operations(families: frozenset[str]) -> set[str]:
    """``"METHOD /route"`` of every row of ``ENDPOINTS`` in ``families``."""
    return {f"{row.http_method} {row.route}" for row in ENDPOINTS if row.family in families}


def test_the_client_conformance_tests_cover_every_family_of_the_endpoint_table() -> None:
    assert not PROJECT_FAMILIES & ORGANIZATION_FAMILIES
    assert {row.family for row in ENDPOINTS} == PROJECT_FAMILIES | ORGANIZATION_FAMILIES
    assert len(_operations(PROJECT_FAMILIES)) + len(_operations(ORGANIZATION_FAMILIES)) == len(ENDPOINTS) == 106


def test_every_client_method_sends_requests_the_spec_accepts(
    emulator: EmulatorServer, spec_conformance: SuiteConformance, request: pytest.FixtureRequest
) -> None:
    ada = emulator.add_org_user("ada@example.com", name="Ada")
    bob = emulator.add_org_user("bob@example.com", name="Bob")
    with OpenAIAdminClient(emulator.admin_key, base_url=emulator.base_url, max_retries=0) as client:
        client.check_access()
        project = client.create_project(name="conformance", external_key_id="ext-1", residency="EU_STORAGE_PROCESSING")
        pid = project["id"]
        client.get_project(pid)
        client.update_project(pid, name="conformance 2", external_key_id="ext-2")
        client.list_projects()

        client.add_project_user(pid, role="member", user_id=ada["id"])
        client.add_project_user(pid, role="owner", email="bob@example.com")
        client.list_project_users(pid)
        client.get_project_user(pid, ada["id"])
        client.update_project_user(pid, ada["id"], role="owner")
        user_key = emulator.create_user_api_key(pid, ada["id"])

        account = client.create_service_account(pid, name="bot")
        client.create_service_account(pid, name="bare", create_service_account_only=True)
        client.list_service_accounts(pid)
        client.get_service_account(pid, account["id"])
        client.update_service_account(pid, account["id"], name="robot", role="owner")
        client.create_service_account_api_key(pid, account["id"], name="second")
        client.create_service_account_api_key(pid, account["id"])

        client.list_project_api_keys(pid)
        client.list_project_api_keys(pid, owner_project_access="any")
        client.get_project_api_key(pid, user_key["id"])
        client.delete_project_api_key(pid, user_key["id"])
        assert account["api_key"] is not None
        client.verify_api_key(account["api_key"]["value"])
        client.delete_service_account(pid, account["id"])
        client.remove_project_user(pid, bob["id"])

        client.list_rate_limits(pid)
        client.update_rate_limit(pid, "rl-gpt-4o", max_requests_per_1_minute=10, max_tokens_per_1_minute=1000)

        invite = client.create_invite(email="new@example.com", role="reader", projects=[{"id": pid, "role": "member"}])
        client.list_invites()
        client.get_invite(invite["id"])
        client.delete_invite(invite["id"])

        client.list_users()
        client.list_users(emails=["ada@example.com", "bob@example.com"])
        client.get_user(bob["id"])
        client.update_user(bob["id"], role="owner")
        client.delete_user(bob["id"])

        client.archive_project(pid)
        client.list_projects(include_archived=True)

    mine = [e for e in spec_conformance.recorder.pending() if e.test == request.node.nodeid]
    validator = spec_conformance.validator
    assert {validator.operation(e) for e in mine} == _operations(PROJECT_FAMILIES)
    assert [e.status for e in mine] == [200] * len(mine)
    assert validator.validate(mine) == []


def test_every_organization_family_client_method_sends_requests_the_spec_accepts(
    emulator: EmulatorServer, spec_conformance: SuiteConformance, request: pytest.FixtureRequest
) -> None:
    ada = emulator.add_org_user("ada@example.com", name="Ada")
    project_id = str(emulator.state.create_project("conformance", None, None)["id"])
    model_id = emulator.state.models[0].id
    channel: Any = {"type": "email", "recipients": ["finance@example.com"], "subject_prefix": "[spend]"}
    now = emulator.state.now()
    today = now - now % 86400
    with OpenAIAdminClient(emulator.admin_key, base_url=emulator.base_url, max_retries=0) as client:
        role = client.create_role(role_name="auditor", permissions=["api.organization.read"], description="reads")
        client.list_roles()
        client.get_role(role["id"])
        client.update_role(role["id"], description="reads more")

        client.assign_user_role(ada["id"], role_id=role["id"])
        client.list_user_roles(ada["id"])
        client.get_user_role(ada["id"], role["id"])
        client.unassign_user_role(ada["id"], role["id"])

        group = client.create_group(name="team")
        client.list_groups()
        client.get_group(group["id"])
        client.update_group(group["id"], name="renamed team")
        client.add_group_user(group["id"], user_id=ada["id"])
        client.list_group_users(group["id"])
        client.get_group_user(group["id"], ada["id"])
        client.remove_group_user(group["id"], ada["id"])
        client.assign_group_role(group["id"], role_id=role["id"])
        client.list_group_roles(group["id"])
        client.get_group_role(group["id"], role["id"])
        client.unassign_group_role(group["id"], role["id"])

        member = next(r["id"] for r in client.list_roles() if r["name"] == "Project Member")
        client.add_project_group(project_id, group_id=group["id"], role=member)
        client.list_project_groups(project_id)
        client.get_project_group(project_id, group["id"], group_type="group")
        client.remove_project_group(project_id, group["id"])
        client.delete_group(group["id"])
        client.delete_role(role["id"])

        key = client.create_admin_api_key(name="automation", expires_in_seconds=3600)
        client.list_admin_api_keys()
        client.get_admin_api_key(key["id"])
        client.delete_admin_api_key(key["id"])

        certificate = client.upload_certificate(certificate=make_pem_certificate()[0], name="mtls")
        client.list_organization_certificates()
        client.get_certificate(certificate["id"], include=["content"])
        client.update_certificate(certificate["id"], name="mtls 2")
        client.activate_organization_certificates(certificate_ids=[certificate["id"]])
        client.deactivate_organization_certificates(certificate_ids=[certificate["id"]])
        client.activate_project_certificates(project_id, certificate_ids=[certificate["id"]])
        client.list_project_certificates(project_id)
        client.deactivate_project_certificates(project_id, certificate_ids=[certificate["id"]])
        client.delete_certificate(certificate["id"])

        client.get_organization_data_retention()
        client.update_organization_data_retention(retention_type="zero_data_retention")
        client.get_project_data_retention(project_id)
        client.update_project_data_retention(project_id, retention_type="organization_default")

        client.update_project_model_permissions(project_id, mode="allow_list", model_ids=[model_id])
        client.get_project_model_permissions(project_id)
        client.delete_project_model_permissions(project_id)
        client.get_project_hosted_tool_permissions(project_id)
        client.update_project_hosted_tool_permissions(project_id, web_search={"enabled": False})

        alert = client.create_organization_spend_alert(threshold_amount=50_000, notification_channel=channel)
        client.list_organization_spend_alerts()
        client.get_organization_spend_alert(alert["id"])
        client.update_organization_spend_alert(alert["id"], threshold_amount=60_000, notification_channel=channel)
        client.delete_organization_spend_alert(alert["id"])
        alert = client.create_project_spend_alert(project_id, threshold_amount=5_000, notification_channel=channel)
        client.list_project_spend_alerts(project_id)
        client.get_project_spend_alert(project_id, alert["id"])
        client.update_project_spend_alert(project_id, alert["id"], threshold_amount=6_000, notification_channel=channel)
        client.delete_project_spend_alert(project_id, alert["id"])
        client.update_organization_spend_limit(threshold_amount=100_000)
        client.get_organization_spend_limit()
        client.delete_organization_spend_limit()
        client.update_project_spend_limit(project_id, threshold_amount=10_000)
        client.get_project_spend_limit(project_id)
        client.delete_project_spend_limit(project_id)

        client.list_audit_logs(event_types=["project.updated"], project_ids=[project_id])
        client.list_costs(start_time=today, group_by=["project_id"])
        usage = [row.method_name for row in ENDPOINTS if row.family == "usage" and row.method_name != "list_costs"]
        for method_name in usage:
            getattr(client, method_name)(start_time=today, bucket_width="1h", project_ids=[project_id])

    mine = [e for e in spec_conformance.recorder.pending() if e.test == request.node.nodeid]
    validator = spec_conformance.validator
    assert {validator.operation(e) for e in mine} == _operations(ORGANIZATION_FAMILIES)
    assert [e.status for e in mine] == [200] * len(mine)
    assert validator.validate(mine) == []
