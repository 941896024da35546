"""``ENDPOINTS``: every operation of the Admin API, one row each; the one table of endpoints.

Each row names the spec's ``operationId`` (exactly), the client and hook method that
calls it, the HTTP method, the route template (relative to the base URL, ``/v1``), what
repeating the request is safe for, how its list pages, and where its response carries a
one-time secret. Everything that would otherwise be a hand-kept list derives from this
table or is checked against it by a test: the retry decision (:func:`is_idempotent`),
the route and pagination of every client method (:mod:`.resources`), the secrets the
hook masks, the README's hook table, and the conformance tests' list of operations.

Retry classes (docs/design.md facts 5 and 12):

- ``read``: a GET; always safe to repeat.
- ``set``: a POST that sets absolute values (an update, a setting, an activation);
  repeating it after an ambiguous failure changes nothing more.
- ``delete``: a DELETE; repeating it is safe (a second answer may be 404).
- ``create``: makes something new, so a blind repeat may make a duplicate; retried only
  when the request provably had no effect, else the caller looks before creating again.
- ``action``: a one-way change that is not a create (archiving a project); like
  ``create``, never repeated blindly.

Pagination styles (docs/design.md fact 11): ``cursor`` (``after`` + ``last_id``/``has_more``),
``next`` (``after`` + ``next``/``has_more``), ``page`` (``page`` + ``next_page``), or
``None`` for a single object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

RetryClass = Literal["read", "set", "create", "delete", "action"]
Paging = Literal["cursor", "next", "page"]

_PATH_PARAM = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Endpoint:
    """One operation of the Admin API.

    :param page_size: the ``limit`` sent by list methods (the largest the endpoint takes:
        fewer pages means fewer throttled calls); ``None`` sends none.
    :param secret_fields: dotted paths of one-time secret values in the response (masked
        by the hook before it returns them; never to XCom).
    """

    operation_id: str
    method_name: str
    http_method: Literal["GET", "POST", "DELETE"]
    route: str
    retry: RetryClass
    family: str
    paging: Paging | None = None
    page_size: int | None = None
    secret_fields: tuple[str, ...] = ()

    @property
    def path_params(self) -> tuple[str, ...]:
        """The route's ids, in path order (the positional arguments of its method)."""
        return tuple(_PATH_PARAM.findall(self.route))

    @property
    def is_idempotent(self) -> bool:
        """Whether repeating the request after an ambiguous failure is harmless."""
        return self.retry in ("read", "set", "delete")


def _get(
    op: str, name: str, route: str, family: str, paging: Paging | None = None, page_size: int | None = None
) -> Endpoint:
    if paging is not None and page_size is None and paging != "page":
        page_size = 100
    return Endpoint(op, name, "GET", route, "read", family, paging, page_size)


def _post(op: str, name: str, route: str, retry: RetryClass, family: str, *secrets: str) -> Endpoint:
    return Endpoint(op, name, "POST", route, retry, family, secret_fields=secrets)


def _delete(op: str, name: str, route: str, family: str) -> Endpoint:
    return Endpoint(op, name, "DELETE", route, "delete", family)


_P = "/organization/projects/{project_id}"
_SA = _P + "/service_accounts/{service_account_id}"
_GROUP = "/organization/groups/{group_id}"
_USER = "/organization/users/{user_id}"
_USAGE = "/organization/usage/"

