"""DAG files import the operators on every parse: that import must not pull in heavy modules,
nor the modules only a running task needs (client configuration, retries, pacing,
key-generation rules, the execute-time domain rules, the org-file engine).

(Time is measured in the benchmark; here we check what gets imported, which cannot flake.)
"""

from __future__ import annotations

from benchmarks import imports


def test_operators_and_sensors_import_no_heavy_or_execute_time_module_at_parse_time() -> None:
    assert imports.parse_time_violations() == []
