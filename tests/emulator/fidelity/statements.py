"""The spec's behavioural statements, each with where it is and a few words of it.

A *statement* is a sentence of the spec's descriptions that says how the API behaves
(a limit, a default, a state, a side effect, a paging rule, what an event is associated
with), as opposed to a field's type or name, which ``tests/conformance`` holds for every
exchange. One :class:`Statement` may sit at several locations (the ten usage endpoints
share their parameters' sentences): each location counts as one statement, and one
table-driven test covers them all.

Locations: ``"<METHOD> <path>#op"`` (the operation's summary and description),
``"#param:<name>"`` (a parameter), ``"#body:<property>"`` (a request body property),
``"#response:<status>"``, and ``"schema:<Schema>/<property>/..."`` (a schema property,
nested through ``properties``). :mod:`.test_statement_table` checks every location
resolves in the vendored spec and holds the quote, that every statement has its test, and
that every operation of the spec has a row here.

``CHOICES`` lists what the emulator decides where the spec is silent; ``docs/emulator.md``
shows both tables (``scripts/fidelity_table.py`` writes them; a test keeps them in step).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Status = Literal["holds", "not emulated"]

USAGE_KINDS = (
    "audio_speeches",
    "audio_transcriptions",
    "code_interpreter_sessions",
    "completions",
    "embeddings",
    "file_search_calls",
    "images",
    "moderations",
    "vector_stores",
    "web_search_calls",
)
USAGE = tuple(f"GET /organization/usage/{kind}" for kind in USAGE_KINDS)
COSTS = "GET /organization/costs"
#: Usage endpoints with the user and API key filters (not vector stores, code interpreter).
USAGE_PEOPLE = tuple(
    f"GET /organization/usage/{k}" for k in USAGE_KINDS if k not in ("vector_stores", "code_interpreter_sessions")
)
USAGE_MODELS = tuple(e for e in USAGE_PEOPLE if not e.endswith("file_search_calls"))
LIST_1_100 = tuple(
    f"GET /organization/{path}"
    for path in (
        "audit_logs",
        "certificates",
        "invites",
        "projects",
        "projects/{project_id}/api_keys",
        "projects/{project_id}/certificates",
        "projects/{project_id}/service_accounts",
        "projects/{project_id}/users",
        "users",
    )
)


@dataclass(frozen=True)
class Statement:
    """One behavioural sentence of the spec, at one or more locations."""

    key: str
    locations: tuple[str, ...]
    quote: str
    status: Status = "holds"
    note: str = ""
    #: Operations it speaks of besides those of its locations (a schema's statement).
    operations: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.status != "holds" and not self.note:
            raise ValueError(f"{self.key}: a statement that does not hold needs a note saying why")


def _at(endpoints: tuple[str, ...] | list[str], part: str) -> tuple[str, ...]:
    return tuple(f"{endpoint}#{part}" for endpoint in endpoints)


#: The one usage kind the emulator counts (choice ``usage.counted``).
USAGE_COUNTED = "GET /organization/usage/completions"


def _usage_filter(key: str, endpoints: tuple[str, ...], param: str, quote: str) -> tuple[Statement, ...]:
    """A usage filter's statement: held where the emulator counts usage, and "not emulated"
    at the other kinds' endpoints, where there is nothing to keep (a test there could not fail)."""
    uncounted = tuple(e for e in endpoints if e != USAGE_COUNTED)
    return (
        Statement(key, _at([USAGE_COUNTED], f"param:{param}"), quote),
        Statement(
            f"{key}.uncounted",
            _at(uncounted, f"param:{param}"),
            quote,
            status="not emulated",
            note="the emulator counts no usage of these kinds (`usage.counted`): the filter is accepted and "
            "every bucket is empty",
        ),
    )


