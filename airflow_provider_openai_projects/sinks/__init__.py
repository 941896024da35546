"""Key sinks: where operators put minted service-account keys (never XCom).

``AwsSecretsManagerKeySink`` is exported lazily: importing this package never imports boto3
(the optional ``aws`` extra).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_openai_projects.sinks.base import KeySink, StoredKey
from airflow_provider_openai_projects.sinks.memory import InMemoryKeySink
from airflow_provider_openai_projects.sinks.variable import VariableKeySink

if TYPE_CHECKING:
    from airflow_provider_openai_projects.sinks.aws_secrets_manager import AwsSecretsManagerKeySink

__all__ = ["AwsSecretsManagerKeySink", "InMemoryKeySink", "KeySink", "StoredKey", "VariableKeySink"]


def __getattr__(name: str) -> Any:
    if name == "AwsSecretsManagerKeySink":
        from airflow_provider_openai_projects.sinks.aws_secrets_manager import AwsSecretsManagerKeySink

        return AwsSecretsManagerKeySink
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
