"""DIBCO evaluation measures, computed exactly as the contests define them.

Every function here compares a *prediction* with a *ground truth* (GT).  Both
are binary images in binkit's convention: ``bool`` arrays of shape ``(H, W)``
with ``True`` = ink.  The measures are those of the DIBCO / H-DIBCO contests
(2009-2019) and of the organisers' evaluation tool
(``DIBCO_metrics.m``, K. Ntirogiannis, B. Gatos, I. Pratikakis):

=====================  ==========================================  ==========
measure                what it rewards / punishes                  unit
=====================  ==========================================  ==========
F-measure (FM)         pixel recall and precision, harmonic mean   percent
pseudo-FM (Fps)        the same, with the 2013 pseudo weights      percent
PSNR                   how many pixels are wrong (C = 1)           dB
DRD                    how *visible* the wrong pixels are          (none)
NRM                    class-balanced error rate                   fraction
MPM                    how far the wrong pixels lie from strokes   fraction
=====================  ==========================================  ==========

Counts.  With ``TP = pred & gt``, ``FP = pred & ~gt``, ``FN = ~pred & gt`` and
``TN = ~pred & ~gt`` (pixel counts)::

    Recall    = 100 TP / (TP + FN)        Precision = 100 TP / (TP + FP)
    FM        = 2 Recall Precision / (Recall + Precision)
    PSNR      = 10 log10(C^2 / MSE),  C = 1,  MSE = (FP + FN) / (H W)
    NRM       = (FN / (FN + TP) + FP / (FP + TN)) / 2

Pseudo F-measure (Ntirogiannis, Gatos, Pratikakis, "Performance evaluation
methodology for historical document image binarization", IEEE TIP 22(2),
2013).  Two weight maps are derived from the GT alone (see
:func:`pseudo_weights`): the recall weights GW, which are zero on the page and
sum to about 1 across each stroke, so a broken stroke costs the same whatever
its width; and the precision weights PW >= 1 on the page, largest at about a
stroke width from the text, where a false positive would merge or thicken
characters.  The files distributed by the organisers store GW and ``PW - 1``;
binkit uses that same ``(recall_weights, precision_weights)`` convention::

    Rps = 100 sum_TP GW / sum_GT GW
    Pps = 100 sum_TP PW / (sum_TP PW + sum_FP PW),   PW = 1 + precision_weights
    Fps = 2 Rps Pps / (Rps + Pps)

Because the stored precision weights are 0 on GT ink, ``sum_TP PW = TP``.
The weights come either from the organisers' files (:func:`read_dibco_weights`)
or from binkit's own generator (:func:`pseudo_weights`, about half a second
per megapixel), which reproduces the official files digit for digit on the one
page where both are public; on other pages it is unverified against the
organisers' program.

DRD, the distance-reciprocal distortion (Lu, Kot, Shi, "Distance-reciprocal
distortion measure for binary document images", IEEE Signal Processing
Letters 11(2), 2004).  Each wrong pixel k is charged by how much of its 5x5 GT
neighbourhood disagrees with its predicted value g_k, weighted by the
reciprocal distance from the centre::

    DRD_k = sum_{i,j} |GT(i, j) - g_k| W(i, j),      DRD = sum_k DRD_k / NUBN

where W is ``1 / sqrt(di^2 + dj^2)`` on the 5x5 block (0 at the centre),
normalised to sum 1 (:data:`DRD_WEIGHTS`).  Block entries outside the image
count 0.  NUBN is the number of *non-uniform* 8x8 blocks of the GT: blocks
tiled from the top-left, full blocks only (``floor(H/8) x floor(W/8)``), that
contain both ink and page.  A lone wrong pixel in the middle of the page costs
1; one on a stroke edge costs about half that.

MPM, the misclassification penalty metric (DIBCO 2009, H-DIBCO 2010,
DIBCO 2011), charges each wrong pixel by its distance d to the GT contour::

    MP_FN = sum_FN d / D,   MP_FP = sum_FP d / D,   MPM = (MP_FN + MP_FP) / 2

with the contour taken as GT ink minus its 3x3 erosion and D = sum of d over
the whole image (the normaliser).  No organiser code for MPM is public; binkit
follows the community implementation but uses the *exact* Euclidean distance
(OpenCV's 3x3-mask L2 transform that it used is an approximation).  MPM is a
fraction here; contest tables print ``MPM x 10^3``.

Names, units and directions.  :data:`MEASURES` holds one :class:`Measure` per
key of :func:`evaluate`: its label in tables, its unit and display scale
(NRM x 100 in percent, MPM x 1000 in per mille), whether higher is better,
and its decimals.  Every table, ranking, plot and CSV in binkit reads it.

Edge cases.  binkit never divides by zero; where a measure is undefined it
returns NaN (as the official tool does), and where a limit is the natural
answer it returns that.  In detail:

* Recall is NaN when the GT has no ink; precision is NaN when nothing is
  predicted (0/0, as in the official tool).
* FM (and Fps) is 100 when GT and prediction are both empty (they agree
  perfectly), and 0 whenever TP = 0 and either has ink (the official tool
  gives NaN there; the contests' C# harness turns that into 0).
* PSNR is ``inf`` for a perfect prediction.
* DRD is 0 when nothing is wrong.  When something is wrong but the GT has no
  non-uniform 8x8 block (NUBN = 0, e.g. a GT without ink or an image smaller
  than 8x8) it is ``inf``, the limit of the official formula (MATLAB gives
  Inf; the contests' harness prints 1000).
* NRM: a term whose class is empty has nothing to miss and counts 0, so a GT
  without ink gives ``NRM = FP / (FP + TN) / 2``.
* MPM is NaN when the GT has no contour (no ink) but the prediction has ink;
  it is 0 when nothing is wrong.
* Zero-size images are refused with :class:`binkit.InputError`.

Inputs.  ``pred`` and ``gt`` must be 2-D arrays of the same shape, either
``bool`` (True = ink) or an integer array holding only 0 and 1 (1 = ink).
Anything else (a 0/255 image, floats) raises :class:`binkit.InputError`:
the polarity of such an image is ambiguous, so convert it yourself
(``pred = img == 0`` for a DIBCO PNG).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
from scipy import ndimage as ndi

from ._errors import InputError
from .io import as_mask
from ._pseudo_weights import compute_pseudo_weights

__all__ = [
    "DRD_WEIGHTS",
    "MEASURES",
    "Measure",
    "check_dibco_weights",
    "evaluate",
    "fmeasure",
    "pseudo_fmeasure",
    "psnr",
    "drd",
    "nrm",
    "mpm",
    "pseudo_weights",
    "read_dibco_weights",
    "write_dibco_weights",
]


# --------------------------------------------------------------------------
# the table of measures: how each is named, shown and compared
# --------------------------------------------------------------------------

_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


@dataclass(frozen=True)
class Measure:
    """How one measure of :func:`evaluate` is named, shown and compared.

    Every table, ranking, plot and CSV in binkit reads these records (through
    :data:`MEASURES`) instead of spelling out names, scales or directions.

    Attributes
    ----------
    key : str
        The key in :func:`evaluate`'s dict and in result rows, e.g. ``"nrm"``.
    label : str
        Short name as tables print it, e.g. ``"NRM"``.
    name : str
        The measure in words, for axis labels, e.g. ``"negative rate metric"``.
    unit : str
        Unit of the *shown* value: ``"%"``, ``"dB"``, ``"‰"`` or ``""``.
    scale : float
        Factor from the value :func:`evaluate` returns to the shown one:
        NRM (a fraction) is shown x 100 in percent and MPM x 1000 in per mille,
        as contest tables print them; 1 for the others.
    higher_is_better : bool
        Ranking direction: False for DRD, NRM and MPM (errors).
    decimals : int
        Decimals of the shown value in tables.
    csv_column : str or None
        Column name in binkit's results CSV (and the DIBCO tool's output);
        None for a measure the CSV does not hold (NRM, MPM).
    """

    key: str
    label: str
    name: str
    unit: str = ""
    scale: float = 1.0
    higher_is_better: bool = True
    decimals: int = 2
    csv_column: str | None = None

    @property
    def heading(self) -> str:
        """Column heading of a text table: the label, with the scale when it is not 1 (``"NRM×10²"``)."""
        if self.scale == 1:
            return self.label
        exponent = round(math.log10(self.scale))
        return f"{self.label}×10{str(exponent).translate(_SUPERSCRIPT)}"

    @property
    def axis_label(self) -> str:
        """Axis label of a plot of shown values, e.g. ``"pseudo-F-measure Fps (%)"``."""
        text = self.name if self.name.lower() == self.label.lower() else f"{self.name} {self.label}"
        return f"{text} ({self.unit})" if self.unit else text

    def shown(self, value) -> float:
        """``value`` (as :func:`evaluate` returns it) on the shown scale: x :attr:`scale`."""
        return float(value) * self.scale

    def format(self, value, decimals: int | None = None) -> str:
        """The shown value as text, e.g. ``MEASURES["nrm"].format(0.0237) == "2.37"`` (no unit)."""
        return f"{self.shown(value):.{self.decimals if decimals is None else decimals}f}"


#: Every measure of :func:`evaluate`, key -> :class:`Measure`, in the order
#: :func:`evaluate` returns them: the DIBCO tool's FM, Fps, PSNR, DRD, then the
#: 2009-2011 contests' NRM and MPM, then the tool's Recall, Precision, Rps, Pps.
MEASURES = MappingProxyType({m.key: m for m in (
    Measure("fm", "FM", "F-measure", "%", csv_column="F-Measure"),
    Measure("fps", "Fps", "pseudo-F-measure", "%", csv_column="Fps"),
    Measure("psnr", "PSNR", "PSNR", "dB", csv_column="PSNR"),
    Measure("drd", "DRD", "DRD", "", higher_is_better=False, csv_column="DRD"),
    Measure("nrm", "NRM", "negative rate metric", "%", scale=100.0, higher_is_better=False),
    Measure("mpm", "MPM", "misclassification penalty metric", "‰", scale=1000.0, higher_is_better=False),
    Measure("recall", "Recall", "recall", "%", csv_column="Recall"),
    Measure("precision", "Precision", "precision", "%", csv_column="Precision"),
    Measure("pseudo_recall", "Rps", "pseudo-recall", "%", csv_column="Rps"),
    Measure("pseudo_precision", "Pps", "pseudo-precision", "%", csv_column="Pps"),
)})  # read-only: one table for the whole kit


def _weight_map(name: str, w, shape) -> np.ndarray:
    """One pseudo-F weight map, checked: the GT's shape, numeric, finite, >= 0; as float64."""
    w = np.asarray(w)
    if w.shape != shape:
        raise InputError(f"{name}: shape {w.shape} differs from gt shape {shape}")
    if not (np.issubdtype(w.dtype, np.floating) or np.issubdtype(w.dtype, np.integer)):
        raise InputError(f"{name}: expected a numeric array, got dtype {w.dtype}")
    w = w.astype(np.float64, copy=False)
    if not np.isfinite(w).all():
        raise InputError(f"{name}: contains NaN or infinite values")
    if w.size and float(w.min()) < 0:
        # a negative weight lets Rps or Pps exceed 100 %: no weight map of the measure has one
        raise InputError(f"{name}: negative values (min {float(w.min()):.6g}); pseudo-F weights are >= 0")
    return w


