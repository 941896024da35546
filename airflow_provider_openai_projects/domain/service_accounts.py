"""Service accounts whose key lives in a key sink: sink entries, storing a new key, provisioning.

Shared by the service-account and rotation operators and the org file's ``service_accounts``
family. Each function takes what it needs (a hook or the org-file engine's client, which has
the same methods; a logger; a sink), never an operator. Importing this module does not import
Airflow or the HTTP client.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects.client.errors import InvalidInputError, NotFoundError, OpenAIAdminError
from airflow_provider_openai_projects.domain.change_log import Log, log_change
from airflow_provider_openai_projects.domain.idempotency import create_once
from airflow_provider_openai_projects.domain.key_generations import redacted
from airflow_provider_openai_projects.sinks.base import KeySink, StoredKey, store_key
from airflow_provider_openai_projects.sinks.variable import VariableKeySink

if TYPE_CHECKING:
    from airflow_provider_openai_projects.client.types import ServiceAccountCreated
    from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook


# -- key-sink entries -------------------------------------------------------------------------


def resolve_sink(key_sink: KeySink | None) -> KeySink:
    """The given sink, or the default :class:`~airflow_provider_openai_projects.sinks.VariableKeySink`."""
    return key_sink if key_sink is not None else VariableKeySink()


def load_entry(sink: KeySink, name: str) -> StoredKey | None:
    """``sink.load(name)``, with the value registered with Airflow's masker at once."""
    stored = sink.load(name)
    if stored is not None:
        from airflow.sdk.log import mask_secret  # here, not at the top: the org-file engine imports this module

        mask_secret(stored.value)
    return stored


def require_entry_owner(
    field: str,
    entry: str,
    stored: StoredKey,
    project_id: str,
    owns_name: Callable[[str], bool],
    *,
    expected: str,
) -> None:
    """Refuse to touch a sink entry that holds the key of another account or project.

    ``owns_name(service_account_name)`` says whether the account name recorded in the
    entry's metadata is one the caller manages. Raises :class:`InvalidInputError` naming
    ``field``; returns nothing.
    """
    meta = stored.metadata
    holder = meta.get("service_account_name")
    if meta.get("project_id") == project_id and isinstance(holder, str) and owns_name(holder):
        return
    raise InvalidInputError(
        field,
        f"the key sink entry {entry!r} already holds the key of service account {holder!r} "
        f"in project {meta.get('project_id')!r}, not of {expected} in project {project_id!r}; "
        "refusing to overwrite it: choose another entry name or delete that entry",
    )


# -- service accounts -------------------------------------------------------------------------


def delete_service_account(
    hook: OpenAIAdminHook, log: Log, project_id: str, account: Mapping[str, Any], why: str
) -> bool:
    """Delete one account; ``True`` if this call deleted it, ``False`` if it was already gone.

    Idempotent (404 is "already gone"); logs one ``CHANGE`` line with ``why`` when it deletes.
    """
    try:
        hook.delete_service_account(project_id, account["id"])
    except NotFoundError:
        log.info("Service account %r (%s) is already gone.", account.get("name"), account["id"])
        return False
    log_change(log, "deleted service account %r (%s) in %s: %s", account.get("name"), account["id"], project_id, why)
    return True