S = Statement
STATEMENTS: tuple[Statement, ...] = (
    # -- usage and costs ---------------------------------------------------------------
    S("usage.start-inclusive", _at([*USAGE, COSTS], "param:start_time"), "query time range, inclusive"),
    S("usage.end-exclusive", _at([*USAGE, COSTS], "param:end_time"), "query time range, exclusive"),
    S("usage.bucket-widths", _at(USAGE, "param:bucket_width"), "`1m`, `1h` and `1d` are supported, default to `1d`"),
    S("costs.bucket-width", (f"{COSTS}#param:bucket_width",), "only `1d` is supported, default to `1d`"),
    S("usage.bucket-limit", _at(USAGE, "param:limit"), "`bucket_width=1d`: default: 7, max: 31"),
    S("costs.bucket-limit", (f"{COSTS}#param:limit",), "range between 1 and 180, and the default is 7"),
    S("usage.next-page", _at([*USAGE, COSTS], "param:page"), "Corresponding to the `next_page` field"),
    *_usage_filter("usage.project-filter", USAGE, "project_ids", "Return only usage for these projects."),
    *_usage_filter("usage.user-filter", USAGE_PEOPLE, "user_ids", "Return only usage for these users."),
    *_usage_filter("usage.key-filter", USAGE_PEOPLE, "api_key_ids", "Return only usage for these API keys."),
    *_usage_filter("usage.model-filter", USAGE_MODELS, "models", "Return only usage for these models."),
    S("usage.batch-filter", ("GET /organization/usage/completions#param:batch",), "return batch jobs only"),
    S("costs.project-filter", (f"{COSTS}#param:project_ids",), "Return only costs for these projects."),
    S("costs.key-filter", (f"{COSTS}#param:api_key_ids",), "Return only costs for these API keys."),
    # -- audit logs --------------------------------------------------------------------
    S(
        "audit.admin-key-default-project",
        ("schema:AuditLog/project",),
        "associated with the default project",
        operations=("GET /organization/audit_logs",),
    ),
    S(
        "audit.absent-project",
        ("schema:AuditLog/project",),
        "Absent for actions not scoped to projects",
        operations=("GET /organization/audit_logs",),
    ),
    S("audit.effective-at", ("GET /organization/audit_logs#param:effective_at",), "is in this range"),
    S("audit.project-filter", ("GET /organization/audit_logs#param:project_ids[]",), "events for these projects"),
    S("audit.type-filter", ("GET /organization/audit_logs#param:event_types[]",), "with a `type` in one of these"),
    S(
        "audit.actor-filter",
        ("GET /organization/audit_logs#param:actor_ids[]",),
        "a user ID, a service account ID, or an api key tracking ID",
    ),
    S("audit.email-filter", ("GET /organization/audit_logs#param:actor_emails[]",), "by users with these emails"),
    S("audit.resource-filter", ("GET /organization/audit_logs#param:resource_ids[]",), "a project ID updated"),
    S(
        "audit.tenant-only",
        ("GET /organization/audit_logs#param:tenant_only",),
        "all supplied event types must be tenant-scoped",
    ),
    S("audit.cursor-after", ("GET /organization/audit_logs#param:after",), "fetch the next page"),
    S("audit.cursor-before", ("GET /organization/audit_logs#param:before",), "fetch the previous page"),
    S(
        "audit.certificate-updated",
        ("schema:AuditLog/certificate.updated/name",),
        "The name of the certificate.",
        operations=("GET /organization/audit_logs",),
    ),
    S(
        "audit.certificate-deleted-name",
        ("schema:AuditLog/certificate.deleted/name",),
        "The name of the certificate.",
        operations=("GET /organization/audit_logs",),
    ),
    S(
        "audit.certificate-deleted",
        ("schema:AuditLog/certificate.deleted/certificate",),
        "The certificate content in PEM format.",
        operations=("GET /organization/audit_logs",),
    ),
    S(
        "audit.role-permissions-added",
        ("schema:AuditLog/role.updated/changes_requested/permissions_added",),
        "The permissions added to the role.",
        operations=("GET /organization/audit_logs",),
    ),
    S(
        "audit.role-permissions-removed",
        ("schema:AuditLog/role.updated/changes_requested/permissions_removed",),
        "The permissions removed from the role.",
        operations=("GET /organization/audit_logs",),
    ),
    # -- lists -------------------------------------------------------------------------
    S("list.limit-1-100", _at(LIST_1_100, "param:limit"), "Limit can range between 1 and 100, and the default is 20."),
    S(
        "list.limit-0-1000",
        _at(["GET /organization/groups", "GET /organization/groups/{group_id}/users"], "param:limit"),
        "between 0 and 1000, and the default is 100",
    ),
    S(
        "list.rate-limits-default",
        ("GET /organization/projects/{project_id}/rate_limits#param:limit",),
        "default is 100",
    ),
    S("list.roles-default", ("GET /organization/roles#param:limit",), "Defaults to 1000."),
    S(
        "list.project-groups-default",
        ("GET /organization/projects/{project_id}/groups#param:limit",),
        "Defaults to 20.",
    ),
    S(
        "spend.alerts-limit",
        _at(["GET /organization/spend_alerts", "GET /organization/projects/{project_id}/spend_alerts"], "param:limit"),
        "Defaults to 20.",
    ),
    S(
        "spend.alerts-before",
        _at(["GET /organization/spend_alerts", "GET /organization/projects/{project_id}/spend_alerts"], "param:before"),
        "to fetch the previous page",
    ),
    S(
        "spend.alerts-after",
        _at(["GET /organization/spend_alerts", "GET /organization/projects/{project_id}/spend_alerts"], "param:after"),
        "to fetch the next page",
    ),
    # -- certificates ------------------------------------------------------------------
    S("cert.upload-inactive", ("POST /organization/certificates#op",), "does **not** automatically activate"),
    S("cert.upload-50", ("POST /organization/certificates#op",), "upload up to 50 certificates"),
    S(
        "cert.activate-10",
        (
            "POST /organization/certificates/activate#op",
            "POST /organization/certificates/deactivate#op",
            "POST /organization/projects/{project_id}/certificates/activate#op",
            "POST /organization/projects/{project_id}/certificates/deactivate#op",
        ),
        "up to 10 certificates at a time",
    ),
    S(
        "cert.include-content",
        ("GET /organization/certificates/{certificate_id}#param:include",),
        "the only supported value is `content`",
    ),
    S(
        "cert.modify-name-only",
        ("POST /organization/certificates/{certificate_id}#op",),
        "only the name can be modified",
    ),
    S(
        "cert.delete-inactive",
        ("DELETE /organization/certificates/{certificate_id}#op",),
        "must be inactive for the organization and all projects",
    ),
    S(
        "cert.get-without-active",
        ("schema:Certificate/active",),
        "Not returned when getting details",
        operations=("GET /organization/certificates/{certificate_id}",),
    ),
    # -- invites, users, projects --------------------------------------------------------
    S("invite.accept-first", ("POST /organization/invites#op",), "must be accepted by the user before"),
    S("invite.delete-accepted", ("DELETE /organization/invites/{invite_id}#op",), "it cannot be deleted"),
    S(
        "invite.projects",
        ("schema:InviteRequest/projects",),
        "granted at the same time the org invite is accepted",
        operations=("POST /organization/invites",),
    ),
    S(
        "invite.projects-omitted",
        ("schema:InviteRequest/projects",),
        "If omitted, the user will be invited to the default project",
        operations=("POST /organization/invites",),
    ),
    S(
        "invite.projects-empty",
        ("schema:InviteRequest/projects",),
        "If empty list is passed, the user will not be invited to any projects, including the default one.",
        operations=("POST /organization/invites",),
    ),
    S(
        "projects.residency",
        ("schema:ProjectCreateRequest/residency",),
        "must have access to the requested residency",
        status="not emulated",
        note="the emulated organization has access to every residency of the enum",
    ),
    S("projects.no-delete", ("POST /organization/projects#op",), "cannot be deleted"),
    S("projects.archived-hidden", ("GET /organization/projects#param:include_archived",), "not included by default"),
    S(
        "projects.archived-frozen",
        ("POST /organization/projects/{project_id}/archive#op",),
        "cannot be used or updated",
    ),
    S("projects.default-immutable", ("POST /organization/projects/{project_id}#response:400",), "the default project"),
    S(
        "project-users.org-members",
        ("POST /organization/projects/{project_id}/users#op",),
        "must already be members of the organization",
    ),
    S(
        "project-users.roles",
        ("schema:ProjectUserUpdateRequest/role",),
        "`owner` or `member`",
        operations=("POST /organization/projects/{project_id}/users/{user_id}",),
    ),
    S(
        "users.role-id",
        ("schema:UserRoleUpdateRequest/role_id",),
        "Role ID to assign to the user.",
        operations=("POST /organization/users/{user_id}",),
    ),
    S(
        "users.technical-level",
        ("schema:UserRoleUpdateRequest/technical_level",),
        "Technical level metadata.",
        operations=("POST /organization/users/{user_id}",),
    ),
    S(
        "users.developer-persona",
        ("schema:UserRoleUpdateRequest/developer_persona",),
        "Developer persona metadata.",
        operations=("POST /organization/users/{user_id}",),
    ),
    # -- service accounts, keys ------------------------------------------------------------
    S(
        "sa.key-by-default",
        ("POST /organization/projects/{project_id}/service_accounts#op",),
        "By default, this also returns an unredacted API key",
    ),
    S(
        "sa.roles",
        ("schema:ProjectServiceAccountCreateResponse/role",),
        "default project membership have role `member`",
        operations=("POST /organization/projects/{project_id}/service_accounts",),
    ),
    S(
        "admin-key.value-once",
        ("schema:AdminApiKeyCreateResponse/value",),
        "Only shown on create.",
        operations=("POST /organization/admin_api_keys",),
    ),
    S(
        "admin-key.expiry",
        ("POST /organization/admin_api_keys#body:expires_in_seconds",),
        "Omit this field for a key that does not expire.",
    ),
    # -- spend -------------------------------------------------------------------------
    *(
        S(
            f"spend.{field}",
            tuple(
                f"schema:{body}/{field}" for body in ("UpdateOrganizationSpendLimitBody", "UpdateProjectSpendLimitBody")
            ),
            f"only `{only}` is supported",
            operations=("POST /organization/spend_limit", "POST /organization/projects/{project_id}/spend_limit"),
        )
        for field, only in (("currency", "USD"), ("interval", "month"))
    ),
    S(
        "spend.email-channel",
        ("schema:SpendAlertNotificationChannel/type",),
        "only `email` is supported",
        operations=("POST /organization/spend_alerts", "POST /organization/projects/{project_id}/spend_alerts"),
    ),
    # -- roles and groups ----------------------------------------------------------------
    S(
        "roles.unique-names",
        ("schema:PublicCreateOrganizationRoleBody/role_name", "schema:Role/name"),
        "Unique name",
        operations=("POST /organization/roles", "POST /organization/roles/{role_id}"),
    ),
    S(
        "project-groups.group-type",
        ("GET /organization/projects/{project_id}/groups/{group_id}#param:group_type",),
        "The type of group to retrieve.",
    ),
)
"""Every behavioural statement found (see the module docstring)."""


