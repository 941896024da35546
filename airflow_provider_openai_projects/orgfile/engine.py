"""Plan, apply and export: the org-file engine (no Airflow; it uses the client or the hook).

- :func:`plan` reads the live state with the fewest list reads the file needs and returns a
  :class:`~.changes.Plan`. It never writes. The organization-wide lists come first, read
  when the file needs them, so that the number of reads (the progress's "n of N") is exact
  before the first per-project read (:mod:`.read_count`).
- :func:`apply` makes a plan true: from a file (plan, then apply) or from a saved plan
  (re-plan from the plan's own desired document, re-reading everything the plan read;
  refuse, with no write, when any read differs: the saved plan is stale, and the error
  names the objects that moved). With ``approved_digest`` it refuses, with no write, any
  plan whose digest is not the approved one. It refuses, with no write, a plan whose
  risky changes (:mod:`.risk`) affect more objects than ``settings.max_destructive_changes``;
  the plan itself refuses changes that together demote or offboard every organization owner. Changes run in phase
  order (create before reference, add before remove) and stop at the first failure; a
  rerun re-plans from the live state, so it resumes where the failed run stopped and
  creates nothing twice (creates look before they retry, see :mod:`...idempotency`).
- :func:`export` writes the live organization as an org-file document.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects.client.resources import AdminMethods
from airflow_provider_openai_projects.domain.display import printable
from airflow_provider_openai_projects.orgfile.changes import Change, Plan
from airflow_provider_openai_projects.orgfile.emails import check_live_emails
from airflow_provider_openai_projects.orgfile.errors import PlanRefusedError
from airflow_provider_openai_projects.orgfile.handlers import BY_FAMILY, HANDLERS, ApplyContext, PlanContext
from airflow_provider_openai_projects.orgfile.handlers.organization import refuse_no_owner_left
from airflow_provider_openai_projects.orgfile.handlers.projects import is_active
from airflow_provider_openai_projects.orgfile.loader import load_document
from airflow_provider_openai_projects.orgfile.model import OrgSpec
from airflow_provider_openai_projects.orgfile.progress import NO_PROGRESS, Progress
from airflow_provider_openai_projects.orgfile.read_count import expected_reads, read_organization_lists
from airflow_provider_openai_projects.orgfile.reader import LiveReader, moved_objects
from airflow_provider_openai_projects.orgfile.sinks import resolve_usable_sinks

if TYPE_CHECKING:
    from airflow_provider_openai_projects.sinks.base import KeySink

__all__ = [
    "ApplyError",
    "ApplyResult",
    "apply",
    "check_approved",
    "check_destructive",
    "expected_reads",
    "export",
    "fresh_plan_for",
    "plan",
]


def plan(
    client: AdminMethods, spec: OrgSpec, progress: Progress = NO_PROGRESS, reader: LiveReader | None = None
) -> Plan:
    """The changes that make the organization match ``spec``; reads only.

    ``reader``: the reader to read through (the incremental planner's, which reuses what
    the audit log shows unchanged: :mod:`.incremental.planner`); a fresh one by default."""
    reader = reader if reader is not None else LiveReader(client, progress)
    read_organization_lists(spec, reader)  # first: the exact count of reads is known after them
    if "users" in reader.snapshot:  # a file email that only looks like a member's: refused before any write
        check_live_emails(spec.document, spec.source, [str(u.get("email") or "") for u in reader.users()])
    ctx = PlanContext(spec=spec, reader=reader)
    changes: list[Change] = []
    for handler in HANDLERS:
        changes.extend(handler.plan(ctx))
    refuse_no_owner_left(spec.source, reader, changes)  # the handlers' changes together
    changes.sort(key=lambda change: change.phase)  # stable: handler order within a phase
    return Plan(
        source=spec.source,
        desired=spec.document,
        fingerprint=reader.fingerprint(),
        changes=changes,
        max_destructive_changes=spec.max_destructive_changes,
        managed_projects=len(spec.projects),
        unmanaged_projects=ctx.unmanaged_projects,
        pending=ctx.pending,
        warnings=ctx.warnings,
        reads=reader.reads,
        read_digests=reader.read_digests(),
        projects_read=list(reader.snapshot.get("projects", [])),
    )


@dataclass
class ApplyResult:
    """What an apply did: the plan it applied, the changes made and the writes sent."""

    plan: Plan
    done: list[Change] = field(default_factory=list)
    writes: int = 0

    def summary(self) -> dict[str, Any]:
        return {**self.plan.summary(), "applied": len(self.done), "writes": self.writes}


class ApplyError(PlanRefusedError):
    """A change failed during apply; ``result`` holds what was done before it."""

    def __init__(self, message: str, result: ApplyResult, failed: Change) -> None:
        self.result = result
        self.failed = failed
        super().__init__(message)


def fresh_plan_for(client: AdminMethods, saved: Plan, progress: Progress = NO_PROGRESS) -> Plan:
    """Re-plan a saved plan's desired document against the live state, re-reading what it
    read; raise :class:`PlanRefusedError` naming the objects that moved if any read or any
    change differs (the saved plan is stale: already applied, or the organization moved on)."""
    name = printable(saved.source_name)
    spec = load_document(saved.desired, saved.source)
    fresh = plan(client, spec, progress)
    if fresh.fingerprint != saved.fingerprint or fresh.digest != saved.digest:
        moved = moved_objects(saved.read_digests, fresh.read_digests, fresh.projects_read) or ["the planned changes"]
        shown = ", ".join(moved[:5]) + (f" and {len(moved) - 5} more" if len(moved) > 5 else "")
        raise PlanRefusedError(
            f"the saved plan of {name} is stale: the live organization changed since it was made ({shown} moved; "
            f"fingerprint {saved.fingerprint[:19]} -> {fresh.fingerprint[:19]}). Nothing was written; plan again."
        )
    return fresh


def check_approved(the_plan: Plan, approved_digest: str | None) -> None:
    """Refuse a plan that is not the approved one (when an approval is required)."""
    if approved_digest is not None and the_plan.digest != approved_digest:
        raise PlanRefusedError(
            f"{printable(the_plan.source_name)}: the plan to apply ({the_plan.digest[:19]}) is not the approved plan "
            f"({printable(approved_digest[:19])}). Nothing was written."
        )


def check_destructive(the_plan: Plan) -> None:
    """Refuse a plan whose risky changes affect more objects than its file allows."""
    count = the_plan.destructive_count
    if count > the_plan.max_destructive_changes:
        raise PlanRefusedError(
            f"{printable(the_plan.source_name)}: the plan's risky changes affect {count} objects, more than "
            f"settings.max_destructive_changes ({the_plan.max_destructive_changes}). Nothing was written."
        )


def apply(
    client: AdminMethods,
    spec: OrgSpec | None = None,
    *,
    saved: Plan | None = None,
    approved_digest: str | None = None,
    progress: Progress = NO_PROGRESS,
    key_sinks: Mapping[str, KeySink] | None = None,
    reader: LiveReader | None = None,
) -> ApplyResult:
    """Apply ``spec`` (plan then apply) or exactly the ``saved`` plan (re-checked first).

    ``approved_digest``: the digest an approval recorded; any other plan is refused (the
    saved plan's before any read, the fresh plan's after the re-read).

    ``key_sinks``: the sinks the file's ``service_accounts`` name, beyond the built-in
    ``variable`` and ``aws_secrets_manager`` (an unknown name is refused before any write).

    :raises PlanRefusedError: not the approved plan, stale plan, too many risky objects, the
        last organization owner demoted; nothing written.
    :raises ApplyError: a change failed; the changes before it are done; rerun to resume.
    :raises OrgFileError: the file is unusable; nothing written.
    """
    if saved is not None and spec is None:
        check_approved(saved, approved_digest)
        the_plan = fresh_plan_for(client, saved, progress)
    elif spec is not None and saved is None:
        the_plan = plan(client, spec, progress, reader)  # reader: see plan()
    else:
        raise TypeError("give exactly one of spec or saved")
    check_approved(the_plan, approved_digest)
    check_destructive(the_plan)
    sinks = resolve_usable_sinks(the_plan.changes, the_plan.source, key_sinks)
    result = ApplyResult(the_plan)
    ctx = ApplyContext(client, key_sinks=sinks)
    total = len(the_plan.changes)
    for number, change in enumerate(the_plan.changes):
        progress.step(f"applying {change.action} {change.family}", number, total)
        try:
            result.writes += BY_FAMILY[change.family].apply(change, ctx)
        except Exception as error:
            result.writes += 1
            raise ApplyError(
                f"apply stopped at change {number + 1} of {total} ({change.describe()}): {error}. "
                f"{len(result.done)} changes were made before it; run apply again to resume.",
                result,
                change,
            ) from error
        result.done.append(change)
    progress.step("applied", total, total)
    return result


def export(client: AdminMethods, progress: Progress = NO_PROGRESS) -> dict[str, Any]:
    """The live organization as an org-file document (every active project by name, the
    oldest of each name; members, pending invitees with their project roles, every rate
    limit; organization roles). Planning it right away reports no change. Reads only."""
    reader = LiveReader(client, progress)
    projects: dict[str, Any] = {}
    chosen: dict[str, dict[str, Any]] = {}
    for project in sorted((p for p in reader.projects() if is_active(p)), key=lambda p: p.get("created_at") or 0):
        chosen.setdefault(str(project["name"]), project)
    invites = [i for i in reader.invites() if i.get("status") == "pending"]
    reader.expected = 3 + 2 * len(chosen)
    for name, project in chosen.items():
        members = {str(m.get("email") or m["id"]).lower(): m["role"] for m in reader.project_users(project["id"])}
        for invite in invites:
            for grant in invite.get("projects") or []:
                if grant.get("id") == project["id"]:
                    members.setdefault(str(invite["email"]).lower(), grant["role"])
        limits = {
            str(limit["model"]): {k: v for k, v in limit.items() if k not in ("id", "model") and v is not None}
            for limit in reader.rate_limits(project["id"])
        }
        entry: dict[str, Any] = {"members": dict(sorted(members.items()))}
        if limits:
            entry["rate_limits"] = limits
        projects[name] = entry
    organization = {
        "members": {str(u["email"]).lower(): u["role"] for u in reader.users() if u.get("email") and u.get("role")}
    }
    for invite in invites:
        organization["members"].setdefault(str(invite["email"]).lower(), invite["role"])
    document: dict[str, Any] = {
        "version": 1,
        "settings": {"max_destructive_changes": 10},
        "organization": organization,
        "projects": projects,
    }
    for handler in HANDLERS:  # the families that export themselves (see handlers.base.Exporter)
        exporter = getattr(handler, "export", None)
        if exporter is not None:
            exporter(reader, document)
    return document
