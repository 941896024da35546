"""Validate every exchange with the emulator against OpenAI's vendored OpenAPI spec.

Two pieces, wired together in ``tests/conftest.py``:

- :class:`SpecRecordingMiddleware`, an ASGI layer put around the emulator's app with
  ``EmulatorServer(app_wrapper=...)``. It copies each ``/v1`` request (method, path,
  query, headers, body) and the response it got (status, headers, body) into a
  :class:`TrafficRecorder`, tagged with the pytest node id of the test that was running
  when the request arrived. It changes nothing on the wire and does no validation on
  the server's event loop, so injected latencies and client timeouts behave as without it.
- :class:`SpecValidator`, built once per session from ``tests/spec/openapi-admin.yaml``,
  turns recorded exchanges into :class:`Violation` s, in the test thread, at the end of
  each test:

  * requests to operations of the spec are validated with openapi-core (security,
    path and query parameters, body). Bodies are checked strictly: a field the spec does
    not declare is a violation (the real API answers "Unrecognized request argument");
    so is a query parameter the operation does not declare (``name[]`` counts as
    ``name``: the bracket form the official SDK sends for arrays; so does ``name[key]``,
    the deep-object form of an object parameter such as ``effective_at[gte]``). A request to a path
    or method outside the spec is a violation too.
  * responses are validated with openapi-core against the schema of their status when
    the operation documents it; any other error status (401, 403, 404, 429, 5xx,
    injected faults, requests outside the spec) must match the spec's ``ErrorResponse``
    (jsonschema, resolved within the document); a success status the spec does not
    document for the operation is a violation.
  * skipped: ``GET /v1/models`` (not an Admin API operation), paths outside ``/v1``
    (the ``/_emulator`` control API), and the response of a dropped connection (there
    is none; its request is still validated).

A test may opt out of *request* violations (it sends off-spec requests on purpose) with
``@pytest.mark.spec_violations_expected``; response violations are never excused.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl

import jsonschema  # type: ignore[import-untyped]
import yaml
from jsonschema_path import SchemaPath
from openapi_core import Config, OpenAPI
from openapi_core.casting.schemas import oas31_schema_casters_factory
from openapi_core.casting.schemas.factories import SchemaCastersFactory
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.datatypes import PathOperationServer
from openapi_core.templating.paths.exceptions import PathError
from openapi_core.templating.paths.finders import APICallPathFinder
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.validation.schemas import oas31_schema_validators_factory
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPEC_PATH = Path(__file__).resolve().parents[1] / "spec" / "openapi-admin.yaml"

#: The spec's server, as the validator sees it; the recorded requests are replayed
#: against this host whatever port the emulator listens on.
_HOST_URL = "http://emulator.invalid"
API_PREFIX = "/v1"
#: ``name[]`` (an array, as the SDK sends it) or ``name[key]`` (an object parameter such as
#: ``effective_at[gte]``, as the API and the SDK send it) counts as the parameter ``name``.
_DEEP_OBJECT = re.compile(r"\[[a-z_]*\]$")
#: Requests under ``/v1`` that are not Admin API operations and are not validated.
SKIPPED = frozenset({("GET", "/v1/models")})
#: jsonschema-path resolves ``$ref`` chains on every access unless told to cache them
#: (it does not by default); this bounds that cache.
_RESOLVED_CACHE_SIZE = 8192

Side = Literal["request", "response"]


@dataclass(frozen=True)
class Exchange:
    """One request to the emulator and the response it got (``status`` ``None``: no
    response was sent, the connection was dropped)."""

    test: str | None
    method: str
    path: str
    query_string: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    status: int | None = None
    response_headers: tuple[tuple[str, str], ...] = ()
    response_body: bytes = b""

    @property
    def target(self) -> str:
        return f"{self.method} {self.path}" + (f"?{self.query_string}" if self.query_string else "")


@dataclass(frozen=True)
class Violation:
    """What did not conform, on which side of which exchange, during which test."""

    test: str | None
    side: Side
    target: str
    status: int | None
    problems: tuple[str, ...]

    def __str__(self) -> str:
        answered = "no response" if self.status is None else str(self.status)
        details = "\n".join(f"      - {problem}" for problem in self.problems)
        return f"{self.side} of {self.target} (-> {answered}) does not match the spec:\n{details}"


class TrafficRecorder:
    """Exchanges recorded by the middleware, waiting to be validated; thread-safe.

    ``current_test`` is the node id stamped on exchanges as they start (set by pytest
    hooks, ``None`` between tests).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._exchanges: list[Exchange] = []
        self.current_test: str | None = None

    def record(self, exchange: Exchange) -> None:
        with self._lock:
            self._exchanges.append(exchange)

    def drain(self) -> list[Exchange]:
        """Every exchange recorded since the last drain, oldest first (and forget them)."""
        with self._lock:
            exchanges, self._exchanges = self._exchanges, []
        return exchanges

    def pending(self) -> list[Exchange]:
        """The exchanges :meth:`drain` would return, without taking them."""
        with self._lock:
            return list(self._exchanges)


