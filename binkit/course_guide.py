"""The teacher guide's measured parts, written by scripts only: run times and widget latency.

``notebooks/TEACHING.md`` holds blocks between two marker comments::

    <!-- generated: notebook-times (make notebook-times) -->
    ...
    <!-- end generated: notebook-times -->

Nothing between the markers is written by hand:

* ``python -m binkit.course_guide --full --write-guide notebooks/TEACHING.md``
  (``make notebook-times``) runs every notebook top to bottom in a fresh
  kernel, one after another, and writes the run-time table
  (:func:`time_course`, :func:`times_block`);
* ``python benchmarks/bench_widgets.py --write-guide notebooks/TEACHING.md``
  writes the widget-latency sentence (block ``widget-latency``).

Each block says when, where and under what load it was measured, so a
reader can judge it.  Without ``--write-guide`` the scripts only print.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from ._errors import InputError

__all__ = [
    "NotebookTime",
    "latency_block",
    "machine_note",
    "replace_block",
    "run_notebook",
    "time_course",
    "times_block",
    "write_block",
]

_BEGIN = "<!-- generated: {name}"
_END = "<!-- end generated: {name} -->"


@dataclass
class NotebookTime:
    """One notebook's run: wall seconds (kernel start included), cell seconds, and where the time went."""

    name: str
    title: str
    seconds: float
    ok: bool
    cell_seconds: float | None = None
    #: (section heading, seconds of its code cells), slowest first
    sections: list[tuple[str, float]] = field(default_factory=list)
    error: str = ""


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _title(nb: dict, fallback: str) -> str:
    """``00 · Start here`` from the first heading ``# 00 · Start here: what ...``."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            m = re.search(r"(?m)^# (.+)$", _source(cell))
            if m:
                return m.group(1).split(":")[0].strip()
    return fallback


def _stamp(text: str) -> float:
    return _dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def cell_times(nb: dict) -> tuple[float | None, list[tuple[str, float]]]:
    """Seconds from the first code cell's start to the last one's end, and seconds per section.

    Read from the execution timestamps nbclient stores in each cell's
    metadata (``iopub.execute_input`` and ``shell.execute_reply``).  A
    section is the ``## N. Title`` heading above a cell (cells before the
    first one count as ``setup``).  Returns ``(None, [])`` when the cells
    carry no timestamps.
    """
    section, per, first, last = "setup", {}, None, None
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            for line in _source(cell).splitlines():
                m = re.match(r"##\s+(\d+)\.\s*(.*)", line)
                if m:
                    section = f"§{m.group(1)} " + re.sub(r"\s*\*\(.*?\)\*\s*$", "", m.group(2)).strip()
            continue
        ex = cell.get("metadata", {}).get("execution", {})
        start, end = ex.get("iopub.execute_input"), ex.get("shell.execute_reply")
        if not (start and end):
            continue
        t0, t1 = _stamp(start), _stamp(end)
        first = t0 if first is None else min(first, t0)
        last = t1 if last is None else max(last, t1)
        per[section] = per.get(section, 0.0) + max(0.0, t1 - t0)
    if first is None:
        return None, []
    return last - first, sorted(per.items(), key=lambda kv: -kv[1])


def run_notebook(path, *, quick: bool = False, timeout: int = 1800, env: dict | None = None) -> NotebookTime:
    """Run one notebook top to bottom in a fresh kernel (``jupyter nbconvert --execute``) and time it.

    The notebook runs in a scratch copy, in its own folder as working
    directory, with ``MPLBACKEND=Agg`` and ``BINKIT_QUICK`` set (``quick``)
    or removed.  The wall time includes starting the kernel; the cell time
    and the per-section times come from the executed copy's timestamps.
    """
    path = Path(path).resolve()
    run_env = {**os.environ, **(env or {}), "MPLBACKEND": "Agg"}
    if quick:
        run_env["BINKIT_QUICK"] = "1"
    else:
        run_env.pop("BINKIT_QUICK", None)
    try:
        title = _title(json.loads(path.read_text(encoding="utf-8")), path.stem)
    except (OSError, ValueError):
        title = path.stem
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
             f"--ExecutePreprocessor.timeout={timeout}", "--output-dir", tmp, "--output", path.name, str(path)],
            cwd=path.parent, env=run_env, capture_output=True, text=True)
        seconds = time.perf_counter() - t
        record = NotebookTime(path.name, title, seconds, proc.returncode == 0)
        out = Path(tmp) / path.name
        if record.ok and out.is_file():
            record.cell_seconds, record.sections = cell_times(json.loads(out.read_text(encoding="utf-8")))
        if not record.ok:
            lines = [ln for ln in (proc.stderr or "").splitlines() if ln.strip()]
            errors = [ln for ln in lines if re.match(r"\w*(Error|Exception|Timeout)\b", ln.strip())]
            record.error = (errors or lines or ["nbconvert failed"])[-1].strip()[:200]
    return record


def time_course(paths: Iterable, *, quick: bool = False, timeout: int = 1800, progress=None) -> list[NotebookTime]:
    """:func:`run_notebook` for each path, one after another; ``progress(record)`` after each."""
    records = []
    for path in paths:
        record = run_notebook(path, quick=quick, timeout=timeout)
        records.append(record)
        if progress is not None:
            progress(record)
    return records


def loadavg() -> str:
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except (OSError, AttributeError):
        return "unknown"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_note() -> str:
    """CPUs, their model, and whether a GPU is visible (``nvidia-smi``), in a few words."""
    gpu = "no GPU"
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20)
        names = [ln.strip() for ln in out.stdout.splitlines() if ln.strip()]
        if out.returncode == 0 and names:
            gpu = "GPU " + ", ".join(names)
    except (OSError, subprocess.SubprocessError):
        pass
    return f"{os.cpu_count()} CPUs ({_cpu_model()}), {gpu}"


def data_note() -> str:
    try:
        from .datasets import dibco_root

        root = dibco_root()
        dibco = f"the DIBCO data ({len([p for p in root.iterdir() if p.name.isdigit()])} years)"
    except Exception:  # noqa: BLE001 - any failure means the notebooks take their synthetic path
        dibco = "no DIBCO data (synthetic pages stand in)"
    ref = "the organisers' reference files" + ("" if os.environ.get("BINKIT_REFERENCE_DIR") else " absent")
    return f"{dibco}, {ref}"


def _fmt(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds:.0f}" if seconds >= 100 else f"{seconds:.1f}"


def times_block(records: Sequence[NotebookTime], *, quick: bool, started: str, load_start: str, load_end: str,
                machine: str, data: str, command: str) -> str:
    """The guide's run-time block: one line of conditions, then a table with a row per notebook and a total."""
    lines = [
        f"Measured {started} by `{command}`: {'quick' if quick else 'full'} mode, each notebook top to bottom "
        f"in a fresh kernel, one after another, on {machine}; {data}; load average (1/5/15 min) "
        f"{load_start} at the start and {load_end} at the end.",
        "",
        "| notebook | seconds to run (kernel start included) | of which in cells | where the time goes (seconds) |",
        "|---|---|---|---|",
    ]
    for r in records:
        if r.ok:
            slow = "; ".join(f"{name} {_fmt(s)}" for name, s in r.sections[:2] if s >= 1.0) or "every cell under 1 s"
            lines.append(f"| {r.title} | {_fmt(r.seconds)} | {_fmt(r.cell_seconds)} | {slow} |")
        else:
            lines.append(f"| {r.title} | FAILED after {_fmt(r.seconds)} | | {r.error} |")
    total = sum(r.seconds for r in records)
    cells = sum(r.cell_seconds or 0.0 for r in records)
    lines.append(f"| all | {_fmt(total)} ({total / 60:.0f} min) | {_fmt(cells)} ({cells / 60:.0f} min) | |")
    return "\n".join(lines)


