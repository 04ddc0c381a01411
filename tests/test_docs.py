"""The kit is self-contained: its text cites only what the repository holds.

Rules checked here (the files are those of the repository, not of a pip
install):

1. **No file outside the repository is cited.**  No file under ``binkit/``,
   no notebook (every cell, outputs included), no ``docs/*.md`` and not
   ``README.md`` mentions ``shared/specs`` or ``shared/papers``: the design
   reasoning those development notes held is explained in ``docs/``.
2. **Package code and notebooks do not reach into the development
   environment.**  No file under ``binkit/`` and no notebook (every cell,
   outputs included) contains ``../shared``, ``/work/shared`` or a path built
   from a ``"shared"`` component (``... / "shared" / ...``).  Tests may, through
   their fixtures in ``tests/conftest.py``; they are not checked.
   ``README.md`` may contain ``../shared`` only as a value the reader passes
   in a shell command: inside a code span or a fenced code block, right after
   ``--data `` or ``BINKIT_DIBCO_ROOT=`` (so ``--data ../shared/data/dibco``
   is an example path, never a place binkit looks); ``/work/shared`` never.
3. **Every relative link resolves.**  Each markdown link ``[text](target)``
   or image in ``docs/**/*.md``, ``README.md`` and the notebooks' markdown cells
   that is not a URL points to an existing file or folder, relative to the file
   that holds it; an anchor ``#name`` (alone, or after a ``.md`` file) must be
   one of that file's headings (GitHub's rule: lower case, punctuation dropped,
   spaces to hyphens).
4. **docs/ cite code that exists.**  Every dotted ``binkit.<name>...`` in
   ``docs/**/*.md`` resolves (imported module, then attributes), and every
   repository path in backticks (``binkit/...``, ``tests/...``, optionally
   ``::test_name``) exists.
5. **The README is a front door.**  At most 200 lines; its first Python
   example runs as written (from a folder holding the checkout's ``data/``);
   every number of its results table is the one the saved
   ``benchmarks/bench_quality.py`` output (``docs/benchmarks/quality.txt``)
   printed for that method.
6. **The benchmarks page is generated.**  ``docs/benchmarks.md`` is exactly
   what ``tools/benchmarks_page.py build`` makes from ``docs/benchmarks/*.txt``,
   and every ``docs/**/*.md`` page is linked from the index ``docs/README.md``.
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_FILES = sorted(p for p in (ROOT / "binkit").rglob("*") if p.suffix in (".py", ".md", ".txt", ".json")
                       and "__pycache__" not in p.parts)
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
DOCS = sorted((ROOT / "docs").rglob("*.md"))
README_MAX_LINES = 200
README = ROOT / "README.md"

OUTSIDE_NOTES = re.compile(r"shared/(specs|papers)\b")
DEV_PATHS = re.compile(r"\.\./shared|/work/shared|[\"']shared[\"']")
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
CODE = re.compile(r"```.*?```|`[^`\n]+`", re.DOTALL)
SHELL_VALUE_PREFIXES = ("--data ", "BINKIT_DIBCO_ROOT=")


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _notebook_text(path: Path) -> str:
    """Every cell's source and outputs, as one text."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    parts = []
    for cell in nb["cells"]:
        parts.append("".join(cell["source"]))
        for out in cell.get("outputs", []):
            parts.append(json.dumps(out, ensure_ascii=False))
    return "\n".join(parts)


