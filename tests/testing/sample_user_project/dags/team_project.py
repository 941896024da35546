"""A user's DAG: create (or reuse) a team's project and invite a person, then wait until they join."""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag

from airflow_provider_openai_projects.operators import CreateProjectOperator, InviteUserOperator
from airflow_provider_openai_projects.sensors import OrganizationUserSensor


@dag(
    dag_id="team_project",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={"project": Param(type="string"), "email": Param(type="string")},
)
def team_project() -> None:
    project = CreateProjectOperator(task_id="create_project", name="{{ params.project }}")
    invite = InviteUserOperator(task_id="invite", email="{{ params.email }}", projects=[])
    member = OrganizationUserSensor(task_id="wait_until_member", email="{{ params.email }}", poke_interval=0.2)
    project >> invite >> member


team_project()
