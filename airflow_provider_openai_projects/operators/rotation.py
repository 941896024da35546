"""Service-account key rotation: one new service account per generation, verified before use.

A service-account key can only be revoked by deleting its service account (docs/design.md,
fact 6), so a *logical* account ``team`` is a series of generations ``team--<generation>``
(naming rules in :mod:`airflow_provider_openai_projects.domain.key_generations`). Two operators:

- :class:`RotateServiceAccountOperator` runs the rotation protocol of docs/design.md: create the
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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects.client.errors import AuthenticationError, InvalidInputError, PermissionDeniedError
from airflow_provider_openai_projects.domain.validation import (
    require_bool,
    require_id,
    require_name,
    require_non_negative_int,
)
from airflow_provider_openai_projects.operators.base import OpenAIAdminBaseOperator
from airflow_provider_openai_projects.operators.links import PROJECT_ID_XCOM_KEY, OpenAIProjectLink

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_projects.client.types import ServiceAccount
    from airflow_provider_openai_projects.domain.change_log import Log
    from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook
    from airflow_provider_openai_projects.sinks.base import KeySink, StoredKey

MAX_VERIFY_BACKOFF = 30.0


@dataclass
class Rotation:
    """What one rotation run knows, phase after phase (never logged, never returned: it holds the key).

    Filled by :meth:`RotateServiceAccountOperator._load` (inputs and the two sink entries),
    then :meth:`~RotateServiceAccountOperator._reconcile` (the logical account's live
    generations), :meth:`~RotateServiceAccountOperator._create_and_store` (the new key and
    its metadata) and :meth:`~RotateServiceAccountOperator._promote`.
    """

    project_id: str
    logical: str
    current_entry: str
    pending_entry: str
    keep_previous: int
    verify_attempts: int
    verify_backoff: float
    generation: str
    account_name: str
    sink: KeySink
    current: StoredKey | None
    pending: StoredKey | None
    #: This logical account's generations as listed once (the API's dicts).
    generation_accounts: list[Mapping[str, Any]] = field(default_factory=list)
    #: Ids of those generations that this run has not deleted.
    live_ids: set[str] = field(default_factory=set)
    #: Ids this run deleted (orphans, abandoned pending accounts, previous generations).
    deleted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    #: The pending entry of this generation when an earlier try stored its key.
    resumed_from: StoredKey | None = None
    #: The key being rotated in, until it is promoted (then dropped).
    new_key: str | None = field(default=None, repr=False)
    #: Metadata of the key that is current at the end (stored by this run or found current).
    key_metadata: dict[str, Any] = field(default_factory=dict)
    new_account_id: str | None = None
    already_current: bool = False
    verified: bool = False

    @property
    def current_id(self) -> str | None:
        return held_id(self.current)

    @property
    def pending_id(self) -> str | None:
        return held_id(self.pending)


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
        """The rotation protocol (docs/design.md, "Key rotation protocol"), one phase per step."""
        rotation = self._load(context)
        self._reconcile(rotation)
        context["ti"].xcom_push(key=PROJECT_ID_XCOM_KEY, value=rotation.project_id)
        if not rotation.already_current:
            self._create_and_store(rotation)
            if self.verify:
                self._verify(rotation)
            self._promote(rotation)
        self._revoke(rotation)
        return self._result(rotation)

    # -- 1. load: inputs and the sink's entries (nothing is sent before they are all valid) ----

    def _load(self, context: Context) -> Rotation:
        from airflow_provider_openai_projects.domain.key_generations import (
            generation_account_name,
            pending_entry_name,
            require_generation,
        )
        from airflow_provider_openai_projects.domain.service_accounts import resolve_sink

        project_id, logical, current_entry, keep_previous = account_inputs(
            self.project_id, self.service_account_name, self.secret_variable, self.keep_previous
        )
        attempts = require_non_negative_int("verify_attempts", self.verify_attempts)
        if attempts < 1:
            raise InvalidInputError("verify_attempts", "must be at least 1")
        backoff = self.verify_backoff
        if isinstance(backoff, bool) or not isinstance(backoff, int | float) or not 0 <= backoff <= 3600:
            raise InvalidInputError("verify_backoff", f"must be a number of seconds from 0 to 3600, got {backoff!r}")
        require_bool("verify", self.verify)
        require_bool("delete_previous", self.delete_previous)
        generation = (
            require_generation("generation", self.generation)
            if self.generation not in (None, "")
            else run_generation(context)
        )
        account_name = require_name("service_account_name", generation_account_name(logical, generation))
        sink = resolve_sink(self.key_sink)
        pending_entry = pending_entry_name(current_entry)
        current = load_owned_entry(sink, current_entry, project_id, logical)
        pending = load_owned_entry(sink, pending_entry, project_id, logical)
        return Rotation(
            project_id=project_id,
            logical=logical,
            current_entry=current_entry,
            pending_entry=pending_entry,
            keep_previous=keep_previous,
            verify_attempts=attempts,
            verify_backoff=float(backoff),
            generation=generation,
            account_name=account_name,
            sink=sink,
            current=current,
            pending=pending,
        )

    # -- 2. reconcile: what earlier tries of this run left behind -------------------------------

    def _reconcile(self, rotation: Rotation) -> None:
        """List the generations once; clean up what cannot be used; find where to resume.

        Sets ``already_current`` when the current entry already holds this generation, or
        ``resumed_from`` when the pending entry holds its key. Deletes accounts of this
        generation whose key nobody holds and a pending key abandoned by another run.
        """
        from airflow_provider_openai_projects.domain.key_generations import generations

        listed = generations(self.hook.list_service_accounts(rotation.project_id), rotation.logical)
        rotation.generation_accounts = listed
        rotation.live_ids = {a["id"] for a in listed}
        this_generation = [a for a in listed if a["name"] == rotation.account_name]
        this_ids = {a["id"] for a in this_generation}
        current, pending = rotation.current, rotation.pending
        current_id, pending_id = rotation.current_id, rotation.pending_id

        if current is not None and current.metadata.get("generation") == rotation.generation and current_id in this_ids:
            # Done before: only leftovers of an interruption (and the optional revoke) remain.
            self._drop_pending(rotation)
            for account in this_generation:
                if account["id"] != current_id:
                    self._delete(
                        rotation, account, f"duplicate of generation {rotation.generation} without a stored key"
                    )
            self.log.info(
                "Generation %s of %r is already current; nothing to rotate.", rotation.generation, rotation.logical
            )
            rotation.already_current = True
            rotation.new_account_id = current_id
            rotation.key_metadata = dict(current.metadata)
            rotation.verified = bool(current.metadata.get("verified", False))
            return

        if pending is not None and pending.metadata.get("generation") == rotation.generation and pending_id in this_ids:
            rotation.resumed_from = pending
        else:
            self._drop_pending(rotation)
        for account in this_generation:
            if rotation.resumed_from is None or account["id"] != pending_id:
                reason = f"generation {rotation.generation} without a stored key (unrecoverable)"
                self._delete(rotation, account, reason)

    def _drop_pending(self, rotation: Rotation) -> None:
        """Delete a pending entry (and its account, unless it is the current one's)."""
        if rotation.pending is None:
            return
        pending_id = rotation.pending_id
        if pending_id in rotation.live_ids and pending_id != rotation.current_id:
            abandoned = next(a for a in rotation.generation_accounts if a["id"] == pending_id)
            self._delete(rotation, abandoned, "pending key abandoned by another run")
        rotation.sink.delete(rotation.pending_entry)

    def _delete(self, rotation: Rotation, account: Mapping[str, Any], why: str) -> None:
        from airflow_provider_openai_projects.domain.service_accounts import delete_service_account

        if delete_service_account(self.hook, self.log, rotation.project_id, account, why):
            rotation.deleted.append(account["id"])
        rotation.live_ids.discard(account["id"])

    # -- 3. create and store (or resume from the pending entry) ---------------------------------

    def _create_and_store(self, rotation: Rotation) -> None:
        from airflow_provider_openai_projects.domain.idempotency import create_once
        from airflow_provider_openai_projects.domain.service_accounts import store_new_key

        if rotation.resumed_from is not None:
            self.log.info(
                "Resuming generation %s of %r: its key is stored at %r.",
                rotation.generation,
                rotation.logical,
                rotation.pending_entry,
            )
            rotation.new_key = rotation.resumed_from.value
            rotation.key_metadata = dict(rotation.resumed_from.metadata)
        else:
            project_id, account_name = rotation.project_id, rotation.account_name

            def orphans_of_a_lost_create() -> None:
                for account in self.hook.list_service_accounts(project_id):
                    if account["name"] == account_name:
                        self._delete(rotation, account, "a create's lost response left it keyless")
                return None

            created = create_once(
                lambda: self.hook.create_service_account(project_id, name=account_name),
                orphans_of_a_lost_create,
                what=f"service account {account_name!r} in {project_id}",
            )
            extra = {"generation": rotation.generation}
            metadata = store_new_key(
                self.hook, self.log, rotation.sink, rotation.pending_entry, project_id, created, extra
            )
            self.log_change(
                "created service account %r (%s) in %s; key %s stored at %r until verified",
                account_name,
                created["id"],
                project_id,
                metadata["redacted_value"],
                rotation.pending_entry,
            )
            api_key = created["api_key"]
            assert api_key is not None  # store_new_key raised otherwise
            rotation.new_key = api_key["value"]
            rotation.key_metadata = metadata
            del created, api_key
        rotation.new_account_id = str(rotation.key_metadata["service_account_id"])

    # -- 4. verify --------------------------------------------------------------------------------

    def _verify(self, rotation: Rotation) -> None:
        """Call ``GET /v1/models`` with the new key until it is accepted; clean up if it never is."""
        from airflow_provider_openai_projects.domain.service_accounts import delete_service_account

        assert rotation.new_key is not None
        assert rotation.new_account_id is not None
        attempts, name = rotation.verify_attempts, rotation.account_name
        refusal: Exception | None = None
        for attempt in range(1, attempts + 1):
            try:
                self.hook.verify_api_key(rotation.new_key)
            except (AuthenticationError, PermissionDeniedError) as error:
                refusal = error
                self.log.warning("The new key was refused (attempt %d of %d): %s", attempt, attempts, error)
                if attempt < attempts:
                    wait = min(rotation.verify_backoff * 2 ** (attempt - 1), MAX_VERIFY_BACKOFF)
                    self.verify_waits.append(wait)
                    if wait > 0:
                        time.sleep(wait)
                continue
            self.log.info("The new key of %r works (attempt %d of %d).", name, attempt, attempts)
            return
        self.log.error(
            "The new key of %r was refused %d times; deleting the new account, keeping the current key.",
            name,
            attempts,
        )
        account = {"id": rotation.new_account_id, "name": name}
        delete_service_account(self.hook, self.log, rotation.project_id, account, "its key does not work")
        rotation.sink.delete(rotation.pending_entry)
        raise KeyVerificationError(
            f"the new key of service account {name!r} ({rotation.new_account_id}) was refused by GET /v1/models "
            f"{attempts} time(s) (last: {refusal}); the new account was deleted and the current key left "
            "untouched"
        )

    # -- 5. promote ---------------------------------------------------------------------------------

    def _promote(self, rotation: Rotation) -> None:
        """The current entry gets the new key (consumers switch), then the pending entry goes."""
        from airflow_provider_openai_projects.sinks.base import store_key

        assert rotation.new_key is not None
        current = rotation.current
        promoted = {
            **rotation.key_metadata,
            "previous_generation": current.metadata.get("generation") if current is not None else None,
            "previous_service_account_id": rotation.current_id,
            "verified": self.verify,
        }
        store_key(rotation.sink, rotation.current_entry, rotation.new_key, promoted)
        rotation.new_key = None
        rotation.sink.delete(rotation.pending_entry)
        rotation.verified = self.verify
        self.log_change(
            "promoted generation %s of %r (%s, key %s) to %r",
            rotation.generation,
            rotation.logical,
            rotation.new_account_id,
            rotation.key_metadata["redacted_value"],
            rotation.current_entry,
        )

    # -- 6. revoke ----------------------------------------------------------------------------------

    def _revoke(self, rotation: Rotation) -> None:
        """With ``delete_previous``: delete the previous generations beyond ``keep_previous``."""
        if not self.delete_previous:
            return
        if rotation.already_current:
            previous = rotation.key_metadata.get("previous_service_account_id")
        else:
            previous = rotation.current_id
        others = [
            a
            for a in rotation.generation_accounts
            if a["id"] in rotation.live_ids and a["id"] != rotation.new_account_id
        ]
        deleted, rotation.kept = revoke_generations(
            self.hook,
            self.log,
            rotation.project_id,
            others,
            protect=[rotation.new_account_id],
            prefer=[previous],
            keep_previous=rotation.keep_previous,
        )
        rotation.deleted.extend(deleted)

    def _result(self, rotation: Rotation) -> dict[str, Any]:
        return {
            "project_id": rotation.project_id,
            "service_account_name": rotation.account_name,
            "generation": rotation.generation,
            "secret_variable": rotation.current_entry,
            "service_account_id": rotation.new_account_id,
            "api_key_id": rotation.key_metadata.get("api_key_id"),
            "redacted_value": rotation.key_metadata.get("redacted_value"),
            "resumed": rotation.already_current or rotation.resumed_from is not None,
            "verified": rotation.verified,
            "deleted": rotation.deleted,
            "kept": rotation.kept,
        }


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
        from airflow_provider_openai_projects.domain.key_generations import generations, pending_entry_name
        from airflow_provider_openai_projects.domain.service_accounts import resolve_sink

        project_id, logical, current_entry, keep_previous = account_inputs(
            self.project_id, self.service_account_name, self.secret_variable, self.keep_previous
        )
        sink = resolve_sink(self.key_sink)
        current = load_owned_entry(sink, current_entry, project_id, logical)
        if current is None:
            raise InvalidInputError(
                "secret_variable",
                f"the key sink has no entry {current_entry!r}, so the current generation of {logical!r} is "
                "unknown; refusing to delete any generation",
            )
        pending = load_owned_entry(sink, pending_entry_name(current_entry), project_id, logical)

        listed = generations(self.hook.list_service_accounts(project_id), logical)
        current_id = held_id(current)
        if current_id not in {a["id"] for a in listed}:
            raise InvalidInputError(
                "secret_variable",
                f"the current entry {current_entry!r} names service account {current_id!r}, which does not exist "
                f"in project {project_id}; refusing to delete any generation of {logical!r}",
            )
        deleted, kept = revoke_generations(
            self.hook,
            self.log,
            project_id,
            listed,
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
    from airflow_provider_openai_projects.domain.key_generations import (
        default_secret_variable,
        require_entry_name,
        require_logical_name,
    )

    project = require_id("project_id", project_id)
    logical = require_logical_name("service_account_name", service_account_name)
    entry = (
        require_entry_name("secret_variable", secret_variable)
        if secret_variable is not None
        else default_secret_variable(logical)
    )
    return project, logical, entry, require_non_negative_int("keep_previous", keep_previous)


def load_owned_entry(sink: KeySink, entry: str, project_id: str, logical: str) -> StoredKey | None:
    """The sink entry, or ``None``; refused (``secret_variable``) if it holds the key of an
    account that is not a generation of ``logical`` in ``project_id``."""
    from airflow_provider_openai_projects.domain.key_generations import generation_of
    from airflow_provider_openai_projects.domain.service_accounts import load_entry, require_entry_owner

    def owns(account_name: str) -> bool:
        return generation_of(account_name, logical) is not None

    stored = load_entry(sink, entry)
    if stored is not None:
        require_entry_owner("secret_variable", entry, stored, project_id, owns, expected=f"a generation of {logical!r}")
    return stored


def run_generation(context: Context) -> str:
    """The generation of the running DAG run (:func:`..key_generations.generation_from_run`)."""
    from airflow_provider_openai_projects.domain.key_generations import generation_from_run

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


def revoke_generations(
    hook: OpenAIAdminHook,
    log: Log,
    project_id: str,
    accounts: Sequence[ServiceAccount | Mapping[str, Any]],
    *,
    protect: Sequence[str | None],
    prefer: Sequence[str | None],
    keep_previous: int,
) -> tuple[list[str], list[str]]:
    """Delete the generations :func:`~airflow_provider_openai_projects.domain.key_generations.plan_revoke`
    selects; returns (deleted ids, kept ids). An account already gone counts as deleted."""
    from airflow_provider_openai_projects.domain.key_generations import plan_revoke
    from airflow_provider_openai_projects.domain.service_accounts import delete_service_account

    plan = plan_revoke(accounts, protect=protect, keep_previous=keep_previous, prefer=prefer)
    accounts_by_id = {a["id"]: a for a in accounts}
    for account_id in plan.delete:
        delete_service_account(hook, log, project_id, accounts_by_id[account_id], "previous generation")
    if plan.keep:
        log.info("Kept previous generation(s): %s", ", ".join(plan.keep))
    return plan.delete, plan.keep
