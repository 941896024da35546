"""Service accounts: ``projects.<name>.service_accounts: {logical name: {sink, entry} | null}``.

A *logical* name ``L`` stands for the accounts named ``L`` or ``L--<generation>`` (the
rotation operator's generations, :mod:`...key_generations`). Authoritative per project
that declares the key:

- a logical account with no live account is created as ``L--initial`` and its key goes
  to the sink, through :func:`...domain.service_accounts.provision_service_account`, the
  ``CreateServiceAccountOperator``'s own path (look, reconcile a lost response, store at
  once or delete the account). The entry (default ``openai_<slug(L)>_api_key``, the
  operators' default) is the one ``RotateServiceAccountOperator`` then rotates.
- a live account whose logical name is not listed is deleted (destructive; every
  generation of that name, one change).
- ``null`` / ``{}`` (what export writes): the account must exist; its key delivery is not
  managed, so a missing one is a file error at plan time (its key would be lost).

The plan reads one list per declaring project; it never reads a sink, so it sees an
account, not its key's custody (that stays with the operators: a worker killed between a
create and the store leaves a keyless ``L--initial`` that the next rotation replaces).
The file, the plan and the changes hold names only: ``sink`` and ``entry``, never a key.
Sinks are named; the objects come from the caller (:func:`resolve_key_sinks`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.domain.key_generations import (
    GENERATION_SEPARATOR,
    default_secret_variable,
    generation_account_name,
    generation_of,
    require_entry_name,
)
from airflow_provider_openai_projects.orgfile.changes import PHASE_REMOVE, Change
from airflow_provider_openai_projects.orgfile.errors import OrgFileError, format_path
from airflow_provider_openai_projects.orgfile.handlers._project_settings import declaring, live_declaring, target
from airflow_provider_openai_projects.orgfile.handlers.base import ApplyContext, PlanContext
from airflow_provider_openai_projects.orgfile.handlers.projects import oldest_active
from airflow_provider_openai_projects.orgfile.model import OrgSpec
from airflow_provider_openai_projects.orgfile.reader import LiveReader

if TYPE_CHECKING:
    from airflow_provider_openai_projects.sinks.base import KeySink

FAMILY = "service_accounts"
#: After projects are created (10) and members added (40), before settings (50).
PHASE_SERVICE_ACCOUNT_CREATE = 45
#: The generation of an account the org file creates: ``<L>--initial``.
INITIAL_GENERATION = "initial"

log = logging.getLogger(__name__)


def _variable_sink() -> KeySink:
    from airflow_provider_openai_projects.sinks.variable import VariableKeySink

    return VariableKeySink()


def _aws_sink() -> KeySink:
    from airflow_provider_openai_projects.sinks.aws_secrets_manager import AwsSecretsManagerKeySink

    return AwsSecretsManagerKeySink()


#: Sinks a file may name without the caller giving them (built on first use).
BUILTIN_SINKS: dict[str, Callable[[], KeySink]] = {"variable": _variable_sink, "aws_secrets_manager": _aws_sink}


def logical_name(account_name: str) -> str | None:
    """The logical account a live account belongs to: ``L`` for ``L`` or ``L--<generation>``;
    ``None`` for a name no file can declare (such accounts are left alone)."""
    if GENERATION_SEPARATOR not in account_name:
        return None if account_name.endswith("-") or not account_name.strip() else account_name
    prefix = account_name.split(GENERATION_SEPARATOR, 1)[0]
    if not prefix.strip() or prefix.endswith("-") or generation_of(account_name, prefix) is None:
        return None
    return prefix


def entry_of(logical: str, value: Mapping[str, Any] | None) -> str:
    """The sink entry of a declared account: its ``entry`` or the operators' default."""
    return str((value or {}).get("entry") or default_secret_variable(logical))


def declared(document: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any] | None]]:
    """``(project, logical name, value)`` of every service account in a document."""
    for project, raw in (document.get("projects") or {}).items():
        for logical, value in ((raw or {}).get(FAMILY) or {}).items():
            yield project, logical, value


def check_document(document: Mapping[str, Any], source: str) -> None:
    """The loader's check after the schema: a given ``entry`` is an entry name as the
    operators take it (:func:`...domain.key_generations.require_entry_name`, so no ``..``
    or empty segment); two accounts of the file may not deliver their keys to the same entry
    of the same sink (the second would be refused at apply)."""
    seen: dict[tuple[str, str], list[object]] = {}
    for project, logical, value in declared(document):
        if not (value or {}).get("sink"):
            continue
        path: list[object] = ["projects", project, FAMILY, logical]
        if (value or {}).get("entry") is not None:
            try:
                require_entry_name("entry", (value or {})["entry"])
            except InvalidInputError as error:
                raise OrgFileError(source, format_path([*path, "entry"]), str(error)) from None
        key = (str((value or {})["sink"]), entry_of(logical, value))
        if key in seen:
            raise OrgFileError(
                source,
                format_path(path),
                f"its key would go to the same entry as {format_path(seen[key])} (sink {key[0]}, entry {key[1]}): "
                "give one of them its own entry",
            )
        seen[key] = path


