"""From a page to the Grid LSTM's input sequences, as the reference code builds them.

Westphal et al. cut a page into 64x64 blocks, each block into f x f
*footprints*, and read the footprints of a block one per time step.  At each
step the first Grid LSTM layer sees three f x f inputs (paper Fig. 3), which
the reference code (FlorianWestphal/DAS2018, ``converter.py``) builds as:

``x1``
    the current footprint;
``x2``
    the footprint directly **above** it, taken from the whole page (so the top
    row of a block sees the bottom row of the block above), zeros at the top of
    the page.  (The paper says "block above"; the code means the footprint.)
``x3``
    context: the padded page is put in a black canvas with a border of
    ``32 * (sf - 1)`` pixels, shrunk by ``sf`` with a Lanczos filter, and for
    block (R, C) the 64x64 window at ``(R * 64 / sf, C * 64 / sf)`` is cut into
    footprints like x1.  The window shows the ``(64 sf)^2`` region centred on
    the *block*, so x3 is the same grid cell of a zoomed-out view, **not** a
    window centred on the current footprint.  For ``sf = 1``, x3 equals x1.

Four reading directions come from two sequence sets: the *top-left* set reads
footprints row-major; the *bottom-left* set is the same construction on the
vertically flipped page (and flipped context).  Reading each set forwards and
backwards gives the four corners: top-left, bottom-right, bottom-left,
top-right.  In the bottom-left set ``x2`` is therefore the footprint *below*.

Everything here is vectorised over a tile of blocks (the whole page, for
:func:`make_sequences`): no Python loop runs per pixel or per footprint.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from .._checks import check_int
from .._errors import InputError
from ..datasets.blocks import BLOCK, block_grid
from ..io import as_gray

__all__ = [
    "GridSequences",
    "normalize",
    "context_image",
    "footprints",
    "make_sequences",
    "iter_sequence_bands",
    "footprint_inputs",
    "check_geometry",
    "INPUT_LEVELS",
    "check_input_levels",
    "input_levels",
]

#: How a page's grey levels become the network's 0..255 (a choice of the model, stored in
#: its config as ``input_levels``): ``"minmax"`` is the reference's stretch of the page's
#: darkest to its lightest pixel; ``"percentile"`` puts the page's 1st percentile at 15 %
#: and its median (the paper, on any page with text) at 85 % of the range, clipped, so
#: that ink a little darker than the paper spans as many levels on a faint letter as on
#: a dark one, whatever a single dark speck or a white margin does to the extremes.
INPUT_LEVELS = ("minmax", "percentile")
_DARK_QUANTILE, _DARK_AT = 1.0, 0.15
_PAPER_QUANTILE, _PAPER_AT = 50.0, 0.85
#: Percentiles are estimated from at most this many pixels (a regular subsample), so the
#: estimate costs memory bounded whatever the page's size.
_LEVEL_SAMPLE = 4_000_000


def check_geometry(footprint: int, scale: int, block: int = BLOCK) -> None:
    """Refuse footprint / scale factor / block combinations the model cannot use."""
    footprint, scale, block = (check_int(name, v, minimum=1)
                               for name, v in (("footprint", footprint), ("scale", scale), ("block", block)))
    if block % footprint:
        raise InputError(f"footprint {footprint} must divide the block size {block}")
    if block % scale:
        raise InputError(f"scale factor {scale} must divide the block size {block}")


def normalize(image) -> np.ndarray:
    """The reference's per-page contrast stretch to 0..255.

    ``v' = floor((v - min) / (max - min) * 255)`` on the 8-bit grey page, not
    divided by 255 afterwards: the network sees values 0..255 (0 = black).
    binkit's float pages are taken as ``v = 255 * image``.

    Parameters
    ----------
    image : (H, W) array_like
        Anything :func:`binkit.io.as_gray` accepts.

    Returns
    -------
    (H, W) ndarray of float32
        Integers 0..255 stored as float.  A constant page (``max == min``,
        where the reference divides by zero) maps to 255 everywhere, i.e.
        plain paper.
    """
    return _normalize(as_gray(image))


def _normalize(gray: np.ndarray) -> np.ndarray:
    """:func:`normalize` of a page :func:`binkit.io.as_gray` has checked."""
    return _stretch(gray, *_stretch_levels(gray))


def check_input_levels(levels) -> str:
    """``levels`` if it names one of :data:`INPUT_LEVELS`, else a :class:`binkit.InputError`."""
    if not isinstance(levels, str) or levels not in INPUT_LEVELS:
        raise InputError(f"input_levels={levels!r}: expected one of {', '.join(INPUT_LEVELS)}")
    return levels


def input_levels(gray: np.ndarray, levels: str = "minmax") -> tuple[float, float]:
    """The grey levels (on the 0..255 scale) that the network's input maps to 0 and 255.

    Parameters
    ----------
    gray : (H, W) ndarray of float
        A page as :func:`binkit.io.as_gray` returns it (0 = black, 1 = white).
    levels : {"minmax", "percentile"}
        See :data:`INPUT_LEVELS`.  A page whose 1st percentile lies within one
        8-bit grey level of its median (no dark pixels to speak of) falls back
        to ``"minmax"``.

    Returns
    -------
    lo, hi : float
        ``lo`` maps to 0 and ``hi`` to 255; values beyond them are clipped.
    """
    if check_input_levels(levels) == "percentile":
        step = max(1, int(np.ceil(np.sqrt(gray.size / _LEVEL_SAMPLE))))
        dark, paper = np.percentile(gray[::step, ::step], [_DARK_QUANTILE, _PAPER_QUANTILE]) * 255.0
        if paper - dark >= 1.0:        # at least one grey level apart on the 8-bit scale
            span = (paper - dark) / (_PAPER_AT - _DARK_AT)
            lo = dark - _DARK_AT * span
            return float(lo), float(lo + span)
    return _stretch_levels(gray)


def _stretch_levels(gray: np.ndarray) -> tuple[float, float]:
    """``min`` and ``max`` of ``gray * 255`` (float32), without a page-sized product.

    Multiplying by 255 with rounding to nearest never reverses an order, so the
    extremes of the product are the products of the extremes.
    """
    return (float(np.float32(gray.min()) * np.float32(255)),
            float(np.float32(gray.max()) * np.float32(255)))


def _stretch(gray: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """:func:`normalize` of any part of a page whose ``gray * 255`` spans ``lo .. hi``."""
    if hi - lo < 1e-6:
        return np.full(gray.shape, 255.0, np.float32)
    # float64 for the division so that floor() sees the same values as the
    # reference's Python arithmetic at the integer boundaries; in place, in the
    # order of ``floor((v - lo) / (hi - lo) * 255)``, so one float64 buffer is live.
    v = (gray * np.float32(255)).astype(np.float64)
    v -= lo
    v /= hi - lo
    v *= 255.0
    np.clip(v, 0.0, 255.0, out=v)     # a no-op for the page's own extremes; "percentile" levels need it
    np.floor(v, out=v)
    return v.astype(np.float32)


def context_image(padded: np.ndarray, scale: int, block: int = BLOCK) -> np.ndarray:
    """The zoomed-out page that x3 is cut from.

    Parameters
    ----------
    padded : (H', W') ndarray
        Normalised page (0..255), padded to a multiple of ``block``.
    scale : int
        Scale factor sf.

    Returns
    -------
    (H' / sf + block - block / sf, W' / sf + block - block / sf) ndarray of float32
        The page in a black border of ``block / 2 * (sf - 1)`` pixels, shrunk by
        ``sf`` with PIL's Lanczos filter on 8-bit values (as the reference's
        ``resize(..., ANTIALIAS)``), so the result holds integers 0..255.
    """
    if scale == 1:
        return padded.astype(np.float32, copy=False)
    border = block // 2 * (scale - 1)
    h, w = padded.shape
    canvas = np.zeros((h + 2 * border, w + 2 * border), np.uint8)
    canvas[border : border + h, border : border + w] = np.clip(padded, 0, 255).astype(np.uint8)
    small = Image.fromarray(canvas).resize(
        (canvas.shape[1] // scale, canvas.shape[0] // scale), Image.Resampling.LANCZOS
    )
    return np.asarray(small, dtype=np.float32)


def footprints(padded: np.ndarray, footprint: int, block: int = BLOCK) -> np.ndarray:
    """Cut a padded page into blocks, each block into a row-major footprint sequence.

    Parameters
    ----------
    padded : (rows * block, cols * block) ndarray
    footprint : int
        f.

    Returns
    -------
    (rows * cols, (block / f) ** 2, f * f) ndarray
        Block ``i`` is grid cell ``(i // cols, i % cols)``; step ``t`` is
        footprint ``(t // K, t % K)`` with ``K = block / f``; each footprint is
        flattened row-major.
    """
    f, k = footprint, block // footprint
    rows, cols = padded.shape[0] // block, padded.shape[1] // block
    # axes: block row, footprint row, pixel row, block col, footprint col, pixel col
    a = padded.reshape(rows, k, f, cols, k, f).transpose(0, 3, 1, 4, 2, 5)
    return a.reshape(rows * cols, k * k, f * f)


def _context_windows(ctx: np.ndarray, rows: int, cols: int, scale: int, block: int) -> np.ndarray:
    """The 64x64 window of the context image for every block: (rows * cols, block, block)."""
    step = block // scale
    windows = np.lib.stride_tricks.sliding_window_view(ctx, (block, block))[::step, ::step]
    return windows[:rows, :cols].reshape(rows * cols, block, block)


def _set_inputs(band: np.ndarray, above: np.ndarray, ctx: np.ndarray, footprint: int, scale: int,
                block: int) -> np.ndarray:
    """(blocks, steps, 3 f^2) inputs [x1, x2, x3] of the blocks of ``band``, row-major.

    ``band`` is a whole number of blocks of the (padded) page, ``above`` the
    same pixels f rows higher (zeros above the page), ``ctx`` the context rows
    and columns of those blocks' windows.
    """
    f, k = footprint, block // footprint
    rows, cols = band.shape[0] // block, band.shape[1] // block
    n = rows * cols
    win = _context_windows(ctx, rows, cols, scale, block)
    x3 = win.reshape(n, k, f, k, f).transpose(0, 1, 3, 2, 4).reshape(n, k * k, f * f)
    x = np.concatenate([footprints(band, f, block), footprints(above, f, block), x3], axis=-1)
    return x.astype(np.float32, copy=False)


class _PreparedPage:
    """A page ready to be cut into sequences, tile by tile.

    Nothing page-sized is made here: each tile of blocks normalises, pads and
    shrinks only the pixels its inputs read, so a tile's sequences cost memory
    in proportion to the tile, whatever the page.  The values are those of the
    whole-page construction (:func:`normalize`, :func:`context_image`) to the
    last bit: the normalisation is per pixel once the page's extremes are
    known, the padding and the context's border are zeros, and the Lanczos
    filter of the context reads a few pixels around each output pixel (see
    :meth:`context`).
    """

    def __init__(self, gray: np.ndarray, footprint: int, scale: int, block: int, levels: str = "minmax"):
        check_geometry(footprint, scale, block)
        self.gray = gray
        self.levels = input_levels(gray, levels)
        self.shape = tuple(gray.shape)
        self.footprint, self.scale, self.block = footprint, scale, block
        self.grid = block_grid(self.shape, block)

    def normalized(self, y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
        """Rows y0..y1-1, columns x0..x1-1 of the normalised page, zeros outside it (the padding, the page's edge)."""
        out = np.zeros((y1 - y0, x1 - x0), np.float32)
        h, w = self.shape
        a0, a1, b0, b1 = max(y0, 0), min(y1, h), max(x0, 0), min(x1, w)
        if a0 < a1 and b0 < b1:
            out[a0 - y0 : a1 - y0, b0 - x0 : b1 - x0] = _stretch(self.gray[a0:a1, b0:b1], *self.levels)
        return out

    def context(self, j0: int, j1: int, i0: int, i1: int) -> np.ndarray:
        """Rows j0..j1-1, columns i0..i1-1 of :func:`context_image` of the padded page."""
        s, block = self.scale, self.block
        if s == 1:
            return self.normalized(j0, j1, i0, i1)
        border = block // 2 * (s - 1)
        rows, cols = self.grid
        height, width = rows * block + 2 * border, cols * block + 2 * border  # the black canvas
        # Pillow shrinks by s with a Lanczos kernel of 3 s input pixels each side of an output
        # pixel's centre, clipped to the image.  Cut from the canvas with a margin wider than the
        # kernel (or up to the canvas's own edge) and shrunk through ``box``, the part gives the
        # same weights, in the same fixed point, as the whole canvas: every offset is a whole
        # number of pixels and s a power of two, so no rounding differs.
        margin = 4 * s
        y0, y1 = max(0, j0 * s - margin), min(height, j1 * s + margin)
        x0, x1 = max(0, i0 * s - margin), min(width, i1 * s + margin)
        part = self.normalized(y0 - border, y1 - border, x0 - border, x1 - border)
        canvas = Image.fromarray(np.clip(part, 0, 255).astype(np.uint8))
        del part
        box = (i0 * s - x0, j0 * s - y0, i1 * s - x0, j1 * s - y0)
        small = canvas.resize((i1 - i0, j1 - j0), Image.Resampling.LANCZOS, box=box)
        return np.asarray(small, dtype=np.float32)

    def sets(self, r0: int = 0, r1: int | None = None, c0: int = 0, c1: int | None = None):
        """Top-left and bottom-left sequence sets of block rows r0..r1-1, block columns c0..c1-1."""
        rows, cols = self.grid
        r1 = rows if r1 is None else r1
        c1 = cols if c1 is None else c1
        f, s, block = self.footprint, self.scale, self.block
        step, height = block // s, (r1 - r0) * block
        # the tile with f rows more above (x2 of its top row) and below (x2 of the flipped set)
        pad = self.normalized(r0 * block - f, r1 * block + f, c0 * block, c1 * block)
        ctx = self.context(r0 * step, (r1 - 1) * step + block, c0 * step, (c1 - 1) * step + block)
        args = (f, s, block)
        band = pad[f : f + height]
        top_left = _set_inputs(band, pad[:height], ctx, *args)
        # The bottom-left set is cut from the flipped page, where the footprint above is the
        # page's footprint below and block row r is row rows-1-r: read the tile upside down,
        # then restore the page's row order.
        flipped = _set_inputs(band[::-1], pad[2 * f : 2 * f + height][::-1], ctx[::-1], *args)
        bottom_left = flipped.reshape(r1 - r0, c1 - c0, *flipped.shape[1:])[::-1].reshape(flipped.shape)
        return np.ascontiguousarray(top_left), np.ascontiguousarray(bottom_left)


@dataclass(frozen=True)
class GridSequences:
    """The two sequence sets of one page.

    Attributes
    ----------
    top_left : (blocks, steps, 3 f^2) ndarray of float32
        Row-major footprints of each block, inputs ``[x1, x2, x3]`` per step.
    bottom_left : (blocks, steps, 3 f^2) ndarray of float32
        The same for the vertically flipped page, re-ordered so that block
        ``i`` is the same 64x64 block of the page in both sets.
    shape : (H, W)
        Size of the page before padding.
    grid : (rows, cols)
        Block grid of the padded page.
    footprint, scale, block : int
    """

    top_left: np.ndarray
    bottom_left: np.ndarray
    shape: tuple[int, int]
    grid: tuple[int, int]
    footprint: int
    scale: int
    block: int = BLOCK

    @property
    def n_blocks(self) -> int:
        return self.grid[0] * self.grid[1]


def make_sequences(image, footprint: int = 4, scale: int = 2, block: int = BLOCK,
                   levels: str = "minmax") -> GridSequences:
    """Build the Grid LSTM input sequences of a whole page.

    Parameters
    ----------
    image : (H, W) array_like
        Grey page (anything :func:`binkit.io.as_gray` accepts).
    footprint : int
        Footprint size f (2, 4 or 8 in the paper); must divide ``block``.
    scale : int
        Scale factor sf (1, 2 or 4); must divide ``block``.
    block : int
        Block side (64).
    levels : {"minmax", "percentile"}
        How the page's grey levels are stretched to 0..255 (:data:`INPUT_LEVELS`).

    Returns
    -------
    GridSequences
        ``top_left`` and ``bottom_left`` of shape ``(blocks, (block/f)^2, 3 f^2)``.

    Notes
    -----
    The page is normalised with :func:`normalize` (``levels="minmax"``), padded with zeros at the
    bottom and right to a multiple of ``block``, and cut as described in the
    module docstring.  Memory: two float32 arrays of ``3 * H' * W'`` values,
    i.e. 24 bytes per padded pixel; :func:`binkit.gridlstm.binarize` therefore
    builds sequences one tile of blocks at a time (:func:`sequence_tiles_of_gray`).
    """
    page = _PreparedPage(as_gray(image), footprint, scale, block, levels)
    top_left, bottom_left = page.sets()
    return GridSequences(top_left, bottom_left, page.shape, page.grid, footprint, scale, block)


def iter_sequence_bands(image, footprint: int = 4, scale: int = 2, block: int = BLOCK, max_blocks: int = 256,
                        levels: str = "minmax"):
    """Yield the sequences of a page band by band, so memory stays bounded on huge pages.

    Parameters
    ----------
    image : (H, W) array_like
    footprint, scale, block, levels
        As in :func:`make_sequences`.
    max_blocks : int
        Upper bound on the blocks in one band (at least one block row is used).

    Yields
    ------
    r0, r1 : int
        Block rows ``r0 .. r1-1`` of the page.
    top_left, bottom_left : (blocks, steps, 3 f^2) ndarray of float32
        Exactly the rows ``r0 * cols .. r1 * cols`` of :func:`make_sequences`' arrays.
    """
    yield from sequence_bands_of_gray(as_gray(image), footprint, scale, block, max_blocks, levels)


def sequence_bands_of_gray(gray: np.ndarray, footprint: int = 4, scale: int = 2, block: int = BLOCK,
                           max_blocks: int = 256, levels: str = "minmax"):
    """:func:`iter_sequence_bands` of a page :func:`binkit.io.as_gray` has already checked (no second pass)."""
    page = _PreparedPage(gray, footprint, scale, block, levels)
    for r0, r1 in _bands(page.grid, max_blocks):
        yield (r0, r1, *page.sets(r0, r1))


def sequence_tiles_of_gray(gray: np.ndarray, footprint: int = 4, scale: int = 2, block: int = BLOCK,
                           max_blocks: int = 256, levels: str = "minmax"):
    """The sequences of a page in tiles of at most ``max_blocks`` blocks (at least one block).

    The tiles are :func:`iter_sequence_bands`' bands, and a band of one block
    row wider than ``max_blocks`` is cut into pieces of ``max_blocks`` blocks:
    the batches the model runs, whose memory is then bounded by ``max_blocks``
    whatever the page's shape.

    Yields
    ------
    r0, r1, c0, c1 : int
        Block rows ``r0 .. r1-1`` and block columns ``c0 .. c1-1`` of the page.
    top_left, bottom_left : (blocks, steps, 3 f^2) ndarray of float32
        Those blocks (row-major) of :func:`make_sequences`' arrays.
    """
    page = _PreparedPage(gray, footprint, scale, block, levels)
    cols = page.grid[1]
    for r0, r1 in _bands(page.grid, max_blocks):
        # a band holds several block rows only while it fits max_blocks; otherwise it is one row
        step = cols if (r1 - r0) * cols <= max_blocks else max_blocks
        for c0 in range(0, cols, step):
            c1 = min(cols, c0 + step)
            yield (r0, r1, c0, c1, *page.sets(r0, r1, c0, c1))


def _bands(grid: tuple[int, int], max_blocks: int):
    """Block rows ``(r0, r1)`` of bands of at most ``max_blocks`` blocks (at least one block row)."""
    rows, cols = grid
    # bands of equal height: a last band of a few rows would run at a small, inefficient batch
    n_bands = -(-rows // max(1, max_blocks // cols))
    band = -(-rows // n_bands)
    for r0 in range(0, rows, band):
        yield r0, min(rows, r0 + band)


def footprint_inputs(image, row: int, col: int, footprint: int = 4, scale: int = 2, block: int = BLOCK):
    """x1, x2, x3 of the footprint whose top-left pixel is at (row, col) — for pictures.

    Parameters
    ----------
    image : (H, W) array_like
    row, col : int
        Any pixel of the page; the footprint that contains it is used.
    footprint, scale, block : int

    Returns
    -------
    dict
        ``x1``, ``x2``, ``x3``: (f, f) float32 arrays (values 0..255);
        ``x1_box``, ``x2_box``: (top, left, size) of those footprints on the
        page; ``x3_box``: (top, left, size) of the page region that x3
        summarises, in page coordinates (may reach outside the page);
        ``block``: (top, left) of the 64x64 block.
    """
    seq = make_sequences(image, footprint, scale, block)
    h, w = seq.shape
    if not (0 <= row < h and 0 <= col < w):
        raise InputError(f"pixel ({row}, {col}) lies outside the {h}x{w} page")
    f, k = footprint, block // footprint
    br, bc = row // block, col // block
    fr, fc = (row % block) // f, (col % block) // f
    x = seq.top_left[br * seq.grid[1] + bc, fr * k + fc]
    top, left = br * block + fr * f, bc * block + fc * f
    # x3 covers an (sf f)^2 region whose centre is the block centre plus sf
    # times the offset of x1's centre from the block centre.
    centre_r = br * block + block / 2 + scale * (fr * f + f / 2 - block / 2)
    centre_c = bc * block + block / 2 + scale * (fc * f + f / 2 - block / 2)
    size3 = scale * f
    return {
        "x1": x[: f * f].reshape(f, f),
        "x2": x[f * f : 2 * f * f].reshape(f, f),
        "x3": x[2 * f * f :].reshape(f, f),
        "x1_box": (top, left, f),
        "x2_box": (top - f, left, f),
        "x3_box": (int(centre_r - size3 / 2), int(centre_c - size3 / 2), size3),
        "block": (br * block, bc * block),
    }
