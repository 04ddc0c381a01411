"""How much of the faint pages' ink can a per-pixel rule keep at all? Oracle ceilings, page by page.

Issue 30 asks the default model to keep >= 90 % of the faint pages' ink with
FM >= 85.  This prints what two *oracle* per-pixel rules reach on the committed
faint pages (``data/synthetic_faint``), both fitted on each page's own ground
truth, so no method that looks at one pixel at a time can do better:

``grey``
    the page's luminance divided by its background (a 31-pixel median), with
    the threshold (of all there are) that gives the page its best FM;
``colour``
    the same flattening per RGB channel, then the page's best linear colour
    projection (Fisher's discriminant, fitted on the page's own ink and paper
    pixels) and its best threshold.

For each, the mean over the pages of the best FM, and of the best FM among the
thresholds that keep >= 90 % of the ink.  ``d_prime`` is the ink's mean distance
from the paper's along the colour projection, in standard deviations of the
paper.  A model that sees neighbourhoods (the Grid LSTM) can exceed these, as
strokes are connected; they say how weak the per-pixel signal is.

    python benchmarks/faint_ceiling.py [--pages data/synthetic_faint]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy import ndimage

ROOT = Path(__file__).resolve().parents[1]
BACKGROUND_WINDOW = 31
RECALL_FLOOR = 0.90


def best_thresholds(score: np.ndarray, ink: np.ndarray) -> tuple[float, float]:
    """Best FM over every threshold on ``score`` (ink = high), and the best FM among those with recall >= 90 %."""
    score, ink = score.ravel(), ink.ravel()
    order = np.argsort(-score, kind="stable")
    tp = np.cumsum(ink[order])
    # a threshold can only fall between two different scores: cut after the last of each run of ties
    cuts = np.flatnonzero(np.diff(score[order]) != 0).tolist() + [score.size - 1]
    tp, labelled = tp[cuts].astype(np.float64), np.asarray(cuts, dtype=np.float64) + 1
    precision, recall = tp / labelled, tp / max(int(ink.sum()), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        fm = np.where(tp > 0, 2 * precision * recall / (precision + recall), 0.0)
    at_floor = fm[recall >= RECALL_FLOOR]
    return float(fm.max()), float(at_floor.max()) if at_floor.size else 0.0


def flatten(channel: np.ndarray) -> np.ndarray:
    """A channel divided by its background, so uneven light does not decide the threshold."""
    return channel / np.maximum(ndimage.median_filter(channel, size=BACKGROUND_WINDOW), 1e-3)


def page_ceilings(rgb: np.ndarray, ink: np.ndarray) -> dict:
    """Both oracles on one page: ``rgb`` (H, W, 3) float in 0..1, ``ink`` (H, W) bool."""
    from binkit.io import LUMA_WEIGHTS

    grey = flatten(rgb @ np.asarray(LUMA_WEIGHTS, dtype=np.float64))
    grey_best, grey_floor = best_thresholds(-grey, ink)
    x = np.stack([flatten(rgb[..., c]) for c in range(3)], axis=-1).reshape(-1, 3)
    flat_ink = ink.ravel()
    ink_px, paper_px = x[flat_ink], x[~flat_ink]
    w = np.linalg.solve(np.cov(ink_px.T) + np.cov(paper_px.T), ink_px.mean(0) - paper_px.mean(0))
    projected = x @ w
    colour_best, colour_floor = best_thresholds(projected, flat_ink)
    paper_proj = projected[~flat_ink]
    d_prime = (projected[flat_ink].mean() - paper_proj.mean()) / paper_proj.std()
    return {"grey": grey_best, "grey@90": grey_floor, "colour": colour_best, "colour@90": colour_floor,
            "d_prime": d_prime}


def _row(label: str, r: dict) -> str:
    return (f"{label:<22} {100 * r['grey']:8.2f} {100 * r['grey@90']:6.2f} {100 * r['colour']:10.2f} "
            f"{100 * r['colour@90']:6.2f} {r['d_prime']:8.2f}")


def _mean(rows: list[dict]) -> dict:
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}


def main(argv=None) -> int:
    from PIL import Image

    from binkit.io import read_gt, read_json

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=Path, default=ROOT / "data" / "synthetic_faint")
    args = parser.parse_args(argv)
    images = sorted((args.pages / "images").glob("*.png"))
    if not images:
        print(f"no pages in {args.pages / 'images'}", file=sys.stderr)
        return 2
    manifest = args.pages / "manifest.json"
    kinds = ({p["name"]: p["kind"] for p in read_json(manifest, "faint set manifest")["pages"]}
             if manifest.is_file() else {})
    rows = {}
    print(f"{'page (kind)':<22} {'grey FM':>8} {'@90%':>6} {'colour FM':>10} {'@90%':>6} {'d_prime':>8}")
    for path in images:
        rgb = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64) / 255.0
        rows[path.stem] = page_ceilings(rgb, read_gt(args.pages / "gt" / path.name))
        print(_row(f"{path.stem} ({kinds.get(path.stem, '?')})", rows[path.stem]))
    for kind in sorted(set(kinds.values())):
        print(_row(f"mean, {kind}", _mean([r for name, r in rows.items() if kinds.get(name) == kind])))
    print(_row("mean, all pages", _mean(list(rows.values()))))
    print("FM in %, each page's oracle threshold; @90%: the best FM among thresholds that keep >= 90 % of the ink")
    return 0


if __name__ == "__main__":
    sys.exit(main())
