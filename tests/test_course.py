"""Student and teacher editions of the notebooks (binkit.course), and the exercises' shape.

The master notebooks carry nbgrader's marks (see binkit.course): an answer cell
(``nbgrader.solution``) with ``### BEGIN SOLUTION`` / ``### END SOLUTION``,
followed by its check cell (``nbgrader.grade``).  tests/test_nbgrader.py runs
nbgrader itself on them; this file tests binkit's own editions, and runs the
student edition of every notebook top to bottom with its stubs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from binkit.course import (CODE_STUB, HINT_MARK, NotDoneYet, WrongAnswer, check_answer, check_cells,
                           exercise_problems, require, solution_cells, student_edition, teacher_edition,
                           write_editions)

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
BOOKS = sorted(NOTEBOOKS.glob("*.ipynb"))


def _src(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


ANSWER_MARKS = {"grade": False, "grade_id": "ex1-answer", "locked": False, "schema_version": 3, "solution": True}
CHECK_MARKS = {"grade": True, "grade_id": "ex1-check", "locked": True, "points": 1, "schema_version": 3,
               "solution": False}


@pytest.mark.parametrize("path", BOOKS, ids=[p.name for p in BOOKS])
def test_exercise_marks(path):
    """Every answer cell has its solution region and is followed by its check, which starts with require(...)."""
    nb = json.loads(path.read_text())
    assert exercise_problems(nb) == [], f"{path.name}: {exercise_problems(nb)}"
    for i in solution_cells(nb):
        check = _src(nb["cells"][i + 1])
        assert "require(" in check, f"{path.name}: check cell {i + 1} does not start with require(...)"
        assert "assert" in check or "check_answer(" in check, (
            f"{path.name}: check cell {i + 1} checks nothing (no assert, no check_answer)")


def _toy():
    return {"cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "1. **Quick check.** How many steps? Store them in `steps`."},
        {"cell_type": "code", "metadata": {"nbgrader": dict(ANSWER_MARKS)}, "execution_count": 3,
         "outputs": [{"output_type": "stream", "name": "stdout", "text": "12864\n"}],
         "source": "# HINT: epochs times steps per epoch\nsteps = None   # the number of Adam steps\n"
                   "### BEGIN SOLUTION\nsteps = 201 * 64\nprint(steps)\n### END SOLUTION"},
        {"cell_type": "code", "metadata": {"nbgrader": dict(CHECK_MARKS)}, "execution_count": 4,
         "outputs": [{"output_type": "stream", "name": "stdout", "text": "right\n"}],
         "source": "from binkit.course import check_answer, require\n\nrequire(\"steps\")\n"
                   "check_answer(steps, \"35a916f51235\")\n### BEGIN HIDDEN TESTS\nassert steps == 201 * 64\n"
                   "### END HIDDEN TESTS\nprint(\"right\")"},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_student_stub_keeps_the_names_and_hides_the_answer():
    nb = _toy()
    student = student_edition(nb)
    stub, check = student["cells"][1], student["cells"][2]
    assert _src(stub) == ("# HINT: epochs times steps per epoch\nsteps = None   # the number of Adam steps\n"
                          + CODE_STUB)
    assert "201" not in _src(stub) + _src(check) and "HIDDEN" not in _src(check)
    assert stub["outputs"] == [] == check["outputs"] and stub["execution_count"] is None
    assert "exercise" in stub["metadata"]["tags"] and "check" in check["metadata"]["tags"]
    scope = {}
    exec(_src(stub), scope)                                # the stub runs: it sets the name to None
    with pytest.raises(NotDoneYet, match="not done yet: set `steps` in the cell above"):
        exec(_src(check), scope)
    scope["steps"] = 12800
    with pytest.raises(WrongAnswer, match="not yet: this is not the expected answer"):
        exec(_src(check), scope)
    scope["steps"] = 12864
    exec(_src(check), scope)
    assert nb["cells"][1]["outputs"] and "201 * 64" in _src(nb["cells"][1])    # the master is untouched
    teacher = teacher_edition(nb)
    assert _src(teacher["cells"][1]) == _src(nb["cells"][1]) and "solution" in teacher["cells"][1]["metadata"]["tags"]
    assert _src(teacher["cells"][2]) == _src(nb["cells"][2])                     # hidden tests included


def test_not_done_yet_is_one_line_for_jupyter():
    """IPython shows an exception's _render_traceback_() instead of a traceback: one line each."""
    with pytest.raises(NotDoneYet) as err:
        require("no_such_name_anywhere")
    assert len(err.value._render_traceback_()) == 1 and "not done yet" in err.value._render_traceback_()[0]
    with pytest.raises(NotDoneYet):
        check_answer(None, "35a916f51235")
    with pytest.raises(WrongAnswer) as err:
        check_answer(1, "35a916f51235", hint="count again")
    assert len(err.value._render_traceback_()) == 1 and "count again" in str(err.value)
    assert isinstance(err.value, AssertionError)          # nbgrader and nbval count it as a failure
    check_answer(12864, ["000000000000", "35a916f51235"])  # one digest per data setting: any one is accepted
    ellipsis_answer = ...
    with pytest.raises(NotDoneYet, match="`ellipsis_answer`"):
        require("ellipsis_answer")


