"""The plugin's fixtures run here over the suite's spec-validated session emulator.

``sample_user_project/`` is a user's project, run by its own pytest in a subprocess (see
``test_sample_user_project.py``), never collected by this suite.
"""

from __future__ import annotations

import pytest

from airflow_provider_openai_projects.emulator.server import EmulatorServer

collect_ignore = ["sample_user_project"]


@pytest.fixture(scope="session")
def openai_admin_emulator_server(emulator_server: EmulatorServer) -> EmulatorServer:
    """Overrides the plugin's fixture (as a user may): its traffic is checked against the spec."""
    return emulator_server
