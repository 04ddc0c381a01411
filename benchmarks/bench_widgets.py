"""How fast every widget of the course responds: one table, one row per control.

    python benchmarks/bench_widgets.py                       # every notebook with widgets, full settings
    python benchmarks/bench_widgets.py --quick 02 08         # quick mode, notebooks 02 and 08 only
    python benchmarks/bench_widgets.py --write-guide notebooks/TEACHING.md   # and write the guide's sentence

Each notebook runs top to bottom in a fresh Jupyter kernel (``nbclient``),
as a student would run it.  Then, inside that kernel, every live ipywidgets
control (sliders, dropdowns, checkboxes, multi-selects) is moved to another
valid value and back, ``--repeat`` times.  Setting ``.value`` runs the
control's observers synchronously in the kernel (binkit.plot.live's redraw:
the computation, the figure, its rendering), so the time of that assignment is
the time from the student's release of the slider to the new output, minus
the browser's part (drawing a PNG, a few ms).  The table prints the median
and the worst of those times per control, and the median CPU time the kernel
spent on it (``time.process_time``, all its threads): on a busy shared machine
the wall-clock time grows with the load, the CPU time much less, and on an
idle core the two agree.

Goal (issue 8, then issue 32): every widget responds within 0.5 s on the
2-core development machine.  The load average at the start and the end is
printed with the table: on a shared machine it decides the numbers.
The DIBCO pages are read from ``--data`` or ``BINKIT_DIBCO_ROOT`` when given
(the notebooks fall back to synthetic pages without them).

``--write-guide GUIDE`` writes the summary sentence between the
``widget-latency`` markers of the teacher guide
(:func:`binkit.course_guide.latency_block`), after a full-mode run of every
notebook with widgets; the guide's latency sentence comes from nowhere else.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]

#: Runs in the notebook's kernel after its last cell: moves every control and times its observers.
PROBE = r"""
import json as _json, statistics as _st, time as _time
import ipywidgets as _w
from ipywidgets.widgets.widget import _instances as _live

