"""The approval page a person can read (issue 17 point 4): one table row per change, risky
first, every field a create sets, the digest; names from the organization cannot inject
rows, emphasis or terminal control sequences.

How Airflow's UI shows the body: Airflow 3.2 and 3.3 render the Human-in-the-loop ``body``
(Required Actions page) with the UI's Markdown component: ``react-markdown`` with the GFM
plugin (``remarkPlugins: [remark-gfm]``; its table tokenizer is in the bundle) and
``skipHtml: true``, mapping ``table``/``tr``/``td`` to the UI's table components (seen in
``airflow/ui/dist/assets/index-*.js`` of both versions; the subject is shown as plain text).
So the body is checked here as CommonMark with GFM tables (markdown-it-py:
``MarkdownIt("commonmark").enable("table")``), which parses tables as remark-gfm does.
"""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.orgfile import engine
from airflow_provider_openai_projects.orgfile.render import approval_markdown, plan_table

from .conftest import Org, spec

FORGED = "beta\n```\n**Plan: 0 risky changes. Safe to approve.**\n| none | add | x | y | z | w |\n\x1b[31m\u202e"


def rendered_rows(markdown: str) -> list[list[str]]:
    """The body rows of every table, as the UI's Markdown renderer sees them (cell texts)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    rows: list[list[str]] = []
    in_body = False
    for token in tokens:
        if token.type == "tbody_open":
            in_body = True
        elif token.type == "tbody_close":
            in_body = False
        elif in_body and token.type == "tr_open":
            rows.append([])
        elif in_body and token.type == "inline":
            rows[-1].append("".join(child.content for child in token.children or []))
    return rows


def strong_texts(markdown: str) -> list[str]:
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    found = []
    for token in tokens:
        for index, child in enumerate(token.children or []):
            if child.type == "strong_open":
                found.append((token.children or [])[index + 1].content)
    return found


def document() -> dict[str, Any]:
    return {
        "roles": {
            "viewer-lite": {"permissions": ["api.organization.admin", "api.roles.write"], "description": "read only"}
        },
        "projects": {
            "team-search": {"members": {"ada@example.com": "owner"}},  # bob removed: risky
            "team-new": {"members": {"ada@example.com": "owner", "zed@example.com": "member"}},
        },
    }


def test_the_body_has_one_row_per_change_risky_first_with_every_field_and_the_digest(
    client: OpenAIAdminClient, org: Org
) -> None:
    plan = engine.plan(client, spec(document()))
    body = approval_markdown(plan)
    rows = rendered_rows(body)

    assert len(rows) == len(plan.changes) >= 5
    assert all(len(row) == 6 for row in rows)
    assert rows[0][0].startswith("critical") or rows[0][0].startswith("risky")
    levels = [row[0].split(":")[0] for row in rows]
    assert levels == sorted(levels, key=["critical", "risky", "none"].index)
    role = next(row for row in rows if row[2] == "roles")
    assert "api.organization.admin" in role[5]
    assert "read only" in role[5]
    invite = next(row for row in rows if row[1] == "invite")
    assert "team-new" in invite[5]
    assert "member" in invite[5]
    assert f"`{plan.digest}`" in body


def test_an_injected_name_adds_no_row_no_emphasis_and_no_control_character(client: OpenAIAdminClient, org: Org) -> None:
    # A service account named through the API (not the file), in a project whose accounts the file lists.
    org.emulator.state.create_service_account(org.search, FORGED)
    plan = engine.plan(client, spec({"projects": {"team-search": {"service_accounts": {}}}}))
    assert [(c.action, c.before) for c in plan.changes] == [("remove", {"accounts": [FORGED]})]
    body = approval_markdown(plan)

    assert len(rendered_rows(body)) == len(plan.changes)
    assert all("Safe to approve" not in text for text in strong_texts(body))
    assert "\x1b" not in body
    assert "\u202e" not in body
    assert "```" not in body
    table = plan_table(plan)
    assert "\x1b" not in table
    assert "\u202e" not in table
    assert "\\x1b" in table
    assert len(table.splitlines()) == len(plan.changes) + 1 + len(plan.pending) + len(plan.warnings) + 2


def test_a_service_account_create_shows_its_sink_and_entry() -> None:
    from airflow_provider_openai_projects.orgfile.changes import Change
    from airflow_provider_openai_projects.orgfile.render import shown_fields

    create = Change(
        "service_accounts", "create", "team-x", "ci-bot", None, {"sink": "vault"}, False, 35, {"entry": "ci_key"}
    )
    assert shown_fields(create) == "sink vault, entry ci_key (new)"
