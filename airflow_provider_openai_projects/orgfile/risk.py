"""The risk of a change, computed from what it does (family, action, before and after).

Every change of a plan carries an :class:`Risk`: a level and the reasons for it.

- ``owners`` (level ``critical``): anything that touches an owner: a person made, added,
  invited as, demoted from or removed as an organization or project owner; a group given
  or losing an owner role (``Owner``, ``Project Owner``: every member becomes an owner), a
  person added to a group the file gives such a role.
- ``removal`` (``risky``): a removal, archive or deletion (members, invites, groups, roles,
  service accounts, alerts, certificates, a spend limit, model permissions reset).
- ``demotion`` (``risky``): owner to member or reader; a role or group losing permissions.
- ``escalation`` (``risky``): an existing custom role gaining a permission (every person and
  group holding the role gains it at apply). The spec names no admin- or owner-grade
  permission, so no permission makes it ``critical``. A role created with permissions is a
  create (``none``); assigning it is its own change, assessed on its own.
- ``narrowing`` (``risky``): access narrowed: any model allowed before and not after (an
  allow list that shrinks, a deny list that grows, a switch to an allow list, a switch to
  a deny list naming a model the allow list allowed), a hosted tool disabled.
- ``money`` (``risky``): a spend limit raised or removed, an alert's threshold raised or its
  recipients replaced (someone stops being told).

Everything else (creates, adds, invites without an owner role, settings that widen or keep
access) is level ``none``. :func:`objects_affected` counts the objects a change touches (a
batch of 4 certificates is 4, a removal of 3 service accounts of one name is 3): the
``settings.max_destructive_changes`` cap counts these for every change of level
``risky`` or ``critical``. Pure functions, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_openai_projects.orgfile.changes import Change

NONE = "none"
RISKY = "risky"
CRITICAL = "critical"
LEVELS = (NONE, RISKY, CRITICAL)
"""Ordered, least first."""


@dataclass(frozen=True)
class Risk:
    """A change's risk: ``level`` (``none``, ``risky``, ``critical``) and ``reasons``
    (``owners``, ``removal``, ``demotion``, ``escalation``, ``narrowing``, ``money``)."""

    level: str
    reasons: tuple[str, ...] = ()

    @property
    def risky(self) -> bool:
        return self.level != NONE

    def label(self) -> str:
        """``critical: owners, demotion`` or ``none``."""
        return self.level if not self.reasons else f"{self.level}: {', '.join(self.reasons)}"


_ROLE_RANK = {"owner": 2, "member": 1, "reader": 0}


def _role(side: dict[str, Any] | None) -> str | None:
    value = (side or {}).get("role")
    return str(value) if value is not None else None


def is_owner_role(name: object) -> bool:
    """Whether a role name gives ownership: a member's ``owner``, or a role of the RBAC API
    named ``Owner`` or ``... Owner`` (the organization's ``Owner``, ``Project Owner``; case
    ignored), as a group's organization or project role."""
    if not isinstance(name, str):
        return False
    folded = name.strip().casefold()
    return folded == "owner" or folded.endswith(" owner")


def _owner_touched(change: Change) -> bool:
    if (change.before or {}).get("handed_over_to"):  # a leaver's projects handed over: a new owner
        return True
    roles = {_role(change.before), _role(change.after)}
    for side in (change.before, change.after):
        roles.add((side or {}).get("organization_role"))  # a pending invite's, deleted
        roles.update(str(role) for role in (side or {}).get("owner_via_group") or [])  # a group member's
        projects = (side or {}).get("projects")
        if isinstance(projects, dict):
            roles.update(str(role) for role in projects.values())
    return any(is_owner_role(role) for role in roles)


def _permissions_moved(change: Change) -> tuple[set[Any], set[Any]]:
    """The permissions an update of an existing custom role takes away and adds (both empty
    for any other change, or when the update leaves permissions alone)."""
    before, after = change.before or {}, change.after or {}
    if change.family != "roles" or change.action != "update" or "permissions" not in after:
        return set(), set()
    old, new = set(before.get("permissions") or []), set(after.get("permissions") or [])
    return old - new, new - old