class SpecRecordingMiddleware:
    """ASGI middleware recording each ``/v1`` exchange into ``recorder`` (module docstring).

    The request body is read here in full and replayed to the app; response messages are
    copied as they pass. An exchange is recorded when the app returns or raises.
    """

    def __init__(self, app: ASGIApp, recorder: TrafficRecorder) -> None:
        self.app = app
        self.recorder = recorder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        method: str = scope.get("method", "")
        if (
            scope["type"] != "http"
            or not (path == API_PREFIX or path.startswith(API_PREFIX + "/"))
            or (method, path) in SKIPPED
        ):
            await self.app(scope, receive, send)
            return
        test = self.recorder.current_test
        body = await _read_body(receive)
        status: int | None = None
        response_headers: tuple[tuple[str, str], ...] = ()
        chunks: list[bytes] = []

        async def copying_send(message: Message) -> None:
            nonlocal status, response_headers
            if message["type"] == "http.response.start":
                status = int(message["status"])
                response_headers = _decode_headers(message.get("headers", ()))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, _replay(body, receive), copying_send)
        finally:
            self.recorder.record(
                Exchange(
                    test=test,
                    method=method,
                    path=path,
                    query_string=scope.get("query_string", b"").decode("latin-1"),
                    headers=_decode_headers(scope.get("headers", ())),
                    body=body,
                    status=status,
                    response_headers=response_headers,
                    response_body=b"".join(chunks),
                )
            )


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


def _decode_headers(raw: Iterable[tuple[bytes, bytes]]) -> tuple[tuple[str, str], ...]:
    return tuple((name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in raw)


# -- validation ---------------------------------------------------------------------------


@dataclass
class _Request:
    """An exchange's request in the shape openapi-core reads (its ``Request`` protocol, plus
    ``path_pattern`` when the path is one of the spec's templates)."""

    method: str
    path: str
    body: bytes | None
    content_type: str
    parameters: RequestParameters
    path_pattern: str | None = None
    host_url: str = _HOST_URL


@dataclass(frozen=True)
class _Response:
    """An exchange's response in the shape openapi-core reads (its ``Response`` protocol)."""

    status_code: int
    content_type: str
    headers: Headers
    data: bytes | None


def load_spec_document(path: Path = SPEC_PATH) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document: dict[str, Any] = yaml.load(path.read_text(), Loader=loader)  # noqa: S506 (a safe loader)
    _map_discriminators(document, document["components"]["schemas"])
    return document


def _map_discriminators(node: Any, schemas: dict[str, Any]) -> None:
    """Give each ``discriminator`` without a ``mapping`` the mapping its ``oneOf`` implies.

    Without a mapping, OpenAPI reads the discriminating value as a schema *name*; the
    spec's ``UsageTimeBucket.results`` discriminate on ``object`` values such as
    ``organization.usage.completions.result``, each the single ``enum`` value of one
    member schema, which is what the mapping built here says. Without it no non-empty
    usage or costs result could be validated at all.
    """
    if isinstance(node, list):
        for item in node:
            _map_discriminators(item, schemas)
        return
    if not isinstance(node, dict):
        return
    discriminator, members = node.get("discriminator"), node.get("oneOf")
    if isinstance(discriminator, dict) and "mapping" not in discriminator and isinstance(members, list):
        mapping = {}
        for member in members:
            ref = member.get("$ref", "") if isinstance(member, dict) else ""
            values = (
                schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {}).get(discriminator["propertyName"], {})
            )
            if len(values.get("enum", [])) == 1:
                mapping[values["enum"][0]] = ref
        if len(mapping) == len(members):
            discriminator["mapping"] = mapping
    for value in node.values():
        _map_discriminators(value, schemas)


