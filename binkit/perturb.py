"""Controlled damage to a binary image, to see how each metric reacts.

:func:`perturb` takes a binarization (usually a ground truth) and spoils it in
the ways real binarizers go wrong, one knob per kind of error:

============  ====================================  =====================
knob          what it imitates                      changes
============  ====================================  =====================
``dilate``    a threshold set too high: fat,        adds ink at stroke
              merging strokes                       edges
``erode``     a threshold set too low: thin,        removes ink at stroke
              vanishing strokes                     edges
``breaks``    faint ink lost in the middle of a     removes ink in thin
              stroke                                cuts across strokes
``bleed``     show-through of the other side of     adds ink *off* the
              the sheet kept as ink                 mask
``noise``     speckle: isolated wrong pixels        flips pixels anywhere
============  ====================================  =====================

The knobs are applied in that order (morphology, then breaks, then
bleed-through, then noise), so that, for instance, noise is never eroded away.
Every random choice comes from the ``rng`` argument, and each knob draws from
its own stream derived from it: with the same seed, raising one knob never
changes the random choices of another, and the damage of a knob only grows as
it is raised (the pixels flipped by ``noise=0.01`` are among those flipped by
``noise=0.02``).  That is what a slider needs to feel continuous.

Examples
--------
>>> import numpy as np
>>> from binkit.perturb import perturb
>>> gt = np.zeros((32, 32), bool); gt[8:24, 14:19] = True   # a vertical bar
>>> fat = perturb(gt, dilate=1)
>>> bool((fat >= gt).all()), int(fat.sum() - gt.sum())      # only adds ink
(True, 42)
>>> cut = perturb(gt, breaks=1, rng=0)                      # one 2-px cut across
>>> int(gt.sum() - cut.sum())
10
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from ._checks import check_fraction, check_int, is_integer
from ._errors import InputError
from .io import as_mask

__all__ = ["PERTURBATIONS", "disk", "perturb"]

#: The knobs of :func:`perturb`, in the order they are applied.
PERTURBATIONS = ("dilate", "erode", "breaks", "bleed", "noise")

# A cut runs horizontally or vertically, whichever crosses the stroke in
# fewer pixels.  (Diagonal cuts are left out on purpose: a one- or two-pixel
# diagonal band does not sever a stroke, since ink connects across it
# diagonally.)
_DIRECTIONS = ((0, 1), (1, 0))

# Longest run of ink (in pixels, each way from the chosen pixel) a cut will
# remove; beyond it the pixel is inside a blob, not a stroke.
_MAX_HALF_CUT = 40


def disk(radius: int) -> np.ndarray:
    """A disk-shaped structuring element: ``x^2 + y^2 <= radius^2``.

    Parameters
    ----------
    radius : int
        Non-negative radius in pixels.

    Returns
    -------
    footprint : (2 radius + 1, 2 radius + 1) ndarray of bool
    """
    return _disk(check_int("radius", radius, minimum=0))


def _disk(r: int) -> np.ndarray:
    """:func:`disk` for a radius already checked (a non-negative int)."""
    y, x = np.ogrid[-r : r + 1, -r : r + 1]
    return x * x + y * y <= r * r


def _generator(rng) -> np.random.Generator:
    """A NumPy Generator from ``rng``: a Generator, an int seed, or None (seed 0)."""
    if rng is None:
        return np.random.default_rng(0)
    if isinstance(rng, np.random.Generator):
        return rng
    if is_integer(rng) and rng >= 0:
        return np.random.default_rng(int(rng))
    raise InputError(f"rng must be a numpy Generator, a non-negative int seed or None, got {rng!r}")


def _run_length(ink: np.ndarray, y: int, x: int, dy: int, dx: int) -> int:
    """Ink pixels in a row from (y, x), stepping (dy, dx), excluding (y, x); capped."""
    h, w = ink.shape
    n = 0
    while n < _MAX_HALF_CUT:
        yy, xx = y + (n + 1) * dy, x + (n + 1) * dx
        if not (0 <= yy < h and 0 <= xx < w) or not ink[yy, xx]:
            break
        n += 1
    return n


def _cut(ink: np.ndarray, y: int, x: int, width: int) -> bool:
    """Cut the stroke at (y, x) in place, ``width`` lines thick; False if it is no place for a cut.

    The cut runs in the direction (horizontal or vertical) with the shorter
    ink run through (y, x), so it crosses the stroke instead of following it,
    and it removes whole runs, so the stroke is severed.  Its thickness is
    laid out along the other direction, ``width`` lines centred on (y, x).
    Nothing is cut (and False returned) unless the stroke goes on, with ink,
    on both sides of the cut: a cut at the end of a stroke would only shorten it.
    """
    runs = [_run_length(ink, y, x, dy, dx) + _run_length(ink, y, x, -dy, -dx) for dy, dx in _DIRECTIONS]
    dy, dx = _DIRECTIONS[int(np.argmin(runs))]
    py, px = dx, dy  # the other direction: along the stroke
    h, w = ink.shape
    first = -((width - 1) // 2)
    offsets = range(first - 1, first + width + 1)  # the cut's lines and one beyond each side
    cells = [(y + s * py, x + s * px) for s in offsets]
    if not all(0 <= cy < h and 0 <= cx < w and ink[cy, cx] for cy, cx in cells):
        return False
    # measure every line first, then clear, so one line does not shorten the next
    lines = [(cy, cx, _run_length(ink, cy, cx, -dy, -dx), _run_length(ink, cy, cx, dy, dx))
             for cy, cx in cells[1:-1]]
    for cy, cx, a, b in lines:
        k = np.arange(-a, b + 1)
        ink[cy + k * dy, cx + k * dx] = False
    return True


def perturb(
    mask,
    *,
    dilate: int = 0,
    erode: int = 0,
    breaks: int = 0,
    bleed: float = 0.0,
    noise: float = 0.0,
    rng=None,
    bleed_source=None,
    break_width: int = 2,
) -> np.ndarray:
    """Spoil a binary image in controlled ways (fat or thin strokes, cuts, show-through, speckle).

    The knobs are applied in this order, each to the result of the previous one:

    1. ``dilate``: binary dilation by a disk of radius ``dilate`` (adds ink).
    2. ``erode``: binary erosion by a disk of radius ``erode`` (removes ink;
       outside the image counts as page).
    3. ``breaks``: that many cuts across strokes.  Each picks an ink pixel at
       random, finds the direction (horizontal or vertical) in which the
       ink run through it is shorter, and removes that whole run (at most
       81 px long), ``break_width`` lines thick (removes ink).  A pixel
       where the stroke does not go on beyond both sides of the cut (a
       stroke end, a speck) is passed over for the next one.
    4. ``bleed``: bleed-through.  The connected components (8-connected) of
       ``bleed_source`` are ranked at random and the pixels of a fraction
       ``bleed`` of them become ink (adds ink, only where there was none).
    5. ``noise``: each pixel flips (ink <-> page) independently with
       probability ``noise``.

    Parameters
    ----------
    mask : (H, W) ndarray of bool
        The binary image to spoil, True = ink (0/1 integers accepted);
        typically a ground truth.  It is not modified.
    dilate, erode : int, default 0
        Radii in pixels (0 = off).
    breaks : int, default 0
        Number of cuts (0 = off).  Fewer are made when the mask runs out of
        places to cut (at most ``20 breaks + 200`` pixels are tried).
    bleed : float in [0, 1], default 0
        Fraction of the bleed-through components that appear (0 = off).
    noise : float in [0, 1], default 0
        Probability that a pixel flips (0 = off); the expected fraction of
        pixels flipped.
    rng : numpy.random.Generator or int or None
        Source of the random choices (breaks, bleed, noise); an int is a
        seed, None means seed 0, so a call is reproducible by default.  Each
        knob draws from its own stream derived from ``rng``, so with the same
        seed the random choices of one knob do not depend on the others, and
        its damage grows monotonically with its strength (nested sets of
        pixels).
    bleed_source : (H, W) ndarray of bool, optional
        The text that shows through.  Default: ``mask`` mirrored left to right
        (the other side of the sheet, seen through the paper).
    break_width : int, default 2
        Thickness of each cut in pixels, >= 1.

    Returns
    -------
    spoiled : (H, W) ndarray of bool
        A new array, True = ink.

    Raises
    ------
    binkit.InputError
        ``mask`` or ``bleed_source`` not a 2-D mask, shapes that differ, a
        negative or non-integer radius, count or width, a strength outside
        [0, 1], or an ``rng`` that is not a Generator, int or None.

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.zeros((40, 40), bool); gt[5:35, 10:14] = True
    >>> p = perturb(gt, noise=0.05, rng=1)
    >>> float(round((p != gt).mean(), 2))
    0.05
    """
    ink = as_mask(mask, "mask")
    dilate = check_int("dilate", dilate, minimum=0)
    erode = check_int("erode", erode, minimum=0)
    breaks = check_int("breaks", breaks, minimum=0)
    bleed = check_fraction("bleed", bleed)
    noise = check_fraction("noise", noise)
    break_width = check_int("break_width", break_width, minimum=1)
    if bleed_source is None:
        source = ink[:, ::-1]
    else:
        source = as_mask(bleed_source, "bleed_source")
        if source.shape != ink.shape:
            raise InputError(f"bleed_source has shape {source.shape}, mask has {ink.shape}")
    gen = _generator(rng)
    # One independent stream per random knob, fixed whatever the knob values.
    rng_breaks, rng_bleed, rng_noise = (
        np.random.default_rng(s) for s in gen.integers(0, 2**63, size=3)
    )

    out = ink.copy()
    if dilate:
        out = ndi.binary_dilation(out, structure=_disk(dilate))
    if erode:
        out = ndi.binary_erosion(out, structure=_disk(erode), border_value=0)
    if breaks:
        # Candidate pixels are drawn once, in a fixed random order, so more
        # breaks only add cuts; a candidate already cut away is skipped.
        candidates = np.flatnonzero(out)
        if candidates.size:
            order = rng_breaks.permutation(candidates.size)
            done = 0
            # Give up after a bounded number of tries (a mask of specks has
            # no stroke to cut).
            for idx in candidates[order[: 20 * breaks + 200]]:
                if done == breaks:
                    break
                y, x = divmod(int(idx), out.shape[1])
                if out[y, x] and _cut(out, y, x, break_width):
                    done += 1
    if bleed:
        labels, n = ndi.label(source, structure=np.ones((3, 3), bool))
        if n:
            keep = np.zeros(n + 1, bool)
            keep[1:] = rng_bleed.random(n) < bleed
            out |= keep[labels]
    if noise:
        out ^= rng_noise.random(out.shape) < noise
    return out
