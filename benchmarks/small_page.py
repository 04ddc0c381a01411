"""The scikit-image page's dim and bright quarters: how much ink each method labels in each.

scikit-image's scanned page (``binkit.datasets.page()``, 191 x 384, the page of
notebook 00 and the README) is small, its strokes a pixel or two wide, and lit
unevenly: its left quarter is much darker than its right.  It has no ground
truth, so this measures *amounts*, not errors: for each method, the ink pixels
it labels in the left and right quarters (96 columns each), that count as a
share of Sauvola's (binkit's default Sauvola, window 51), and the share of
Sauvola's ink pixels it labels ink too.  Issue 30 asks the default Grid LSTM to
find at least as much ink in the dim quarter as Sauvola does.

    python benchmarks/small_page.py [--methods otsu sauvola gridlstm] \\
        [--also up2=gridlstm:upscale=2] [--threads N]

``--also`` takes the form of ``bench_quality.py``'s: one more row, a method
with other parameters.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import binkit
from binkit.datasets import page
from binkit import InputError
from binkit.registry import parse_params

QUARTER = 96  # columns: a quarter of the page's 384
DEFAULT_METHODS = ("otsu", "sauvola", "wolf", "nick", "gridlstm")
REFERENCE = "sauvola"


def parse_also(text: str) -> tuple[str, str, dict]:
    """``LABEL=METHOD:KEY=VALUE,...`` -> (label, method, params), the values read as ``binkit binarize --param``."""
    label, sep, rest = text.partition("=")
    method, _, param_text = rest.partition(":")
    if not sep or not label or not method:
        raise InputError(f"--also {text!r}: expected LABEL=METHOD:KEY=VALUE,..., e.g. up2=gridlstm:upscale=2")
    return label, method, parse_params(filter(None, param_text.split(",")))


def quarter_counts(ink: np.ndarray, reference: np.ndarray) -> dict:
    """Ink pixels in the left and right quarters of ``ink`` (H, W) bool, and the share of ``reference``'s ink kept."""
    out = {}
    for side, cols in (("left", np.s_[:, :QUARTER]), ("right", np.s_[:, -QUARTER:])):
        ref = reference[cols]
        out[side] = int(ink[cols].sum())
        out[f"{side}_vs_ref"] = out[side] / max(int(ref.sum()), 1)
        out[f"{side}_kept"] = int((ink[cols] & ref).sum()) / max(int(ref.sum()), 1)
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS),
                    help=f"default: {' '.join(DEFAULT_METHODS)}")
    ap.add_argument("--also", action="append", default=[], metavar="LABEL=METHOD:KEY=VALUE,...",
                    help="one more row: a method with other parameters, e.g. up2=gridlstm:upscale=2")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    args = ap.parse_args(argv)
    try:
        extra = [parse_also(text) for text in args.also]
    except InputError as exc:
        ap.error(str(exc))
    rows = {m: (m, {}) for m in args.methods} | {label: (m, p) for label, m, p in extra}
    unknown = sorted({m for m, _ in rows.values()} - set(binkit.methods()))
    if unknown:
        ap.error(f"unknown methods {unknown}; choose from {list(binkit.methods())}")
    if args.threads is not None:
        import torch

        torch.set_num_threads(args.threads)

    scan = page()
    reference = binkit.binarize(scan, REFERENCE)
    left, right = np.median(scan[:, :QUARTER]), np.median(scan[:, -QUARTER:])
    print(f"scikit-image page {scan.shape}; quarters of {QUARTER} columns, median grey: left {left:.2f}, "
          f"right {right:.2f}")
    for family in sorted({m for m, _ in rows.values()} & set(binkit.weights.FAMILIES)):
        print(f"{family} = shipped {binkit.weights.FAMILIES[family].default}")
    print()
    head = (f"{'method':<22}{'left ink px':>12}{'/ Sauvola':>11}{'keeps %':>9}"
            f"{'right ink px':>14}{'/ Sauvola':>11}{'keeps %':>9}{'seconds':>9}")
    print(head)
    print("-" * len(head))
    for label, (method, params) in rows.items():
        t0 = time.perf_counter()
        try:
            ink = binkit.binarize(scan, method, **params)
        except InputError as exc:  # a parameter the method refuses: say so on its row, go on with the others
            print(f"{label:<22}{exc}")
            continue
        seconds = time.perf_counter() - t0
        c = quarter_counts(ink, reference)
        print(f"{label:<22}{c['left']:>12}{c['left_vs_ref']:>11.2f}{100 * c['left_kept']:>9.1f}"
              f"{c['right']:>14}{c['right_vs_ref']:>11.2f}{100 * c['right_kept']:>9.1f}{seconds:>9.2f}")
    print("\nink px: pixels labelled ink in the quarter; / Sauvola: that count over Sauvola's (window 51) in the "
          "same quarter;\nkeeps %: the share of Sauvola's ink pixels there that the method labels ink too. No ground "
          "truth: these are\namounts and agreement, not scores.")


if __name__ == "__main__":
    main()