def _drd_weights() -> np.ndarray:
    """The 5x5 DRD weight matrix of Lu, Kot and Shi (2004).

    W(i, j) = 1 / sqrt(i^2 + j^2) for offsets i, j in -2..2, W(0, 0) = 0,
    divided by its sum so that the weights add up to 1.
    """
    off = np.arange(-2, 3, dtype=np.float64)
    dist = np.hypot(off[:, None], off[None, :])
    w = np.zeros((5, 5))
    np.divide(1.0, dist, out=w, where=dist > 0)  # the centre stays 0
    return w / w.sum()


#: The normalised 5x5 reciprocal-distance matrix W_N of the DRD measure
#: (centre 0, entries sum to 1): 0.025582 at the corners, 0.072357 next to
#: the centre.  Read-only.
DRD_WEIGHTS = _drd_weights()
DRD_WEIGHTS.setflags(write=False)


# --------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------


def _check_pair(pred, gt) -> tuple[np.ndarray, np.ndarray]:
    """Validate a (prediction, ground truth) pair at the public edge."""
    p = as_mask(pred, "pred")
    g = as_mask(gt, "gt")
    if p.shape != g.shape:
        raise InputError(f"pred and gt differ in shape: pred {p.shape}, gt {g.shape}")
    if p.size == 0:
        raise InputError(f"pred and gt are empty (shape {p.shape}); nothing to evaluate")
    return p, g


