"""Declarative per-model rate limits: the policy, which model it sets to what, the plan.

Pure: no Airflow, no HTTP. :class:`~.operators.rate_limits.SyncRateLimitsOperator` reads
the projects' limits, hands them to :class:`SyncPlan`, writes what the plan says and
returns :meth:`SyncPlan.report`. Everything here can be tested without a server.

The policy
----------
A mapping of a model name, or an :func:`fnmatch.fnmatchcase` glob (``gpt-4o*``,
``o?-mini``, ``gpt-4.1-[mn]*``), to the fields to enforce::

    {"gpt-4o*": {"max_requests_per_1_minute": 500}, "gpt-4o-mini": {"max_tokens_per_1_minute": 10_000}}

Fields are those of the API's ``ProjectRateLimitUpdateRequest``
(:data:`~.client.types.RATE_LIMIT_FIELDS`); values are integers >= 0. It may be given as a
dict, a JSON string, or the Python literal Jinja renders from a dict (``{{ var.json.x }}``
without native rendering). Matching is case-sensitive.

Precedence, decided per field
-----------------------------
For each model and each field, the value comes from the most specific key that matches
the model *and sets that field*:

1. an exact model name wins over every glob;
2. among globs, the one with the most literal characters wins (wildcards ``*``, ``?``
   and bracket sets ``[...]`` are not counted: ``gpt-4o-*`` (7) beats ``gpt-*`` (4));
3. among equally specific globs, the one declared first wins.

So ``{"*": {"max_requests_per_1_minute": 100}, "gpt-4o": {"max_tokens_per_1_minute": 9}}``
gives gpt-4o both fields, and every other model only the first.

Fields a model does not carry
-----------------------------
A limit object only has the fields that apply to its model (``max_images_per_1_minute``
exists for image models only) and the API answers 400 to an update of any other. Such a
field is never sent: it is reported under ``skipped_fields`` of the project instead of
being sent as a doomed write.

Unknown models
--------------
A key is unknown when it matches no model of any project that was read: an exact name
that no targeted project has, or a glob that matches no model at all.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Literal

from airflow_provider_openai_projects.client.errors import InvalidInputError, OpenAIAdminError
from airflow_provider_openai_projects.client.types import RATE_LIMIT_FIELDS
from airflow_provider_openai_projects.domain.validation import (
    INT64_MAX,
    control_character,
    require_id,
    require_name,
    require_non_negative_int,
)

ChangeStatus = Literal["planned", "updated", "failed"]

_GLOB_CHARS = re.compile(r"[*?\[]")
_WILDCARDS = re.compile(r"\[[^\]]*\]|[*?]")
_MAX_ERRORS_IN_MESSAGE = 20


class RateLimitSyncError(OpenAIAdminError):
    """The sync ended with failures (unreadable projects, failed writes).

    Raised after every write that could be made was made; ``report`` is the full
    :meth:`SyncPlan.report`. The message lists the failures (ids and API errors only).
    """

    def __init__(self, message: str, report: dict[str, Any]) -> None:
        self.report = report
        super().__init__(message)


# -- parsing and validation ----------------------------------------------------------------


_MAX_INT_DIGITS = len(str(INT64_MAX))


def _decode(field_name: str, text: str) -> Any:
    """A JSON document, or failing that the Python literal Jinja renders from a dict/list.

    On both paths a mapping with a repeated key is refused (``json`` and ``dict`` would
    silently keep the last), and so is an integer longer than any field takes; every
    failure is one :class:`InvalidInputError` naming ``field_name`` (never a raw
    ``ValueError``).
    """

    def no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise InvalidInputError(f"{field_name}[{key!r}]", "appears twice in the JSON document")
            result[key] = value
        return result

    def bounded_int(digits: str) -> int:
        if len(digits.lstrip("-")) > _MAX_INT_DIGITS:
            raise InvalidInputError(field_name, f"has an integer of {len(digits)} digits; the largest is {INT64_MAX}")
        return int(digits)

    try:
        return json.loads(text, object_pairs_hook=no_repeats, parse_int=bounded_int)
    except InvalidInputError:
        raise
    except (ValueError, RecursionError) as error:
        json_error = error
    try:
        return _literal(field_name, text)
    except InvalidInputError:
        raise
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        if isinstance(json_error, json.JSONDecodeError):
            detail = f"{json_error.msg} at line {json_error.lineno} column {json_error.colno}"
        else:
            detail = "too deeply nested or too large"
        raise InvalidInputError(field_name, f"is not valid JSON: {detail}") from None


def _literal(field_name: str, text: str) -> Any:
    """A Python literal (what Jinja renders from a dict), refusing a repeated key in any
    dict and an integer beyond the signed 64-bit range."""
    tree = ast.parse(text, mode="eval")
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            seen: set[object] = set()
            for key in node.keys:
                if isinstance(key, ast.Constant) and isinstance(key.value, str | int):
                    if key.value in seen:
                        raise InvalidInputError(f"{field_name}[{key.value!r}]", "appears twice in the literal")
                    seen.add(key.value)
        if isinstance(node, ast.Constant) and type(node.value) is int and node.value.bit_length() > 63:
            raise InvalidInputError(field_name, f"has an integer beyond {INT64_MAX}")
    return ast.literal_eval(tree)


def load_policy_document(text: str, source: str, *, yaml_document: bool = False) -> Any:
    """A policy document (JSON, or YAML with ``yaml_document``) read strictly: a mapping
    with a repeated key at any depth is refused, as is an integer beyond 64 bits; every
    failure is one :class:`InvalidInputError` naming ``source`` (a file path or a Variable)."""
    if not yaml_document:
        return _decode(source, text) if text.strip() else _decode(source, "null")
    import yaml

    class StrictLoader(yaml.SafeLoader):
        """``SafeLoader`` that refuses a repeated key instead of keeping the last one."""

    def mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in result:
                line = key_node.start_mark.line + 1
                raise InvalidInputError(f"{source}[{key!r}]", f"appears twice (line {line})")
            result[key] = loader.construct_object(value_node, deep=deep)
        return result

    StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    try:
        document = yaml.load(text, Loader=StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        raise InvalidInputError(source, f"is not valid YAML{where}") from None
    _check_ints(source, document)
    return document


def _check_ints(where: str, value: object) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _check_ints(f"{where}[{key!r}]", item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_ints(f"{where}[{index}]", item)
    elif type(value) is int and value.bit_length() > 63:
        raise InvalidInputError(where, f"must be at most {INT64_MAX}")


def is_glob(key: str) -> bool:
    """Whether a policy key is a glob (has ``*``, ``?`` or ``[``) rather than a model name."""
    return bool(_GLOB_CHARS.search(key))


def specificity(key: str) -> int:
    """How many literal characters a key has (wildcards and ``[...]`` sets not counted)."""
    return len(_WILDCARDS.sub("", key))


@dataclass(frozen=True)
class PolicyRule:
    """One entry of the policy: a model name or glob and the fields it sets."""

    key: str
    fields: Mapping[str, int]
    order: int

    @property
    def is_glob(self) -> bool:
        return is_glob(self.key)

    @property
    def rank(self) -> tuple[int, int, int]:
        """Sort key: exact names first, then more literal characters, then declaration order."""
        return (1 if self.is_glob else 0, -specificity(self.key), self.order)

    def matches(self, model: str) -> bool:
        return fnmatchcase(model, self.key) if self.is_glob else model == self.key


@dataclass(frozen=True)
class RateLimitPolicy:
    """A validated policy; build it with :func:`parse_policy`."""

    rules: tuple[PolicyRule, ...]
    ranked: tuple[PolicyRule, ...] = field(init=False, repr=False, compare=False)
    """The rules in precedence order (exact names, then most literal characters, then order)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "ranked", tuple(sorted(self.rules, key=lambda r: r.rank)))

    def desired(self, model: str) -> dict[str, tuple[int, str]]:
        """What the policy sets for ``model``: field -> (value, the key it comes from).

        Empty when no key matches. Precedence per field as in the module docstring.
        """
        result: dict[str, tuple[int, str]] = {}
        for rule in self.ranked:
            if rule.matches(model):
                for name, value in rule.fields.items():
                    result.setdefault(name, (value, rule.key))
        return {name: result[name] for name in RATE_LIMIT_FIELDS if name in result}

    def unknown_keys(self, models: Iterable[str]) -> list[str]:
        """Keys (in declaration order) that match none of ``models``."""
        known = list(dict.fromkeys(models))
        return [rule.key for rule in self.rules if not any(rule.matches(model) for model in known)]


