"""Load an org file: bounded YAML, every value, the shipped JSON Schema, emails, then the model.

In order, each step before the next: the file (:mod:`.source`: at most 5 MB, a regular
file, UTF-8), the YAML (:mod:`.parsing`: no anchors or aliases, no repeated key, nesting
and integers bounded), every value (:mod:`.values`: no control or format character in any
string, no integer beyond 64 bits), the JSON Schema (types, enums, the spec's bounds, no name
beginning or ending with whitespace), the emails (:mod:`.emails`: usable, no two
look-alikes), then the checks of meaning.

Every problem raises one :class:`~.errors.OrgFileError` naming the file, the path inside
it and the problem (with the line when YAML knows it); a message never quotes more than a
short, escaped excerpt of a value. Nothing here sends a request.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.domain.ratelimit_policy import parse_policy
from airflow_provider_openai_projects.orgfile.emails import check_file_emails
from airflow_provider_openai_projects.orgfile.errors import OrgFileError, format_path
from airflow_provider_openai_projects.orgfile.handlers import service_accounts
from airflow_provider_openai_projects.orgfile.model import DEFAULT_MAX_DESTRUCTIVE_CHANGES, OrgSpec, ProjectSpec
from airflow_provider_openai_projects.orgfile.parsing import excerpt, parse_yaml
from airflow_provider_openai_projects.orgfile.people.config import check_document as check_people
from airflow_provider_openai_projects.orgfile.scoped import check as check_scoped
from airflow_provider_openai_projects.orgfile.source import read_org_file
from airflow_provider_openai_projects.orgfile.values import check_values

__all__ = ["load_document", "load_file", "load_text", "parse_yaml", "schema"]


@cache
def schema() -> dict[str, Any]:
    """The org file's JSON Schema (``orgfile/schema.json``, shipped as package data)."""
    text = resources.files("airflow_provider_openai_projects.orgfile").joinpath("schema.json").read_text("utf-8")
    return dict(json.loads(text))


@cache
def _validator() -> Any:
    import jsonschema  # type: ignore[import-untyped]

    def is_integer(_checker: Any, instance: object) -> bool:  # 1.0 is a float, not an integer
        return isinstance(instance, int) and not isinstance(instance, bool)

    checker = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", is_integer)
    strict = jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=checker)
    return strict(schema())


_NAME_PATTERN = r"^\S([^\r\n\t]*\S)?$"  # schema.json $defs/name's (tests/orgfile/test_names.py fails if not)


