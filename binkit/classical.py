"""Classical thresholding: Otsu, Niblack, Sauvola, Wolf, NICK, Phansalkar, Bernsen, Bradley.

Every method here is a plain function ``method(image, **params) -> ink`` that
returns a ``bool`` array of shape ``(H, W)`` with ``True`` = ink, and has a
twin ``method_threshold(image, **params)`` that returns the threshold itself
(a number for Otsu, a float64 *threshold surface* ``T`` of shape ``(H, W)``
for the local methods), so a notebook can plot it next to the image.

A page without contrast has no ink
----------------------------------
A page whose grey levels span at most one 8-bit level (``max - min <
1.5 / 255``, :data:`MIN_CONTRAST`: a blank sheet, a constant array, a white
page with specks one level darker) has nothing to separate, and every
method returns no ink for it, whatever its level.  Without this rule a
blank white page came out all ink with Niblack (every pixel ties with its
flat window's mean) and Wolf (``R = 0``), and a constant dark page all ink
with most methods.  The threshold functions still return their surfaces;
the rule is applied where a surface becomes ink (:func:`ink_at`), so it holds
for every method of this module and for :mod:`binkit.hybrid`, which uses
the same helper.  A page with two or more levels of contrast is thresholded
as the method says: on a white page with a few specks two levels darker,
Otsu and Wolf mark the specks, Niblack about 40 % of the paper (its flat
windows tie, see :func:`niblack_threshold`).

The rule that turns a threshold into ink is the same everywhere::

    ink = image <= T

A pixel **at or below** its threshold is ink, one above it is page.  This is
the convention of DoxaPy (``pixel <= threshold ? black : white``) and of
scikit-image (whose documentation calls ``image > T`` the foreground, i.e.
the bright page of a document).  The comparison has an absolute tolerance of
``1e-6`` (:data:`TIE_TOLERANCE`).  ``T`` is computed in floating point from
window sums, and a pixel that *equals* its threshold in exact arithmetic
(any pixel of a flat region under Niblack, for example) would otherwise land
on either side of it at random: the window sums carry rounding noise of
about ``1e-12``, and the standard deviation of a flat window, the square
root of that noise, comes out near ``1e-6`` instead of 0.  In a test with a
flat patch, 35-60 % of it became ink without the tolerance, all of it with.
``1e-6`` is 1/4000 of an 8-bit grey level and 1/15 of a 16-bit one: it
sends ties to ink, as DoxaPy's integer arithmetic does, and changes
nothing else that matters.  (Limit: with windows under 5 on images of
several megapixels the noise can exceed it; a flat patch then loses ~0.1 %
of its ties.)

Scale
-----
binkit images are floats in ``[0, 1]``, while the papers write their
constants for 8-bit images (0..255).  A constant ``c`` in grey levels becomes
``c / 255`` here: Sauvola's dynamic range of the standard deviation
``R = 128`` is ``128 / 255 = 0.50196...`` (:data:`SAUVOLA_R`), Bernsen's
contrast limit 15 is ``15 / 255``.  Dimensionless constants (``k``,
Bradley's ``t``) do not change.  Window sizes are in pixels.

A window larger than the page is clamped to ``2 * max(H, W) + 1``
(:func:`binkit._checks.page_window`): a window of that side already holds
the whole page from every pixel, and a larger one only repeats the mirrored
page at a memory cost in the square of its side (``window=7001`` on a
346 x 346 page took 2 GB, ``window=100001`` ran out of memory).  It is a
clamp, not a refusal, so that one ``window`` serves a batch of pages of
mixed sizes; windows up to the limit are used as given, so the clamp never
changes a result on a window that fits.

Local windows
-------------
The local methods look at a ``window x window`` square centred on each pixel
(``window`` odd, at least 3).  Their local mean ``m`` and standard deviation
``s`` (population form, divide by ``N = window**2``) come from one helper,
:func:`_local_mean_std`, built on integral images (summed-area tables; F.
Shafait, D. Keysers and T. M. Breuel, "Efficient implementation of local
adaptive thresholding techniques using integral images", Proc. SPIE 6815,
Document Recognition and Retrieval XV, 2008, doi:10.1117/12.767755), so the
cost does not depend on the window size.  Near the border the window is
completed by mirroring the image about its edge pixels (``... c b | a b c
...``, NumPy's ``"reflect"``), exactly as scikit-image's
``threshold_sauvola`` / ``threshold_niblack`` do, so every local method in
binkit sees the same windows.  (DoxaPy instead shrinks the
window to the part inside the image; see ``tests/test_classical.py`` for how
much that changes.)

Defaults
--------
Every local method defaults to ``window = 51`` (:data:`DEFAULT_WINDOW`), and
to the constants of its paper, except Sauvola's ``k`` (0.2, the value of
scikit-image and DoxaPy; the paper's 0.5 erodes faint strokes).  The papers
used small windows (Niblack and Sauvola 15, Bernsen 31), but DIBCO scans
have text 30-60 px high, and the windows should hold a few letters.  On
DIBCO pages the mean F-measure of the local methods rises up to window 51
and barely changes at 75 (Niblack and Bernsen, far below the others, keep
rising); ``benchmarks/bench_windows.py`` measures it (its output and the
reading are in ``docs/methods/classical.md``).  They are starting
points for teaching, not tuned results.

:data:`METHODS` and :data:`THRESHOLDS` list them by name;
:func:`binkit.binarize` (through :mod:`binkit.registry`) picks one by name.

References
----------
M. Sezgin and B. Sankur, "Survey over image thresholding techniques and
quantitative performance evaluation", Journal of Electronic Imaging 13(1),
146-165, 2004.  doi:10.1117/1.1631315

Examples
--------
>>> from skimage.data import page
>>> import binkit
>>> from binkit.classical import sauvola_threshold
>>> ink = binkit.binarize(page(), method="sauvola", window=25)
>>> ink.dtype, ink.shape
(dtype('bool'), (191, 384))
>>> T = sauvola_threshold(page())        # the surface, to plot beside the page
>>> T.dtype, T.shape
(dtype('float64'), (191, 384))
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from scipy import ndimage
from skimage.filters import threshold_niblack, threshold_sauvola

from ._checks import check_odd_window, check_real, page_window
from ._threshold import (BAND_PIXELS, MIN_CONTRAST, TIE_TOLERANCE, bands, global_ink, gray_page, no_contrast,
                         otsu_of_gray)
from .io import as_gray

__all__ = [
    "DEFAULT_WINDOW",
    "METHODS",
    "THRESHOLDS",
    "SAUVOLA_R",
    "TIE_TOLERANCE",
    "MIN_CONTRAST",
    "otsu",
    "otsu_threshold",
    "niblack",
    "niblack_threshold",
    "sauvola",
    "sauvola_threshold",
    "wolf",
    "wolf_threshold",
    "nick",
    "nick_threshold",
    "phansalkar",
    "phansalkar_threshold",
    "bernsen",
    "bernsen_threshold",
    "bradley",
    "bradley_threshold",
]

#: Sauvola's ``R = 128`` (8-bit grey levels) on binkit's [0, 1] scale.
SAUVOLA_R = 128 / 255

#: Default window of the mean/std methods (Niblack, Sauvola, Wolf, NICK,
#: Phansalkar, Bradley), in pixels.
DEFAULT_WINDOW = 51


# ----------------------------------------------------------------------------
# validation and shared helpers
# ----------------------------------------------------------------------------


def _local_ink(gray32: np.ndarray, window: int, surface) -> np.ndarray:
    """``ink = gray <= surface(gray, window)`` computed tile by tile (see :data:`BAND_PIXELS`).

    ``gray32`` is the checked float32 page (held once, at 4 bytes per pixel);
    each tile is turned into float64 on its own.  ``window`` is already
    clamped to the whole page (:func:`binkit._checks.page_window`).  The first
    tile is computed before the contrast test, so bad parameters are refused
    on every page.
    """
    ink = np.zeros(gray32.shape, dtype=bool)
    flat = no_contrast(gray32)
    for (r0, r1, a, b), (c0, c1, ca, cb) in bands(gray32.shape, window):
        tile = gray32[a:b, ca:cb].astype(np.float64)
        threshold = surface(tile, window)[r0 - a:r1 - a, c0 - ca:c1 - ca]
        if flat:
            return ink
        ink[r0:r1, c0:c1] = tile[r0 - a:r1 - a, c0 - ca:c1 - ca] <= threshold + TIE_TOLERANCE
    return ink


def _local_setup(image, window) -> tuple[np.ndarray, int]:
    """The checked float32 page and its window, clamped to the page: the start of every local method."""
    gray32 = as_gray(image, name="image", copy=False)
    return gray32, page_window(check_odd_window("window", window), gray32.shape)


def _local_mean_std(gray: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Local mean and standard deviation over ``window x window`` squares.

    The one helper behind every mean/std method in this module.  It computes
    the same numbers as scikit-image's ``threshold_sauvola`` (borders mirrored
    with NumPy's ``"reflect"`` mode, float64 integral images, population
    variance ``E[x^2] - E[x]^2`` clipped at 0), so binkit's own methods and the
    ones it takes from scikit-image see identical windows.

    Parameters
    ----------
    gray : (H, W) ndarray of float64
    window : int
        Odd, >= 3 (already validated).

    Returns
    -------
    mean, std : (H, W) ndarrays of float64
    """
    h = window // 2
    padded = np.pad(gray, h, mode="reflect")
    n = float(window * window)

    def box_sum(a: np.ndarray) -> np.ndarray:
        # Integral image with a leading row and column of zeros:
        # S[i, j] = sum of a[:i, :j]; any window sum is four look-ups.
        s = np.zeros((a.shape[0] + 1, a.shape[1] + 1))
        np.cumsum(a, axis=0, out=s[1:, 1:])
        np.cumsum(s[1:, 1:], axis=1, out=s[1:, 1:])
        w = window
        return s[w:, w:] - s[:-w, w:] - s[w:, :-w] + s[:-w, :-w]

    mean = box_sum(padded) / n
    mean_sq = box_sum(padded * padded) / n
    std = np.sqrt(np.clip(mean_sq - mean * mean, 0.0, None))
    return mean, std


