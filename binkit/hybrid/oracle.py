"""The best surface of the family for one page, fitted to its own ground truth: the hybrid's ceiling.

An adjuster predicts ``dZ`` from what it sees of a page; it never sees the
answer.  :func:`oracle_heights` does: starting from the page's classical
surface ``C0``, it fits the n x n heights directly to the page's ground
truth, by the same soft objective the adjuster is trained on
(``(1 - FM_soft) + NRM_soft``, no regularisers), with Adam.  Its score is
about the best that *any* adjuster can reach on that page with this family
of surfaces (a fixed number of steps finds a lower bound of that ceiling),
so a trained adjuster is best read as the share of the gap from ``C0`` to
the oracle that it closes (:func:`gap_closed`).

The fit is cheap because the surface is indexed by intensity: the page
enters only through two node histograms over the (b, t) plane
(:mod:`binkit.hybrid.histogram`), so each step costs the same for a tile and
for a 10-MP page (a second or two per page on a CPU).

Examples
--------
>>> from binkit.datasets import synthetic_page
>>> from binkit.hybrid import oracle_heights, prepare_page, lut_lookup, surface_lut
>>> from binkit.metrics import fmeasure
>>> p = synthetic_page(3, size=(160, 240))
>>> best = oracle_heights(p.image, p.gt, steps=60)
>>> page = prepare_page("p", p.image)
>>> start = fmeasure(lut_lookup(surface_lut(page.c0), page.b, page.t) >= 0.5, p.gt)
>>> fmeasure(lut_lookup(surface_lut(best), page.b, page.t) >= 0.5, p.gt) >= start
True
"""

from __future__ import annotations

import numpy as np
import torch

from .._checks import check_int, check_real
from .._errors import InputError

__all__ = ["oracle_heights", "oracle_binarize", "gap_closed"]


def oracle_heights(image, gt, *, bound: float | None = None, steps: int = 150, lr: float = 0.02,
                   n: int = 16, window=None) -> np.ndarray:
    """The control-point heights that best binarize ``image`` against its ground truth ``gt``.

    Parameters
    ----------
    image : (H, W) array_like
        A page (anything :func:`binkit.io.as_gray` accepts), or a
        :class:`binkit.hybrid.HybridPage` already prepared.
    gt : (H, W) array_like of bool
        Its ground truth, True = ink.
    bound : float, optional
        Fit ``dZ = bound * tanh(raw)``, the reach of an adjuster whose
        output is bounded that way (binkit's first adjuster used 0.25).
        Default: no bound.
    steps : int, default 150
        Adam steps (lr ``lr``) on ``(1 - FM_soft) + NRM_soft``.
    lr : float, default 0.02
    n : int, default 16
        Control points per axis.
    window : (slice, slice), optional
        Fit one tile of the page only (its pixels' histograms), e.g. to see
        how far a stained corner's best surface lies from the page's.

    Returns
    -------
    heights : (n, n) ndarray of float32
        ``C0 + dZ``; read it with :func:`binkit.hybrid.surface_lut` and
        :func:`binkit.hybrid.lut_lookup` like any other heights.
    """
    from .histogram import node_histogram
    from .samples import HybridPage, prepare_page
    from .spline_torch import surface_lut_torch
    from .training import _soft_scores

    steps = check_int("steps", steps, minimum=0)
    lr = check_real("lr", lr, minimum=0.0)
    if bound is not None:
        bound = check_real("bound", bound, minimum=0.0)
    page = image if isinstance(image, HybridPage) else prepare_page("image", image, gt, n)
    if page.gt is None:
        page = HybridPage(page.name, page.image, page.b, page.t, page.c0, _as_gt(gt, page.image.shape), page.levels)
    index, truth = page.index, page.gt
    if window is not None:
        index, truth = index[window], truth[window]
    h_all = torch.as_tensor(node_histogram(index), dtype=torch.float32)[None]
    h_ink = torch.as_tensor(node_histogram(index, truth), dtype=torch.float32)[None]
    c0 = torch.as_tensor(page.c0, dtype=torch.float32)
    raw = torch.zeros_like(c0, requires_grad=True)
    opt = torch.optim.Adam([raw], lr=lr)

    def dz():
        return raw if bound is None else bound * torch.tanh(raw)

    with torch.enable_grad():
        for _ in range(steps):
            fm, nrm = _soft_scores(surface_lut_torch(c0 + dz())[None], h_ink, h_all)
            loss = (1 - fm).sum() + nrm.sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
    return (c0 + dz()).detach().numpy().astype(np.float32)


def oracle_binarize(image, gt, **options) -> np.ndarray:
    """The page binarized with its oracle surface (:func:`oracle_heights`): the family's ceiling, not a method.

    It reads the ground truth, so it only ever appears beside a method as
    the best that method's family of surfaces could do on the page.

    Returns
    -------
    ink : (H, W) ndarray of bool
        True = ink.
    """
    from .inference import lut_lookup
    from .samples import HybridPage, prepare_page
    from .spline import surface_lut

    page = image if isinstance(image, HybridPage) else prepare_page("image", image, None, options.get("n", 16))
    return lut_lookup(surface_lut(oracle_heights(page, gt, **options)), page.b, page.t) >= 0.5


def _as_gt(gt, shape) -> np.ndarray:
    from ..io import as_mask

    gt = as_mask(gt, "ground truth")
    if gt.shape != shape:
        raise InputError(f"ground truth {gt.shape} and image {shape} differ in size")
    return gt


def gap_closed(start: float, method: float, oracle: float) -> float:
    """The share of the gap from the start to the oracle that a method closes: ``(method - start) / (oracle - start)``.

    1 means the method scores as the best surface of the family does; 0, as
    the classical start; below 0, worse than the start.  NaN when the oracle
    is no better than the start (no gap to close).
    """
    gap = oracle - start
    return float((method - start) / gap) if gap > 0 else float("nan")
