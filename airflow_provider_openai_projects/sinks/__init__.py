"""Key sinks: where operators put minted service-account keys (never XCom)."""

from airflow_provider_openai_projects.sinks.base import KeySink, StoredKey
from airflow_provider_openai_projects.sinks.memory import InMemoryKeySink
from airflow_provider_openai_projects.sinks.variable import VariableKeySink

__all__ = ["InMemoryKeySink", "KeySink", "StoredKey", "VariableKeySink"]