def parse_policy(value: object, field_name: str = "rate_limits") -> RateLimitPolicy:
    """Validate a policy (a mapping, a JSON string or a rendered Python literal).

    :raises InvalidInputError: naming the offending entry, e.g.
        ``rate_limits['gpt-4o'].max_requests_per_1_minute``.
    """
    if isinstance(value, str):
        if not value.strip():
            raise InvalidInputError(field_name, "must be a non-empty mapping of model (or glob) to limits")
        value = _decode(field_name, value.strip())
    if not isinstance(value, Mapping):
        raise InvalidInputError(
            field_name, f"must be a mapping of model (or glob) to limits, got {type(value).__name__}"
        )
    if not value:
        raise InvalidInputError(field_name, "must be a non-empty mapping of model (or glob) to limits")
    rules: list[PolicyRule] = []
    for order, (key, fields) in enumerate(value.items()):
        where = f"{field_name}[{key!r}]"
        if not isinstance(key, str) or not key.strip():
            raise InvalidInputError(where, "must be a model name or glob (a non-empty string)")
        if any(c.isspace() for c in key):
            raise InvalidInputError(where, "a model name or glob cannot contain spaces")
        if control_character(key) is not None:
            raise InvalidInputError(where, "a model name or glob cannot contain control or format characters")
        if not isinstance(fields, Mapping) or not fields:
            raise InvalidInputError(
                where, f"must be a non-empty mapping of rate-limit field to integer, got {fields!r}"
            )
        checked: dict[str, int] = {}
        for name, number in fields.items():
            if not isinstance(name, str) or name not in RATE_LIMIT_FIELDS:
                raise InvalidInputError(
                    f"{where}.{name}" if isinstance(name, str) else f"{where}[{name!r}]",
                    f"is not a rate-limit field (known: {', '.join(RATE_LIMIT_FIELDS)})",
                )
            checked[name] = require_non_negative_int(f"{where}.{name}", number)
        rules.append(PolicyRule(key, checked, order))
    return RateLimitPolicy(tuple(rules))