def latency_block(rows: Sequence[dict], *, quick: bool, started: str, load_start: str, load_end: str,
                  machine: str, data: str, repeat: int) -> str:
    """The guide's widget-latency sentence, from ``benchmarks/bench_widgets.py``'s rows.

    ``rows``: one dict per control with ``notebook``, ``description``,
    ``median_s`` and ``max_s`` (seconds from setting the control's value to
    the new figure, kernel side).
    """
    if not rows:
        raise InputError("no widget rows to summarise")
    medians = sorted(r["median_s"] for r in rows)
    mid = medians[len(medians) // 2] if len(medians) % 2 else (medians[len(medians) // 2 - 1]
                                                               + medians[len(medians) // 2]) / 2
    slow = max(rows, key=lambda r: r["median_s"])
    worst = max(rows, key=lambda r: r["max_s"])
    books = sorted({r["notebook"][:2] for r in rows})
    cpu = ""
    if all("cpu_median_s" in r for r in rows):
        cpus = sorted(r["cpu_median_s"] for r in rows)
        slow_cpu = max(rows, key=lambda r: r["cpu_median_s"])
        cpu = (f"  The kernel's CPU time per response (about what a redraw takes on an idle core): "
               f"median {cpus[len(cpus) // 2]:.2f} s, slowest control "
               f"{slow_cpu['cpu_median_s']:.2f} s ({slow_cpu['notebook'][:2]}, {slow_cpu['description'] or 'unnamed'}).")
    per_book = ", ".join(f"{b} {max(r['median_s'] for r in rows if r['notebook'][:2] == b):.2f} s" for b in books)
    return (
        f"Measured {started} by `python benchmarks/bench_widgets.py --write-guide notebooks/TEACHING.md` "
        f"({'quick' if quick else 'full'} mode; {machine}; {data}; load average (1/5/15 min) {load_start} "
        f"at the start and {load_end} at the end): each of the {len(rows)} controls in notebooks "
        f"{books[0]}–{books[-1]} was moved to another value and back {repeat} times, and the time from setting "
        f"the value to the new figure (computation, figure and its rendering, in the kernel) was taken.  "
        f"Median over the controls **{mid:.2f} s**; the slowest control's median {slow['median_s']:.2f} s "
        f"({slow['notebook'][:2]}, {slow['description'] or 'unnamed'}); per notebook, the slowest control's "
        f"median: {per_book}.  The single slowest response was {worst['max_s']:.2f} s "
        f"({worst['notebook'][:2]}, {worst['description'] or 'unnamed'})." + cpu
    )


def replace_block(text: str, name: str, body: str) -> str:
    """``text`` with the lines between block ``name``'s two marker comments replaced by ``body``.

    Raises
    ------
    binkit.InputError
        The begin or end marker is missing, repeated, or out of order.
    """
    begin, end = _BEGIN.format(name=name), _END.format(name=name)
    starts = [m.start() for m in re.finditer(re.escape(begin) + r"[ (]", text)]
    stops = [m.start() for m in re.finditer(re.escape(end), text)]
    if len(starts) != 1 or len(stops) != 1 or stops[0] < starts[0]:
        raise InputError(f"expected one '{begin} ... -->' line followed by one '{end}' line "
                         f"(found {len(starts)} and {len(stops)})")
    head_end = text.index("\n", starts[0]) + 1
    return text[:head_end] + body.rstrip("\n") + "\n" + text[stops[0]:]


def write_block(path, name: str, body: str) -> None:
    """Replace block ``name`` of the file at ``path`` (see :func:`replace_block`), atomically."""
    from .io import write_text

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the guide ({exc.strerror or exc})") from None
    try:
        new = replace_block(text, name, body)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
    write_text(path, new)


def main(argv=None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m binkit.course_guide",
                                 description="Run every notebook and time it; optionally write the table into the guide.")
    ap.add_argument("notebooks", nargs="*", help="notebook numbers or names (default: every notebook in --src)")
    ap.add_argument("--src", default="notebooks")
    ap.add_argument("--full", action="store_true", help="full mode (BINKIT_QUICK unset), as a class runs them")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    ap.add_argument("--write-guide", metavar="GUIDE", default=None,
                    help="write the table between the notebook-times markers of GUIDE (only if every notebook ran)")
    args = ap.parse_args(argv)
    books = sorted(Path(args.src).glob("*.ipynb"))
    if args.notebooks:
        books = [b for b in books if any(b.name.startswith(n) or b.stem == n for n in args.notebooks)]
    if not books:
        print(f"{args.src}: no notebooks", file=sys.stderr)
        return 2
    if args.write_guide:   # fail before the long run, not after it
        if not args.full or args.notebooks:
            print("--write-guide needs --full and every notebook: the guide's table is the whole course in full mode",
                  file=sys.stderr)
            return 2
        try:
            replace_block(Path(args.write_guide).read_text(encoding="utf-8"), "notebook-times", "")
        except (OSError, InputError) as exc:
            print(f"{args.write_guide}: {exc}", file=sys.stderr)
            return 2
    quick = not args.full
    started = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load_start, machine, data = loadavg(), machine_note(), data_note()
    print(f"{'quick' if quick else 'full'} mode; {machine}; {data}; load average {load_start}", flush=True)
    try:
        if os.getloadavg()[0] > 0.5 * (os.cpu_count() or 1):
            print("warning: the machine is busy (see the load average); times measured now are upper bounds",
                  file=sys.stderr)
    except (OSError, AttributeError):
        pass

    def progress(r: NotebookTime) -> None:
        where = ", ".join(f"{n} {s:.0f} s" for n, s in r.sections[:2])
        print(f"{r.name:<28} {r.seconds:7.1f} s  {'ok' if r.ok else 'FAILED: ' + r.error}  {where}", flush=True)

    records = time_course(books, quick=quick, timeout=args.timeout, progress=progress)
    command = "make notebook-times" if args.full and not args.notebooks else "python -m binkit.course_guide"
    block = times_block(records, quick=quick, started=started, load_start=load_start, load_end=loadavg(),
                        machine=machine, data=data, command=command)
    print(block)
    if not all(r.ok for r in records):
        print("not every notebook ran to the end: the guide is left as it was", file=sys.stderr)
        return 1
    if args.write_guide:
        write_block(args.write_guide, "notebook-times", block)
        print(f"wrote the table into {args.write_guide}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
