"""Service accounts whose key lives in a key sink: sink entries, storing a new key, provisioning.

Shared by the service-account and rotation operators and the org file's ``service_accounts``
family. Each function takes what it needs (a hook or the org-file engine's client, which has
the same methods; a logger; a sink), never an operator. Importing this module does not import
Airflow or the HTTP client.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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

    :param extra: more metadata stored with a new key (JSON-able, never the value).
    :param owns: which account names recorded in an existing entry may be replaced
        (default: exactly ``name``).
    :return: ``project_id``, ``service_account_name``, ``secret_variable``, ``key_sink``,
        ``deleted_orphans``, ``service_account_id``, ``api_key_id``, ``redacted_value``,
        ``created``. Never the key.
    """
    stored = load_entry(sink, entry)
    if stored is not None:
        require_entry_owner(
            "secret_variable",
            entry,
            stored,
            project_id,
            owns or (lambda n: n == name),
            expected=f"service account {name!r}",
        )
    same_name = [a for a in hook.list_service_accounts(project_id) if a["name"] == name]
    held_id = stored.metadata.get("service_account_id") if stored is not None else None
    held = next((a for a in same_name if a["id"] == held_id), None)
    orphan = "its key is not in the key sink"
    deleted = [a["id"] for a in same_name if a is not held and delete_service_account(hook, log, project_id, a, orphan)]
    result: dict[str, Any] = {
        "project_id": project_id,
        "service_account_name": name,
        "secret_variable": entry,
        "key_sink": type(sink).__name__,
        "deleted_orphans": deleted,
    }
    if held is not None and stored is not None:
        log.info("Service account %r (%s) exists and its key is stored at %r.", name, held["id"], entry)
        return {
            **result,
            "service_account_id": held["id"],
            "api_key_id": stored.metadata.get("api_key_id"),
            "redacted_value": stored.metadata.get("redacted_value"),
            "created": False,
        }

    def orphans_of_a_lost_create() -> None:
        for account in hook.list_service_accounts(project_id):
            if account["name"] == name:
                delete_service_account(hook, log, project_id, account, "a create's lost response left it keyless")
                deleted.append(account["id"])
        return None

    created = create_once(
        lambda: hook.create_service_account(project_id, name=name),
        orphans_of_a_lost_create,
        what=f"service account {name!r} in {project_id}",
    )
    metadata = store_new_key(hook, log, sink, entry, project_id, created, extra or {})
    log_change(
        log,
        "created service account %r (%s) in %s; key %s stored at %r",
        name,
        created["id"],
        project_id,
        metadata["redacted_value"],
        entry,
    )
    return {
        **result,
        "service_account_id": created["id"],
        "api_key_id": metadata["api_key_id"],
        "redacted_value": metadata["redacted_value"],
        "created": True,
    }
