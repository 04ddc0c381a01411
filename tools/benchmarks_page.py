"""Record the benchmark scripts' output, and build docs/benchmarks.md from the records.

The benchmarks page is generated, never typed: every figure on it is a line a
script under ``benchmarks/`` printed, kept with the command, date, machine
and load it was measured under.

    # run one benchmark and keep what it printed (docs/benchmarks/<name>.txt):
    python tools/benchmarks_page.py record quality -- python benchmarks/bench_quality.py --markdown
    # rebuild docs/benchmarks.md from every record:
    python tools/benchmarks_page.py build
    # check that docs/benchmarks.md is what the records give (tests/test_docs.py does):
    python tools/benchmarks_page.py build --check

A record is a text file: a header of ``# key: value`` lines (command, date,
machine, load, exit status, wall time), one blank line, then the script's
standard output exactly as printed.  The DIBCO folder's path is written as
``$BINKIT_DIBCO_ROOT`` so no machine's layout ends up in the docs.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORDS = ROOT / "docs" / "benchmarks"
PAGE = ROOT / "docs" / "benchmarks.md"

#: The page's sections, in order: record name -> (title, what it measures, how to read it).
SECTIONS: dict[str, tuple[str, str]] = {
    "quality": (
        "Quality: every method on H-DIBCO 2016 and the hard pages",
        "Means over the 10 pages of H-DIBCO 2016 (binkit's metrics) and over the 36 committed hard pages "
        "(`data/synthetic_hard`: scanner borders, gutters, facing pages, torn corners, colour cards, lower "
        "resolutions). *Border ink* is the share of all border, gutter, facing-page, corner and card pixels "
        "(page in the ground truth) that a method labels ink. The 16 committed faint-ink pages "
        "(`data/synthetic_faint`: brown letters on beige paper, pale print, thin pens, fading strokes) are "
        "scored too, with the share of their ink each method keeps (*recall*) and a table per kind of page. "
        "`gridlstm` is the default weight set `general`, "
        "which trained on the 2016 pages (its 2016 scores are not a test); `paper-fold` is `f4-sf2-dyn` and "
        "`general-no2016` the general recipe without 2016 (2016 unseen for both). `hybrid` (general recipe) "
        "trained on 2016, `hybrid-paper-fold` did not; `hybrid-tile` is `hybrid` with one surface per tile; "
        "`hybrid-start` is its classical start and `hybrid-oracle` the best surface of its family fitted to "
        "each page's ground truth (a ceiling, not a method). The model cards in [models/](models/) say what "
        "each weight set trained on.",
    ),
    "faint_ceiling": (
        "Faint ink: how much one pixel tells",
        "Two oracle per-pixel rules fitted to each committed faint-ink page's own ground truth "
        "(`data/synthetic_faint`): the best threshold on the page's background-flattened grey, and the best "
        "threshold on its best linear colour projection (Fisher's discriminant). FM in %; *@90%* is the best "
        "FM among the thresholds that keep at least 90 % of the ink; *d_prime* the ink's distance from the "
        "paper along that projection, in the paper's standard deviations. No rule that looks at one pixel "
        "at a time can beat these; compare the faint rows of the quality table.",
    ),
    "small_page": (
        "A small, unevenly lit page: how much ink each method finds in its dim and bright quarters",
        "scikit-image's scanned page (`binkit.datasets.page()`, 191 x 384, the page of notebook 00 and the "
        "README), which has no ground truth: the ink pixels each method labels in its dim left and bright "
        "right quarter (96 columns each), that count over Sauvola's, and the share of Sauvola's ink pixels "
        "it labels too. Amounts and agreement, not scores; issue 30 asks the default Grid LSTM to find at "
        "least as much ink as Sauvola in the dim quarter.",
    ),
    "stroke_widths": (
        "Stroke widths: could a page's stroke width tell when to resample it?",
        "Each set's stroke widths, twice the median distance from the ink's skeleton to the page (2 for one- and "
        "two-pixel strokes), from the ground truth and from Sauvola's ink (what a rule could compute on a page "
        "without ground truth). The Grid LSTM's `upscale` helps the small scikit-image page and hurts the "
        "faint-ink pages (docs/methods/gridlstm.md); a rule based on stroke width could only apply it "
        "automatically if their widths differed.",
    ),
    "windows": (
        "Classical defaults: the window and Sauvola's k",
        "Mean pixel F-measure (a fraction) of each local method at its default constants over every other "
        "DIBCO 2009-2016 page, for five windows, and Sauvola's k at window 51: the measurement behind binkit's "
        "default window 51 and Sauvola's k = 0.2 ([methods/classical.md](methods/classical.md)).",
    ),
    "methods": (
        "Speed: every method on H-DIBCO 2016, beside DoxaPy",
        "Binarization time per megapixel on the ten H-DIBCO 2016 pages (reading and scoring excluded), "
        "each method built once as `binkit binarize` does; DoxaPy timed on the same 8-bit pages in the "
        "same run where it has the method (a ratio above 1: binkit is slower).",
    ),
    "gridlstm": (
        "Grid LSTM: inference and training speed",
        "Seconds per megapixel of inference, training blocks per second (the model's step, and "
        "`binkit.train.fit`'s whole loop on synthetic pages), each as a share of torch's own sgemm rate "
        "measured in the same run; random weights (speed does not depend on them).",
    ),
    "hybrid": (
        "Hybrid method: the classical start, the surface and training",
        "The local median and mean, the logistic start and the B-spline fit on synthetic 1-MP and 3-MP "
        "pages, beside `scipy.ndimage.median_filter`; the whole hybrid binarization of a 1-MP page; "
        "training samples per second for both input layouts.",
    ),
    "metrics": (
        "Metrics: binkit against DoxaPy",
        "Every DIBCO metric on 1-MP and 4-MP pages (a DIBCO ground truth tiled to size), beside DoxaPy's "
        "`calculate_performance` in the same run.",
    ),
    "large_page": (
        "Memory: peak RSS on a page at the 150-MP limit",
        "Each method in a fresh process through `binkit binarize page.png -o OUT --method M`, reading and "
        "writing included; `(read only)` is the same process only reading the page. `GB@150MP` projects "
        "the measured bytes per pixel to the page limit (`binkit.io.MAX_PIXELS`), the imports included.",
    ),
    "startup": (
        "Start-up: one small page through the command line",
        "`binkit binarize --method otsu` on a small page in a fresh interpreter, beside an empty "
        "interpreter, `import numpy` and `import torch` measured in the same run.",
    ),
}

#: Benchmarks with no record, and why (printed on the page so a reader knows they exist).
NOT_RECORDED = {
    "bench_widgets.py": "runs every notebook with widgets in a Jupyter kernel (several minutes of both cores); "
                        "its last figures are in `notebooks/TEACHING.md`'s notes, not a record here",
    "device_check.py": "needs a GPU (a CPU run with `--tiny` only checks that it runs; `tests/` does that)",
}


def _dibco_placeholder(text: str) -> str:
    """The DIBCO folder as ``$BINKIT_DIBCO_ROOT`` and the checkout as ``.``: no machine's layout in the docs."""
    root = os.environ.get("BINKIT_DIBCO_ROOT")
    if root:
        text = text.replace(str(Path(root).resolve()), "$BINKIT_DIBCO_ROOT").replace(root, "$BINKIT_DIBCO_ROOT")
    return text.replace(str(ROOT) + "/", "./").replace(str(ROOT), ".")


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f", {kb / 2**20:.0f} GiB RAM"
    except (OSError, AttributeError):
        pass
    try:
        import torch
        torch_v = f", torch {torch.__version__}"
    except ImportError:
        torch_v = ""
    return f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} CPUs{mem}; Python {platform.python_version()}{torch_v}"


