"""Plain-words reports of the example DAGs' runs, and the little reading they need.

Pure functions over the operators' JSON results (no I/O besides the logger passed in),
so the example DAGs show only their wiring and these are unit-tested on their own. Every
report returns a JSON-able summary; none ever holds a key value (the operators' results
hold none).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects.domain.display import printable

TASK_LOG = logging.getLogger("airflow.task")


class ReportError(AirflowFailException):
    """The run must fail: a configuration error, or an entry that failed. Fails the task at
    once (an ``AirflowFailException``): retrying cannot fix it."""


def mapped_results(values: Iterable[Any] | None) -> list[Any]:
    """The results of a mapped task as a list, read by index up to its length.

    Iterating Airflow's lazy sequence of mapped results reads one item past the end to
    find it, which the Task SDK logs as ``[error] XCom not found``; reading ``len()`` items
    by index does not. ``None`` (nothing was mapped) is an empty list.
    """
    if values is None:
        return []
    if isinstance(values, Sequence):
        return [values[index] for index in range(len(values))]
    return list(values)


# -- openai_key_rotation ----------------------------------------------------------------------

ENTRY_KEYS = ("project_id", "service_account_name", "secret_variable")


def rotation_entries(
    param_entries: Sequence[Mapping[str, Any]] | None, variable: str, raw: Any
) -> list[dict[str, Any]]:
    """The entries to rotate: the ``entries`` parameter, or else the Variable's JSON list.

    :param variable: the Variable's name, for the messages.
    :param raw: the Variable's value (``None`` when it is not set).
    :raises ReportError: naming the Variable when there is nothing to rotate or its value is
        not a JSON list of objects with only the keys of :data:`ENTRY_KEYS`.
    """
    entries: Any = list(param_entries or [])
    source = "the entries parameter"
    if not entries:
        source = f"Variable {variable!r}"
        if raw is None:
            raise ReportError(
                f"Nothing to rotate: no entries parameter and no {source}. Set it to a JSON list of "
                '{"project_id": ..., "service_account_name": ..., "secret_variable": ...}.'
            )
        try:
            entries = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError as error:
            raise ReportError(f"{source} is not valid JSON: {error}") from None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ReportError(f"{source} must be a JSON list of objects")
    for index, entry in enumerate(entries):
        unknown = sorted(set(entry) - set(ENTRY_KEYS))
        if unknown:
            raise ReportError(f"{source}[{index}]: unknown key(s) {unknown}; allowed: {sorted(ENTRY_KEYS)}")
    return [{key: entry.get(key) for key in ENTRY_KEYS} for entry in entries]


def rotation_report(
    entries: Sequence[Mapping[str, Any]] | None,
    result_of: Callable[[str, int], Any],
    *,
    variable: str,
    log: logging.Logger = TASK_LOG,
) -> dict[str, Any]:
    """Log what happened to each rotated entry; raise :class:`ReportError` if any failed.

    :param entries: what ``load_entries`` returned; ``None`` when it failed (no entries:
        a configuration error, reported once, naming ``variable``).
    :param result_of: ``(task, map index) -> result or None`` for the tasks ``rotate``,
        ``wait_until_new_key_used`` and ``delete_previous_generations`` of an entry.
    :return: ``{"rotated": n, "entries": [{project_id, service_account_name, ok, generation,
        service_account_id, redacted_value, secret_variable, new_key_seen_in_use, deleted}]}``.
    """
    if entries is None:
        raise ReportError(
            f"No entries were loaded (see the load_entries task): pass the entries parameter or set the "
            f"Variable {variable!r}. Nothing was rotated."
        )
    outcomes = [_rotation_outcome(entry, index, result_of, log) for index, entry in enumerate(entries)]
    # an entry comes from a run's parameter or a Variable: a failed one may hold an id the operator refused
    failed = [
        f"{printable(o['service_account_name'])} in {printable(o['project_id'])}" for o in outcomes if not o["ok"]
    ]
    if failed:
        raise ReportError(f"{len(failed)} of {len(outcomes)} rotation(s) failed: {', '.join(failed)}")
    return {"rotated": len(outcomes), "entries": outcomes}


def _rotation_outcome(
    entry: Mapping[str, Any], index: int, result_of: Callable[[str, int], Any], log: logging.Logger
) -> dict[str, Any]:
    rotated = result_of("rotate", index)
    used = result_of("wait_until_new_key_used", index)
    deleted = result_of("delete_previous_generations", index)
    label = f"{entry['service_account_name']!r} in {printable(entry['project_id'])}"
    outcome: dict[str, Any] = {
        "project_id": entry["project_id"],
        "service_account_name": entry["service_account_name"],
        "ok": deleted is not None,
    }
    if rotated is None:
        log.error("%s: the rotation FAILED; the current key is unchanged (see the rotate task's log).", label)
        return outcome
    outcome.update(
        generation=rotated["generation"],
        service_account_id=rotated["service_account_id"],
        redacted_value=rotated["redacted_value"],
        secret_variable=rotated["secret_variable"],
        new_key_seen_in_use=used is not None,
    )
    log.info(
        "%s: generation %s is current (key %s in Variable %r).",
        label,
        rotated["generation"],
        rotated["redacted_value"],
        rotated["secret_variable"],
    )
    if deleted is None:
        log.error("%s: previous generations were NOT deleted (the wait or the deletion failed).", label)
        return outcome
    outcome["deleted"] = deleted["deleted"]
    if used is None:
        log.warning(
            "%s: the new key was NOT seen in use within the grace period; the previous generation was deleted "
            "anyway. Consumers still holding the old key get 401 and must reload Variable %r.",
            label,
            rotated["secret_variable"],
        )
    log.info("%s: deleted previous generation(s): %s", label, deleted["deleted"] or "none left")
    return outcome


# -- openai_onboarding ------------------------------------------------------------------------

INVITE_STATUS = {
    "invited": "was invited to the organization and accepted",
    "pending": "had an invite pending already, and accepted it",
    "member": "was already a member of the organization",
}
MEMBERSHIP_CHANGE = {"added": "added as", "role_updated": "role set to", None: "already"}


def team_service_account(
    projects: Iterable[Mapping[str, Any]], account: Mapping[str, Any] | None
) -> list[dict[str, Any]]:
    """The onboarding's team service account to mint, as one set of rotation kwargs, or none.

    None too when the account's Variable already holds a generation of it: rotation may
    have replaced ``initial`` since, and minting it again would roll the key back.

    :raises ReportError: ``service_account.secret_variable`` is not an entry name (the
        rotation's rule, :func:`...domain.key_generations.require_entry_name`), before the
        Variable is read.
    """
    from airflow_provider_openai_projects.client.errors import InvalidInputError
    from airflow_provider_openai_projects.domain.key_generations import (
        default_secret_variable,
        generation_of,
        require_entry_name,
    )
    from airflow_provider_openai_projects.sinks.variable import VariableKeySink

    if not account:
        return []
    name = str(account["name"]).strip()
    project_id = {p["name"]: p["id"] for p in projects}[str(account["project"]).strip()]
    given = account.get("secret_variable")
    try:
        entry = require_entry_name("service_account.secret_variable", given) if given else default_secret_variable(name)
    except InvalidInputError as error:
        raise ReportError(str(error)) from None
    held = VariableKeySink().load(entry)
    if (
        held
        and held.metadata.get("project_id") == project_id
        and generation_of(held.metadata["service_account_name"], name)
    ):
        return []
    return [{"project_id": project_id, "service_account_name": name, "secret_variable": entry}]


def onboarding_report(
    projects: Iterable[Mapping[str, Any]] | None,
    invite: Mapping[str, Any],
    members: Iterable[Mapping[str, Any]] | None,
    accounts: Iterable[Mapping[str, Any]] | None,
    limits: Iterable[Mapping[str, Any]] | None,
    *,
    groups: Iterable[Mapping[str, Any]] | None = None,
    log: logging.Logger = TASK_LOG,
) -> dict[str, Any]:
    """Log the onboarding in plain words; return a JSON-able summary (no key value).

    ``members``, ``accounts``, ``limits`` and ``groups`` (``AddGroupUserOperator``'s
    results) are mapped results (possibly none).
    """
    projects, members, accounts, limits, groups = (
        mapped_results(v) for v in (projects, members, accounts, limits, groups)
    )
    names = {p["id"]: p["name"] for p in projects}
    email = invite["email"]
    lines = [f"Onboarding of {email}: {email} {INVITE_STATUS[invite['status']]}."]
    for m in members:
        change = MEMBERSHIP_CHANGE[m["changed"]]
        lines.append(f"  project {names[m['project_id']]!r} ({m['project_id']}): {change} {m['role']}")
    for a in accounts:
        verb = "already there" if a["resumed"] else "created"
        lines.append(
            f"  service account {a['service_account_name']!r} {verb} in {names[a['project_id']]!r}; its key "
            f"{a['redacted_value']} (verified) is in Variable {a['secret_variable']!r}"
        )
    for g in groups:
        lines.append(f"  group {g['group_name']!r} ({g['group_id']}): {'added' if g['added'] else 'already a member'}")
    for sync in limits:
        counts = sync["counts"]
        lines.append(f"  rate limits: {counts['updated']} set, {counts['unchanged']} already as asked")
    log.info("\n".join(lines))
    account_fields = ("project_id", "service_account_id", "service_account_name", "redacted_value")
    return {
        "email": email,
        "invite_status": invite["status"],
        "projects": [{"id": p["id"], "name": p["name"]} for p in projects],
        "memberships": [{k: m[k] for k in ("project_id", "role", "changed")} for m in members],
        "service_accounts": [{k: a[k] for k in account_fields} for a in accounts],
        "rate_limits_updated": sum(s["counts"]["updated"] for s in limits),
        "groups": [{k: g[k] for k in ("group_id", "group_name", "added")} for g in groups],
    }


# -- openai_offboarding -----------------------------------------------------------------------


def offboarding_report(result: Mapping[str, Any], *, log: logging.Logger = TASK_LOG) -> dict[str, Any]:
    """Log ``OffboardUserOperator``'s report in plain words; return its counts (no key value)."""
    dry_run = result["dry_run"]
    would = "would be " if dry_run else ""
    lines = [
        f"Offboarding of {result['email'] or result['user_id']}{' (DRY RUN: nothing was changed)' if dry_run else ''}:"
    ]
    if not result["found"]:
        lines.append("  not in the organization and no pending invite: nothing to do")
    for m in result["memberships"]:
        sole = ", its only owner" if m["sole_owner"] else ""
        lines.append(f"  member of {m['project_name']!r} ({m['project_id']}) as {m['role']}{sole}")
    successor = result["successor_owner"]
    for change in result["successor_changes"]:
        verb = "added as owner of" if change["action"] == "added" else "made owner of"
        lines.append(
            f"  successor {successor['email'] or successor['user_id']} {would}{verb} {change['project_name']!r}"
        )
    stop = "would stop working" if dry_run else "stopped working"
    for key in result["api_keys"]:
        lines.append(
            f"  API key {key['name']!r} ({key['id']}, {key['redacted_value']}) in {key['project_name']!r} {stop}"
        )
    for invite_id in result["invites_deleted"]:
        lines.append(f"  pending invite {invite_id} {would}deleted")
    lines += _group_access_lines(result, would)
    names = {m["project_id"]: m["project_name"] for m in result["memberships"]}
    removed_from = ", ".join(repr(names.get(p, p)) for p in result["removed_from_projects"]) or "no project"
    if result["removed_from_organization"]:
        lines.append(f"  {would}removed from the organization, and so from {removed_from}")
    elif result["removed_from_projects"]:
        lines.append(f"  {would}removed from {removed_from} (still a member of the organization)")
    if result["found"] and not result["removed_from_organization"]:
        still = result.get("projects_still_reachable", [])
        lines.append(f"  projects still reachable afterwards: {', '.join(still) or 'none'}")
    counts = {
        "memberships": len(result["memberships"]),
        "successor_changes": len(result["successor_changes"]),
        "api_keys_stopped": len(result["api_keys"]),
        "invites_deleted": len(result["invites_deleted"]),
        "removed_from_projects": len(result["removed_from_projects"]),
        "removed_from_organization": bool(result["removed_from_organization"]),
        "projects_through_groups": len(result.get("projects_through_groups", [])),
        "groups_left": len(result.get("groups_left", [])),
        "roles_unassigned": len(result.get("roles_unassigned", [])),
        "projects_still_reachable": len(result.get("projects_still_reachable", [])),
    }
    lines.append(f"  counts: {counts}")
    log.info("\n".join(lines))
    return {"user_id": result["user_id"], "email": result["email"], "dry_run": dry_run, **counts}


def _group_access_lines(result: Mapping[str, Any], would: str) -> list[str]:
    """The projects reached through groups, the groups left or kept, the roles unassigned
    (absent from reports of operators before groups: none then)."""
    groups = {g["group_id"]: g["group_name"] for g in result.get("groups", [])}
    lines = []
    for p in result.get("projects_through_groups", []):
        via = ", ".join(repr(groups.get(g, g)) for g in p["group_ids"])
        also = ", and directly" if p["direct_member"] else ""
        lines.append(f"  reached {p['project_name']!r} ({p['project_id']}) through group {via}{also}")
    for g in result.get("groups_left", []):
        lines.append(f"  {would}removed from group {g['group_name']!r} ({g['group_id']})")
    for g in result.get("groups_kept", []):
        lines.append(
            f"  stays in SCIM-managed group {g['group_name']!r} ({g['group_id']}): it reaches no project; "
            "the identity provider manages it"
        )
    for r in result.get("roles_unassigned", []):
        lines.append(f"  organization role {r['role_name']!r} ({r['role_id']}) {would}unassigned")
    return lines


# -- openai_rate_limit_sync -------------------------------------------------------------------


def should_apply(plan: Mapping[str, Any], *, dry_run: bool, log: logging.Logger = TASK_LOG) -> bool:
    """Apply only when the run is not a dry run and the plan has something to change."""
    planned = plan["counts"].get("planned", 0)
    if dry_run:
        log.info(
            "Dry run: %d limit(s) would change; nothing was written. Trigger with -c '{\"dry_run\": false}' to apply.",
            planned,
        )
        return False
    if not planned:
        log.info("Every targeted limit is already as the policy says; nothing to apply.")
        return False
    log.info("%d limit(s) to change.", planned)
    return True


def policy_document(document: Any, source: str, *, log: logging.Logger = TASK_LOG) -> dict[str, Any]:
    """``{"rate_limits", "project_name_pattern", "source"}`` from a policy document (the
    Variable's JSON or the YAML file); checked for shape, in detail by the operator.

    :raises ReportError: naming ``source`` when the shape is wrong.
    """
    if not isinstance(document, dict) or not isinstance(document.get("rate_limits"), dict):
        raise ReportError(f"{source}: must be a mapping with a 'rate_limits' mapping")
    unknown = sorted(set(document) - {"rate_limits", "project_name_pattern"})
    if unknown:
        raise ReportError(f"{source}: unknown key(s) {unknown}; allowed: rate_limits, project_name_pattern")
    pattern = document.get("project_name_pattern")
    if pattern is not None and not isinstance(pattern, str):
        raise ReportError(f"{source}: project_name_pattern must be a string")
    targets = f"matching {pattern!r}" if pattern else "all active"
    log.info("Policy from %s: %d key(s), projects %s.", source, len(document["rate_limits"]), targets)
    return {"rate_limits": document["rate_limits"], "project_name_pattern": pattern, "source": source}


def existing_or_created_groups(
    hook: Any, wanted: Sequence[str], *, create: bool, log: logging.Logger = TASK_LOG
) -> list[str]:
    """The onboarding's groups to join: those of ``wanted`` that exist (one list call), and,
    with ``create``, the missing ones after creating each (one ``CHANGE:`` line per group).
    Without ``create`` a missing group is skipped, with one warning naming it and saying how
    to have it created: the rest of the onboarding goes on."""
    existing = {str(group.get("name")) for group in hook.list_groups()}
    joined = []
    for name in wanted:
        if name in existing:
            joined.append(name)
        elif create:
            hook.create_group(name=name)
            log.info("CHANGE: created group %s (create_missing_groups)", printable(name))
            joined.append(name)
        else:
            log.warning(
                'Group %s does not exist: skipped. Create it first, or trigger with "create_missing_groups": true.',
                printable(name),
            )
    return joined
