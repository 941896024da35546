"""DAG files import the operators on every parse: that import must not pull in heavy modules.

(Time is measured in the benchmark; here we check what gets imported, which cannot flake.)
"""

from __future__ import annotations

from benchmarks import imports


def test_operators_and_sensors_import_no_http_client_yaml_or_emulator_at_parse_time() -> None:
    assert imports.heavy_modules_imported() == []
