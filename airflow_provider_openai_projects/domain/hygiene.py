"""Organization hygiene: idle keys and service accounts, keys made outside the automation,
projects near their spend limit, certificates about to expire. No Airflow import.

:func:`scan` reads (never writes) and returns a :class:`HygieneReport`; :func:`act` deletes
exactly the report's actionable findings. Actionable are idle service accounts, and idle
*user* keys (a person's) only when the policy says so explicitly (``delete_user_keys``);
never a name in the exclusion list, never a service account the provider's key rotation
recorded as one of its generations (its key sink entries name the account:
``rotation_account_ids``; a ``<logical>--<N>`` name alone proves nothing, anyone can choose
it), never a key made outside the automation: such a key is reported as foreign and only
as foreign (not also as idle), and never deleted, not even with its service account (an idle
account holding one, or made outside the automation with its first key, is reported only).
Spend and certificates are reported only.

Limit: a key or account is known as made outside the automation only from the
``api_key.created`` and ``service_account.created`` events of the last
``audit_lookback_days``; an older one has no known maker and does not keep its idle service
account from deletion.

Reads: one list of projects; per active project one list of keys and one of service
accounts; one audit-log scan of ``api_key.created`` and ``service_account.created``
events over the look-back; one
costs read for the month; one spend-limit read per project that has a cost this month;
one list of certificates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from airflow_provider_openai_projects.client.errors import NotFoundError
from airflow_provider_openai_projects.client.resources import AdminMethods
from airflow_provider_openai_projects.domain.display import printable
from airflow_provider_openai_projects.domain.key_generations import GENERATION_SEPARATOR

DAY = 86400

FindingKind = Literal["idle_key", "idle_service_account", "foreign_key", "spend_near_limit", "certificate_expiring"]


@dataclass(frozen=True)
class Finding:
    """One thing worth a look. ``actionable`` findings are deleted by :func:`act`."""

    kind: FindingKind
    resource_id: str
    name: str
    project_id: str | None
    project_name: str | None
    detail: str
    actionable: bool = False


@dataclass
class HygieneReport:
    findings: list[Finding] = field(default_factory=list)
    projects_scanned: int = 0

    def of_kind(self, kind: FindingKind) -> list[Finding]:
        return [finding for finding in self.findings if finding.kind == kind]

    def summary(self) -> dict[str, Any]:
        """JSON-able; ids, names and reasons only (never a key value)."""
        counts: dict[str, int] = {}
        for finding in self.findings:
            counts[finding.kind] = counts.get(finding.kind, 0) + 1
        return {
            "projects_scanned": self.projects_scanned,
            "counts": counts,
            "findings": [asdict(finding) for finding in self.findings],
        }

    def table(self) -> str:
        """A readable table, one finding a line; names, ids and reasons from the API shown
        escaped (:func:`~.display.printable`: no name can break a line or colour the log)."""
        rows = [("kind", "project", "resource", "name", "action", "why")]
        for f in self.findings:
            action = "delete" if f.actionable else "report"
            project, resource, name, why = (
                printable(v) for v in (f.project_name or "-", f.resource_id, f.name, f.detail)
            )
            rows.append((f.kind, project, resource, name, action, why))
        widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
        lines.insert(1, "  ".join("-" * width for width in widths))
        return "\n".join(lines) if self.findings else "No finding: the organization is tidy."


HygieneApi = AdminMethods
"""What hygiene reads and deletes with: the hook or the client (both have every method)."""


@dataclass(frozen=True)
class HygienePolicy:
    """What counts as a finding.

    :param idle_days: a key not used for this many days (or never, and older) is idle.
    :param automation_actor_ids: audit-log actor ids (admin key ids, user ids) of the
        automation itself; a key created by any other actor is "foreign".
    :param exclude_names: service-account and key names never deleted.
    :param spend_share: report projects whose month-to-date cost reaches this share of
        their spend limit.
    :param certificate_days: report certificates expiring within this many days.
    :param audit_lookback_days: how far back to look for key creations.
    :param delete_user_keys: the explicit rule that lets :func:`act` delete a person's idle
        key (owner type ``user``); without it such keys are reported only.
    :param rotation_account_ids: ids of the service accounts the key rotation recorded as
        its generations (from its sink entries' ``service_account_id`` and
        ``previous_service_account_id``): left to the rotation, never deleted here.
    """

    idle_days: int = 90
    automation_actor_ids: Sequence[str] = ()
    exclude_names: Sequence[str] = ()
    spend_share: float = 0.8
    certificate_days: int = 30
    audit_lookback_days: int = 30
    delete_user_keys: bool = False
    rotation_account_ids: frozenset[str] = frozenset()


def is_rotation_managed(name: str) -> bool:
    """Whether ``name`` has the shape of a rotation generation (``<logical>--<generation>``).

    The shape alone does not make an account the rotation's (anyone can name an account
    ``exfil--3``): :func:`is_recorded_generation` decides.
    """
    logical, separator, generation = name.partition(GENERATION_SEPARATOR)
    return bool(separator and logical and generation and GENERATION_SEPARATOR not in generation)


def is_recorded_generation(account_id: str, policy: HygienePolicy) -> bool:
    """Whether the key rotation recorded ``account_id`` as one of its generations."""
    return account_id in policy.rotation_account_ids


def rotation_account_ids(metadata: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """The service-account ids the rotation's sink entries record (their metadata's
    ``service_account_id`` and ``previous_service_account_id``)."""
    found: set[str] = set()
    for meta in metadata:
        for key in ("service_account_id", "previous_service_account_id"):
            value = meta.get(key)
            if isinstance(value, str) and value:
                found.add(value)
    return frozenset(found)


def scan(api: HygieneApi, policy: HygienePolicy, *, now: float) -> HygieneReport:
    """Read the organization and return what hygiene found (no write)."""
    report = HygieneReport()
    projects = [p for p in api.list_projects() if p.get("status", "active") == "active"]
    report.projects_scanned = len(projects)
    key_projects: dict[str, Mapping[str, Any]] = {}
    key_ids_of_account: dict[str, set[str]] = {}
    idle: list[Finding] = []
    for project in projects:
        idle.extend(_idle_in_project(api, project, policy, now, key_projects, key_ids_of_account))
    since = int(now - policy.audit_lookback_days * DAY)
    events = list(api.list_audit_logs(event_types=list(_MADE_EVENTS), effective_at={"gte": since}))
    foreign = list(_foreign_keys(events, key_projects, policy))
    made_outside = _accounts_made_outside(events, policy)
    report.findings.extend(
        _sparing_foreign_keys(idle, {f.resource_id for f in foreign}, key_ids_of_account, made_outside)
    )
    report.findings.extend(foreign)
    report.findings.extend(_spend_near_limit(api, projects, policy, now))
    report.findings.extend(_expiring_certificates(api, policy, now))
    return report


def _sparing_foreign_keys(
    idle: Iterable[Finding],
    foreign_ids: set[str],
    key_ids_of_account: Mapping[str, set[str]],
    made_outside: Mapping[str, str],
) -> Iterable[Finding]:
    """``idle`` without what would delete a foreign key: such a key is reported as foreign
    only (never also as an idle key), and an idle account holding one, or made outside the
    automation (``made_outside``: account id -> who; the key the create returns has no
    ``api_key.created`` of its own), is reported only (deleting an account deletes its keys)."""
    for finding in idle:
        if finding.kind == "idle_key" and finding.resource_id in foreign_ids:
            continue
        held = sorted(key_ids_of_account.get(finding.resource_id, set()) & foreign_ids)
        if finding.kind == "idle_service_account" and held:
            detail = f"{finding.detail} (holds {', '.join(held)}, made outside the automation: reported only)"
            finding = replace(finding, detail=detail, actionable=False)
        elif finding.kind == "idle_service_account" and finding.resource_id in made_outside:
            who = made_outside[finding.resource_id]
            detail = f"{finding.detail} (made outside the automation, by {who}: reported only)"
            finding = replace(finding, detail=detail, actionable=False)
        yield finding


def act(api: HygieneApi, report: HygieneReport, log_change: Any) -> list[Finding]:
    """Delete the report's actionable findings; "already gone" counts as done. Returns them."""
    done: list[Finding] = []
    for finding in report.findings:
        if not finding.actionable or finding.project_id is None:
            continue
        if finding.kind not in ("idle_key", "idle_service_account"):
            continue  # a foreign key, spend or a certificate: reported only, whatever the flag says
        try:
            if finding.kind == "idle_key":
                api.delete_project_api_key(finding.project_id, finding.resource_id)
            elif finding.kind == "idle_service_account":
                api.delete_service_account(finding.project_id, finding.resource_id)
            else:
                continue
        except NotFoundError:
            pass
        log_change(
            "deleted %s %s (%s) in project %s: %s",
            finding.kind,
            printable(finding.name),
            printable(finding.resource_id),
            printable(finding.project_name),
            printable(finding.detail),
        )
        done.append(finding)
    return done


