"""Start-up cost of the command line: one small page through ``binkit binarize --method otsu``.

    python benchmarks/bench_startup.py                     # this checkout
    python benchmarks/bench_startup.py --compare ../old    # and another checkout, in the same run

Each command runs ``--repeat`` times in a fresh interpreter; the table gives
the median wall time and peak memory (RSS), beside references measured in
the same run: an empty interpreter, ``import numpy``, and ``import torch``
(what a classical method no longer pays for).  ``binkit`` rows also say
whether torch was imported.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(code: str, pythonpath: Path | None, cwd: Path) -> tuple[float, float, str]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=cwd)  # not the checkout: its binkit/ would shadow PYTHONPATH
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own resource use
    seconds = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{code[:60]}... failed: {err.strip().splitlines()[-1] if err.strip() else proc.returncode}")
    return seconds, usage.ru_maxrss / 1024, (out.strip().splitlines() or [""])[-1]


def _binkit_code(page: Path, out: Path) -> str:
    return ("import shutil, sys; from binkit.__main__ import main; "
            f"shutil.rmtree({str(out)!r}, ignore_errors=True); "
            f"code = main(['binarize', {str(page)!r}, '-o', {str(out)!r}, '--method', 'otsu', '--no-progress']); "
            "print('torch' in sys.modules)")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--compare", type=Path, default=None, help="another binkit checkout, run the same way")
    args = ap.parse_args(argv)

    import numpy as np
    from PIL import Image

    tmp = Path(tempfile.mkdtemp(prefix="binkit-startup-"))
    page = tmp / "page.png"
    Image.fromarray((np.random.default_rng(0).random((512, 768)) * 255).astype(np.uint8)).save(page)
    rows = [("python -c pass", "pass", None), ("import numpy", "import numpy", None),
            ("import torch", "import torch", None),
            (f"binkit binarize --method otsu ({ROOT.name})", _binkit_code(page, tmp / "out"), ROOT)]
    if args.compare is not None:
        rows.append((f"binkit binarize --method otsu ({args.compare.name})", _binkit_code(page, tmp / "out2"),
                     args.compare.resolve()))
    print(f"{args.repeat} runs each in a fresh interpreter: median wall time, peak RSS of the last run; "
          f"page 512 x 768")
    print(f"{'command':<52}{'seconds':>9}{'peak MB':>9}  torch imported")
    reference = None
    for label, code, path in rows:
        times, last = [], ""
        for _ in range(args.repeat):
            seconds, peak, last = _run(code, path, tmp)
            times.append(seconds)
        median = statistics.median(times)
        if label == "import torch":
            reference = median
        ratio = f"   ({median / reference:.2f}x import torch)" if reference and label.startswith("binkit") else ""
        print(f"{label:<52}{median:9.2f}{peak:9.0f}  {last if label.startswith('binkit') else ''}{ratio}")


if __name__ == "__main__":
    main()
