"""Spend limits, spend alerts and certificate activation in the org file, organization and
project scopes, over the emulator: export -> plan in sync, minimum writes then none, drift
field by field, alerts matched by their fields (look before create, unlisted ones removed
only when the key is present), unknown certificate names refused, bad values refused
before any request, interrupted applies converge with no duplicate."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from airflow_provider_openai_projects.client import OpenAIAdminClient
from airflow_provider_openai_projects.emulator.faults import FaultRule
from airflow_provider_openai_projects.emulator.server import EmulatorServer
from airflow_provider_openai_projects.orgfile import engine
from airflow_provider_openai_projects.orgfile.engine import ApplyError
from airflow_provider_openai_projects.orgfile.errors import OrgFileError
from airflow_provider_openai_projects.orgfile.loader import load_text
from airflow_provider_openai_projects.orgfile.read_count import read_organization_lists
from airflow_provider_openai_projects.orgfile.reader import LiveReader
from tests.x509_certificates import make_pem_certificate

from .conftest import Org, reads, seed, spec, writes

FINANCE = "finance@example.com"
CFO = "cfo@example.com"
ADA = "ada@example.com"


def channel(*recipients: str) -> dict[str, Any]:
    return {"type": "email", "recipients": list(recipients)}


def seed_scoped(emulator: EmulatorServer) -> tuple[Org, dict[str, str]]:
    """The base organization, plus: certificates mtls-a (active for the organization),
    mtls-b (inactive) and mtls-c (active for team-search); an organization limit of $1000
    and an alert at $500 to finance; a team-search alert at $10 to ada."""
    org = seed(emulator)
    state = emulator.state
    certificates = {
        name: state.upload_certificate(make_pem_certificate(f"{name}.example.com")[0], name)["id"]
        for name in ("mtls-a", "mtls-b", "mtls-c")
    }
    state.set_organization_certificates_active([certificates["mtls-a"]], True)
    state.set_project_certificates_active(org.search, [certificates["mtls-c"]], True)
    state.update_spend_limit(None, 100000, "USD", "month")
    state.create_spend_alert(None, 50000, "USD", "month", channel(FINANCE))
    state.create_spend_alert(org.search, 1000, "USD", "month", channel(ADA))
    emulator.log.clear()
    return org, certificates


DESIRED: dict[str, Any] = {
    "settings": {"max_destructive_changes": 5},
    "organization": {
        "spend_limit": {"threshold_amount": 200000},
        "spend_alerts": [
            {"threshold_amount": 50000, "recipients": [FINANCE]},
            {"threshold_amount": 80000, "recipients": [FINANCE, CFO], "subject_prefix": "[OpenAI]"},
        ],
        "certificates": ["mtls-a", "mtls-b"],
    },
    "projects": {
        "team-search": {"spend_limit": {"threshold_amount": 5000}, "spend_alerts": [], "certificates": []},
        "team-ads": {
            "spend_alerts": [{"threshold_amount": 1000, "recipients": [ADA]}],
            "certificates": ["mtls-b"],
        },
        "team-new": {
            "spend_limit": {"threshold_amount": 100, "currency": "USD", "interval": "month"},
            "spend_alerts": [{"threshold_amount": 50, "recipients": [ADA]}],
            "certificates": ["mtls-a"],
        },
    },
}


def alert_key(alert: dict[str, Any]) -> tuple[int, tuple[str, ...], str | None]:
    channel = alert["notification_channel"]
    return alert["threshold_amount"], tuple(sorted(channel["recipients"])), channel.get("subject_prefix")


def scoped_state(emulator: EmulatorServer) -> dict[str, Any]:
    """Limits, alerts (without ids, as a sorted list: duplicates show) and active
    certificate names, per scope (projects by name)."""
    snapshot = emulator.state.snapshot()["spend"]
    names = {p.id: p.name for p in emulator.state.projects}

    def scope(state: dict[str, Any], project_id: str | None) -> dict[str, Any]:
        active = sorted(
            str(c.name)
            for c in emulator.state.certificates
            if (c.active_for_organization if project_id is None else project_id in c.active_projects)
        )
        return {
            "limit": None if state["spend_limit"] is None else state["spend_limit"]["threshold_amount"],
            "alerts": sorted(alert_key(a) for a in state["spend_alerts"]),
            "certificates": active,
        }

    result = {"organization": scope(snapshot["organization"], None)}
    for project_id, state in snapshot["projects"].items():
        result[names[project_id]] = scope(state, project_id)
    return result


def test_export_then_plan_is_in_sync_with_the_organization_scope_exported(
    client: OpenAIAdminClient, emulator: EmulatorServer
) -> None:
    seed_scoped(emulator)

    document = engine.export(client)

    assert document["organization"]["spend_limit"] == {"threshold_amount": 100000}
    assert document["organization"]["spend_alerts"] == [{"threshold_amount": 50000, "recipients": [FINANCE]}]
    assert document["organization"]["certificates"] == ["mtls-a"]
    emulator.log.clear()
    assert engine.plan(client, spec(document)).in_sync
    assert writes(emulator) == []


def test_an_organization_without_limit_exports_none_and_plans_in_sync(
    client: OpenAIAdminClient, emulator: EmulatorServer
) -> None:
    seed(emulator)

    document = engine.export(client)

    assert document["organization"]["spend_limit"] == "none"
    assert document["organization"]["spend_alerts"] == []
    assert document["organization"]["certificates"] == []
    assert engine.plan(client, spec(document)).in_sync


def minimum_writes(org: Org, new_project: str) -> list[str]:
    """What DESIRED needs from seed_scoped's state, one write per line."""
    search, ads, new = (
        f"/organization/projects/{org.search}",
        f"/organization/projects/{org.ads}",
        f"/organization/projects/{new_project}",
    )
    return sorted(
        [
            "POST /organization/spend_limit",  # 100000 -> 200000
            "POST /organization/spend_alerts",  # the $800 alert (the $500 one is there)
            "POST /organization/certificates/activate",  # mtls-b
            f"POST {search}/spend_limit",  # none -> 5000
            f"DELETE {search}/spend_alerts/*",  # the $10 alert, not listed
            f"POST {search}/certificates/deactivate",  # mtls-c
            f"POST {ads}/spend_alerts",
            f"POST {ads}/certificates/activate",
            "POST /organization/projects",  # team-new
            f"POST {new}/spend_limit",
            f"POST {new}/spend_alerts",
            f"POST {new}/certificates/activate",
        ]
    )


