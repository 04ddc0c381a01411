"""The classical start of the hybrid method: a logistic decision surface S(b, t).

The hybrid paper builds on "a generic binarization method without manually
tunable heuristic parameters" (its reference [7]).  Its formulas were lost,
and neither the paper nor [7] could be found, so this module follows the
reconstruction explained in ``docs/hybrid_method.md`` ("the spec").  Every
formula below is marked the way the spec marks it:

* **FOUND** -- taken from a published source (cited where it is used);
* **RECONSTRUCTED** -- proposed by the spec to fit every clue in the short
  paper.  It is *not* the paper's own formula.

What the paper says (FOUND, paper text)
---------------------------------------
The method computes a global text intensity, a global background intensity
and one more global quantity, then decides each pixel with a logistic
function of two local values: the local median ``M(x, y)`` and the local
average ``A(x, y)``.  The paper plots that function as a depth field over the
plane (abscissa = background intensity ``b``, ordinate = text intensity
``t``).

The closest published rule (FOUND, Gatos et al. 2006)
------------------------------------------------------
B. Gatos, I. Pratikakis and S. J. Perantonis compute a background surface
``B`` and a smoothed image ``I``; a pixel is text iff ``B - I > d(B)`` with::

    d(B) = q * delta * [(1 - p2) / (1 + exp(-4B / (b (1 - p1)) + 2 (1 + p1) / (1 - p1))) + p2]

``delta`` (mean text-to-background distance) and ``b`` (mean background) are
global; ``q = 0.6, p1 = 0.5, p2 = 0.8`` are the hand-tuned constants that
[7] claims to remove.

The rule used here (RECONSTRUCTED, spec section 2.2)
----------------------------------------------------
Local arguments, per pixel:

* ``b = M``, the median over a large ``background_window`` (a robust local
  background while text covers less than half the window);
* ``t = A``, the box mean over a small ``text_window`` (3): the pixel's
  denoised intensity.

Global quantities, once per page (:func:`global_levels`):

* ``theta`` = Otsu's threshold (:func:`binkit.classical.otsu_threshold`);
* ``T_g`` = mean of ``I`` over ``I <= theta`` (global text intensity);
* ``B_g`` = mean of ``I`` over ``I > theta`` (global background intensity);
* ``sigma_n`` = 1.4826 * MAD of ``I - M`` over the background class, at
  least 2/255 (noise level).

Decision surface (multiplicative illumination model: text is ``T_g / B_g``
as bright as its paper everywhere, and the boundary is the midpoint between
the expected text level ``b T_g / B_g`` and the paper ``b``)::

    tau(b)  = kappa * b,              kappa = (T_g + B_g) / (2 B_g)
    S(b, t) = sigmoid((tau(b) - t) / sigma_n)       "probability of text"
    text  iff  S(M, A) >= 0.5,  i.e.  A < kappa * M

The spec also lists three variants for ablation (RECONSTRUCTED, section 2.3),
available through ``variant=``:

* ``"additive"`` (V1): ``tau(b) = b - (B_g - T_g) / 2``;
* ``"gatos"`` (V2, Gatos' form made data-driven, :func:`gatos_style`):
  ``tau(b) = b - d(b)``, ``d(b) = ((B_g - T_g) / 2) * [p2 + (1 - p2) *
  sigmoid((b - (T_g + B_g) / 2) / sigma_n)]`` with ``p2 = T_g / B_g``;
* ``"scaled-noise"`` (V3): ``tau`` as the main rule, but ``sigma_n`` in S
  replaced by ``sigma_n * b / B_g``.

Window defaults (RECONSTRUCTED): ``text_window = 3``; ``background_window``
is the odd number nearest ``4 SW + 1``, with the stroke width ``SW`` twice the
mean distance-transform value on the skeleton of the Otsu ink
(:func:`stroke_width`), or 31 when that cannot be estimated.  Borders are
mirrored (NumPy's ``"reflect"``), as in :mod:`binkit.classical`.  A window
larger than the page (given or from the ``4 SW + 1`` rule) is clamped to
``2 * max(H, W) + 1``, the side that already holds the whole page from every
pixel (:func:`binkit._checks.page_window`; the rule and why it is a clamp
are in :mod:`binkit.classical`).

A page without contrast (grey levels spanning at most one 8-bit level,
:data:`binkit.classical.MIN_CONTRAST`) has no ink: :func:`logistic_binarize`
returns none and :func:`logistic_probability` is 0 everywhere (on such a
page ``kappa = 1`` and ``S`` would sit at 0.5, on the cliff).

How well the defaults do (measured, not from the paper)
-------------------------------------------------------
Mean FM (x 100) with binkit's metrics, every page of each set:

================================  ============  ==============
method                            2009-2014     H-DIBCO 2016
                                  (75 pages)    (10 pages)
================================  ============  ==============
Otsu                              81.97         86.65
Sauvola (window 51, k 0.2)        82.40         84.55
logistic, spec defaults           81.97         83.54
logistic, text_window=1           82.89         84.20
logistic, background_window=31    85.10         85.20
gatos_style (V2)                  80.94         81.42
================================  ============  ==============

On these scans the ``4 SW + 1`` rule gives windows of 11 to 353 pixels
(15 to 45 on 2016), and a fixed 31 does better on both sets; the 3x3 mean
costs recall on thin strokes.  The variants ``"additive"`` (77.2 on 2016) and ``swap=True``
(78.5) do worse; ``"scaled-noise"`` takes the same decisions as the main
rule (only the softness of S changes).  NRM is higher than Otsu's (0.125
against 0.074 on 2016): the surface loses ink rather than adding noise.

Speed
-----
The median is scikit-image's histogram rank filter
(:func:`skimage.filters.rank.median`) on 8-bit levels, cost proportional to
the window *height*, not its area.  Its histogram search starts at level 0, so
a bright page is inverted first (the median commutes with ``255 - x``), which
halves the time.  ``benchmarks/bench_hybrid.py`` measures it against
``scipy.ndimage.median_filter``: on a shared 2-core machine a 31x31 median
of a 3-MP page took 0.73 s, scipy's 32 s (44x slower).

References
----------
B. Gatos, I. Pratikakis and S. J. Perantonis, "Adaptive degraded document
image binarization", Pattern Recognition 39(3), 317-327, 2006.
doi:10.1016/j.patcog.2005.09.010

Examples
--------
>>> from binkit.datasets import synthetic_page
>>> from binkit.hybrid import global_levels, logistic_binarize
>>> page = synthetic_page(0, size=(128, 192))
>>> ink = logistic_binarize(page.image)
>>> ink.dtype, ink.shape
(dtype('bool'), (128, 192))
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.special import expit
from skimage.filters.rank import median as _rank_median
from skimage.morphology import skeletonize

from .._checks import check_bool, check_int, check_odd_window, is_real, page_window
from .._errors import InputError
from ..io import as_gray
from .. import _threshold
from .._threshold import (MIN_CONTRAST, TIE_TOLERANCE, bands, chunks, global_ink, gray_page, ink_at, no_contrast,
                          otsu_of_counts, otsu_of_gray)

__all__ = [
    "DEFAULT_TEXT_WINDOW",
    "FALLBACK_BACKGROUND_WINDOW",
    "MIN_CLASS_WEIGHT",
    "NOISE_FLOOR",
    "VARIANTS",
    "GlobalLevels",
    "LocalStatistics",
    "logistic_binarize",
    "decision_threshold",
    "default_background_window",
    "gatos_style",
    "global_levels",
    "local_mean",
    "local_median",
    "local_statistics",
    "logistic_surface",
    "stroke_width",
    "surface_grid",
    "logistic_probability",
]

#: Side of the box mean ``A`` (the ``t`` argument), in pixels.  RECONSTRUCTED.
DEFAULT_TEXT_WINDOW = 3

#: Median window when the stroke width cannot be estimated.  RECONSTRUCTED.
FALLBACK_BACKGROUND_WINDOW = 31

#: Lower bound of the noise level ``sigma_n`` (2 grey levels).  RECONSTRUCTED.
NOISE_FLOOR = 2 / 255

#: An Otsu class lighter than this fraction of the page counts as degenerate.
MIN_CLASS_WEIGHT = 0.01

#: Decision-surface variants: the spec's main rule and its ablations V1-V3.
VARIANTS = ("multiplicative", "additive", "gatos", "scaled-noise")

# 1.4826 * MAD estimates a Gaussian standard deviation (1 / Phi^-1(3/4)).
_MAD_TO_STD = 1.4826


# ----------------------------------------------------------------------------
# checks
# ----------------------------------------------------------------------------


# The public functions check the image once (binkit._threshold.gray_page: float64
# holding float32 values in [0, 1]) and their scalars with binkit._checks;
# the private workers below (_local_median, _stroke_width, _global_levels,
# ...) take those checked values and do not check them again.


def _variant(variant) -> str:
    if not isinstance(variant, str) or variant.lower() not in VARIANTS:
        raise InputError(f"unknown variant {variant!r}; choose one of: {', '.join(VARIANTS)}")
    return variant.lower()


# ----------------------------------------------------------------------------
# local statistics
# ----------------------------------------------------------------------------


def local_median(image, window: int = FALLBACK_BACKGROUND_WINDOW, *, threads: int | None = None) -> np.ndarray:
    """Local median ``M`` over ``window x window`` squares (the ``b`` argument).

    Parameters
    ----------
    image : (H, W) or (H, W, 3|4) array_like
        Anything :func:`binkit.io.as_gray` accepts.
    window : int, default 31
        Odd, >= 3.  It may exceed the image: the mirroring then repeats, up
        to ``2 * max(H, W) + 1``, where it is clamped (it then holds the
        whole page from every pixel).
    threads : int, optional
        Horizontal strips filtered in parallel, >= 1 (default: the CPU count, at
        most 8; pages under a quarter megapixel use one).  The result does
        not depend on it.

    Returns
    -------
    M : (H, W) ndarray of float32
        In [0, 1], on the 8-bit grid ``k / 255``.

    Notes
    -----
    The grey levels are rounded to 8 bits and filtered with scikit-image's
    histogram rank filter, whose cost grows with the window *height* only
    (the histogram slides along each row).  Rounding is monotone, so the
    result is the rounded exact median: exact for 8-bit scans, within half a
    grey level (1/510) for 16-bit or float ones.  The border is mirrored
    (``... c b | a b c ...``), so every window holds ``window**2`` values and
    the result equals ``scipy.ndimage.median_filter(x, window,
    mode="mirror")``.

    Examples
    --------
    >>> import numpy as np
    >>> from binkit.hybrid import local_median
    >>> float(local_median(np.eye(5, dtype=np.float32), window=3)[2, 2])
    0.0
    """
    gray = gray_page(image)
    window = page_window(check_odd_window("window", window, 3), gray.shape)
    if threads is not None:
        threads = check_int("threads", threads, minimum=1)
    return _local_median(gray, window, threads)


def _local_median(gray: np.ndarray, window: int, threads: int | None = None) -> np.ndarray:
    """:func:`local_median` of a checked ``gray`` and ``window``."""
    return _MEDIAN_OF_LEVEL[_median_levels(_levels(gray), window, threads)]


def local_mean(image, window: int = DEFAULT_TEXT_WINDOW) -> np.ndarray:
    """Local mean ``A`` over ``window x window`` squares (the ``t`` argument).

    Parameters
    ----------
    image : (H, W) or (H, W, 3|4) array_like
        Anything :func:`binkit.io.as_gray` accepts.
    window : int, default 3
        Odd, >= 1 (1 returns the image itself); clamped to ``2 * max(H, W) + 1``.

    Returns
    -------
    A : (H, W) ndarray of float32
        In [0, 1].

    Notes
    -----
    A box filter (``scipy.ndimage.uniform_filter``, two 1-D running sums,
    cost independent of the window) with the border mirrored as in
    :func:`local_median`, computed in float64.
    """
    gray = gray_page(image)
    return _local_mean(gray, page_window(check_odd_window("window", window, 1), gray.shape))


def _local_mean(gray: np.ndarray, window: int) -> np.ndarray:
    """:func:`local_mean` of a checked ``gray`` and ``window``, band by band."""
    return _banded_local_mean(lambda rows, cols: np.asarray(gray[np.ix_(rows, cols)], dtype=np.float64),
                              gray.shape, window)


def stroke_width(image) -> float | None:
    """Estimated stroke width ``SW`` of the ink, in pixels.  RECONSTRUCTED.

    ``SW`` is twice the mean Euclidean distance-transform value on the
    skeleton of the Otsu ink (the distance from a stroke's centre line to
    the page, doubled).

    Parameters
    ----------
    image : (H, W) or (H, W, 3|4) array_like
        The page, as :func:`logistic_binarize` takes it.

    Returns
    -------
    float or None
        None when there is no usable ink: Otsu finds no split, or one class
        holds less than :data:`MIN_CLASS_WEIGHT` of the page.
    """
    return _stroke_width(gray_page(image))


def _stroke_width(gray: np.ndarray) -> float | None:
    """:func:`stroke_width` of a checked ``gray``."""
    ink = global_ink(gray, otsu_of_gray(gray))
    weight = ink.mean()
    if min(weight, 1.0 - weight) < MIN_CLASS_WEIGHT:
        return None
    return _stroke_width_of_ink(ink)


def default_background_window(image) -> int:
    """Default median window: the odd number nearest ``4 SW + 1``.  RECONSTRUCTED.

    ``SW`` is :func:`stroke_width`; when it cannot be estimated the window is
    :data:`FALLBACK_BACKGROUND_WINDOW` (31).  The window must exceed about
    twice the stroke width, or thick strokes leak into the background
    estimate.

    There is no upper bound.  When the Otsu ink holds large dark areas the
    "stroke width" is theirs: on DIBCO 2013_P04 the window is 353 pixels
    (2009_H05: 203), and the median, whose cost grows with the window
    height, is then about ten times slower than at 31.

    Parameters
    ----------
    image : (H, W) or (H, W, 3|4) array_like
        The page whose stroke width sets the window (anything
        :func:`binkit.io.as_gray` accepts).

    Returns
    -------
    int
        Odd, >= 3.
    """
    return _default_background_window(gray_page(image))


def _default_background_window(gray: np.ndarray) -> int:
    """:func:`default_background_window` of a checked ``gray``."""
    sw = _stroke_width(gray)
    if sw is None:
        return FALLBACK_BACKGROUND_WINDOW
    return max(3, 2 * int(round((4.0 * sw) / 2.0)) + 1)


# ----------------------------------------------------------------------------
# global levels
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GlobalLevels:
    """The three global quantities of a page (RECONSTRUCTED, spec 2.2).

    Attributes
    ----------
    text : float
        ``T_g``, the global text intensity, in [0, 1].
    background : float
        ``B_g``, the global background intensity, in [0, 1].
    noise : float
        ``sigma_n``, the noise level (> 0): the width of the logistic cliff.
    threshold : float or None
        Otsu's threshold ``theta`` they were computed from (None if given by hand).
    fallback : bool
        True when Otsu was degenerate and the percentile fallback was used.

    Examples
    --------
    >>> from binkit.hybrid import GlobalLevels
    >>> round(GlobalLevels(text=0.25, background=0.80, noise=0.03).kappa, 3)
    0.656
    """

    text: float
    background: float
    noise: float
    threshold: float | None = None
    fallback: bool = False

    @property
    def kappa(self) -> float:
        """``(T_g + B_g) / (2 B_g)``: the text/paper midpoint relative to the paper.

        1 when ``B_g`` is 0 (an all-black page), where the ratio is undefined.
        """
        if self.background <= 0:
            return 1.0
        return (self.text + self.background) / (2.0 * self.background)


def _checked_levels(levels) -> GlobalLevels:
    if not isinstance(levels, GlobalLevels):
        raise InputError(f"levels must be a GlobalLevels, got {type(levels).__name__}")
    for name in ("text", "background", "noise"):
        value = getattr(levels, name)
        if not is_real(value) or not np.isfinite(value):
            raise InputError(f"levels.{name} must be a finite real number, got {value!r}")
    if levels.noise <= 0:
        raise InputError(f"levels.noise must be > 0, got {levels.noise:g}")
    return levels


def global_levels(image, median=None, window: int | None = None) -> GlobalLevels:
    """Global text intensity, background intensity and noise level.  RECONSTRUCTED.

    With Otsu's threshold ``theta`` (:func:`binkit.classical.otsu_threshold`,
    text = ``I <= theta``)::

        T_g     = mean(I | I <= theta)
        B_g     = mean(I | I >  theta)
        sigma_n = max(1.4826 * MAD(I - M | I > theta), 2/255)

    MAD is the median absolute deviation from the median.  If Otsu is
    degenerate (a class holds less than 1 % of the page), ``T_g = P5(I)`` and
    ``B_g = P50(M)`` (percentiles), and the noise is measured over the pixels
    above ``theta`` if any, else over the whole page.

    Parameters
    ----------
    image : (H, W) or (H, W, 3|4) array_like
        Anything :func:`binkit.io.as_gray` accepts.
    median : (H, W) array_like, optional
        The local median ``M`` (:func:`local_median`), if already computed.
    window : int, optional
        Median window when ``median`` is not given.  Default:
        :func:`default_background_window`.

    Returns
    -------
    GlobalLevels

    Examples
    --------
    >>> from binkit.datasets import synthetic_page
    >>> g = global_levels(synthetic_page(0, size=(128, 192)).image)
    >>> 0 <= g.text < g.background <= 1
    True
    """
    gray = gray_page(image)
    if median is None:
        if window is None:
            window = _default_background_window(gray)
        median = _local_median(gray, page_window(check_odd_window("window", window, 3), gray.shape))
    else:
        median = gray_page(median)
        if median.shape != gray.shape:
            raise InputError(f"median has shape {median.shape}, the image {gray.shape}")
    return _global_levels(gray, median)


def _global_levels(gray: np.ndarray, median: np.ndarray) -> GlobalLevels:
    """:func:`global_levels` of a checked ``gray`` and its local ``median`` ((H, W) float)."""
    theta = otsu_of_gray(gray)
    ink = ink_at(gray, theta)
    weight = ink.mean()
    fallback = bool(min(weight, 1.0 - weight) < MIN_CLASS_WEIGHT)
    if fallback:
        text = float(np.percentile(gray, 5))
        background = float(np.percentile(median, 50))
    else:
        text = float(gray[ink].mean())
        background = float(gray[~ink].mean())
    residual = (gray - median)[~ink] if (~ink).any() else (gray - median).ravel()
    mad = np.median(np.abs(residual - np.median(residual)))
    noise = max(_MAD_TO_STD * float(mad), NOISE_FLOOR)
    return GlobalLevels(text=text, background=background, noise=noise, threshold=theta,
                        fallback=fallback)


# ----------------------------------------------------------------------------
# the page on the 8-bit grid, band by band
# ----------------------------------------------------------------------------

# A page is held here as its 8-bit levels (uint8, one byte a pixel), and each
# float a worker needs is made from them band by band, with the arithmetic of
# a whole-page float64 pass, so the results are those of the whole page to the
# last bit while memory follows the page's pixel count (the whole-page passes
# held up to 60 bytes a pixel at once: 9 GB on a page at the 150-MP limit).

#: The level ``k`` as the workers see the rounded page: ``float64(float32(k / 255))``.
_GRAY_OF_LEVEL = (np.arange(256) / 255).astype(np.float32).astype(np.float64)

#: The median level ``k`` as :func:`local_median` returns it: ``float32(k) / 255``.
_MEDIAN_OF_LEVEL = np.arange(256, dtype=np.float32) / np.float32(255)

#: Pixels of a median tile, its halo included: uint8, so larger than the float
#: tiles of :data:`binkit._threshold.BAND_PIXELS` (a tile's halo is work done twice).
_MEDIAN_PIXELS = 1 << 25

#: Leaves of NumPy's pairwise summation (``pairwise_sum`` in its loops): runs of
#: at most 128 values, summed with 8 accumulators.
_PAIRWISE_BLOCK = 128


def _levels(gray: np.ndarray) -> np.ndarray:
    """The page's 8-bit levels ``rint(gray * 255)`` as uint8, chunk by chunk (``gray`` in [0, 1])."""
    out = np.empty(gray.shape, dtype=np.uint8)
    flat, dst = np.ravel(gray), out.reshape(-1)
    for i0, i1 in chunks(flat.size):
        dst[i0:i1] = np.rint(np.asarray(flat[i0:i1], dtype=np.float64) * 255)
    return out