# ----------------------------------------------------------------------------
# Otsu
# ----------------------------------------------------------------------------


def otsu_threshold(image) -> float:
    """Otsu's global threshold: the grey level that best splits the histogram in two.

    For every candidate level ``t`` the pixels split into a dark class
    (``<= t``) and a bright class (``> t``).  Otsu picks the ``t`` that
    maximises the *between-class variance*::

        sigma_B^2(t) = w0(t) * w1(t) * (mu0(t) - mu1(t))^2

    where ``w0, w1`` are the fractions of pixels in the two classes and
    ``mu0, mu1`` their mean grey levels.  Since the total variance is fixed,
    this is the same as minimising the summed variance *within* the classes.

    Parameters
    ----------
    image : (H, W) or (H, W, 3|4) array_like
        Anything :func:`binkit.io.as_gray` accepts (uint8, uint16, float in
        [0, 1], RGB, RGBA).

    Returns
    -------
    threshold : float
        A grey level ``j / 255`` in [0, 1].  Ink is ``image <= threshold``.

    Notes
    -----
    The histogram has 256 bins, one per 8-bit grey level ``j / 255``: bin
    ``j`` counts the pixels with values in ``((j - 1) / 255, j / 255]``, so
    that "the pixel's bin is at or below ``j``" is exactly the rule
    ``image <= j / 255``.  For 8-bit images this is the image's exact
    histogram, and the result is DoxaPy's Otsu bit for bit (the scan of
    candidate levels and the choice of the *first* maximum are the same).
    scikit-image's ``threshold_otsu(image)`` on a float image would instead
    spread 256 bins over ``[image.min(), image.max()]`` and return a bin
    centre that falls between two 8-bit levels (on DIBCO that differs from
    DoxaPy on 49 of 85 pages, down to 79 % agreement); binkit passes it the
    level histogram (``threshold_otsu(hist=(counts, levels))``) instead.
    Inputs with more than 256 levels (16-bit, float) are thresholded at the
    same 1/255 resolution.

    An image with a single grey level has no split; the threshold is then 0
    (only pure black is ink), as in DoxaPy.

    References
    ----------
    N. Otsu, "A threshold selection method from gray-level histograms",
    IEEE Transactions on Systems, Man, and Cybernetics 9(1), 62-66, 1979.
    doi:10.1109/TSMC.1979.4310076

    Examples
    --------
    >>> from skimage.data import page
    >>> round(otsu_threshold(page()) * 255)
    157
    """
    return otsu_of_gray(as_gray(image, name="image", copy=False))