ENDPOINTS: tuple[Endpoint, ...] = (
    # -- projects ---------------------------------------------------------------------
    _get("list-projects", "list_projects", "/organization/projects", "projects", "cursor"),
    _post("create-project", "create_project", "/organization/projects", "create", "projects"),
    _get("retrieve-project", "get_project", _P, "projects"),
    _post("modify-project", "update_project", _P, "set", "projects"),
    _post("archive-project", "archive_project", _P + "/archive", "action", "projects"),
    # -- project users ----------------------------------------------------------------
    _get("list-project-users", "list_project_users", _P + "/users", "project_users", "cursor"),
    _post("create-project-user", "add_project_user", _P + "/users", "create", "project_users"),
    _get("retrieve-project-user", "get_project_user", _P + "/users/{user_id}", "project_users"),
    _post("modify-project-user", "update_project_user", _P + "/users/{user_id}", "set", "project_users"),
    _delete("delete-project-user", "remove_project_user", _P + "/users/{user_id}", "project_users"),
    # -- service accounts -------------------------------------------------------------
    _get(
        "list-project-service-accounts", "list_service_accounts", _P + "/service_accounts", "service_accounts", "cursor"
    ),
    _post(
        "create-project-service-account",
        "create_service_account",
        _P + "/service_accounts",
        "create",
        "service_accounts",
        "api_key.value",
    ),
    _get("retrieve-project-service-account", "get_service_account", _SA, "service_accounts"),
    _post("update-project-service-account", "update_service_account", _SA, "set", "service_accounts"),
    _delete("delete-project-service-account", "delete_service_account", _SA, "service_accounts"),
    _post(
        "CreateanAPIkeyforaserviceaccount",
        "create_service_account_api_key",
        _SA + "/api_keys",
        "create",
        "service_accounts",
        "value",
    ),
    # -- project API keys -------------------------------------------------------------
    _get("list-project-api-keys", "list_project_api_keys", _P + "/api_keys", "project_api_keys", "cursor"),
    _get("retrieve-project-api-key", "get_project_api_key", _P + "/api_keys/{api_key_id}", "project_api_keys"),
    _delete("delete-project-api-key", "delete_project_api_key", _P + "/api_keys/{api_key_id}", "project_api_keys"),
    # -- rate limits ------------------------------------------------------------------
    _get("list-project-rate-limits", "list_rate_limits", _P + "/rate_limits", "rate_limits", "cursor"),
    _post("update-project-rate-limits", "update_rate_limit", _P + "/rate_limits/{rate_limit_id}", "set", "rate_limits"),
    # -- invites ----------------------------------------------------------------------
    _get("list-invites", "list_invites", "/organization/invites", "invites", "cursor"),
    _post("inviteUser", "create_invite", "/organization/invites", "create", "invites"),
    _get("retrieve-invite", "get_invite", "/organization/invites/{invite_id}", "invites"),
    _delete("delete-invite", "delete_invite", "/organization/invites/{invite_id}", "invites"),
    # -- organization users -----------------------------------------------------------
    _get("list-users", "list_users", "/organization/users", "users", "cursor"),
    _get("retrieve-user", "get_user", _USER, "users"),
    _post("modify-user", "update_user", _USER, "set", "users"),
    _delete("delete-user", "delete_user", _USER, "users"),
    # -- user roles -------------------------------------------------------------------
    _get("list-user-role-assignments", "list_user_roles", _USER + "/roles", "user_roles", "next", 1000),
    _post("assign-user-role", "assign_user_role", _USER + "/roles", "create", "user_roles"),
    _get("retrieve-user-role", "get_user_role", _USER + "/roles/{role_id}", "user_roles"),
    _delete("unassign-user-role", "unassign_user_role", _USER + "/roles/{role_id}", "user_roles"),
    # -- groups -----------------------------------------------------------------------
    _get("list-groups", "list_groups", "/organization/groups", "groups", "next", 1000),
    _post("create-group", "create_group", "/organization/groups", "create", "groups"),
    _get("retrieve-group", "get_group", _GROUP, "groups"),
    _post("update-group", "update_group", _GROUP, "set", "groups"),
    _delete("delete-group", "delete_group", _GROUP, "groups"),
    _get("list-group-users", "list_group_users", _GROUP + "/users", "group_users", "next", 1000),
    _post("add-group-user", "add_group_user", _GROUP + "/users", "create", "group_users"),
    _get("retrieve-group-user", "get_group_user", _GROUP + "/users/{user_id}", "group_users"),
    _delete("remove-group-user", "remove_group_user", _GROUP + "/users/{user_id}", "group_users"),
    _get("list-group-role-assignments", "list_group_roles", _GROUP + "/roles", "group_roles", "next", 1000),
    _post("assign-group-role", "assign_group_role", _GROUP + "/roles", "create", "group_roles"),
    _get("retrieve-group-role", "get_group_role", _GROUP + "/roles/{role_id}", "group_roles"),
    _delete("unassign-group-role", "unassign_group_role", _GROUP + "/roles/{role_id}", "group_roles"),
    # -- project groups ---------------------------------------------------------------
    _get("list-project-groups", "list_project_groups", _P + "/groups", "project_groups", "next", 100),
    _post("add-project-group", "add_project_group", _P + "/groups", "create", "project_groups"),
    _get("retrieve-project-group", "get_project_group", _P + "/groups/{group_id}", "project_groups"),
    _delete("remove-project-group", "remove_project_group", _P + "/groups/{group_id}", "project_groups"),
    # -- roles ------------------------------------------------------------------------
    _get("list-roles", "list_roles", "/organization/roles", "roles", "next", 1000),
    _post("create-role", "create_role", "/organization/roles", "create", "roles"),
    _get("retrieve-role", "get_role", "/organization/roles/{role_id}", "roles"),
    _post("update-role", "update_role", "/organization/roles/{role_id}", "set", "roles"),
    _delete("delete-role", "delete_role", "/organization/roles/{role_id}", "roles"),
    # -- admin API keys ---------------------------------------------------------------
    _get("admin-api-keys-list", "list_admin_api_keys", "/organization/admin_api_keys", "admin_api_keys", "cursor"),
    _post(
        "admin-api-keys-create",
        "create_admin_api_key",
        "/organization/admin_api_keys",
        "create",
        "admin_api_keys",
        "value",
    ),
    _get("admin-api-keys-get", "get_admin_api_key", "/organization/admin_api_keys/{key_id}", "admin_api_keys"),
    _delete("admin-api-keys-delete", "delete_admin_api_key", "/organization/admin_api_keys/{key_id}", "admin_api_keys"),
    # -- certificates -----------------------------------------------------------------
    _get(
        "listOrganizationCertificates",
        "list_organization_certificates",
        "/organization/certificates",
        "certificates",
        "cursor",
    ),
    _post("uploadCertificate", "upload_certificate", "/organization/certificates", "create", "certificates"),
    _post(
        "activateOrganizationCertificates",
        "activate_organization_certificates",
        "/organization/certificates/activate",
        "set",
        "certificates",
    ),
    _post(
        "deactivateOrganizationCertificates",
        "deactivate_organization_certificates",
        "/organization/certificates/deactivate",
        "set",
        "certificates",
    ),
    _get("getCertificate", "get_certificate", "/organization/certificates/{certificate_id}", "certificates"),
    _post(
        "modifyCertificate", "update_certificate", "/organization/certificates/{certificate_id}", "set", "certificates"
    ),
    _delete("deleteCertificate", "delete_certificate", "/organization/certificates/{certificate_id}", "certificates"),
    _get("listProjectCertificates", "list_project_certificates", _P + "/certificates", "certificates", "cursor"),
    _post(
        "activateProjectCertificates",
        "activate_project_certificates",
        _P + "/certificates/activate",
        "set",
        "certificates",
    ),
    _post(
        "deactivateProjectCertificates",
        "deactivate_project_certificates",
        _P + "/certificates/deactivate",
        "set",
        "certificates",
    ),
    # -- data retention ---------------------------------------------------------------
    _get(
        "retrieve-organization-data-retention",
        "get_organization_data_retention",
        "/organization/data_retention",
        "data_retention",
    ),
    _post(
        "update-organization-data-retention",
        "update_organization_data_retention",
        "/organization/data_retention",
        "set",
        "data_retention",
    ),
    _get("retrieve-project-data-retention", "get_project_data_retention", _P + "/data_retention", "data_retention"),
    _post(
        "update-project-data-retention",
        "update_project_data_retention",
        _P + "/data_retention",
        "set",
        "data_retention",
    ),
    # -- model and hosted-tool permissions --------------------------------------------
    _get(
        "retrieve-project-model-permissions",
        "get_project_model_permissions",
        _P + "/model_permissions",
        "permissions",
    ),
    _post(
        "update-project-model-permissions",
        "update_project_model_permissions",
        _P + "/model_permissions",
        "set",
        "permissions",
    ),
    _delete(
        "delete-project-model-permissions",
        "delete_project_model_permissions",
        _P + "/model_permissions",
        "permissions",
    ),
    _get(
        "retrieve-project-hosted-tool-permissions",
        "get_project_hosted_tool_permissions",
        _P + "/hosted_tool_permissions",
        "permissions",
    ),
    _post(
        "update-project-hosted-tool-permissions",
        "update_project_hosted_tool_permissions",
        _P + "/hosted_tool_permissions",
        "set",
        "permissions",
    ),
    # -- spend alerts and spend limits ------------------------------------------------
    _get(
        "list-organization-spend-alerts",
        "list_organization_spend_alerts",
        "/organization/spend_alerts",
        "spend",
        "cursor",
    ),
    _post(
        "create-organization-spend-alert",
        "create_organization_spend_alert",
        "/organization/spend_alerts",
        "create",
        "spend",
    ),
    _get(
        "retrieve-organization-spend-alert",
        "get_organization_spend_alert",
        "/organization/spend_alerts/{alert_id}",
        "spend",
    ),
    _post(
        "update-organization-spend-alert",
        "update_organization_spend_alert",
        "/organization/spend_alerts/{alert_id}",
        "set",
        "spend",
    ),
    _delete(
        "delete-organization-spend-alert",
        "delete_organization_spend_alert",
        "/organization/spend_alerts/{alert_id}",
        "spend",
    ),
    _get("list-project-spend-alerts", "list_project_spend_alerts", _P + "/spend_alerts", "spend", "cursor"),
    _post("create-project-spend-alert", "create_project_spend_alert", _P + "/spend_alerts", "create", "spend"),
    _get("retrieve-project-spend-alert", "get_project_spend_alert", _P + "/spend_alerts/{alert_id}", "spend"),
    _post("update-project-spend-alert", "update_project_spend_alert", _P + "/spend_alerts/{alert_id}", "set", "spend"),
    _delete("delete-project-spend-alert", "delete_project_spend_alert", _P + "/spend_alerts/{alert_id}", "spend"),
    _get("Getorganizationspendlimit", "get_organization_spend_limit", "/organization/spend_limit", "spend"),
    _post(
        "Updateorganizationspendlimit", "update_organization_spend_limit", "/organization/spend_limit", "set", "spend"
    ),
    _delete("Deleteorganizationspendlimit", "delete_organization_spend_limit", "/organization/spend_limit", "spend"),
    _get("Getprojectspendlimit", "get_project_spend_limit", _P + "/spend_limit", "spend"),
    _post("Updateprojectspendlimit", "update_project_spend_limit", _P + "/spend_limit", "set", "spend"),
    _delete("Deleteprojectspendlimit", "delete_project_spend_limit", _P + "/spend_limit", "spend"),
    # -- audit logs, costs, usage -----------------------------------------------------
    _get("list-audit-logs", "list_audit_logs", "/organization/audit_logs", "audit_logs", "cursor"),
    _get("usage-costs", "list_costs", "/organization/costs", "usage", "page"),
    _get("usage-audio-speeches", "list_usage_audio_speeches", _USAGE + "audio_speeches", "usage", "page"),
    _get(
        "usage-audio-transcriptions",
        "list_usage_audio_transcriptions",
        _USAGE + "audio_transcriptions",
        "usage",
        "page",
    ),
    _get(
        "usage-code-interpreter-sessions",
        "list_usage_code_interpreter_sessions",
        _USAGE + "code_interpreter_sessions",
        "usage",
        "page",
    ),
    _get("usage-completions", "list_usage_completions", _USAGE + "completions", "usage", "page"),
    _get("usage-embeddings", "list_usage_embeddings", _USAGE + "embeddings", "usage", "page"),
    _get("usage-file-search-calls", "list_usage_file_search_calls", _USAGE + "file_search_calls", "usage", "page"),
    _get("usage-images", "list_usage_images", _USAGE + "images", "usage", "page"),
    _get("usage-moderations", "list_usage_moderations", _USAGE + "moderations", "usage", "page"),
    _get("usage-vector-stores", "list_usage_vector_stores", _USAGE + "vector_stores", "usage", "page"),
    _get("usage-web-search-calls", "list_usage_web_search_calls", _USAGE + "web_search_calls", "usage", "page"),
)

BY_METHOD: dict[str, Endpoint] = {endpoint.method_name: endpoint for endpoint in ENDPOINTS}
"""The table keyed by client/hook method name."""

BY_OPERATION: dict[str, Endpoint] = {endpoint.operation_id: endpoint for endpoint in ENDPOINTS}
"""The table keyed by the spec's ``operationId``."""


def endpoint(method_name: str) -> Endpoint:
    """The row of a client/hook method; ``KeyError`` for a name that is not an endpoint."""
    return BY_METHOD[method_name]
