"""AwsSecretsManagerKeySink over real HTTP against moto's standalone Secrets Manager server.

moto's ``ThreadedMotoServer`` is an HTTP implementation of the AWS APIs; it runs on a
loopback port and a real boto3 client talks to it through ``endpoint_url`` with fake
credentials. Requests are counted with botocore's own ``before-send`` event. Where moto
differs from AWS (deleting a missing secret succeeds on moto, fails with
``ResourceNotFoundException`` on AWS), botocore's ``Stubber`` plays AWS's answer.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import pytest
import requests
from airflow.sdk._shared.secrets_masker import redact
from botocore.config import Config
from botocore.stub import Stubber
from moto.server import ThreadedMotoServer

from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.operators.rotation import RotateServiceAccountOperator
from airflow_provider_openai_projects.sinks import AwsSecretsManagerKeySink, KeySink, StoredKey
from tests.operators.conftest import make_context

REGION = "us-east-1"
PREFIX = "airflow/openai/"
NAME = "openai_team_api_key"
SECRET = PREFIX + NAME
VALUE = "sk-svcacct-aws-sink-test-value-0123456789abcdef"
METADATA = {"project_id": "proj_1", "service_account_id": "svc_acct_1", "generation": "g1"}
ROOT = Path(__file__).resolve().parents[2]


# -- moto's server and clients on it ----------------------------------------------------------


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """One moto server on a free loopback port for the session."""
    werkzeug = logging.getLogger("werkzeug")
    level = werkzeug.level
    werkzeug.setLevel(logging.ERROR)  # one access-log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        werkzeug.setLevel(level)


@pytest.fixture
def moto(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto emptied, and fake credentials for the standard AWS chain (no file, no metadata service)."""
    for variable, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    requests.post(f"{moto_url}/moto-api/reset", timeout=10).raise_for_status()
    yield moto_url
    requests.post(f"{moto_url}/moto-api/reset", timeout=10).raise_for_status()


class Calls(list[str]):
    """The Secrets Manager operations a client sent over HTTP, in order."""

    def record(self, request: Any, **_: Any) -> None:
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else target
        self.append(target.rpartition(".")[2])


@pytest.fixture
def calls() -> Calls:
    return Calls()


def secrets_client(url: str, calls: Calls | None = None, **kwargs: Any) -> Any:
    client = boto3.client("secretsmanager", region_name=REGION, endpoint_url=url, **kwargs)
    if calls is not None:
        client.meta.events.register("before-send.secrets-manager", calls.record)
    return client


@pytest.fixture
def sm(moto: str, calls: Calls) -> Any:
    """A boto3 Secrets Manager client on moto whose requests are recorded in ``calls``."""
    return secrets_client(moto, calls)


@pytest.fixture
def sink(sm: Any) -> AwsSecretsManagerKeySink:
    return AwsSecretsManagerKeySink(client=sm, prefix=PREFIX)


def raw(sm: Any, secret_id: str = SECRET, **kwargs: Any) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(sm.get_secret_value(SecretId=secret_id, **kwargs)["SecretString"])
    return payload


def exists(sm: Any, secret_id: str) -> bool:
    try:
        sm.describe_secret(SecretId=secret_id)
    except sm.exceptions.ResourceNotFoundException:
        return False
    return True


# -- the protocol -------------------------------------------------------------------------------


def test_aws_sink_is_a_key_sink(sink: AwsSecretsManagerKeySink) -> None:
    assert isinstance(sink, KeySink)


def test_store_load_delete_round_trip(sink: AwsSecretsManagerKeySink, sm: Any) -> None:
    sink.store(NAME, VALUE, METADATA)
    assert sink.load(NAME) == StoredKey(value=VALUE, metadata=METADATA)
    sink.delete(NAME)
    assert sink.load(NAME) is None
    assert not exists(sm, SECRET), "delete must not leave the secret in a recovery window"


def test_secret_holds_json_with_the_key_and_the_metadata_under_the_prefixed_name(
    sink: AwsSecretsManagerKeySink, sm: Any
) -> None:
    sink.store(NAME, VALUE, METADATA)
    assert raw(sm) == {"api_key": VALUE, **METADATA}
    assert [s["Name"] for s in sm.list_secrets()["SecretList"]] == [SECRET]


