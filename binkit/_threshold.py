"""The rules every threshold method of binkit shares (:mod:`binkit.classical`, :mod:`binkit.hybrid`,
:mod:`binkit.gridlstm`): where a threshold becomes ink, that a page without contrast has no ink,
and the tiles in which page-sized work is done so that memory follows the pixel count.

The reasons for each rule are in :mod:`binkit.classical`'s notes.
"""

from __future__ import annotations

import numpy as np
from skimage.filters import threshold_otsu

from .io import as_gray

__all__ = ["TIE_TOLERANCE", "MIN_CONTRAST", "BAND_PIXELS", "gray_page", "no_contrast", "ink_at", "chunks", "spans",
           "bands", "otsu_of_counts", "otsu_of_gray", "global_ink"]

#: Ties go to ink: ``gray <= T + TIE_TOLERANCE`` (see :mod:`binkit.classical`'s notes).
TIE_TOLERANCE = 1e-6

#: A page whose grey levels span less than this (at most one 8-bit level) has
#: no contrast, hence no ink.
MIN_CONTRAST = 1.5 / 255


def gray_page(image) -> np.ndarray:
    """The image as float64 (H, W) in [0, 1], validated by :func:`binkit.io.as_gray`.

    The one image check of :mod:`binkit.classical`: each public function calls it
    once and hands the result to private workers (``_sauvola_threshold`` and
    the like), which take it as checked and do not call it again.
    """
    return as_gray(image, name="image", copy=False).astype(np.float64)


def no_contrast(gray: np.ndarray) -> bool:
    """True for a page whose levels span less than :data:`MIN_CONTRAST`: it has no ink."""
    return float(gray.max()) - float(gray.min()) < MIN_CONTRAST


def ink_at(gray: np.ndarray, threshold) -> np.ndarray:
    """The one rule of binkit's thresholds: ink where ``gray <= T`` (up to TIE_TOLERANCE).

    A page without contrast (:func:`no_contrast`) has no ink, whatever ``T``.
    """
    if no_contrast(gray):
        return np.zeros(gray.shape, dtype=bool)
    return np.asarray(gray <= np.asarray(threshold) + TIE_TOLERANCE, dtype=bool)


#: Pixels per tile (about 4 MP, its halo included) of the page-sized work of
#: this module: the local methods' surfaces and Otsu's histogram and ink.  They
#: work through a page tile by tile, each with the window's halo, so their
#: memory is bounded by the tile and not by the page (a float64 surface and its
#: integral images cost about 85 bytes per pixel: 2.6 GB for Sauvola on a
#: 30-MP page before).  The result is the one of the whole page at once.
BAND_PIXELS = 1 << 22


def chunks(size: int, pixels: int | None = None):
    """Ranges ``(i0, i1)`` of about ``pixels`` (default a quarter of :data:`BAND_PIXELS`) of a page's flat pixels.

    For the work that needs no neighbours (a histogram, a comparison with one
    threshold): each chunk of the raveled page is turned into float64 on its
    own, so the page is held once, in its own type, whatever its shape.
    """
    step = max(1, BAND_PIXELS // 4 if pixels is None else pixels)
    for i0 in range(0, size, step):
        yield i0, min(size, i0 + step)


def spans(length: int, size: int, halo: int):
    """``(o0, o1, i0, i1)``: output ``o0:o1`` from input ``i0:i1`` (the halo added), in pieces of ``size``.

    One piece (the whole length) unless the length is at least two pieces.
    """
    if length < 2 * size:
        return [(0, length, 0, length)]
    return [(o0, min(length, o0 + size), max(0, o0 - halo), min(length, o0 + size + halo))
            for o0 in range(0, length, size)]


def bands(shape, window: int, pixels: int | None = None):
    """Tiles ``((r0, r1, a, b), (c0, c1, ca, cb))``: output ``r0:r1, c0:c1`` from input ``a:b, ca:cb``.

    A tile, its halo of ``window // 2`` included, holds about ``pixels``
    (default :data:`BAND_PIXELS`) pixels: bands of whole rows on an ordinary page, and
    pieces of rows on a page so wide that a band of ``window`` rows across it
    (the least a band can be) would pass that (a 1 x 4,000,000 strip: a band
    of it, padded to the window's height, took more than 5 GB).  So memory
    follows the page's pixel count, not its longer side.  A tile holds at
    least ``window`` rows and columns (or the whole side), so a window never
    reaches past the tile's own pixels, and the mirrored border of the page
    is the same as when the whole page is processed.
    """
    height, width = shape
    pixels = BAND_PIXELS if pixels is None else pixels
    halo = window // 2
    side = max(window, 64)
    cols = width
    if (min(height, side) + 2 * halo) * (width + 2 * halo) > pixels:
        cols = max(side, pixels // (min(height, side) + 2 * halo) - 2 * halo)
    rows = max(pixels // (min(width, cols) + 2 * halo) - 2 * halo, side)
    for band in spans(height, rows, halo):
        for piece in spans(width, cols, halo):
            yield band, piece


def otsu_of_counts(counts: np.ndarray) -> float:
    """Otsu's threshold of the 256 bin counts of :func:`otsu_of_gray` (integers)."""
    if np.count_nonzero(counts) < 2:
        return 0.0
    return float(threshold_otsu(hist=(counts, np.arange(256) / 255.0)))


def otsu_of_gray(gray: np.ndarray) -> float:
    """:func:`binkit.classical.otsu_threshold` of a checked ``gray`` (float32 or float64: see :func:`gray_page`)."""
    counts = np.zeros(256, dtype=np.intp)
    flat = np.ravel(gray)
    for i0, i1 in chunks(flat.size):
        # in float64 chunk by chunk: the same levels as the whole page at once, at
        # the chunk's cost (the page's levels as intp took 8 bytes a pixel more)
        band = np.asarray(flat[i0:i1], dtype=np.float64)
        # Bin j holds the values in ((j - 1)/255, j/255] (widened by TIE_TOLERANCE),
        # so "bin <= j" and "image <= j/255" are the same test.
        levels = np.clip(np.ceil(band * 255 - 255 * TIE_TOLERANCE), 0, 255).astype(np.intp)
        counts += np.bincount(levels, minlength=256)
    return otsu_of_counts(counts)


def global_ink(gray: np.ndarray, threshold: float) -> np.ndarray:
    """:func:`ink_at` of one threshold for the whole page, chunk by chunk (no float64 copy of the page)."""
    ink = np.zeros(gray.shape, dtype=bool)
    if no_contrast(gray):
        return ink
    limit = float(threshold) + TIE_TOLERANCE
    flat, out = np.ravel(gray), ink.reshape(-1)
    for i0, i1 in chunks(flat.size):
        out[i0:i1] = np.asarray(flat[i0:i1], dtype=np.float64) <= limit
    return ink
