"""Operators for service accounts: create one whose key goes to a sink, delete them.

A service account's key is returned once, when the account is created (docs/design.md, fact 6),
and can only be revoked by deleting the account. So an account whose key is not in the
sink is useless and dangerous (a live credential nobody holds): these operators delete
such accounts instead of keeping them, and never let a key reach XCom, a log line, an
exception or a return value (only ids and a ``redacted_value`` such as ``sk-svcac...abcd``).

For keys that must be replaced periodically, see
:class:`~airflow_provider_openai_projects.operators.rotation.RotateServiceAccountOperator`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects.client.errors import NotFoundError
from airflow_provider_openai_projects.domain.validation import require_id, require_name, require_one_of
from airflow_provider_openai_projects.operators.base import OpenAIAdminBaseOperator
from airflow_provider_openai_projects.operators.links import PROJECT_ID_XCOM_KEY, OpenAIProjectLink

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_openai_projects.client.types import ServiceAccount
    from airflow_provider_openai_projects.sinks.base import KeySink


class CreateServiceAccountOperator(OpenAIAdminBaseOperator):
    """Create a service account in a project and store its one-time key in a key sink.

    Idempotent: the account is looked up by exact name first. If it exists and the sink
    holds its key (an entry whose ``service_account_id`` is that account), it is returned
    with no write. An account of that name whose key the sink does not hold can never be
    used (the key is shown only once), so it is deleted and a new one is created. A
    create whose response is lost is reconciled by looking again: an account that appears
    then has no retrievable key either, so it is deleted and the create is tried again;
    the result is exactly one account of that name, whose key is stored.

    The key is stored (value plus ``project_id``, ``service_account_id``,
    ``service_account_name``, ``api_key_id``, ``redacted_value``, ``created_at``)
    immediately after the create; if storing fails the new account is deleted before the
    error is raised, so no unrecoverable key is left behind. A sink entry that holds the
    key of another account name or project is never overwritten (the task fails instead).

    :param project_id: the project (templated).
    :param name: the service account's name (templated); names are not unique in the API,
        this operator treats the accounts of this exact name in the project as its own.
    :param secret_variable: the sink entry name (templated); default
        ``openai_<slug(name)>_api_key``, which contains ``api_key`` so that Airflow masks
        the Variable's value. Give each project's account its own entry.
    :param key_sink: where the key goes (a :class:`~airflow_provider_openai_projects.sinks.KeySink`);
        default :class:`~airflow_provider_openai_projects.sinks.VariableKeySink` (an Airflow Variable).
    :return: ``project_id``, ``service_account_id``, ``service_account_name``,
        ``api_key_id``, ``redacted_value``, ``secret_variable``, ``key_sink`` (the sink's
        class name), ``created`` (bool) and ``deleted_orphans`` (ids). Never the key.
    """

    template_fields: Sequence[str] = (*OpenAIAdminBaseOperator.template_fields, "project_id", "name", "secret_variable")
    operator_extra_links = (OpenAIProjectLink(),)

    def __init__(
        self,
        *,
        project_id: str,
        name: str,
        secret_variable: str | None = None,
        key_sink: KeySink | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.project_id = project_id
        self.name = name
        self.secret_variable = secret_variable
        self.key_sink = key_sink

    def run(self, context: Context) -> dict[str, Any]:
        from airflow_provider_openai_projects.domain.key_generations import default_secret_variable, require_entry_name
        from airflow_provider_openai_projects.domain.service_accounts import provision_service_account, resolve_sink

        project_id = require_id("project_id", self.project_id)
        name = require_name("name", self.name)
        entry = (
            require_entry_name("secret_variable", self.secret_variable)
            if self.secret_variable is not None
            else default_secret_variable(name)
        )
        sink = resolve_sink(self.key_sink)
        context["ti"].xcom_push(key=PROJECT_ID_XCOM_KEY, value=project_id)
        return provision_service_account(self.hook, self.log, sink, entry, project_id, name)


class DeleteServiceAccountOperator(OpenAIAdminBaseOperator):
    """Delete a service account (which revokes every key it owns), by id or by exact name.

    Idempotent: an account that is already gone is success (no write on a second run).
    With ``name``, every account of the project with exactly that name is deleted (names
    are not unique). An unknown project is an error, not "already gone".

    :param project_id: the project (templated).
    :param service_account_id: the account to delete (templated); or
    :param name: delete every account with this exact name (templated). Give exactly one.
    :return: ``project_id``, ``deleted`` (ids), ``service_accounts`` (``id``, ``name`` of
        the deleted ones) and ``already_gone`` (ids that did not exist any more).
    """

    template_fields: Sequence[str] = (
        *OpenAIAdminBaseOperator.template_fields,
        "project_id",
        "service_account_id",
        "name",
    )
    operator_extra_links = (OpenAIProjectLink(),)

    def __init__(
        self,
        *,
        project_id: str,
        service_account_id: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.project_id = project_id
        self.service_account_id = service_account_id
        self.name = name

    def run(self, context: Context) -> dict[str, Any]:
        from airflow_provider_openai_projects.domain.service_accounts import delete_service_account

        project_id = require_id("project_id", self.project_id)
        field, _ = require_one_of({"service_account_id": self.service_account_id, "name": self.name})
        already_gone: list[str] = []
        targets: list[ServiceAccount] = []
        if field == "service_account_id":
            account_id = require_id("service_account_id", self.service_account_id)
            try:
                targets.append(self.hook.get_service_account(project_id, account_id))
            except NotFoundError:
                self.hook.get_project(project_id)  # an unknown project must not pass for "already gone"
                self.log.info("Service account %s of project %s is already gone.", account_id, project_id)
                already_gone.append(account_id)
        else:
            name = require_name("name", self.name)
            targets = [a for a in self.hook.list_service_accounts(project_id) if a["name"] == name]
            if not targets:
                self.log.info("Project %s has no service account named %r.", project_id, name)
        deleted: list[ServiceAccount] = []
        for account in targets:
            if delete_service_account(self.hook, self.log, project_id, account, "asked to"):
                deleted.append(account)
            else:
                already_gone.append(account["id"])
        context["ti"].xcom_push(key=PROJECT_ID_XCOM_KEY, value=project_id)
        return {
            "project_id": project_id,
            "deleted": [a["id"] for a in deleted],
            "service_accounts": [{"id": a["id"], "name": a["name"]} for a in deleted],
            "already_gone": already_gone,
        }