def _other(w):
    # another valid value for the control, or None when it has just one
    if isinstance(w, (_w.Checkbox, _w.ToggleButton)):
        return not w.value
    if isinstance(w, (_w.SelectMultiple,)):
        opts = [o[1] if isinstance(o, tuple) else o for o in w.options]
        other = tuple(o for o in opts if o not in w.value)[:2]
        return other or None
    if hasattr(w, "options"):
        opts = [o[1] if isinstance(o, tuple) else o for o in w.options]
        others = [o for o in opts if o != w.value]
        return others[len(others) // 2] if others else None
    if isinstance(w, _w.FloatLogSlider):
        lo, hi = w.base ** w.min, w.base ** w.max
        return hi if w.value < hi else lo
    if hasattr(w, "min") and hasattr(w, "max"):
        mid = w.min + (w.max - w.min) / 2
        if isinstance(w.value, int):
            step = int(getattr(w, "step", 1) or 1)
            mid = w.min + ((int(mid) - w.min) // step) * step
        return mid if mid != w.value else w.max
    return None

_rows = []
for _ctl in list(_live.values()):
    # controls a student moves; not displays (labels, HTML, tqdm's progress bars)
    if not isinstance(_ctl, _w.ValueWidget) or isinstance(_ctl, (_w.Output, _w.Label, _w.HTML, _w.HTMLMath,
                                                                  _w.FloatProgress, _w.IntProgress)):
        continue
    if getattr(_ctl, "disabled", False):
        continue
    _new = _other(_ctl)
    if _new is None:
        continue
    _old, _times, _cpu = _ctl.value, [], []
    for _ in range(REPEAT):
        for _v in (_new, _old):
            _t, _c = _time.perf_counter(), _time.process_time()
            _ctl.value = _v
            _times.append(_time.perf_counter() - _t)
            _cpu.append(_time.process_time() - _c)
    _rows.append({"control": type(_ctl).__name__, "description": _ctl.description or "",
                  "median_s": _st.median(_times), "max_s": max(_times), "cpu_median_s": _st.median(_cpu)})
print("BENCH_WIDGETS " + _json.dumps(_rows))
"""


def time_widgets(path: Path, *, quick: bool, repeat: int, timeout: int) -> tuple[float, list[dict]]:
    """Run ``path`` in a fresh kernel, then time every live control; return (run seconds, rows)."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE.replace("REPEAT", str(repeat))))
    env = {"BINKIT_QUICK": "1"} if quick else {}
    saved = {k: os.environ.get(k) for k in ("BINKIT_QUICK",)}
    os.environ.pop("BINKIT_QUICK", None)
    os.environ.update(env)
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        start = time.perf_counter()
        client.execute()
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None)
            if v is not None:
                os.environ[k] = v
    total = time.perf_counter() - start
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("output_type") == "stream")
    line = next(ln for ln in text.splitlines() if ln.startswith("BENCH_WIDGETS "))
    return total, json.loads(line[len("BENCH_WIDGETS "):])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("notebooks", nargs="*", help="notebook numbers or names (default: every one with widgets)")
    ap.add_argument("--quick", action="store_true", help="run the notebooks in quick mode (BINKIT_QUICK=1)")
    ap.add_argument("--repeat", type=int, default=2, help="moves there and back per control")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    ap.add_argument("--data", default=None, help="DIBCO root (default: $BINKIT_DIBCO_ROOT)")
    ap.add_argument("--write-guide", metavar="GUIDE", default=None,
                    help="write the summary sentence between the widget-latency markers of GUIDE "
                         "(full mode and every notebook with widgets only)")
    args = ap.parse_args(argv)
    from binkit.course_guide import data_note, latency_block, loadavg, machine_note, replace_block, write_block

    if args.write_guide:
        if args.quick or args.notebooks:
            ap.error("--write-guide needs full mode and every notebook with widgets")
        replace_block(Path(args.write_guide).read_text(encoding="utf-8"), "widget-latency", "")  # markers first
    if args.data:
        os.environ["BINKIT_DIBCO_ROOT"] = str(Path(args.data).resolve())
    books = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if args.notebooks:
        books = [b for b in books if any(b.name.startswith(n) or b.stem == n for n in args.notebooks)]
    else:
        books = [b for b in books if "ipywidgets" in b.read_text(encoding="utf-8")]
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_start, machine, data = loadavg(), machine_note(), data_note()
    print(f"{'quick' if args.quick else 'full'} mode, DIBCO: {os.environ.get('BINKIT_DIBCO_ROOT') or 'not set'}, "
          f"{machine}, load average {load_start}, {args.repeat} moves there and back per control")
    header = f"{'notebook':<26}{'control':<16}{'description':<18}{'median s':>9}{'worst s':>9}{'CPU s':>8}"
    print(header)
    print("-" * len(header))
    worst, every = [], []
    for book in books:
        seconds, rows = time_widgets(book, quick=args.quick, repeat=args.repeat, timeout=args.timeout)
        if not rows:
            print(f"{book.stem:<26}(no controls; notebook ran in {seconds:.0f} s)")
        for row in rows:
            worst.append(row["max_s"])
            every.append({**row, "notebook": book.stem})
            print(f"{book.stem:<26}{row['control']:<16}{row['description'][:17]:<18}"
                  f"{row['median_s']:9.3f}{row['max_s']:9.3f}{row['cpu_median_s']:8.3f}", flush=True)
    load_end = loadavg()
    if worst:
        medians = [r["median_s"] for r in every]
        print(f"\n{len(worst)} controls; median of their median responses {statistics.median(medians):.3f} s, "
              f"slowest median {max(medians):.3f} s, worst single response {max(worst):.3f} s "
              "(kernel side: computation, figure and rendering); median CPU time "
              f"{statistics.median(r['cpu_median_s'] for r in every):.3f} s, "
              f"slowest {max(r['cpu_median_s'] for r in every):.3f} s.")
    print(f"load average {load_start} at the start, {load_end} at the end")
    if args.write_guide and every:
        sentence = latency_block(every, quick=args.quick, started=started, load_start=load_start,
                                 load_end=load_end, machine=machine, data=data, repeat=args.repeat)
        write_block(args.write_guide, "widget-latency", sentence)
        print(f"wrote into {args.write_guide}:\n{sentence}")


if __name__ == "__main__":
    main()
