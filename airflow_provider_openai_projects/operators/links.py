"""Extra links from a task to the OpenAI dashboard."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

DASHBOARD = "https://platform.openai.com"
PROJECT_ID_XCOM_KEY = "project_id"


class OpenAIProjectLink(BaseOperatorLink):
    """Link to the project's settings page; reads the ``project_id`` XCom the task pushed."""

    name = "OpenAI project"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        from airflow.sdk import BaseXCom

        # At task end Airflow passes the running task instance, which has every field get_value reads.
        project_id = BaseXCom.get_value(ti_key=ti_key, key=PROJECT_ID_XCOM_KEY)  # type: ignore[arg-type]
        return f"{DASHBOARD}/settings/{project_id}/general" if project_id else ""
