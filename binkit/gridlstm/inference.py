"""Whole-page binarization with a Grid LSTM model, in bounded memory."""

from __future__ import annotations

import numpy as np
import torch

from ..classical import _no_contrast
from ..io import as_gray
from ..runtime import denormals_flushed, freed_memory_kept, pick_device
from .inputs import sequence_bands_of_gray
from .model import GridLSTMBinarizer, steps_to_blocks

__all__ = ["binarize", "page_logits", "default_max_blocks"]


def default_max_blocks(device) -> int:
    """Blocks per inference batch on ``device`` (see :func:`page_logits`).

    A batch of 4096 f4 blocks holds about 6 GB at its peak (inputs, both layers'
    sequences and outputs), 2048 about half that.
    """
    dev = torch.device(device)
    if dev.type == "cpu":
        return 256
    if dev.type == "cuda":
        free, _total = torch.cuda.mem_get_info(dev)
        return 4096 if free >= 16 << 30 else 2048 if free >= 8 << 30 else 512
    return 512


def page_logits(image, model: GridLSTMBinarizer, device=None, max_blocks: int | None = None) -> np.ndarray:
    """Ink logits of every pixel of a page.

    The page is normalised as the reference does (per-page min-max stretch to
    0..255), padded at the bottom and right to whole 64x64 blocks, and cut into
    the two sequence sets; each band of blocks runs through the model with all
    its blocks and all four reading directions in one batch.  Only one band's
    sequences and activations live in memory at a time, so memory does not
    grow with the page (a 30-MP page needs the page itself plus one band).

    Parameters
    ----------
    image : (H, W) array_like
        Grey page (anything :func:`binkit.io.as_gray` accepts).
    model : GridLSTMBinarizer
    device : str or torch.device, optional
        Default: CUDA if available, else MPS, else CPU.
    max_blocks : int, optional
        Blocks per batch.  Default: 256 on the CPU (what runs fastest on a
        2-core machine); on a CUDA GPU, whose cost per batch hardly depends on
        its size (the scan is a fixed number of small operations), 4096 with
        16 GiB free, 2048 with 8 GiB, else 512 (:func:`default_max_blocks`).

    Returns
    -------
    (H, W) ndarray of float32
        Positive = ink.
    """
    return _page_logits(as_gray(image), model, device, max_blocks)


def _page_logits(image: np.ndarray, model: GridLSTMBinarizer, device, max_blocks) -> np.ndarray:
    """:func:`page_logits` of a page :func:`binkit.io.as_gray` has checked."""
    dev = pick_device(device)
    if max_blocks is None:
        max_blocks = default_max_blocks(dev)
    cfg = model.config
    was_training = model.training
    model.eval()
    model.to(dev)
    out = np.empty(image.shape, np.float32)
    h, w = image.shape
    try:
        # Saturated gates produce denormal floats, which x86 CPUs compute with many times slower.
        # Every batch allocates the same large buffers: kept in the process rather than handed back
        # to the system and faulted in again, they make a page of several batches ~12 % faster
        # (memory stays bounded by one batch's peak; it goes back when the page is done).
        with torch.inference_mode(), denormals_flushed(), freed_memory_kept():
            for r0, r1, tl, bl in sequence_bands_of_gray(image, cfg.footprint, cfg.scale, cfg.block, max_blocks):
                cols = tl.shape[0] // (r1 - r0)
                tl_t = torch.from_numpy(tl).to(dev)
                bl_t = torch.from_numpy(bl).to(dev)
                blocks = []
                for b0 in range(0, tl_t.shape[0], max_blocks):
                    logits = model(tl_t[b0 : b0 + max_blocks], bl_t[b0 : b0 + max_blocks])
                    blocks.append(steps_to_blocks(logits, cfg.footprint, cfg.block))
                band = torch.cat(blocks).to("cpu", torch.float32).numpy()
                band = band.reshape(r1 - r0, cols, cfg.block, cfg.block).swapaxes(1, 2)
                band = band.reshape((r1 - r0) * cfg.block, cols * cfg.block)
                top = r0 * cfg.block
                rows_here = min(h, r1 * cfg.block) - top
                out[top : top + rows_here] = band[:rows_here, :w]
    finally:
        model.train(was_training)
    return out


def binarize(image, model: GridLSTMBinarizer, device=None, max_blocks: int | None = None) -> np.ndarray:
    """Binarize a page with a Grid LSTM model.

    Parameters
    ----------
    image : (H, W) array_like
        Grey page.
    model : GridLSTMBinarizer
    device : str or torch.device, optional
        Default: CUDA, then MPS, then CPU.
    max_blocks : int, optional
        See :func:`page_logits`.

    Returns
    -------
    (H, W) ndarray of bool
        True = ink.  A pixel is ink where the reference would round
        ``sigmoid(page logit)`` to 0, i.e. where the ink logit is >= 0
        (TF rounds half to even, so 0.5 counts as ink).  A page with no contrast
        (grey levels within :data:`binkit.classical.MIN_CONTRAST`) has no ink,
        as with every binkit method.
    """
    gray = as_gray(image)
    if _no_contrast(gray):
        return np.zeros(gray.shape, bool)
    return _page_logits(gray, model, device, max_blocks) >= 0
