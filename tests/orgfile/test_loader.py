"""Bad org files: one line naming the file, the path inside it and the problem; no request."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from airflow_provider_openai_projects.orgfile.errors import OrgFileError
from airflow_provider_openai_projects.orgfile.loader import load_file, load_text, schema

GOOD = """
projects:
  team-search:
    members:
      Ada@Example.com: owner
    rate_limits:
      "gpt-4o*": {max_requests_per_1_minute: 500}
    archived: false
settings:
  max_destructive_changes: 3
"""


def test_a_good_file_loads_with_emails_lower_cased_and_settings_read() -> None:
    spec = load_text(GOOD, "org.yaml")
    project = spec.projects["team-search"]
    assert project.members == {"ada@example.com": "owner"}
    assert project.rate_limits is not None
    assert project.rate_limits.desired("gpt-4o-mini")
    assert spec.max_destructive_changes == 3


def test_the_shipped_schema_is_a_valid_json_schema_and_accepts_the_example_file() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
    example = Path(__file__).resolve().parents[2] / "dags_examples" / "config" / "openai_org.yaml"
    load_file(example)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("projects: [oops", "org.yaml, line 1: (YAML): invalid YAML"),
        ("projects:\n  a: {}\n  a: {}\n", "org.yaml, line 3: (YAML): invalid YAML: duplicate key 'a'"),
        ("projcts: {}\n", "org.yaml: projcts: unknown key"),
        ("projects:\n  a:\n    membres: {}\n", "org.yaml: projects.a.membres: unknown key"),
        (
            "projects:\n  team-search:\n    members:\n      ada@example.com: admin\n",
            "org.yaml: projects['team-search'].members['ada@example.com']: 'admin' is not one of owner, member",
        ),
        (
            "projects:\n  a:\n    rate_limits:\n      gpt-4o: {max_requests_per_minute: 5}\n",
            "org.yaml: projects.a.rate_limits['gpt-4o'].max_requests_per_minute: unknown key",
        ),
        (
            "projects:\n  a:\n    rate_limits:\n      gpt-4o: {max_requests_per_1_minute: -5}\n",
            "org.yaml: projects.a.rate_limits['gpt-4o'].max_requests_per_1_minute: -5 is less than the minimum of 0",
        ),
        (
            "projects:\n  a:\n    members:\n      Ada@x.com: owner\n      ada@x.com: member\n",
            "org.yaml: projects.a.members['ada@x.com']: this person is listed twice",
        ),
        ("projects:\n  a:\n    archived: true\n    members: {}\n", "org.yaml: projects.a: an archived project cannot"),
        (
            "settings:\n  max_destructive_changes: many\n",
            "org.yaml: settings.max_destructive_changes: must be integer, got string",
        ),
        (
            "projects:\n  a:\n    members:\n      not-an-email: owner\n",
            "org.yaml: projects.a.members['not-an-email']: bad key: 'not-an-email' is not an email address",
        ),
    ],
)
def test_a_bad_file_gets_one_line_naming_file_path_and_problem(text: str, expected: str) -> None:
    with pytest.raises(OrgFileError) as raised:
        load_text(text, "org.yaml")
    message = str(raised.value)
    assert message.startswith(expected), message
    assert "\n" not in message


def test_a_missing_file_is_reported_as_such(tmp_path: Path) -> None:
    with pytest.raises(OrgFileError, match=r"missing.yaml: \(file\): cannot read the file"):
        load_file(tmp_path / "missing.yaml")


def test_json_is_yaml_too() -> None:
    assert load_text(json.dumps({"projects": {"p": {"archived": True}}})).projects["p"].wants_archived
