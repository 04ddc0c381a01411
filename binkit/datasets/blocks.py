"""Cutting pages into square blocks, stitching them back, sampling them.

The Grid LSTM binarizer (and the hybrid method's CNN) work on fixed-size
blocks: the reference code pads a page at the **bottom and right** up to the
next multiple of the block size (64) and cuts it into non-overlapping blocks
in row-major order.  Training draws random blocks from all blocks of all
training pages, so large pages contribute more blocks.  These functions are
the one place in binkit where that happens.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .._checks import check_int
from .._errors import InputError

__all__ = [
    "BLOCK",
    "pad_to_multiple",
    "to_blocks",
    "from_blocks",
    "block_grid",
    "sample_block_index",
    "sample_blocks",
]

#: Block side used by the Grid LSTM paper.
BLOCK = 64


def _check_block(block: int) -> int:
    return check_int("block", block, minimum=1)


def block_grid(shape: tuple[int, ...], block: int = BLOCK) -> tuple[int, int]:
    """Number of block rows and columns that cover an ``(H, W)`` page.

    Parameters
    ----------
    shape : tuple
        ``(H, W, ...)``; only the first two entries are used.
    block : int
        Block side in pixels.

    Returns
    -------
    (rows, cols) : tuple of int
        ``ceil(H / block), ceil(W / block)``.
    """
    block = _check_block(block)
    h, w = int(shape[0]), int(shape[1])
    return -(-h // block), -(-w // block)


def pad_to_multiple(image: np.ndarray, block: int = BLOCK, value=0) -> np.ndarray:
    """Pad ``image`` at the bottom and right up to a multiple of ``block``.

    Parameters
    ----------
    image : (H, W, ...) ndarray
    block : int
    value : scalar
        Fill value.  The reference Grid LSTM code pads with 0 (black, which
        after its normalisation looks like ink; the output is cropped, so this
        does not matter at inference).

    Returns
    -------
    padded : (rows * block, cols * block, ...) ndarray, same dtype
    """
    a = np.asarray(image)
    if a.ndim < 2:
        raise InputError(f"image: expected at least 2 dimensions, got shape {a.shape}")
    rows, cols = block_grid(a.shape, block)
    pad = [(0, rows * block - a.shape[0]), (0, cols * block - a.shape[1])]
    pad += [(0, 0)] * (a.ndim - 2)
    if pad[0][1] == 0 and pad[1][1] == 0:
        return a
    return np.pad(a, pad, mode="constant", constant_values=value)


def to_blocks(image: np.ndarray, block: int = BLOCK, value=0) -> np.ndarray:
    """Cut a page into non-overlapping ``block`` x ``block`` tiles, row-major.

    The page is first padded at the bottom and right (:func:`pad_to_multiple`).

    Parameters
    ----------
    image : (H, W, ...) ndarray
    block : int
        Block side (64 in the Grid LSTM paper).
    value : scalar
        Padding value.

    Returns
    -------
    blocks : (rows * cols, block, block, ...) ndarray
        Block ``i`` is grid cell ``(i // cols, i % cols)``.  A view of the
        padded page where possible.

    See Also
    --------
    from_blocks : the inverse.

    Examples
    --------
    >>> img = np.arange(100 * 130, dtype=np.float32).reshape(100, 130)
    >>> b = to_blocks(img, 64)
    >>> b.shape
    (6, 64, 64)
    >>> np.array_equal(from_blocks(b, img.shape, 64), img)
    True
    """
    block = _check_block(block)
    padded = pad_to_multiple(image, block, value)
    rows, cols = padded.shape[0] // block, padded.shape[1] // block
    rest = padded.shape[2:]
    tiles = padded.reshape(rows, block, cols, block, *rest).swapaxes(1, 2)
    return tiles.reshape(rows * cols, block, block, *rest)


def from_blocks(blocks: np.ndarray, shape: tuple[int, int], block: int | None = None) -> np.ndarray:
    """Stitch row-major blocks back into a page and crop it to ``shape``.

    Parameters
    ----------
    blocks : (rows * cols, block, block, ...) ndarray
        As returned by :func:`to_blocks`.
    shape : (H, W)
        Size of the original page.
    block : int, optional
        Block side; taken from ``blocks`` when omitted.

    Returns
    -------
    page : (H, W, ...) ndarray
    """
    b = np.asarray(blocks)
    if b.ndim < 3 or b.shape[1] != b.shape[2]:
        raise InputError(f"blocks: expected shape (N, block, block, ...), got {b.shape}")
    block = b.shape[1] if block is None else _check_block(block)
    if b.shape[1] != block:
        raise InputError(f"blocks are {b.shape[1]} px wide, not {block}")
    h, w = int(shape[0]), int(shape[1])
    rows, cols = block_grid((h, w), block)
    if b.shape[0] != rows * cols:
        raise InputError(
            f"{b.shape[0]} blocks cannot cover a {h}x{w} page: it needs {rows}x{cols} = {rows * cols}"
        )
    rest = b.shape[3:]
    page = b.reshape(rows, cols, block, block, *rest).swapaxes(1, 2)
    page = page.reshape(rows * block, cols * block, *rest)
    return page[:h, :w]


def sample_block_index(counts: Sequence[int], n: int, rng: np.random.Generator | int | None = None):
    """Draw ``n`` blocks from a pool of pages holding ``counts[i]`` blocks each.

    Uniform **without replacement** over all blocks of all pages, as the
    reference's ``random.sample`` over its block list (so a large page
    contributes more); when ``n`` exceeds the pool, the pool is used whole and
    then drawn again.

    Parameters
    ----------
    counts : sequence of int
        Blocks per page.
    n : int
    rng : numpy.random.Generator or int, optional

    Returns
    -------
    page : (n,) ndarray of int64
        Index of the page of each drawn block.
    index : (n,) ndarray of int64
        Row-major index of the block within its page.
    """
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total <= 0:
        raise InputError("no blocks to sample from")
    rng = np.random.default_rng(rng)
    picks = np.concatenate(
        [rng.permutation(total)[: min(total, n - k)] for k in range(0, n, total)]
        or [np.empty(0, dtype=np.int64)]
    )
    ends = np.cumsum(counts)
    page = np.searchsorted(ends, picks, side="right")
    return page, picks - (ends - counts)[page]


def sample_blocks(
    pages: Sequence,
    n: int,
    block: int = BLOCK,
    rng: np.random.Generator | int | None = None,
    *,
    aligned: bool = True,
    value=0,
):
    """Draw ``n`` random blocks from a set of pages.

    As in the Grid LSTM reference, blocks are drawn uniformly **without
    replacement** from the pool of all blocks of all pages (so a large page
    contributes more), unless ``n`` exceeds the pool, in which case the pool is
    used whole and then drawn again.

    Parameters
    ----------
    pages : sequence of ndarray, or sequence of tuples of ndarray
        Each entry is one page, or a tuple of arrays with the same ``(H, W)``
        (e.g. ``(image, gt, weights)``) from which the same blocks are cut.
    n : int
        Number of blocks.
    block : int
        Block side.
    rng : numpy.random.Generator or int, optional
        Source of randomness (an int is a seed).
    aligned : bool, default True
        True: blocks lie on the page's block grid (the reference's choice).
        False: any top-left corner inside the padded page (more variety).
    value : scalar
        Padding value for blocks that stick out of a page.

    Returns
    -------
    blocks : ndarray, or tuple of ndarray
        ``(n, block, block, ...)`` per array of the page tuple; a single
        array when ``pages`` holds plain arrays.
    where : (n, 3) ndarray of int64
        ``(page_index, top, left)`` of each block.
    """
    block = _check_block(block)
    n = check_int("n", n, minimum=0)
    if len(pages) == 0:
        raise InputError("pages: need at least one page to sample from")
    rng = np.random.default_rng(rng)
    single = not isinstance(pages[0], (tuple, list))
    groups = [(p,) if single else tuple(p) for p in pages]
    for i, g in enumerate(groups):
        shapes = {np.shape(a)[:2] for a in g}
        if len(shapes) != 1:
            raise InputError(f"pages[{i}]: arrays differ in size {sorted(shapes)}")

    grids = [block_grid(np.shape(g[0]), block) for g in groups]
    page_of, local = sample_block_index([r * c for r, c in grids], n, rng)
    where = np.empty((n, 3), dtype=np.int64)
    where[:, 0] = page_of
    for k, (p, idx) in enumerate(zip(page_of, local)):
        rows, cols = grids[p]
        if aligned:
            where[k, 1:] = (idx // cols) * block, (idx % cols) * block
        else:
            where[k, 1] = rng.integers(0, rows * block - block + 1)
            where[k, 2] = rng.integers(0, cols * block - block + 1)

    n_arrays = len(groups[0])
    out = []
    for j in range(n_arrays):
        first = np.asarray(groups[0][j])
        dst = np.full((n, block, block, *first.shape[2:]), value, dtype=first.dtype)
        for k, (p, top, left) in enumerate(where):
            src = np.asarray(groups[p][j])
            tile = src[top : top + block, left : left + block]
            dst[k, : tile.shape[0], : tile.shape[1]] = tile
        out.append(dst)
    return (out[0] if single else tuple(out)), where
