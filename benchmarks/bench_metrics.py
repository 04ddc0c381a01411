"""Time binkit.metrics against DoxaPy on 1-MP and 4-MP pages.

Run:  python benchmarks/bench_metrics.py [--repeat N]

The pages are a real DIBCO ground truth tiled to size (wherever
binkit.datasets.dibco_root finds the data), or a synthetic page of strokes when it is
absent.  The prediction is the Otsu binarization of the tiled scan (or the
GT with noise).  Times are the median of --repeat runs, in milliseconds.

Goal: FM, PSNR and DRD within 2x of DoxaPy's ``calculate_performance``
(which computes accuracy, FM, MCC, PSNR, NRM and DRD in C++), and the whole
``evaluate`` including weight generation under 1 s per megapixel.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from binkit.metrics import drd, evaluate, fmeasure, pseudo_weights, psnr  # noqa: E402


def _dibco_page():
    from binkit import InputError
    from binkit.datasets import dibco_root

    try:
        roots = [dibco_root()]  # BINKIT_DIBCO_ROOT, then binkit's own data folders
    except InputError:
        roots = []
    for root in roots:
        gt_path = root / "2013" / "gt" / "2013_P05.png"
        if gt_path.is_file():
            from skimage.filters import threshold_otsu

            from binkit.io import read_gt, read_image

            gt = read_gt(gt_path)
            gray = read_image(root / "2013" / "images" / gt_path.name)
            return gt, gray <= threshold_otsu(gray), f"DIBCO {gt_path.stem}"
    return None


def _synthetic(h=400, w=800, seed=0):
    from scipy import ndimage as ndi

    rng = np.random.default_rng(seed)
    gt = np.zeros((h, w), bool)
    for _ in range(400):
        y, x = rng.integers(10, h - 10), rng.integers(10, w - 30)
        gt[y : y + rng.integers(2, 5), x : x + rng.integers(5, 25)] = True
    pred = ndi.binary_dilation(gt) ^ (rng.random((h, w)) < 0.01)
    return gt, pred, "synthetic strokes"


def _tile(a, shape):
    reps = (-(-shape[0] // a.shape[0]), -(-shape[1] // a.shape[1]))
    return np.tile(a, reps)[: shape[0], : shape[1]]


def _median_ms(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    page = _dibco_page() or _synthetic()
    gt0, pred0, source = page
    try:
        import doxapy
    except ImportError:
        doxapy = None
    print(f"page: {source}, tiled; median of {args.repeat} runs; times in ms")
    header = f"{'size':>10} {'step':<34} {'binkit':>9} {'doxapy':>9} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    for mp, shape in ((1, (1000, 1000)), (4, (2000, 2000))):
        gt, pred = _tile(gt0, shape), _tile(pred0, shape)
        weights = pseudo_weights(gt)
        t_dx = None
        if doxapy is not None:
            g8 = np.where(gt, 0, 255).astype(np.uint8)
            p8 = np.where(pred, 0, 255).astype(np.uint8)
            t_dx = _median_ms(lambda: doxapy.calculate_performance(g8, p8), args.repeat)
        rows = [
            ("fmeasure + psnr + drd", lambda: (fmeasure(pred, gt), psnr(pred, gt), drd(pred, gt)), True),
            ("drd alone", lambda: drd(pred, gt), True),
            ("evaluate, given weights", lambda: evaluate(pred, gt, weights), True),
            ("pseudo_weights (generation)", lambda: pseudo_weights(gt), False),
            ("evaluate, generating weights", lambda: evaluate(pred, gt), True),
        ]
        for name, fn, compare in rows:
            ms = _median_ms(fn, args.repeat)
            if compare and t_dx is not None:
                print(f"{mp:>8}MP {name:<34} {ms:>9.1f} {t_dx:>9.1f} {ms / t_dx:>6.2f}x")
            else:
                print(f"{mp:>8}MP {name:<34} {ms:>9.1f} {'':>9} {'':>7}")
    if doxapy is None:
        print("(doxapy not installed: no comparison)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
