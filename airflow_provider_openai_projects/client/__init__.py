"""A small client of the OpenAI Admin API on plain ``requests`` (no Airflow import).

Usable on its own::

    from airflow_provider_openai_projects.client import OpenAIAdminClient

    with OpenAIAdminClient("sk-admin-...") as client:
        for project in client.list_projects():
            print(project["id"], project["name"])

Names are imported lazily: importing only the errors (as operators do at DAG-parse time)
must not import ``requests``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_openai_projects.client.admin import OpenAIAdminClient
    from airflow_provider_openai_projects.client.errors import (
        APIConnectionError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        ConfigurationError,
        ConflictError,
        InvalidInputError,
        NotFoundError,
        OpenAIAdminError,
        PaginationError,
        PermissionDeniedError,
        RateLimitError,
        ServerError,
    )
    from airflow_provider_openai_projects.client.retry import RetryPolicy
    from airflow_provider_openai_projects.client.transport import DEFAULT_BASE_URL

_WHERE = {
    "OpenAIAdminClient": "admin",
    "RetryPolicy": "retry",
    "DEFAULT_BASE_URL": "transport",
    **{
        name: "errors"
        for name in (
            "APIConnectionError",
            "APIStatusError",
            "APITimeoutError",
            "AuthenticationError",
            "BadRequestError",
            "ConfigurationError",
            "ConflictError",
            "InvalidInputError",
            "NotFoundError",
            "OpenAIAdminError",
            "PaginationError",
            "PermissionDeniedError",
            "RateLimitError",
            "ServerError",
        )
    },
}

__all__ = [
    "DEFAULT_BASE_URL",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "InvalidInputError",
    "NotFoundError",
    "OpenAIAdminClient",
    "OpenAIAdminError",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "RetryPolicy",
    "ServerError",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
