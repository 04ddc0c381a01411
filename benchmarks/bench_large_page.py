"""Peak memory and time for one very large page, through the command line, method by method.

    python benchmarks/bench_large_page.py                 # 30 MP; gridlstm, hybrid, logistic, sauvola, otsu
    python benchmarks/bench_large_page.py --mp 50 --methods sauvola gridlstm

A synthetic degraded page (binkit's generator, tiled up to the size asked
for) is written once as an 8-bit PNG.  Each method then runs in a fresh
process exactly as a user runs it, ``binkit binarize page.png -o OUT
--method M``, and reports its wall time and its peak resident memory
(``ru_maxrss``: reading the PNG, binarizing, writing the result).  The first
row, ``(read only)``, is the same process reading the page and doing nothing
else: the floor every method shares.

The goal (issue 7) is a peak of at most 4 GB for a 30-MP page.  Methods
missing from this install (e.g. ``gridlstm`` without shipped weights) are
listed as such; for ``gridlstm`` the benchmark then uses random weights of the
same shape, since memory and time do not depend on the weights' values.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import binkit

_CHILD = r"""
import resource, sys, time
from binkit.io import read_image, save_binary
method, src, out = sys.argv[1:4]
t = time.perf_counter()
if method == "(read only)":
    read_image(src)
    code = 0
elif method == "gridlstm-random":
    import torch
    from binkit.gridlstm import GridLSTMBinarizer, GridLSTMConfig
    from binkit.gridlstm.inference import binarize
    torch.manual_seed(0)
    ink = binarize(read_image(src), GridLSTMBinarizer(GridLSTMConfig(footprint=4)).eval())
    save_binary(out + "/page.png", ink)
    code = 0
else:
    from binkit.__main__ import main
    code = main(["binarize", src, "-o", out, "--method", method, "--overwrite", "--no-progress"])
print(code, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def make_page(megapixels: float, path: Path) -> tuple[int, int]:
    """Write a synthetic page of about ``megapixels`` MP (tiles of one generated page)."""
    from PIL import Image

    from binkit.datasets import synthetic_page

    tile = synthetic_page(0, size=(1000, 1500)).image
    h = int(round(np.sqrt(megapixels * 1e6 * 3 / 4)))  # a 3:4 portrait page
    w = int(round(megapixels * 1e6 / h))
    reps = (-(-h // tile.shape[0]), -(-w // tile.shape[1]))
    page = np.tile(tile, reps)[:h, :w]
    Image.fromarray(np.round(page * 255).astype(np.uint8)).save(path)
    return h, w


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mp", type=float, default=30.0)
    ap.add_argument("--methods", nargs="+", default=["gridlstm", "hybrid", "logistic", "sauvola", "otsu"])
    ap.add_argument("--limit-gb", type=float, default=4.0)
    args = ap.parse_args(argv)

    available = binkit.methods()
    with tempfile.TemporaryDirectory(prefix="binkit-large-") as tmp:
        src = Path(tmp) / "page.png"
        t = time.perf_counter()
        h, w = make_page(args.mp, src)
        print(f"page: {w} x {h} = {h * w / 1e6:.1f} MP, 8-bit PNG {src.stat().st_size / 1e6:.1f} MB "
              f"(made in {time.perf_counter() - t:.0f} s) | {os.cpu_count()} CPU cores")
        header = f"{'method':<18}{'seconds':>9}{'s/MP':>8}{'peak RSS GB':>13}{'<= limit':>10}"
        print(header)
        print("-" * len(header))
        for method in ["(read only)", *args.methods]:
            run_as = method
            if method == "gridlstm" and method not in available:
                run_as = "gridlstm-random"
            elif method not in available and method != "(read only)":
                print(f"{method:<18}{'not in this install (binkit.methods())':>40}")
                continue
            out = Path(tmp) / "out"
            out.mkdir(exist_ok=True)
            proc = subprocess.run([sys.executable, "-c", _CHILD, run_as, str(src), str(out)],
                                  capture_output=True, text=True)
            if proc.returncode != 0 or not proc.stdout.strip():
                print(f"{run_as:<18} failed: {(proc.stderr.strip().splitlines() or ['?'])[-1]}")
                continue
            code, seconds, peak = proc.stdout.split()[-3:]
            gb = int(peak) / 1e9
            ok = "yes" if gb <= args.limit_gb else "NO"
            print(f"{run_as:<18}{float(seconds):9.1f}{float(seconds) / (h * w / 1e6):8.3f}{gb:13.2f}{ok:>10}"
                  + ("" if code == "0" else f"   exit {code}"), flush=True)
    print(f"\npeak RSS: the process's ru_maxrss (read + binarize + write); limit {args.limit_gb} GB.")


if __name__ == "__main__":
    main()
