"""The SDK conformance tests name the operations they drive, and the names are checked.

Every test of an ``test_openai_sdk*.py`` module carries ``@pytest.mark.sdk_drives(<operationId>,
...)``: exactly the spec operations that the official SDK (its ``User-Agent``) got a 2xx answer
for during the test (read from the suite's spec recorder, the same traffic the spec check validates).
A missing marker, an operation named but not answered, or one answered but not named
fails the test at teardown. ``test_sdk_operation_coverage.py`` then reads the markers to
prove that every operation of the spec is driven by the SDK or excluded for a stated reason.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_provider_openai_projects.client.endpoints import ENDPOINTS
from tests.conformance.spec_validation import SuiteConformance, _header

SDK_DRIVES = "sdk_drives"
SDK_MODULE_PREFIX = "test_openai_sdk"
#: How the official SDK names itself (``OpenAI/Python 3.x``); other traffic is not counted.
SDK_USER_AGENT = "OpenAI/Python"

#: ``"METHOD /route"`` (as the spec validator names a request) -> ``operationId``.
_OPERATION_IDS = {f"{row.http_method} {row.route}": row.operation_id for row in ENDPOINTS}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{SDK_DRIVES}(*operation_ids): the spec operations an SDK conformance test drives (got a 2xx for); "
        "checked against the test's traffic at teardown",
    )


def _answered(spec_conformance: SuiteConformance, test: str) -> set[str]:
    """The ``operationId`` of every spec operation answered 2xx during ``test`` so far."""
    validator = spec_conformance.validator
    answered = set()
    for exchange in spec_conformance.recorder.pending():
        if exchange.test != test or exchange.status is None or not 200 <= exchange.status < 300:
            continue
        if not _header(exchange.headers, "user-agent").startswith(SDK_USER_AGENT):
            continue  # not sent by the SDK
        operation = validator.operation(exchange)
        if operation is not None:
            answered.add(_OPERATION_IDS[operation])
    return answered


@pytest.fixture(autouse=True)
def _sdk_drives_what_it_names(
    request: pytest.FixtureRequest, _spec_conformance: None, spec_conformance: SuiteConformance
) -> Iterator[None]:
    """At teardown (before the spec check drains the recorder), compare the marker with the
    traffic of an SDK conformance test."""
    yield
    if not request.node.path.name.startswith(SDK_MODULE_PREFIX):
        return
    answered = _answered(spec_conformance, request.node.nodeid)
    marker = request.node.get_closest_marker(SDK_DRIVES)
    if marker is None:
        pytest.fail(
            f"SDK conformance test without @pytest.mark.{SDK_DRIVES}(...); it drives: {sorted(answered)}",
            pytrace=False,
        )
    named = set(marker.args)
    if named != answered:
        pytest.fail(
            f"@pytest.mark.{SDK_DRIVES} names {sorted(named)} but the SDK got a 2xx for {sorted(answered)} "
            f"(named, not answered: {sorted(named - answered)}; answered, not named: {sorted(answered - named)})",
            pytrace=False,
        )