def otsu(image) -> np.ndarray:
    """Binarize with Otsu's global threshold: ``ink = image <= otsu_threshold(image)``.

    One threshold for the whole page, so uneven lighting, stains and
    bleed-through defeat it; it is the baseline every other method is
    compared with.  See :func:`otsu_threshold` for the formula.

    Parameters
    ----------
    image : (H, W) or (H, W, 3|4) array_like
        Anything :func:`binkit.io.as_gray` accepts.

    Returns
    -------
    ink : (H, W) ndarray of bool
        True = ink.

    Examples
    --------
    >>> from skimage.data import page
    >>> ink = otsu(page())
    >>> ink.dtype, ink.shape
    (dtype('bool'), (191, 384))
    """
    gray32 = as_gray(image, name="image", copy=False)  # float32, each band in float64 on its own
    return global_ink(gray32, otsu_of_gray(gray32))


# ----------------------------------------------------------------------------
# Niblack
# ----------------------------------------------------------------------------


def niblack_threshold(image, window: int = DEFAULT_WINDOW, k: float = -0.2) -> np.ndarray:
    """Niblack's local threshold surface ``T = m + k * s``.

    ``m`` and ``s`` are the mean and standard deviation of the grey levels in
    the ``window x window`` square centred on the pixel.  With ``k < 0`` the
    threshold sits a fraction of a standard deviation *below* the local mean,
    so dark strokes fall under it.

    Parameters
    ----------
    image : (H, W) or (H, W, 3|4) array_like
        Anything :func:`binkit.io.as_gray` accepts.
    window : int, default 51
        Side ``w`` of the square window, odd and >= 3.  Niblack's book uses
        15; on DIBCO pages larger windows do better (see the module notes).
        It should span a stroke and plenty of paper around it.
    k : float, default -0.2
        Weight of the standard deviation.  Niblack's value for dark text on a
        bright page is -0.2.

    Returns
    -------
    T : (H, W) ndarray of float64
        Threshold surface in the image's [0, 1] scale.

    Notes
    -----
    **Sign of k.**  binkit writes the formula as Niblack (and DoxaPy) do,
    ``T = m + k s`` with ``k = -0.2``.  scikit-image writes
    ``T = m - k s`` with ``k = 0.2``: the same threshold.  This function calls
    ``skimage.filters.threshold_niblack(image, window, -k)``.

    Niblack turns flat background into noise: where ``s`` is about 0,
    ``T`` is about ``m``, and half the paper falls under it (all of it, for
    a perfectly flat region: pixels equal to ``T`` are ink).  Sauvola, Wolf
    and NICK were designed to fix exactly that.

    References
    ----------
    W. Niblack, *An Introduction to Digital Image Processing*, Prentice-Hall,
    1986, pp. 115-116.

    Examples
    --------
    >>> from skimage.data import page
    >>> T = niblack_threshold(page(), window=51, k=-0.2)
    >>> T.shape
    (191, 384)
    """
    return _niblack_threshold(gray_page(image), window=window, k=k)