class _PathTemplates:
    """The spec's path templates as regexes: which template a concrete path is, and its
    variables. Templates with fewer variables win (``/users/me`` before ``/users/{id}``)."""

    def __init__(self, templates: Iterable[str]) -> None:
        compiled = []
        for template in templates:
            parts = re.split(r"(\{[^}/]+\})", template)
            names = [part[1:-1] for part in parts if part.startswith("{")]
            regex = "".join("([^/]+)" if part.startswith("{") else re.escape(part) for part in parts)
            compiled.append((len(names), template, names, re.compile(re.escape(API_PREFIX) + regex)))
        compiled.sort(key=lambda entry: entry[0])
        self._compiled = [(template, names, regex) for _, template, names, regex in compiled]

    def match(self, path: str) -> tuple[str, dict[str, str]] | None:
        for template, names, regex in self._compiled:
            found = regex.fullmatch(path)
            if found:
                return template, dict(zip(names, found.groups(), strict=True))
        return None


class _MemoValidatorsFactory:
    """openapi-core builds a jsonschema validator per schema per call (most of its cost);
    this keeps one per schema location (they hold no per-call state)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._cache: dict[tuple[Any, ...], Any] = {}

    def create(self, spec: Any, schema: Any, *args: Any, **kwargs: Any) -> Any:
        key = (str(schema), *map(id, args), *sorted((name, id(value)) for name, value in kwargs.items()))
        if key not in self._cache:
            self._cache[key] = self._inner.create(spec, schema, *args, **kwargs)
        return self._cache[key]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _memo_path_finder() -> type[APICallPathFinder]:
    """A path finder remembering its answers; requests carry their template as
    ``path_pattern``, so the same few URLs are looked up again and again."""
    found: dict[tuple[str, str], PathOperationServer] = {}

    class MemoPathFinder(APICallPathFinder):
        def find(self, method: str, name: str) -> PathOperationServer:
            key = (method, name)
            if key not in found:
                found[key] = super().find(method, name)
            return found[key]

    return MemoPathFinder


class SpecValidator:
    """Validates recorded exchanges against one OpenAPI document (compiled once).

    ``validate(exchanges)`` returns the violations; see the module docstring for the rules.
    openapi-core does the validating; what it would recompute per call is cached here
    (resolved ``$ref`` s, jsonschema validators per schema, path lookups by template),
    which makes an exchange cost well under a millisecond instead of several.
    """

    def __init__(self, document: dict[str, Any]) -> None:
        document = {**document, "servers": [{"url": _HOST_URL + API_PREFIX}]}
        self._templates = _PathTemplates(document["paths"])
        finder = _memo_path_finder()
        validators = _MemoValidatorsFactory(oas31_schema_validators_factory)
        # The vendored spec is checked against the OpenAPI meta-schema by the emulator's own
        # tests; skipping that here saves more than a second per session.
        common: dict[str, Any] = {
            "spec_validator_cls": None,
            "path_finder_cls": finder,
            "schema_validators_factory": validators,
            "schema_casters_factory": SchemaCastersFactory(
                validators,  # type: ignore[arg-type]
                oas31_schema_casters_factory.types_caster,
            ),
        }
        spec = SchemaPath.from_dict(document, resolved_cache_maxsize=_RESOLVED_CACHE_SIZE)
        self._requests = OpenAPI(spec, config=Config(**common, additional_properties_default_policy="forbid"))
        self._responses = OpenAPI(spec, config=Config(**common))
        self._finder = finder(self._requests.spec, base_url=None)
        self._query_parameter_cache: dict[tuple[str, str], frozenset[str]] = {}
        schemas = document["components"]["schemas"]
        self._error_schema = jsonschema.Draft202012Validator(
            {"$ref": "#/components/schemas/ErrorResponse", "components": {"schemas": schemas}}
        )

    @classmethod
    def from_path(cls, path: Path = SPEC_PATH) -> SpecValidator:
        return cls(load_spec_document(path))

    def validate(self, exchanges: Iterable[Exchange]) -> list[Violation]:
        violations: list[Violation] = []
        for exchange in exchanges:
            violations += self.violations(exchange)
        return violations

    def violations(self, exchange: Exchange) -> list[Violation]:
        """The request and response violations of one exchange (at most one of each)."""
        request = self._as_request(exchange)
        found: list[Violation] = []
        request_problems = self._request_problems(request)
        if request_problems:
            found.append(self._violation(exchange, "request", request_problems))
        if exchange.status is not None:
            response_problems = self._response_problems(request, exchange)
            if response_problems:
                found.append(self._violation(exchange, "response", response_problems))
        return found

    def operation(self, exchange: Exchange) -> str | None:
        """``"METHOD /template"`` of the spec operation the exchange's request matches, if any."""
        request = self._as_request(exchange)
        try:
            self._find(request)
        except PathError:
            return None
        return f"{exchange.method.upper()} {(request.path_pattern or '')[len(API_PREFIX) :]}"

    def _as_request(self, exchange: Exchange) -> _Request:
        query = parse_qsl(exchange.query_string, keep_blank_values=True)
        request = _Request(
            method=exchange.method.lower(),
            path=exchange.path,
            body=exchange.body or None,
            content_type=_header(exchange.headers, "content-type"),
            parameters=RequestParameters(query=ImmutableMultiDict(query), header=Headers(list(exchange.headers))),
        )
        matched = self._templates.match(exchange.path)
        if matched is not None:
            template, variables = matched
            request.path_pattern = API_PREFIX + template
            request.parameters.path = variables
        return request

    def _find(self, request: _Request) -> PathOperationServer:
        return self._finder.find(request.method, request.host_url + (request.path_pattern or request.path))

    @staticmethod
    def _violation(exchange: Exchange, side: Side, problems: Sequence[str]) -> Violation:
        return Violation(exchange.test, side, exchange.target, exchange.status, tuple(problems))

    def _request_problems(self, request: _Request) -> list[str]:
        problems = [_describe(error) for error in self._requests.iter_request_errors(request)]
        if problems:
            return problems
        return [
            f"query parameter {name!r} is not a parameter of this operation"
            for name in self._undeclared_query_parameters(request)
        ]

    def _undeclared_query_parameters(self, request: _Request) -> list[str]:
        declared = self._query_parameters(request)
        names = dict.fromkeys(request.parameters.query.keys())
        return [name for name in names if name not in declared and _DEEP_OBJECT.sub("", name) not in declared]

    def _query_parameters(self, request: _Request) -> frozenset[str]:
        """The query parameters the spec declares for the operation this request matches."""
        found = self._find(request)
        key = (str(found.path), request.method)
        if key not in self._query_parameter_cache:
            names = set()
            for owner in (found.path, found.operation):
                parameters = owner / "parameters"
                if parameters.exists():
                    names |= {(p / "name").read_str() for p in parameters if (p / "in").read_str() == "query"}
            self._query_parameter_cache[key] = frozenset(names)
        return self._query_parameter_cache[key]

    def _response_problems(self, request: _Request, exchange: Exchange) -> list[str]:
        status = exchange.status
        assert status is not None
        response = _Response(
            status_code=status,
            content_type=_header(exchange.response_headers, "content-type"),
            headers=Headers(list(exchange.response_headers)),
            data=exchange.response_body,
        )
        problems: list[str] = []
        for error in self._responses.iter_response_errors(request, response):
            if not isinstance(error, ResponseNotFound | PathError):
                problems.append(_describe(error))
            elif status < 400:
                undocumented = (
                    "the operation" if isinstance(error, ResponseNotFound) else "this request (not in the spec)"
                )
                problems.append(f"success status {status} is not documented for {undocumented}")
            else:
                problems += self._error_response_problems(exchange)
        return problems

    def _error_response_problems(self, exchange: Exchange) -> list[str]:
        """An error the spec does not document for the operation must be an ``ErrorResponse``."""
        try:
            body = json.loads(exchange.response_body)
        except ValueError:
            return [f"error body is not JSON: {exchange.response_body[:200]!r}"]
        return [
            f"ErrorResponse{''.join(f'[{part!r}]' for part in error.absolute_path)}: {error.message}"
            for error in self._error_schema.iter_errors(body)
        ]