def parse_project_ids(value: object, field_name: str = "project_ids") -> list[str] | None:
    """``None`` (not given), or a non-empty list of ids (a list, or its JSON rendering).

    Duplicates are dropped, order kept. A string must decode to a list: a template that
    rendered ``"None"`` or ``""`` is refused rather than read as "every project".
    """
    if value is None:
        return None
    if isinstance(value, str):
        if not value.strip():
            raise InvalidInputError(field_name, "must be a list of project ids (omit it to target every project)")
        value = _decode(field_name, value.strip())
    if not isinstance(value, list | tuple):
        raise InvalidInputError(field_name, f"must be a list of project ids, got {type(value).__name__}")
    if not value:
        raise InvalidInputError(field_name, "must name at least one project (omit it to target every active project)")
    ids = [require_id(f"{field_name}[{i}]", item) for i, item in enumerate(value)]
    return list(dict.fromkeys(ids))


def parse_name_pattern(value: object, field_name: str = "project_name_pattern") -> str | None:
    """``None``, or a non-empty glob on project names (kept as given, case-sensitive)."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(field_name, "must be a non-empty glob such as 'team-*'")
    return require_name(field_name, value)


def parse_flag(field_name: str, value: object) -> bool:
    """A boolean, or its rendering by a template (``"True"``/``"false"``)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidInputError(field_name, f"must be true or false, got {value!r}")


def select_projects(projects: Iterable[Mapping[str, Any]], pattern: str | None) -> list[tuple[str, str | None]]:
    """(id, name) of the projects whose name matches ``pattern`` (all of them if ``None``)."""
    selected = []
    for project in projects:
        name = project.get("name")
        if pattern is None or (isinstance(name, str) and fnmatchcase(name, pattern)):
            selected.append((str(project["id"]), name if isinstance(name, str) else None))
    return selected


# -- the plan --------------------------------------------------------------------------------


def project_label(project_id: str, name: str | None) -> str:
    """``project <name> (<id>)``, or ``project <id>`` when the name is not known."""
    return f"project {name} ({project_id})" if name else f"project {project_id}"