def _reflect(index: np.ndarray, n: int) -> np.ndarray:
    """Rows (or columns) of a page of ``n`` that NumPy's ``"reflect"`` padding puts at ``index``."""
    if n == 1:
        return np.zeros_like(index)
    period = 2 * (n - 1)
    index = np.mod(index, period)
    return np.where(index >= n, period - index, index)


def _median_levels(levels: np.ndarray, window: int, threads: int | None = None) -> np.ndarray:
    """The ``window x window`` median of 8-bit ``levels`` (mirrored border), uint8, tile by tile.

    Each tile's block, the window's halo included, is cut from the page with
    the mirrored border's rows and columns, so no padded copy of the page is
    made; the median is exact, so the tiles give the whole page's result.
    """
    half = window // 2
    height, width = levels.shape
    # The rank filter scans its 256-bin histogram from level 0, so a page whose
    # typical level is bright is inverted first: median(255 - x) = 255 - median(x).
    step = max(1, levels.size // 4096)
    invert = np.median(levels.ravel()[::step]) > 127
    footprint = np.ones((window, window), dtype=bool)
    if threads is None:
        threads = min(os.cpu_count() or 1, 8) if levels.size >= 250_000 else 1
    tiles = [(r0, r1, c0, c1) for (r0, r1, _, _), (c0, c1, _, _) in bands(levels.shape, window, _MEDIAN_PIXELS)]
    if len(tiles) < threads:  # a page of one tile: strips of rows, one per thread
        bounds = np.linspace(0, height, min(threads, height) + 1).astype(int)
        tiles = [(r0, r1, 0, width) for r0, r1 in zip(bounds[:-1], bounds[1:])]
    out = np.empty_like(levels)

    def tile(corners) -> None:
        r0, r1, c0, c1 = corners
        rows = _reflect(np.arange(r0 - half, r1 + half), height)
        cols = _reflect(np.arange(c0 - half, c1 + half), width)
        block = levels[np.ix_(rows, cols)]
        if invert:
            np.subtract(255, block, out=block)
        med = _rank_median(block, footprint)[half:half + r1 - r0, half:half + c1 - c0]
        out[r0:r1, c0:c1] = 255 - med if invert else med

    if len(tiles) == 1 or threads == 1:
        for corners in tiles:
            tile(corners)
    else:  # scikit-image's rank filters release the GIL: tiles in threads use every core
        with ThreadPoolExecutor(min(threads, len(tiles))) as pool:
            list(pool.map(tile, tiles))
    return out


def _running_sum(part, index: np.ndarray, window: int, carry=None) -> tuple[np.ndarray, np.ndarray]:
    """SciPy's running window sums along one axis at ``index`` (sorted), from ``carry`` or the line's start.

    ``part(j)`` gives the mirrored line's positions ``j`` (along axis 0 of
    the result).  SciPy sums the first window in order, then adds ``x[i + w
    - 1] - x[i - 1]`` position by position; ``np.cumsum`` adds in that same
    order, so a line cut in pieces, each started from the previous piece's
    last sum (``carry``), gives SciPy's sums to the last bit.  Returns the
    sums at ``index`` and the last one.
    """
    half = window // 2
    first = index[0]
    if first == 0:  # the first window, summed in order
        carry = part(np.arange(-half, -half + 1))[0]
        for j0 in range(1, window, 256):
            j = np.arange(j0, min(window, j0 + 256)) - half
            carry = np.cumsum(np.concatenate([carry[None], part(j)]), axis=0)[-1]
        index = index[1:]
    sums = carry[None]
    if index.size:
        steps = part(index + window - 1 - half) - part(index - 1 - half)
        sums = np.cumsum(np.concatenate([carry[None], steps]), axis=0)
    return (sums if first == 0 else sums[1:]), sums[-1]


def _mean_bands(block_of, shape, window: int):
    """``(r0, r1, c0, c1, mean)``: ``ndimage.uniform_filter(gray, window, mode="mirror")`` by pieces, to the bit.

    ``block_of(rows, cols)`` gives the float64 pixels of the page at those
    rows and columns.  SciPy filters the columns first and then the rows,
    each line with a running sum from its start (:func:`_running_sum`,
    each output the sum divided by ``window``).  A band is therefore not
    filtered on its own, which would start the sums at the band's edge and
    move the last bits: the columns' sums are carried from band to band and
    the rows' from piece to piece, so that a band of a strip one row high
    is cut in pieces too.
    """
    height, width = shape
    half = window // 2
    columns_carry = None
    for r0, r1 in _row_chunks(shape):
        rows = np.arange(r0, r1)
        step = max(1, (_threshold.BAND_PIXELS // 4) // (r1 - r0))
        carry_next = np.empty(width) if r1 < height else None  # the columns' sums, for the next band
        row_sums = None
        for c0 in range(0, width, step):
            c1 = min(width, c0 + step)
            own = np.arange(c0, c1)
            if window == 1:  # SciPy filters no axis of size 1: the page itself
                yield r0, r1, c0, c1, block_of(rows, own)
                continue
            wanted = [own, _reflect(own + half, width), _reflect(own - 1 - half, width)]
            if c0 == 0:
                wanted.append(_reflect(np.arange(window) - half, width))
            cols = np.unique(np.concatenate(wanted))
            where = np.full(width, -1)  # reflected columns may fall outside cols' own range
            where[cols] = np.arange(cols.size)
            carry = None if columns_carry is None else columns_carry[cols]
            sums, last = _running_sum(lambda j: block_of(_reflect(j, height), cols), rows, window, carry)
            if carry_next is not None:
                carry_next[c0:c1] = last[where[own]]
            column_means = sums / float(window)
            row_sums, row_sums_last = _running_sum(
                lambda j: column_means[:, where[_reflect(j, width)]].T, own, window, row_sums)
            yield r0, r1, c0, c1, row_sums.T / float(window)
            row_sums = row_sums_last
        columns_carry = carry_next


def _row_chunks(shape):
    """Row ranges of about a quarter of :data:`binkit._threshold.BAND_PIXELS` pixels (at least one row)."""
    height, width = shape
    rows = max(1, (_threshold.BAND_PIXELS // 4) // max(width, 1))
    for r0 in range(0, height, rows):
        yield r0, min(height, r0 + rows)


def _banded_local_mean(block_of, shape, window: int) -> np.ndarray:
    """:func:`local_mean` (float32) of the page ``block_of`` gives, band by band."""
    out = np.empty(shape, dtype=np.float32)
    for r0, r1, c0, c1, mean in _mean_bands(block_of, shape, window):
        out[r0:r1, c0:c1] = np.clip(mean, 0.0, 1.0)
    return out


def _skeleton_distances(ink: np.ndarray, skeleton: np.ndarray, halo: int = 64) -> np.ndarray:
    """``ndimage.distance_transform_edt(ink)[skeleton]``, tile by tile (float64, the page's row-major order).

    A tile's transform sees only the page's paper inside the tile and its
    halo, so it can only overstate a distance; a distance no longer than the
    way out of the tile (through a cut edge) is the page's own, and a tile
    with a longer one is done again with its halo doubled, up to the whole
    page.  The transform of a whole page takes about 33 bytes a pixel.
    """
    height, width = ink.shape
    per_row = np.count_nonzero(skeleton, axis=1)
    row_start = np.concatenate([[0], np.cumsum(per_row)[:-1]])
    out = np.empty(int(per_row.sum()), dtype=np.float64)
    for (r0, r1, _, _), (c0, c1, _, _) in bands(ink.shape, 1, _threshold.BAND_PIXELS // 4):
        rr, cc = np.nonzero(skeleton[r0:r1, c0:c1])
        if not rr.size:
            continue
        before = np.count_nonzero(skeleton[r0:r1, :c0], axis=1)[rr] if c0 else 0
        within = np.arange(rr.size) - np.searchsorted(rr, rr)  # rank in its row of the tile
        ranks = row_start[r0 + rr] + before + within
        rr, cc = rr + r0, cc + c0
        size = halo
        while True:
            a, b = max(0, r0 - size), min(height, r1 + size)
            ca, cb = max(0, c0 - size), min(width, c1 + size)
            whole = (a, b, ca, cb) == (0, height, 0, width)
            part = ink[a:b, ca:cb]
            if whole or not part.all():
                d = ndimage.distance_transform_edt(part)[rr - a, cc - ca]
                exit_ = np.full(d.shape, np.inf)
                for cut, way in ((a > 0, rr - a + 1), (b < height, b - rr), (ca > 0, cc - ca + 1),
                                 (cb < width, cb - cc)):
                    if cut:
                        exit_ = np.minimum(exit_, way)
                if whole or (d <= exit_).all():
                    break
            size *= 2
        out[ranks] = d
    return out


def _stroke_width_of_ink(ink: np.ndarray) -> float | None:
    """:func:`stroke_width` of the Otsu ink of a page (the class weights already checked)."""
    skeleton = skeletonize(ink)
    if not skeleton.any():
        return None
    return float(2.0 * _skeleton_distances(ink, skeleton).mean())


def _pairwise_mean(levels: np.ndarray, chosen: np.ndarray, value_of_level: np.ndarray, count: int) -> float:
    """``value_of_level[levels][chosen[levels]].mean()``, chunk by chunk, to the last bit.

    NumPy sums a float64 array pairwise: halves (the first a multiple of 8)
    down to runs of at most 128 values, each summed with 8 accumulators.  The
    runs depend only on the count, so they are laid out first and filled as
    the chosen pixels come, in the page's order; the halves are then added
    back in NumPy's order.  The chosen pixels are never held at once (8 bytes
    each: up to 1.2 GB for a page's paper).
    """
    # lay out the tree: each level splits the runs longer than a leaf
    splits, runs = [], np.array([count], dtype=np.int64)
    while (runs > _PAIRWISE_BLOCK).any():
        split = runs > _PAIRWISE_BLOCK
        first = runs // 2
        first -= first % 8
        width = np.where(split, 2, 1)
        at = np.cumsum(width) - width
        children = np.repeat(runs, width)
        children[at[split]] = first[split]
        children[at[split] + 1] = (runs - first)[split]
        splits.append((split, at))
        runs = children
    ends = np.cumsum(runs)
    sums = np.empty(runs.size, dtype=np.float64)
    done, carry, offset = 0, np.empty(0), 0  # leaves summed, values not yet in a leaf, their position
    flat = levels.reshape(-1)
    for i0, i1 in chunks(flat.size):
        chunk = flat[i0:i1]
        values = np.concatenate([carry, value_of_level[chunk[chosen[chunk]]]])
        last = int(np.searchsorted(ends, offset + values.size, side="right"))  # leaves now complete
        if last == done:
            carry = values
            continue
        starts = (ends[done:last] - runs[done:last]) - offset
        for length in np.unique(runs[done:last]):
            pick = np.flatnonzero(runs[done:last] == length)
            sums[done + pick] = _leaf_sums(values[starts[pick, None] + np.arange(length)])
        used = int(ends[last - 1] - offset)
        carry, offset, done = values[used:], offset + used, last
    for split, at in reversed(splits):
        up = sums[at]
        up[split] = sums[at[split]] + sums[at[split] + 1]
        sums = up
    return float((0.0 + sums[0]) / count)


def _leaf_sums(values: np.ndarray) -> np.ndarray:
    """NumPy's sum of each row of ``values`` (runs of at most 128), in its order of additions."""
    length = values.shape[1]
    if length < 8:
        total = np.zeros(values.shape[0])
        for i in range(length):
            total = total + values[:, i]
        return total
    acc = values[:, :8].copy()
    i = 8
    while i < length - length % 8:
        acc += values[:, i:i + 8]
        i += 8
    total = ((acc[:, 0] + acc[:, 1]) + (acc[:, 2] + acc[:, 3])) + ((acc[:, 4] + acc[:, 5]) + (acc[:, 6] + acc[:, 7]))
    for j in range(i, length):
        total = total + values[:, j]
    return total


def _median_of_counts(values: np.ndarray, counts: np.ndarray) -> np.float64:
    """``np.median`` of the multiset holding each of ``values`` ``counts`` times."""
    order = np.argsort(values, kind="stable")
    values, ends = values[order], np.cumsum(counts[order])
    n = int(ends[-1])

    def nth(i):  # the i-th smallest, from 0
        return values[np.searchsorted(ends, i, side="right")]

    middle = [nth(n // 2)] if n % 2 else [nth(n // 2 - 1), nth(n // 2)]
    return np.median(np.array(middle, dtype=np.float64))  # NumPy's own mean of the one or two middle values


def _ink_of_levels(hist: np.ndarray) -> tuple[float, np.ndarray]:
    """Otsu's threshold of the rounded page and which levels are its ink (``ink_at`` as a table)."""
    bins = np.clip(np.ceil(_GRAY_OF_LEVEL * 255 - 255 * TIE_TOLERANCE), 0, 255).astype(np.intp)
    counts = np.zeros(256, dtype=np.intp)
    np.add.at(counts, bins, hist)
    theta = otsu_of_counts(counts)
    present = np.flatnonzero(hist)
    if _GRAY_OF_LEVEL[present[-1]] - _GRAY_OF_LEVEL[present[0]] < MIN_CONTRAST:
        return theta, np.zeros(256, dtype=bool)
    return theta, _GRAY_OF_LEVEL <= np.asarray(theta) + TIE_TOLERANCE


def _levels_statistics(levels: np.ndarray, median: np.ndarray, hist: np.ndarray) -> GlobalLevels:
    """:func:`_global_levels` of the rounded page and its median, from their 8-bit levels, bit for bit."""
    n = levels.size
    theta, is_ink = _ink_of_levels(hist)
    n_ink = int(hist[is_ink].sum())
    weight = n_ink / n
    fallback = bool(min(weight, 1.0 - weight) < MIN_CLASS_WEIGHT)
    if fallback:  # rare (a page with almost no ink): the percentiles of the whole page, as before
        text = float(np.percentile(_GRAY_OF_LEVEL[levels], 5))
        background = float(np.percentile(_MEDIAN_OF_LEVEL[median].astype(np.float64), 50))
    else:
        text = _pairwise_mean(levels, is_ink, _GRAY_OF_LEVEL, n_ink)
        background = _pairwise_mean(levels, ~is_ink, _GRAY_OF_LEVEL, n - n_ink)
    # the residual gray - median takes one value per pair of levels: its median
    # and its MAD come from the pairs' counts
    paper = ~is_ink if n_ink < n else np.ones(256, dtype=bool)
    pairs = np.zeros(256 * 256, dtype=np.intp)
    flat_g, flat_m = levels.reshape(-1), median.reshape(-1)
    for i0, i1 in chunks(n):
        g, m = flat_g[i0:i1], flat_m[i0:i1]
        keep = paper[g]
        pairs += np.bincount(g[keep].astype(np.intp) * 256 + m[keep], minlength=256 * 256)
    seen = np.flatnonzero(pairs)
    residual = _GRAY_OF_LEVEL[seen // 256] - _MEDIAN_OF_LEVEL[seen % 256].astype(np.float64)
    centre = _median_of_counts(residual, pairs[seen])
    mad = _median_of_counts(np.abs(residual - centre), pairs[seen])
    noise = max(_MAD_TO_STD * float(mad), NOISE_FLOOR)
    return GlobalLevels(text=text, background=background, noise=noise, threshold=theta, fallback=fallback)


class _LevelMap:
    """A float32 page map held as its 8-bit levels: a slice of it is ``value_of_level[levels[slice]]``.

    One byte a pixel instead of four for the local median ``b``, which the
    hybrid method reads tile by tile; ``np.asarray`` gives the whole map.
    """

    def __init__(self, levels: np.ndarray, value_of_level: np.ndarray):
        self.levels, self.value_of_level = levels, value_of_level

    shape = property(lambda self: self.levels.shape)
    ndim = property(lambda self: self.levels.ndim)
    dtype = property(lambda self: self.value_of_level.dtype)

    def __getitem__(self, key) -> np.ndarray:
        return self.value_of_level[self.levels[key]]

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        values = self.value_of_level[self.levels]
        return values if dtype is None else values.astype(dtype, copy=False)


@dataclass(frozen=True, eq=False)
class _PageStatistics:
    """What the decision needs, at 5 bytes a pixel: the median's 8-bit levels and the float32 mean."""

    median: np.ndarray  # (H, W) uint8: b = _MEDIAN_OF_LEVEL[median]
    t: np.ndarray  # (H, W) float32
    levels: GlobalLevels
    background_window: int
    text_window: int

    def b(self, i0: int, i1: int) -> np.ndarray:
        """``b`` (float32) of the flat pixels ``i0:i1``."""
        return _MEDIAN_OF_LEVEL[self.median.reshape(-1)[i0:i1]]


def _page_statistics(gray: np.ndarray, background_window: int | None, text_window: int) -> _PageStatistics:
    """:func:`_local_statistics` (``swap=False``) of a checked ``gray``, band by band, bit for bit."""
    levels = _levels(gray)
    hist = np.bincount(levels.reshape(-1), minlength=256)
    if background_window is None:
        background_window = FALLBACK_BACKGROUND_WINDOW
        _, is_ink = _ink_of_levels(hist)
        weight = int(hist[is_ink].sum()) / levels.size
        if min(weight, 1.0 - weight) >= MIN_CLASS_WEIGHT:
            sw = _stroke_width_of_ink(is_ink[levels])
            if sw is not None:
                background_window = max(3, 2 * int(round((4.0 * sw) / 2.0)) + 1)
    background_window = page_window(background_window, gray.shape)
    text_window = page_window(text_window, gray.shape)
    median = _median_levels(levels, background_window)
    global_levels = _levels_statistics(levels, median, hist)
    t = _banded_local_mean(lambda rows, cols: _GRAY_OF_LEVEL[levels[np.ix_(rows, cols)]], levels.shape, text_window)
    return _PageStatistics(median, t, global_levels, background_window, text_window)


@dataclass(frozen=True, eq=False)
class LocalStatistics:
    """Everything the decision needs, computed once per page.

    The paper precomputes the median and average "documents"; the hybrid
    stage reuses them with a different surface.

    Attributes
    ----------
    b : (H, W) ndarray of float32
        Background argument of S: the local median ``M`` (the local mean
        over the large window when ``swapped``).
    t : (H, W) ndarray of float32
        Text argument of S: the local mean ``A`` (the local median over the
        small window when ``swapped``).
    levels : GlobalLevels
    background_window, text_window : int
    swapped : bool
    """

    b: np.ndarray
    t: np.ndarray
    levels: GlobalLevels
    background_window: int
    text_window: int
    swapped: bool = False


def local_statistics(image, background_window: int | None = None, text_window: int = DEFAULT_TEXT_WINDOW,
                     swap: bool = False) -> LocalStatistics:
    """Compute ``b``, ``t`` and the global levels of a page.

    Parameters
    ----------
    image : (H, W) or (H, W, 3|4) array_like
        Anything :func:`binkit.io.as_gray` accepts.
    background_window : int, optional
        Odd, >= 3.  Default: :func:`default_background_window` (``4 SW + 1``, or 31).
    text_window : int, default 3
        Odd, >= 1.
    swap : bool, default False
        The spec's ablation (RECONSTRUCTED): ``b`` = mean over the large
        window and ``t`` = median over the small one, since the paper does
        not say which statistic uses which window.

    Returns
    -------
    LocalStatistics

    Notes
    -----
    Everything is computed on the page rounded to 8-bit levels ``k / 255``
    (the grid on which the median filter and Otsu's histogram already work):
    exact for 8-bit scans, a change of at most half a level (1/510, a
    quarter of the noise floor) for 16-bit or float pages.  It keeps ``b``
    and ``t`` on the same grid, so that on a flat page they tie.
    """
    gray = gray_page(image)
    if background_window is not None:
        background_window = check_odd_window("background_window", background_window, 3)
    text_window = check_odd_window("text_window", text_window, 1)
    swap = check_bool("swap", swap)
    return _local_statistics(gray, background_window, text_window, swap)


def _local_statistics(gray: np.ndarray, background_window: int | None, text_window: int,
                      swap: bool) -> LocalStatistics:
    """:func:`local_statistics` of a checked ``gray`` and checked windows (None: the default)."""
    if not swap:
        stats = _page_statistics(gray, background_window, text_window)
        return LocalStatistics(b=_MEDIAN_OF_LEVEL[stats.median], t=stats.t, levels=stats.levels,
                               background_window=stats.background_window, text_window=stats.text_window)
    # The ablation, in whole-page passes: its b, the large window's mean, is
    # off the 8-bit grid the banded statistics work on.  The levels k / 255 in
    # the form every worker takes (float64 holding float32 values, as gray_page
    # returns them).
    gray = (np.rint(gray * 255) / 255).astype(np.float32).astype(np.float64)
    if background_window is None:
        background_window = _default_background_window(gray)
    # windows past the page only repeat its mirror image, at a cost in their square
    background_window = page_window(background_window, gray.shape)
    text_window = page_window(text_window, gray.shape)
    b = _local_mean(gray, background_window)
    t = _local_median(gray, text_window) if text_window >= 3 else gray.astype(np.float32)
    levels = _global_levels(gray, b.astype(np.float64))
    return LocalStatistics(b=b, t=t, levels=levels, background_window=background_window,
                           text_window=text_window, swapped=swap)


def _statistics_for_decision(image, background_window, text_window, swap):
    """(t, b of flat pixels ``i0:i1``, global levels): :func:`local_statistics` as the decision reads it.

    The main rule's statistics stay banded (:class:`_PageStatistics`, 5 bytes
    a pixel; the page is not copied to float64); the ``swap`` ablation's are
    whole-page arrays.
    """
    gray = as_gray(image, name="image", copy=False)  # checked first, as local_statistics does
    if background_window is not None:
        background_window = check_odd_window("background_window", background_window, 3)
    text_window = check_odd_window("text_window", text_window, 1)
    if not check_bool("swap", swap):
        stats = _page_statistics(gray, background_window, text_window)
        return stats.t, stats.b, stats.levels
    stats = _local_statistics(gray.astype(np.float64), background_window, text_window, True)
    return stats.t, lambda i0, i1: stats.b.reshape(-1)[i0:i1], stats.levels


# ----------------------------------------------------------------------------
# the decision surface
# ----------------------------------------------------------------------------


def decision_threshold(b, levels: GlobalLevels, variant: str = "multiplicative") -> np.ndarray:
    """The boundary ``tau(b)``: a pixel is text when ``t`` is below it.  RECONSTRUCTED.

    ``"multiplicative"`` and ``"scaled-noise"``: ``tau = kappa b``;
    ``"additive"``: ``tau = b - (B_g - T_g) / 2``; ``"gatos"``:
    ``tau = b - d(b)`` (see the module notes).

    Parameters
    ----------
    b : array_like of float
        Background intensities in [0, 1].
    levels : GlobalLevels
    variant : str, default "multiplicative"
        One of :data:`VARIANTS`.

    Returns
    -------
    tau : ndarray of float64, the shape of ``b``
    """
    return _decision_threshold(b, _checked_levels(levels), _variant(variant))


def _decision_threshold(b, levels: GlobalLevels, variant: str) -> np.ndarray:
    """:func:`decision_threshold` for checked ``levels`` and ``variant``."""
    b = np.asarray(b, dtype=np.float64)
    tg, bg, sn = levels.text, levels.background, levels.noise
    if variant in ("multiplicative", "scaled-noise"):
        return levels.kappa * b
    if variant == "additive":
        return b - (bg - tg) / 2.0
    # "gatos": Gatos' logistic distance made data-driven (spec V2).
    p2 = tg / bg if bg > 0 else 1.0
    d = ((bg - tg) / 2.0) * (p2 + (1.0 - p2) * expit((b - (tg + bg) / 2.0) / sn))
    return b - d


def logistic_surface(b, t, levels: GlobalLevels, variant: str = "multiplicative") -> np.ndarray:
    """The decision surface ``S(b, t) = sigmoid((tau(b) - t) / sigma_n)``.  RECONSTRUCTED.

    ``S`` is the "probability of text" of a pixel whose local background is
    ``b`` and whose own (smoothed) intensity is ``t``: about 1 well below the
    boundary ``t = tau(b)`` (:func:`decision_threshold`), about 0 well above
    it, with a cliff ``sigma_n`` wide.  Plotted over the (b, t) plane it is
    the depth field of the paper's Fig. 1.

    Parameters
    ----------
    b, t : array_like of float
        Background and text intensities in [0, 1]; they broadcast.
    levels : GlobalLevels
        ``T_g``, ``B_g`` and ``sigma_n``.
    variant : str, default "multiplicative"
        One of :data:`VARIANTS`.  ``"scaled-noise"`` uses the width
        ``sigma_n * max(b, 1/255) / B_g``.

    Returns
    -------
    S : ndarray of float64
        In [0, 1], the broadcast shape of ``b`` and ``t``.

    Examples
    --------
    The spec's example: ``T_g = 0.25, B_g = 0.80``, so the boundary is 0.525
    on clean paper (b = 0.8) and 0.328 on a stain (b = 0.5).

    >>> from binkit.hybrid import GlobalLevels, logistic_surface
    >>> g = GlobalLevels(text=0.25, background=0.80, noise=0.03)
    >>> float(logistic_surface(0.8, 0.525, g)), float(logistic_surface(0.5, 0.328125, g))
    (0.5, 0.5)
    """
    return _logistic_surface(b, t, _checked_levels(levels), _variant(variant))


def _logistic_surface(b, t, levels: GlobalLevels, variant: str) -> np.ndarray:
    """:func:`logistic_surface` for checked ``levels`` and ``variant``."""
    b = np.asarray(b, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    width = levels.noise
    if variant == "scaled-noise":
        bg = levels.background if levels.background > 0 else 1.0
        width = levels.noise * np.maximum(b, 1.0 / 255) / bg
    return expit((_decision_threshold(b, levels, variant) - t) / width)


def surface_grid(levels: GlobalLevels, size: int = 256, variant: str = "multiplicative") -> np.ndarray:
    """Sample ``S`` on a ``size x size`` grid over [0, 1]^2.  RECONSTRUCTED (spec 3).

    ``Z[i, j] = S(b_i, t_j)`` with ``b_i = i / (size - 1)`` and
    ``t_j = j / (size - 1)``: rows are the background axis, columns the text
    axis.  With ``size = 256`` there is one node per 8-bit level.

    Parameters
    ----------
    levels : GlobalLevels
    size : int, default 256
        >= 2.
    variant : str, default "multiplicative"

    Returns
    -------
    Z : (size, size) ndarray of float64
    """
    size = check_int("size", size, minimum=2)
    nodes = np.linspace(0.0, 1.0, size)
    return logistic_surface(nodes[:, None], nodes[None, :], levels, variant)


# ----------------------------------------------------------------------------
# binarization
# ----------------------------------------------------------------------------


def logistic_probability(image, background_window: int | None = None, text_window: int = DEFAULT_TEXT_WINDOW,
                         variant: str = "multiplicative", swap: bool = False) -> np.ndarray:
    """The soft text map ``S(M, A)`` of a page.  RECONSTRUCTED.

    Parameters are those of :func:`logistic_binarize`.

    Returns
    -------
    P : (H, W) ndarray of float32
        In [0, 1]; ``P >= 0.5`` is (up to exact ties) :func:`logistic_binarize`.
        0 everywhere on a page without contrast (see the module notes).
    """
    variant = _variant(variant)
    t, b, levels = _statistics_for_decision(image, background_window, text_window, swap)
    probability = np.zeros(t.shape, dtype=np.float32)
    if no_contrast(t):
        return probability
    flat_t, out = t.reshape(-1), probability.reshape(-1)
    for i0, i1 in chunks(t.size):
        out[i0:i1] = _logistic_surface(b(i0, i1), flat_t[i0:i1], levels, variant)
    return probability


def logistic_binarize(image, background_window: int | None = None, text_window: int = DEFAULT_TEXT_WINDOW,
                      variant: str = "multiplicative", swap: bool = False) -> np.ndarray:
    """Binarize with the logistic decision surface: ink where ``S(M, A) >= 0.5``.  RECONSTRUCTED.

    The classical start of the hybrid method (the paper's reference [7] as
    reconstructed by the spec, section 2.2): with the local median ``M``,
    the local mean ``A`` and the page's global levels (:func:`global_levels`),
    a pixel is ink iff::

        A < kappa * M,        kappa = (T_g + B_g) / (2 B_g)

    which is where ``S(M, A) = sigmoid((kappa M - A) / sigma_n)`` reaches 0.5.
    There is no hand-tuned constant: the 1/2 is the midpoint between text
    and paper, and ``kappa`` and ``sigma_n`` come from the page.

    Parameters
    ----------
    image : (H, W) or (H, W, 3|4) array_like
        Anything :func:`binkit.io.as_gray` accepts.
    background_window : int, optional
        Side of the median window (odd, >= 3).  Default: the odd number
        nearest ``4 SW + 1`` (:func:`default_background_window`), 31 when the stroke
        width cannot be estimated.
    text_window : int, default 3
        Side of the mean window (odd, >= 1).
    variant : str, default "multiplicative"
        One of :data:`VARIANTS` (``"gatos"`` is :func:`gatos_style`).
    swap : bool, default False
        Median over the small window and mean over the large one (ablation).

    Returns
    -------
    ink : (H, W) ndarray of bool
        True = ink.

    Raises
    ------
    binkit.InputError
        A bad image, window or variant.

    Notes
    -----
    Ties: the spec writes both ``S >= 0.5`` and ``A < kappa M``, which differ
    only where ``A = kappa M`` exactly.  Here ties (within
    :data:`binkit.classical.TIE_TOLERANCE`) go to the page, so a flat page,
    where ``A = M`` and ``kappa = 1``, has no ink.  A page without contrast
    (:data:`binkit.classical.MIN_CONTRAST`) has none either.

    Examples
    --------
    >>> from binkit.datasets import synthetic_page
    >>> from binkit.hybrid import logistic_binarize
    >>> ink = logistic_binarize(synthetic_page(0, size=(128, 192)).image)
    >>> ink.dtype, ink.shape
    (dtype('bool'), (128, 192))
    """
    variant = _variant(variant)
    t, b, levels = _statistics_for_decision(image, background_window, text_window, swap)
    ink = np.zeros(t.shape, dtype=bool)
    if no_contrast(t):
        return ink
    flat_t, out = t.reshape(-1), ink.reshape(-1)
    for i0, i1 in chunks(t.size):  # chunk by chunk: tau in float64 costs 8 bytes a pixel
        out[i0:i1] = flat_t[i0:i1] < _decision_threshold(b(i0, i1), levels, variant) - TIE_TOLERANCE
    return ink


def gatos_style(image, background_window: int | None = None,
                text_window: int = DEFAULT_TEXT_WINDOW) -> np.ndarray:
    """Binarize with Gatos' decision form made data-driven (spec V2).  RECONSTRUCTED.

    Gatos et al. (2006, FOUND) call a pixel text iff ``B - I > d(B)``, with a
    logistic ``d`` and three hand-tuned constants ``q, p1, p2``.  The spec's
    variant V2 keeps the logistic shape and takes everything from the page:
    with ``b = M`` and ``t = A``, ink iff ``A < b - d(b)`` where::

        d(b) = ((B_g - T_g) / 2) * [p2 + (1 - p2) * sigmoid((b - (T_g + B_g) / 2) / sigma_n)]
        p2   = T_g / B_g

    ``d`` rises from ``p2 (B_g - T_g) / 2`` on dark backgrounds to
    ``(B_g - T_g) / 2`` on bright ones.  It is :func:`logistic_binarize` with
    ``variant="gatos"``; kept for comparison.

    Parameters
    ----------
    image : (H, W) or (H, W, 3|4) array_like
    background_window : int, optional
    text_window : int, default 3

    Returns
    -------
    ink : (H, W) ndarray of bool
        True = ink.

    References
    ----------
    B. Gatos, I. Pratikakis and S. J. Perantonis, "Adaptive degraded
    document image binarization", Pattern Recognition 39(3), 317-327, 2006.
    doi:10.1016/j.patcog.2005.09.010
    """
    return logistic_binarize(image, background_window=background_window, text_window=text_window,
                     variant="gatos")