def _header(headers: Sequence[tuple[str, str]], name: str) -> str:
    return next((value for key, value in headers if key == name), "")


def _describe(error: BaseException) -> str:
    """openapi-core's error and the schema errors underneath it, one line."""
    parts = [_one_line(error)]
    for cause in _causes(error):
        schema_errors = getattr(cause, "schema_errors", None)
        if schema_errors:
            parts += [
                f"{''.join(f'[{part!r}]' for part in e.absolute_path) or '<root>'}: {e.message}" for e in schema_errors
            ]
        elif cause is not error and _one_line(cause) not in parts[-1]:
            parts.append(_one_line(cause))
    return "; ".join(parts)


def _one_line(error: BaseException) -> str:
    name, text = type(error).__name__, str(error)
    return text if text.startswith(name) else f"{name}: {text}".rstrip(": ")


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def format_violations(violations: Sequence[Violation]) -> str:
    lines = [f"{len(violations)} exchange(s) with the emulator do not match tests/spec/openapi-admin.yaml:"]
    lines += [f"  [{violation.test or 'outside any test'}] {violation}" for violation in violations]
    return "\n".join(lines)


class SuiteConformance:
    """The suite-wide check: one recorder and one compiled validator per session.

    ``middleware`` is the ``app_wrapper`` of the session's emulator; :meth:`check_test`
    runs at the end of every test; :meth:`leftover_violations` at the end of the session.
    """

    def __init__(self, spec_path: Path = SPEC_PATH) -> None:
        self.spec_path = spec_path
        self.recorder = TrafficRecorder()
        self._validator: SpecValidator | None = None
        self._excused: set[str] = set()
        self._leftovers: list[Violation] = []
        self.validated = 0
        self.excused = 0
        self.seconds = 0.0

    @property
    def active(self) -> bool:
        """Whether a server records into this (the validator is compiled with the first)."""
        return self._validator is not None

    @property
    def validator(self) -> SpecValidator:
        if self._validator is None:
            self._validator = SpecValidator.from_path(self.spec_path)
        return self._validator

    def middleware(self, app: ASGIApp) -> ASGIApp:
        """The ``app_wrapper`` recording ``app``'s traffic (compiles the spec the first time)."""
        self.validator  # noqa: B018 (compile now, not during the first test)
        return SpecRecordingMiddleware(app, self.recorder)

    def check_test(self, test: str, *, request_violations_expected: bool) -> str | None:
        """Validate everything recorded so far; the failure message for ``test``, if any.

        Violations of other tests (a request that finished after its test ended) are kept
        for :meth:`leftover_violations`. With ``request_violations_expected`` the test's
        request violations are excused, but it must have at least one (else the marker is
        stale and that is the failure).
        """
        if request_violations_expected:
            self._excused.add(test)
        mine: list[Violation] = []
        for violation in self._validate_pending():
            (mine if violation.test == test else self._leftovers).append(violation)
        failures = [v for v in mine if not self._is_excused(v)]
        self.excused += len(mine) - len(failures)
        if failures:
            return format_violations(failures)
        if request_violations_expected and not any(v.side == "request" for v in mine):
            return (
                "marked spec_violations_expected, but every request this test sent matches the spec: "
                "remove the marker (it would hide a request violation introduced later)"
            )
        return None

    def leftover_violations(self) -> list[Violation]:
        """Violations not reported by :meth:`check_test` (traffic after its test ended)."""
        leftovers = [v for v in [*self._leftovers, *self._validate_pending()] if not self._is_excused(v)]
        self._leftovers = []
        return leftovers

    def _validate_pending(self) -> list[Violation]:
        exchanges = self.recorder.drain()
        if self._validator is None or not exchanges:
            return []
        started = time.perf_counter()
        try:
            return self._validator.validate(exchanges)
        finally:
            self.validated += len(exchanges)
            self.seconds += time.perf_counter() - started

    def summary(self) -> str:
        return (
            f"spec conformance: {self.validated} exchanges with the emulator validated against "
            f"{self.spec_path.name} in {self.seconds:.2f}s; "
            f"{self.excused} off-spec requests excused by spec_violations_expected"
        )

    def _is_excused(self, violation: Violation) -> bool:
        return violation.side == "request" and violation.test in self._excused
