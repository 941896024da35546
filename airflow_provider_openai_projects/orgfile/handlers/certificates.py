"""Certificate activation: ``organization.certificates`` and ``projects.<name>.certificates``.

A list of certificate names: the set of certificates active for that scope, authoritative
when the key is present (absent = unmanaged; ``[]`` deactivates every one). Activation and
deactivation only: certificates are uploaded (and deleted) outside the file, which never
holds certificate content. Names resolve against the scope's list, else the organization's;
a name that no certificate has, or that several have, is a plan error naming the path,
raised after the reads and before any write. Per scope one ``add`` change activates what is
missing and one ``remove`` change (destructive: clients presenting those certificates lose
access) deactivates what the file does not list, each in idempotent batches of at most 10
ids. The organization's active certificates are exported when each has a name of its own;
projects' are not exported.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_openai_projects.client.resources.certificates import MAX_IDS_PER_BATCH
from airflow_provider_openai_projects.orgfile.changes import PHASE_ADD_MEMBER, PHASE_REMOVE, Change
from airflow_provider_openai_projects.orgfile.errors import OrgFileError, format_path
from airflow_provider_openai_projects.orgfile.handlers._project_settings import live_declaring
from airflow_provider_openai_projects.orgfile.handlers._scopes import Scope, project_of, scopes
from airflow_provider_openai_projects.orgfile.handlers.base import ApplyContext, PlanContext
from airflow_provider_openai_projects.orgfile.model import OrgSpec
from airflow_provider_openai_projects.orgfile.reader import LiveReader
from airflow_provider_openai_projects.orgfile.scoped import CERTIFICATES
from airflow_provider_openai_projects.orgfile.scoped import declared as declared_scopes

FAMILY = CERTIFICATES
FIELDS = ("id", "name", "active")
ORGANIZATION_SCOPE = Scope("organization", ("organization", FAMILY), False, None)


def live_certificates(reader: LiveReader, scope: Scope) -> list[dict[str, Any]]:
    """Every certificate of the organization, ``active`` for the scope (one list read per
    scope; a project's list names every certificate of the organization)."""
    client = reader.client
    project_id = str(scope.project["id"]) if scope.project is not None else None

    def fetch() -> list[Any]:
        if project_id is None:
            return list(client.list_organization_certificates())
        return list(client.list_project_certificates(project_id))

    return reader.read(f"{FAMILY}{scope.read_key}", FIELDS, fetch)


def _label(certificate: dict[str, Any]) -> str:
    return str(certificate.get("name") or f"(unnamed {certificate['id']})")


def _resolve(ctx: PlanContext, scope: Scope, names: list[str], known: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The certificate of each name, or :class:`OrgFileError` naming the entry."""
    found: list[dict[str, Any]] = []
    for index, name in enumerate(names):
        matches = [c for c in known if c.get("name") == name]
        if len(matches) != 1:
            named = sorted({str(c["name"]) for c in known if c.get("name")})
            problem = (
                f"no certificate of the organization is named {name!r} ({len(known)} certificates"
                + (f", e.g. {', '.join(named[:5])})" if named else ")")
                if not matches
                else f"{len(matches)} certificates are named {name!r}: rename all but one to manage it here"
            )
            raise OrgFileError(ctx.spec.source, format_path([*scope.path, index]), problem)
        found.append(matches[0])
    return found


def _change(scope: Scope, action: str, certificates: list[dict[str, Any]]) -> Change:
    activate = action == "add"
    return Change(
        FAMILY,
        "add" if activate else "remove",
        scope.where,
        ", ".join(sorted(_label(c) for c in certificates)),
        {"active": not activate},
        {"active": activate},
        not activate,
        PHASE_ADD_MEMBER if activate else PHASE_REMOVE,
        target={**scope.target(), "certificate_ids": sorted(str(c["id"]) for c in certificates)},
    )


class CertificatesHandler:
    family = FAMILY

    def plan(self, ctx: PlanContext) -> list[Change]:
        changes: list[Change] = []
        for scope, names in scopes(ctx, FAMILY):
            # Names resolve against the organization's list (read once per run): a project's
            # list may leave out what is inactive there.
            wanted = _resolve(ctx, scope, list(names), live_certificates(ctx.reader, ORGANIZATION_SCOPE))
            active = [] if scope.is_new else [c for c in live_certificates(ctx.reader, scope) if c.get("active")]
            wanted_ids = {c["id"] for c in wanted}
            missing = [c for c in wanted if not any(a["id"] == c["id"] for a in active)]
            extra = [c for c in active if c["id"] not in wanted_ids]
            if missing:
                changes.append(_change(scope, "add", missing))
            if extra:
                changes.append(_change(scope, "remove", extra))
        return changes

    def count_reads(self, spec: OrgSpec, reader: LiveReader) -> int:
        """The organization's list once when any scope declares certificates, and one list
        per live project that does."""
        declared = any(FAMILY in entry for _where, entry in declared_scopes(spec.document))
        return declared + live_declaring(spec, reader, FAMILY)

    def apply(self, change: Change, ctx: ApplyContext) -> int:
        project_id = project_of(change, ctx)
        client = ctx.client
        ids: list[str] = change.target["certificate_ids"]
        writes = 0
        for start in range(0, len(ids), MAX_IDS_PER_BATCH):
            batch = ids[start : start + MAX_IDS_PER_BATCH]
            if change.action == "add":
                if project_id is None:
                    client.activate_organization_certificates(certificate_ids=batch)
                else:
                    client.activate_project_certificates(project_id, certificate_ids=batch)
            elif project_id is None:
                client.deactivate_organization_certificates(certificate_ids=batch)
            else:
                client.deactivate_project_certificates(project_id, certificate_ids=batch)
            writes += 1
        return writes

    def export(self, reader: LiveReader, document: dict[str, Any]) -> None:
        known = live_certificates(reader, ORGANIZATION_SCOPE)
        active = [c for c in known if c.get("active")]
        names = [c.get("name") for c in active]
        if all(name and sum(1 for c in known if c.get("name") == name) == 1 for name in names):
            document.setdefault("organization", {})[FAMILY] = sorted(str(name) for name in names)