def test_store_of_a_new_secret_creates_it_then_reads_it_back(sink: AwsSecretsManagerKeySink, calls: Calls) -> None:
    sink.store(NAME, VALUE, METADATA)
    assert calls == ["PutSecretValue", "CreateSecret", "GetSecretValue"]


def test_second_store_writes_a_new_version_and_load_returns_it(
    sink: AwsSecretsManagerKeySink, sm: Any, calls: Calls
) -> None:
    sink.store(NAME, VALUE, METADATA)
    first_version = sm.get_secret_value(SecretId=SECRET)["VersionId"]
    newer = VALUE.replace("0123", "4567")
    calls.clear()
    sink.store(NAME, newer, {**METADATA, "generation": "g2"})
    assert calls == ["PutSecretValue", "GetSecretValue"]

    assert sink.load(NAME) == StoredKey(value=newer, metadata={**METADATA, "generation": "g2"})
    current = sm.get_secret_value(SecretId=SECRET)
    assert current["VersionId"] != first_version
    assert raw(sm, VersionStage="AWSPREVIOUS")["api_key"] == VALUE
    versions = sm.list_secret_version_ids(SecretId=SECRET)["Versions"]
    assert len(versions) == 2


def test_load_of_a_missing_secret_is_none(sink: AwsSecretsManagerKeySink, calls: Calls) -> None:
    assert sink.load("openai_nobody_api_key") is None
    assert calls == ["GetSecretValue"]


def test_load_of_a_secret_scheduled_for_deletion_is_none(sink: AwsSecretsManagerKeySink, sm: Any) -> None:
    sink.store(NAME, VALUE, METADATA)
    sm.delete_secret(SecretId=SECRET, RecoveryWindowInDays=7)
    assert sink.load(NAME) is None


def test_store_on_a_secret_scheduled_for_deletion_restores_it_with_the_new_key(
    sink: AwsSecretsManagerKeySink, sm: Any
) -> None:
    sink.store(NAME, VALUE, METADATA)
    sm.delete_secret(SecretId=SECRET, RecoveryWindowInDays=7)
    newer = VALUE.replace("0123", "7777")
    sink.store(NAME, newer, METADATA)
    assert "DeletedDate" not in sm.describe_secret(SecretId=SECRET)
    assert sink.load(NAME) == StoredKey(value=newer, metadata=METADATA)


def test_delete_of_a_missing_secret_is_fine(sink: AwsSecretsManagerKeySink, sm: Any) -> None:
    sink.delete("openai_nobody_api_key")
    assert not exists(sm, PREFIX + "openai_nobody_api_key")


def test_delete_accepts_aws_not_found_answer_for_a_missing_secret(moto: str) -> None:
    # AWS answers a forced delete of a missing secret with ResourceNotFoundException (moto with 200).
    client = secrets_client(moto)
    with Stubber(client) as stub:
        stub.add_client_error(
            "delete_secret",
            service_error_code="ResourceNotFoundException",
            http_status_code=400,
            expected_params={"SecretId": SECRET, "ForceDeleteWithoutRecovery": True},
        )
        AwsSecretsManagerKeySink(client=client, prefix=PREFIX).delete(NAME)
        stub.assert_no_pending_responses()


def test_delete_raises_on_any_other_error(moto: str) -> None:
    client = secrets_client(moto)
    with Stubber(client) as stub:
        stub.add_client_error("delete_secret", service_error_code="AccessDeniedException", http_status_code=400)
        with pytest.raises(botocore.exceptions.ClientError, match="AccessDeniedException"):
            AwsSecretsManagerKeySink(client=client, prefix=PREFIX).delete(NAME)


