"""Student and teacher editions of the notebooks (binkit.course)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from binkit.course import SOLUTION_MARK, solution_cells, student_edition, teacher_edition, write_editions

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
BOOKS = sorted(NOTEBOOKS.glob("*.ipynb"))


def _src(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


@pytest.mark.parametrize("path", BOOKS, ids=[p.name for p in BOOKS])
def test_every_solution_is_followed_by_its_check(path):
    """nbval runs the master notebooks, so each solution is executed right before the check that it must pass."""
    nb = json.loads(path.read_text())
    for i in solution_cells(nb):
        nxt = nb["cells"][i + 1] if i + 1 < len(nb["cells"]) else None
        assert nxt is not None and nxt["cell_type"] == "code" and "assert" in _src(nxt), (
            f"{path.name}: solution cell {i} is not followed by a check cell with an assert")


def test_student_stub_raises_with_hint_and_hides_the_answer():
    nb = {"cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "1. **Quick check.** How many steps?"},
        {"cell_type": "code", "metadata": {}, "execution_count": 3,
         "outputs": [{"output_type": "stream", "name": "stdout", "text": "12864\n"}],
         "source": f"{SOLUTION_MARK}\n# HINT: epochs times steps per epoch\nsteps = 201 * 64\nprint(steps)\n"},
        {"cell_type": "code", "metadata": {}, "execution_count": 4, "outputs": [], "source": "assert steps == 12864\n"},
    ]}
    student = student_edition(nb)
    stub = student["cells"][1]
    assert "201 * 64" not in _src(stub) and stub["outputs"] == [] and "exercise" in stub["metadata"]["tags"]
    with pytest.raises(NotImplementedError, match="Quick check: your turn. Hint: epochs times steps per epoch"):
        exec(_src(stub), {})
    assert student["cells"][2] == nb["cells"][2]          # the check stays
    assert nb["cells"][1]["outputs"]                       # the master is untouched
    teacher = teacher_edition(nb)
    assert _src(teacher["cells"][1]) == _src(nb["cells"][1]) and "solution" in teacher["cells"][1]["metadata"]["tags"]


def test_write_editions_for_the_course(tmp_path):
    counts = write_editions(NOTEBOOKS, tmp_path / "student", tmp_path / "teacher")
    assert sorted(counts) == [p.name for p in BOOKS]
    for path in BOOKS:
        student = json.loads((tmp_path / "student" / path.name).read_text())
        assert not solution_cells(student)
        for i in [i for i, c in enumerate(student["cells"]) if "exercise" in c["metadata"].get("tags", [])]:
            with pytest.raises(NotImplementedError):
                exec(_src(student["cells"][i]), {})
        teacher = json.loads((tmp_path / "teacher" / path.name).read_text())
        assert len(solution_cells(teacher)) == counts[path.name]


def _markdown(nb):
    return [_src(c) for c in nb["cells"] if c["cell_type"] == "markdown"]


@pytest.mark.parametrize("path", BOOKS, ids=[p.name for p in BOOKS])
def test_every_notebook_has_the_course_structure(path):
    """Title, goals and time; the shared setup cell; Summary, then Exercises (>= 2 solved); navigation links."""
    import re

    nb = json.loads(path.read_text())
    md = _markdown(nb)
    number = path.name[:2]
    head = md[0]
    assert re.search(rf"(?m)^# {number} · \S", head), f"{path.name}: no '# {number} · title' in the first cell"
    assert "**You will learn**" in head and re.search(r"\*\*Time:\*\* about \d+ minutes", head), path.name
    setup = _src(next(c for c in nb["cells"] if c["cell_type"] == "code"))
    for needed in ("# Setup: the same first cell in every notebook.", "runtime.seed_everything", "QUICK", "describe"):
        assert needed in setup, f"{path.name}: setup cell lacks {needed!r}"
    text = "\n".join(md)
    summary = text.find("\n## Summary")
    exercises = text.find("\n## Exercises")
    assert 0 < summary < exercises, f"{path.name}: needs '## Summary' then '## Exercises'"
    assert len(solution_cells(nb)) >= 2, f"{path.name}: fewer than two exercises with solutions"
    # navigation: previous / contents / next, at the top and at the bottom
    prev_nb = f"{int(number) - 1:02d}_" if number != "00" else None
    next_nb = f"{int(number) + 1:02d}_" if int(number) < len(BOOKS) - 1 else None
    for where, cell in (("top", head), ("bottom", md[-1])):
        assert "[Contents](00_start_here.ipynb)" in cell, f"{path.name}: no contents link at the {where}"
        for target in (prev_nb, next_nb):
            if target:
                assert re.search(rf"\]\({target}[a-z_]+\.ipynb\)", cell), (
                    f"{path.name}: no link to {target}* at the {where}")
    for target in re.findall(r"\]\((\d\d_[a-z_]+\.ipynb)\)", text):
        assert (NOTEBOOKS / target).is_file(), f"{path.name}: broken link to {target}"


def test_start_here_promises_every_notebook():
    nb = json.loads((NOTEBOOKS / "00_start_here.ipynb").read_text())
    text = "\n".join(_markdown(nb))
    for path in BOOKS[1:]:
        assert f"]({path.name})" in text, f"00_start_here does not list {path.name}"