def _markdown_cells(path: Path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def _text(path: Path) -> str:
    return _notebook_text(path) if path.suffix == ".ipynb" else path.read_text(encoding="utf-8")


def _hits(pattern: re.Pattern, text: str) -> list[str]:
    lines = text.splitlines()
    return [line.strip()[:160] for line in lines if pattern.search(line)]


@pytest.mark.parametrize("path", [*PACKAGE_FILES, *NOTEBOOKS, *DOCS, README], ids=_rel)
def test_no_citation_of_files_outside_the_repository(path):
    hits = _hits(OUTSIDE_NOTES, _text(path))
    assert not hits, f"{_rel(path)} cites development notes outside the repository (explain it in docs/): {hits}"


@pytest.mark.parametrize("path", [*PACKAGE_FILES, *NOTEBOOKS], ids=_rel)
def test_package_and_notebooks_do_not_reach_into_the_development_environment(path):
    hits = _hits(DEV_PATHS, _text(path))
    assert not hits, f"{_rel(path)} refers to ../shared: {hits}"


def test_readme_mentions_shared_only_as_a_value_the_reader_passes():
    text = README.read_text(encoding="utf-8")
    assert "/work/shared" not in text
    in_code = [m.span() for m in CODE.finditer(text)]
    bad = []
    for m in re.finditer(r"\.\./shared", text):
        start = m.start()
        inside = any(a <= start < b for a, b in in_code)
        as_value = text[:start].endswith(SHELL_VALUE_PREFIXES)
        if not (inside and as_value):
            line = text.count("\n", 0, start) + 1
            bad.append(f"README.md:{line}: {text.splitlines()[line - 1].strip()}")
    assert not bad, bad


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(md: Path) -> set[str]:
    text = CODE.sub("", md.read_text(encoding="utf-8")) if md.suffix == ".md" else ""
    return {_slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, re.MULTILINE)}


def _links(path: Path) -> list[str]:
    text = _markdown_cells(path) if path.suffix == ".ipynb" else path.read_text(encoding="utf-8")
    text = CODE.sub("", text)  # a link written inside code is an example, not a link
    return [m.group(1) for m in LINK.finditer(text)]


def test_slug_follows_github():
    assert _slug("Part B: the DIBCO metrics, as binkit computes them") == \
        "part-b-the-dibco-metrics-as-binkit-computes-them"
    assert _slug("A3.1 The cell: inputs replace state") == "a31-the-cell-inputs-replace-state"


@pytest.mark.parametrize("path", [*DOCS, README, *NOTEBOOKS], ids=_rel)
def test_relative_links_point_to_existing_files(path):
    broken = []
    for target in _links(path):
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):  # https:, mailto:, attachment:
            continue
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists():
            broken.append(f"{target} (no file {dest})")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(f"{target} (no heading #{anchor} in {dest.name})")
        elif anchor and dest.is_dir():
            broken.append(f"{target} (an anchor into a folder)")
    assert not broken, f"{_rel(path)}: broken links {broken}"


def _resolve(dotted: str):
    parts = dotted.split(".")
    for k in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:k]))
        except ImportError:
            continue
        for name in parts[k:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(dotted)


@pytest.mark.parametrize("path", DOCS, ids=_rel)
def test_docs_cite_code_that_exists(path):
    text = path.read_text(encoding="utf-8")
    missing = []
    for dotted in sorted(set(re.findall(r"\bbinkit(?:\.[A-Za-z_]\w*)+", text))):
        dotted = dotted.rstrip(".")
        try:
            _resolve(dotted)
        except (ImportError, AttributeError) as exc:
            missing.append(f"{dotted} ({exc})")
    for rel, test in re.findall(r"`((?:binkit|tests|benchmarks|notebooks|docs)/[\w./-]*\w)(?:::(\w+))?`", text):
        file = ROOT / rel
        if not file.exists():
            missing.append(rel)
        elif test and not re.search(rf"^def {test}\b", file.read_text(encoding="utf-8"), re.MULTILINE):
            missing.append(f"{rel}::{test}")
    assert not missing, f"{_rel(path)} cites what does not exist: {missing}"


def test_docs_exist_and_are_indexed():
    index = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    pages = [p.relative_to(ROOT / "docs").as_posix() for p in DOCS if p != ROOT / "docs" / "README.md"]
    for name in ("hybrid_method.md", "gridlstm_reference.md", "user_guide.md", "install.md", "development.md",
                 "benchmarks.md", "methods/classical.md", "methods/gridlstm.md", "methods/hybrid.md"):
        assert name in pages, f"docs/{name} is missing"
    missing = [name for name in pages if f"]({name})" not in index]
    assert not missing, f"every docs/ page is linked from docs/README.md; not: {missing}"


def test_every_shipped_weight_set_has_a_model_card():
    import binkit.weights

    cards = {p.stem for p in (ROOT / "docs" / "models").glob("*.md")}
    shipped = {name for family in ("gridlstm", "hybrid") for name in binkit.weights.available(family)}
    assert shipped <= cards, f"weight sets without a card in docs/models/: {sorted(shipped - cards)}"


# --- the README as a front door ----------------------------------------------------------------------------


def test_readme_is_a_front_door():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; move detail into docs/"
    first_screen = "\n".join(lines[:80])
    for must in ("make lab", "make test", "binkit.binarize(", "binkit binarize", "binkit evaluate"):
        assert must in first_screen, f"{must!r} is not in the README's first screen"


def test_readme_python_example_runs(tmp_path, monkeypatch):
    """The first ``python`` block of the README runs as written, from a folder holding the checkout's data/."""
    block = re.search(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL).group(1)
    (tmp_path / "data").symlink_to(ROOT / "data", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "README.md", "exec"), {"__name__": "readme_example"})


