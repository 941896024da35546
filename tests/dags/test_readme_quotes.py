"""The README quotes the example DAGs between their ``# [START howto_...]``/``# [END ...]`` markers, verbatim."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QUOTE = re.compile(r"<!-- quote: (?P<path>\S+) (?P<marker>\S+) -->\n```python\n(?P<code>.*?)```", re.DOTALL)


def marked(path: Path, marker: str) -> str:
    text = path.read_text()
    start = re.search(rf"^[ ]*# \[START {marker}\]\n", text, re.MULTILINE)
    end = re.search(rf"^[ ]*# \[END {marker}\]$", text, re.MULTILINE)
    assert start is not None, f"{path.name} has no START {marker} marker"
    assert end is not None, f"{path.name} has no END {marker} marker"
    return textwrap.dedent(text[start.end() : end.start()]).rstrip() + "\n"


def test_every_readme_quote_is_the_marked_part_of_its_dag_file() -> None:
    quotes = list(QUOTE.finditer((ROOT / "README.md").read_text()))
    assert quotes
    for quote in quotes:
        assert quote["code"] == marked(ROOT / quote["path"], quote["marker"])


def test_every_example_dag_marks_its_operators_wiring() -> None:
    for path in sorted((ROOT / "dags_examples").glob("openai_*.py")):
        assert re.search(r"# \[START howto_operator_\w+\]", path.read_text()), path.name
