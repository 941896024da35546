"""The README's hook table is the one generated from the endpoint table, row for row."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from airflow_provider_openai_projects.client import reference
from airflow_provider_openai_projects.client.endpoints import ENDPOINTS, Endpoint

README = Path(__file__).resolve().parents[2] / "README.md"
REGENERATE = "python -m airflow_provider_openai_projects.client.reference README.md"


def _generated_block(text: str) -> str:
    return text[text.index(reference.BEGIN) : text.index(reference.END) + len(reference.END)]


def test_the_readme_hook_table_is_the_generated_one() -> None:
    readme = README.read_text(encoding="utf-8")
    assert readme.count(reference.BEGIN) == 1, f"README.md must hold the marker {reference.BEGIN!r} once"
    assert readme.count(reference.END) == 1, f"README.md must hold the marker {reference.END!r} once"
    assert reference.render_into(readme) == readme, (
        f"README.md's hook table differs from the endpoint table; regenerate it with `{REGENERATE}`"
    )


def test_the_table_sits_in_the_hook_section() -> None:
    readme = README.read_text(encoding="utf-8")
    section = readme[readme.index("## The hook") :]
    section = section[: section.index("\n## ", 1)]
    assert reference.BEGIN in section
    assert reference.END in section


@pytest.mark.parametrize("row", ENDPOINTS, ids=lambda row: row.method_name)
def test_every_row_of_the_endpoint_table_is_one_table_row_with_three_cells(row: Endpoint) -> None:
    rendered = reference.row(row)
    # cells are separated by unescaped pipes; a `|` inside a signature is escaped
    cells = re.split(r"(?<!\\)\|", rendered)[1:-1]
    assert len(cells) == 3, rendered
    assert cells[0].strip().startswith(f"`{row.method_name}(")
    assert "(missing)" not in rendered
    assert cells[1].strip() == f"`{row.http_method} {row.route}`"


def test_the_generated_table_lists_every_endpoint_once_and_nothing_by_hand() -> None:
    block = _generated_block(README.read_text(encoding="utf-8"))
    method_rows = [line for line in block.splitlines() if line.startswith("| `")]
    assert method_rows == [reference.row(row) for row in ENDPOINTS]


def test_a_pipe_in_a_signature_is_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    class Fake:
        def list_projects(self, *, mode: str = "a|b") -> None: ...

    monkeypatch.setattr(reference, "AdminMethods", Fake)
    rendered = reference.signature(ENDPOINTS[0])
    assert rendered == "`list_projects(*, mode='a\\|b')`"


def test_render_into_replaces_only_the_text_between_the_markers() -> None:
    text = f"before\n{reference.BEGIN}\nstale\n{reference.END}\nafter\n"
    rendered = reference.render_into(text)
    assert rendered == f"before\n{reference.table()}\nafter\n"
    assert reference.render_into(rendered) == rendered


def test_main_rewrites_a_readme_in_place(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n{reference.BEGIN}\n{reference.END}\n", encoding="utf-8")
    assert reference.main([str(readme)]) == 0
    assert readme.read_text(encoding="utf-8") == f"# x\n{reference.table()}\n"