def _markdown_rows(text: str) -> dict[str, list[str]]:
    """The rows of every markdown table in ``text``: first backticked name of the first cell -> the other cells."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        m = re.match(r"`([^`]+)`", cells[0]) if line.startswith("|") else None
        if m:
            rows.setdefault(m.group(1), cells[1:])
    return rows


def _header(text: str, first_cell: str) -> list[str]:
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == first_cell:
            return cells[1:]
    raise AssertionError(f"no table with a first column {first_cell!r}")


def test_readme_results_come_from_the_benchmark_record():
    readme = README.read_text(encoding="utf-8")
    section = readme.split("## Results", 1)[1].split("\n## ", 1)[0]
    record = (ROOT / "docs" / "benchmarks" / "quality.txt").read_text(encoding="utf-8")
    head_readme, head_record = _header(section, "method"), _header(record, "method")
    measured = _markdown_rows(record)
    shown = _markdown_rows(section)
    assert len(shown) >= 5, "the README's results table has rows"
    wrong = []
    for method, cells in shown.items():
        assert method in measured, f"README row {method!r} is not in docs/benchmarks/quality.txt"
        for column, value in zip(head_readme, cells):
            if value != measured[method][head_record.index(column)]:
                wrong.append(f"{method} {column}: README {value}, record {measured[method][head_record.index(column)]}")
    assert not wrong, wrong


# --- the benchmarks page ------------------------------------------------------------------------------------


def test_a_failed_benchmark_leaves_its_record_as_it_was(tmp_path, monkeypatch, project_script):
    page = project_script("tools/benchmarks_page.py")
    monkeypatch.setattr(page, "RECORDS", tmp_path)
    (tmp_path / "x.txt").write_text("the old record")
    # "python" runs as this interpreter; a run that fails after printing part of a table keeps the old record
    assert page.record("x", ["python", "-c", "import sys; print('half a table'); sys.exit(3)"]) == 3
    assert (tmp_path / "x.txt").read_text() == "the old record"
    assert page.record("x", ["python", "-c", "print('a whole table')"]) == 0
    assert "a whole table" in (tmp_path / "x.txt").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.txt"], "no temporary file is left"


def test_benchmarks_page_is_generated_from_the_records(project_script):
    page = project_script("tools/benchmarks_page.py")
    assert (ROOT / "docs" / "benchmarks" / "quality.txt").exists(), "the quality record is kept"
    assert (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8") == page.build(), \
        "docs/benchmarks.md is not what the records give: python tools/benchmarks_page.py build"
    for record in sorted((ROOT / "docs" / "benchmarks").glob("*.txt")):
        header, _ = page.read_record(record)
        for key in ("command", "date", "machine", "load"):
            assert header.get(key), f"{_rel(record)} has no {key!r} line"
