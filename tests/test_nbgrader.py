"""The course in nbgrader's own pipeline: ``generate_assignment`` and ``autograde`` on a local SQLite gradebook.

The master notebooks carry nbgrader's marks (binkit.course).  This test builds a
course folder with :func:`binkit.course.nbgrader_course`, lets nbgrader make the
student release, checks that the release is binkit's student edition (the same
cell sources: one source of truth), submits the teacher edition (the masters)
and the untouched release as two students, autogrades both, and reads the
gradebook: full marks for the teacher, zero for the untouched release.

Every notebook is executed twice (quick mode), so CI runs two notebooks here and
``make test-course`` (``BINKIT_COURSE_ALL=1``) runs all of them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("nbgrader", reason="nbgrader is in the test extras: pip install -e '.[test]'")

from binkit.course import check_cells, nbgrader_course, solution_cells, student_edition  # noqa: E402

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CI_BOOKS = ["00_start_here.ipynb", "09_bspline_surface.ipynb"]     # two quick ones, with digests and hidden tests
ALL = os.environ.get("BINKIT_COURSE_ALL") == "1"
BOOKS = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) if ALL else CI_BOOKS
ASSIGNMENT = "binkit"


def _nbgrader(course: Path, *args: str) -> str:
    bin_dir = str(Path(sys.executable).parent)           # nbgrader runs `alembic` from the environment's bin
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
           "BINKIT_QUICK": "1", "MPLBACKEND": "Agg"}
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=3600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "ERROR" not in out, f"nbgrader {' '.join(args)} failed:\n{out[-4000:]}"
    return out


def _sources(nb: dict) -> list[tuple[str, str]]:
    return [(c["cell_type"], "".join(c["source"]) if isinstance(c["source"], list) else c["source"])
            for c in nb["cells"]]


@pytest.mark.slow
def test_nbgrader_round_trip(tmp_path):
    course = tmp_path / "course"
    layout = nbgrader_course(course, NOTEBOOKS, names=BOOKS, assignment=ASSIGNMENT)
    assert layout == {ASSIGNMENT: BOOKS}
    assert (course / "nbgrader_config.py").is_file()
    t0 = time.perf_counter()

    _nbgrader(course, "generate_assignment", ASSIGNMENT)
    release = course / "release" / ASSIGNMENT
    for name in BOOKS:
        master = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
        released = json.loads((release / name).read_text(encoding="utf-8"))
        assert _sources(released) == _sources(student_edition(master)), (
            f"{name}: nbgrader's release and binkit's student edition differ")
        assert not any(c.get("outputs") for c in released["cells"] if c["cell_type"] == "code")

    # two submissions: the teacher edition (the masters) and the release as a student received it
    for student, folder in (("teacher", course / "source" / ASSIGNMENT), ("student", release)):
        dest = course / "submitted" / student / ASSIGNMENT
        dest.mkdir(parents=True)
        for name in BOOKS:
            shutil.copyfile(folder / name, dest / name)
    _nbgrader(course, "autograde", ASSIGNMENT)
    seconds = time.perf_counter() - t0

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for name in BOOKS:
            notebook = name[:-len(".ipynb")]
            checks = len(check_cells(json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))))
            teacher = gb.find_submission_notebook(notebook, ASSIGNMENT, "teacher")
            student = gb.find_submission_notebook(notebook, ASSIGNMENT, "student")
            assert checks >= 2 and teacher.max_score == student.max_score == checks, (name, checks, teacher.max_score)
            lost = [g.name for g in teacher.grades if g.score != g.max_score]
            assert teacher.score == checks, f"{name}: the teacher edition loses points on {lost}"
            earned = [g.name for g in student.grades if g.score]
            assert student.score == 0, f"{name}: the untouched student release earns points on {earned}"
    # the untouched release says "not done yet" in every check, in one line
    for name in BOOKS:
        graded = json.loads((course / "autograded" / "student" / ASSIGNMENT / name).read_text(encoding="utf-8"))
        for i in check_cells(graded):
            (err,) = [o for o in graded["cells"][i]["outputs"] if o["output_type"] == "error"]
            assert err["ename"] == "NotDoneYet" and len(err["traceback"]) == 1, (name, i, err["ename"])
        assert len(solution_cells(graded)) == len(check_cells(graded))
    print(f"nbgrader round trip over {len(BOOKS)} notebooks: {seconds:.0f} s")