def resolve_key_sinks(changes: list[Change], source: str, given: Mapping[str, KeySink] | None) -> dict[str, KeySink]:
    """The sink objects the plan's creates need, by name: ``given`` first, then the built-in
    ones. An unknown name is an :class:`OrgFileError` at its file path (before any write)."""
    given = given or {}
    resolved: dict[str, KeySink] = {}
    for change in changes:
        if change.family != FAMILY or change.action != "create":
            continue
        name = str((change.after or {})["sink"])
        if name in resolved:
            continue
        if name in given:
            resolved[name] = given[name]
        elif name in BUILTIN_SINKS:
            resolved[name] = BUILTIN_SINKS[name]()
        else:
            known = ", ".join(sorted({*BUILTIN_SINKS, *given}))
            raise OrgFileError(
                source,
                format_path(["projects", change.where, FAMILY, change.what, "sink"]),
                f"no key sink named {name!r} (known: {known}; give others to OrgApplyOperator(key_sinks=...))",
            )
    return resolved


class ServiceAccountsHandler:
    """Creates missing logical accounts (key to the sink), deletes unlisted ones."""

    family = FAMILY

    def plan(self, ctx: PlanContext) -> list[Change]:
        changes: list[Change] = []
        for name, project, wanted in declaring(ctx, FAMILY):
            live: dict[str, list[dict[str, Any]]] = {}
            for account in ctx.reader.service_accounts(str(project["id"])) if project is not None else []:
                logical = logical_name(str(account.get("name") or ""))
                if logical is not None:
                    live.setdefault(logical, []).append(account)
            for logical, value in (wanted or {}).items():
                if logical not in live:
                    changes.append(self._creation(ctx, name, project, logical, value))
            changes += [
                Change(
                    FAMILY,
                    "remove",
                    name,
                    logical,
                    {"accounts": sorted(str(a["name"]) for a in accounts)},
                    None,
                    True,
                    PHASE_REMOVE,
                    target={
                        **target(project),
                        "service_accounts": sorted(
                            ({"id": str(a["id"]), "name": str(a["name"])} for a in accounts),
                            key=lambda a: (a["name"], a["id"]),
                        ),
                    },
                )
                for logical, accounts in sorted(live.items())
                if logical not in (wanted or {})
            ]
        return changes

    @staticmethod
    def _creation(
        ctx: PlanContext, name: str, project: dict[str, Any] | None, logical: str, value: Mapping[str, Any] | None
    ) -> Change:
        sink = (value or {}).get("sink")
        if not sink:
            raise OrgFileError(
                ctx.spec.source,
                format_path(["projects", name, FAMILY, logical]),
                "no service account of this name exists and no sink is given: its key would be lost "
                "(add sink: variable, or the name of another key sink)",
            )
        return Change(
            FAMILY,
            "create",
            name,
            logical,
            None,
            {"sink": str(sink)},
            False,
            PHASE_SERVICE_ACCOUNT_CREATE,
            target={**target(project), "entry": entry_of(logical, value)},
        )

    def count_reads(self, spec: OrgSpec, reader: LiveReader) -> int:
        """One list of service accounts per live project that declares the key."""
        return live_declaring(spec, reader, FAMILY)

    def apply(self, change: Change, ctx: ApplyContext) -> int:
        from airflow_provider_openai_projects.domain.service_accounts import (
            delete_service_account,
            provision_service_account,
        )

        client: Any = ctx.client  # the hook's methods, which provision_service_account is typed for
        project_id = ctx.project_id(change)
        logical = change.what
        if change.action == "remove":
            for account in change.target["service_accounts"]:
                delete_service_account(client, log, project_id, account, "not listed in the org file")
            return len(change.target["service_accounts"])
        sink = ctx.key_sinks[str((change.after or {})["sink"])]
        result = provision_service_account(
            client,
            log,
            sink,
            str(change.target["entry"]),
            project_id,
            generation_account_name(logical, INITIAL_GENERATION),
            extra={"generation": INITIAL_GENERATION},
            owns=lambda holder: holder == logical or generation_of(holder, logical) is not None,
        )
        return len(result["deleted_orphans"]) + int(bool(result["created"]))

    def export(self, reader: LiveReader, document: dict[str, Any]) -> None:
        """Each exported project's logical accounts as ``{L: null}`` (delivery unmanaged:
        the sink is not known from the API); projects without accounts get no key."""
        projects = reader.projects()
        for name, entry in (document.get("projects") or {}).items():
            project = oldest_active(projects, name)
            if project is None:
                continue
            logicals = {logical_name(str(a.get("name") or "")) for a in reader.service_accounts(str(project["id"]))}
            logicals.discard(None)
            if logicals:
                entry[FAMILY] = {logical: None for logical in sorted(str(n) for n in logicals)}
