"""Whole-page binarization with a Grid LSTM model, in bounded memory."""

from __future__ import annotations

import numpy as np
import torch

from .._checks import check_real
from .._threshold import no_contrast as _no_contrast
from ..io import as_gray
from ..runtime import denormals_flushed, freed_memory_kept, pick_device
from .inputs import check_input_levels, sequence_tiles_of_gray
from .model import GridLSTMBinarizer, steps_to_blocks

__all__ = ["binarize", "page_logits", "default_max_blocks", "MAX_UPSCALE", "check_upscale"]

#: Largest ``upscale`` :func:`page_logits` and :func:`binarize` take: the
#: resampled page and its logits hold ``upscale**2`` times the page's pixels.
MAX_UPSCALE = 4.0


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


def page_logits(image, model: GridLSTMBinarizer, device=None, max_blocks: int | None = None, *,
                upscale: float = 1.0, input_levels: str | None = None) -> np.ndarray:
    """Ink logits of every pixel of a page.

    The page is stretched to 0..255 by the model's input levels (by default
    the reference's per-page min-max stretch), padded at the bottom and right
    to whole 64x64 blocks, and cut into the two sequence sets; each tile of at
    most ``max_blocks`` blocks (a band of whole block rows, or a piece of one
    block row on a very wide page) runs
    through the model with all its blocks and all four reading directions in
    one batch.  Each tile builds its inputs from the pixels it reads (with the
    context's margin), so only the page, the result and one tile's inputs and
    activations live in memory at a time, whatever the page's shape.

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
    upscale : float, default 1
        Resample the page by this factor (bilinear) before the model and its
        logits back to the page's shape after (smoothed against aliasing, then
        bilinear), so that strokes
        thinner than the training pages' reach the model wider.  1 runs the
        page as it is; at most :data:`MAX_UPSCALE`.  Time and memory grow
        with ``upscale**2``.
    input_levels : {"minmax", "percentile"}, optional
        How the page's grey levels are stretched to the network's input
        (:data:`binkit.gridlstm.inputs.INPUT_LEVELS`).  Default: the model's
        own (``model.config.input_levels``), the one its weights were trained
        with; the other is a choice to measure, not a free improvement.

    Returns
    -------
    (H, W) ndarray of float32
        Positive = ink.
    """
    gray = as_gray(image, copy=False)  # only read: a float32 page is used as it is
    upscale, levels = check_upscale(upscale), _check_levels(input_levels, model)
    if upscale != 1.0:
        return _downsampled(page_logits(_resampled(gray, upscale), model, device, max_blocks, input_levels=levels),
                            gray.shape)
    logits = np.empty(gray.shape, np.float32)

    def keep(rows, cols, values):
        logits[rows, cols] = values

    _run_tiles(gray, model, device, max_blocks, keep, levels)
    return logits


def check_upscale(upscale) -> float:
    """``upscale`` as a float if it lies in ``[1, MAX_UPSCALE]``, else a :class:`binkit.InputError`."""
    return check_real("upscale", upscale, minimum=1.0, maximum=MAX_UPSCALE)


def _check_levels(input_levels, model: GridLSTMBinarizer) -> str:
    return model.config.input_levels if input_levels is None else check_input_levels(input_levels)


def _resampled(gray: np.ndarray, upscale: float) -> np.ndarray:
    """``gray`` resampled bilinearly by ``upscale`` (float32; each output pixel's centre maps into the page)."""
    from skimage.transform import resize

    h, w = gray.shape
    shape = (max(1, round(h * upscale)), max(1, round(w * upscale)))
    return resize(np.asarray(gray, np.float32), shape, order=1, mode="edge", anti_aliasing=False,
                  preserve_range=True).astype(np.float32)


def _downsampled(logits: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Upscaled ``logits`` brought back to ``shape``: smoothed against aliasing, then bilinear."""
    from skimage.transform import resize

    return resize(logits, shape, order=1, mode="edge", anti_aliasing=True, preserve_range=True).astype(np.float32)


def _run_tiles(gray: np.ndarray, model: GridLSTMBinarizer, device, max_blocks, keep, levels: str) -> None:
    """Run the model over a checked page tile by tile; ``keep(rows, cols, logits)`` takes each tile's logits.

    ``rows`` and ``cols`` are the page's slices the tile covers (the padding
    cut off), ``logits`` a float32 array of that shape, valid only during the
    call.
    """
    dev = pick_device(device)
    if max_blocks is None:
        max_blocks = default_max_blocks(dev)
    cfg = model.config
    block = cfg.block
    was_training = model.training
    model.eval()
    model.to(dev)
    h, w = gray.shape
    try:
        # Saturated gates produce denormal floats, which x86 CPUs compute with many times slower.
        # Every batch allocates the same large buffers: kept in the process rather than handed back
        # to the system and faulted in again, they make a page of several batches ~12 % faster
        # (memory stays bounded by one batch's peak; it goes back when the page is done).
        with torch.inference_mode(), denormals_flushed(), freed_memory_kept():
            tiles = sequence_tiles_of_gray(gray, cfg.footprint, cfg.scale, block, max_blocks, levels)
            for r0, r1, c0, c1, tl, bl in tiles:
                # A tile is one batch.  Its float32 sums, and so the logits' last bits, depend on the
                # batch's blocks; the tiles are the batches of whole bands of ``max_blocks``.
                logits = model(torch.from_numpy(tl).to(dev), torch.from_numpy(bl).to(dev))
                del tl, bl
                values = steps_to_blocks(logits, cfg.footprint, block).to("cpu", torch.float32).numpy()
                del logits
                n, m = r1 - r0, c1 - c0
                values = values.reshape(n, m, block, block).swapaxes(1, 2).reshape(n * block, m * block)
                rows = slice(r0 * block, min(h, r1 * block))
                cols = slice(c0 * block, min(w, c1 * block))
                keep(rows, cols, values[: rows.stop - rows.start, : cols.stop - cols.start])
    finally:
        model.train(was_training)


def binarize(image, model: GridLSTMBinarizer, device=None, max_blocks: int | None = None, *,
             upscale: float = 1.0, input_levels: str | None = None) -> np.ndarray:
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
    upscale : float, default 1
        See :func:`page_logits`: resample the page by this factor for the
        model, and its logits back.
    input_levels : {"minmax", "percentile"}, optional
        See :func:`page_logits` (default: the model's own).

    Returns
    -------
    (H, W) ndarray of bool
        True = ink.  A pixel is ink where the reference would round
        ``sigmoid(page logit)`` to 0, i.e. where the ink logit is >= 0
        (TF rounds half to even, so 0.5 counts as ink).  A page with no contrast
        (grey levels within :data:`binkit.classical.MIN_CONTRAST`) has no ink,
        as with every binkit method.
    """
    gray = as_gray(image, copy=False)  # only read: a float32 page is used as it is
    upscale, levels = check_upscale(upscale), _check_levels(input_levels, model)
    ink = np.zeros(gray.shape, bool)
    if _no_contrast(gray):
        return ink
    if upscale != 1.0:
        logits = page_logits(gray, model, device, max_blocks, upscale=upscale, input_levels=levels)
        return np.greater_equal(logits, 0, out=ink)

    def keep(rows, cols, logits):  # the mask only: no page of logits
        np.greater_equal(logits, 0, out=ink[rows, cols])

    _run_tiles(gray, model, device, max_blocks, keep, levels)
    return ink
