"""The person an operator acts on never takes the place of the DAG's alert address."""

from __future__ import annotations

import pendulum
import pytest
from airflow.sdk import DAG

from airflow_provider_openai_projects.operators import (
    AddProjectUserOperator,
    InviteUserOperator,
    OffboardUserOperator,
    RemoveProjectUserOperator,
)
from airflow_provider_openai_projects.sensors import OrganizationUserSensor

ALERTS = "oncall@corp.example"

# Setting email alerts on tasks is deprecated in Airflow 3 (SmtpNotifier), but DAGs still do it.
pytestmark = pytest.mark.filterwarnings("ignore:Setting email:DeprecationWarning")


@pytest.fixture
def dag() -> DAG:
    return DAG("alerts", schedule=None, start_date=pendulum.datetime(2026, 1, 1), default_args={"email": ALERTS})


def test_default_args_alert_address_is_not_taken_for_the_person(dag: DAG) -> None:
    with dag:
        add = AddProjectUserOperator(task_id="add", project_id="proj_1", role="member", user_id="user-1")
        remove = RemoveProjectUserOperator(task_id="remove", project_id="proj_1", user_id="user-1")
        offboard = OffboardUserOperator(task_id="offboard", user_id="user-1")
    for op in (add, remove, offboard):
        assert op.user_email is None
        assert op.email == ALERTS


def test_the_person_given_explicitly_does_not_receive_the_alerts(dag: DAG) -> None:
    with dag:
        add = AddProjectUserOperator(task_id="add", project_id="proj_1", role="member", email="ada@example.com")
        invite = InviteUserOperator(task_id="invite", email="ada@example.com")
        wait = OrganizationUserSensor(task_id="wait", email="ada@example.com")
    for op in (add, invite, wait):
        assert op.user_email == "ada@example.com"
        assert op.email == ALERTS