def masked(paths: list[str]) -> list[str]:
    return sorted(p.rsplit("/", 1)[0] + "/*" if "/spend_alerts/" in p else p for p in paths)


def test_apply_makes_the_minimum_writes_and_a_second_apply_none(
    client: OpenAIAdminClient, emulator: EmulatorServer
) -> None:
    org, _ = seed_scoped(emulator)

    result = engine.apply(client, spec(DESIRED))

    new_project = next(p.id for p in emulator.state.projects if p.name == "team-new")
    assert masked(writes(emulator)) == minimum_writes(org, new_project)
    assert result.writes == len(writes(emulator))
    # the team-search alert, mtls-c for team-search, and a money change (a limit raised or
    # an alert's recipients replaced)
    assert result.plan.destructive_count == 3
    assert scoped_state(emulator) == {
        "organization": {
            "limit": 200000,
            "alerts": [(50000, (FINANCE,), None), (80000, (CFO, FINANCE), "[OpenAI]")],
            "certificates": ["mtls-a", "mtls-b"],
        },
        "team-search": {"limit": 5000, "alerts": [], "certificates": []},
        "team-ads": {"limit": None, "alerts": [(1000, (ADA,), None)], "certificates": ["mtls-b"]},
        "team-new": {"limit": 100, "alerts": [(50, (ADA,), None)], "certificates": ["mtls-a"]},
        "Default project": {"limit": None, "alerts": [], "certificates": []},
    }
    emulator.log.clear()
    assert engine.apply(client, spec(DESIRED)).writes == 0
    assert writes(emulator) == []