def test_store_retries_a_create_while_awss_forced_deletion_of_the_name_is_in_progress(moto: str) -> None:
    # AWS deletes asynchronously: right after a forced delete, creating the same name fails for
    # a few seconds with InvalidRequestException, and the secret can be neither found nor restored.
    client = secrets_client(moto)
    sink = AwsSecretsManagerKeySink(client=client, prefix=PREFIX)
    sink.recreate_waits = (0.0,)
    payload = json.dumps({"api_key": VALUE, **METADATA})
    with Stubber(client) as stub:
        stub.add_client_error("put_secret_value", service_error_code="ResourceNotFoundException")
        stub.add_client_error("create_secret", service_error_code="InvalidRequestException")
        stub.add_client_error("describe_secret", service_error_code="ResourceNotFoundException")
        stub.add_response("create_secret", {"Name": SECRET})
        stub.add_response("get_secret_value", {"Name": SECRET, "SecretString": payload}, {"SecretId": SECRET})
        sink.store(NAME, VALUE, METADATA)
        stub.assert_no_pending_responses()


def test_store_gives_up_when_the_name_stays_unavailable(moto: str) -> None:
    client = secrets_client(moto)
    sink = AwsSecretsManagerKeySink(client=client, prefix=PREFIX)
    sink.recreate_waits = (0.0,)
    with Stubber(client) as stub:
        stub.add_client_error("put_secret_value", service_error_code="ResourceNotFoundException")
        for _ in range(2):
            stub.add_client_error("create_secret", service_error_code="InvalidRequestException")
            stub.add_client_error("describe_secret", service_error_code="ResourceNotFoundException")
        with pytest.raises(botocore.exceptions.ClientError, match="InvalidRequestException") as caught:
            sink.store(NAME, VALUE, METADATA)
        stub.assert_no_pending_responses()
    assert VALUE not in str(caught.value)


# -- a failed read is never "not stored" ----------------------------------------------------------