@dataclass
class LimitChange:
    """One rate limit whose values differ from the policy: what to send, and what happened."""

    project_id: str
    project_name: str | None
    model: str
    rate_limit_id: str
    fields: dict[str, tuple[Any, int]]
    """field -> (current value, wanted value), only the fields that differ."""
    status: ChangeStatus = "planned"
    error: str | None = None
    transient: bool = False
    """Whether the failure may go away on a retry (a 5xx), as opposed to a 4xx."""

    def updates(self) -> dict[str, int]:
        """The body of the update: only the differing fields, with their wanted values."""
        return {name: wanted for name, (_, wanted) in self.fields.items()}

    def describe(self) -> str:
        """``project <name> (<id>) <model>: max_requests_per_1_minute 10000 -> 500, ...``."""
        parts = ", ".join(f"{name} {current} -> {wanted}" for name, (current, wanted) in self.fields.items())
        return f"{project_label(self.project_id, self.project_name)} {self.model}: {parts}"

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "rate_limit_id": self.rate_limit_id,
            "fields": {name: {"from": current, "to": wanted} for name, (current, wanted) in self.fields.items()},
            "status": self.status,
        }
        if self.error is not None:
            body["error"] = self.error
        return body


@dataclass
class ProjectPlan:
    """What the policy means for one project (or why the project could not be read)."""

    project_id: str
    name: str | None
    changes: list[LimitChange] = field(default_factory=list)
    skipped_fields: dict[str, list[str]] = field(default_factory=dict)
    models: list[str] = field(default_factory=list)
    limits_checked: int = 0
    unchanged: int = 0
    error: str | None = None
    transient: bool = False
    """Whether the read failure may go away on a retry (a 5xx), as opposed to a 4xx."""

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "changes": [change.to_dict() for change in self.changes],
            "skipped_fields": {model: list(names) for model, names in self.skipped_fields.items()},
        }
        if self.error is not None:
            body["error"] = self.error
        return body


def _carried(limit: Mapping[str, Any], name: str) -> bool:
    value = limit.get(name)
    return isinstance(value, int) and not isinstance(value, bool)


def plan_project(
    policy: RateLimitPolicy, project_id: str, name: str | None, limits: Iterable[Mapping[str, Any]]
) -> ProjectPlan:
    """Compare one project's limits (as listed by the API) with the policy.

    A limit the policy does not touch is not checked. A checked limit is unchanged when
    every field it carries already has the wanted value; otherwise it gets one
    :class:`LimitChange` with only the differing fields. Fields the limit does not carry
    go to ``skipped_fields``.
    """
    plan = ProjectPlan(project_id, name)
    for limit in limits:
        model = str(limit.get("model") or "")
        if not model:
            continue
        plan.models.append(model)
        desired = policy.desired(model)
        if not desired:
            continue
        plan.limits_checked += 1
        skipped = [field_name for field_name in desired if not _carried(limit, field_name)]
        if skipped:
            plan.skipped_fields[model] = skipped
        differing = {
            field_name: (limit[field_name], wanted)
            for field_name, (wanted, _) in desired.items()
            if _carried(limit, field_name) and limit[field_name] != wanted
        }
        if differing:
            rate_limit_id = str(limit.get("id") or f"rl-{model}")
            plan.changes.append(LimitChange(project_id, name, model, rate_limit_id, differing))
        else:
            plan.unchanged += 1
    return plan


