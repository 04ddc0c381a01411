"""The guide's generated blocks (binkit.course_guide): the run-time table and the widget-latency sentence."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from binkit import InputError
from binkit.course_guide import NotebookTime, cell_times, latency_block, main, replace_block, times_block

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "notebooks" / "TEACHING.md"
MAKEFILE = ROOT / "Makefile"

GUIDE_TEXT = """# A guide

## Run times

<!-- generated: notebook-times (make notebook-times; do not edit by hand) -->
| notebook | seconds |
|---|---|
| 00 · Old | 1.0 |
<!-- end generated: notebook-times -->

Text after the table stays.
"""


def _notebook(cells):
    return {"nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "cells": [dict({"metadata": {}, "source": src, "cell_type": kind},
                           **({"outputs": [], "execution_count": None} if kind == "code" else {}))
                      for kind, src in cells]}


def _course(folder: Path, *, failing: bool = False) -> Path:
    """A tiny course: two notebooks with titles and numbered sections, one of them slow in section 2."""
    folder.mkdir()
    (folder / "00_first.ipynb").write_text(json.dumps(_notebook([
        ("markdown", "# 00 · First steps: a title\n\nText."),
        ("code", "import os\nprint(os.environ.get('BINKIT_QUICK'))"),
        ("markdown", "## 1. Quick  *(5 min)*"),
        ("code", "x = 1"),
        ("markdown", "## 2. Slow  *(5 min)*"),
        ("code", "import time\ntime.sleep(1.2)"),
    ])))
    (folder / "01_second.ipynb").write_text(json.dumps(_notebook([
        ("markdown", "# 01 · Second"),
        ("code", "raise RuntimeError('this notebook is broken')" if failing else "y = 2"),
    ])))
    return folder


def test_replace_block_keeps_everything_outside_the_markers():
    new = replace_block(GUIDE_TEXT, "notebook-times", "| a | b |\n")
    assert "00 · Old" not in new and "| a | b |\n<!-- end generated: notebook-times -->" in new
    assert new.startswith("# A guide\n\n## Run times\n\n<!-- generated: notebook-times (make notebook-times; do not")
    assert new.endswith("-->\n\nText after the table stays.\n")
    assert replace_block(new, "notebook-times", "| a | b |") == new          # idempotent


@pytest.mark.parametrize("text", [
    "no markers at all",
    "<!-- end generated: notebook-times -->\n<!-- generated: notebook-times -->\n",
    GUIDE_TEXT + GUIDE_TEXT,
    GUIDE_TEXT.replace("<!-- end generated: notebook-times -->", ""),
])
def test_replace_block_refuses_missing_repeated_or_swapped_markers(text):
    with pytest.raises(InputError, match="notebook-times"):
        replace_block(text, "notebook-times", "x")


def test_cell_times_per_section_from_the_execution_timestamps():
    nb = _notebook([("code", "a"), ("markdown", "## 1. One  *(3 min)*"), ("code", "b"), ("code", "c"),
                    ("markdown", "## 2. Two"), ("code", "d")])
    stamps = [("10:00:00", "10:00:02"), ("10:00:02", "10:00:03"), ("10:00:03", "10:00:10"), ("10:00:10", "10:00:11")]
    for cell, (a, b) in zip([c for c in nb["cells"] if c["cell_type"] == "code"], stamps):
        cell["metadata"]["execution"] = {"iopub.execute_input": f"2026-12-06T{a}.000000Z",
                                         "shell.execute_reply": f"2026-12-06T{b}.000000Z"}
    total, sections = cell_times(nb)
    assert total == pytest.approx(11.0)
    assert sections == [("§1 One", pytest.approx(8.0)), ("setup", pytest.approx(2.0)), ("§2 Two", pytest.approx(1.0))]
    assert cell_times(_notebook([("code", "a")])) == (None, [])


def test_times_block_names_conditions_and_failures():
    block = times_block(
        [NotebookTime("00_a.ipynb", "00 · A", 12.34, True, 10.0, [("§2 Slow", 8.0), ("setup", 1.5)]),
         NotebookTime("01_b.ipynb", "01 · B", 250.0, False, error="RuntimeError: broken")],
        quick=False, started="2026-12-07 06:00 UTC", load_start="0.05/0.10/0.20", load_end="1.00/0.50/0.30",
        machine="2 CPUs (x), no GPU", data="DIBCO data in /d, the organisers' reference files absent",
        command="make notebook-times")
    assert block.startswith("Measured 2026-12-07 06:00 UTC by `make notebook-times`: full mode")
    assert "load average (1/5/15 min) 0.05/0.10/0.20 at the start and 1.00/0.50/0.30 at the end" in block
    assert "| 00 · A | 12.3 | 10.0 | §2 Slow 8.0; setup 1.5 |" in block
    assert "| 01 · B | FAILED after 250 | | RuntimeError: broken |" in block
    assert block.splitlines()[-1].startswith("| all | 262 (4 min) | 10.0 (0 min) |")


def test_latency_block_summarises_the_bench_rows():
    rows = [{"notebook": "02_classical", "description": "window", "median_s": 0.30, "max_s": 0.41},
            {"notebook": "02_classical", "description": "k_wolf", "median_s": 0.20, "max_s": 0.25},
            {"notebook": "09_bspline_surface", "description": "height +", "median_s": 0.25, "max_s": 0.60}]
    text = latency_block(rows, quick=False, started="2026-12-07 06:00 UTC", load_start="0.10/0.20/0.30",
                         load_end="0.40/0.30/0.30", machine="2 CPUs (x), no GPU", data="DIBCO data in /d",
                         repeat=2)
    assert text.startswith("Measured 2026-12-07 06:00 UTC by `python benchmarks/bench_widgets.py --write-guide")
    assert "(full mode; 2 CPUs (x), no GPU; DIBCO data in /d; load average (1/5/15 min) 0.10/0.20/0.30" in text
    assert "each of the 3 controls in notebooks 02–09 was moved to another value and back 2 times" in text
    assert "Median over the controls **0.25 s**; the slowest control's median 0.30 s (02, window)" in text
    assert "per notebook, the slowest control's median: 02 0.30 s, 09 0.25 s" in text
    assert text.endswith("The single slowest response was 0.60 s (09, height +).")
    for r, cpu in zip(rows, (0.12, 0.10, 0.20)):
        r["cpu_median_s"] = cpu
    text = latency_block(rows, quick=False, started="x", load_start="9/9/9", load_end="9/9/9", machine="m",
                         data="d", repeat=2)
    assert text.endswith("on an idle core): median 0.12 s, slowest control 0.20 s (09, height +).")
    with pytest.raises(InputError):
        latency_block([], quick=False, started="", load_start="", load_end="", machine="", data="", repeat=2)


def test_make_notebook_times_runs_the_course_and_writes_the_guide(tmp_path, monkeypatch, capsys):
    """End to end on a tiny course: both notebooks run in full mode, and the table lands between the markers."""
    monkeypatch.setenv("BINKIT_QUICK", "1")        # --full must unset it for the notebooks
    src = _course(tmp_path / "course")
    guide = tmp_path / "TEACHING.md"
    guide.write_text(GUIDE_TEXT)
    assert main(["--src", str(src), "--full", "--write-guide", str(guide)]) == 0
    text = guide.read_text()
    block = text.split("-->\n", 1)[1].split("<!-- end generated")[0]
    assert "00 · Old" not in text and text.endswith("Text after the table stays.\n")
    assert re.search(r"^Measured \d{4}-\d\d-\d\d \d\d:\d\d UTC by `make notebook-times`: full mode", block)
    row = next(ln for ln in block.splitlines() if ln.startswith("| 00 · First steps |"))
    seconds, cells, where = (c.strip() for c in row.strip("|").split("|")[1:])
    assert float(cells) >= 1.2 and float(seconds) >= float(cells)
    assert where.startswith("§2 Slow 1.")                   # the sleeping section, with its own time
    assert re.search(r"^\| 01 · Second \| [\d.]+ \| [\d.]+ \| every cell under 1 s \|$", block, re.M)
    assert block.rstrip().splitlines()[-1].startswith("| all |")
    assert "wrote the table into" in capsys.readouterr().out


def test_a_failing_notebook_leaves_the_guide_alone(tmp_path, capsys):
    src = _course(tmp_path / "course", failing=True)
    guide = tmp_path / "TEACHING.md"
    guide.write_text(GUIDE_TEXT)
    assert main(["--src", str(src), "--full", "--write-guide", str(guide)]) == 1
    assert guide.read_text() == GUIDE_TEXT
    out = capsys.readouterr()
    assert "| 01 · Second | FAILED after" in out.out and "RuntimeError" in out.out
    assert "guide is left as it was" in out.err


def test_write_guide_needs_full_mode_every_notebook_and_the_markers(tmp_path, capsys):
    src = tmp_path / "course"
    src.mkdir()
    (src / "00_a.ipynb").write_text(json.dumps(_notebook([("code", "1")])))
    guide = tmp_path / "TEACHING.md"
    guide.write_text("no markers here\n")
    assert main(["--src", str(src), "--write-guide", str(guide)]) == 2             # quick mode
    assert main(["--src", str(src), "--full", "00", "--write-guide", str(guide)]) == 2  # a selection
    assert main(["--src", str(src), "--full", "--write-guide", str(guide)]) == 2    # no markers: before any run
    assert guide.read_text() == "no markers here\n"
    assert "notebook-times" in capsys.readouterr().err


def test_the_guide_and_the_makefile_use_the_writer():
    """TEACHING.md has one notebook-times block and one widget-latency block; make writes them with the scripts."""
    text = GUIDE.read_text(encoding="utf-8")
    for name in ("notebook-times", "widget-latency"):
        replace_block(text, name, "")                        # exactly one pair of markers each
    make = MAKEFILE.read_text(encoding="utf-8")
    target = re.search(r"(?ms)^notebook-times:.*?(?=^\S|\Z)", make).group(0)
    assert "-m binkit.course_guide " in target and "--full" in target and "--write-guide notebooks/TEACHING.md" in target
    lab = re.search(r"(?ms)^lab:.*?(?=^\S|\Z)", make).group(0)
    assert "--notebook-dir=." in lab or "--ServerApp.root_dir=." in lab
    assert "notebooks/00_start_here.ipynb" in lab


def _code(nb):
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in nb["cells"] if c["cell_type"] == "code"]


def test_the_no_data_line_of_every_notebook_is_whole(tmp_path, monkeypatch):
    """Without DIBCO data a notebook prints the start of load_dibco's error: that start is a whole sentence
    with the command that gets the data and the variable that points at it (issue 32: it was cut mid-word)."""
    from binkit.datasets import load_dibco, locations

    for var in ("BINKIT_DIBCO_ROOT", "BINKIT_DATA_HOME", "XDG_DATA_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(locations, "checkout_root", lambda: tmp_path / "a checkout with a long path" / "binkit")
    seen = 0
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for src in _code(json.loads(path.read_text(encoding="utf-8"))):
            cut = re.search(r"str\(err\)\[:(\d+)\]", src)
            call = re.search(r"load_dibco\((?:years=\[(\d+)\])?\)", src)
            if not (cut and call):
                continue
            seen += 1
            years = [int(call.group(1))] if call.group(1) else None
            with pytest.raises(FileNotFoundError) as info:
                load_dibco(years=years)
            msg = str(info.value)
            shown = msg[:int(cut.group(1))]
            assert "`binkit fetch-dibco " in shown and "BINKIT_DIBCO_ROOT" in shown, (path.name, shown)
            assert shown == msg or shown.endswith(".") or msg[len(shown)] == " ", \
                f"{path.name} prints {shown!r}: cut mid-word"
    assert seen >= 8
