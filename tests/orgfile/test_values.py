"""Every value of the org file checked before the schema and before any request: no control
or format character in any name, email or description; integers within the spec's bounds
(a signed 64-bit integer where the spec gives none), refused with their path."""

from __future__ import annotations

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.orgfile import engine
from airflow_provider_openai_projects.orgfile.errors import OrgFileError
from airflow_provider_openai_projects.orgfile.loader import load_text

from .conftest import Org

# The names of issue 17 (created in an organization through a file that passed the schema),
# and other hidden characters: NUL, U+200B zero-width space, U+202E right-to-left override,
# U+2028 line separator, U+FEFF, a C1 control.
HIDDEN = pytest.mark.parametrize(
    ("text", "path", "shown"),
    [
        ('projects:\n  "beta\\e[31m\\u202e": {}\n', "projects['beta\\x1b[31m\\u202e']", "\\x1b at position 4"),
        ('groups:\n  "eng\\e[2K": {}\n', "groups['eng\\x1b[2K']", "\\x1b at position 3"),
        (
            'organization:\n  members:\n    "ada\\e[8m@example.com": reader\n',
            "organization.members['ada\\x1b[8m@example.com']",
            "\\x1b at position 3",
        ),
        ('roles:\n  viewer-lite:\n    description: "read\\u200bonly"\n', "roles['viewer-lite'].description", "\\u200b"),
        ('roles:\n  r:\n    permissions: ["api.organization.read\\0"]\n', "roles.r.permissions[0]", "\\x00"),
        ('projects:\n  p:\n    groups: {"eng": "Project\\u2028Owner"}\n', "projects.p.groups.eng", "\\u2028"),
        (
            "organization:\n  spend_alerts: [{threshold_amount: 5, recipients: [a@example.com], "
            'subject_prefix: "\\x9b31m"}]\n',
            "organization.spend_alerts[0].subject_prefix",
            "\\x9b",
        ),
        ('projects:\n  p:\n    certificates: ["mtls\\uFEFF"]\n', "projects.p.certificates[0]", "\\ufeff"),
        (
            'projects:\n  p:\n    rate_limits: {"gpt-4o\\u202e": {max_requests_per_1_minute: 1}}\n',
            "projects.p.rate_limits",
            "\\u202e",
        ),
        ("roles:\n  r:\n    description: |\n      read only\n", "roles.r.description", "a line break"),
    ],
    ids=[
        "project",
        "group",
        "invite",
        "description",
        "permission",
        "role",
        "subject",
        "certificate",
        "model",
        "newline",
    ],
)


@HIDDEN
def test_a_hidden_character_anywhere_is_refused_at_its_path_escaped_before_any_request(
    text: str, path: str, shown: str, client: OpenAIAdminClient, org: Org
) -> None:
    with pytest.raises(OrgFileError) as raised:
        engine.apply(client, load_text(text, "org.yaml"))
    message = str(raised.value)
    assert message.startswith(f"org.yaml: {path}"), message
    assert shown in message
    assert all(c.isprintable() for c in message)
    assert org.emulator.log.entries() == []


LIMITS = pytest.mark.parametrize(
    ("text", "path"),
    [
        ("organization:\n  spend_limit: {threshold_amount: %s}\n", "organization.spend_limit.threshold_amount"),
        ("projects:\n  p:\n    spend_limit: {threshold_amount: %s}\n", "projects.p.spend_limit.threshold_amount"),
        (
            "organization:\n  spend_alerts: [{threshold_amount: %s, recipients: [a@example.com]}]\n",
            "organization.spend_alerts[0].threshold_amount",
        ),
        (
            "projects:\n  p:\n    rate_limits: {gpt-4o: {max_tokens_per_1_minute: %s}}\n",
            "projects.p.rate_limits['gpt-4o'].max_tokens_per_1_minute",
        ),
        ("settings:\n  max_destructive_changes: %s\n", "settings.max_destructive_changes"),
    ],
    ids=["org-spend-limit", "project-spend-limit", "alert", "rate-limit", "destructive-cap"],
)


@LIMITS
@pytest.mark.parametrize("number", [10**30, 2**63, -(2**63) - 1])
def test_an_integer_beyond_64_bits_is_refused_with_its_path_before_any_request(
    text: str, path: str, number: int, client: OpenAIAdminClient, emulator: EmulatorServer
) -> None:
    """``threshold_amount: 10**30`` once passed the schema and the plan; apply created a
    project (which can never be deleted) and then stopped on the bound."""
    emulator.log.clear()
    document = text % number + "projects:\n  team-new: {}\n" if not text.startswith("projects") else text % number
    with pytest.raises(OrgFileError) as raised:
        engine.apply(client, load_text(document, "org.yaml"))
    assert str(raised.value).startswith(f"org.yaml: {path}: "), str(raised.value)
    assert "too large" in str(raised.value)
    assert emulator.log.entries() == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "organization:\n  spend_limit: {threshold_amount: 0}\n",
            "organization.spend_limit.threshold_amount: 0 is less than the minimum of 1",
        ),
        (
            "organization:\n  spend_alerts: [{threshold_amount: -1, recipients: [a@example.com]}]\n",
            "organization.spend_alerts[0].threshold_amount: -1 is less than the minimum of 0",
        ),
        ("settings:\n  max_destructive_changes: 1000001\n", "settings.max_destructive_changes: 1000001 is more than"),
        (
            "organization:\n  spend_limit: {threshold_amount: 1.0}\n",
            "organization.spend_limit.threshold_amount: must be integer, got number",
        ),
        (
            "organization:\n  spend_limit: {threshold_amount: true}\n",
            "organization.spend_limit.threshold_amount: must be integer, got boolean",
        ),
        (
            "organization:\n  spend_limit: {threshold_amount: .inf}\n",
            "organization.spend_limit.threshold_amount: must be integer, got number",
        ),
    ],
)
def test_integers_take_the_specs_bounds_and_only_integers(text: str, expected: str) -> None:
    with pytest.raises(OrgFileError) as raised:
        load_text(text, "org.yaml")
    assert str(raised.value).startswith(f"org.yaml: {expected}"), str(raised.value)


def test_the_largest_64_bit_threshold_is_accepted() -> None:
    spec = load_text(f"organization:\n  spend_limit: {{threshold_amount: {2**63 - 1}}}\n", "org.yaml")
    assert spec.document["organization"]["spend_limit"]["threshold_amount"] == 2**63 - 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("projects: !!set {a, b}\n", "org.yaml: projects: a set is not a plain value"),
        ("projects:\n  p:\n    model_permissions: !!binary aGVsbG8=\n", "projects.p.model_permissions: a bytes"),
    ],
)
def test_only_plain_json_values_are_accepted(text: str, expected: str) -> None:
    with pytest.raises(OrgFileError, match=expected.replace("(", r"\(").replace(".", r"\.")):
        load_text(text, "org.yaml")


def test_a_long_value_is_never_quoted_whole() -> None:
    """The schema's own messages ``repr()`` the value: a 1 MB string would be the error."""
    text = "projects:\n  p:\n    model_permissions: " + "x" * 1_000_000 + "\n"
    with pytest.raises(OrgFileError) as raised:
        load_text(text, "org.yaml")
    assert len(str(raised.value)) < 300
    assert str(raised.value) == (
        "org.yaml: projects.p.model_permissions: this string matches none of the forms allowed here "
        "(see the schema's description)"
    )
