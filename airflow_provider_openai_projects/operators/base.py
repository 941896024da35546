"""What every operator of this provider shares: the connection, the hook, change logging.

Operators import nothing heavy at module level (no ``requests``, no client): DAG files
import them on every parse, so the hook and client are imported when a task runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_provider_openai_projects import DEFAULT_CONN_ID

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook


class OpenAIAdminBaseOperator(BaseOperator):
    """Base of the provider's operators. Subclasses implement :meth:`run`.

    Failures that retrying cannot fix (bad input, a configuration error, the API's 400,
    401 and 403) fail the task at once with :class:`AirflowFailException`, so one clear
    error is reported instead of the same one per retry; transient failures (throttling
    beyond the client's retries, 5xx, lost connections) raise as they are and Airflow's
    ``retries`` apply.

    :param openai_admin_conn_id: the ``openai_admin`` connection to use.
    """

    template_fields: Sequence[str] = ("openai_admin_conn_id",)
    ui_color = "#e8f4f0"

    def __init__(self, *, openai_admin_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.openai_admin_conn_id = openai_admin_conn_id

    def execute(self, context: Context) -> Any:
        from airflow.sdk.exceptions import AirflowFailException

        from airflow_provider_openai_projects.client.errors import (
            AuthenticationError,
            BadRequestError,
            ConfigurationError,
            InvalidInputError,
            PermissionDeniedError,
        )

        try:
            return self.run(context)
        except (
            InvalidInputError,
            ConfigurationError,
            BadRequestError,
            AuthenticationError,
            PermissionDeniedError,
        ) as error:
            raise AirflowFailException(str(error)) from error

    def run(self, context: Context) -> Any:
        """Do the operator's work and return its JSON-able result (never a secret)."""
        raise NotImplementedError

    @cached_property
    def hook(self) -> OpenAIAdminHook:
        from airflow_provider_openai_projects.hooks.admin import OpenAIAdminHook

        return OpenAIAdminHook(openai_admin_conn_id=self.openai_admin_conn_id)

    def log_change(self, message: str, *args: Any) -> None:
        """Log one line for one change made to the organization (never with a secret in it)."""
        self.log.info("CHANGE: " + message, *args)