def _load() -> str:
    try:
        return "load average " + " ".join(Path("/proc/loadavg").read_text().split()[:3]) + " (1, 5, 15 min)"
    except OSError:
        return "unknown"


def _commit() -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "binkit", "benchmarks"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return sha + (" (binkit/ or benchmarks/ modified)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def record(name: str, command: list[str]) -> int:
    """Run ``command`` in the repository root and write its standard output to docs/benchmarks/<name>.txt."""
    RECORDS.mkdir(parents=True, exist_ok=True)
    started = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    load_before = _load()
    t = time.perf_counter()
    # "python" is this interpreter, so the benchmark runs where the tool runs (a venv not on PATH included)
    run = [sys.executable, *command[1:]] if command and command[0] in ("python", "python3") else command
    proc = subprocess.run(run, cwd=ROOT, stdout=subprocess.PIPE, text=True)  # stderr (progress) passes through
    wall = time.perf_counter() - t
    if proc.returncode != 0:  # a failed run never replaces a record
        print(proc.stdout[-2000:], file=sys.stderr)
        print(f"exit {proc.returncode} after {wall:.0f} s: {RECORDS / f'{name}.txt'} left as it was", file=sys.stderr)
        return proc.returncode
    shown = " ".join(shlex.quote(c) for c in command)
    shown = re.sub(r"^\S*python3?\S*", "python", shown)  # the interpreter's path says nothing
    header = {
        "command": _dibco_placeholder(shown),
        "date": f"{started.isoformat()} (start, UTC)",
        "wall": f"{wall:.0f} s",
        "machine": _machine(),
        "load": f"{load_before} before, {_load()} after",
        "commit": _commit(),
        "exit status": str(proc.returncode),
    }
    body = _dibco_placeholder(proc.stdout)
    text = "".join(f"# {k}: {v}\n" for k, v in header.items()) + "\n" + body
    tmp = RECORDS / f".{name}.txt.tmp"
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(RECORDS / f"{name}.txt")  # whole or not at all
    print(f"wrote {RECORDS / f'{name}.txt'} ({wall:.0f} s, exit {proc.returncode})", file=sys.stderr)
    return proc.returncode


def read_record(path: Path) -> tuple[dict[str, str], str]:
    """A record's header (key -> value) and the output it holds."""
    head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
    header = {}
    for line in head.splitlines():
        key, _, value = line.lstrip("# ").partition(": ")
        header[key] = value
    return header, body


def _body_markdown(body: str) -> str:
    """The output as markdown: runs of ``|``-lines are tables as printed, the rest a text block."""
    out, text = [], []

    def flush():
        if any(line.strip() for line in text):
            while text and not text[0].strip():
                text.pop(0)
            while text and not text[-1].strip():
                text.pop()
            out.append("```text\n" + "\n".join(text) + "\n```\n")
        text.clear()

    lines = body.rstrip("\n").splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("|") and i + 1 < len(lines) and re.match(r"^\|[-| :]+\|$", lines[i + 1]):
            flush()
            table = []
            while i < len(lines) and lines[i].startswith("|"):
                table.append(lines[i])
                i += 1
            out.append("\n".join(table) + "\n")
        else:
            text.append(lines[i])
            i += 1
    flush()
    return "\n".join(out)


def build() -> str:
    """docs/benchmarks.md's text, from the records under docs/benchmarks/."""
    parts = [
        "# Benchmarks\n",
        "<!-- generated by tools/benchmarks_page.py from docs/benchmarks/*.txt: do not edit by hand -->\n",
        "Every table below is the output of a script under `benchmarks/`, as it printed it, with the command, "
        "date, machine and load it ran under. To measure again: "
        "`python tools/benchmarks_page.py record NAME -- COMMAND`, then `python tools/benchmarks_page.py build`. "
        "Timings depend on what else runs on the machine: compare methods within one record, not across "
        "records, and read a record's load line before its times. Quality figures do not depend on the "
        "machine.\n",
        "Scores measured when each weight set was exported (its training data, recipe and known failures) are "
        "in the model cards: [models/](models/).\n",
    ]
    toc = []
    sections = []
    for name, (title, what) in SECTIONS.items():
        path = RECORDS / f"{name}.txt"
        toc.append(f"- [{title}](#{_slug(title)})")
        if not path.exists():
            sections.append(f"## {title}\n\n{what}\n\nNo record yet: `python tools/benchmarks_page.py record "
                            f"{name} -- python benchmarks/...`.\n")
            continue
        header, body = read_record(path)
        sections.append(
            f"## {title}\n\n{what}\n\n"
            + _load_warning(header)
            + f"- command: `{header.get('command', '?')}`\n"
            f"- date: {header.get('date', '?')}; wall time {header.get('wall', '?')}\n"
            f"- machine: {header.get('machine', '?')}\n"
            f"- load: {header.get('load', '?')}\n"
            f"- binkit commit: {header.get('commit', '?')}; exit status {header.get('exit status', '?')}\n"
            f"- record: [benchmarks/{path.name}](benchmarks/{path.name})\n\n"
            + _body_markdown(body)
        )
    missing = [f"- `benchmarks/{script}`: {why}." for script, why in NOT_RECORDED.items()]
    parts.append("\n".join(toc) + "\n")
    parts.extend(sections)
    parts.append("## Not recorded here\n\n" + "\n".join(missing) + "\n")
    return "\n".join(parts)


def _load_warning(header: dict[str, str]) -> str:
    """A warning when the load average went well past the machine's CPUs during the run, else nothing.

    The benchmark itself keeps the CPUs busy, so the warning starts one above their number.  Only the
    1-minute load averages (before and after the run) count.
    """
    cpus = re.search(r"(\d+) CPUs", header.get("machine", ""))
    # the 1-minute averages before and after: the 5- and 15-minute ones still carry what ran before the benchmark
    loads = [float(x) for x in re.findall(r"load average (\d+\.\d+)", header.get("load", ""))]
    if not cpus or not loads or max(loads) <= int(cpus.group(1)) + 1:
        return ""
    return (f"**Loaded machine**: the load average reached {max(loads):.1f} on {cpus.group(1)} CPUs during this "
            "run (other jobs beside it), so its times are slower, and less even across methods, than on an idle "
            "machine; its quality figures are unaffected.\n\n")


def _slug(heading: str) -> str:
    text = re.sub(r"`", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    rec = sub.add_parser("record", help="run a benchmark and keep its output")
    rec.add_argument("name", choices=sorted(SECTIONS))
    rec.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command")
    b = sub.add_parser("build", help="write docs/benchmarks.md from the records")
    b.add_argument("--check", action="store_true", help="only check that docs/benchmarks.md is up to date")
    args = ap.parse_args(argv)
    if args.cmd == "record":
        command = args.command[1:] if args.command[:1] == ["--"] else args.command
        if not command:
            ap.error("record: give the command after --")
        return record(args.name, command)
    text = build()
    if args.check:
        current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
        if current != text:
            print("docs/benchmarks.md is not what the records give: run python tools/benchmarks_page.py build",
                  file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(text, encoding="utf-8")
    print(f"wrote {PAGE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