def test_drift_is_reported_field_by_field_and_alert_writes_never_touch_the_limit(
    client: OpenAIAdminClient, emulator: EmulatorServer
) -> None:
    org, certificates = seed_scoped(emulator)
    engine.apply(client, spec(DESIRED))
    alert = next(a for a in client.list_organization_spend_alerts() if a["threshold_amount"] == 80000)
    client.update_organization_spend_alert(
        alert["id"], threshold_amount=80000, notification_channel={"type": "email", "recipients": [FINANCE]}
    )
    client.update_organization_spend_limit(threshold_amount=300000)
    client.activate_project_certificates(org.search, certificate_ids=[certificates["mtls-c"]])
    client.delete_project_spend_limit(org.search)
    emulator.log.clear()

    plan = engine.plan(client, spec(DESIRED))

    assert writes(emulator) == []
    found = {(c.family, c.action, c.where, c.what, str(c.before), str(c.after), c.destructive) for c in plan.changes}
    assert found == {
        ("spend_limit", "update", "organization", "spend limit", "{'threshold_amount': 300000}",
         "{'threshold_amount': 200000}", False),
        ("spend_alerts", "update", "organization", "spend_alerts[1]",
         str({"recipients": [FINANCE], "subject_prefix": None}),
         str({"recipients": [CFO, FINANCE], "subject_prefix": "[OpenAI]"}), False),
        ("certificates", "remove", "team-search", "mtls-c", "{'active': True}", "{'active': False}", True),
        ("spend_limit", "update", "team-search", "spend limit", "{'threshold_amount': None}",
         "{'threshold_amount': 5000}", False),
    }  # fmt: skip
    engine.apply(client, spec(DESIRED))
    assert sorted(w.split(" ")[0] + " " + w.rsplit("/", 1)[-1] for w in writes(emulator)) == sorted(
        [
            "POST deactivate",
            f"POST {alert['id']}",  # one update, no create and delete
            "POST spend_limit",
            "POST spend_limit",
        ]
    )
    assert client.get_organization_spend_limit()["threshold_amount"] == 200000


def test_alerts_are_unmanaged_when_absent_and_an_empty_list_removes_every_one(
    client: OpenAIAdminClient, emulator: EmulatorServer
) -> None:
    org, _ = seed_scoped(emulator)
    client.create_organization_spend_alert(threshold_amount=70000, notification_channel=channel(CFO))
    emulator.log.clear()
    assert engine.plan(client, spec({"organization": {"spend_limit": {"threshold_amount": 100000}}})).in_sync

    plan = engine.plan(client, spec({"organization": {"spend_alerts": []}}))

    assert [(c.action, c.what, c.destructive) for c in plan.changes] == [
        ("remove", "alert at 50000 cents (not in the file)", True),
        ("remove", "alert at 70000 cents (not in the file)", True),
    ]
    engine.apply(client, spec({"organization": {"spend_alerts": []}}))
    assert client.list_organization_spend_alerts() == []
    assert client.get_organization_spend_limit()["threshold_amount"] == 100000  # untouched
    assert len(client.list_project_spend_alerts(org.search)) == 1  # another scope, unmanaged


def test_spend_limit_none_deletes_the_limit_destructively(client: OpenAIAdminClient, emulator: EmulatorServer) -> None:
    seed_scoped(emulator)
    document = {"organization": {"spend_limit": "none"}}

    plan = engine.plan(client, spec(document))
    assert [(c.family, c.action, c.before, c.destructive) for c in plan.changes] == [
        ("spend_limit", "remove", {"threshold_amount": 100000}, True)
    ]
    engine.apply(client, spec(document))
    assert writes(emulator) == ["DELETE /organization/spend_limit"]
    assert len(client.list_organization_spend_alerts()) == 1  # the alert stays
    emulator.log.clear()
    assert engine.apply(client, spec(document)).writes == 0


