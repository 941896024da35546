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
from collections.abc import Mapping
from typing import Any

_KEY_PATTERN = re.compile(r"sk-[A-Za-z0-9_\-]{8,}")


def redact_keys(text: str) -> str:
    """Replace anything shaped like an OpenAI key (``sk-...``) by ``sk-xxxx****abcd``.

    The kept prefix and last four characters are what OpenAI itself shows in
    ``redacted_value``; they identify a key without being usable.
    """
    return _KEY_PATTERN.sub(lambda m: f"{m.group(0)[:7]}****{m.group(0)[-4:]}", text)


class OpenAIAdminError(Exception):
    """Base class of every error the client raises."""

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        path: str | None = None,
        maybe_applied: bool = False,
    ) -> None:
        self.message = redact_keys(message)
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


class APIConnectionError(OpenAIAdminError):
    """No HTTP response arrived (connection refused, dropped, TLS failure)."""


class APITimeoutError(APIConnectionError):
    """The request timed out (connect or read)."""


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
    ) -> None:
        self.status_code = status_code
        self.type = error_type
        self.code = code
        self.param = param
        self.request_id = request_id
        self.retry_after = retry_after
        super().__init__(message, method=method, path=path, maybe_applied=maybe_applied)

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
) -> APIStatusError:
    """Build the exception for an error response.

    Reads the API's ``{"error": {"message", "type", "param", "code"}}`` body when there is
    one and falls back to the raw text (truncated) when there is not. A write that failed
    with a 5xx is marked ``maybe_applied``: the server may have applied it before failing.
    """
    error: dict[str, Any] = {}
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
        error = parsed["error"]
    message = str(error.get("message") or text[:300] or f"HTTP {status_code}")
    code = error.get("code")
    return error_class_for(status_code)(
        message,
        method=method,
        path=path,
        status_code=status_code,
        error_type=str(error["type"]) if error.get("type") else None,
        code=str(code) if code is not None else None,
        param=str(error["param"]) if error.get("param") else None,
        request_id=headers.get("x-request-id"),
        retry_after=retry_after,
        maybe_applied=status_code >= 500 and method not in ("GET", "HEAD"),
    )


REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def decode_response(
    *,
    method: str,
    path: str,
    status_code: int,
    headers: Mapping[str, str],
    content: bytes,
    retry_after: float | None,
) -> Any:
    """The decoded JSON of a successful response (``None`` when empty); the mapped error
    for an error status or a redirect (never followed: it could carry the key elsewhere)."""
    if status_code >= 400 or status_code in REDIRECT_STATUSES:
        raise error_from_response(
            method=method, path=path, status_code=status_code, headers=headers, body=content, retry_after=retry_after
        )
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        raise OpenAIAdminError(f"{status_code} response is not JSON", method=method, path=path) from None
