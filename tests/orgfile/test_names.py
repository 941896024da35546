"""Names of the org file that begin or end with whitespace: refused when the file is loaded,
before any request (``"a"`` and ``"a "`` would be two objects that look the same in the plan
and the approval table); a live object so named is still read, exported and planned."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml

from airflow_provider_openai_projects.cli.org import main
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.orgfile.errors import OrgFileError
from airflow_provider_openai_projects.orgfile.loader import load_file

PEOPLE = (
    "people:\n  source: {uri: 'file:///nowhere.csv'}\n"
    "  columns: {email: work_email, status: employment_status, team: team_name, manager: manager_email}\n"
    "  active: [active]\n  leaver: [terminated]\n  teams:\n"
)


@pytest.fixture
def conn(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> EmulatorServer:
    """``openai-org``'s default connection points at the (reset) emulator, its log empty."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_OPENAI_ADMIN_DEFAULT",
        json.dumps({"conn_type": "openai_admin", "host": emulator.base_url, "password": emulator.admin_key}),
    )
    emulator.log.clear()
    return emulator


def openai_org(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("text", "path", "shown"),
    [
        ("projects:\n  'team-a ': {}\n", "projects['team-a ']", "'team-a ' ends with"),
        ("groups:\n  ' eng': {}\n", "groups[' eng']", "' eng' begins with"),
        ("groups:\n  eng: {roles: ['auditor ']}\n", "groups.eng.roles[0]", "'auditor ' ends with"),
        ("roles:\n  ' auditor ': {permissions: [api.model.read]}\n", "roles[' auditor ']", "begins and ends with"),
        ("projects:\n  p:\n    service_accounts:\n      'bot ': {}\n", "service_accounts['bot ']", "'bot ' ends"),
        ("projects:\n  p:\n    groups: {'eng ': Project Member}\n", "projects.p.groups['eng ']", "'eng ' ends"),
        ("projects:\n  p:\n    groups: {eng: 'Project Member '}\n", "projects.p.groups.eng", "'Project Member '"),
        ("organization:\n  certificates: ['ca ']\n", "organization.certificates[0]", "'ca ' ends with"),
        (PEOPLE + "    'search ': {}\n", "people.teams['search ']", "'search ' ends with"),
        (PEOPLE + "    s: {projects: {' p': member}}\n", "people.teams.s.projects[' p']", "' p' begins"),
        (PEOPLE + '    s: {groups: ["eng\\u3000"]}\n', "people.teams.s.groups[0]", "'eng\\u3000' ends with"),
    ],
)
def test_a_name_with_leading_or_trailing_whitespace_is_refused_naming_its_path_before_any_request(
    conn: EmulatorServer, tmp_path: Path, text: str, path: str, shown: str
) -> None:
    org = tmp_path / "org.yaml"
    org.write_text(text)

    with pytest.raises(OrgFileError) as refused:
        load_file(org)
    code, _, err = openai_org("plan", "-f", str(org))

    assert path in refused.value.path
    assert shown in str(refused.value)
    assert "whitespace" in str(refused.value)
    assert code == 1
    assert err.startswith(f"openai-org: error: {org}: "), err
    assert err.count("\n") == 1
    assert path in err
    assert conn.log.entries() == []


def test_names_with_inner_spaces_are_accepted(tmp_path: Path) -> None:
    org = tmp_path / "org.yaml"
    org.write_text(
        "projects:\n  'team a':\n    groups: {'eng b': Project Member}\n    service_accounts: {'bot c': {}}\n"
        "groups:\n  'eng b': {roles: ['audit d']}\nroles:\n  'audit d': {permissions: [api.model.read]}\n"
    )

    spec = load_file(org)

    assert list(spec.projects) == ["team a"]
    assert list(spec.document["groups"]) == ["eng b"]


def test_a_live_project_named_with_a_trailing_space_is_planned_and_its_export_is_refused_on_reload(
    conn: EmulatorServer, tmp_path: Path
) -> None:
    """Made outside the file: the plan of a file that does not name it works; the export keeps
    the space (quoted), so re-loading it is a clear error, not silently the name without it."""
    conn.state.create_project("team-a ")
    conn.state.create_project("team-b")
    org = tmp_path / "org.yaml"
    org.write_text("projects:\n  team-b: {}\n")
    exported = tmp_path / "exported.yaml"

    planned = openai_org("plan", "-f", str(org))
    code, _, err = openai_org("export", "-o", str(exported))
    assert code == 0, err
    conn.log.clear()
    replanned = openai_org("plan", "-f", str(exported))

    assert planned[0] == 0, planned
    assert "team-a " in yaml.safe_load(exported.read_text())["projects"]
    assert replanned[0] == 1
    assert "projects['team-a ']: bad key: 'team-a ' ends with whitespace" in replanned[2]
    assert conn.log.entries() == []