def _niblack_threshold(gray: np.ndarray, window, k) -> np.ndarray:
    """:func:`niblack_threshold` of a checked float64 ``gray``; the scalars are checked here, once."""
    window = page_window(check_odd_window("window", window), gray.shape)
    k = check_real("k", k)
    return threshold_niblack(gray, window_size=window, k=-k)


def niblack(image, window: int = DEFAULT_WINDOW, k: float = -0.2) -> np.ndarray:
    """Binarize with Niblack's method: ``ink = image <= m + k * s``.

    See :func:`niblack_threshold` for the formula and parameters.

    Returns
    -------
    ink : (H, W) ndarray of bool
        True = ink.

    Examples
    --------
    >>> from skimage.data import page
    >>> ink = niblack(page())
    >>> ink.dtype, ink.shape
    (dtype('bool'), (191, 384))
    """
    gray32, window = _local_setup(image, window)
    return _local_ink(gray32, window, lambda g, w: _niblack_threshold(g, window=w, k=k))


# ----------------------------------------------------------------------------
# Sauvola
# ----------------------------------------------------------------------------


def sauvola_threshold(image, window: int = DEFAULT_WINDOW, k: float = 0.2,
                      r: float = SAUVOLA_R) -> np.ndarray:
    """Sauvola's local threshold surface ``T = m * (1 + k * (s / R - 1))``.

    ``m`` and ``s`` are the local mean and standard deviation in the
    ``window x window`` square; ``R`` is the largest standard deviation to
    expect (the "dynamic range" of ``s``).  Where the window holds only paper,
    ``s`` is small, ``s / R - 1`` is near -1, and ``T`` is about ``m (1 - k)``:
    well below the paper, so noise in flat background stays page (Niblack's
    flaw).  Where the window holds ink and paper, ``s`` is large and ``T``
    rises towards ``m``.

    Parameters
    ----------
    image : (H, W) or (H, W, 3|4) array_like
        Anything :func:`binkit.io.as_gray` accepts.
    window : int, default 51
        Side ``w`` of the square window, odd and >= 3 (see the module notes
        on the choice of 51).
    k : float, default 0.2
        Sensitivity, ``k > 0``.  Sauvola and Pietikainen used 0.5; 0.2 is the
        value of scikit-image and DoxaPy and does best on DIBCO pages of the
        values ``benchmarks/bench_windows.py`` tries (0.5 erodes faint
        strokes).  Larger ``k`` = less ink.
    r : float, default 128/255
        ``R``.  The paper's ``R = 128`` for 8-bit images is ``128 / 255 =
        0.502`` on binkit's [0, 1] scale (:data:`SAUVOLA_R`); with this value
        binkit computes exactly the 8-bit formula divided by 255.

    Returns
    -------
    T : (H, W) ndarray of float64
        Threshold surface in the image's [0, 1] scale.

    Notes
    -----
    Computed by ``skimage.filters.threshold_sauvola(image, window, k, r)``.
    Always pass ``r`` to scikit-image for float images: its default is half
    the *dtype* range, 1.0 for floats, not 0.5.  DoxaPy's defaults are
    ``window=75, k=0.2`` (and ``R = 128``).

    References
    ----------
    J. Sauvola and M. Pietikainen, "Adaptive document image binarization",
    Pattern Recognition 33(2), 225-236, 2000.
    doi:10.1016/S0031-3203(99)00055-2

    Examples
    --------
    >>> from skimage.data import page
    >>> T = sauvola_threshold(page(), window=51, k=0.2)
    >>> T.shape
    (191, 384)
    """
    return _sauvola_threshold(gray_page(image), window=window, k=k, r=r)


