r"""The three losses of the Grid LSTM paper (Eq. 3-5), on binkit's ink logits.

All three are per-pixel binary cross-entropy, averaged over **every** pixel of
the batch (padded ones included), as the reference's ``reduce_mean`` does.
With ``z`` the ink logit and ``y = 1`` on ink:

``bce``      :math:`L = y \cdot \mathrm{softplus}(-z) + (1 - y) \cdot \mathrm{softplus}(z)`
``static(w)`` :math:`L = y \cdot \mathrm{softplus}(-z) + w (1 - y) \cdot \mathrm{softplus}(z)`
             — w multiplies the **background** (page) term, as in the reference,
             where label 1 is page and w is TF's ``pos_weight``.  w = 2 stresses
             page errors, w = 0.5 relatively stresses ink errors.
``dynamic``  :math:`L = w_i \cdot \mathrm{BCE}_i` with per-pixel weights from the
             pseudo-F-measure maps (Ntirogiannis et al. 2013):
             :math:`w_i = 1 + G_W` on ink (the recall weight, so 1 at a stroke's
             edge up to 2 in its middle) and :math:`w_i = 1 + (P_W - 1)` on page
             (1 far from text, up to 3 about a stroke width away from it).  Padded
             pixels get weight 0.

Every loss has the signature ``loss(logits, target, weights=None)`` with
``logits`` and ``target`` of the same shape (``target`` True / 1 = ink).

The original code's bug
-----------------------
The reference (``converter.py::convert_weights``) reshapes the row-major
``.dat`` weight stream as **(width, height)** and then cuts it as if it were
rows x columns.  For every non-square page the weights are therefore the
stream re-wrapped at line length H: spatially scrambled with respect to the
ground truth (on the 2John page only 27.6 % of pixels get their own weight).
:func:`dynamic_weight_blocks` builds correctly aligned weights by default;
``reference_layout=True`` reproduces the scramble for replication studies.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .._errors import InputError
from ..datasets.blocks import BLOCK, from_blocks, pad_to_multiple, to_blocks
from ..io import as_mask

__all__ = [
    "bce",
    "static",
    "dynamic",
    "LOSSES",
    "get_loss",
    "dynamic_weight_map",
    "dynamic_weight_blocks",
    "scrambled_weight_map",
]


def _check(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    if logits.shape != target.shape:
        raise ValueError(f"logits {tuple(logits.shape)} and target {tuple(target.shape)} differ in shape")
    return target.to(logits.dtype)


def bce(logits: torch.Tensor, target: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """Plain binary cross-entropy (paper Eq. 3), mean over all pixels; ``weights`` is ignored."""
    y = _check(logits, target)
    return F.binary_cross_entropy_with_logits(logits, y)


def static(w: float):
    """Statically weighted BCE (paper Eq. 4): ``w`` multiplies the page term.

    Parameters
    ----------
    w : float
        Weight of background (page) errors; the paper tries 2 and 0.5.

    Returns
    -------
    callable
        ``loss(logits, target, weights=None)``.
    """
    w = float(w)
    if not w > 0:
        raise InputError(f"static loss weight must be > 0, got {w}")

    def static_loss(logits, target, weights=None):
        y = _check(logits, target)
        return (y * F.softplus(-logits) + w * (1 - y) * F.softplus(logits)).mean()

    static_loss.__name__ = f"static_{w:g}"
    return static_loss


def dynamic(logits: torch.Tensor, target: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """Pseudo-F-measure-weighted BCE (paper Eq. 5): ``mean(weights * BCE)``.

    Not normalised by the sum of weights: a plain mean over all pixels, as the
    reference computes it.  ``weights`` come from :func:`dynamic_weight_blocks`.
    """
    if weights is None:
        raise ValueError("the dynamic loss needs per-pixel weights (see dynamic_weight_blocks)")
    y = _check(logits, target)
    if weights.shape != logits.shape:
        raise ValueError(f"weights {tuple(weights.shape)} and logits {tuple(logits.shape)} differ in shape")
    return (weights.to(logits.dtype) * F.binary_cross_entropy_with_logits(logits, y, reduction="none")).mean()


#: The losses by the names the training command uses.
LOSSES = {"bce": bce, "dynamic": dynamic, "static2": static(2.0), "static0.5": static(0.5)}


def get_loss(name: str):
    """Look a loss up by name: ``bce``, ``dynamic``, ``static<w>`` (e.g. ``static2``, ``static0.5``)."""
    if name in LOSSES:
        return LOSSES[name]
    if name.startswith("static"):
        try:
            return static(float(name[len("static") :]))
        except ValueError:
            pass
    raise InputError(f"unknown loss {name!r}; choose bce, dynamic or static<w> (e.g. static2)")


def dynamic_weight_map(gt, weights=None) -> np.ndarray:
    """Per-pixel weights of the dynamic loss on the page, correctly aligned.

    Parameters
    ----------
    gt : (H, W) ndarray of bool
        Ground truth, True = ink.
    weights : (recall_weights, precision_weights), optional
        The pseudo-F-measure maps in the ``.dat`` convention (precision
        weights stored as PW - 1), e.g. read with
        :func:`binkit.metrics.read_dibco_weights`.  Default: computed with
        :func:`binkit.metrics.pseudo_weights`.

    Returns
    -------
    (H, W) ndarray of float32
        ``1 + GW`` on ink, ``1 + (PW - 1)`` on page.
    """
    gt = as_mask(gt, "gt")
    if weights is None:
        from ..metrics import pseudo_weights

        weights = pseudo_weights(gt)
    rw, pw = (np.asarray(w, dtype=np.float32) for w in weights)
    if rw.shape != gt.shape or pw.shape != gt.shape:
        raise InputError(f"weights {rw.shape}/{pw.shape} do not match the ground truth {gt.shape}")
    return np.where(gt, 1.0 + rw, 1.0 + pw).astype(np.float32)


def dynamic_weight_blocks(gt, weights=None, *, reference_layout: bool = False, block: int = BLOCK) -> np.ndarray:
    """Dynamic-loss weights cut into blocks that line up with ``to_blocks(gt)``.

    Parameters
    ----------
    gt : (H, W) ndarray of bool
    weights : (recall_weights, precision_weights), optional
        See :func:`dynamic_weight_map`.
    reference_layout : bool, default False
        Reproduce the original code's bug: the row-major weight stream
        reshaped as (W, H), padded and cut as rows x columns, so block ``i``
        of the weights is **not** block ``i`` of the page (see the module
        docstring).  Only for replication studies.
    block : int

    Returns
    -------
    (blocks, block, block) ndarray of float32
        Padded pixels have weight 0, as in the reference.
    """
    wmap = dynamic_weight_map(gt, weights)
    if not reference_layout:
        return to_blocks(wmap, block, value=0.0)
    h, w = wmap.shape
    wrapped = wmap.reshape(-1).reshape(w, h)  # the reference's reshape(x=width, y=height)
    return to_blocks(wrapped, block, value=0.0)


def scrambled_weight_map(gt, weights=None, *, block: int = BLOCK) -> np.ndarray:
    """The weight map the original code effectively trained with, laid out on the page.

    Returns
    -------
    (H, W) ndarray of float32
        Block ``i`` of :func:`dynamic_weight_blocks` with ``reference_layout=True``
        put where block ``i`` of the page is.  Compare with
        :func:`dynamic_weight_map` to see the scramble.
    """
    gt = as_mask(gt, "gt")
    blocks = dynamic_weight_blocks(gt, weights, reference_layout=True, block=block)
    return from_blocks(blocks, pad_to_multiple(gt, block).shape, block)[: gt.shape[0], : gt.shape[1]]