def _check_weights(weights, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate a (recall_weights, precision_weights) pair, or build it from gt."""
    if weights is None:
        return compute_pseudo_weights(gt)
    try:
        rw, pw = weights
    except (TypeError, ValueError):
        raise InputError(
            "weights: expected a (recall_weights, precision_weights) pair of (H, W) arrays"
        ) from None
    rw, pw = (_weight_map(name, w, gt.shape) for name, w in (("recall_weights", rw), ("precision_weights", pw)))
    if gt.any() and not float(rw[gt].sum()) > 0:
        # every recalled pixel would weigh 0, so Fps would be 0 whatever the prediction
        raise InputError(f"recall_weights: all zero on the {int(np.count_nonzero(gt))} ink pixels of gt; "
                         "recall weights are positive across each stroke")
    return rw, pw


# --------------------------------------------------------------------------
# the measures (private cores take validated arrays; public ones validate)
# --------------------------------------------------------------------------


def _ratio(num: float, den: float) -> float:
    """100 num / den, NaN for 0/0 (the official tool's value), no warning."""
    return 100.0 * num / den if den != 0 else math.nan


def _f(num_r: float, den_r: float, num_p: float, den_p: float, both_empty: bool) -> float:
    """Harmonic mean of recall num_r/den_r and precision num_p/den_p, in percent.

    100 when prediction and GT are both empty; 0 when either numerator is 0.
    """
    if both_empty:
        return 100.0
    if num_r == 0 or num_p == 0:
        return 0.0
    r = num_r / den_r
    p = num_p / den_p
    return 200.0 * r * p / (r + p)


def _counts(p: np.ndarray, g: np.ndarray) -> tuple[int, int, int, int]:
    tp = int(np.count_nonzero(p & g))
    n_pred = int(np.count_nonzero(p))
    n_gt = int(np.count_nonzero(g))
    fp = n_pred - tp
    fn = n_gt - tp
    tn = p.size - tp - fp - fn
    return tp, fp, fn, tn


def _fm_from_counts(tp, fp, fn) -> tuple[float, float, float]:
    fm = _f(tp, tp + fn, tp, tp + fp, both_empty=(tp + fp + fn == 0))
    return fm, _ratio(tp, tp + fn), _ratio(tp, tp + fp)


def _pseudo(p, g, rw, pw) -> tuple[float, float, float]:
    """(Fps, Rps, Pps) from validated masks and weights."""
    tp_mask = p & g
    # Recall: sum of GW over hits / sum of GW over all GT ink.
    tpwr = float(rw[tp_mask].sum())
    allwr = float(rw[g].sum())
    # Precision: each predicted pixel weighs 1 + PW (PW stored minus 1).
    pred_w = 1.0 + pw[p]
    allwp = float(pred_w.sum())
    tpwp = float((1.0 + pw[tp_mask]).sum())
    both_empty = not g.any() and not p.any()
    fps = _f(tpwr, allwr, tpwp, allwp, both_empty)
    return fps, _ratio(tpwr, allwr), _ratio(tpwp, allwp)


def _psnr_from_counts(errors: int, n: int) -> float:
    if errors == 0:
        return math.inf
    return 10.0 * math.log10(n / errors)


def _nubn(g: np.ndarray, block: int = 8) -> int:
    """Number of full ``block x block`` GT blocks holding both ink and page."""
    h, w = (g.shape[0] // block) * block, (g.shape[1] // block) * block
    if h == 0 or w == 0:
        return 0
    # Sum 8 rows, then 8 columns, in uint8 (at most 64): much faster than a
    # 4-D reshape-sum in int32.
    g8 = np.ascontiguousarray(g[:h, :w]).view(np.uint8)
    rows = g8.reshape(h // block, block, w).sum(axis=1, dtype=np.uint8)
    s = rows.reshape(h // block, w // block, block).sum(axis=2, dtype=np.uint8)
    return int(np.count_nonzero((s > 0) & (s < block * block)))


def _drd_offsets():
    """The 24 non-centre offsets of the 5x5 block, grouped by weight."""
    groups: dict[float, list[tuple[int, int]]] = {}
    for dy in range(-2, 3):
        for dx in range(-2, 3):
            if dy or dx:
                groups.setdefault(float(DRD_WEIGHTS[dy + 2, dx + 2]), []).append((dy, dx))
    return list(groups.items())


_DRD_GROUPS = _drd_offsets()


def _drd_sum(p: np.ndarray, g: np.ndarray) -> float:
    """sum_k DRD_k over the wrong pixels k (Lu, Kot, Shi 2004)."""
    h, w = g.shape
    wrong = np.flatnonzero(p != g)
    if wrong.size == 0:
        return 0.0
    # Pad by 2 so every 5x5 window is in range; the padding is neither ink
    # nor page, so it contributes 0 whatever the wrong pixel's value.
    wp = w + 4
    ink = np.zeros((h + 4, wp), dtype=np.uint8)
    ink[2:-2, 2:-2] = g
    ink = ink.ravel()
    y, x = np.divmod(wrong, w)
    centre = (y + 2) * wp + (x + 2)
    # For a false negative (g_k = page) DRD_k = sum of W over GT ink in the
    # block; for a false positive (g_k = ink) the sum over GT page, i.e. the
    # sum of W over the in-image block minus the ink part.  The 24 offsets
    # fall into 5 distance classes; count ink per class in small integers.
    s_ink = np.zeros(wrong.size)
    for weight, offs in _DRD_GROUPS:
        cnt = np.zeros(wrong.size, dtype=np.uint8)
        for dy, dx in offs:
            cnt += ink[centre + (dy * wp + dx)]
        s_ink += weight * cnt
    s_in = np.full(wrong.size, float(DRD_WEIGHTS.sum()))
    edge = np.flatnonzero((y < 2) | (y >= h - 2) | (x < 2) | (x >= w - 2))
    if edge.size:
        inside = np.zeros((h + 4, wp), dtype=np.uint8)
        inside[2:-2, 2:-2] = 1
        inside = inside.ravel()
        c = centre[edge]
        acc = np.zeros(edge.size)
        for weight, offs in _DRD_GROUPS:
            cnt = np.zeros(edge.size, dtype=np.uint8)
            for dy, dx in offs:
                cnt += inside[c + (dy * wp + dx)]
            acc += weight * cnt
        s_in[edge] = acc
    is_fp = p.ravel()[wrong]
    return float(np.where(is_fp, s_in - s_ink, s_ink).sum())


def _drd(p, g) -> float:
    total = _drd_sum(p, g)
    if total == 0.0:
        return 0.0
    nubn = _nubn(g)
    return total / nubn if nubn else math.inf


def _nrm_from_counts(tp, fp, fn, tn) -> float:
    nr_fn = fn / (fn + tp) if fn + tp else 0.0
    nr_fp = fp / (fp + tn) if fp + tn else 0.0
    return (nr_fn + nr_fp) / 2.0


def _edt(mask: np.ndarray) -> np.ndarray:
    """Exact Euclidean distance of every pixel to the nearest False pixel.

    Same values as ``ndi.distance_transform_edt(mask)`` (an integer squared
    distance is exact in float64, and so is its square root's rounding), but
    from the feature transform with integer arithmetic: scipy's own
    post-processing goes through two float64 planes.
    """
    h, w = mask.shape
    ft = ndi.distance_transform_edt(mask, return_distances=False, return_indices=True)
    dy = ft[0]
    dy -= np.arange(h, dtype=dy.dtype)[:, None]
    dx = ft[1]
    dx -= np.arange(w, dtype=dx.dtype)
    d2 = dy.astype(np.int64) if max(h, w) > 32767 else dy  # int32 holds 2 * 32767^2
    d2 *= d2
    dx = dx.astype(d2.dtype, copy=False)
    dx *= dx
    d2 += dx
    return np.sqrt(d2, dtype=np.float64)


#: The last GT's contour distances (key, d, d.sum()): a widget scores one GT
#: against prediction after prediction, and the distance transform is most of
#: the cost of :func:`evaluate` on a crop.  Only GTs up to this many pixels are kept.
_CONTOUR_CACHE_PIXELS = 1 << 21
_contour_cache: list = [None]


def _contour_distance(g: np.ndarray):
    """Distance of every pixel to the GT's contour, and its sum; ``(None, 0.0)`` when the GT has no contour."""
    key = None
    if g.size <= _CONTOUR_CACHE_PIXELS:
        import hashlib

        key = (g.shape, hashlib.blake2b(np.packbits(g).tobytes(), digest_size=16).digest())
        hit = _contour_cache[0]
        if hit is not None and hit[0] == key:
            return hit[1], hit[2]
    # The contour as in the community implementation: GT ink minus its 3x3
    # erosion.  OpenCV erodes with the outside treated as ink, so strokes
    # touching the frame get no contour there: pad with ink.  (Six shifted
    # ANDs give the same erosion as ndi.binary_erosion, some 20x faster.)
    h, w = g.shape
    pad = np.ones((h + 2, w + 2), dtype=bool)
    pad[1:-1, 1:-1] = g
    rows = pad[:, :-2] & pad[:, 1:-1] & pad[:, 2:]
    contour = g & ~(rows[:-2] & rows[1:-1] & rows[2:])
    if not contour.any():
        d, total = None, 0.0
    else:
        d = _edt(~contour)
        d.setflags(write=False)
        total = float(d.sum())
    if key is not None:
        _contour_cache[0] = (key, d, total)
    return d, total


def _mpm(p, g) -> float:
    fn = g & ~p
    fp = p & ~g
    if not fn.any() and not fp.any():
        return 0.0
    d, total = _contour_distance(g)
    if d is None:
        return math.nan
    if total == 0.0:  # every pixel is on the contour: no distance to charge
        return 0.0
    mp_fn = float(d[fn].sum()) / total
    mp_fp = float(d[fp].sum()) / total
    return (mp_fn + mp_fp) / 2.0


# --------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------


def fmeasure(pred, gt) -> float:
    """F-measure (FM) in percent: harmonic mean of recall and precision.

    Parameters
    ----------
    pred, gt : (H, W) ndarray of bool
        Prediction and ground truth, True = ink (0/1 integers also accepted).

    Returns
    -------
    fm : float
        ``FM = 2 R P / (R + P)`` with ``R = 100 TP / (TP + FN)`` and
        ``P = 100 TP / (TP + FP)``.  100 when both masks are empty, 0 when
        TP = 0 and either has ink.

    Raises
    ------
    binkit.InputError
        Not 2-D, not a mask, shapes differ, or zero size.
    """
    p, g = _check_pair(pred, gt)
    tp, fp, fn, _ = _counts(p, g)
    return _fm_from_counts(tp, fp, fn)[0]


def pseudo_fmeasure(pred, gt, weights=None) -> float:
    """Pseudo F-measure (Fps) in percent (Ntirogiannis et al., IEEE TIP 2013).

    Parameters
    ----------
    pred, gt : (H, W) ndarray of bool
        Prediction and ground truth, True = ink.
    weights : (recall_weights, precision_weights), optional
        Two float (H, W) arrays in the convention of the official ``.dat``
        files: GW, and PW - 1 (see :func:`read_dibco_weights`).  Computed from
        ``gt`` with :func:`pseudo_weights` when omitted.

    Returns
    -------
    fps : float
        ``Fps = 2 Rps Pps / (Rps + Pps)`` with
        ``Rps = 100 sum_TP GW / sum_GT GW`` and
        ``Pps = 100 sum_TP (1 + PW') / sum_pred (1 + PW')``, PW' the stored
        precision weight.  Same empty-mask rules as :func:`fmeasure`.
    """
    p, g = _check_pair(pred, gt)
    rw, pw = _check_weights(weights, g)
    return _pseudo(p, g, rw, pw)[0]


def psnr(pred, gt) -> float:
    """Peak signal-to-noise ratio in dB, with C = 1.

    ``PSNR = 10 log10(H W / (FP + FN))``, i.e. ``10 log10(C^2 / MSE)`` for
    0/1 images.  ``inf`` for a perfect prediction.

    Parameters
    ----------
    pred, gt : (H, W) ndarray of bool
        Prediction and ground truth, True = ink.

    Returns
    -------
    psnr : float
    """
    p, g = _check_pair(pred, gt)
    return _psnr_from_counts(int(np.count_nonzero(p != g)), p.size)


def drd(pred, gt) -> float:
    """Distance-reciprocal distortion (Lu, Kot, Shi, IEEE SPL 2004).

    Parameters
    ----------
    pred, gt : (H, W) ndarray of bool
        Prediction and ground truth, True = ink.

    Returns
    -------
    drd : float
        ``sum_k DRD_k / NUBN`` over the wrong pixels k, where
        ``DRD_k = sum |GT(i, j) - g_k| W(i, j)`` over the 5x5 GT block centred
        on k (out-of-image entries count 0), W = :data:`DRD_WEIGHTS`, and NUBN
        is the number of full 8x8 GT blocks (tiled from the top-left) holding
        both ink and page.  0 when nothing is wrong; ``inf`` when something is
        wrong and NUBN = 0.

    Notes
    -----
    DoxaPy 0.9.2 counts NUBN over the top-left 7x7 of each block and so
    reports larger values on most pages; binkit follows the official tool.
    """
    p, g = _check_pair(pred, gt)
    return _drd(p, g)


def nrm(pred, gt) -> float:
    """Negative rate metric, a fraction in [0, 1] (lower is better).

    ``NRM = (FN / (FN + TP) + FP / (FP + TN)) / 2``.  A term whose class is
    empty (no GT ink, or no GT page) counts 0.

    Parameters
    ----------
    pred, gt : (H, W) ndarray of bool
        Prediction and ground truth, True = ink.

    Returns
    -------
    nrm : float
    """
    p, g = _check_pair(pred, gt)
    return _nrm_from_counts(*_counts(p, g))


def mpm(pred, gt) -> float:
    """Misclassification penalty metric, a fraction (contest tables print x 10^3).

    Parameters
    ----------
    pred, gt : (H, W) ndarray of bool
        Prediction and ground truth, True = ink.

    Returns
    -------
    mpm : float
        ``(MP_FN + MP_FP) / 2`` with ``MP_FN = sum_FN d / D`` and
        ``MP_FP = sum_FP d / D``; d is the exact Euclidean distance to the GT
        contour (GT ink minus its 3x3 erosion, the outside of the image
        counting as ink for the erosion) and D the sum of d over all pixels.
        0 when nothing is wrong; NaN when the GT has no ink but the prediction
        has.
    """
    p, g = _check_pair(pred, gt)
    return _mpm(p, g)


def pseudo_weights(gt) -> tuple[np.ndarray, np.ndarray]:
    """Pseudo-F weights of a ground truth (Ntirogiannis, Gatos, Pratikakis 2013).

    binkit's implementation of the organisers' weight generator
    (``BinEvalWeights``), following the rules recovered by the Doxa project:
    8-connected GT components; contour = ink with a page 4-neighbour (the
    frame counts as page); skeleton by Zhang-Suen thinning followed by
    sequential passes of the Lee-Chen (1992) Table-1 deletion table;
    chessboard distances.

    * Recall weights ``GW = D / NR``: D is the distance of an ink pixel to
      the contour and NR a stroke cross-section normaliser (the largest
      ``D x medial factor`` among the skeleton pixels on the pixel's first
      non-empty square ring, spread along the stroke), so the weights across
      a stroke add up to about 1 whatever its width.
    * Precision weights ``PW - 1 = min(Dp / NP, 2)`` on page pixels inside a
      component's box grown by twice its stroke width Gsw (0 elsewhere): Dp
      is the distance to the GT contour and NP the stroke reach, or the
      half-gap to a neighbouring component where the two nearly merge.
      Pixels beyond the reach get 0.

    Parameters
    ----------
    gt : (H, W) ndarray of bool
        Ground truth, True = ink (0/1 integers accepted).

    Returns
    -------
    recall_weights, precision_weights : (H, W) ndarray of float64
        In the convention of the organisers' ``_RWeights.dat`` and
        ``_PWeights.dat`` files (the latter stores PW - 1).  All zero for a
        GT without ink.

    Notes
    -----
    On the 2John fixture (the one page whose official ``.dat`` files are
    public) the result equals the official files at their 6-decimal
    precision on every pixel.  Other pages are unverified; the sequential
    steps of the original (in-place raster passes, "last writer wins",
    box-clipped ring searches) are reproduced literally, see
    ``binkit/_pseudo_weights.py``.  About half a second per megapixel.
    """
    g = as_mask(gt, "gt")
    if g.size == 0:
        raise InputError(f"gt is empty (shape {g.shape})")
    return compute_pseudo_weights(g)


def evaluate(pred, gt, weights=None) -> dict:
    """All DIBCO measures of a prediction at once.

    Parameters
    ----------
    pred, gt : (H, W) ndarray of bool
        Prediction and ground truth, True = ink (0/1 integers accepted).
    weights : (recall_weights, precision_weights), optional
        Pseudo-F weights in the ``.dat`` convention (GW and PW - 1), e.g. from
        :func:`read_dibco_weights`.  Computed from ``gt`` with
        :func:`pseudo_weights` when omitted (the costly part of this function;
        pass them in when evaluating many predictions against one GT).

    Returns
    -------
    scores : dict
        ``fm``, ``fps``, ``recall``, ``precision``, ``pseudo_recall``,
        ``pseudo_precision`` in percent as the DIBCO tool prints them;
        ``psnr`` in dB (``inf`` when perfect); ``drd``; ``nrm`` and ``mpm`` as
        fractions (contest tables print ``MPM x 10^3``).  See the module
        docstring for the definitions and the values on edge cases.

    Raises
    ------
    binkit.InputError
        Masks that are not 2-D, not bool (or 0/1), of different shapes or of
        zero size; weights of the wrong shape, with non-finite or negative
        values, or recall weights that are all zero on the ink of ``gt``.

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.zeros((16, 16), bool); gt[4:12, 6:9] = True
    >>> evaluate(gt, gt)["fm"]
    100.0
    """
    p, g = _check_pair(pred, gt)
    rw, pw = _check_weights(weights, g)
    tp, fp, fn, tn = _counts(p, g)
    fm, recall, precision = _fm_from_counts(tp, fp, fn)
    fps, rps, pps = _pseudo(p, g, rw, pw)
    return {
        "fm": fm,
        "fps": fps,
        "psnr": _psnr_from_counts(fp + fn, p.size),
        "drd": _drd(p, g),
        "nrm": _nrm_from_counts(tp, fp, fn, tn),
        "mpm": _mpm(p, g),
        "recall": recall,
        "precision": precision,
        "pseudo_recall": rps,
        "pseudo_precision": pps,
    }


# --------------------------------------------------------------------------
# the organisers' weight files
# --------------------------------------------------------------------------


def read_dibco_weights(path, shape) -> np.ndarray:
    """Read a DIBCO pseudo-F weight file (``<gt>_RWeights.dat`` / ``_PWeights.dat``).

    Parameters
    ----------
    path : str or os.PathLike
        The ``.dat`` file: text, one ``%f`` value per pixel separated by
        whitespace, row-major from the top-left pixel.
    shape : (H, W)
        The GT's shape; the file holds no size of its own.

    Returns
    -------
    weights : (H, W) ndarray of float64
        GW for an RWeights file, PW - 1 for a PWeights file (the convention
        :func:`evaluate` expects).

    Raises
    ------
    binkit.InputError
        Missing or unreadable file, a value count other than H * W, or a
        value no weight file holds (NaN, infinite, negative).  What the pair
        must satisfy for its GT is checked by :func:`check_dibco_weights`.
    """
    path = Path(path)
    try:
        h, w = (int(s) for s in shape)
    except (TypeError, ValueError):
        raise InputError(f"shape: expected (H, W), got {shape!r}") from None
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    # np.fromfile's text mode parses in C (about 30x faster than loadtxt on a
    # 3 MB file).  It stops silently (or with a DeprecationWarning) at the
    # first token that is not a number, so the count check below catches that.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            values = np.fromfile(path, dtype=np.float64, sep=" ")
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: cannot read ({exc})") from None
    if values.size != h * w:
        raise InputError(
            f"{path}: holds {values.size} numbers, expected {h} x {w} = {h * w} "
            "(wrong shape, or a damaged file)"
        )
    # Both kinds of weight file hold finite values >= 0 (GW = D / NR, PW - 1 = min(Dp / NP, 2)).
    if not np.isfinite(values).all():
        raise InputError(f"{path}: holds NaN or infinite values; not a DIBCO weight file")
    if values.size and float(values.min()) < 0:
        raise InputError(f"{path}: holds negative values (min {float(values.min()):.6g}); DIBCO weights are >= 0")
    return values.reshape(h, w)


def check_dibco_weights(recall_weights, precision_weights, gt, *, names=("recall_weights", "precision_weights")):
    """Check that a pair of weight maps can come from the DIBCO weight generator for ``gt``.

    :func:`read_dibco_weights` checks one file on its own; this checks what
    the pair must satisfy for its ground truth, so that a wrong, swapped,
    zeroed or hand-edited file is refused instead of giving a plausible Fps.

    Parameters
    ----------
    recall_weights, precision_weights : (H, W) array_like of float
        GW and PW - 1, as :func:`read_dibco_weights` returns them.
    gt : (H, W) ndarray of bool
        The ground truth they belong to, True = ink.
    names : (str, str)
        What to call the two maps in messages, e.g. their file names.

    Raises
    ------
    binkit.InputError
        One line naming the map, when any of these rules of the generator
        (:func:`pseudo_weights`, the organisers' ``BinEvalWeights``) fails:

        * both maps are finite and >= 0, of the GT's shape;
        * recall weights are 0 on the page, and not all 0 on a GT with ink
          (the weights across a stroke add up to about 1);
        * precision weights ``PW - 1 = min(Dp / NP, 2)`` lie in [0, 2] and
          are 0 on GT ink.

    Notes
    -----
    The official 2John files and binkit's weights for the DIBCO 2009-2016
    ground truths satisfy every rule.  Recall weights have no upper bound
    (1.5 and 2 occur on DIBCO pages).
    """
    g = as_mask(gt, "gt")
    rname, pname = names
    rw, pw = (_weight_map(name, w, g.shape) for name, w in ((rname, recall_weights), (pname, precision_weights)))
    n_ink = int(np.count_nonzero(g))
    off = int(np.count_nonzero(rw[~g]))
    if off:
        raise InputError(f"{rname}: {off} page pixels of the ground truth have a recall weight; recall weights "
                         "lie on GT ink only (is this a precision weight file, or another page's?)")
    if n_ink and not float(rw[g].sum()) > 0:
        raise InputError(f"{rname}: all zero on the {n_ink} ink pixels of the ground truth; "
                         "recall weights are positive across each stroke")
    # the .dat files hold 6 decimals and the generator caps PW - 1 at exactly 2
    if pw.size and float(pw.max()) > 2 + 5e-7:
        raise InputError(f"{pname}: values up to {float(pw.max()):.6g}; precision weights PW - 1 lie in [0, 2]")
    on = int(np.count_nonzero(pw[g]))
    if on:
        raise InputError(f"{pname}: {on} ink pixels of the ground truth have a precision weight; precision weights "
                         "PW - 1 are 0 on GT ink (is this a recall weight file, or another page's?)")


def write_dibco_weights(path, w) -> Path:
    """Write a weight map in the DIBCO ``.dat`` format.

    Each value is written as ``%f`` followed by two spaces (the organisers'
    ``"%f %c"`` with a space character), row-major from the top-left, so a
    file read with :func:`read_dibco_weights` and written back is
    byte-identical to the original.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file.
    w : (H, W) array_like of float
        The weights (GW, or PW - 1).

    Returns
    -------
    path : pathlib.Path
    """
    path = Path(path)
    a = np.asarray(w, dtype=np.float64)
    if a.ndim != 2:
        raise InputError(f"weights: expected a 2-D (H, W) array, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise InputError("weights: contains NaN or infinite values")
    # "%f  " on one flat tuple: Python's formatting runs in C, ~0.2 s per MP.
    text = ("%f  " * a.size) % tuple(a.ravel().tolist())
    from .io import write_text

    write_text(path, text)  # InputError if the folder cannot be written
    return path