def _sauvola_threshold(gray: np.ndarray, window, k, r) -> np.ndarray:
    """:func:`sauvola_threshold` of a checked float64 ``gray``; the scalars are checked here, once."""
    window = page_window(check_odd_window("window", window), gray.shape)
    k = check_real("k", k, minimum=0.0, min_open=True)
    r = check_real("r", r, minimum=0.0, min_open=True)
    return threshold_sauvola(gray, window_size=window, k=k, r=r)


def sauvola(image, window: int = DEFAULT_WINDOW, k: float = 0.2,
            r: float = SAUVOLA_R) -> np.ndarray:
    """Binarize with Sauvola's method: ``ink = image <= m * (1 + k * (s / R - 1))``.

    See :func:`sauvola_threshold` for the formula and parameters.

    Returns
    -------
    ink : (H, W) ndarray of bool
        True = ink.

    Examples
    --------
    >>> from skimage.data import page
    >>> ink = sauvola(page())
    >>> ink.dtype, ink.shape
    (dtype('bool'), (191, 384))
    """
    gray32, window = _local_setup(image, window)
    return _local_ink(gray32, window, lambda g, w: _sauvola_threshold(g, window=w, k=k, r=r))


# ----------------------------------------------------------------------------
# Wolf & Jolion
# ----------------------------------------------------------------------------


def wolf_threshold(image, window: int = DEFAULT_WINDOW, k: float = 0.5) -> np.ndarray:
    """Wolf and Jolion's threshold surface ``T = m - k * (1 - s / R) * (m - M)``.

    A Sauvola variant that normalises by the *image* instead of by fixed
    constants: ``R`` is the largest local standard deviation found anywhere
    in the image, and ``M`` the darkest grey level of the image.  Rewritten,
    ``T = (1 - k) m + k M + k (s / R)(m - M)``: on flat paper (``s`` = 0) the
    threshold is pulled from the local mean ``m`` a fraction ``k`` of the way
    down to the darkest ink, and the more contrast the window has, the closer
    it moves back to ``m``.  This copes with low-contrast scans where
    Sauvola's fixed ``R = 128`` is far too large.

    Parameters
    ----------
    image : (H, W) or (H, W, 3|4) array_like
        Anything :func:`binkit.io.as_gray` accepts.
    window : int, default 51
        Side ``w`` of the square window, odd and >= 3 (see the module notes
        on the choice of 51).
    k : float, default 0.5
        Weight, ``k > 0``; 0.5 as in Wolf and Jolion (DoxaPy uses 0.2).

    Returns
    -------
    T : (H, W) ndarray of float64
        Threshold surface in the image's [0, 1] scale.

    Notes
    -----
    ``m, s`` come from the shared local-statistics helper (mirrored borders,
    like scikit-image); ``R`` is the maximum of ``s`` over all pixels.  For
    a constant image ``R = 0``; then ``s / R`` is taken as 0, and ``T = m``.

    References
    ----------
    C. Wolf and J.-M. Jolion, "Extraction and recognition of artificial text
    in multimedia documents", Pattern Analysis and Applications 6(4),
    309-326, 2003 (often cited as 2004).  doi:10.1007/s10044-003-0197-7

    Examples
    --------
    >>> from skimage.data import page
    >>> T = wolf_threshold(page(), window=51, k=0.5)
    >>> T.shape
    (191, 384)
    """
    return _wolf_threshold(gray_page(image), window=window, k=k)


def _wolf_threshold(gray: np.ndarray, window, k, r=None, darkest=None) -> np.ndarray:
    """:func:`wolf_threshold` of a checked float64 ``gray``; the scalars are checked here, once.

    ``r`` (the largest local standard deviation) and ``darkest`` (the page's
    lowest level) are the page's own unless given: a band of a page needs the
    whole page's values.
    """
    window = page_window(check_odd_window("window", window), gray.shape)
    k = check_real("k", k, minimum=0.0, min_open=True)
    m, s = _local_mean_std(gray, window)
    r = float(s.max()) if r is None else r
    darkest = float(gray.min()) if darkest is None else darkest
    ratio = s / r if r > 0 else np.zeros_like(s)
    return m - k * (1.0 - ratio) * (m - darkest)


def wolf(image, window: int = DEFAULT_WINDOW, k: float = 0.5) -> np.ndarray:
    """Binarize with Wolf and Jolion's method: ``ink = image <= m - k (1 - s/R)(m - M)``.

    See :func:`wolf_threshold` for the formula and parameters.

    Returns
    -------
    ink : (H, W) ndarray of bool
        True = ink.

    Examples
    --------
    >>> from skimage.data import page
    >>> ink = wolf(page())
    >>> ink.dtype, ink.shape
    (dtype('bool'), (191, 384))
    """
    gray32, window = _local_setup(image, window)
    tiles = list(bands(gray32.shape, window))
    r = darkest = None
    if len(tiles) > 1:  # Wolf's R and M belong to the whole page: a first pass over the tiles finds them
        r = max(float(_local_mean_std(gray32[a:b, ca:cb].astype(np.float64), window)[1]
                      [r0 - a:r1 - a, c0 - ca:c1 - ca].max())
                for (r0, r1, a, b), (c0, c1, ca, cb) in tiles)
        darkest = float(gray32.min())
    return _local_ink(gray32, window, lambda g, w: _wolf_threshold(g, window=w, k=k, r=r, darkest=darkest))


