"""What every operator of this provider shares: the connection, the hook, change logging,
failing fast on errors retries cannot fix, and waiting out throttling in the triggerer.

Operators import nothing heavy at module level (no ``requests``, no HTTP client, no YAML):
DAG files import them on every parse, so the hook and client are imported when a task
runs. Cheap modules (the errors, validation, the pure rule modules) are imported at the
top like any other module.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator, timezone
from airflow.sdk.configuration import conf
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_openai_projects import DEFAULT_CONN_ID
from airflow_provider_openai_projects.client.errors import (
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook

#: How long to wait after a 429 without ``Retry-After``: the Admin API's limits are per minute.
THROTTLE_COOLDOWN_SECONDS = 60.0


class OpenAIAdminBaseOperator(BaseOperator):
    """Base of the provider's operators. Subclasses implement :meth:`run`.

    Failures that retrying cannot fix (bad input, a configuration error, the API's 400,
    401, 403, and a 404 that escapes the operator: an unknown id) fail the task at once
    with ``AirflowFailException``, so one clear error is reported instead of the same one
    per retry; transient failures (5xx, lost connections) raise as they are and Airflow's
    ``retries`` apply.

    Throttling: the client waits out short 429 backoffs itself. With ``deferrable=True``
    (default: Airflow's ``[operators] default_deferrable``), a throttle that asks for more
    than ``throttle_wait_in_worker`` seconds frees the worker slot: the task defers to the
    triggerer for the ``Retry-After`` the API sent (60 s when it sent none) and then runs
    again from the start, which is safe because every operator here is idempotent. At
    most ``max_throttle_deferrals`` times; then the ``RateLimitError`` is raised.

    :param openai_admin_conn_id: the ``openai_admin`` connection to use.
    :param deferrable: wait out long throttling in the triggerer instead of a worker slot.
    :param throttle_wait_in_worker: the longest 429 wait taken in the worker when deferrable.
    :param max_throttle_deferrals: how many times a run may defer because of throttling.
    """

    template_fields: Sequence[str] = ("openai_admin_conn_id",)
    ui_color = "#e8f4f0"

    def __init__(
        self,
        *,
        openai_admin_conn_id: str = DEFAULT_CONN_ID,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        throttle_wait_in_worker: float = 5.0,
        max_throttle_deferrals: int = 10,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.openai_admin_conn_id = openai_admin_conn_id
        self.deferrable = deferrable
        self.throttle_wait_in_worker = throttle_wait_in_worker
        self.max_throttle_deferrals = max_throttle_deferrals

    def execute(self, context: Context) -> Any:
        return self._run_once(context, throttle_deferrals=0)

    def resume_after_throttle(
        self, context: Context, event: dict[str, Any] | None = None, throttle_deferrals: int = 0
    ) -> Any:
        """Called when the throttle wait in the triggerer is over: run again from the start."""
        return self._run_once(context, throttle_deferrals=throttle_deferrals)

    def _run_once(self, context: Context, *, throttle_deferrals: int) -> Any:
        try:
            return self.run(context)
        except (
            InvalidInputError,
            ConfigurationError,
            BadRequestError,
            AuthenticationError,
            PermissionDeniedError,
            NotFoundError,
        ) as error:
            raise AirflowFailException(str(error)) from error
        except RateLimitError as error:
            if not self.deferrable or throttle_deferrals >= self.max_throttle_deferrals:
                raise
            self._defer_for_throttle(error, throttle_deferrals + 1)
            raise  # pragma: no cover (defer() raises TaskDeferred)

    def _defer_for_throttle(self, error: Exception, throttle_deferrals: int) -> None:
        from airflow.providers.standard.triggers.temporal import DateTimeTrigger

        wait = self._throttle_wait(error)
        self.log.warning(
            "Throttled by the Admin API (%s); waiting %.0f s in the triggerer, not in a worker slot (%d of %d).",
            error,
            wait,
            throttle_deferrals,
            self.max_throttle_deferrals,
        )
        self.defer(
            trigger=DateTimeTrigger(moment=timezone.utcnow() + timedelta(seconds=wait)),
            method_name="resume_after_throttle",
            kwargs={"throttle_deferrals": throttle_deferrals},
        )

    def _throttle_wait(self, error: Exception) -> float:
        """The seconds to defer for after ``error``: its ``retry_after`` (60 s without one).

        A wait that is not a finite number or exceeds the connection's ``max_server_wait``
        (default an hour; the client already refuses those) fails the try with
        :class:`~..client.errors.ServerWaitTooLongError` instead of deferring: nothing here
        can overflow a ``timedelta`` or defer a task to year 9999.
        """
        import math

        from airflow_provider_openai_projects.client.errors import ServerWaitTooLongError

        hint = getattr(error, "retry_after", None)
        wait = float(hint) if isinstance(hint, int | float) and hint > 0 else THROTTLE_COOLDOWN_SECONDS
        cap = float(self.hook.client.config.max_server_wait)
        if not math.isfinite(wait) or wait > cap:
            raise ServerWaitTooLongError(
                f"throttled with a wait of {wait:.0f} s, more than the {cap:.0f} s this connection obeys "
                "(extra 'max_server_wait'); not deferring",
                method=getattr(error, "method", None) or "",
                path=getattr(error, "path", None) or "",
                retry_after=wait,
            ) from None
        return wait

    def run(self, context: Context) -> Any:
        """Do the operator's work and return its JSON-able result (never a secret)."""
        raise NotImplementedError

    @cached_property
    def hook(self) -> OpenAIAdminHook:
        from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook

        return OpenAIAdminHook(
            openai_admin_conn_id=self.openai_admin_conn_id,
            max_retry_wait=self.throttle_wait_in_worker if self.deferrable else None,
        )

    def log_change(self, message: str, *args: Any) -> None:
        """Log one line for one change made to the organization (never with a secret in it)."""
        from airflow_provider_openai_projects.domain.change_log import log_change

        log_change(self.log, message, *args)
