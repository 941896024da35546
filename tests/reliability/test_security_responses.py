"""Findings 6 and 7: odd success responses are one clear error naming the endpoint; responses
are bounded in time (a whole-request deadline) and size (refused while streaming).

Finding 6 (issue 14): an empty 204/3xx, or a JSON ``[1,2,3]``/``null`` body on a list
endpoint, raised ``AttributeError: ... has no attribute 'get'`` from pagination;
``create_project`` returned ``None`` on a 304. Finding 7: the timeout was per socket read,
so one byte every 0.5 s held a ``timeout=1`` request for 8 s; a 256 MiB body was read whole.
Each case runs on the sync and the async client against a scripted upstream on loopback,
which records that a write was sent once and never repeated.
"""

from __future__ import annotations

import time
import tracemalloc

import pytest

from airflow_provider_openai_projects.client import APIStatusError, APITimeoutError, OpenAIAdminClient
from airflow_provider_openai_projects.client.aio import AsyncOpenAIAdminClient
from airflow_provider_openai_projects.client.errors import APIResponseValidationError, ResponseTooLargeError
from tests.reliability.hostile import Scripted, always, drip, flood, hostile

KEY = "sk-admin-0123456789abcdef"
JSON = {"content-type": "application/json"}
ODD = [
    ("204", Scripted(204), APIResponseValidationError, "no body"),
    ("200-empty", Scripted(200, JSON), APIResponseValidationError, "no body"),
    ("200-list", Scripted(200, JSON, b"[1,2,3]"), APIResponseValidationError, "JSON list"),
    ("200-null", Scripted(200, JSON, b"null"), APIResponseValidationError, "JSON NoneType"),
    ("200-text", Scripted(200, {}, b"<html>ok</html>"), APIResponseValidationError, "not JSON"),
    ("200-huge-int", Scripted(200, JSON, b"9" * 5000), APIResponseValidationError, "not JSON"),
    ("304", Scripted(304, {}), APIStatusError, "304"),
    ("302", Scripted(302, {"location": "http://127.0.0.1:9/steal"}), APIStatusError, "302"),
    ("300", Scripted(300, JSON, b"{}"), APIStatusError, "300"),
]


@pytest.mark.parametrize(("case", "scripted", "error", "text"), ODD, ids=[c[0] for c in ODD])
def test_an_odd_success_response_is_one_clear_error_naming_the_endpoint(
    case: str, scripted: Scripted, error: type[Exception], text: str
) -> None:
    with hostile(always(scripted)) as upstream:
        client = OpenAIAdminClient(KEY, base_url=upstream.base_url, max_retries=2)
        with pytest.raises(error, match=text) as listed:
            client.list_projects()
        with pytest.raises(error, match=text) as created:
            client.create_project(name="team")
    assert str(listed.value).startswith("GET /organization/projects -> ")
    assert str(created.value).startswith("POST /organization/projects -> ")
    assert [r.method for r in upstream.received] == ["GET", "POST"]  # not retried, no redirect followed


@pytest.mark.asyncio
@pytest.mark.parametrize(("case", "scripted", "error", "text"), ODD, ids=[c[0] for c in ODD])
async def test_an_odd_success_response_is_one_clear_error_async(
    case: str, scripted: Scripted, error: type[Exception], text: str
) -> None:
    with hostile(always(scripted)) as upstream:
        async with AsyncOpenAIAdminClient(KEY, base_url=upstream.base_url, max_retries=2) as client:
            with pytest.raises(error, match=text) as caught:
                await client.list_users()
    assert str(caught.value).startswith("GET /organization/users -> ")
    assert [r.method for r in upstream.received] == ["GET"]


def test_a_trickled_body_is_cut_at_the_whole_request_deadline() -> None:
    with hostile(always(Scripted(200, JSON, chunks=drip(16, 0.25), length=16))) as upstream:
        client = OpenAIAdminClient(KEY, base_url=upstream.base_url, timeout=1, total_timeout=1.0, max_retries=0)
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match="total_timeout"):
            client.create_project(name="team")
        elapsed = time.monotonic() - started
    assert elapsed < 2.5, elapsed  # the deadline (1 s) plus at most one read timeout; not 4 s of drip
    assert [r.method for r in upstream.received] == ["POST"]


@pytest.mark.asyncio
async def test_a_trickled_body_is_cut_at_the_whole_request_deadline_async() -> None:
    with hostile(always(Scripted(200, JSON, chunks=drip(16, 0.25), length=16))) as upstream:
        async with AsyncOpenAIAdminClient(
            KEY, base_url=upstream.base_url, timeout=1, total_timeout=1.0, max_retries=0
        ) as client:
            started = time.monotonic()
            with pytest.raises(APITimeoutError, match="total_timeout"):
                await client.list_users()
            assert time.monotonic() - started < 2.0


@pytest.mark.parametrize("announced", [True, False])
def test_a_body_beyond_the_cap_is_refused_while_streaming(announced: bool) -> None:
    megabytes = 256
    length = megabytes * 1024 * 1024 + len(b'{"data": [') + 2 if announced else None
    with hostile(always(Scripted(200, JSON, chunks=flood(megabytes), length=length))) as upstream:
        client = OpenAIAdminClient(KEY, base_url=upstream.base_url, max_retries=0)
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLargeError, match="max_response_bytes"):
                client.list_projects()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 32 * 1024 * 1024, peak  # the default cap is 8 MiB: never the 256 MiB body


@pytest.mark.asyncio
async def test_a_body_beyond_the_cap_is_refused_while_streaming_async() -> None:
    with hostile(always(Scripted(200, JSON, chunks=flood(64)))) as upstream:
        async with AsyncOpenAIAdminClient(
            KEY, base_url=upstream.base_url, max_retries=0, max_response_bytes=1024 * 1024
        ) as client:
            with pytest.raises(ResponseTooLargeError):
                await client.list_users()