def _idle_since(item: Mapping[str, Any], now: float, idle_days: int) -> str | None:
    """Why ``item`` (a key) is idle, or ``None`` if it is in use."""
    cutoff = now - idle_days * DAY
    last_used = item.get("last_used_at")
    if last_used is None:
        created = item.get("created_at") or now
        return f"never used, created {_days_ago(created, now)} days ago" if created < cutoff else None
    return f"last used {_days_ago(last_used, now)} days ago" if last_used < cutoff else None


def _idle_in_project(
    api: HygieneApi,
    project: Mapping[str, Any],
    policy: HygienePolicy,
    now: float,
    key_projects: dict[str, Mapping[str, Any]],
    key_ids_of_account: dict[str, set[str]],
) -> Iterable[Finding]:
    """Idle keys and service accounts of ``project``; records each key's project in
    ``key_projects`` (key id -> project), for :func:`_foreign_keys`, and each service
    account's key ids in ``key_ids_of_account``."""
    project_id, project_name = str(project["id"]), project.get("name")
    keys = api.list_project_api_keys(project_id)
    key_projects.update({str(key["id"]): project for key in keys})
    accounts = api.list_service_accounts(project_id)
    keys_of_account: dict[str, list[Mapping[str, Any]]] = {}
    for key in keys:
        owner = key.get("owner") or {}
        if owner.get("type") == "service_account":
            account_id = str((owner.get("service_account") or {}).get("id"))
            keys_of_account.setdefault(account_id, []).append(key)
            key_ids_of_account.setdefault(account_id, set()).add(str(key["id"]))
            continue
        why = _idle_since(key, now, policy.idle_days)
        if why:
            name = str(key.get("name") or "")
            if not policy.delete_user_keys:
                why += " (a person's key: reported only, no rule deletes it)"
            yield Finding(
                "idle_key",
                str(key["id"]),
                name,
                project_id,
                project_name,
                why,
                actionable=policy.delete_user_keys and name not in policy.exclude_names,
            )
    for account in accounts:
        account_id, name = str(account["id"]), str(account.get("name") or "")
        account_keys = keys_of_account.get(account_id, [])
        reasons = [_idle_since(key, now, policy.idle_days) for key in account_keys]
        if account_keys and all(reasons):
            why = "every key idle: " + "; ".join(r for r in reasons if r)
        elif not account_keys and (account.get("created_at") or now) < now - policy.idle_days * DAY:
            why = f"no key, created {_days_ago(account.get('created_at') or now, now)} days ago"
        else:
            continue
        managed = is_recorded_generation(account_id, policy)
        if managed:
            why += " (a generation the key rotation recorded: left to it)"
        elif is_rotation_managed(name):
            why += " (named like a rotation generation, but no rotation entry records it)"
        yield Finding(
            "idle_service_account",
            account_id,
            name,
            project_id,
            project_name,
            why,
            actionable=not managed and name not in policy.exclude_names,
        )