# ----------------------------------------------------------------------------
# NICK
# ----------------------------------------------------------------------------


def nick_threshold(image, window: int = DEFAULT_WINDOW, k: float = -0.1) -> np.ndarray:
    """NICK's threshold surface ``T = m + k * sqrt(s^2 + m^2)``.

    Niblack's formula with the standard deviation replaced by the root mean
    square of the window, ``sqrt(s^2 + m^2) = sqrt(mean(x^2))``.  On bright,
    flat paper that term is about ``m``, so ``T`` is about ``(1 + k) m``:
    clearly below the paper, and the background noise that plagues Niblack
    disappears.

    Parameters
    ----------
    image : (H, W) or (H, W, 3|4) array_like
        Anything :func:`binkit.io.as_gray` accepts.
    window : int, default 51
        Side ``w`` of the square window, odd and >= 3 (see the module notes
        on the choice of 51).
    k : float, default -0.1
        Weight, in [-1, 0].  Khurshid et al. recommend -0.1 to -0.2
        (DoxaPy uses -0.2); closer to 0 keeps more ink.

    Returns
    -------
    T : (H, W) ndarray of float64
        Threshold surface in the image's [0, 1] scale.

    Notes
    -----
    The paper writes ``T = m + k sqrt((sum(p_i^2) - m^2) / NP)`` with ``NP``
    the number of pixels of the window; the ``m^2 / NP`` term is negligible,
    and like DoxaPy, binkit uses the root mean square ``sqrt(s^2 + m^2)``.

    References
    ----------
    K. Khurshid, I. Siddiqi, C. Faure and N. Vincent, "Comparison of Niblack
    inspired binarization methods for ancient documents", Proc. SPIE 7247,
    Document Recognition and Retrieval XVI, 72470U, 2009.
    doi:10.1117/12.805827

    Examples
    --------
    >>> from skimage.data import page
    >>> T = nick_threshold(page(), window=51, k=-0.1)
    >>> T.shape
    (191, 384)
    """
    return _nick_threshold(gray_page(image), window=window, k=k)


def _nick_threshold(gray: np.ndarray, window, k) -> np.ndarray:
    """:func:`nick_threshold` of a checked float64 ``gray``; the scalars are checked here, once."""
    window = page_window(check_odd_window("window", window), gray.shape)
    k = check_real("k", k, minimum=-1.0, maximum=0.0)
    m, s = _local_mean_std(gray, window)
    return m + k * np.sqrt(s * s + m * m)


def nick(image, window: int = DEFAULT_WINDOW, k: float = -0.1) -> np.ndarray:
    """Binarize with NICK: ``ink = image <= m + k * sqrt(s^2 + m^2)``.

    See :func:`nick_threshold` for the formula and parameters.

    Returns
    -------
    ink : (H, W) ndarray of bool
        True = ink.

    Examples
    --------
    >>> from skimage.data import page
    >>> ink = nick(page())
    >>> ink.dtype, ink.shape
    (dtype('bool'), (191, 384))
    """
    gray32, window = _local_setup(image, window)
    return _local_ink(gray32, window, lambda g, w: _nick_threshold(g, window=w, k=k))


# ----------------------------------------------------------------------------
# Phansalkar
# ----------------------------------------------------------------------------


def phansalkar_threshold(image, window: int = DEFAULT_WINDOW, k: float = 0.25,
                         r: float = 0.5, p: float = 2.0, q: float = 10.0) -> np.ndarray:
    """Phansalkar's threshold surface ``T = m * (1 + p * exp(-q * m) + k * (s / R - 1))``.

    Sauvola's formula plus a term ``p * exp(-q * m)`` that raises the
    threshold where the local mean ``m`` is dark, so that ink in dark,
    low-contrast regions is not lost.  On bright paper (``m`` near 1)
    ``exp(-10 m)`` is below 5e-5 and the method *is* Sauvola with
    ``k = 0.25, R = 0.5``.

    Parameters
    ----------
    image : (H, W) or (H, W, 3|4) array_like
        Anything :func:`binkit.io.as_gray` accepts.
    window : int, default 51
        Side ``w`` of the square window, odd and >= 3 (see the module notes
        on the choice of 51).
    k : float, default 0.25
        Sensitivity, as in Sauvola.
    r : float, default 0.5
        ``R``, dynamic range of the standard deviation.  The paper works on
        intensities normalised to [0, 1] already, so 0.5 needs no conversion.
    p, q : float, default 2 and 10
        Magnitude and decay of the exponential term.

    Returns
    -------
    T : (H, W) ndarray of float64
        Threshold surface in the image's [0, 1] scale.

    References
    ----------
    N. Phansalkar, S. More, A. Sabale and M. Joshi, "Adaptive local
    thresholding for detection of nuclei in diversity stained cytology
    images", International Conference on Communications and Signal
    Processing (ICCSP), 218-220, 2011.  doi:10.1109/ICCSP.2011.5739305

    Examples
    --------
    >>> from skimage.data import page
    >>> T = phansalkar_threshold(page())
    >>> T.shape
    (191, 384)
    """
    return _phansalkar_threshold(gray_page(image), window=window, k=k, r=r, p=p, q=q)