def _is_demotion(change: Change) -> bool:
    old, new = _role(change.before), _role(change.after)
    if old is not None and new is not None and old in _ROLE_RANK and new in _ROLE_RANK:
        return _ROLE_RANK[new] < _ROLE_RANK[old]
    lost, _ = _permissions_moved(change)
    return bool(lost)


def _is_escalation(change: Change) -> bool:
    _, gained = _permissions_moved(change)
    return bool(gained)


def _is_narrowing(change: Change) -> bool:
    before, after = change.before or {}, change.after or {}
    if change.family == "hosted_tools":
        return any(before.get(tool) is True and value is False for tool, value in after.items())
    if change.family == "model_permissions" and change.action == "update":
        full = change.target.get("set") or {}
        mode = full.get("mode", before.get("mode"))
        old_mode = before.get("mode", mode)
        new_ids = set(full.get("model_ids") or [])
        old_ids = set(before["model_ids"] or []) if "model_ids" in before else new_ids
        return _loses_a_model(old_mode, old_ids, mode, new_ids)
    return False


def _loses_a_model(old_mode: Any, old_ids: set[Any], mode: Any, new_ids: set[Any]) -> bool:
    """Whether some model allowed under ``old_mode``/``old_ids`` is not allowed under
    ``mode``/``new_ids`` (a deny list allows every model it does not name)."""
    if old_mode != "allow_list":  # a deny list (the API's initial value: deny_list of no model)
        return mode == "allow_list" or bool(new_ids - old_ids)  # an allow list leaves out unnamed models
    if mode == "allow_list":
        return bool(old_ids - new_ids)
    return bool(old_ids & new_ids)  # allow list -> deny list: a model of both is now denied


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _is_money(change: Change) -> bool:
    before, after = change.before or {}, change.after or {}
    if change.family == "spend_limit":
        if change.action == "remove":
            return True
        old, new = _number(before.get("threshold_amount")), _number(after.get("threshold_amount"))
        return old is not None and (new is None or new > old)
    if change.family == "spend_alerts":
        if change.action == "remove":
            return True
        old, new = _number(before.get("threshold_amount")), _number(after.get("threshold_amount"))
        if old is not None and new is not None and new > old:
            return True
        if "recipients" in before:
            return bool(set(before.get("recipients") or []) - set(after.get("recipients") or []))
    return False


def assess(change: Change) -> Risk:
    """The risk of ``change`` (see the module docstring)."""
    reasons: list[str] = []
    if _owner_touched(change):
        reasons.append("owners")
    if change.action in ("remove", "archive") or change.destructive:
        reasons.append("removal")
    if _is_demotion(change):
        reasons.append("demotion")
    if _is_escalation(change):
        reasons.append("escalation")
    if _is_narrowing(change):
        reasons.append("narrowing")
    if _is_money(change):
        reasons.append("money")
    if not reasons:
        return Risk(NONE)
    return Risk(CRITICAL if "owners" in reasons else RISKY, tuple(reasons))


def objects_affected(change: Change) -> int:
    """How many objects ``change`` touches (at least 1): certificates of a batch, the
    accounts of a service-account removal, what a change counted itself (``target.objects``:
    a leaver's memberships, groups, roles and invites), each otherwise."""
    counted = change.target.get("objects")
    if isinstance(counted, int) and not isinstance(counted, bool) and counted > 0:
        return counted
    certificates = change.target.get("certificate_ids")
    if isinstance(certificates, list) and certificates:
        return len(certificates)
    accounts = (change.before or {}).get("accounts") if change.family == "service_accounts" else None
    if isinstance(accounts, list) and accounts:
        return len(accounts)
    return 1


def risky_objects(changes: list[Change]) -> int:
    """The objects touched by the risky and critical changes of ``changes`` (the cap's count)."""
    return sum(objects_affected(change) for change in changes if assess(change).risky)