def store_new_key(
    hook: OpenAIAdminHook,
    log: Log,
    sink: KeySink,
    entry: str,
    project_id: str,
    created: ServiceAccountCreated,
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    """Store a just-created account's key at ``entry``; on any failure delete the account and raise.

    Nothing that can fail runs between the create and the store: this is the first thing
    done with the response. Returns the metadata stored (never the value).
    """
    api_key = created.get("api_key")
    metadata: dict[str, Any] = {}
    try:
        if not api_key or not isinstance(api_key.get("value"), str):
            raise OpenAIAdminError(f"creating service account {created['id']} returned no key")
        metadata = {
            "project_id": project_id,
            "service_account_id": created["id"],
            "service_account_name": created["name"],
            "api_key_id": api_key["id"],
            "redacted_value": redacted(api_key["value"]),
            "created_at": created["created_at"],
            **extra,
        }
        store_key(sink, entry, api_key["value"], metadata)
    except BaseException:
        log.error(
            "Could not store the key of new service account %s at %r; deleting the account so that no "
            "unrecoverable key is left behind.",
            created["id"],
            entry,
        )
        try:
            delete_service_account(hook, log, project_id, created, "its key could not be stored")
        except Exception:
            log.exception(
                "Deleting service account %s failed too; the next run deletes it (its key is not stored).",
                created["id"],
            )
        raise
    return metadata


@dataclass
class Provisioning:
    """What one provisioning knows as it goes: the inputs, the entry the sink holds, the
    accounts of that name, and the outcome (never the key)."""

    hook: OpenAIAdminHook
    log: Log
    sink: KeySink
    entry: str
    project_id: str
    name: str
    extra: Mapping[str, Any]
    owns: Callable[[str], bool]
    stored: StoredKey | None = None
    held: Mapping[str, Any] | None = None
    deleted: list[str] = field(default_factory=list)

    def result(self, **outcome: Any) -> dict[str, Any]:
        """The operator's XCom: what was provisioned and how (ids, redacted value), never the key."""
        return {
            "project_id": self.project_id,
            "service_account_name": self.name,
            "secret_variable": self.entry,
            "key_sink": type(self.sink).__name__,
            "deleted_orphans": self.deleted,
            **outcome,
        }


def provision_service_account(
    hook: OpenAIAdminHook,
    log: Log,
    sink: KeySink,
    entry: str,
    project_id: str,
    name: str,
    extra: Mapping[str, Any] | None = None,
    owns: Callable[[str], bool] | None = None,
) -> dict[str, Any]:
    """Exactly one service account named ``name`` in the project, whose key ``sink`` holds at ``entry``.

    The contract of :class:`~airflow_provider_openai_projects.operators.service_accounts.CreateServiceAccountOperator`
    (which calls this with validated inputs; so does the org file's ``service_accounts``
    family): an account whose key the entry holds is kept with no write; accounts of that
    name whose key nobody holds are deleted; a create whose response is lost is reconciled
    (keyless look-alikes deleted, then created again); the key is stored at once, and the
    account deleted if storing fails. An entry holding another account's key is refused
    (:class:`InvalidInputError` ``secret_variable``) before any write.

    The steps: **check the entry** (whose key it holds), **reconcile** (list the accounts of
    that name once, keep the one the entry holds, delete the keyless ones), then either
    **keep** the held account or **create and store** a new one.

    :param extra: more metadata stored with a new key (JSON-able, never the value).
    :param owns: which account names recorded in an existing entry may be replaced
        (default: exactly ``name``).
    :return: ``project_id``, ``service_account_name``, ``secret_variable``, ``key_sink``,
        ``deleted_orphans``, ``service_account_id``, ``api_key_id``, ``redacted_value``,
        ``created``. Never the key.
    """
    job = Provisioning(hook, log, sink, entry, project_id, name, extra or {}, owns or (lambda n: n == name))
    _check_entry(job)
    _reconcile(job)
    if job.held is not None and job.stored is not None:
        return _keep(job, job.held, job.stored)
    return _create_and_store(job)


def _check_entry(job: Provisioning) -> None:
    """Load the entry; refuse it (before any write) if it holds another account's key."""
    job.stored = load_entry(job.sink, job.entry)
    if job.stored is not None:
        require_entry_owner(
            "secret_variable",
            job.entry,
            job.stored,
            job.project_id,
            job.owns,
            expected=f"service account {job.name!r}",
        )


def _reconcile(job: Provisioning) -> None:
    """List the accounts of this name once: keep the one whose key the entry holds, delete the rest
    (their keys are held by nobody: docs/design.md, fact 6)."""
    same_name = [a for a in job.hook.list_service_accounts(job.project_id) if a["name"] == job.name]
    held_id = job.stored.metadata.get("service_account_id") if job.stored is not None else None
    job.held = next((a for a in same_name if a["id"] == held_id), None)
    orphan = "its key is not in the key sink"
    for account in same_name:
        if account is not job.held and delete_service_account(job.hook, job.log, job.project_id, account, orphan):
            job.deleted.append(account["id"])


def _keep(job: Provisioning, held: Mapping[str, Any], stored: StoredKey) -> dict[str, Any]:
    """The held account stays, with no write."""
    job.log.info("Service account %r (%s) exists and its key is stored at %r.", job.name, held["id"], job.entry)
    return job.result(
        service_account_id=held["id"],
        api_key_id=stored.metadata.get("api_key_id"),
        redacted_value=stored.metadata.get("redacted_value"),
        created=False,
    )


def _create_and_store(job: Provisioning) -> dict[str, Any]:
    """Create the account (a lost response reconciled, never blindly repeated: fact 5) and store
    its key at once (or delete the account)."""

    def orphans_of_a_lost_create() -> None:
        for account in job.hook.list_service_accounts(job.project_id):
            if account["name"] == job.name:
                why = "a create's lost response left it keyless"
                delete_service_account(job.hook, job.log, job.project_id, account, why)
                job.deleted.append(account["id"])
        return None

    created = create_once(
        lambda: job.hook.create_service_account(job.project_id, name=job.name),
        orphans_of_a_lost_create,
        what=f"service account {job.name!r} in {job.project_id}",
    )
    metadata = store_new_key(job.hook, job.log, job.sink, job.entry, job.project_id, created, job.extra)
    log_change(
        job.log,
        "created service account %r (%s) in %s; key %s stored at %r",
        job.name,
        created["id"],
        job.project_id,
        metadata["redacted_value"],
        job.entry,
    )
    return job.result(
        service_account_id=created["id"],
        api_key_id=metadata["api_key_id"],
        redacted_value=metadata["redacted_value"],
        created=True,
    )