#: The audit events that say who made a key: a key's own, and a service account's (whose create
#: returns its first key, with no ``api_key.created`` of its own).
_MADE_EVENTS = ("api_key.created", "service_account.created")


def _accounts_made_outside(events: Iterable[Mapping[str, Any]], policy: HygienePolicy) -> dict[str, str]:
    """Service account id -> who made it, for the ``service_account.created`` events whose actor
    is not the automation."""
    automation = set(policy.automation_actor_ids)
    made: dict[str, str] = {}
    for event in events:
        account_id = (event.get("service_account.created") or {}).get("id")
        if event.get("type") != "service_account.created" or not account_id:
            continue
        actor_ids = _actor_ids(event.get("actor") or {})
        if not actor_ids & automation:
            made[str(account_id)] = ", ".join(sorted(actor_ids)) or "an unknown actor"
    return made


def _foreign_keys(
    events: Iterable[Mapping[str, Any]], key_projects: Mapping[str, Mapping[str, Any]], policy: HygienePolicy
) -> Iterable[Finding]:
    """Keys whose ``api_key.created`` event names an actor other than the automation.

    The key's project is found from the key itself (its id is the event's ``id`` detail,
    looked up in the keys just listed), never from the event's ``project``: the spec
    associates "any admin actions taken via Admin API keys" with the default project, so
    a key another automation's admin key made in project X carries the Default project.
    A key deleted since its event is reported with its project unknown, unless a person
    made it (a session's event names the project it was scoped to).
    """
    automation = set(policy.automation_actor_ids)
    for event in events:
        if event.get("type") != "api_key.created":
            continue
        actor = event.get("actor") or {}
        actor_ids = _actor_ids(actor)
        if actor_ids & automation:
            continue
        created = event.get("api_key.created") or {}
        key_id = str(created.get("id") or event.get("id"))
        project = key_projects.get(key_id)
        if project is None and actor.get("type") == "session":
            project = event.get("project")
        who = ", ".join(sorted(actor_ids)) or "an unknown actor"
        where = "" if project is not None else "; the key is gone, its project unknown"
        yield Finding(
            "foreign_key",
            key_id,
            "",
            str(project["id"]) if project is not None else None,
            project.get("name") if project is not None else None,
            f"created by {who}, not by the automation{where}",
        )


