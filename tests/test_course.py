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
