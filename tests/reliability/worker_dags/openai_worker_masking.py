"""A DAG that leaks on purpose, for ``tests/reliability/test_worker_masking.py``.

- ``rotate`` mints a service-account key; the default ``VariableKeySink`` stores it in the
  Airflow Variable ``openai_worker_masking_api_key``.
- ``leak_on_purpose`` reads that key back from the sink and the admin key from the
  connection, and writes both to its task log through the task logger, a plain stdlib
  logger and ``print``.
- ``consumer_reads_the_variable`` reads the key the way the provider's documentation tells
  consumers in tasks to (``VariableKeySink().load(name).value``) and logs it.

In a real worker every one of those values must show as ``***`` in the task log file.

Not an example: it lives in its own DAG bundle (this folder), never in ``dags_examples/``.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from airflow_provider_openai_projects.operators.rotation import RotateServiceAccountOperator

SECRET_VARIABLE = "openai_worker_masking_api_key"
CONN_ID = "openai_admin_default"
MARK = "LEAK-ON-PURPOSE"
"""Every leaking line starts with this, so the test finds each one in the log file."""


@dag(
    dag_id="openai_worker_masking",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={"project_id": Param("", type="string")},
)
def openai_worker_masking() -> None:
    rotate = RotateServiceAccountOperator(
        task_id="rotate",
        project_id="{{ params.project_id }}",
        service_account_name="worker-masking",
        secret_variable=SECRET_VARIABLE,
        verify_backoff=0,
    )

    @task
    def leak_on_purpose() -> str:
        import logging

        from airflow.sdk import BaseHook

        from airflow_provider_openai_projects.sinks.variable import VariableKeySink

        stored = VariableKeySink().load(SECRET_VARIABLE)
        assert stored is not None, "the rotation stored no key"
        admin_key = BaseHook.get_connection(CONN_ID).password
        task_log = logging.getLogger("airflow.task")
        task_log.info("%s minted key read back from the sink: %s", MARK, stored.value)
        task_log.info("%s admin key read from the connection: %s", MARK, admin_key)
        logging.getLogger("a.consumer").warning("%s stdlib logger: key=%s admin=%s", MARK, stored.value, admin_key)
        print(f"{MARK} print: key={stored.value} admin={admin_key}")
        return "logged"

    @task
    def consumer_reads_the_variable() -> str:
        import logging

        from airflow_provider_openai_projects.sinks import VariableKeySink

        stored = VariableKeySink().load(SECRET_VARIABLE)
        assert stored is not None
        value = stored.value
        logging.getLogger("airflow.task").info("%s consumer read the Variable: %s", MARK, value)
        return "logged"

    rotate >> [leak_on_purpose(), consumer_reads_the_variable()]


openai_worker_masking()
