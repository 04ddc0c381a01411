"""The classical methods' window and Sauvola's k on DIBCO pages: why binkit's defaults are what they are.

    python benchmarks/bench_windows.py                 # every other DIBCO 2009-2016 page (43 of 85)
    python benchmarks/bench_windows.py --every 1       # all 85 pages

For each local method of :mod:`binkit.classical` at its default constants
(Niblack k = -0.2, Sauvola k = 0.2, Wolf k = 0.5, NICK k = -0.1, Bradley
t = 0.15, Phansalkar's, Bernsen's), it binarizes each page at windows 15, 25,
35, 51 and 75 and prints the mean F-measure (:func:`binkit.metrics.fmeasure`,
as a fraction) over the pages; Otsu, which has no window, gets one number.  A
second table varies Sauvola's ``k`` at window 51.  binkit's default window is
51 (:data:`binkit.classical.DEFAULT_WINDOW`); the papers used 15 to 31, but
DIBCO's text is 30-60 px high and a window should hold a few letters.

The pages come from ``--data`` or wherever :func:`binkit.datasets.load_dibco`
finds them (``BINKIT_DIBCO_ROOT`` first); the sample is every ``--every``-th
page of all years in name order.  Quality only: no timing, so the machine's
load does not change the table.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import binkit
from binkit.datasets import load_dibco
from binkit.metrics import fmeasure

WINDOWS = (15, 25, 35, 51, 75)
LOCAL = ("sauvola", "wolf", "nick", "bradley", "phansalkar", "niblack", "bernsen")
SAUVOLA_K = (0.1, 0.2, 0.34, 0.5)


def _mean_fm(run, pages) -> float:
    return float(np.mean([fmeasure(run(image), gt) / 100 for image, gt in pages]))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=None, help="DIBCO root (default: binkit's lookup, $BINKIT_DIBCO_ROOT first)")
    ap.add_argument("--every", type=int, default=2, help="take every N-th page of 2009-2016 (default 2: 43 pages)")
    args = ap.parse_args(argv)

    samples = load_dibco(args.data) if args.data else load_dibco()
    samples = sorted(samples, key=lambda s: s.name)
    pages = [(s.image, s.gt) for s in samples[:: args.every]]  # read once
    t = time.perf_counter()
    print(f"Mean F-measure (fraction) over {len(pages)} of {len(samples)} DIBCO pages "
          f"(one page in {args.every}, in name order), binkit {binkit.__version__}")
    print()
    print("| method | " + " | ".join(f"window {w}" for w in WINDOWS) + " |")
    print("|---|" + "---|" * len(WINDOWS))
    for name in LOCAL:
        cells = [f"{_mean_fm(binkit.binarizer(name, window=w), pages):.3f}" for w in WINDOWS]
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    print(f"| otsu (no window) | {_mean_fm(binkit.binarizer('otsu'), pages):.3f} |" + " |" * (len(WINDOWS) - 1))
    print()
    print("| sauvola, window 51 | " + " | ".join(f"k = {k}" for k in SAUVOLA_K) + " |")
    print("|---|" + "---|" * len(SAUVOLA_K))
    cells = [f"{_mean_fm(binkit.binarizer('sauvola', window=51, k=k), pages):.3f}" for k in SAUVOLA_K]
    print("| mean F-measure | " + " | ".join(cells) + " |")
    print()
    print(f"{time.perf_counter() - t:.0f} s")


if __name__ == "__main__":
    main()
