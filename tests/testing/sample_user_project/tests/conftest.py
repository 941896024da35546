"""A throwaway Airflow home and metadata DB for the DAG tests (set before Airflow is imported)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="airflow-home-")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(Path(__file__).resolve().parents[1] / "dags")

import pytest


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """A migrated SQLite metadata DB: ``dag.test()`` records its run there."""
    from airflow.utils import db

    db.initdb()
