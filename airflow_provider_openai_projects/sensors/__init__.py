"""Sensors of the OpenAI Admin API provider.

Each waits for one condition of the organization, by poking with the hook or, when
``deferrable`` (Airflow's ``[operators] default_deferrable`` by default), in the triggerer.
"""

from airflow_provider_openai_projects.sensors.api_key_usage import ApiKeyUsageSensor
from airflow_provider_openai_projects.sensors.organization_user import OrganizationUserSensor

__all__ = ["ApiKeyUsageSensor", "OrganizationUserSensor"]
