"""Write (or check) the fidelity tables of docs/emulator.md from tests/emulator/fidelity.

``python scripts/fidelity_table.py`` rewrites the part of ``docs/emulator.md`` between
``<!-- fidelity:begin -->`` and ``<!-- fidelity:end -->``: the statement counts, one row
per statement (its words, its spec locations, its status, the tests that hold it) and
the choices the emulator makes where the spec is silent. ``--check`` exits 1 when the
file differs from what it would write (``tests/emulator/fidelity`` runs that check).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "emulator.md"
BEGIN, END = "<!-- fidelity:begin -->", "<!-- fidelity:end -->"


def _tested() -> dict[str, list[str]]:
    """Import every test module of the suite, so each registers what it holds."""
    import tests.emulator.fidelity as suite
    from tests.emulator.fidelity.registry import TESTED

    for module in pkgutil.iter_modules(suite.__path__):
        if module.name.startswith("test_"):
            importlib.import_module(f"{suite.__name__}.{module.name}")
    return TESTED


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table() -> str:
    """The generated Markdown (without the markers)."""
    from tests.emulator.fidelity.statements import CHOICES, STATEMENTS, location_count

    tested = _tested()
    found = location_count()
    tested_count = sum(len(s.locations) for s in STATEMENTS if tested.get(s.key))
    holding = sum(len(s.locations) for s in STATEMENTS if tested.get(s.key) and s.status == "holds")
    lines = [
        f"Statements found: **{found}** (in {len(STATEMENTS)} rows below); tested: **{tested_count}**; "
        f"holding: **{holding}**; choices where the spec is silent: **{len(CHOICES)}**.",
        "",
        "| Statement | Spec location | Status | Test |",
        "|---|---|---|---|",
    ]
    for statement in STATEMENTS:
        where = "<br>".join(f"`{_cell(location)}`" for location in statement.locations)
        status = statement.status + (f": {statement.note}" if statement.note else "")
        tests = "<br>".join(f"`{name}`" for name in tested.get(statement.key, [])) or "none"
        lines.append(f'| "{_cell(statement.quote)}" (`{statement.key}`) | {where} | {status} | {tests} |')
    lines += [
        "",
        "Where the spec is silent, the emulator chooses:",
        "",
        "| Choice | What the emulator does |",
        "|---|---|",
    ]
    lines += [f"| `{choice.key}` | {_cell(choice.what)} |" for choice in CHOICES]
    return "\n".join(lines)


def rendered(document: str) -> str:
    """``document`` with the part between the markers replaced by :func:`table`."""
    head, begin, rest = document.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        raise SystemExit(f"{DOC}: the markers {BEGIN} and {END} are missing")
    return f"{head}{BEGIN}\n{table()}\n{END}{tail}"


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    current = DOC.read_text()
    wanted = rendered(current)
    if "--check" in argv:
        if wanted != current:
            print(f"{DOC} is out of date: run python scripts/fidelity_table.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(wanted)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