def _phansalkar_threshold(gray: np.ndarray, window, k, r, p, q) -> np.ndarray:
    """:func:`phansalkar_threshold` of a checked float64 ``gray``; the scalars are checked here, once."""
    window = page_window(check_odd_window("window", window), gray.shape)
    k = check_real("k", k, minimum=0.0, min_open=True)
    r = check_real("r", r, minimum=0.0, min_open=True)
    p = check_real("p", p, minimum=0.0)
    q = check_real("q", q, minimum=0.0)
    m, s = _local_mean_std(gray, window)
    return m * (1.0 + p * np.exp(-q * m) + k * (s / r - 1.0))


def phansalkar(image, window: int = DEFAULT_WINDOW, k: float = 0.25, r: float = 0.5,
               p: float = 2.0, q: float = 10.0) -> np.ndarray:
    """Binarize with Phansalkar's method: ``ink = image <= m (1 + p e^(-q m) + k (s/R - 1))``.

    See :func:`phansalkar_threshold` for the formula and parameters.

    Returns
    -------
    ink : (H, W) ndarray of bool
        True = ink.

    Examples
    --------
    >>> from skimage.data import page
    >>> ink = phansalkar(page())
    >>> ink.dtype, ink.shape
    (dtype('bool'), (191, 384))
    """
    gray32, window = _local_setup(image, window)
    return _local_ink(gray32, window, lambda g, w: _phansalkar_threshold(g, window=w, k=k, r=r, p=p, q=q))


# ----------------------------------------------------------------------------
# Bernsen
# ----------------------------------------------------------------------------


def bernsen_threshold(image, window: int = DEFAULT_WINDOW, contrast_limit: float = 15 / 255,
                      global_threshold: float = 0.5) -> np.ndarray:
    """Bernsen's threshold surface: the mid-range of the window, where it has contrast.

    With ``lo`` and ``hi`` the darkest and brightest grey levels of the
    ``window x window`` square::

        T = (lo + hi) / 2      where the local contrast  hi - lo >= L
        T = global_threshold   elsewhere

    A window without contrast holds a single class (all paper or all ink),
    and its mid-range would cut through noise; Bernsen classifies such pixels
    against a fixed level instead.

    Parameters
    ----------
    image : (H, W) or (H, W, 3|4) array_like
        Anything :func:`binkit.io.as_gray` accepts.
    window : int, default 51
        Side ``w`` of the square window, odd and >= 3.  Sezgin and Sankur's
        survey uses 31; on DIBCO pages larger windows do better.
    contrast_limit : float, default 15/255
        ``L``, in [0, 1].  Bernsen's 15 grey levels is ``15 / 255`` here.
    global_threshold : float, default 0.5
        Level for low-contrast pixels, in [0, 1]: uniform dark areas become
        ink, uniform bright areas page.  (DoxaPy uses 100/255.)

    Returns
    -------
    T : (H, W) ndarray of float64
        Threshold surface in the image's [0, 1] scale.

    Notes
    -----
    ``lo`` and ``hi`` come from ``scipy.ndimage.minimum_filter`` /
    ``maximum_filter`` (border mode ``"nearest"``; for a minimum or a
    maximum this is the same as shrinking the window at the border).  The
    contrast test ``hi - lo >= L`` allows the tolerance :data:`TIE_TOLERANCE`,
    so an 8-bit contrast of exactly 15 levels counts as contrast.  DoxaPy
    tests ``hi - lo > L`` instead (its ``contrast-limit`` 25 is binkit's
    ``26 / 255``).

    References
    ----------
    J. Bernsen, "Dynamic thresholding of grey-level images", Proc. 8th
    International Conference on Pattern Recognition, Paris, 1251-1255, 1986.

    Examples
    --------
    >>> from skimage.data import page
    >>> T = bernsen_threshold(page())
    >>> T.shape
    (191, 384)
    """
    return _bernsen_threshold(gray_page(image), window=window, contrast_limit=contrast_limit,
                              global_threshold=global_threshold)


