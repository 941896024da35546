"""The steps of a rate-limit sync and their order: one home for the worker and the triggerer.

:class:`~.operators.rate_limits.SyncRateLimitsOperator` runs a sync in its worker (the
sync client, a writer thread); :class:`~.triggers.rate_limit_sync.RateLimitSyncTrigger`
runs the same sync in the triggerer (the async client, a writer task). Both drive one
:class:`SyncSteps`, which holds every decision, in one order:

1. read the targets in order, one listing per project (:meth:`SyncSteps.run` /
   :meth:`SyncSteps.arun`, the same steps twice, sync and async); a project that
   cannot be read is recorded and the others go on; an error that concerns every call
   (:func:`stops_the_run`) stops the reads;
2. hand changes to the writer while the remaining projects are read (the read and write
   endpoints have separate throttle budgets), but only once every policy key has matched
   a model read when ``fail_on_unknown`` (an unknown key still means no write at all);
   after the last read, the changes not yet handed over (:meth:`SyncSteps.after_reads`);
3. write each change with only its differing fields (:meth:`SyncSteps.write` /
   :meth:`SyncSteps.awrite`); a failed write is recorded on the change, one that stops
   the run ends the writing;
4. conclude (:meth:`SyncSteps.conclude`): the unknown-model error (or its warning), the
   skipped fields, the dry-run lines.

The drivers only send, wait and report. What is logged goes through ``note(level, line)``
(``level``: ``info``, ``warning``, ``error`` or ``change``, a line for one change made);
error texts through ``describe`` (the triggerer scrubs them of the key). No Airflow
import; no I/O of its own.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from airflow_provider_openai_projects.client.errors import (
    APIConnectionError,
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    OpenAIAdminError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from airflow_provider_openai_projects.domain.ratelimit_policy import (
    LimitChange,
    SyncPlan,
    describe_unknown,
    project_label,
)

Note = Callable[[str, str], None]
"""``note(level, line)``: ``level`` is ``info``, ``warning``, ``error`` or ``change``."""


def stops_the_run(error: Exception) -> bool:
    """Errors that every further call would get too: bad credentials, a throttle the client
    gave up on, no connection. Going on would only fight them."""
    return isinstance(error, AuthenticationError | PermissionDeniedError | RateLimitError | APIConnectionError)


def is_transient(error: Exception) -> bool:
    """A failure a later attempt may not get (5xx, 409), unlike a 404 or a 400."""
    return isinstance(error, ServerError | ConflictError)


class Writer:
    """Where :meth:`SyncSteps.read_all` hands changes: the first :meth:`submit` starts the
    writing; :attr:`stopped_by` is the error that ended it early, if any."""

    stopped_by: Exception | None = None

    def submit(self, changes: Sequence[LimitChange]) -> None:
        raise NotImplementedError


class SyncSteps:
    """The decisions of one sync over ``plan`` (see the module): which changes go to the
    writer when, what a failed read or write records, what the run concludes.

    :param fail_on_unknown: write nothing while a policy key matches no model read, and
        conclude with an :class:`InvalidInputError` naming it (else a warning).
    """

    def __init__(
        self,
        plan: SyncPlan,
        *,
        fail_on_unknown: bool,
        note: Note,
        describe: Callable[[Exception], str] = str,
    ) -> None:
        self.plan = plan
        self.fail_on_unknown = fail_on_unknown
        self.note = note
        self.describe = describe
        self.writing = False
        self._models_seen: set[str] = set()

    # -- the whole run, sync and async --------------------------------------------------

    def run(
        self,
        targets: Iterable[Sequence[str | None]],
        read: Callable[[str], list[Any]],
        writer: ThreadWriter | None,
    ) -> Exception | None:
        """Read every target while writing (no ``writer``: a dry run), then write what is
        left and wait for it; the error that stopped the run (a read's, then the writer
        stops after the write in progress; or the writer's), if any. The caller then
        reports, or calls :meth:`conclude`."""
        stopped_by = self.read_all(targets, read, writer)
        if writer is None:
            return stopped_by
        if stopped_by is None:
            self.after_reads(writer)
            return writer.finish()
        writer.abort()
        return stopped_by

    async def arun(
        self,
        targets: Iterable[Sequence[str | None]],
        read: Callable[[str], Awaitable[list[Any]]],
        writer: TaskWriter | None,
    ) -> Exception | None:
        """:meth:`run` with an asynchronous ``read`` and writer."""
        stopped_by = await self.aread_all(targets, read, writer)
        if writer is None:
            return stopped_by
        if stopped_by is None:
            self.after_reads(writer)
            return await writer.finish()
        await writer.finish(abort=True)
        return stopped_by

    # -- reads ---------------------------------------------------------------------------

    def read_all(
        self,
        targets: Iterable[Sequence[str | None]],
        read: Callable[[str], list[Any]],
        writer: Writer | None,
    ) -> Exception | None:
        """Read every ``(project id, name)`` in order with ``read``, handing changes to
        ``writer`` as soon as writing may begin; the read error that stopped the reads, if
        any. Stops without one as soon as the writer has stopped."""
        for project_id, name in targets:
            if writer is not None and writer.stopped_by is not None:
                return None
            assert project_id is not None
            try:
                limits = read(project_id)
            except OpenAIAdminError as error:
                if self.read_failed(project_id, name, error):
                    return error
                continue
            self._hand_over(self.read(project_id, name, limits), writer)
        return None

    async def aread_all(
        self,
        targets: Iterable[Sequence[str | None]],
        read: Callable[[str], Awaitable[list[Any]]],
        writer: Writer | None,
    ) -> Exception | None:
        """:meth:`read_all` with an asynchronous ``read``."""
        for project_id, name in targets:
            if writer is not None and writer.stopped_by is not None:
                return None
            assert project_id is not None
            try:
                limits = await read(project_id)
            except OpenAIAdminError as error:
                if self.read_failed(project_id, name, error):
                    return error
                continue
            self._hand_over(self.read(project_id, name, limits), writer)
        return None

    @staticmethod
    def _hand_over(changes: list[LimitChange] | None, writer: Writer | None) -> None:
        if changes is not None and writer is not None:
            writer.submit(changes)

    def read_failed(self, project_id: str, name: str | None, error: Exception) -> bool:
        """Whether ``error`` stops the run; if not, the project is recorded as unreadable."""
        if stops_the_run(error):
            return True
        message = self.describe(error)
        self.note("error", f"Cannot read the rate limits of {project_label(project_id, name)}: {message}")
        self.plan.add_failed_project(project_id, name, message, transient=is_transient(error))
        return False

    def read(self, project_id: str, name: str | None, limits: Iterable[Mapping[str, Any]]) -> list[LimitChange] | None:
        """Record a project's limits; the changes to hand to the writer now (``None``: not
        yet, or never in a dry run). Writing begins with every change planned so far once
        every policy key has matched a model read (at once unless ``fail_on_unknown``)."""
        project = self.plan.add_project(project_id, name, limits)
        if self.plan.dry_run:
            return None
        if self.writing:
            return list(project.changes)
        self._models_seen.update(project.models)
        if self.fail_on_unknown and self.plan.policy.unknown_keys(self._models_seen):
            return None
        self.writing = True
        return self.plan.changes()

    def after_reads(self, writer: Writer) -> None:
        """After the last read: hand ``writer`` every planned change when writing has not
        begun and may (not a dry run; no unknown key while ``fail_on_unknown``)."""
        if self.writing or self.plan.dry_run:
            return
        if self.fail_on_unknown and self.plan.find_unknown_models():
            return
        self.writing = True
        writer.submit(self.plan.changes())

    # -- writes --------------------------------------------------------------------------

    def write(self, change: LimitChange, update: Callable[[LimitChange], Mapping[str, Any]]) -> None:
        """Send one change with ``update`` (only its differing fields) and record the
        outcome; an error that stops the run is raised."""
        try:
            result = update(change)
        except OpenAIAdminError as error:
            self._write_failed(change, error)
            return
        self._written(change, result)

    async def awrite(self, change: LimitChange, update: Callable[[LimitChange], Awaitable[Mapping[str, Any]]]) -> None:
        """:meth:`write` with an asynchronous ``update``."""
        try:
            result = await update(change)
        except OpenAIAdminError as error:
            self._write_failed(change, error)
            return
        self._written(change, result)

    def _write_failed(self, change: LimitChange, error: OpenAIAdminError) -> None:
        if stops_the_run(error):
            raise error
        change.status, change.error, change.transient = "failed", self.describe(error), is_transient(error)
        self.note("error", f"FAILED to set {change.describe()}: {change.error}")

    def _written(self, change: LimitChange, result: Mapping[str, Any]) -> None:
        """Recorded as updated; the API may cap a value (an organization's own limit): say
        so instead of letting every later run write it again without a word."""
        change.status = "updated"
        self.note("change", f"set {change.describe()}")
        answered = {name: result.get(name) for name in change.fields if result.get(name) != change.fields[name][1]}
        if answered:
            self.note(
                "warning",
                f"The API answered {answered} for {change.project_id} {change.model} (asked {change.updates()}); "
                "it may cap these values, so later runs will try again.",
            )

    # -- conclusion ----------------------------------------------------------------------

    def conclude(self) -> InvalidInputError | None:
        """After the reads and writes: the error of a policy key that matches no model read
        when ``fail_on_unknown`` (nothing else noted then); otherwise the notes on unknown
        keys, skipped fields and, in a dry run, every change it would make."""
        unknown = self.plan.find_unknown_models()
        if unknown:
            described = describe_unknown(self.plan.policy, unknown)
            if self.fail_on_unknown:
                unread = len(self.plan.failed_projects)
                note = f" ({unread} targeted projects could not be read)" if unread else ""
                return InvalidInputError(
                    f"rate_limits[{unknown[0]!r}]" if len(unknown) == 1 else "rate_limits",
                    f"unknown model(s): {described}{note}. Nothing was written; fix the policy or "
                    "set fail_on_unknown_model=False to skip them",
                )
            self.note("warning", f"Ignoring policy keys that match no model: {described}.")
        for model, names in self.plan.skipped_fields().items():
            self.note(
                "warning",
                f"Model {model} has no {', '.join(names)} limit: not sent (see skipped_fields in the report).",
            )
        if self.plan.dry_run:
            for change in self.plan.changes():
                self.note("info", f"DRY RUN: would set {change.describe()}")
        return None


class ThreadWriter(Writer):
    """Writes changes in order on one thread of its own while the reads go on (the worker)."""

    def __init__(self, write: Callable[[LimitChange], None]) -> None:
        self._write = write
        self._queue: queue.SimpleQueue[LimitChange | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._aborted = threading.Event()
        self.stopped_by = None

    def submit(self, changes: Sequence[LimitChange]) -> None:
        for change in changes:
            self._queue.put(change)
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="rate-limit-writer", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._aborted.is_set():
            change = self._queue.get()
            if change is None:
                return
            try:
                self._write(change)
            except Exception as error:
                self.stopped_by = error
                return

    def finish(self) -> Exception | None:
        """Write what is queued, wait for it, and return the error that stopped it, if any."""
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join()
        return self.stopped_by

    def abort(self) -> None:
        """Stop after the write in progress; idempotent."""
        self._aborted.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join()


class TaskWriter(Writer):
    """Writes changes in order on a task of its own while the reads go on (the triggerer)."""

    def __init__(self, write: Callable[[LimitChange], Awaitable[None]]) -> None:
        self._write = write
        self._queue: asyncio.Queue[LimitChange | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._aborted = False
        self.stopped_by = None

    def submit(self, changes: Sequence[LimitChange]) -> None:
        for change in changes:
            self._queue.put_nowait(change)
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while not self._aborted:
            change = await self._queue.get()
            if change is None or self._aborted:
                return
            try:
                await self._write(change)
            except Exception as error:
                self.stopped_by = error
                return

    async def finish(self, *, abort: bool = False) -> Exception | None:
        """Write what is queued (only the write in progress with ``abort``), wait for it,
        and return the error that stopped it, if any."""
        self._aborted = self._aborted or abort
        if self._task is not None:
            self._queue.put_nowait(None)
            await self._task
        return self.stopped_by

    def cancel(self) -> None:
        """Cancel the writing if it is still going (the trigger itself was cancelled)."""
        if self._task is not None and not self._task.done():
            self._aborted = True
            self._task.cancel()
