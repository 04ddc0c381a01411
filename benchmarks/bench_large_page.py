"""Peak memory and time for one very large page, through the command line, method by method.

    python benchmarks/bench_large_page.py                  # 30 MP, every method, 8-bit grey PNG
    python benchmarks/bench_large_page.py --mp 150 --methods otsu sauvola logistic hybrid
    python benchmarks/bench_large_page.py --shape 12000x12000 --kind 1bit --methods otsu
    python benchmarks/bench_large_page.py --shape 1x4000000 --methods sauvola      # a strip

A synthetic degraded page (binkit's generator, tiled up to the size asked
for) is written once as a PNG: 8-bit grey, 1-bit (``--kind 1bit``) or RGB.
Each method then runs in a fresh process exactly as a user runs it,
``binkit binarize page.png -o OUT --method M``, and reports its wall time and
its peak resident memory (reading the PNG, binarizing, writing the result).
The first row, ``(read only)``, is the same process reading the page and
doing nothing else: the floor every method shares.

Memory should follow the page's pixel count: ``B/px`` is the peak over the
process's size once binkit and the method are loaded (a small page
binarized first: its modules, torch and weights for the models), per pixel
of the page (on Linux the peak is the process's ``VmHWM``, restarted there
through ``/proc/self/clear_refs``, so the imports' own peak hides nothing),
and ``GB@150MP`` what that makes at the 150-MP page limit
(:data:`binkit.io.MAX_PIXELS`), the imports included.  Fixed costs (a
band's buffers, a network's activations) count in full in ``B/px`` on a
small page, so the projection from a small page errs high.  The goal (issue
31) is a peak under 2.5 GB for every method on a page at the limit.  Methods
missing from this install (e.g. ``gridlstm`` without shipped weights) are
listed as such; for ``gridlstm`` the benchmark then uses random weights of
the same shape, since memory and time do not depend on the weights' values.
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
method, src, out = sys.argv[1:4]


def peak_and_now():
    # The process's own high-water mark (VmHWM), not ru_maxrss: Linux carries ru_maxrss over from
    # the parent through fork and exec, so it would report the benchmark's own size.
    try:
        status = dict(line.split(":", 1) for line in open("/proc/self/status"))
        return int(status["VmHWM"].split()[0]) * 1024, int(status["VmRSS"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return peak, peak


import numpy as np

import binkit
import binkit.__main__  # noqa: F401  the command line
from binkit.io import read_image, save_binary

# the method's modules (and weights) once on a small page: part of the floor, not of the page
small = np.tile(np.linspace(0, 255, 96).astype(np.uint8), (64, 1))
if method == "gridlstm-random":
    import binkit.gridlstm.inference  # noqa: F401
elif method != "(read only)":
    binkit.binarizer(method)(small)
save_binary(out + "/small.png", small < 128)
imports, base = peak_and_now()
try:  # Linux: restart the peak here, so that the page's share is not hidden under the imports' peak
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
except OSError:
    pass
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
seconds = time.perf_counter() - t
work_peak, _ = peak_and_now()
print(code, seconds, max(imports, work_peak), work_peak - base, base)
"""

KINDS = ("grey", "1bit", "rgb")


def make_page(megapixels: float, path: Path, kind: str = "grey", shape=None) -> tuple[int, int]:
    """Write a synthetic page of about ``megapixels`` MP (or of ``shape``), tiles of one generated page."""
    from PIL import Image

    from binkit.datasets import synthetic_page

    tile = synthetic_page(0, size=(1000, 1500)).image
    if shape is None:
        h = int(round(np.sqrt(megapixels * 1e6 * 3 / 4)))  # a 3:4 portrait page
        w = int(megapixels * 1e6 // h)  # at most the pixels asked for: 150 MP is the reading limit
    else:
        h, w = shape
    reps = (-(-h // tile.shape[0]), -(-w // tile.shape[1]))
    if h < tile.shape[0] or w < tile.shape[1]:  # a strip: the page's pixels in reading order
        page = np.resize(tile.ravel(), (h, w))
    else:
        page = np.tile(tile, reps)[:h, :w]
    grey = np.round(page * 255).astype(np.uint8)
    del page
    if kind == "1bit":
        image = Image.fromarray(grey > 160).convert("1")
    elif kind == "rgb":
        image = Image.fromarray(np.stack([grey, grey, (grey * 0.9).astype(np.uint8)], axis=-1))
    else:
        image = Image.fromarray(grey)
    image.save(path)
    return h, w


def _shape(text: str) -> tuple[int, int]:
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected HxW, e.g. 12000x12000") from None
    return h, w


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mp", type=float, default=30.0)
    ap.add_argument("--shape", type=_shape, help="HxW instead of --mp (a thin strip: 1x4000000)")
    ap.add_argument("--kind", choices=KINDS, default="grey", help="the PNG: 8-bit grey, 1-bit or RGB")
    ap.add_argument("--methods", nargs="+", default=sorted(binkit.methods()))
    ap.add_argument("--limit-gb", type=float, default=2.5, help="at the 150-MP page limit")
    args = ap.parse_args(argv)

    available = binkit.methods()
    limit_pixels = binkit.io.MAX_PIXELS
    with tempfile.TemporaryDirectory(prefix="binkit-large-") as tmp:
        src = Path(tmp) / "page.png"
        t = time.perf_counter()
        h, w = make_page(args.mp, src, args.kind, args.shape)
        n = h * w
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"page: {w} x {h} = {n / 1e6:.1f} MP, {args.kind} PNG {src.stat().st_size / 1e6:.1f} MB "
              f"(made in {time.perf_counter() - t:.0f} s) | {os.cpu_count()} CPU cores, load {load:.1f}")
        header = (f"{'method':<18}{'seconds':>9}{'s/MP':>8}{'peak RSS GB':>13}{'B/px':>8}"
                  f"{'GB@150MP':>10}{'<= limit':>10}")
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
            code, seconds, peak, work, base = proc.stdout.split()[-5:]
            peak, work, base = int(peak), int(work), int(base)
            per_pixel = work / n
            at_limit = peak / 1e9 if n >= limit_pixels else (base + work * limit_pixels / n) / 1e9
            ok = "failed" if code != "0" else "yes" if at_limit <= args.limit_gb else "NO"
            print(f"{run_as:<18}{float(seconds):9.1f}{float(seconds) / (n / 1e6):8.3f}{peak / 1e9:13.2f}"
                  f"{per_pixel:8.1f}{at_limit:10.2f}{ok:>10}" + ("" if code == "0" else f"   exit {code}"),
                  flush=True)
    print(f"\npeak RSS: the process's high-water mark (read + binarize + write); B/px: over the process after its "
          f"imports; GB@150MP: measured at the limit, else projected from B/px; limit {args.limit_gb} GB.")


if __name__ == "__main__":
    main()
