"""Load an org file: YAML (duplicate keys refused), the shipped JSON Schema, then the model.

Every problem raises one :class:`~.errors.OrgFileError` naming the file, the path inside
it and the problem (with the line when YAML knows it). Nothing here sends a request.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from airflow_provider_openai_projects.client.errors import InvalidInputError
from airflow_provider_openai_projects.domain.ratelimit_policy import parse_policy
from airflow_provider_openai_projects.orgfile.errors import OrgFileError, format_path
from airflow_provider_openai_projects.orgfile.handlers import service_accounts
from airflow_provider_openai_projects.orgfile.model import DEFAULT_MAX_DESTRUCTIVE_CHANGES, OrgSpec, ProjectSpec
from airflow_provider_openai_projects.orgfile.people.config import check_document as check_people
from airflow_provider_openai_projects.orgfile.scoped import check as check_scoped


@cache
def schema() -> dict[str, Any]:
    """The org file's JSON Schema (``orgfile/schema.json``, shipped as package data)."""
    text = resources.files("airflow_provider_openai_projects.orgfile").joinpath("schema.json").read_text("utf-8")
    return dict(json.loads(text))


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key repeated in one mapping (YAML would keep the last)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            seen = key in result
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, f"unhashable key {key!r}", key_node.start_mark
            ) from None
        if seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=deep)
    return result


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(text: str, source: str) -> Any:
    """The YAML document in ``text``; :class:`OrgFileError` on bad YAML or a repeated key."""
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = str(error.problem or error.context or "invalid YAML")
        return _raise(OrgFileError(source, "(YAML)", f"invalid YAML: {problem}", line))
    except yaml.YAMLError as error:
        return _raise(OrgFileError(source, "(YAML)", f"invalid YAML: {error}"))


def _raise(error: OrgFileError) -> Any:
    raise error


def _schema_error(document: Any, source: str) -> OrgFileError | None:
    import jsonschema  # type: ignore[import-untyped]

    validator = jsonschema.Draft202012Validator(schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is None:
        return None
    path = list(error.absolute_path)
    problem = error.message
    if "propertyNames" in list(error.absolute_schema_path):
        path.append(str(error.instance))
        kind = "an email address" if "@" in str(error.validator_value) else "a valid name here"
        problem = f"bad key: {error.instance!r} is not {kind}"
    elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        unknown = sorted(str(k) for k in error.instance if k not in allowed)
        if unknown:
            path.append(unknown[0])
            known = ", ".join(sorted(allowed)) or "none"
            problem = f"unknown key (known keys here: {known})"
    elif error.validator == "enum":
        problem = f"{error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    elif error.validator == "type":
        problem = f"must be {error.validator_value}, got {type(error.instance).__name__} {error.instance!r}"
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
    error = _schema_error(document, source)
    if error is not None:
        raise error
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


def load_file(path: str | Path) -> OrgSpec:
    """An :class:`OrgSpec` from a file; a missing or unreadable file is an :class:`OrgFileError` too."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise OrgFileError(source, "(file)", f"cannot read the file: {error.__class__.__name__}: {error}") from None
    return load_text(text, source)