def test_marks_problems_are_found():
    nb = _toy()
    assert exercise_problems(nb) == []
    bad = _toy()
    bad["cells"][1]["source"] = bad["cells"][1]["source"].replace("### END SOLUTION", "")
    bad["cells"][2]["metadata"]["nbgrader"]["grade_id"] = "ex1-answer"
    problems = exercise_problems(bad)
    assert any("without" in p for p in problems) and any("repeated" in p for p in problems)
    lone = _toy()
    del lone["cells"][2]
    assert any("not followed by its check" in p for p in exercise_problems(lone))


def test_write_editions_for_the_course(tmp_path):
    counts = write_editions(NOTEBOOKS, tmp_path / "student", tmp_path / "teacher")
    assert sorted(counts) == [p.name for p in BOOKS]
    for path in BOOKS:
        student = json.loads((tmp_path / "student" / path.name).read_text())
        master = json.loads(path.read_text())
        assert solution_cells(student) == solution_cells(master)
        for i in solution_cells(student):
            text = _src(student["cells"][i])
            assert "BEGIN SOLUTION" not in text and CODE_STUB in text
            exec(text, {})                                 # a stub runs as it is: hint, names = None, a comment
        for i in check_cells(student):
            assert student["cells"][i]["outputs"] == [], f"{path.name}: check cell {i} keeps its output"
            assert "HIDDEN TESTS" not in _src(student["cells"][i])
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


# ---------------------------------------------------------------------------
# The exercises' shape (issue 17): where stubs sit, model answers, checks, hints
# ---------------------------------------------------------------------------
#
# An *exercise item* is a numbered line ``N. **Title.**`` in the markdown of a
# notebook's final ``## Exercises`` section.  A solution cell (first line
# marked ``nbgrader.solution``) in that section solves the item numbered last above it.  Items
# without a solution cell have a model answer in notebooks/TEACHING.md under the
# heading ``### NN exercise N`` (NN: the notebook's number).

import ast
import re

TEACHING = NOTEBOOKS / "TEACHING.md"
ITEM = re.compile(r"(?m)^(\d+)\. \*\*([^*]+?)\.?\*\*")
ANSWER_HEADING = re.compile(r"(?m)^### (\d\d) exercise (\d+)\s*$")


def _load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def _exercises_start(nb):
    """Index of the markdown cell that opens the last ``## Exercises`` section (None if there is none)."""
    starts = [i for i, c in enumerate(nb["cells"])
              if c["cell_type"] == "markdown" and re.search(r"(?m)^## Exercises\s*$", _src(c))]
    return starts[-1] if starts else None


