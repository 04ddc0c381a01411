"""Course tooling: student and teacher editions of the notebooks, nbgrader, and run times.

The notebooks in ``notebooks/`` are the *master* copies, marked the way
`nbgrader <https://nbgrader.readthedocs.io>`_ marks a source assignment, so that
binkit's own editions and nbgrader's release come from the same marks:

* an exercise's **answer cell** is a code cell whose metadata holds
  ``{"nbgrader": {"solution": true, ...}}``.  Its first line is ``# HINT: ...``;
  then one line per name the check reads, set to ``None`` with a comment saying
  what to store (``step = None  # the step number``); then the model answer
  between ``### BEGIN SOLUTION`` and ``### END SOLUTION``.
* its **check cell**, right after it, has ``{"nbgrader": {"grade": true,
  "points": 1, ...}}``.  It starts with :func:`require` on the names the
  answer cell sets, so an unanswered exercise gives one line, "not done yet",
  and no traceback.  Exact answers are compared with :func:`check_answer` (a
  digest, not the value).  Checks that would show the answer or the method
  (recomputing the solution) go between ``### BEGIN HIDDEN TESTS`` and
  ``### END HIDDEN TESTS``: nbgrader runs them when it grades, the student
  never sees them.

What each edition holds:

* :func:`student_edition` does what ``nbgrader generate_assignment`` does to
  the cells' sources (the same marks, the same stub :data:`CODE_STUB`, the
  hidden tests removed), and clears the outputs of answer and check cells
  only: the lesson's figures stay, so the student edition reads like the book.
  The names set to ``None`` stay, so every check runs and says "not done yet".
* :func:`teacher_edition` is the master with its outputs, answers included.
* :func:`write_editions` writes both for a whole folder: ``make editions``.
* :func:`nbgrader_course` writes an nbgrader course folder (its
  ``nbgrader_config.py``, one source assignment per notebook) for teachers who
  grade on JupyterHub: ``python -m binkit.course --nbgrader DIR``.
* :func:`time_notebooks` runs notebooks top to bottom and reports the seconds
  each takes (``python -m binkit.course --time``, ``--time --full``).
* :func:`answer_digest` and :func:`check_answer` let a check cell test an
  exact answer without showing it: the check holds a short digest, not the
  value.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterable

from ._errors import InputError

__all__ = [
    "BEGIN_SOLUTION",
    "END_SOLUTION",
    "BEGIN_HIDDEN_TESTS",
    "END_HIDDEN_TESTS",
    "CODE_STUB",
    "HINT_MARK",
    "NotDoneYet",
    "WrongAnswer",
    "require",
    "answer_digest",
    "check_answer",
    "solution_cells",
    "check_cells",
    "exercise_problems",
    "student_edition",
    "teacher_edition",
    "write_editions",
    "nbgrader_config",
    "nbgrader_course",
    "time_notebooks",
]

#: The marks, as nbgrader spells them (its ``ClearSolutions`` and ``ClearHiddenTests``
#: look for the words after ``###`` anywhere in a line).
BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN_TESTS = "### BEGIN HIDDEN TESTS"
END_HIDDEN_TESTS = "### END HIDDEN TESTS"
#: What replaces a model answer in the student edition (and, through
#: :func:`nbgrader_config`, in nbgrader's release: ``ClearSolutions.code_stub``).
#: It does not raise: the names above it are set to ``None``, and the check says
#: "not done yet".
CODE_STUB = "# YOUR CODE HERE: set the names above, then run the check below."
HINT_MARK = "# HINT:"


# ---------------------------------------------------------------------------
# What a check cell calls
# ---------------------------------------------------------------------------

class NotDoneYet(AssertionError):
    """An exercise has no answer yet.  Jupyter shows it as one line, not a traceback.

    It is an ``AssertionError``, so nbgrader (and nbval) count the check as failed.
    """

    def _render_traceback_(self):          # IPython shows these lines instead of a traceback
        return [f"\x1b[1;33m{self}\x1b[0m"]


class WrongAnswer(AssertionError):
    """An answer is there but not the expected one (from :func:`check_answer`); shown as one line."""

    def _render_traceback_(self):
        return [f"\x1b[1;31m{self}\x1b[0m"]


def _unset(value) -> bool:
    return value is None or value is Ellipsis


def require(*names: str) -> None:
    """Raise :class:`NotDoneYet` unless every name is set (not ``None`` or ``...``) where the check runs.

    A check cell starts with ``require("step")``: a student who has not answered
    yet (the stub sets ``step = None``), or who deleted the stub's line, gets one
    line, ``not done yet: set `step` in the cell above ...``, instead of a
    ``NameError`` or a wrong-answer message.
    """
    frame = sys._getframe(1)
    scope = {**frame.f_globals, **frame.f_locals}
    missing = [n for n in names if _unset(scope.get(n))]
    if missing:
        listed = ", ".join(f"`{n}`" for n in missing)
        raise NotDoneYet(f"not done yet: set {listed} in the cell above (still None), run that cell, "
                         "then run this check again")


def _canonical(value, digits) -> str:
    """A stable text for ``value``: numbers rounded to ``digits`` decimals, text trimmed and lower-cased."""
    import numbers

    import numpy as np

    if isinstance(value, (str, bytes)):
        text = value.decode() if isinstance(value, bytes) else value
        return "s:" + " ".join(text.split()).lower()
    if isinstance(value, (bool, np.bool_)):
        return f"b:{bool(value)}"
    if isinstance(value, numbers.Integral):
        return f"i:{int(value)}"
    if isinstance(value, numbers.Real):
        x = float(value)
        if digits is None:
            raise InputError("a real-valued answer needs digits= (how many decimals must match)")
        x = round(x, digits) + 0.0           # + 0.0 turns -0.0 into 0.0
        return f"f:{x:.{digits}f}"
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, dict):
        return "d:{" + ",".join(f"{_canonical(k, digits)}={_canonical(v, digits)}"
                                for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))) + "}"
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return "l:[" + ",".join(_canonical(v, digits) for v in items) + "]"
    raise InputError(f"cannot make a digest of a {type(value).__name__}")


def answer_digest(value, *, digits: int | None = None) -> str:
    """A 12-character digest of an exercise's answer, for a check that must not show it.

    Parameters
    ----------
    value : int, float, bool, str, or a list/tuple/set/dict/ndarray of them
        The answer.  Text is compared trimmed and lower-cased; sets in any order.
    digits : int, optional
        Decimals that must match for real numbers (required when there are any).

    Examples
    --------
    >>> answer_digest(12864)
    '35a916f51235'
    >>> check_answer(201 * 64, '35a916f51235')
    """
    import hashlib

    return hashlib.sha256(_canonical(value, digits).encode()).hexdigest()[:12]


def check_answer(value, digest, *, digits: int | None = None, hint: str = "") -> None:
    """Raise :class:`WrongAnswer` (with ``hint``) unless ``value`` has the given :func:`answer_digest`.

    ``digest`` may be one digest or several (a list): an answer that depends on
    the data a notebook found (DIBCO or the synthetic fallback) has one digest
    per case, and any of them is accepted.  ``None`` or ``...`` raises
    :class:`NotDoneYet`.
    """
    if _unset(value):
        raise NotDoneYet("not done yet: the answer is still None; set it in the cell above and run it")
    accepted = {digest} if isinstance(digest, str) else set(digest)
    if answer_digest(value, digits=digits) not in accepted:
        raise WrongAnswer("not yet: this is not the expected answer" + (f" ({hint})" if hint else ""))


# ---------------------------------------------------------------------------
# The marks in a notebook
# ---------------------------------------------------------------------------

def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _marks(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _read(path) -> dict:
    from .io import read_json

    try:
        return read_json(path, "notebook")  # bad JSON, nesting too deep, a non-object: one line
    except InputError as exc:
        raise InputError(f"{exc} (not a readable notebook)") from None


def solution_cells(nb: dict) -> list[int]:
    """Indices of the answer cells: code cells marked ``nbgrader.solution``."""
    return [i for i, c in enumerate(nb["cells"]) if c.get("cell_type") == "code" and _marks(c).get("solution")]


def check_cells(nb: dict) -> list[int]:
    """Indices of the check cells: code cells marked ``nbgrader.grade`` (and not ``solution``)."""
    return [i for i, c in enumerate(nb["cells"])
            if c.get("cell_type") == "code" and _marks(c).get("grade") and not _marks(c).get("solution")]


def _replace_region(source: str, begin: str, end: str, stub: list[str] | None) -> tuple[str, bool]:
    """nbgrader's rule: the lines from one containing ``begin`` to one containing ``end`` give way to ``stub``.

    The stub keeps the indentation of the ``begin`` line; ``stub=None`` removes the region.
    """
    begin_word, end_word = begin.lstrip("# "), end.lstrip("# ")
    lines, out, inside, found = source.split("\n"), [], False, False
    for line in lines:
        if begin_word in line:
            if inside:
                raise InputError(f"nested '{begin}' in a cell")
            inside = found = True
            indent = re.match(r"\s*", line).group(0)
            out.extend(indent + s for s in (stub or []))
        elif end_word in line:
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise InputError(f"'{begin}' without '{end}' in a cell")
    return "\n".join(out), found


def exercise_problems(nb: dict) -> list[str]:
    """What is wrong with a notebook's exercise marks ([] when nothing).

    Every answer cell holds one solution region and is followed by its check cell;
    every check cell follows an answer cell; regions sit only in marked cells;
    ``grade_id`` values are unique.
    """
    problems, ids = [], set()
    cells = nb["cells"]
    solutions, checks = set(solution_cells(nb)), set(check_cells(nb))
    for i, cell in enumerate(cells):
        src = _source(cell)
        marks = _marks(cell)
        if marks:
            gid = marks.get("grade_id")
            if not gid or gid in ids:
                problems.append(f"cell {i}: grade_id {gid!r} missing or repeated")
            ids.add(gid)
        has_solution = "BEGIN SOLUTION" in src
        has_hidden = "BEGIN HIDDEN TESTS" in src
        if has_solution and i not in solutions:
            problems.append(f"cell {i}: a solution region in a cell not marked as a solution")
        if has_hidden and i not in checks:
            problems.append(f"cell {i}: hidden tests in a cell not marked as a check (grade) cell")
        if i in solutions and not has_solution:
            problems.append(f"cell {i}: an answer cell without '{BEGIN_SOLUTION}'")
        if i in solutions and (i + 1 not in checks):
            problems.append(f"cell {i}: an answer cell not followed by its check cell")
        if i in checks and (i - 1 not in solutions):
            problems.append(f"cell {i}: a check cell not right after an answer cell")
        if i in checks and marks.get("points") is None:
            problems.append(f"cell {i}: a check cell without points")
        try:
            _replace_region(src, BEGIN_SOLUTION, END_SOLUTION, [])
            _replace_region(src, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS, None)
        except InputError as exc:
            problems.append(f"cell {i}: {exc}")
    return problems


def _add_tag(cell: dict, tag: str) -> None:
    meta = cell.setdefault("metadata", {})
    meta["tags"] = sorted(set(meta.get("tags", [])) | {tag})


def student_edition(nb: dict) -> dict:
    """A copy of ``nb`` as a student gets it: answers replaced by :data:`CODE_STUB`, hidden tests removed.

    The cells' sources are those of ``nbgrader generate_assignment`` with
    :func:`nbgrader_config`; the outputs of answer and check cells are cleared
    (a check's committed "right" would sit under an empty answer), the lesson's
    outputs stay.  Answer cells are tagged ``exercise``, check cells ``check``.
    """
    out = copy.deepcopy(nb)
    solutions, checks = set(solution_cells(out)), set(check_cells(out))
    for i, cell in enumerate(out["cells"]):
        if cell.get("cell_type") != "code" or i not in solutions | checks:
            continue
        src = _source(cell)
        if i in solutions:
            src, found = _replace_region(src, BEGIN_SOLUTION, END_SOLUTION, CODE_STUB.split("\n"))
            if not found:                      # nbgrader's rule: a solution cell without a region is all answer
                src = CODE_STUB
            _add_tag(cell, "exercise")
        else:
            src, _ = _replace_region(src, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS, None)
            _add_tag(cell, "check")
        cell["source"] = src
        cell["outputs"] = []
        cell["execution_count"] = None
    return out


def teacher_edition(nb: dict) -> dict:
    """A copy of ``nb`` with its answers and hidden tests, answer cells tagged ``solution``."""
    out = copy.deepcopy(nb)
    for i in solution_cells(out):
        _add_tag(out["cells"][i], "solution")
    return out


def _write(nb: dict, path: Path) -> None:
    from .io import ensure_folder, write_text

    ensure_folder(path.parent, "notebook folder")
    text = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    write_text(path, text)


def _books(src) -> list[Path]:
    books = sorted(Path(src).glob("*.ipynb"))
    if not books:
        raise InputError(f"{src}: no notebooks")
    return books


def _checked(path: Path) -> dict:
    nb = _read(path)
    problems = exercise_problems(nb)
    if problems:
        raise InputError(f"{path}: exercise marks: {'; '.join(problems[:3])}")
    return nb


def write_editions(src="notebooks", student="student", teacher="teacher") -> dict[str, int]:
    """Write the student and teacher editions of every ``*.ipynb`` in ``src``.

    Returns
    -------
    dict
        Notebook name -> number of exercises with answers (and checks).
    """
    counts = {}
    for path in _books(src):
        nb = _checked(path)
        counts[path.name] = len(solution_cells(nb))
        _write(student_edition(nb), Path(student) / path.name)
        _write(teacher_edition(nb), Path(teacher) / path.name)
    return counts


# ---------------------------------------------------------------------------
# nbgrader
# ---------------------------------------------------------------------------

def nbgrader_config(*, course_id: str = "binkit", timeout: int = 3600) -> str:
    """The ``nbgrader_config.py`` of a binkit course folder.

    It sets binkit's stub (:data:`CODE_STUB`, which does not raise) and a cell
    timeout long enough for full mode; the gradebook is nbgrader's default, a
    SQLite file ``gradebook.db`` in the course folder.
    """
    return (
        "# nbgrader settings for the binkit course (python -m binkit.course --nbgrader).\n"
        "c = get_config()\n"
        f"c.CourseDirectory.course_id = {course_id!r}\n"
        f"c.ClearSolutions.code_stub = {{'python': {CODE_STUB!r}}}\n"
        f"c.Execute.timeout = {int(timeout)}\n"
    )


def nbgrader_course(dest, src="notebooks", *, names: Iterable[str] | None = None, assignment: str | None = None,
                    timeout: int = 3600) -> dict[str, list[str]]:
    """Write an nbgrader course folder: ``dest/nbgrader_config.py`` and ``dest/source/ASSIGNMENT/*.ipynb``.

    Parameters
    ----------
    dest : path
        The course folder (created).  Run nbgrader in it:
        ``nbgrader generate_assignment 00_start_here`` writes the student release
        to ``release/``, ``nbgrader autograde 00_start_here`` grades what is in
        ``submitted/STUDENT/00_start_here/``.
    src : path
        The master notebooks.
    names : iterable of str, optional
        Notebook file names to include (default: all).
    assignment : str, optional
        One assignment holding every notebook; by default each notebook is its
        own assignment, named after the file (``00_start_here``).

    Returns
    -------
    dict
        Assignment -> notebook file names.
    """
    from .io import ensure_folder, write_text

    dest = ensure_folder(dest, "course folder")
    books = _books(src)
    if names is not None:
        wanted = set(names)
        books = [b for b in books if b.name in wanted]
        if len(books) != len(wanted):
            raise InputError(f"{src}: no notebook named {sorted(wanted - {b.name for b in books})}")
    layout: dict[str, list[str]] = {}
    for path in books:
        _checked(path)
        name = assignment or path.stem
        folder = ensure_folder(dest / "source" / name, "assignment folder")
        shutil.copyfile(path, folder / path.name)
        layout.setdefault(name, []).append(path.name)
    write_text(dest / "nbgrader_config.py", nbgrader_config(timeout=timeout))
    return layout


# ---------------------------------------------------------------------------
# Run times
# ---------------------------------------------------------------------------

def time_notebooks(paths: Iterable, *, quick: bool = True, timeout: int = 1800) -> list[tuple[str, float, bool]]:
    """Execute notebooks one at a time (nbconvert, in a scratch copy) and time each.

    Returns
    -------
    list of (name, seconds, ok)
    """
    import tempfile

    env = {**os.environ, "MPLBACKEND": "Agg"}
    if quick:
        env["BINKIT_QUICK"] = "1"
    else:
        env.pop("BINKIT_QUICK", None)
    rows = []
    for path in paths:
        path = Path(path).resolve()
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                 f"--ExecutePreprocessor.timeout={timeout}", "--output-dir", tmp, str(path)],
                cwd=path.parent, env=env, capture_output=True, text=True)
            rows.append((path.name, time.perf_counter() - t, proc.returncode == 0))
    return rows


def main(argv=None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m binkit.course", description=__doc__.split("\n")[0])
    ap.add_argument("--src", default="notebooks")
    ap.add_argument("--student", default="student")
    ap.add_argument("--teacher", default="teacher")
    ap.add_argument("--nbgrader", metavar="DIR", help="write an nbgrader course folder to DIR instead")
    ap.add_argument("--time", action="store_true", help="time every notebook (quick mode) instead")
    ap.add_argument("--full", action="store_true", help="with --time: full mode, as a class would run them")
    args = ap.parse_args(argv)
    if args.time:
        rows = time_notebooks(sorted(Path(args.src).glob("*.ipynb")), quick=not args.full)
        width = max(len(r[0]) for r in rows)
        print(f"{'notebook':<{width}}  seconds  ok")
        for name, seconds, ok in rows:
            print(f"{name:<{width}}  {seconds:7.1f}  {'yes' if ok else 'FAILED'}")
        print(f"{'total':<{width}}  {sum(r[1] for r in rows):7.1f}")
        return 0 if all(r[2] for r in rows) else 1
    if args.nbgrader:
        layout = nbgrader_course(args.nbgrader, args.src)
        print(f"wrote an nbgrader course folder to {args.nbgrader}/ ({len(layout)} assignments). In it:")
        print("  nbgrader generate_assignment NAME    the student release, in release/NAME/")
        print("  nbgrader autograde NAME              grades submitted/STUDENT/NAME/ (gradebook.db)")
        return 0
    counts = write_editions(args.src, args.student, args.teacher)
    print(f"wrote {len(counts)} notebooks to {args.student}/ and {args.teacher}/ "
          f"({sum(counts.values())} exercises with answers and checks)")
    for name, n in counts.items():
        print(f"  {name}: {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
