"""A small client of the OpenAI Admin API on plain ``requests`` (no Airflow import).

Usable on its own::

    from airflow_provider_openai_projects.client import OpenAIAdminClient

    with OpenAIAdminClient("sk-admin-...") as client:
        for project in client.list_projects():
            print(project["id"], project["name"])
"""

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