@dataclass(frozen=True)
class Choice:
    """What the emulator does where the spec says nothing."""

    key: str
    what: str


CHOICES: tuple[Choice, ...] = (
    Choice("spend-limit.unset-404", "A GET of a spend limit that was never set (or was deleted) answers 404."),
    Choice("projects.archive-twice-400", "Archiving an archived project answers 400."),
    Choice(
        "projects.archived-reads-400",
        "Reads and writes under an archived project (users, keys, service accounts, rate limits) answer 400.",
    ),
    Choice("permissions.new-project", "A new project's model permissions are `deny_list` with no model."),
    Choice("projects.names-not-unique", "Project, group and service-account names need not be unique."),
    Choice(
        "roles.case",
        "Role names are compared case-insensitively and without surrounding spaces for uniqueness (`auditor` "
        "clashes with `Auditor `).",
    ),
    Choice(
        "usage.last-bucket",
        "With `end_time`, the last bucket ends at `end_time` (shorter than the width); without it, buckets "
        "run to the one holding now, each of full width. `next_page` is `page_<start of the next bucket>`.",
    ),
    Choice(
        "usage.counted", "Only completions (and their costs) are counted, from `GET /v1/models` with a project key."
    ),
    Choice(
        "audit.resource-ids",
        "`resource_ids[]` matches the ids an event's details name as its target (`id`; a role assignment's "
        "principal and role; a group member's group and user; each certificate of `certificates.*`), and two "
        "the details do not name: the invitee's user id for `invite.accepted`, and a spend alert's id for the "
        "`organization.updated`/`project.updated` of its change (`AuditEventSensor`, which re-checks what "
        "comes back against the details, cannot wait for these two).",
    ),
    Choice(
        "audit.key-actor",
        "An admin key's actor is `{type: api_key, api_key: {id: <tracking id>, type: user, user: {id, email}}}`, "
        "the user being the organization's first owner.",
    ),
    Choice(
        "audit.order",
        "The audit log lists the newest first; with both `after` and `before` it lists the events between them.",
    ),
    Choice(
        "audit.event-types",
        "Adding or removing a group member records `tenant.group.member.added`/`removed` (tenant-scoped: "
        "listed only with `tenant_only=true`); a project's group grant records `role.assignment.created`/"
        "`deleted` with `resource_type: api.project`; modify user records `user.updated` with only the `role` "
        "in `changes_requested`.",
    ),
    Choice("audit.rate-limit-ids", "Rate-limit ids are `rl-<model>`, the same in every project."),
    Choice(
        "audit.settings-events",
        "Writes the spec names no event for (data retention, model and hosted-tool permissions, spend alerts "
        "and limits) are recorded as `organization.updated`/`project.updated` with `changes_requested: {}`.",
    ),
    Choice(
        "audit.session",
        "A person's session actor carries `ip_address` 192.0.2.10; a user key minted in the dashboard records "
        "`api_key.created` with `data.scopes: []`; accepting an invite names no project.",
    ),
    Choice("certificates.active-elsewhere", "Upload and modify answers carry `active` (false on upload)."),
    Choice(
        "users.modify",
        "Modify user needs at least one field; `role_id` of the predefined Owner/Reader sets `role` (400 if "
        "`role` contradicts it), a custom role's id is assigned to the user; `technical_level` and "
        "`developer_persona` are shown on the user once set.",
    ),
    Choice("users.member-alias", "Modify user accepts `member` as an alias of `reader`; the last owner stays."),
    Choice("groups.tenant", "No tenant group exists: `group_type=tenant_group` finds nothing (404)."),
    Choice("invites.existing-member", "Inviting the email of an organization member answers 400."),
    Choice(
        "invites.lifetime",
        "An invite expires 7 days after it is sent (then it can be deleted, not accepted); inviting an email "
        "that has a pending invite answers 400; an invite without `projects` joins the default project as "
        "`member` (the spec names no role).",
    ),
    Choice(
        "bodies.strict",
        "Stricter than the schema: unknown body fields, empty names, malformed emails and ids the organization "
        "does not hold answer 400 naming the field.",
    ),
    Choice("organization.id", "The organization's id, in event details, is `org-emulator`."),
    Choice(
        "bodies.json-only",
        "A request with a body that is not `Content-Type: application/json` answers 415 "
        "`unsupported_media_type`, and one without a valid key 401, before the body is read (`Connection: "
        "close`).",
    ),
)
"""Where the spec is silent (what a green test here does not prove about the real API)."""


