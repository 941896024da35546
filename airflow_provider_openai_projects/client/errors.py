"""Exceptions raised by the Admin API client.

Every error carries what a person needs to act on it (HTTP method and path, status, the
API's error ``type``, ``code``, ``param`` and ``message``, the ``x-request-id``) and never
an API key: the path holds only ids, and anything in the API's message that looks like a
key is redacted before it is stored.

``maybe_applied`` says whether a failed write may nevertheless have taken effect (a lost
response: 5xx, read timeout, dropped connection). Callers that create things must look
before trying again when it is true (docs/design.md, "Idempotency rules").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

_KEY_PATTERN = re.compile(r"sk-[^\s\"'`]{6,}[A-Za-z0-9]")
"""An OpenAI key: ``sk-`` and anything up to whitespace or a quote, whatever its alphabet
(ending on a letter or digit, so that a placeholder such as ``sk-admin-...`` stays)."""

MAX_FIELD_LENGTH = 300
"""The longest error field (message, type, param, code, request id) kept in an exception."""


def redact_keys(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every value of ``secrets`` replaced by ``***`` and anything shaped like
    an OpenAI key (``sk-`` up to whitespace or a quote, any alphabet) by ``sk-xxxx****abcd``.

    The kept prefix and last four characters are what OpenAI itself shows in
    ``redacted_value``; they identify a key without being usable.
    """
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return _KEY_PATTERN.sub(lambda m: f"{m.group(0)[:7]}****{m.group(0)[-4:]}", text)


def redact_field(value: object, secrets: Iterable[str] = ()) -> str | None:
    """One field of an API error or a response header as it may be shown: ``None`` if
    absent, else its text redacted (see :func:`redact_keys`) and cut to ``MAX_FIELD_LENGTH``."""
    if value is None or value == "":
        return None
    return redact_keys(str(value), secrets)[:MAX_FIELD_LENGTH]


class OpenAIAdminError(Exception):
    """Base class of every error the client raises."""

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        path: str | None = None,
        maybe_applied: bool = False,
        secrets: Iterable[str] = (),
    ) -> None:
        self.message = redact_keys(message, secrets)
        self.method = method
        self.path = path
        self.maybe_applied = maybe_applied
        super().__init__(self._text())

    def _text(self) -> str:
        where = f"{self.method} {self.path} -> " if self.method and self.path else ""
        return f"{where}{self.message}"


class ConfigurationError(OpenAIAdminError, ValueError):
    """The client was configured wrongly (base URL, key, retry settings). Nothing was sent."""


class InvalidInputError(OpenAIAdminError, ValueError):
    """An argument was rejected locally, before anything was sent. ``field`` names it."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        super().__init__(f"invalid {field}: {problem}")


class PaginationError(OpenAIAdminError):
    """A list endpoint returned a cursor that does not advance; paging stopped to avoid a loop."""


class APIResponseValidationError(OpenAIAdminError):
    """A 2xx response that is not what the endpoint returns (not JSON, not a JSON object,
    empty where an object is due). The request may have been applied (``maybe_applied``
    for writes); the response was not used."""


class ResponseTooLargeError(APIResponseValidationError):
    """A response body larger than the client's ``max_response_bytes``; refused while streaming."""


class ServerWaitTooLongError(OpenAIAdminError):
    """The API asked to wait (``Retry-After``) longer than the client's ``max_server_wait``.

    Not a :class:`RateLimitError`: nothing waits that long (no sleep, no deferral); the try
    fails with this error and the task's retries decide what happens next.
    """

    def __init__(self, message: str, *, method: str, path: str, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(message, method=method, path=path)


class APIConnectionError(OpenAIAdminError):
    """No HTTP response arrived (connection refused, dropped, TLS failure)."""


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read, or the whole-request deadline)."""


class APIStatusError(OpenAIAdminError):
    """The API answered with an error status; subclasses name the common ones."""

    status_code: int = 0

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        status_code: int,
        error_type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        maybe_applied: bool = False,
        secrets: Iterable[str] = (),
    ) -> None:
        self.status_code = status_code
        self.type = error_type
        self.code = code
        self.param = param
        self.request_id = request_id
        self.retry_after = retry_after
        super().__init__(message, method=method, path=path, maybe_applied=maybe_applied, secrets=secrets)

    def _text(self) -> str:
        text = f"{self.method} {self.path} -> {self.status_code} {self.type or 'error'}: {self.message}"
        details = [
            f"{name} {value}"
            for name, value in (("param", self.param), ("code", self.code), ("request id", self.request_id))
            if value
        ]
        return f"{text} ({', '.join(details)})" if details else text


class BadRequestError(APIStatusError):
    """400 or 422: the request was invalid; retrying the same request cannot help."""


class AuthenticationError(APIStatusError):
    """401: the key is missing, unknown or revoked."""


class PermissionDeniedError(APIStatusError):
    """403: the key is valid but may not do this (for example not an admin key)."""


class NotFoundError(APIStatusError):
    """404: the object does not exist (or no longer does)."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the current state."""


