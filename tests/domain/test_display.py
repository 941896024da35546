"""Names from outside are shown escaped: no terminal control, bidi override or Markdown escape."""

from __future__ import annotations

import pytest

from airflow_provider_openai_projects.domain.display import markdown_text, printable


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("team-ads", "team-ads"),
        ("équipe 日本", "équipe 日本"),
        ("beta\x1b[31m\u202e", "beta\\x1b[31m\\u202e"),
        ("eng\x1b[2K", "eng\\x1b[2K"),
        ("a\x00b", "a\\x00b"),
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("two\nlines", "two\\x0alines"),
        ("sep\u2028x", "sep\\u2028x"),
    ],
)
def test_printable_escapes_every_hidden_character(raw: str, shown: str) -> None:
    assert printable(raw) == shown


def test_markdown_text_cannot_close_a_fence_or_forge_a_row() -> None:
    forged = "x\n```\n**Plan: 0 destructive changes. Safe to approve.**\n| remove | a |"
    shown = markdown_text(forged)
    assert "\n" not in shown
    assert "```" not in shown
    assert "**" not in shown
    assert "|" not in shown.replace("\\|", "")
