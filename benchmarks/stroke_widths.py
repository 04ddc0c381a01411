"""Stroke widths of binkit's page sets: could a page's stroke width tell when to resample it for the Grid LSTM?

``upscale=s`` runs the Grid LSTM on the page resampled by ``s`` (notebook 00,
docs/methods/gridlstm.md).  It helps a small scan whose strokes are a pixel or
two wide and hurts the faint-ink pages, so an automatic rule would have to tell
those apart.  This prints each set's stroke widths, measured two ways:

``gt``
    from the ground truth's ink: twice the median Euclidean distance from the
    ink's skeleton to the page (a one- or two-pixel stroke gives 2);
``estimate``
    the same on Sauvola's ink (binkit's default Sauvola), what a rule could
    compute on a page with no ground truth.

For each set, the share of pages whose width is at most 2 pixels (the
scikit-image page's), and the smallest, median and largest width over the pages.

    python benchmarks/stroke_widths.py [--years 2011 2016] [--hard DIR] [--faint DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy import ndimage
from skimage.morphology import skeletonize

import binkit
from binkit.datasets import load_synthetic, page
from binkit.io import as_gray

ROOT = Path(__file__).resolve().parents[1]
THIN = 2.0  # the width of one- and two-pixel strokes by this measure


def stroke_width(ink: np.ndarray) -> float:
    """Twice the median distance from the skeleton of ``ink`` (H, W) bool to the page; NaN without ink."""
    skeleton = skeletonize(ink)
    if not skeleton.any():
        return float("nan")
    return float(2.0 * np.median(ndimage.distance_transform_edt(ink)[skeleton]))


def page_widths(image, gt=None) -> dict:
    """``{"gt": ..., "estimate": ...}`` for one page (``gt`` (H, W) bool or None)."""
    gray = as_gray(image)
    return {"gt": stroke_width(gt) if gt is not None else float("nan"),
            "estimate": stroke_width(binkit.binarize(gray, "sauvola"))}


def summary(widths: list[float]) -> str:
    w = np.asarray([x for x in widths if not np.isnan(x)])
    if not w.size:
        return f"{'-':>8}{'-':>7}{'-':>8}{'-':>7}"
    return f"{100 * np.mean(w <= THIN):>7.0f}%{w.min():>7.2f}{np.median(w):>8.2f}{w.max():>7.2f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--years", nargs="*", type=int, default=[2011, 2016],
                    help="DIBCO years (default 2011 2016; none to skip; the data from $BINKIT_DIBCO_ROOT)")
    ap.add_argument("--hard", default=str(ROOT / "data" / "synthetic_hard"))
    ap.add_argument("--faint", default=str(ROOT / "data" / "synthetic_faint"))
    args = ap.parse_args(argv)

    sets: dict[str, list[dict]] = {"scikit-image page": [page_widths(page())]}
    if args.years:
        try:
            samples = binkit.datasets.load_dibco(years=args.years)
        except FileNotFoundError as exc:
            print(f"DIBCO skipped: {str(exc).split('. ')[0]}")
        else:
            sets[f"DIBCO {' '.join(map(str, args.years))}"] = [page_widths(s.image, s.gt) for s in samples]
    for label, folder in (("hard pages", args.hard), ("faint-ink pages", args.faint)):
        sets[label] = [page_widths(s.image, s.gt) for s in load_synthetic(folder)]

    head = (f"{'':<22}{'':>6}  {'ground truth':^30}  {'estimate (Sauvola)':^30}\n"
            f"{'set':<22}{'pages':>6}  " + f"{'<=2 px':>8}{'min':>7}{'median':>8}{'max':>7}  " * 2)
    print(head.rstrip())
    print("-" * 92)
    for label, rows in sets.items():
        print(f"{label:<22}{len(rows):>6}  {summary([r['gt'] for r in rows])}  {summary([r['estimate'] for r in rows])}")
    print("\nwidth: twice the median distance from the ink's skeleton to the page, in pixels (2 for one- and "
          "two-pixel strokes);\n<=2 px: the share of the set's pages that thin; gt: the ground truth's ink; "
          "estimate: Sauvola's ink.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