def _actor_ids(actor: Mapping[str, Any]) -> set[str]:
    ids: set[str] = set()
    api_key = actor.get("api_key") or {}
    session = actor.get("session") or {}
    for value in (
        api_key.get("id"),
        (api_key.get("user") or {}).get("id"),
        (api_key.get("user") or {}).get("email"),
        (api_key.get("service_account") or {}).get("id"),
        (session.get("user") or {}).get("id"),
        (session.get("user") or {}).get("email"),
    ):
        if value:
            ids.add(str(value))
    return ids


def _spend_near_limit(
    api: HygieneApi, projects: Sequence[Mapping[str, Any]], policy: HygienePolicy, now: float
) -> Iterable[Finding]:
    names = {str(p["id"]): p.get("name") for p in projects}
    today = datetime.fromtimestamp(now, UTC)
    month_start = int(datetime(today.year, today.month, 1, tzinfo=UTC).timestamp())
    spent: dict[str, float] = {}
    for bucket in api.list_costs(start_time=month_start, group_by=["project_id"]):
        for result in bucket.get("results") or []:
            project_id = result.get("project_id")
            if project_id in names:
                spent[project_id] = spent.get(project_id, 0.0) + float((result.get("amount") or {}).get("value") or 0)
    for project_id, dollars in sorted(spent.items()):
        try:
            limit = api.get_project_spend_limit(project_id)
        except NotFoundError:
            continue
        cents = float(limit.get("threshold_amount") or 0)
        if cents > 0 and dollars * 100 >= policy.spend_share * cents:
            share = dollars * 100 / cents
            yield Finding(
                "spend_near_limit",
                project_id,
                str(names.get(project_id) or ""),
                project_id,
                names.get(project_id),
                f"{share:.0%} of the monthly spend limit (${dollars:,.2f} of ${cents / 100:,.2f})",
            )


def _expiring_certificates(api: HygieneApi, policy: HygienePolicy, now: float) -> Iterable[Finding]:
    horizon = now + policy.certificate_days * DAY
    for certificate in api.list_organization_certificates():
        expires = (certificate.get("certificate_details") or {}).get("expires_at")
        if expires is not None and expires <= horizon:
            when = "expired" if expires <= now else f"expires in {max(0, int((expires - now) // DAY))} days"
            yield Finding(
                "certificate_expiring", str(certificate["id"]), str(certificate.get("name") or ""), None, None, when
            )


def _days_ago(moment: float, now: float) -> int:
    return max(0, int((now - moment) // DAY))
