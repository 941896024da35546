"""The README's "Operators and sensors" section: every class its table names can be imported
from a module that section names (a user copies those imports as written)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_every_operator_and_sensor_of_the_table_imports_from_a_module_the_section_names() -> None:
    text = section("Operators and sensors")
    first_cells = [line.split(" | ")[0] for line in text.splitlines() if line.startswith("| `")]
    classes = [name for cell in first_cells for name in re.findall(r"`(\w+(?:Operator|Sensor))\(", cell)]
    modules = [
        importlib.import_module(name)
        for name in dict.fromkeys(
            re.findall(r"\b(airflow_provider_openai_projects\.(?:operators|sensors)(?:\.\w+)*)\b", text)
        )
    ]
    assert len(classes) >= 20
    assert modules
    missing = [name for name in classes if not any(hasattr(module, name) for module in modules)]
    assert missing == [], f"the README names no module these can be imported from: {missing}"