def _kind(value: object) -> str:
    """The JSON type of a value, by the schema's names (``string``, ``integer``...)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "null" if value is None else type(value).__name__


def _edge_whitespace(value: object, pattern: object) -> str | None:
    """The problem of a name (``$defs/name``'s pattern) that begins or ends with whitespace,
    or None: ``"a"`` and ``"a "`` would be two objects that look the same in the plan and the
    approval table. The value is quoted escaped (:func:`.parsing.excerpt`: ``repr`` of
    :func:`~...domain.display.printable`) and the edge named, so the space is visible."""
    if pattern != _NAME_PATTERN or not isinstance(value, str) or value == value.strip():
        return None
    edges = [edge for edge, bad in (("begins", value != value.lstrip()), ("ends", value != value.rstrip())) if bad]
    return (
        f"{excerpt(value)} {' and '.join(edges)} with whitespace; "
        "a name must not begin or end with a space (it would look like the name without it)"
    )


def _problem(error: Any) -> str:
    """A schema error's problem in words, quoting at most a short excerpt of the value
    (jsonschema's own messages ``repr()`` the whole value)."""
    value, rule, bound = error.instance, error.validator, error.validator_value
    if rule == "type":
        expected = bound if isinstance(bound, list) else [bound]
        return f"must be {' or '.join(map(str, expected))}, got {_kind(value)}"  # the type, never the value
    if rule == "enum":
        return f"{excerpt(value)} is not one of {', '.join(map(str, bound))}"
    if rule == "const":
        return f"{bound!r} was expected"
    if rule == "minimum":
        return f"{excerpt(value)} is less than the minimum of {bound}"
    if rule == "maximum":
        return f"{excerpt(value)} is more than the maximum of {bound}"
    if rule == "maxLength":
        return f"is {len(value)} characters long, more than the maximum of {bound}"
    if rule == "minLength":
        return "must not be empty" if bound == 1 else f"must be at least {bound} characters long"
    if rule == "pattern":
        edge = _edge_whitespace(value, bound)
        if edge is not None:
            return edge
        return f"{excerpt(value)} does not match the pattern {bound}"
    if rule == "minItems":
        if value == [] and bound == 1:
            return "[] should be non-empty"
        return f"must list at least {bound} item{'s' if bound != 1 else ''}"
    if rule == "minProperties":
        return f"must have at least {bound} key{'s' if bound != 1 else ''}"
    if rule in ("required", "dependentRequired"):
        return str(error.message)  # names keys, never values
    if rule in ("oneOf", "anyOf"):
        return f"this {_kind(value)} matches none of the forms allowed here (see the schema's description)"
    return f"does not satisfy the schema's {rule} rule"


def _schema_error(document: Any, source: str) -> OrgFileError | None:
    import jsonschema

    error = jsonschema.exceptions.best_match(_validator().iter_errors(document))
    if error is None:
        return None
    path = list(error.absolute_path)
    problem = _problem(error)
    if "propertyNames" in list(error.absolute_schema_path):
        path.append(str(error.instance))
        kind = "an email address" if "@" in str(error.validator_value) else "a valid name here"
        edge = _edge_whitespace(error.instance, error.validator_value)
        problem = f"bad key: {edge}" if edge is not None else f"bad key: {excerpt(error.instance)} is not {kind}"
    elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        unknown = sorted(str(k) for k in error.instance if k not in allowed)
        if unknown:
            path.append(unknown[0])
            known = ", ".join(sorted(allowed)) or "none"
            problem = f"unknown key (known keys here: {known})"
    return OrgFileError(source, format_path(path), problem)


def _lowered(members: dict[str, str], source: str, where: list[object]) -> dict[str, str]:
    result: dict[str, str] = {}
    for email, role in members.items():
        key = email.strip().lower()
        if key in result:
            raise OrgFileError(source, format_path([*where, email]), "this person is listed twice (emails ignore case)")
        result[key] = role
    return result


def load_document(document: Any, source: str) -> OrgSpec:
    """Validate a parsed document (schema, then meaning) and build the :class:`OrgSpec`."""
    if document is None:
        document = {}
    check_values(document, source)
    error = _schema_error(document, source)
    if error is not None:
        raise error
    check_file_emails(document, source)
    service_accounts.check_document(document, source)
    check_scoped(document, source)
    check_people(document, source)
    projects: dict[str, ProjectSpec] = {}
    for name, raw in (document.get("projects") or {}).items():
        raw = raw or {}
        where: list[object] = ["projects", name]
        policy = None
        if raw.get("rate_limits"):
            try:
                policy = parse_policy(raw["rate_limits"], "rate_limits")
            except InvalidInputError as bad:
                problem = bad.message.removeprefix(f"invalid {bad.field}: ")
                raise OrgFileError(source, format_path(where) + "." + bad.field, problem) from None
        if raw.get("archived") is True and ("members" in raw or "rate_limits" in raw):
            raise OrgFileError(source, format_path(where), "an archived project cannot declare members or rate_limits")
        members = raw.get("members")
        projects[name] = ProjectSpec(
            name=name,
            members=None if members is None else _lowered(members, source, [*where, "members"]),
            rate_limits=policy,
            archived=raw.get("archived"),
        )
    org_members = (document.get("organization") or {}).get("members")
    settings = document.get("settings") or {}
    return OrgSpec(
        source=source,
        projects=projects,
        organization_members=None
        if org_members is None
        else _lowered(org_members, source, ["organization", "members"]),
        max_destructive_changes=settings.get("max_destructive_changes", DEFAULT_MAX_DESTRUCTIVE_CHANGES),
        document=json.loads(json.dumps(document)),
    )


def load_text(text: str, source: str = "<org file>") -> OrgSpec:
    """An :class:`OrgSpec` from YAML (or JSON) text."""
    return load_document(parse_yaml(text, source), source)


def load_file(path: str | Path, root: str | Path | None = None) -> OrgSpec:
    """An :class:`OrgSpec` from a file, read by :func:`.source.read_org_file` (bounded; with
    ``root``, only a file inside that folder). A missing, unreadable, oversized or confined-out
    file is an :class:`OrgFileError` too, and never quotes the file's content."""
    source, text = read_org_file(path, root)
    return load_text(text, source)