def _bernsen_threshold(gray: np.ndarray, window, contrast_limit, global_threshold) -> np.ndarray:
    """:func:`bernsen_threshold` of a checked float64 ``gray``; the scalars are checked here, once."""
    window = page_window(check_odd_window("window", window), gray.shape)
    contrast_limit = check_real("contrast_limit", contrast_limit, minimum=0.0, maximum=1.0)
    global_threshold = check_real("global_threshold", global_threshold, minimum=0.0, maximum=1.0)
    lo = ndimage.minimum_filter(gray, size=window, mode="nearest")
    hi = ndimage.maximum_filter(gray, size=window, mode="nearest")
    has_contrast = hi - lo >= contrast_limit - TIE_TOLERANCE
    return np.where(has_contrast, (lo + hi) / 2.0, global_threshold)


def bernsen(image, window: int = DEFAULT_WINDOW, contrast_limit: float = 15 / 255,
            global_threshold: float = 0.5) -> np.ndarray:
    """Binarize with Bernsen's method: ``ink = image <= (lo + hi) / 2`` in contrasted windows.

    See :func:`bernsen_threshold` for the formula and parameters.

    Returns
    -------
    ink : (H, W) ndarray of bool
        True = ink.

    Examples
    --------
    >>> from skimage.data import page
    >>> ink = bernsen(page())
    >>> ink.dtype, ink.shape
    (dtype('bool'), (191, 384))
    """
    gray32, window = _local_setup(image, window)
    return _local_ink(gray32, window, lambda g, w: _bernsen_threshold(
        g, window=w, contrast_limit=contrast_limit, global_threshold=global_threshold))


# ----------------------------------------------------------------------------
# Bradley & Roth
# ----------------------------------------------------------------------------


def bradley_threshold(image, window: int = DEFAULT_WINDOW, t: float = 0.15) -> np.ndarray:
    """Bradley and Roth's threshold surface ``T = m * (1 - t)``.

    A pixel is ink when it is at least a fraction ``t`` darker than the mean
    of its window: the simplest adaptive threshold, and with integral images
    one of the fastest.  (The "mean - C" rule of OpenCV's adaptive threshold
    is the same idea with an absolute instead of a relative offset.)

    Parameters
    ----------
    image : (H, W) or (H, W, 3|4) array_like
        Anything :func:`binkit.io.as_gray` accepts.
    window : int, default 51
        Side ``w`` of the square window, odd and >= 3.  Bradley and Roth
        suggest an eighth of the image width for camera images.
    t : float, default 0.15
        Relative darkness, in [0, 1): 15 % in the paper.

    Returns
    -------
    T : (H, W) ndarray of float64
        Threshold surface in the image's [0, 1] scale.

    References
    ----------
    D. Bradley and G. Roth, "Adaptive thresholding using the integral
    image", Journal of Graphics Tools 12(2), 13-21, 2007.
    doi:10.1080/2151237X.2007.10129236

    Examples
    --------
    >>> from skimage.data import page
    >>> T = bradley_threshold(page())
    >>> T.shape
    (191, 384)
    """
    return _bradley_threshold(gray_page(image), window=window, t=t)


def _bradley_threshold(gray: np.ndarray, window, t) -> np.ndarray:
    """:func:`bradley_threshold` of a checked float64 ``gray``; the scalars are checked here, once."""
    window = page_window(check_odd_window("window", window), gray.shape)
    t = check_real("t", t, minimum=0.0, maximum=1.0, max_open=True)
    m, _ = _local_mean_std(gray, window)
    return m * (1.0 - t)


def bradley(image, window: int = DEFAULT_WINDOW, t: float = 0.15) -> np.ndarray:
    """Binarize with Bradley and Roth's method: ``ink = image <= m * (1 - t)``.

    See :func:`bradley_threshold` for the formula and parameters.

    Returns
    -------
    ink : (H, W) ndarray of bool
        True = ink.

    Examples
    --------
    >>> from skimage.data import page
    >>> ink = bradley(page())
    >>> ink.dtype, ink.shape
    (dtype('bool'), (191, 384))
    """
    gray32, window = _local_setup(image, window)
    return _local_ink(gray32, window, lambda g, w: _bradley_threshold(g, window=w, t=t))


# ----------------------------------------------------------------------------
# registry and dispatch
# ----------------------------------------------------------------------------

#: Method name -> binarization function ``f(image, **params) -> ink``.
METHODS: dict[str, Callable[..., np.ndarray]] = {
    "otsu": otsu,
    "niblack": niblack,
    "sauvola": sauvola,
    "wolf": wolf,
    "nick": nick,
    "phansalkar": phansalkar,
    "bernsen": bernsen,
    "bradley": bradley,
}

#: Method name -> threshold function (a float for ``"otsu"``, an (H, W)
#: float64 surface for the others).
THRESHOLDS: dict[str, Callable] = {
    "otsu": otsu_threshold,
    "niblack": niblack_threshold,
    "sauvola": sauvola_threshold,
    "wolf": wolf_threshold,
    "nick": nick_threshold,
    "phansalkar": phansalkar_threshold,
    "bernsen": bernsen_threshold,
    "bradley": bradley_threshold,
}
