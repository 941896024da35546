"""Configuration is checked before anything is sent; the key never shows in repr or errors."""

from __future__ import annotations

import pytest

from airflow_provider_openai_projects.client import ConfigurationError, OpenAIAdminClient
from airflow_provider_openai_projects.client.transport import normalize_base_url

KEY = "sk-admin-0123456789abcdefghijklmnop"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, "https://api.openai.com/v1"),
        ("", "https://api.openai.com/v1"),
        ("https://api.openai.com/v1/", "https://api.openai.com/v1"),
        ("https://api.openai.com", "https://api.openai.com/v1"),
        ("api.openai.com", "https://api.openai.com/v1"),
        ("http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1"),
        ("http://localhost:9/v1", "http://localhost:9/v1"),
        ("http://[::1]:9/v1", "http://[::1]:9/v1"),
        ("https://gateway.example.com/openai/v1", "https://gateway.example.com/openai/v1"),
    ],
)
def test_base_url_is_normalised(given: str | None, expected: str) -> None:
    assert normalize_base_url(given) == expected


@pytest.mark.parametrize(
    "url",
    ["http://api.openai.com/v1", "http://10.0.0.5:8080/v1", "http://example.com", "http://127.0.0.1.nip.io/v1"],
)
def test_plain_http_to_a_non_loopback_host_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError, match="plain http:// to a non-loopback host"):
        OpenAIAdminClient(KEY, base_url=url)


@pytest.mark.parametrize("url", ["ftp://host/v1", "https://user:pw@host/v1", "https://host/v1?x=1", "https://"])
def test_malformed_base_urls_are_refused(url: str) -> None:
    with pytest.raises(ConfigurationError):
        OpenAIAdminClient(KEY, base_url=url)


@pytest.mark.parametrize("key", ["", "   ", "sk-admin-abc def"])
def test_missing_or_malformed_key_is_refused(key: str) -> None:
    with pytest.raises(ConfigurationError, match="key"):
        OpenAIAdminClient(key)


@pytest.mark.parametrize(
    ("option", "value"),
    [("timeout", 0), ("timeout", -1), ("max_retries", -1), ("max_retries", 1.5), ("requests_per_minute", -5)],
)
def test_bad_numeric_options_are_refused(option: str, value: float) -> None:
    with pytest.raises(ValueError, match=option):
        OpenAIAdminClient(KEY, **{option: value})  # type: ignore[arg-type]


def test_repr_never_shows_the_key() -> None:
    client = OpenAIAdminClient(KEY)
    assert KEY not in repr(client)
    assert KEY not in repr(client._transport)
    assert "api.openai.com" in repr(client)