def exercise_items(nb):
    """``{number: solution cell index or None}`` for every item of the final Exercises section."""
    start = _exercises_start(nb)
    if start is None:
        return {}
    items, last = {}, None
    solutions = set(solution_cells(nb))
    for i in range(start, len(nb["cells"])):
        cell = nb["cells"][i]
        if cell["cell_type"] == "markdown":
            text = _src(cell)
            if i == start:
                text = text[re.search(r"(?m)^## Exercises\s*$", text).end():]
            for m in ITEM.finditer(text):
                last = int(m.group(1))
                items.setdefault(last, None)
        elif i in solutions and last is not None:
            items[last] = i
    return items


def model_answers(text):
    """``{(notebook number, item): answer text}`` from TEACHING.md's ``### NN exercise N`` sections."""
    heads = list(ANSWER_HEADING.finditer(text))
    answers = {}
    for h, nxt in zip(heads, heads[1:] + [None]):
        end = nxt.start() if nxt else len(text)
        body = text[h.end():end]
        body = re.split(r"(?m)^#{1,3} ", body)[0]        # up to the next heading of level <= 3
        answers[(h.group(1), int(h.group(2)))] = body.strip()
    return answers


def _code(cell):
    """A code cell's source as Python (IPython magics and shell lines blanked)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in _src(cell).splitlines())


def _top_level_bindings(tree):
    """Names a cell binds at module level (assignments, defs, imports, loop and with targets)."""
    names = set()

    def targets(node):
        for n in ast.walk(node):
            if isinstance(n, ast.Name):
                names.add(n.id)

    def visit(stmts):
        for s in stmts:
            if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(s.name)
            elif isinstance(s, (ast.Import, ast.ImportFrom)):
                names.update((a.asname or a.name).split(".")[0] for a in s.names)
            elif isinstance(s, ast.Assign):
                for t in s.targets:
                    targets(t)
            elif isinstance(s, (ast.AugAssign, ast.AnnAssign)):
                targets(s.target)
            elif isinstance(s, (ast.For, ast.AsyncFor)):
                targets(s.target)
                visit(s.body + s.orelse)
            elif isinstance(s, (ast.With, ast.AsyncWith)):
                for item in s.items:
                    if item.optional_vars is not None:
                        targets(item.optional_vars)
                visit(s.body)
            elif isinstance(s, (ast.If, ast.While)):
                visit(s.body + s.orelse)
            elif isinstance(s, ast.Try):
                visit(s.body + s.orelse + s.finalbody + [x for h in s.handlers for x in h.body])
            elif isinstance(s, ast.Expr) and isinstance(s.value, ast.NamedExpr):
                targets(s.value.target)
    visit(tree.body)
    return names


def _loads(tree):
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def misplaced_stubs(nb):
    """Where the student edition of ``nb`` has a stub in the middle of the notebook; [] when none.

    The rule (``student_edition`` turns every answer cell into a stub that sets its names to None):

    1. A stub lies in the final ``## Exercises`` section, or at the *end* of a section:
       the cell after it is its check (a code cell) and the cell after that is the
       end of the notebook or a markdown cell opening a new ``#``/``##`` section.
    2. No later cell depends on it: no cell after its check, other than another
       stub, reads a name that only the solution binds (a name bound at the
       solution's top level and by no earlier cell).  A student who skips an
       exercise can still run everything after it.
    """
    student = student_edition(nb)
    cells = student["cells"]
    stubs = [i for i, c in enumerate(cells) if "exercise" in c.get("metadata", {}).get("tags", [])]
    start = _exercises_start(nb)
    problems = []
    for i in stubs:
        in_exercises = start is not None and i > start
        if not in_exercises:
            after = cells[i + 2] if i + 2 < len(cells) else None
            at_end = (i + 1 < len(cells) and cells[i + 1]["cell_type"] == "code"
                      and (after is None or (after["cell_type"] == "markdown"
                                             and re.match(r"#{1,2} ", _src(after).lstrip()))))
            if not at_end:
                problems.append(f"cell {i}: a stub in the middle of a section (not in the final ## Exercises)")
        earlier = set()
        for c in nb["cells"][:i]:
            if c["cell_type"] == "code":
                try:
                    earlier |= _top_level_bindings(ast.parse(_code(c)))
                except SyntaxError:
                    pass
        try:
            only_here = _top_level_bindings(ast.parse(_code(nb["cells"][i]))) - earlier
        except SyntaxError:
            continue
        for j in range(i + 2, len(cells)):
            if j in stubs or cells[j]["cell_type"] != "code":
                continue
            try:
                tree = ast.parse(_code(cells[j]))
                mine = (_top_level_bindings(ast.parse(_code(nb["cells"][j - 1])))
                        if j - 1 in stubs else set())          # a later check reads its own solution's names
            except SyntaxError:
                continue
            used = _loads(tree) & only_here - mine
            if used:
                problems.append(f"cell {j} needs {sorted(used)}, which only the exercise in cell {i} defines")
            only_here -= _top_level_bindings(tree)            # rebound here: later cells no longer need the stub
    return problems


# A check must not print the answer in plain sight.  The rule, for every check
# cell (the code cell right after a solution cell):
#
# * an ``==`` / ``!=`` comparison, or a tight tolerance band ``abs(a - b) < t``
#   (t at most 1 % of the constant), or a call to ``isclose`` / ``allclose``,
#   with a *constant operand*: a literal, or an expression made of literals only
#   (``26_450 / (512 * 768)``, ``[76.256, 4.256]``, ``{2: 1_656_932}``), is a
#   visible answer
# * unless every number in the constant is trivial (0, 1, True, False, None) or
#   is written in the exercise's own text (the markdown between the previous
#   exercise and the solution: "expected: 12864 and 21" gives those away
#   already), and every string in it is quoted in that text (the keys a dict
#   must have, "handwritten" or "printed"); any other string is an answer (a
#   method's name, a choice between two words).
#
# The rule reads the check cells of the *student* edition: hidden tests
# (``### BEGIN HIDDEN TESTS``) may recompute the answer, the student never sees them.
#
# Checks test exact answers with binkit.course.check_answer (a digest) or test a
# computed quantity against a band (``fm >= 88``, ``wrong < 1e-4``).

_NUMBER = re.compile(r"(?<![\w.])\d[\d,_]*(?:\.\d+)?")


def _numbers_in(text):
    out = set()
    for m in _NUMBER.finditer(text):
        raw = m.group(0).rstrip(",").replace(",", "").replace("_", "")
        try:
            out.add(float(raw))
        except ValueError:
            pass
    return out


def _constant_value(node):
    """The value of an expression built from literals only, else raise ValueError."""
    for n in ast.walk(node):
        if not isinstance(n, (ast.Constant, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.BinOp, ast.UnaryOp,
                              ast.operator, ast.unaryop, ast.expr_context)):
            raise ValueError("not a constant expression")
    return eval(compile(ast.Expression(node), "<check>", "eval"), {"__builtins__": {}})


def _leaves(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(k)
            yield from _leaves(v)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def _reveals(value, allowed, allowed_strings=frozenset()):
    for leaf in _leaves(value):
        if leaf is None or isinstance(leaf, bool):
            continue
        if isinstance(leaf, (str, bytes)):
            if leaf in allowed_strings:
                continue
            return True
        if isinstance(leaf, (int, float)) and leaf not in (0, 1) and float(leaf) not in allowed \
                and float(abs(leaf)) not in allowed:
            return True
    return False


def _try_constant(node):
    try:
        return True, _constant_value(node)
    except Exception:                    # not made of literals (or does not evaluate): not a literal answer
        return False, None


def visible_answers(check_source, exercise_text=""):
    """The answer literals a check cell shows (``[]`` when none), by the rule above."""
    allowed = _numbers_in(re.sub(r"(?m)^\s*\d+\. (?=\*\*)", "", exercise_text))   # not the item's own number
    quoted = set(re.findall(r'"([^"\n]+)"', exercise_text)) | set(re.findall(r"`([^`\n]+)`", exercise_text))
    tree = ast.parse(check_source)
    found = []

    def flag(node, value):
        found.append(f"line {node.lineno}: {ast.unparse(node)}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for k, op in enumerate(node.ops):
                pair = operands[k], operands[k + 1]
                if isinstance(op, (ast.Eq, ast.NotEq)):
                    for side in pair:
                        ok, value = _try_constant(side)
                        if ok and _reveals(value, allowed, quoted):
                            flag(node, value)
                            break
                elif isinstance(op, (ast.Lt, ast.LtE)):
                    left, right = pair
                    ok_t, tol = _try_constant(right)
                    if (ok_t and isinstance(tol, (int, float)) and isinstance(left, ast.Call)
                            and getattr(left.func, "id", getattr(left.func, "attr", "")) in ("abs", "fabs")
                            and left.args and isinstance(left.args[0], ast.BinOp)
                            and isinstance(left.args[0].op, ast.Sub)):
                        for side in (left.args[0].left, left.args[0].right):
                            ok, value = _try_constant(side)
                            if ok and isinstance(value, (int, float)) and _reveals(value, allowed, quoted) \
                                    and tol <= 0.01 * abs(value):
                                flag(node, value)
                                break
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name in ("isclose", "allclose", "assert_allclose", "assert_almost_equal", "assert_equal"):
                for arg in node.args[:2]:
                    ok, value = _try_constant(arg)
                    if ok and _reveals(value, allowed, quoted):
                        flag(node, value)
                        break
    return found


def _exercise_text(nb, index):
    """The markdown right above solution cell ``index``, back to the previous code cell."""
    parts = []
    for cell in reversed(nb["cells"][:index]):
        if cell["cell_type"] != "markdown":
            break
        parts.append(_src(cell))
    return "\n".join(reversed(parts))


def answer_leaks(nb):
    """Answer literals in the check cells a student sees (hidden tests removed)."""
    exercise_texts = {i: _exercise_text(nb, i) for i in solution_cells(nb)}
    nb = student_edition(nb)
    leaks = []
    for i in solution_cells(nb):
        if i + 1 < len(nb["cells"]) and nb["cells"][i + 1]["cell_type"] == "code":
            for hit in visible_answers(_code(nb["cells"][i + 1]), exercise_texts[i]):
                leaks.append(f"check cell {i + 1}: {hit}")
    return leaks


def missing_hints(nb):
    """Answer cells whose first line is not ``# HINT: <some words>``."""
    bad = []
    for i in solution_cells(nb):
        lines = [line.strip() for line in _src(nb["cells"][i]).strip().splitlines()]
        if not lines or not re.match(rf"{re.escape(HINT_MARK)}\s*\S.{{4,}}", lines[0]):
            bad.append(i)
    return bad


def _nb(*cells):
    """A notebook from (kind, text) pairs; kind "answer" and "check" are code cells with nbgrader's marks."""
    out = []
    for k, (kind, text) in enumerate(cells):
        cell = {"cell_type": "markdown" if kind == "markdown" else "code", "metadata": {}, "source": text}
        if kind != "markdown":
            cell.update(outputs=[], execution_count=None)
        if kind == "answer":
            cell["metadata"]["nbgrader"] = dict(ANSWER_MARKS, grade_id=f"c{k}-answer")
        elif kind == "check":
            cell["metadata"]["nbgrader"] = dict(CHECK_MARKS, grade_id=f"c{k}-check")
        out.append(cell)
    return {"cells": out, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _answer(hint, names, body):
    return "\n".join([f"# HINT: {hint}"] + [f"{n} = None" for n in names] + ["### BEGIN SOLUTION", body,
                                                                           "### END SOLUTION"])


# --- (a) no stub in the middle of a notebook ---------------------------------------------------

@pytest.mark.parametrize("path", BOOKS, ids=[p.name for p in BOOKS])
def test_student_edition_has_no_mid_notebook_stub(path):
    problems = misplaced_stubs(_load(path))
    assert not problems, f"{path.name}: {problems}"


def test_mid_notebook_stub_is_caught():
    sol = _answer("add them", ["total"], "total = 2 + 3")
    bad = _nb(("markdown", "## 1. Adding"), ("answer", sol), ("check", "require('total'); assert total > 4"),
              ("markdown", "More text in the same section."), ("code", "print(total)"),
              ("markdown", "## Exercises\n\n1. **Quick check.** x"))
    problems = misplaced_stubs(bad)
    assert any("middle of a section" in p for p in problems) and any("needs ['total']" in p for p in problems)
    ok = _nb(("markdown", "## 1. Adding"), ("answer", sol), ("check", "assert total > 4"),
             ("markdown", "## 2. Next"), ("code", "print(2)"),
             ("markdown", "## Exercises\n\n1. **Quick check.** x"), ("answer", sol), ("check", "assert total > 4"))
    assert misplaced_stubs(ok) == []


# --- (b) every exercise has a solution cell or a model answer ---------------------------------

def test_every_exercise_has_a_solution_or_a_model_answer():
    assert TEACHING.is_file(), "notebooks/TEACHING.md is missing"
    answers = model_answers(TEACHING.read_text(encoding="utf-8"))
    missing, empty, total = [], [], 0
    known = set()
    for path in BOOKS:
        items = exercise_items(_load(path))
        assert items, f"{path.name}: no numbered exercise items in its ## Exercises section"
        assert sorted(items) == list(range(1, len(items) + 1)), f"{path.name}: items not numbered 1..N: {sorted(items)}"
        for number, solution in items.items():
            total += 1
            key = (path.name[:2], number)
            known.add(key)
            if solution is None and key not in answers:
                missing.append(f"{key[0]} exercise {number}")
            elif solution is None and len(answers[key]) < 80:
                empty.append(f"{key[0]} exercise {number}")
    assert not missing, f"no solution cell and no '### NN exercise N' model answer in TEACHING.md: {missing}"
    assert not empty, f"model answers too short to be answers: {empty}"
    stray = sorted(set(answers) - known)
    assert not stray, f"TEACHING.md answers exercises that do not exist (renumbered?): {stray}"
    assert total >= 40


def test_exercise_items_and_model_answers_are_parsed():
    nb = _nb(("markdown", "## Exercises\n\n1. **Quick check.** a\n2. **Tweak.** b"),
             ("answer", _answer("h", ["x"], "x = 1")), ("check", "assert x"),
             ("markdown", "3. **Open question.** c"))
    assert exercise_items(nb) == {1: None, 2: 1, 3: None}
    text = "# Guide\n\n### 05 exercise 1\n\nThe answer is long enough.\n\n### 05 exercise 3\n\nAnother.\n\n## Next\n\nnot it"
    assert model_answers(text) == {("05", 1): "The answer is long enough.", ("05", 3): "Another."}


# --- (c) checks do not show the answer --------------------------------------------------------

@pytest.mark.parametrize("path", BOOKS, ids=[p.name for p in BOOKS])
def test_checks_show_no_answer_literal(path):
    leaks = answer_leaks(_load(path))
    assert not leaks, f"{path.name}: checks show the answer (use check_answer or a band): {leaks}"


def test_visible_answer_rule():
    assert visible_answers("assert step == 63")
    assert visible_answers("assert n_ink == 31_767 and round(fm, 2) == 91.01")
    assert visible_answers('assert closer_to == "handwritten"')
    assert visible_answers("assert share[2] == 1 - 4 / 256")
    assert visible_answers("assert totals == {2: 1_656_932, 4: 1_703_696}")
    assert visible_answers("assert abs(ink_share - 26_450 / (512 * 768)) < 1e-9")
    assert visible_answers("assert np.isclose(x, 0.525)")
    # numbers the exercise's text already gives, trivial constants, computed comparisons and bands are fine
    assert not visible_answers("assert adam_steps == 12864 and rounds == 21", "(expected: 12864 and 21)")
    assert not visible_answers("assert a.shape == b.shape and n == 0 and ok == True and x is None")
    assert not visible_answers("assert abs(mine - psnr(pred, gt)) < 1e-9")
    assert not visible_answers("assert fm_best >= 88 and wrong < 1e-4")
    assert not visible_answers("assert abs(fm - 88.0) < 5", "")          # a wide band is not the answer
    assert not visible_answers("check_answer(step, '35a916f51235', hint='count from 0')")
    nb = _nb(("markdown", "## Exercises\n\n7. **Quick check.** How many?"),
             ("answer", _answer("count", ["n"], "n = 7")), ("check", "assert n == 7"))
    assert answer_leaks(nb) == ["check cell 2: line 1: n == 7"]      # the item's number is not "given"
    hidden = _nb(("markdown", "7. **Quick check.** How many?"), ("answer", _answer("count", ["n"], "n = 7")),
                 ("check", "require('n')\n### BEGIN HIDDEN TESTS\nassert n == 7\n### END HIDDEN TESTS"))
    assert answer_leaks(hidden) == []                                  # hidden tests: the student never sees them
    assert not visible_answers('assert set(d) == {"none", "both"}', 'keys `"none"` and `"both"`')


# --- (d) every solution has a hint ------------------------------------------------------------

@pytest.mark.parametrize("path", BOOKS, ids=[p.name for p in BOOKS])
def test_every_solution_has_a_hint(path):
    bad = missing_hints(_load(path))
    assert not bad, f"{path.name}: answer cells {bad} do not start with a line '# HINT: ...'"


def test_missing_hint_is_caught():
    nb = _nb(("markdown", "1. **Quick check.** x"), ("answer", "x = None\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION"),
             ("answer", _answer("", ["x"], "x = 1")), ("answer", _answer("look at the table", ["x"], "x = 1")))
    assert missing_hints(nb) == [1, 2]


# --- (e) the student edition: every check reads names that exist, and says "not done yet" -----

import builtins  # noqa: E402

_KNOWN = set(dir(builtins)) | {"display", "get_ipython", "__file__"}


def _bound_anywhere(tree):
    """Every name a cell binds anywhere (assignments, loops, comprehensions, defs, args, imports, excepts)."""
    names = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            names.add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(n.name)
        elif isinstance(n, ast.arg):
            names.add(n.arg)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in n.names)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            names.add(n.name)
    return names


def _required(tree):
    return [a.value for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "require"
            for a in n.args if isinstance(a, ast.Constant)]


def undefined_check_names(nb):
    """Names a check cell of the student edition reads that no earlier cell (stubs included) defines."""
    student = student_edition(nb)
    checks = set(check_cells(student))
    bound, problems = set(), []
    for i, cell in enumerate(student["cells"]):
        if cell["cell_type"] != "code":
            continue
        try:
            tree = ast.parse(_code(cell))
        except SyntaxError:
            continue
        if i in checks:
            stub = ast.parse(_code(student["cells"][i - 1]))
            unset = set(_required(tree)) - _top_level_bindings(stub)
            if unset:
                problems.append(f"check cell {i} requires {sorted(unset)}, which the stub above does not set")
            missing = _loads(tree) - _bound_anywhere(tree) - bound - _KNOWN
            if missing:
                problems.append(f"check cell {i} reads {sorted(missing)}, which no earlier cell or stub defines")
        bound |= _top_level_bindings(tree)
    return problems


@pytest.mark.parametrize("path", BOOKS, ids=[p.name for p in BOOKS])
def test_checks_read_only_names_the_student_edition_defines(path):
    problems = undefined_check_names(_load(path))
    assert not problems, f"{path.name}: {problems}"


def test_undefined_check_names_are_caught():
    nb = _nb(("markdown", "1. **Quick check.** x"), ("answer", _answer("h", ["step"], "step = 63\nshare = 0.5")),
             ("check", "from binkit.course import require\nrequire('step', 'share')\nassert step + share > 0"))
    problems = undefined_check_names(nb)
    assert any("requires ['share']" in p for p in problems) and any("reads ['share']" in p for p in problems)


def _run_student_edition(path):
    """Execute the student edition of ``path`` top to bottom (quick mode, errors allowed) and return it."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.reads(json.dumps(student_edition(_load(path))), as_version=4)
    client = NotebookClient(nb, timeout=900, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()
    return nb


def _errors(cell):
    return [o for o in cell.get("outputs", []) if o["output_type"] == "error"]


@pytest.mark.slow
@pytest.mark.parametrize("path", BOOKS, ids=[p.name for p in BOOKS])
def test_student_edition_runs_top_to_bottom(path, monkeypatch):
    """The student edition with its stubs untouched: every lesson cell and stub runs without an error, and every
    check cell shows exactly one line, "not done yet" (no NameError, no traceback)."""
    monkeypatch.setenv("BINKIT_QUICK", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = _run_student_edition(path)
    checks = set(check_cells(nb))
    assert checks, f"{path.name}: no check cells"
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        errors = _errors(cell)
        if i in checks:
            outputs = cell["outputs"]
            assert len(outputs) == 1 and len(errors) == 1, (
                f"{path.name}: check cell {i} should show one 'not done yet' line, shows {outputs}")
            (err,) = errors
            assert err["ename"] == "NotDoneYet" and len(err["traceback"]) == 1, (path.name, i, err["ename"],
                                                                                 err["traceback"])
            assert "not done yet" in err["traceback"][0], (path.name, i, err["traceback"])
        else:
            assert not errors, (f"{path.name}: cell {i} fails in the student edition: "
                                f"{errors[0]['ename']}: {errors[0]['evalue']}")


# --- (f) open exercises have a rubric and expected observations in TEACHING.md ----------------

RUBRIC_HEADING = re.compile(r"(?m)^### Rubric · (\d\d) exercise (\d+)\b.*$")


def rubrics(text):
    """``{(notebook number, item): body}`` from TEACHING.md's ``## Exercise rubrics`` section."""
    start = re.search(r"(?m)^## Exercise rubrics\s*$", text)
    if not start:
        return {}
    section = text[start.end():]
    nxt = re.search(r"(?m)^## ", section)
    section = section[:nxt.start()] if nxt else section
    heads = list(RUBRIC_HEADING.finditer(section))
    return {(h.group(1), int(h.group(2))): section[h.end():(n.start() if n else len(section))].strip()
            for h, n in zip(heads, heads[1:] + [None])}


def test_every_open_exercise_has_a_rubric():
    found = rubrics(TEACHING.read_text(encoding="utf-8"))
    missing, thin, known = [], [], set()
    for path in BOOKS:
        for number, solution in exercise_items(_load(path)).items():
            key = (path.name[:2], number)
            known.add(key)
            if solution is None:
                if key not in found:
                    missing.append(f"{key[0]} exercise {number}")
                elif "**Expected observations.**" not in found[key] or "**Rubric" not in found[key]:
                    thin.append(f"{key[0]} exercise {number}")
    assert not missing, f"open exercises without a '### Rubric · NN exercise N' in TEACHING.md: {missing}"
    assert not thin, f"rubrics without '**Expected observations.**' and '**Rubric**': {thin}"
    assert not set(found) - known, f"rubrics for exercises that do not exist: {sorted(set(found) - known)}"
