"""Apache Airflow provider for the OpenAI Admin API.

Importing this package is cheap on purpose: Airflow calls :func:`get_provider_info`
in every component at start-up, and DAG files import from it on every parse.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

DISTRIBUTION_NAME = "airflow-provider-openai-projects"
CONN_TYPE = "openai_admin"
DEFAULT_CONN_ID = "openai_admin_default"


def get_provider_info() -> dict[str, Any]:
    """Describe the provider to Airflow (entry point ``apache_airflow_provider``).

    The connection form is declared here (``conn-fields`` and ``ui-field-behaviour``),
    not on the hook: Airflow 3.2+ reads these without importing the hook, and 3.3 reads
    only these. The dict is validated against Airflow's ``provider_info.schema.json``
    in the test suite, because an invalid one breaks every Airflow component.
    """
    integration = "OpenAI Admin API"
    return {
        "package-name": DISTRIBUTION_NAME,
        "name": "OpenAI Projects (Admin API)",
        "description": (
            "Automate an OpenAI organization through the OpenAI Admin API: projects, project "
            "members, service accounts and their keys, project API keys, per-model rate limits, "
            "invites and organization users."
        ),
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": integration,
                "external-doc-url": "https://platform.openai.com/docs/api-reference/administration",
                "tags": ["service"],
            }
        ],
        "hooks": [
            {
                "integration-name": integration,
                "python-modules": ["airflow_provider_openai_projects.hooks.admin"],
            }
        ],
        "operators": [
            {
                "integration-name": integration,
                "python-modules": [
                    f"airflow_provider_openai_projects.operators.{module}"
                    for module in (
                        "projects",
                        "project_users",
                        "groups",
                        "invites",
                        "offboarding",
                        "service_accounts",
                        "rotation",
                        "api_keys",
                        "rate_limits",
                        "org",
                        "org_approval",
                        "exports",
                        "hygiene",
                    )
                ],
            }
        ],
        "sensors": [
            {
                "integration-name": integration,
                "python-modules": [
                    "airflow_provider_openai_projects.sensors.organization_user",
                    "airflow_provider_openai_projects.sensors.api_key_usage",
                    "airflow_provider_openai_projects.sensors.audit_event",
                ],
            }
        ],
        "triggers": [
            {
                "integration-name": integration,
                "python-modules": [
                    "airflow_provider_openai_projects.triggers.organization_user",
                    "airflow_provider_openai_projects.triggers.api_key_usage",
                    "airflow_provider_openai_projects.triggers.audit_event",
                ],
            }
        ],
        "extra-links": ["airflow_provider_openai_projects.operators.links.OpenAIProjectLink"],
        "connection-types": [
            {
                "connection-type": CONN_TYPE,
                "hook-class-name": "airflow_provider_openai_projects.hooks.admin.OpenAIAdminHook",
                "hook-name": "OpenAI Admin API",
                "conn-fields": {
                    "timeout": {
                        "label": "Timeout (seconds)",
                        "description": "Read timeout of one HTTP request; connect timeout is 10 s.",
                        "schema": {"type": ["number", "null"], "default": 60, "minimum": 1},
                    },
                    "max_retries": {
                        "label": "Max retries",
                        "description": "Retries of a throttled or failed request that is safe to retry.",
                        "schema": {"type": ["integer", "null"], "default": 5, "minimum": 0},
                    },
                    "requests_per_minute": {
                        "label": "Requests per minute",
                        "description": (
                            "Client-side pacing per endpoint; empty for none. The Admin API throttles "
                            "each endpoint at a few requests per minute."
                        ),
                        "schema": {"type": ["number", "null"], "minimum": 0},
                    },
                    "rate_limit_backend": {
                        "label": "Shared rate-limit back-end",
                        "description": (
                            "Where every worker shares the pacing budget: sqlite:///<absolute path> (one host), "
                            "redis://, valkey:// or postgresql:// (many hosts). Empty: per process."
                        ),
                        "schema": {"type": ["string", "null"]},
                    },
                },
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port", "login", "extra"],
                    "relabeling": {"password": "Admin API key", "host": "Base URL"},
                    "placeholders": {
                        "password": "sk-admin-...",
                        "host": "https://api.openai.com/v1",
                    },
                },
            }
        ],
    }
