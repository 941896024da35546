"""The one exception type of the emulator and its wire format.

Every failure the emulated API reports is an :class:`ApiError`; the app renders it as the
spec's ``ErrorResponse``: ``{"error": {"message", "type", "param", "code"}}`` with all four
keys always present (``param`` and ``code`` may be ``null``).
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error response of the emulated API: HTTP status plus the spec's ``Error`` fields."""

    def __init__(
        self,
        status: int,
        message: str,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code

    def body(self) -> dict[str, Any]:
        """The JSON body of the error response."""
        return error_body(self.message, self.type, self.param, self.code)


def error_body(
    message: str, type: str = "invalid_request_error", param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """``{"error": {...}}`` with the four keys the spec's ``Error`` schema requires."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def not_found(kind: str, object_id: str, param: str | None = None) -> ApiError:
    """404 for an id that does not name an existing object of ``kind``."""
    return ApiError(404, f"No {kind} found with id '{object_id}'.", param=param)


def required_param(value: str | None, param: str) -> str:
    """``value``, or 400 "Missing required parameter" for a nullable body field left empty."""
    if value is None:
        raise ApiError(400, f"Missing required parameter: '{param}'.", param=param)
    return value