@pytest.mark.parametrize(
    ("where", "names", "path", "problem"),
    [
        ("organization", ["mtls-a", "mtls-z"], "organization.certificates[1]", "no certificate of the organization"),
        ("team-search", ["mtls-z"], "projects['team-search'].certificates[0]", "no certificate of the organization"),
        ("team-new", ["mtls-z"], "projects['team-new'].certificates[0]", "no certificate of the organization"),
        ("organization", ["twin"], "organization.certificates[0]", "2 certificates are named 'twin'"),
    ],
)
def test_an_unknown_or_ambiguous_certificate_name_is_a_plan_error_naming_the_path_with_no_write(
    client: OpenAIAdminClient, emulator: EmulatorServer, where: str, names: list[str], path: str, problem: str
) -> None:
    seed_scoped(emulator)
    for _ in range(2):
        emulator.state.upload_certificate(make_pem_certificate("twin.example.com")[0], "twin")
    emulator.log.clear()
    document: dict[str, Any] = {"organization": {}, "projects": {"team-search": {}, "team-new": {}}}
    (document["organization"] if where == "organization" else document["projects"][where])["certificates"] = names

    with pytest.raises(OrgFileError) as raised:
        engine.apply(client, spec(document))

    assert str(raised.value).startswith(f"org.yaml: {path}: {problem}"), str(raised.value)
    assert writes(emulator) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "organization:\n  spend_limit: {threshold_amount: 0}\n",
            "org.yaml: organization.spend_limit.threshold_amount: 0 is less than the minimum of 1",
        ),
        (
            "organization:\n  spend_limit: {threshold_amount: 10, currency: EUR}\n",
            "org.yaml: organization.spend_limit.currency: 'USD' was expected",
        ),
        (
            "projects:\n  a:\n    spend_limit: {amount: 10}\n",
            "org.yaml: projects.a.spend_limit.amount: unknown key (known keys here: currency, interval, "
            "threshold_amount)",
        ),
        ("organization:\n  spend_limit: unlimited\n", "org.yaml: organization.spend_limit: 'none' was expected"),
        (
            "organization:\n  spend_alerts: [{threshold_amount: 5, recipients: [not-an-email]}]\n",
            "org.yaml: organization.spend_alerts[0].recipients[0]: 'not-an-email' does not match",
        ),
        (
            "organization:\n  spend_alerts: [{threshold_amount: 5, recipients: []}]\n",
            "org.yaml: organization.spend_alerts[0].recipients: [] should be non-empty",
        ),
        (
            "projects:\n  a:\n    spend_alerts: [{threshold_amount: 5, recipients: [a@b.co], channel: email}]\n",
            "org.yaml: projects.a.spend_alerts[0].channel: unknown key",
        ),
        (
            "projects:\n  a:\n    spend_alerts:\n      - {threshold_amount: 5, recipients: [a@b.co, c@b.co]}\n"
            "      - {threshold_amount: 5, recipients: [c@b.co, a@b.co]}\n",
            "org.yaml: projects.a.spend_alerts[1]: the same alert as spend_alerts[0]",
        ),
        ("organization:\n  certificates: mtls-a\n", "org.yaml: organization.certificates: must be array"),
        (
            "projects:\n  a:\n    certificates: [mtls-a, mtls-b, mtls-a]\n",
            "org.yaml: projects.a.certificates[2]: 'mtls-a' is listed twice",
        ),
    ],
)
def test_a_bad_value_is_one_line_naming_the_path_and_sends_no_request(
    client: OpenAIAdminClient, emulator: EmulatorServer, text: str, expected: str
) -> None:
    emulator.log.clear()
    with pytest.raises(OrgFileError) as raised:
        engine.plan(client, load_text(text, "org.yaml"))
    message = str(raised.value)
    assert message.startswith(expected), message
    assert "\n" not in message
    assert emulator.log.entries() == []


def test_the_new_keys_cost_one_read_per_scope_and_expected_reads_counts_them(
    client: OpenAIAdminClient, emulator: EmulatorServer
) -> None:
    seed_scoped(emulator)
    base: dict[str, Any] = {"projects": {"team-search": {"members": {ADA: "owner", "bob@example.com": "member"}}}}
    full = copy.deepcopy(base)
    full["organization"] = {"spend_limit": "none", "spend_alerts": [], "certificates": []}
    full["projects"]["team-search"].update({"spend_limit": "none", "spend_alerts": [], "certificates": []})

    plain, declared = engine.plan(client, spec(base)), None
    emulator.log.clear()
    declared = engine.plan(client, spec(full))

    assert declared.reads - plain.reads == 6
    assert reads(emulator) == declared.reads
    for document, planned in ((base, plain), (full, declared)):
        reader = LiveReader(client)
        read_organization_lists(spec(document), reader)
        assert engine.expected_reads(spec(document), reader) == planned.reads


def test_an_apply_interrupted_after_each_write_converges_on_rerun_without_duplicates(
    client: OpenAIAdminClient, emulator: EmulatorServer
) -> None:
    seed_scoped(emulator)
    engine.apply(client, spec(DESIRED))
    reference = [e.method for e in emulator.log.writes()]
    expected = scoped_state(emulator)

    interrupted = 0
    for k, method in enumerate(reference):
        emulator.reset()
        seed_scoped(emulator)
        before = reference[:k].count(method)
        if before:
            emulator.faults.add(FaultRule(method=method, path="*", latency=0.001, times=before))
        emulator.faults.add(FaultRule(method=method, path="*", status=500, when="after"))
        try:
            engine.apply(client, spec(DESIRED))
        except ApplyError:
            interrupted += 1
        emulator.faults.clear()
        engine.apply(client, spec(DESIRED))

        assert engine.plan(client, spec(DESIRED)).in_sync, f"interrupted after write {k + 1}"
        assert scoped_state(emulator) == expected, f"interrupted after write {k + 1} ({method})"
    # creates recover by looking (no duplicate), the other writes stop the apply and the rerun resumes
    assert interrupted > 0
