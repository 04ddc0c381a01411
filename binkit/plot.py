"""One plotting style for the whole course.

Every overlay in binkit uses the same colour code, so a learner reads an
error picture the same way in every notebook:

* correct ink (true positive): **black**
* false positive (page predicted as ink): **red**
* false negative (ink the method missed): **blue**
* correct page (true negative): **white**
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .io import as_mask

__all__ = ["COLORS", "error_overlay", "show_images", "use_style"]

#: RGB colours in [0, 1] for the four outcomes of a pixel.
COLORS = {
    "tp": (0.0, 0.0, 0.0),
    "fp": (0.85, 0.10, 0.10),
    "fn": (0.10, 0.35, 0.95),
    "tn": (1.0, 1.0, 1.0),
}

_STYLE = {
    "figure.dpi": 100,
    "figure.figsize": (9, 4),
    "image.cmap": "gray",
    "image.interpolation": "nearest",
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 9,
}


def use_style() -> None:
    """Apply binkit's matplotlib style (grey images, nearest-neighbour pixels, small titles)."""
    import matplotlib as mpl

    mpl.rcParams.update(_STYLE)


def error_overlay(pred, gt) -> np.ndarray:
    """Colour each pixel by its outcome: TP black, FP red, FN blue, TN white.

    Parameters
    ----------
    pred, gt : (H, W) ndarray of bool
        Prediction and ground truth, True = ink.

    Returns
    -------
    rgb : (H, W, 3) ndarray of float32
    """
    pred, gt = as_mask(pred, "pred"), as_mask(gt, "gt")
    rgb = np.empty(pred.shape + (3,), np.float32)
    rgb[:] = COLORS["tn"]
    rgb[pred & gt] = COLORS["tp"]
    rgb[pred & ~gt] = COLORS["fp"]
    rgb[~pred & gt] = COLORS["fn"]
    return rgb


def show_images(images: Sequence[np.ndarray], titles: Sequence[str] | None = None, *, ncols=None, size=3.2):
    """Show grey images, masks (True = ink, drawn black) or RGB arrays side by side.

    Parameters
    ----------
    images : sequence of ndarray
        (H, W) float in [0, 1], (H, W) bool masks, or (H, W, 3) RGB.
    titles : sequence of str, optional
    ncols : int, optional
        Columns in the grid (default: all in one row).
    size : float
        Height of one panel in inches.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    n = len(images)
    ncols = ncols or n
    nrows = -(-n // ncols)
    first = np.asarray(images[0])
    aspect = first.shape[1] / first.shape[0]
    fig, axes = plt.subplots(nrows, ncols, figsize=(min(16, size * aspect * ncols), size * nrows), squeeze=False)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    for k, img in enumerate(images):
        ax = axes.ravel()[k]
        a = np.asarray(img)
        if a.dtype == bool:
            a = (~a).astype(np.float32)  # ink drawn black on white
        ax.imshow(a, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.axis("off")
        if titles is not None:
            ax.set_title(titles[k])
    fig.tight_layout()
    return fig