def location_count() -> int:
    """Statements found: one per location."""
    return sum(len(statement.locations) for statement in STATEMENTS)


#: Operations whose spec text states nothing beyond the shapes ``tests/conformance`` holds
#: (a field's type, an object's name): no behavioural statement to test.
SHAPE_ONLY: tuple[str, ...] = (
    "GET /organization/admin_api_keys",
    "GET /organization/admin_api_keys/{key_id}",
    "DELETE /organization/admin_api_keys/{key_id}",
    "GET /organization/data_retention",
    "POST /organization/data_retention",
    "GET /organization/spend_limit",
    "DELETE /organization/spend_limit",
    "GET /organization/spend_alerts/{alert_id}",
    "POST /organization/spend_alerts/{alert_id}",
    "DELETE /organization/spend_alerts/{alert_id}",
    "GET /organization/groups/{group_id}",
    "GET /organization/groups/{group_id}/users/{user_id}",
    "POST /organization/groups",
    "POST /organization/groups/{group_id}",
    "DELETE /organization/groups/{group_id}",
    "POST /organization/groups/{group_id}/users",
    "DELETE /organization/groups/{group_id}/users/{user_id}",
    "GET /organization/groups/{group_id}/roles",
    "POST /organization/groups/{group_id}/roles",
    "GET /organization/groups/{group_id}/roles/{role_id}",
    "DELETE /organization/groups/{group_id}/roles/{role_id}",
    "GET /organization/invites/{invite_id}",
    "GET /organization/projects/{project_id}",
    "GET /organization/projects/{project_id}/api_keys/{api_key_id}",
    "DELETE /organization/projects/{project_id}/api_keys/{api_key_id}",
    "GET /organization/projects/{project_id}/data_retention",
    "POST /organization/projects/{project_id}/data_retention",
    "POST /organization/projects/{project_id}/groups",
    "DELETE /organization/projects/{project_id}/groups/{group_id}",
    "GET /organization/projects/{project_id}/hosted_tool_permissions",
    "POST /organization/projects/{project_id}/hosted_tool_permissions",
    "GET /organization/projects/{project_id}/model_permissions",
    "POST /organization/projects/{project_id}/model_permissions",
    "DELETE /organization/projects/{project_id}/model_permissions",
    "POST /organization/projects/{project_id}/rate_limits/{rate_limit_id}",
    "GET /organization/projects/{project_id}/service_accounts/{service_account_id}",
    "POST /organization/projects/{project_id}/service_accounts/{service_account_id}",
    "DELETE /organization/projects/{project_id}/service_accounts/{service_account_id}",
    "POST /organization/projects/{project_id}/service_accounts/{service_account_id}/api_keys",
    "GET /organization/projects/{project_id}/spend_limit",
    "DELETE /organization/projects/{project_id}/spend_limit",
    "GET /organization/projects/{project_id}/spend_alerts/{alert_id}",
    "POST /organization/projects/{project_id}/spend_alerts/{alert_id}",
    "DELETE /organization/projects/{project_id}/spend_alerts/{alert_id}",
    "GET /organization/projects/{project_id}/users/{user_id}",
    "DELETE /organization/projects/{project_id}/users/{user_id}",
    "GET /organization/roles/{role_id}",
    "DELETE /organization/roles/{role_id}",
    "GET /organization/users/{user_id}",
    "DELETE /organization/users/{user_id}",
    "GET /organization/users/{user_id}/roles",
    "POST /organization/users/{user_id}/roles",
    "GET /organization/users/{user_id}/roles/{role_id}",
    "DELETE /organization/users/{user_id}/roles/{role_id}",
)