def test_load_raises_when_access_is_denied_instead_of_returning_none(moto: str, sink: AwsSecretsManagerKeySink) -> None:
    sink.store(NAME, VALUE, METADATA)
    iam = boto3.client("iam", region_name=REGION, endpoint_url=moto)
    iam.create_user(UserName="no-secrets")
    key = iam.create_access_key(UserName="no-secrets")["AccessKey"]
    denied = secrets_client(moto, aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    # From now on moto checks IAM permissions: this user has none.
    requests.post(f"{moto}/moto-api/reset-auth", data=b"0", timeout=10).raise_for_status()
    try:
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            AwsSecretsManagerKeySink(client=denied, prefix=PREFIX).load(NAME)
    finally:
        requests.post(f"{moto}/moto-api/reset-auth", data=b"inf", timeout=10).raise_for_status()
    # moto answers this JSON API's denial with an XML body, so botocore reports the code as "403".
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "not authorized to perform: secretsmanager:GetSecretValue" in str(caught.value)
    assert sink.load(NAME) is not None, "the secret is still there: the denied read must not have looked empty"


def test_load_raises_when_secrets_manager_is_unreachable(moto: str) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = secrets_client(
        f"http://127.0.0.1:{port}", config=Config(retries={"total_max_attempts": 1}, connect_timeout=2)
    )
    with pytest.raises(botocore.exceptions.EndpointConnectionError):
        AwsSecretsManagerKeySink(client=closed, prefix=PREFIX).load(NAME)


def test_load_refuses_a_secret_it_did_not_write(sink: AwsSecretsManagerKeySink, sm: Any) -> None:
    sm.create_secret(Name=SECRET, SecretString="hunter2-database-password")
    with pytest.raises(ValueError, match="does not hold a key stored by this sink") as caught:
        sink.load(NAME)
    assert "hunter2" not in str(caught.value)


# -- the store proves its write ---------------------------------------------------------------------


class StaleReads:
    """A Secrets Manager client whose reads return the previous version (a write that did not
    take effect for readers); everything else goes to the real client."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def get_secret_value(self, **kwargs: Any) -> Any:
        return self._client.get_secret_value(VersionStage="AWSPREVIOUS", **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_store_raises_when_the_read_back_does_not_hold_the_written_key(sink: AwsSecretsManagerKeySink, sm: Any) -> None:
    sink.store(NAME, VALUE, METADATA)
    newer = VALUE.replace("0123", "8888")
    with pytest.raises(OSError, match="the key was not stored") as caught:
        AwsSecretsManagerKeySink(client=StaleReads(sm), prefix=PREFIX).store(NAME, newer, METADATA)
    assert newer not in str(caught.value)
    assert newer not in repr(caught.value)
    assert VALUE not in str(caught.value)


class EchoingWrites:
    """A client whose write fails with an error that quotes the secret string it was sent."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def put_secret_value(self, **kwargs: Any) -> Any:
        raise RuntimeError(f"rejected SecretString={kwargs['SecretString']}")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_an_error_quoting_the_key_is_replaced_by_one_that_does_not(sm: Any) -> None:
    with pytest.raises(OSError, match="withheld because it contains the key") as caught:
        AwsSecretsManagerKeySink(client=EchoingWrites(sm), prefix=PREFIX).store(NAME, VALUE, METADATA)
    assert VALUE not in str(caught.value)
    assert VALUE not in repr(caught.value)
    assert caught.value.__suppress_context__, "the original exception must not be printed with it"


def test_store_fails_when_secrets_manager_is_unreachable_without_the_key_in_the_error(moto: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = secrets_client(
        f"http://127.0.0.1:{port}", config=Config(retries={"total_max_attempts": 1}, connect_timeout=2)
    )
    with pytest.raises(botocore.exceptions.EndpointConnectionError) as caught:
        AwsSecretsManagerKeySink(client=closed, prefix=PREFIX).store(NAME, VALUE, METADATA)
    assert VALUE not in str(caught.value)


def test_metadata_cannot_override_the_key_field(sink: AwsSecretsManagerKeySink, calls: Calls) -> None:
    with pytest.raises(ValueError, match="'api_key' field"):
        sink.store(NAME, VALUE, {"api_key": "sk-something-else-entirely"})
    assert calls == []


# -- secrets never leak ------------------------------------------------------------------------------


def test_store_registers_the_key_with_the_masker(sink: AwsSecretsManagerKeySink) -> None:
    value = VALUE.replace("0123", "store")
    assert value in redact(f"key={value}"), "precondition: not masked before the store"
    sink.store(NAME, value, METADATA)
    assert value not in redact(f"key={value}")


def test_load_registers_the_key_with_the_masker(sink: AwsSecretsManagerKeySink, sm: Any) -> None:
    value = VALUE.replace("0123", "loaded")
    sm.create_secret(Name=SECRET, SecretString=json.dumps({"api_key": value, **METADATA}))
    assert value in redact(f"key={value}"), "precondition: not masked before the load"
    stored = sink.load(NAME)
    assert stored is not None
    assert stored.value == value
    assert value not in redact(f"key={value}")


def test_repr_shows_where_not_what(sink: AwsSecretsManagerKeySink, moto: str) -> None:
    sink.store(NAME, VALUE, METADATA)
    stored = sink.load(NAME)
    assert VALUE not in repr(sink)
    assert VALUE not in repr(stored)
    assert repr(sink) == "AwsSecretsManagerKeySink(prefix='airflow/openai/')"
    assert (
        repr(AwsSecretsManagerKeySink(region_name=REGION, endpoint_url=moto))
        == f"AwsSecretsManagerKeySink(region_name='us-east-1', endpoint_url='{moto}')"
    )


# -- names and construction ----------------------------------------------------------------------------


def test_a_name_secrets_manager_rejects_fails_before_any_request(sink: AwsSecretsManagerKeySink, calls: Calls) -> None:
    invalid = r"invalid secret_variable: 'airflow/openai/team:key' is not a valid AWS Secrets Manager secret name"
    with pytest.raises(InvalidInputError, match=invalid):
        sink.store("team:key", VALUE, METADATA)
    with pytest.raises(InvalidInputError, match=invalid):
        sink.load("team:key")
    assert calls == []


def test_a_bad_prefix_is_rejected_when_the_sink_is_made() -> None:
    with pytest.raises(InvalidInputError, match="invalid prefix"):
        AwsSecretsManagerKeySink(prefix="openai keys/")


def test_default_client_comes_from_region_endpoint_and_the_credential_chain(moto: str, sm: Any) -> None:
    sink = AwsSecretsManagerKeySink(region_name=REGION, endpoint_url=moto)
    sink.store(NAME, VALUE, METADATA)
    assert raw(sm, NAME)["api_key"] == VALUE
    assert sink.load(NAME) == StoredKey(value=VALUE, metadata=METADATA)


def test_deepcopy_shares_the_sink_and_its_client(sink: AwsSecretsManagerKeySink) -> None:
    assert copy.deepcopy(sink) is sink


def test_importing_sinks_loads_no_boto3_and_using_the_sink_without_it_says_what_to_install() -> None:
    script = """
import sys
import airflow_provider_openai_projects.sinks as sinks
from airflow_provider_openai_projects.sinks.aws_secrets_manager import AwsSecretsManagerKeySink
sink = sinks.AwsSecretsManagerKeySink(region_name="us-east-1", prefix="p/")
assert sinks.AwsSecretsManagerKeySink is AwsSecretsManagerKeySink
assert "AwsSecretsManagerKeySink" in sinks.__all__
print("LOADED", sorted(m for m in ("boto3", "botocore") if m in sys.modules))
sys.modules["boto3"] = None  # as if it were not installed
try:
    sink.load("openai_team_api_key")
except ImportError as exc:
    print("ERROR", exc)
"""
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith(("LOADED ", "ERROR "))]
    assert lines[0] == "LOADED []", "importing the sinks (or making an AWS sink) imported boto3"
    assert lines[1] == (
        "ERROR AwsSecretsManagerKeySink needs boto3, which is not installed: "
        "pip install 'airflow-provider-openai-projects[aws]'"
    )


# -- end to end: a rotation keeps its keys in Secrets Manager ----------------------------------------


@pytest.fixture
def admin_connection(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> EmulatorServer:
    monkeypatch.setenv(
        "AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT",
        json.dumps({"conn_type": "openai_admin", "host": emulator.base_url, "password": emulator.admin_key}),
    )
    return emulator


def weekly_run(day: int) -> Any:
    return make_context(run_id=f"scheduled__2026-11-{day:02d}T08:00:00+00:00", run_after=f"2026-11-{day:02d}T08:00:00Z")


def test_rotation_keeps_the_key_in_secrets_manager_and_the_next_run_promotes_a_new_generation(
    admin_connection: EmulatorServer, sink: AwsSecretsManagerKeySink, sm: Any, calls: Calls
) -> None:
    project_id = str(admin_connection.state.create_project("Team")["id"])

    def rotate(context: Any) -> dict[str, Any]:
        operator = RotateServiceAccountOperator(
            task_id="rotate", project_id=project_id, service_account_name="team", key_sink=sink, verify_backoff=0
        )
        result: dict[str, Any] = operator.execute(context)
        return result

    first_run = weekly_run(19)
    first = rotate(first_run)
    payload = raw(sm)
    old_value = payload.pop("api_key")
    assert payload["service_account_id"] == first["service_account_id"]
    assert payload["generation"] == first["generation"]
    assert payload["verified"] is True
    assert admin_connection.use_key(old_value) == 200
    assert not exists(sm, SECRET + "_pending"), "the pending entry is removed once promoted"
    assert old_value not in redact(f"Bearer {old_value}")
    assert old_value not in json.dumps(first)
    assert old_value not in json.dumps(first_run["ti"].xcom)

    # The same DAG run again: nothing written, neither to the API nor to Secrets Manager.
    admin_connection.log.clear()
    calls.clear()
    assert rotate(weekly_run(19)) == {**first, "resumed": True}
    assert admin_connection.log.writes() == []
    assert set(calls) == {"GetSecretValue"}

    # Next week's run: a new generation becomes the current version of the same secret.
    second_run = weekly_run(26)
    second = rotate(second_run)
    payload = raw(sm)
    new_value = payload.pop("api_key")
    assert second["generation"] != first["generation"]
    assert payload["service_account_id"] == second["service_account_id"] != first["service_account_id"]
    assert payload["previous_generation"] == first["generation"]
    assert payload["previous_service_account_id"] == first["service_account_id"]
    assert admin_connection.use_key(new_value) == 200
    assert admin_connection.use_key(old_value) == 200, "the previous generation is kept unless asked"
    assert raw(sm, VersionStage="AWSPREVIOUS")["api_key"] == old_value
    assert not exists(sm, SECRET + "_pending")
    assert new_value not in redact(f"Bearer {new_value}")
    assert new_value not in json.dumps(second)
    assert new_value not in json.dumps(second_run["ti"].xcom)