class RateLimitError(APIStatusError):
    """429: throttled. ``retry_after`` holds the server's hint in seconds, if it sent one."""


class ServerError(APIStatusError):
    """5xx: the API failed; a write may or may not have been applied (``maybe_applied``)."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: BadRequestError,
    429: RateLimitError,
}


def error_class_for(status_code: int) -> type[APIStatusError]:
    """The exception class for an HTTP error status."""
    if status_code >= 500:
        return ServerError
    return _BY_STATUS.get(status_code, APIStatusError)


def error_from_response(
    *,
    method: str,
    path: str,
    status_code: int,
    headers: Mapping[str, str],
    body: bytes | str | None,
    retry_after: float | None = None,
    secrets: Iterable[str] = (),
) -> APIStatusError:
    """Build the exception for an error response.

    Reads the API's ``{"error": {"message", "type", "param", "code"}}`` body when there is
    one and falls back to the raw text (truncated) when there is not. A write that failed
    with a 5xx is marked ``maybe_applied``: the server may have applied it before failing.
    Every field shown (``message``, ``type``, ``param``, ``code``, the ``x-request-id``
    header) is redacted by value (``secrets``: the keys the client holds) and by shape
    (anything like ``sk-...``): an upstream that echoes the request's ``Authorization``
    header into any of them cannot put a key into the exception text.
    """
    error: dict[str, Any] = {}
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
        error = parsed["error"]
    secrets = tuple(secrets)
    message = redact_field(error.get("message") or text[:MAX_FIELD_LENGTH] or f"HTTP {status_code}", secrets)
    return error_class_for(status_code)(
        message or f"HTTP {status_code}",
        method=method,
        path=path,
        status_code=status_code,
        error_type=redact_field(error.get("type") or None, secrets),
        code=redact_field(error.get("code"), secrets),
        param=redact_field(error.get("param") or None, secrets),
        request_id=redact_field(headers.get("x-request-id"), secrets),
        retry_after=retry_after,
        maybe_applied=status_code >= 500 and method not in ("GET", "HEAD"),
        secrets=secrets,
    )


def decode_response(
    *,
    method: str,
    path: str,
    status_code: int,
    headers: Mapping[str, str],
    content: bytes,
    retry_after: float | None,
    secrets: Iterable[str] = (),
) -> dict[str, Any]:
    """The decoded JSON object of a successful response.

    Every Admin API endpoint answers a JSON object: anything else on a 2xx (an empty body,
    a 204, ``null``, a list, text) is :class:`APIResponseValidationError` naming the
    endpoint. An error status, and any 1xx/3xx (a redirect is never followed: it could
    carry the key elsewhere; a 304 is not an answer), is the mapped
    :class:`APIStatusError`.
    """
    if not 200 <= status_code < 300:
        raise error_from_response(
            method=method,
            path=path,
            status_code=status_code,
            headers=headers,
            body=content,
            retry_after=retry_after,
            secrets=secrets,
        )
    maybe_applied = method not in ("GET", "HEAD")
    if not content:
        raise APIResponseValidationError(
            f"{status_code} response has no body; the endpoint returns a JSON object",
            method=method,
            path=path,
            maybe_applied=maybe_applied,
        )
    try:
        decoded = json.loads(content)
    except (ValueError, RecursionError):
        raise APIResponseValidationError(
            f"{status_code} response is not JSON; the endpoint returns a JSON object",
            method=method,
            path=path,
            maybe_applied=maybe_applied,
        ) from None
    if not isinstance(decoded, dict):
        raise APIResponseValidationError(
            f"{status_code} response is JSON {type(decoded).__name__}, not the JSON object the endpoint returns",
            method=method,
            path=path,
            maybe_applied=maybe_applied,
        )
    return decoded
