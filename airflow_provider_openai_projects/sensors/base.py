"""What the provider's sensors share: poke with the hook, or defer to a trigger.

Sensors import nothing heavy at module level (no hook, client, ``httpx`` or trigger):
DAG files import them on every parse.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue, conf
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from airflow_provider_openai_projects import DEFAULT_CONN_ID
from airflow_provider_openai_projects.client.errors import (
    APIConnectionError,
    InvalidInputError,
    OpenAIAdminError,
    RateLimitError,
    ServerError,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_projects.client.errors import OpenAIAdminError
    from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook
    from airflow_provider_openai_projects.triggers.base import OpenAIAdminPollingTrigger


class OpenAIAdminBaseSensor(BaseSensorOperator):
    """Base of the provider's sensors. Subclasses implement :meth:`validate`, :meth:`check`,
    :meth:`make_trigger` and :meth:`result_from_event`.

    - Inputs are validated when the task runs (after templating) and before any request:
      bad input fails the task at once, naming the field.
    - ``deferrable=True`` defers at once to the subclass's trigger (no request from the
      worker): the waiting happens in the triggerer. ``execute_complete`` returns the
      trigger's result or fails with its error message. The sensor's ``timeout`` bounds
      the deferral.
    - Otherwise each poke makes one check with the synchronous hook. A transient failure
      (throttled beyond the client's retries, 5xx, a lost connection) counts as "not yet";
      a failure waiting cannot fix (404, 400, 401, 403, bad configuration) fails the task.

    :param openai_admin_conn_id: the ``openai_admin`` connection to use.
    :param deferrable: defer to the triggerer instead of poking; defaults to Airflow's
        ``[operators] default_deferrable``.
    :param poke_interval: seconds between checks (pokes, or the trigger's polls).
    """

    template_fields: Sequence[str] = ("openai_admin_conn_id",)
    ui_color = "#e8f4f0"

    def __init__(
        self,
        *,
        openai_admin_conn_id: str = DEFAULT_CONN_ID,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poke_interval: timedelta | float = 60,
        **kwargs: Any,
    ) -> None:
        super().__init__(poke_interval=poke_interval, **kwargs)
        self.openai_admin_conn_id = openai_admin_conn_id
        self.deferrable = deferrable

    # -- for subclasses -----------------------------------------------------------------

    def validate(self) -> None:
        """Check the (rendered) inputs; raise ``InvalidInputError`` naming the field."""
        raise NotImplementedError

    def check(self) -> Any:
        """One check with :attr:`hook`: the result (JSON-able, never a secret) or ``None``."""
        raise NotImplementedError

    def make_trigger(self) -> OpenAIAdminPollingTrigger:
        """The trigger that does the same check in the triggerer."""
        raise NotImplementedError

    def result_from_event(self, event: dict[str, Any]) -> Any:
        """The result carried by the trigger's success event."""
        raise NotImplementedError

    def failure_message(self, error: OpenAIAdminError) -> str:
        """The task's failure text for an error that waiting cannot fix."""
        return str(error)

    # -- Airflow entry points -----------------------------------------------------------

    @cached_property
    def hook(self) -> OpenAIAdminHook:
        from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook

        return OpenAIAdminHook(openai_admin_conn_id=self.openai_admin_conn_id)

    def execute(self, context: Context) -> Any:
        self._validate_or_fail()
        if self.deferrable:
            trigger = self.make_trigger()
            self.log.info("Deferring to the triggerer: %r", trigger)
            self.defer(trigger=trigger, method_name="execute_complete", timeout=timedelta(seconds=self.timeout))
        return super().execute(context)

    def poke(self, context: Context) -> PokeReturnValue:
        self._validate_or_fail()
        try:
            result = self.check()
        except (RateLimitError, ServerError, APIConnectionError) as error:
            self.log.warning("Check failed for now (%s); will check again.", error)
            return PokeReturnValue(is_done=False)
        except OpenAIAdminError as error:
            raise AirflowFailException(self.failure_message(error)) from error
        return PokeReturnValue(is_done=result is not None, xcom_value=result)

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        """Resume after the trigger fired: its result, or fail with its message."""

        status = event.get("status") if isinstance(event, dict) else None
        if event is None or status not in ("success", "error"):
            raise AirflowException(f"{self.task_id}: the trigger sent an unexpected event: {event!r}")
        if status == "error":
            raise AirflowFailException(str(event.get("message") or "the trigger reported an error"))
        return self.result_from_event(event)

    def _validate_or_fail(self) -> None:
        try:
            self.validate()
        except InvalidInputError as error:
            raise AirflowFailException(str(error)) from error
