"""Course tooling: student and teacher editions of the notebooks, and their run times.

The notebooks in ``notebooks/`` are the *master* copies: every exercise's
solution is a code cell whose first line is ``# SOLUTION``, followed by a
code cell that checks it (asserts).  Optionally the solution cell holds a
line ``# HINT: ...``.

* :func:`student_edition` replaces each solution by a stub that raises
  ``NotImplementedError`` with the hint, and removes the solution's outputs
  (they would give the answer away).  The check cell stays, so a student knows
  when the exercise is done.
* :func:`teacher_edition` is the master with its outputs, solutions included.
* :func:`write_editions` writes both for a whole folder: ``make editions``.
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
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterable

from ._errors import InputError

__all__ = [
    "SOLUTION_MARK",
    "answer_digest",
    "check_answer",
    "HINT_MARK",
    "solution_cells",
    "student_edition",
    "teacher_edition",
    "write_editions",
    "time_notebooks",
]

SOLUTION_MARK = "# SOLUTION"
HINT_MARK = "# HINT:"


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _read(path) -> dict:
    from .io import read_json

    try:
        return read_json(path, "notebook")  # bad JSON, nesting too deep, a non-object: one line
    except InputError as exc:
        raise InputError(f"{exc} (not a readable notebook)") from None


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


def check_answer(value, digest: str, *, digits: int | None = None, hint: str = "") -> None:
    """Raise ``AssertionError`` (with ``hint``) unless ``value`` has the given :func:`answer_digest`."""
    if answer_digest(value, digits=digits) != digest:
        raise AssertionError("not yet: this is not the expected answer" + (f" ({hint})" if hint else ""))


def solution_cells(nb: dict) -> list[int]:
    """Indices of the solution cells (code cells whose first line is ``# SOLUTION``)."""
    return [i for i, c in enumerate(nb["cells"])
            if c.get("cell_type") == "code" and _source(c).lstrip().startswith(SOLUTION_MARK)]


def _exercise_title(nb: dict, index: int) -> str:
    """The exercise's bold title from the markdown above the solution, e.g. "Quick check"."""
    for cell in reversed(nb["cells"][:index]):
        if cell.get("cell_type") == "markdown":
            titles = re.findall(r"\*\*([^*]+?)\.?\*\*", _source(cell))
            return titles[-1] if titles else "Exercise"
    return "Exercise"


def _stub(nb: dict, index: int) -> str:
    src = _source(nb["cells"][index])
    hints = [line.split(HINT_MARK, 1)[1].strip() for line in src.splitlines() if HINT_MARK in line]
    hint = hints[0] if hints else "read the exercise above; the next cell checks your answer"
    title = _exercise_title(nb, index)
    message = f"{title}: your turn. Hint: {hint}"
    return (f"# EXERCISE ({title}): replace this cell with your solution, then run the check below.\n"
            f"# Hint: {hint}\n"
            f"raise NotImplementedError({message!r})\n")


def student_edition(nb: dict) -> dict:
    """A copy of ``nb`` with every solution replaced by a ``NotImplementedError`` stub."""
    out = copy.deepcopy(nb)
    for i in solution_cells(out):
        cell = out["cells"][i]
        cell["source"] = _stub(out, i)
        cell["outputs"] = []
        cell["execution_count"] = None
        cell.setdefault("metadata", {})["tags"] = sorted(set(cell["metadata"].get("tags", [])) | {"exercise"})
    return out


def teacher_edition(nb: dict) -> dict:
    """A copy of ``nb`` with its solutions, their cells tagged ``solution``."""
    out = copy.deepcopy(nb)
    for i in solution_cells(out):
        meta = out["cells"][i].setdefault("metadata", {})
        meta["tags"] = sorted(set(meta.get("tags", [])) | {"solution"})
    return out


def _write(nb: dict, path: Path) -> None:
    from .io import atomic_write, ensure_folder

    ensure_folder(path.parent, "notebook folder")
    text = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    atomic_write(path, lambda fh: fh.write(text.encode("utf-8")))


def write_editions(src="notebooks", student="student", teacher="teacher") -> dict[str, int]:
    """Write the student and teacher editions of every ``*.ipynb`` in ``src``.

    Returns
    -------
    dict
        Notebook name -> number of exercises with solutions.
    """
    src = Path(src)
    books = sorted(src.glob("*.ipynb"))
    if not books:
        raise InputError(f"{src}: no notebooks")
    counts = {}
    for path in books:
        nb = _read(path)
        counts[path.name] = len(solution_cells(nb))
        _write(student_edition(nb), Path(student) / path.name)
        _write(teacher_edition(nb), Path(teacher) / path.name)
    return counts


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
    counts = write_editions(args.src, args.student, args.teacher)
    print(f"wrote {len(counts)} notebooks to {args.student}/ and {args.teacher}/ "
          f"({sum(counts.values())} exercises with solutions)")
    for name, n in counts.items():
        print(f"  {name}: {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
