"""The page seen the way the surface sees it: joint histograms over the (b, t) plane.  RECONSTRUCTED.

The decision surface ``S(b, t)`` is indexed by intensity, not by position:
two pixels with the same local median ``b`` and local mean ``t`` get the
same decision wherever they are.  So everything the surface can be judged
by is in two histograms over the (b, t) plane, one of the ink pixels and one
of all pixels, and everything a network needs to *choose* a surface for a
page (or a tile) is in the second one.  This module builds them.

* :func:`node_index` puts each pixel on the nearest node of the 256 x 256
  table the surface is read from (:data:`NODES`; ``b`` already lies on the
  8-bit levels, ``t``, a 3 x 3 mean of them, is moved by at most half a
  level).  :func:`node_histogram` counts pixels per node (``np.bincount``:
  a 512 x 512 tile in about a millisecond).
* The soft counts of the hybrid's loss (:mod:`binkit.hybrid.losses`) are
  then sums over the table, not over pixels::

      TP = sum_nodes S * H_ink        FP = sum_nodes S * (H_all - H_ink)

  so a training step costs the same for a tile and for a 10-MP page.
  :func:`soft_counts_from_histograms` does that in torch.
* :func:`intensity_warp` maps a histogram through a monotone change of the
  grey levels ``g`` (gamma, contrast): the median commutes with ``g``
  exactly, the 3 x 3 mean nearly (``mean(g(I)) ~ g(mean(I))``), so a
  brighter, darker or flatter copy of a page costs two 256 x 256 matrix
  products instead of new median filters.
* :func:`density_input` is what the network sees: the histogram of all
  pixels pooled to ``bins x bins`` and log-scaled, summing to one.
"""

from __future__ import annotations

import numpy as np

from .._errors import InputError

__all__ = ["NODES", "node_index", "node_histogram", "splat_matrix", "intensity_warp", "density_input",
           "soft_counts_from_histograms"]

#: Nodes per axis of the surface's lookup table (one per 8-bit level).
NODES = 256


def node_index(b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Flat index ``row * 256 + column`` of each pixel's nearest table node, (H, W) int32.

    ``b`` and ``t`` are the page's local median and mean in [0, 1] (clipped).
    """
    if b.shape != t.shape:
        raise InputError(f"b and t must have the same shape, got {b.shape} and {t.shape}")
    g = NODES - 1
    rb = np.rint(np.clip(b, 0, 1) * g).astype(np.int32)
    rt = np.rint(np.clip(t, 0, 1) * g).astype(np.int32)
    return rb * NODES + rt


def node_histogram(index: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Pixels per table node, (256, 256) float64; only where ``mask`` is True if given."""
    flat = index.ravel() if mask is None else index[mask]
    return np.bincount(flat, minlength=NODES * NODES).reshape(NODES, NODES).astype(np.float64)


def splat_matrix(values: np.ndarray):
    """Sparse (256, 256) matrix that moves mass from node ``k`` to the position ``values[k]`` in [0, 1].

    Linear ("tent") weights between the two nodes around each new position,
    so the total mass is kept and ``intensity_warp`` is exact for positions
    on nodes.  Two non-zeros per column (``scipy.sparse.csr_matrix``).
    """
    from scipy.sparse import csr_matrix

    x = np.clip(np.asarray(values, np.float64), 0, 1) * (NODES - 1)
    lo = np.minimum(np.floor(x).astype(np.intp), NODES - 2)
    frac = x - lo
    k = np.arange(NODES)
    return csr_matrix((np.concatenate([1 - frac, frac]), (np.concatenate([lo, lo + 1]), np.concatenate([k, k]))),
                      shape=(NODES, NODES))


def intensity_warp(hist: np.ndarray, levels_after: np.ndarray) -> np.ndarray:
    """A node histogram after the grey levels ``k / 255`` became ``levels_after[k]`` (both axes).

    Parameters
    ----------
    hist : (..., 256, 256) ndarray
    levels_after : (256,) ndarray
        The new value of each 8-bit level, monotone, in [0, 1].

    Returns
    -------
    (..., 256, 256) ndarray, the same total mass.
    """
    m = splat_matrix(levels_after)
    hist = np.asarray(hist, np.float64)
    if hist.ndim == 2:
        return np.asarray(m @ (m @ hist).T).T
    return np.stack([intensity_warp(h, levels_after) for h in hist.reshape(-1, NODES, NODES)]).reshape(hist.shape)


def density_input(hist: np.ndarray, bins: int) -> np.ndarray:
    """What the network sees of a histogram: pooled to ``bins x bins``, normalised, log-scaled.

    ``log1p(p * bins**2)``, where ``p`` sums to one: 0 where no pixel
    falls, about 0.69 for a uniform spread, 5 to 9 at the paper's peak.
    """
    hist = np.asarray(hist, np.float64)
    if hist.shape[-1] % bins or hist.shape[-2] % bins:
        raise InputError(f"bins={bins} must divide the histogram's side {hist.shape[-1]}")
    f = hist.shape[-1] // bins
    pooled = hist.reshape(*hist.shape[:-2], bins, f, bins, f).sum(axis=(-3, -1))
    total = pooled.sum(axis=(-2, -1), keepdims=True)
    p = pooled / np.maximum(total, 1.0)
    return np.log1p(p * bins * bins).astype(np.float32)


def soft_counts_from_histograms(prob_table, h_ink, h_all):
    """Soft TP, FP, FN, TN per sample from a probability table and node histograms (torch).

    Parameters
    ----------
    prob_table : (B, 256, 256) tensor
        ``S`` at the table's nodes, clipped to [0, 1].
    h_ink, h_all : (B, 256, 256) tensors
        Ink pixels and all pixels per node.

    Returns
    -------
    tp, fp, fn, tn : (B,) tensors
    """
    h_bg = h_all - h_ink
    tp = (prob_table * h_ink).sum(dim=(-2, -1))
    fp = (prob_table * h_bg).sum(dim=(-2, -1))
    fn = h_ink.sum(dim=(-2, -1)) - tp
    tn = h_bg.sum(dim=(-2, -1)) - fp
    return tp, fp, fn, tn
