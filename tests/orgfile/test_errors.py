"""Org-file errors: one line, escaped, bounded, whatever the file or its name holds."""

from __future__ import annotations

from airflow_provider_openai_projects.orgfile.changes import Change, Plan
from airflow_provider_openai_projects.orgfile.engine import ApplyError, ApplyResult
from airflow_provider_openai_projects.orgfile.errors import MAX_MESSAGE, MAX_PATH_PART, OrgFileError, format_path


def test_a_path_quotes_keys_escaped_and_cut() -> None:
    assert format_path(["projects", "team-search", "members", "ada@example.com"]) == (
        "projects['team-search'].members['ada@example.com']"
    )
    assert format_path(["groups", "eng\x1b[2K\u202e", 0]) == "groups['eng\\x1b[2K\\u202e'][0]"
    long = format_path(["projects", "x" * 5000])
    assert long == f"projects[{'x' * (MAX_PATH_PART - 1) + '…'!r}]"
    assert format_path([]) == "(top level)"


def test_an_error_is_one_escaped_line_of_bounded_length() -> None:
    error = OrgFileError("org\x1b[31m.yaml", "(file)", "bad\nnews " + "y" * 5000, line=3)
    message = str(error)
    assert message.startswith("org\\x1b[31m.yaml, line 3: (file): bad\\x0anews ")
    assert len(message) == MAX_MESSAGE
    assert message.endswith("…")
    assert error.path == "(file)"
    assert error.line == 3


def test_an_apply_that_stopped_quotes_the_change_and_the_api_message_escaped() -> None:
    """An :class:`ApplyError` (any refused plan) names a live object and echoes the API's message:
    neither reaches the CLI's stderr or the task's log raw."""
    change = Change("members", "remove", "team-x", "mal\x1b[8mlory@example.com", {"role": "member"}, None, True, 60)
    plan = Plan(source="org.yaml", desired={}, fingerprint="sha256:0", changes=[change], max_destructive_changes=1)
    error = ApplyError(
        f"apply stopped at {change.describe()}: User 'eve\u202e' is not a member", ApplyResult(plan), change
    )
    assert str(error) == (
        "apply stopped at remove members team-x mal\\x1b[8mlory@example.com: role member -> -: "
        "User 'eve\\u202e' is not a member"
    )