def spec_operations(spec: dict[str, Any]) -> list[str]:
    """``METHOD path`` of every operation of the spec."""
    return [
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    ]


def resolve(spec: dict[str, Any], location: str) -> str:
    """The text at ``location`` (module docstring); ``KeyError`` if it is not in ``spec``."""
    if location.startswith("schema:"):
        name, *fields = location.removeprefix("schema:").split("/")
        node = spec["components"]["schemas"][name]
        for field_name in fields:
            node = _property(node, field_name)
        return str(node["description"])
    endpoint, _, part = location.partition("#")
    method, path = endpoint.split(" ", 1)
    operation = spec["paths"][path][method.lower()]
    kind, _, name = part.partition(":")
    if kind == "op":
        return f"{operation.get('summary') or ''} {operation.get('description') or ''}"
    if kind == "param":
        return str(next(p for p in operation["parameters"] if p.get("name") == name)["description"])
    if kind == "body":
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        return str(_property(schema, name)["description"])
    if kind == "response":
        return str(operation["responses"][name]["description"])
    raise KeyError(location)


def _property(schema: dict[str, Any], name: str) -> dict[str, Any]:
    for part in [schema, *schema.get("allOf", [])]:
        if name in part.get("properties", {}):
            found: dict[str, Any] = part["properties"][name]
            return found
    raise KeyError(name)


def endpoint_of(location: str) -> str | None:
    """``METHOD path`` of an operation location (``None`` for a schema's)."""
    return None if location.startswith("schema:") else location.partition("#")[0]