@dataclass
class SyncPlan:
    """The whole sync: every targeted project's plan, then the outcome of each write.

    Counts (see :meth:`counts`): ``limits_checked`` = ``unchanged`` + ``updated`` (or
    ``planned``) + failed writes; ``failed`` counts failed writes plus projects that could
    not be read (``failed_projects``).
    """

    policy: RateLimitPolicy
    dry_run: bool = False
    projects: list[ProjectPlan] = field(default_factory=list)
    unknown_models: list[str] = field(default_factory=list)

    def add_project(self, project_id: str, name: str | None, limits: Iterable[Mapping[str, Any]]) -> ProjectPlan:
        plan = plan_project(self.policy, project_id, name, limits)
        self.projects.append(plan)
        return plan

    def add_failed_project(
        self, project_id: str, name: str | None, error: str, *, transient: bool = False
    ) -> ProjectPlan:
        plan = ProjectPlan(project_id, name, error=error, transient=transient)
        self.projects.append(plan)
        return plan

    @property
    def read_projects(self) -> list[ProjectPlan]:
        return [p for p in self.projects if p.error is None]

    @property
    def failed_projects(self) -> list[ProjectPlan]:
        return [p for p in self.projects if p.error is not None]

    def changes(self) -> list[LimitChange]:
        """Every change, in project then listing order."""
        return [change for project in self.projects for change in project.changes]

    def find_unknown_models(self) -> list[str]:
        """Set and return :attr:`unknown_models` (empty if no project could be read:
        nothing is known then, and the failed reads are the error to report)."""
        read = self.read_projects
        self.unknown_models = (
            self.policy.unknown_keys(model for project in read for model in project.models) if read else []
        )
        return self.unknown_models

    def skipped_fields(self) -> dict[str, list[str]]:
        """model -> fields skipped in at least one project."""
        merged: dict[str, list[str]] = {}
        for project in self.projects:
            for model, names in project.skipped_fields.items():
                merged.setdefault(model, [])
                merged[model].extend(n for n in names if n not in merged[model])
        return merged

    def counts(self) -> dict[str, int]:
        changes = self.changes()
        failed_writes = sum(1 for c in changes if c.status == "failed")
        done: ChangeStatus = "planned" if self.dry_run else "updated"
        failed_projects = len(self.failed_projects)
        return {
            "projects": len(self.projects),
            "limits_checked": sum(p.limits_checked for p in self.projects),
            "unchanged": sum(p.unchanged for p in self.projects),
            done: sum(1 for c in changes if c.status == done),
            "failed": failed_writes + failed_projects,
            "failed_projects": failed_projects,
        }

    @property
    def failed(self) -> bool:
        return self.counts()["failed"] > 0

    @property
    def retry_may_help(self) -> bool:
        """Whether any failure was transient (a retry of the task may fix it)."""
        return any(p.transient for p in self.failed_projects) or any(
            c.transient for c in self.changes() if c.status == "failed"
        )

    def summary(self) -> str:
        """One line: ``Rate-limit sync: 5 projects, 60 limits checked: 50 unchanged, ...``."""
        counts = self.counts()
        done = "planned" if self.dry_run else "updated"
        title = "Rate-limit sync (dry run)" if self.dry_run else "Rate-limit sync"
        return (
            f"{title}: {counts['projects']} projects ({counts['failed_projects']} unreadable), "
            f"{counts['limits_checked']} limits checked: {counts['unchanged']} unchanged, "
            f"{counts[done]} {done}, {counts['failed'] - counts['failed_projects']} failed; "
            f"{len(self.unknown_models)} unknown models"
        )

    def failures(self) -> list[str]:
        """One line per failure: unreadable projects, then failed writes."""
        lines = [f"{project_label(p.project_id, p.name)}: {p.error}" for p in self.failed_projects]
        lines += [
            f"{project_label(c.project_id, c.project_name)} {c.model}: {c.error}"
            for c in self.changes()
            if c.status == "failed"
        ]
        return lines

    def failure_message(self) -> str:
        """The summary and the failures (at most 20 listed), for the task's error."""
        lines = self.failures()
        shown = lines[:_MAX_ERRORS_IN_MESSAGE]
        if len(lines) > len(shown):
            shown.append(f"... and {len(lines) - len(shown)} more (see the task log)")
        return self.summary() + "\n" + "\n".join(f"- {line}" for line in shown)

    def report(self) -> dict[str, Any]:
        """The JSON-able report the operator returns (see its docstring)."""
        return {
            "dry_run": self.dry_run,
            "projects": {p.project_id: p.to_dict() for p in self.projects},
            "counts": self.counts(),
            "unknown_models": list(self.unknown_models),
        }


def describe_unknown(policy: RateLimitPolicy, keys: Sequence[str]) -> str:
    """``'gpt-9' (no targeted project has this model), 'claude-*' (matches no model)``."""
    globs = {rule.key for rule in policy.rules if rule.is_glob}
    return ", ".join(
        f"{key!r} ({'matches no model' if key in globs else 'no targeted project has this model'})" for key in keys
    )
