"""Deferrable triggers of the OpenAI Admin API provider (they run in Airflow's triggerer).

Each polls one Admin API read with the asynchronous client until a condition holds and
then fires one event. They serialize with the classpath of their defining module.
"""

from airflow_provider_openai_projects.triggers.api_key_usage import ApiKeyUsageTrigger
from airflow_provider_openai_projects.triggers.organization_user import OrganizationUserTrigger

__all__ = ["ApiKeyUsageTrigger", "OrganizationUserTrigger"]
