"""Service-account key rotation: one new service account per generation, verified before use.

A service-account key can only be revoked by deleting its service account (DESIGN.md,
fact 6), so a *logical* account ``team`` is a series of generations ``team--<generation>``
(naming rules in :mod:`airflow_provider_openai_projects.key_generations`). Two operators:

- :class:`RotateServiceAccountOperator` runs the protocol of DESIGN.md: create the
  generation of this DAG run, store its key as *pending*, verify it works, promote it to
  the *current* sink entry (the only one consumers read), and optionally delete previous
  generations. Every step is resumable: a retry or re-run of the same DAG run after a
  failure at any point converges to exactly one new generation whose key is stored and
  works, with no orphan, the previous generation intact until the new one is verified.
- :class:`DeleteServiceAccountGenerationsOperator` deletes previous generations only,
  protecting the one the sink's current entry names. It exists so a DAG can give
  consumers time to switch before the old key dies::

      rotate = RotateServiceAccountOperator(task_id="rotate", project_id=pid,
                                            service_account_name="team")  # delete_previous=False
      seen = ApiKeyUsageSensor(task_id="new_key_in_use", project_id=pid,
                               api_key_id=rotate.output["api_key_id"], deferrable=True)
      cleanup = DeleteServiceAccountGenerationsOperator(task_id="delete_previous", project_id=pid,
                                                        service_account_name="team", keep_previous=0)
      rotate >> seen >> cleanup

  (``RotateServiceAccountOperator(delete_previous=True)`` does the same in one task, right
  after the promotion.)

Neither operator touches a service account outside its logical account's names, nor a sink
entry that holds another account's key.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects.operators.base import OpenAIAdminBaseOperator
from airflow_provider_openai_projects.operators.links import PROJECT_ID_XCOM_KEY, OpenAIProjectLink

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_projects.client.types import ServiceAccount
    from airflow_provider_openai_projects.sinks.base import KeySink, StoredKey

MAX_VERIFY_BACKOFF = 30.0


class RotateServiceAccountOperator(OpenAIAdminBaseOperator):
    """Rotate the key of a logical service account: create, store, verify, promote, revoke.

    1. The generation derives from the DAG run (``run_after`` as ``YYYYMMDDTHHMMSSZ``, ``-``,
       6 hex characters of a hash of the run id), so task retries reuse it; ``generation``
       overrides it. The new account is named ``<service_account_name>--<generation>``.
    2. The project's service accounts are listed once. If the current sink entry already
       names this generation and its account exists, the rotation is done: nothing is
       written (except deleting previous generations if asked). If the pending entry holds
       the key of this generation's account, the rotation resumes at verification. Any
       other account with this generation's name has no retrievable key and is deleted; so
       is the account of a pending entry abandoned by another run.
    3. Create the account (a lost response is reconciled, never blindly repeated); its key
       goes at once to the pending entry (``<secret_variable>_pending``). If that fails the
       account is deleted and the task fails.
    4. Verify (``verify=True``): ``GET /v1/models`` with the new key, up to
       ``verify_attempts`` times with exponential backoff from ``verify_backoff`` seconds
       (propagation). If the key is refused every time, the new account and the pending
       entry are deleted, the current entry is left untouched, and
       :class:`KeyVerificationError` is raised. Other failures (5xx, throttling, a lost
       connection) raise as they are and a retry resumes here.
    5. Promote: the current entry (``secret_variable``) gets the new key, with
       ``previous_generation``; then the pending entry is deleted.
    6. With ``delete_previous=True``: of this logical account's other generations, keep
       ``keep_previous`` (first the one that was current before this promotion, then the
       newest by ``created_at`` and name) and delete the rest; an account already gone is
       fine. Nothing is deleted before the new key is verified and promoted.

    :param project_id: the project (templated).
    :param service_account_name: the logical name (templated): no ``--``, not ending with ``-``.
    :param secret_variable: the current sink entry (templated); default
        ``openai_<slug(service_account_name)>_api_key``. Consumers read only this entry.
    :param key_sink: a :class:`~airflow_provider_openai_projects.sinks.KeySink`; default an
        Airflow Variable (:class:`~airflow_provider_openai_projects.sinks.VariableKeySink`).
    :param verify: check that the new key works before promoting it.
    :param delete_previous: delete previous generations after promoting (see 6).
    :param keep_previous: previous generations to keep when deleting.
    :param generation: explicit generation token (templated); default derived from the run.
    :param verify_attempts: verification calls at most (>= 1).
    :param verify_backoff: seconds before the second verification call, doubled each time
        (capped at 30 s); 0 in tests.
    :return: ``project_id``, ``service_account_id``, ``service_account_name``,
        ``generation``, ``api_key_id``, ``redacted_value``, ``secret_variable``,
        ``resumed`` (the generation existed before this try), ``verified``, ``deleted``
        (ids of previous generations and orphans deleted) and ``kept`` (ids). Never the key.
    """

    template_fields: Sequence[str] = (
        *OpenAIAdminBaseOperator.template_fields,
        "project_id",
        "service_account_name",
        "secret_variable",
        "generation",
    )
    operator_extra_links = (OpenAIProjectLink(),)

    def __init__(
        self,
        *,
        project_id: str,
        service_account_name: str,
        secret_variable: str | None = None,
        key_sink: KeySink | None = None,
        verify: bool = True,
        delete_previous: bool = False,
        keep_previous: int = 1,
        generation: str | None = None,
        verify_attempts: int = 5,
        verify_backoff: float = 2.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.project_id = project_id
        self.service_account_name = service_account_name
        self.secret_variable = secret_variable
        self.key_sink = key_sink
        self.verify = verify
        self.delete_previous = delete_previous
        self.keep_previous = keep_previous
        self.generation = generation
        self.verify_attempts = verify_attempts
        self.verify_backoff = verify_backoff
        self.verify_waits: list[float] = []

    def run(self, context: Context) -> dict[str, Any]:
        from airflow_provider_openai_projects.client.errors import InvalidInputError
        from airflow_provider_openai_projects.idempotency import create_once
        from airflow_provider_openai_projects.key_generations import (
            generation_account_name,
            generation_of,
            generations,
            pending_entry_name,
            require_generation,
        )
        from airflow_provider_openai_projects.operators.service_accounts import (
            delete_service_account,
            load_entry,
            require_entry_owner,
            resolve_sink,
            store_new_key,
        )
        from airflow_provider_openai_projects.validation import require_name, require_non_negative_int

        # -- inputs (nothing is sent before they are all valid) ---------------------------
        project_id, logical, current_entry, keep_previous = account_inputs(
            self.project_id, self.service_account_name, self.secret_variable, self.keep_previous
        )
        pending_entry = pending_entry_name(current_entry)
        attempts = require_non_negative_int("verify_attempts", self.verify_attempts)
        if attempts < 1:
            raise InvalidInputError("verify_attempts", "must be at least 1")
        backoff = self.verify_backoff
        if isinstance(backoff, bool) or not isinstance(backoff, int | float) or not 0 <= backoff <= 3600:
            raise InvalidInputError("verify_backoff", f"must be a number of seconds from 0 to 3600, got {backoff!r}")
        for flag in ("verify", "delete_previous"):
            if not isinstance(getattr(self, flag), bool):
                raise InvalidInputError(flag, f"must be True or False, got {getattr(self, flag)!r}")
        generation = (
            require_generation("generation", self.generation)
            if self.generation not in (None, "")
            else run_generation(context)
        )
        account_name = require_name("service_account_name", generation_account_name(logical, generation))
        sink = resolve_sink(self.key_sink)

        def ours(name: str) -> bool:
            return generation_of(name, logical) is not None

        expected = f"a generation of {logical!r}"
        current = load_entry(sink, current_entry)
        if current is not None:
            require_entry_owner("secret_variable", current_entry, current, project_id, ours, expected=expected)
        pending = load_entry(sink, pending_entry)
        if pending is not None:
            require_entry_owner("secret_variable", pending_entry, pending, project_id, ours, expected=expected)

        # -- where are we? ------------------------------------------------------------------
        mine = generations(self.hook.list_service_accounts(project_id), logical)
        ids = {a["id"] for a in mine}
        this_generation = [a for a in mine if a["name"] == account_name]
        this_ids = {a["id"] for a in this_generation}
        current_id = held_id(current)
        pending_id = held_id(pending)
        deleted: list[str] = []
        context["ti"].xcom_push(key=PROJECT_ID_XCOM_KEY, value=project_id)
        result: dict[str, Any] = {
            "project_id": project_id,
            "service_account_name": account_name,
            "generation": generation,
            "secret_variable": current_entry,
        }

        def drop(account: Mapping[str, Any], why: str) -> None:
            if delete_service_account(self, project_id, account, why):
                deleted.append(account["id"])
            ids.discard(account["id"])

        if current is not None and current.metadata.get("generation") == generation and current_id in this_ids:
            # Done before: only leftovers of an interruption, and the optional revoke.
            if pending is not None:
                if pending_id in ids and pending_id != current_id:
                    drop(by_id(mine, pending_id), "pending key abandoned by another run")
                sink.delete(pending_entry)
            for account in this_generation:
                if account["id"] != current_id:
                    drop(account, f"duplicate of generation {generation} without a stored key")
            self.log.info("Generation %s of %r is already current; nothing to rotate.", generation, logical)
            revoke = self._revoke(
                project_id,
                [a for a in mine if a["id"] in ids],
                protect=[current_id],
                prefer=[current.metadata.get("previous_service_account_id")],
                keep_previous=keep_previous,
            )
            return {
                **result,
                "service_account_id": current_id,
                "api_key_id": current.metadata.get("api_key_id"),
                "redacted_value": current.metadata.get("redacted_value"),
                "resumed": True,
                "verified": bool(current.metadata.get("verified", False)),
                "deleted": deleted + revoke[0],
                "kept": revoke[1],
            }

        resume: StoredKey | None = None
        if pending is not None:
            if pending.metadata.get("generation") == generation and pending_id in this_ids:
                resume = pending
            else:
                if pending_id in ids and pending_id != current_id:
                    drop(by_id(mine, pending_id), "pending key abandoned by another run")
                sink.delete(pending_entry)
        for account in this_generation:
            if resume is None or account["id"] != pending_id:
                drop(account, f"generation {generation} without a stored key (unrecoverable)")

        # -- create and store ---------------------------------------------------------------
        if resume is not None:
            self.log.info("Resuming generation %s of %r: its key is stored at %r.", generation, logical, pending_entry)
            value, metadata = resume.value, dict(resume.metadata)
        else:

            def orphans_of_a_lost_create() -> None:
                for account in self.hook.list_service_accounts(project_id):
                    if account["name"] == account_name:
                        drop(account, "a create's lost response left it keyless")
                return None

            created = create_once(
                lambda: self.hook.create_service_account(project_id, name=account_name),
                orphans_of_a_lost_create,
                what=f"service account {account_name!r} in {project_id}",
            )
            metadata = store_new_key(self, sink, pending_entry, project_id, created, {"generation": generation})
            self.log_change(
                "created service account %r (%s) in %s; key %s stored at %r until verified",
                account_name,
                created["id"],
                project_id,
                metadata["redacted_value"],
                pending_entry,
            )
            api_key = created["api_key"]
            assert api_key is not None  # store_new_key raised otherwise
            value = api_key["value"]
            del created, api_key
        new_id = str(metadata["service_account_id"])

        # -- verify ---------------------------------------------------------------------------
        if self.verify:
            self._verify(value, attempts, float(backoff), project_id, new_id, account_name, sink, pending_entry)

        # -- promote --------------------------------------------------------------------------
        promoted = {
            **metadata,
            "previous_generation": current.metadata.get("generation") if current is not None else None,
            "previous_service_account_id": current_id,
            "verified": self.verify,
        }
        sink.store(current_entry, value, promoted)
        del value
        sink.delete(pending_entry)
        self.log_change(
            "promoted generation %s of %r (%s, key %s) to %r",
            generation,
            logical,
            new_id,
            metadata["redacted_value"],
            current_entry,
        )

        # -- revoke ---------------------------------------------------------------------------
        revoke = self._revoke(
            project_id,
            [a for a in mine if a["id"] in ids and a["id"] != new_id],
            protect=[new_id],
            prefer=[current_id],
            keep_previous=keep_previous,
        )
        return {
            **result,
            "service_account_id": new_id,
            "api_key_id": metadata.get("api_key_id"),
            "redacted_value": metadata.get("redacted_value"),
            "resumed": resume is not None,
            "verified": self.verify,
            "deleted": deleted + revoke[0],
            "kept": revoke[1],
        }

    def _verify(
        self,
        value: str,
        attempts: int,
        backoff: float,
        project_id: str,
        account_id: str,
        account_name: str,
        sink: KeySink,
        pending_entry: str,
    ) -> None:
        """Call ``GET /v1/models`` with the new key until it is accepted; clean up if it never is."""
        from airflow_provider_openai_projects.client.errors import AuthenticationError, PermissionDeniedError
        from airflow_provider_openai_projects.operators.service_accounts import delete_service_account

        refusal: Exception | None = None
        for attempt in range(1, attempts + 1):
            try:
                self.hook.verify_api_key(value)
            except (AuthenticationError, PermissionDeniedError) as error:
                refusal = error
                self.log.warning("The new key was refused (attempt %d of %d): %s", attempt, attempts, error)
                if attempt < attempts:
                    wait = min(backoff * 2 ** (attempt - 1), MAX_VERIFY_BACKOFF)
                    self.verify_waits.append(wait)
                    if wait > 0:
                        time.sleep(wait)
                continue
            self.log.info("The new key of %r works (attempt %d of %d).", account_name, attempt, attempts)
            return
        self.log.error(
            "The new key of %r was refused %d times; deleting the new account, keeping the current key.",
            account_name,
            attempts,
        )
        delete_service_account(self, project_id, {"id": account_id, "name": account_name}, "its key does not work")
        sink.delete(pending_entry)
        raise KeyVerificationError(
            f"the new key of service account {account_name!r} ({account_id}) was refused by GET /v1/models "
            f"{attempts} time(s) (last: {refusal}); the new account was deleted and the current key left "
            "untouched"
        )

    def _revoke(
        self,
        project_id: str,
        others: Sequence[ServiceAccount | Mapping[str, Any]],
        *,
        protect: Sequence[str | None],
        prefer: Sequence[str | None],
        keep_previous: int,
    ) -> tuple[list[str], list[str]]:
        if not self.delete_previous:
            return [], []
        return revoke_generations(self, project_id, others, protect=protect, prefer=prefer, keep_previous=keep_previous)


class DeleteServiceAccountGenerationsOperator(OpenAIAdminBaseOperator):
    """Delete the previous generations of a rotated logical service account.

    The generation the sink's current entry names is never deleted (nor the one a pending
    entry holds, if a rotation is in flight); of the other generations of this logical
    account, ``keep_previous`` are kept (first the one that was current before the last
    promotion, then the newest) and the rest are deleted. Accounts outside the logical
    account's names are never touched. Idempotent: an account already gone is fine and a
    second run makes no write. Refuses (deleting nothing) when the current entry is
    missing or names no existing account: it then cannot tell which key is in use.

    :param project_id: the project (templated).
    :param service_account_name: the logical name (templated).
    :param secret_variable: the current sink entry (templated); default as in
        :class:`RotateServiceAccountOperator`.
    :param key_sink: the sink the rotation used (default an Airflow Variable).
    :param keep_previous: previous generations to keep besides the current one.
    :return: ``project_id``, ``service_account_id`` and ``generation`` of the current
        generation, ``deleted`` and ``kept`` (ids).
    """

    template_fields: Sequence[str] = (
        *OpenAIAdminBaseOperator.template_fields,
        "project_id",
        "service_account_name",
        "secret_variable",
    )
    operator_extra_links = (OpenAIProjectLink(),)

    def __init__(
        self,
        *,
        project_id: str,
        service_account_name: str,
        secret_variable: str | None = None,
        key_sink: KeySink | None = None,
        keep_previous: int = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.project_id = project_id
        self.service_account_name = service_account_name
        self.secret_variable = secret_variable
        self.key_sink = key_sink
        self.keep_previous = keep_previous

    def run(self, context: Context) -> dict[str, Any]:
        from airflow_provider_openai_projects.client.errors import InvalidInputError
        from airflow_provider_openai_projects.key_generations import (
            generation_of,
            generations,
            pending_entry_name,
        )
        from airflow_provider_openai_projects.operators.service_accounts import (
            load_entry,
            require_entry_owner,
            resolve_sink,
        )

        project_id, logical, current_entry, keep_previous = account_inputs(
            self.project_id, self.service_account_name, self.secret_variable, self.keep_previous
        )
        sink = resolve_sink(self.key_sink)

        def ours(name: str) -> bool:
            return generation_of(name, logical) is not None

        expected = f"a generation of {logical!r}"
        current = load_entry(sink, current_entry)
        if current is None:
            raise InvalidInputError(
                "secret_variable",
                f"the key sink has no entry {current_entry!r}, so the current generation of {logical!r} is "
                "unknown; refusing to delete any generation",
            )
        require_entry_owner("secret_variable", current_entry, current, project_id, ours, expected=expected)
        pending_entry = pending_entry_name(current_entry)
        pending = load_entry(sink, pending_entry)
        if pending is not None:
            require_entry_owner("secret_variable", pending_entry, pending, project_id, ours, expected=expected)

        mine = generations(self.hook.list_service_accounts(project_id), logical)
        current_id = held_id(current)
        if current_id not in {a["id"] for a in mine}:
            raise InvalidInputError(
                "secret_variable",
                f"the current entry {current_entry!r} names service account {current_id!r}, which does not exist "
                f"in project {project_id}; refusing to delete any generation of {logical!r}",
            )
        deleted, kept = revoke_generations(
            self,
            project_id,
            mine,
            protect=[current_id, held_id(pending)],
            prefer=[current.metadata.get("previous_service_account_id")],
            keep_previous=keep_previous,
        )
        context["ti"].xcom_push(key=PROJECT_ID_XCOM_KEY, value=project_id)
        return {
            "project_id": project_id,
            "service_account_id": current_id,
            "generation": current.metadata.get("generation"),
            "deleted": deleted,
            "kept": kept,
        }


class KeyVerificationError(Exception):
    """A newly minted key was refused by ``GET /v1/models`` on every verification attempt.

    The rotation deleted the new account and left the current key untouched. Not a fail-fast
    error: Airflow's ``retries`` apply (a retry tries a fresh account of the same generation).
    """


# -- helpers ----------------------------------------------------------------------------------


def account_inputs(
    project_id: object, service_account_name: object, secret_variable: object, keep_previous: object
) -> tuple[str, str, str, int]:
    """The checked inputs naming a logical account and its sink entry (one error naming the field):
    ``(project_id, logical name, current entry name, keep_previous)``."""
    from airflow_provider_openai_projects.key_generations import (
        default_secret_variable,
        require_entry_name,
        require_logical_name,
    )
    from airflow_provider_openai_projects.validation import require_id, require_non_negative_int

    project = require_id("project_id", project_id)
    logical = require_logical_name("service_account_name", service_account_name)
    entry = (
        require_entry_name("secret_variable", secret_variable)
        if secret_variable is not None
        else default_secret_variable(logical)
    )
    return project, logical, entry, require_non_negative_int("keep_previous", keep_previous)


def run_generation(context: Context) -> str:
    """The generation of the running DAG run (:func:`..key_generations.generation_from_run`)."""
    from airflow_provider_openai_projects.client.errors import InvalidInputError
    from airflow_provider_openai_projects.key_generations import generation_from_run

    dag_run = context.get("dag_run")
    run_after = getattr(dag_run, "run_after", None) or context.get("logical_date")
    run_id = context.get("run_id") or getattr(dag_run, "run_id", None)
    if run_after is None or not run_id:
        raise InvalidInputError("generation", "cannot be derived outside a DAG run; pass generation explicitly")
    return generation_from_run(run_after, str(run_id))


def held_id(stored: StoredKey | None) -> str | None:
    """The service-account id a sink entry holds the key of."""
    if stored is None:
        return None
    value = stored.metadata.get("service_account_id")
    return value if isinstance(value, str) else None


def by_id(accounts: Sequence[ServiceAccount | Mapping[str, Any]], account_id: str | None) -> Mapping[str, Any]:
    return next(a for a in accounts if a["id"] == account_id)


def revoke_generations(
    op: OpenAIAdminBaseOperator,
    project_id: str,
    accounts: Sequence[ServiceAccount | Mapping[str, Any]],
    *,
    protect: Sequence[str | None],
    prefer: Sequence[str | None],
    keep_previous: int,
) -> tuple[list[str], list[str]]:
    """Delete the generations :func:`~airflow_provider_openai_projects.key_generations.plan_revoke`
    selects; returns (deleted ids, kept ids). An account already gone counts as deleted."""
    from airflow_provider_openai_projects.key_generations import plan_revoke
    from airflow_provider_openai_projects.operators.service_accounts import delete_service_account

    plan = plan_revoke(accounts, protect=protect, keep_previous=keep_previous, prefer=prefer)
    names = {a["id"]: a for a in accounts}
    for account_id in plan.delete:
        delete_service_account(op, project_id, names[account_id], "previous generation")
    if plan.keep:
        op.log.info("Kept previous generation(s): %s", ", ".join(plan.keep))
    return plan.delete, plan.keep
