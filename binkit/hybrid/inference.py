"""Whole-page hybrid binarization: prepare a page, adjust its surface, decide every pixel.  RECONSTRUCTED.

Whole pages (:func:`page_heights`, :func:`binarize`), ``adapt="page"``:

* ``layout="histogram"`` (binkit's adjuster): the network sees the whole
  page's (b, t) histogram and gives the page one ``dZ``;
* ``layout="paper"``: the page is cut into 512 x 512 tiles, ``dZ`` is
  averaged over the tiles weighted by each tile's soft text count under
  ``C0`` (tiles of blank paper say little about the text);

and the one surface ``C0 + dZ`` decides every pixel.  ``adapt="tile"``
(:func:`tile_probability`) gives every tile its own surface instead,
blended between tile centres.

A page without contrast (grey levels spanning at most one 8-bit level,
:data:`binkit.classical.MIN_CONTRAST`) has no ink: :func:`hybrid_probability`
is 0 on it and :func:`binarize` returns no ink, without running the CNN.
(Its degenerate global levels give ``kappa = 1``, which puts every pixel on
the surface's 0.5 cliff; the hybrid's rule ``S >= 0.5`` then made a blank
page all ink.)  Windows larger than the page are clamped as in
:mod:`binkit.hybrid.logistic`.
"""

from __future__ import annotations

import numpy as np
import torch

from .._checks import check_int
from .._errors import InputError
from .._threshold import no_contrast as _no_contrast
from ..io import as_gray
from .histogram import density_input, node_histogram
from .model import SurfaceAdjuster, adjuster_input, histogram_input, inference_copy
from .samples import HybridPage, crop, prepare_page, tiles
from .spline import greville_abscissae

__all__ = ["ADAPT", "HybridPage", "prepare_page", "page_heights", "tile_probability", "lut_lookup",
           "hybrid_probability", "binarize"]


def _adjust(model: SurfaceAdjuster, inputs: list, c0: np.ndarray, device) -> np.ndarray:
    """``dZ`` (k, n, n) float64 for k inputs of the model's layout (grey patches or node histograms)."""
    c0_t = torch.as_tensor(np.broadcast_to(c0, (len(inputs), *c0.shape)).copy(), device=device)
    if model.config.layout == "paper":
        greville = torch.as_tensor(greville_abscissae(model.config.n), dtype=torch.float32, device=device)
        x = adjuster_input(torch.as_tensor(np.stack(inputs), device=device), c0_t, greville)
        x = x.contiguous(memory_format=torch.channels_last)
    else:
        density = density_input(np.stack(inputs), model.config.bins)
        x = histogram_input(torch.as_tensor(density, device=device), c0_t)
    return model(x).double().cpu().numpy()


@torch.no_grad()
def _tile_adjustments(page: HybridPage, model: SurfaceAdjuster, device, max_tiles, tile_batch):
    """(corners, text weights, {tile index: dZ}) of the page's 512 x 512 tiles (the CNN's pass)."""
    from ..runtime import pick_device
    from .spline import surface_lut

    device = pick_device(device)
    model = inference_copy(model).to(device)  # BatchNorm folded, channels-last: same dZ, faster (no-op if done)
    size = model.config.patch
    lut0 = surface_lut(page.c0)
    corners = tiles(page.image.shape, size)
    weights = []
    for r, c in corners:
        ib = np.clip(np.rint(page.b[r: r + size, c: c + size] * 255), 0, 255).astype(np.intp)
        it = np.clip(np.rint(page.t[r: r + size, c: c + size] * 255), 0, 255).astype(np.intp)
        weights.append(float(lut0[ib, it].sum()) + 1.0)
    order = np.argsort(weights)[::-1]
    if max_tiles is not None:
        order = order[: check_int("max_tiles", max_tiles, minimum=1)]
    dz = {}
    for k in range(0, len(order), tile_batch):
        chunk = order[k: k + tile_batch]
        if model.config.layout == "paper":
            inputs = [crop(page, *corners[i], size, False)[0] for i in chunk]
        else:
            inputs = [node_histogram(page.index[r: r + size, c: c + size]) for r, c in (corners[i] for i in chunk)]
        for j, d in zip(chunk, _adjust(model, inputs, page.c0, device)):
            dz[int(j)] = d
    return corners, weights, dz


def _mean_heights(page: HybridPage, weights, dz) -> np.ndarray:
    """``C0`` plus the text-weighted mean of the tiles' ``dZ``."""
    total = sum(weights[i] for i in dz)
    return (page.c0 + sum(weights[i] * d for i, d in dz.items()) / total).astype(np.float32)


def page_heights(page: HybridPage, model: SurfaceAdjuster | None, device=None, *, max_tiles: int | None = None,
                 tile_batch: int = 8) -> np.ndarray:
    """The page's control-point heights ``C0 + dZ``: one adjusted surface for the whole page.

    ``layout="histogram"``: ``dZ`` from the whole page's (b, t) histogram.
    ``layout="paper"``: ``dZ`` averaged over the page's 512 x 512 tiles,
    each weighted by its soft text count under ``C0`` (plus one, so an
    all-blank page still averages).  Without a model the result is ``C0``,
    the classical surface.

    Parameters
    ----------
    page : HybridPage
    model : SurfaceAdjuster or None
    device : str or torch.device, optional
    max_tiles : int, optional
        Paper layout: use only the this many tiles with the most text
        (default: all), which bounds the time on large pages at the price
        of an average over fewer tiles.  Ignored by the histogram layout,
        whose one pass costs the same for any page.
    tile_batch : int
        Tiles per forward pass (memory).
    """
    if model is None:
        return page.c0
    if model.config.layout == "histogram":
        from ..runtime import pick_device

        device = pick_device(device)
        with torch.no_grad():
            dz = _adjust(model.to(device).eval(), [page.page_histograms()[0]], page.c0, device)[0]
        return (page.c0 + dz).astype(np.float32)
    _, weights, dz = _tile_adjustments(page, model, device, max_tiles, tile_batch)
    return _mean_heights(page, weights, dz)


def _tent_weights(n: int, centres: list[float]) -> np.ndarray:
    """(len(centres), n) piecewise-linear weights over ``n`` pixels: 1 at a tile's centre, 0 at its neighbours'.

    They sum to 1 at every pixel (flat beyond the first and last centre), so
    neighbouring tiles' surfaces blend with no seam.
    """
    x = np.arange(n, dtype=np.float64)
    eye = np.eye(len(centres))
    return np.stack([np.interp(x, centres, eye[i]) for i in range(len(centres))])


def tile_probability(page: HybridPage, model: SurfaceAdjuster, device=None, *, max_tiles: int | None = None,
                     tile_batch: int = 8) -> np.ndarray:
    """The soft text map with a surface per 512 x 512 tile, blended smoothly between tile centres.

    Each tile gets its own heights ``C0 + dZ_tile`` (as the paper's CNN adjusts
    the surface per patch); every pixel's probability is the bilinear blend of
    the surfaces of the (up to four) tiles around it, with weights 1 at a
    tile's centre falling linearly to 0 at its neighbours' centres.  Tiles left
    out by ``max_tiles`` take the page's mean heights (:func:`page_heights`).

    Returns
    -------
    probability : (H, W) ndarray of float32
    """
    from .. import _threshold
    from .spline import surface_lut

    corners, weights, dz = _tile_adjustments(page, model, device, max_tiles, tile_batch)
    page._index = None  # a cache (4 bytes a pixel) the lookups below do not read
    mean = _mean_heights(page, weights, dz)
    size = model.config.patch
    h, w = page.image.shape
    rows = sorted({r for r, _ in corners})
    cols = sorted({c for _, c in corners})
    wy = _tent_weights(h, [r + size / 2 for r in rows])  # one centre: weight 1 everywhere
    wx = _tent_weights(w, [c + size / 2 for c in cols])
    supports = []
    for r, c in corners:
        i, j = rows.index(r), cols.index(c)
        ys, xs = np.flatnonzero(wy[i]), np.flatnonzero(wx[j])  # the tile's support: to its neighbours' centres
        supports.append((i, j, ys[0], ys[-1] + 1, xs[0], xs[-1] + 1))
    prob = np.empty((h, w), np.float32)
    # Band by band, each pixel summing its tiles in the same order as over the
    # whole page: the float64 sum costs the band, not 8 bytes a pixel of the page.
    step = max(1, _threshold.BAND_PIXELS // 4 // w)
    for r0 in range(0, h, step):
        r1 = min(h, r0 + step)
        band = np.zeros((r1 - r0, w), np.float64)
        for k, (i, j, y0, y1, x0, x1) in enumerate(supports):
            y0, y1 = max(y0, r0), min(y1, r1)
            if y0 >= y1:
                continue
            heights = page.c0 + dz[k] if k in dz else mean
            s = lut_lookup(surface_lut(heights), page.b[y0:y1, x0:x1], page.t[y0:y1, x0:x1])
            band[y0 - r0:y1 - r0, x0:x1] += wy[i, y0:y1, None] * wx[j, None, x0:x1] * s
        prob[r0:r1] = np.clip(band, 0.0, 1.0)
    return prob


#: How :func:`binarize` adapts the surface: one for the whole page (binkit's
#: first method, the default), or one per tile, blended (closer to the paper's CNN).
ADAPT = ("page", "tile")


def lut_lookup(lut: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Bilinear lookup of ``S(b, t)`` in a (G, G) surface table: numpy twin of ``lookup_torch``.

    Training reads the surface through its 256 x 256 table, so whole pages do
    too.  The lookup runs tile by tile (each pixel's value is its own), so
    its coordinates cost a tile and not 8 bytes a pixel of the page.
    """
    from scipy.ndimage import map_coordinates

    from .._threshold import bands as _bands

    g = lut.shape[0] - 1
    table = lut.astype(np.float32)
    b, t = np.asarray(b), np.asarray(t)
    if b.ndim != 2:  # not a page: in one piece
        coords = np.stack([np.clip(b, 0, 1) * g, np.clip(t, 0, 1) * g])
        return map_coordinates(table, coords, order=1, mode="nearest")
    out = np.empty(b.shape, np.float32)
    for (r0, r1, _, _), (c0, c1, _, _) in _bands(b.shape, 1):
        coords = np.stack([np.clip(b[r0:r1, c0:c1], 0, 1) * g, np.clip(t[r0:r1, c0:c1], 0, 1) * g])
        out[r0:r1, c0:c1] = map_coordinates(table, coords, order=1, mode="nearest")
    return out


def hybrid_probability(image, model: SurfaceAdjuster | None = None, device=None,
                       max_tiles: int | None = None, adapt: str = "page") -> np.ndarray:
    """The hybrid soft text map of a page, (H, W) float32 in [0, 1].

    ``adapt="page"``: one surface for the page (:func:`page_heights`);
    ``adapt="tile"``: one per tile, blended (:func:`tile_probability`).
    0 everywhere on a page without contrast (see the module notes).
    """
    from .. import _threshold
    from .histogram import node_index
    from .logistic import _MEDIAN_OF_LEVEL, DEFAULT_TEXT_WINDOW, _LevelMap, _page_statistics
    from .samples import start_heights
    from .spline import surface_lut

    if adapt not in ADAPT:
        raise InputError(f"adapt={adapt!r}: expected one of {', '.join(ADAPT)}")
    gray = as_gray(image, "image", copy=False)  # read, never written
    if _no_contrast(gray):
        return np.zeros(gray.shape, dtype=np.float32)
    # The page as prepare_page makes it, but lean: b held as its 8-bit levels
    # (1 byte a pixel, float32 tile by tile), the page not copied; t (float32)
    # becomes the probability in place, band by band.
    stats = _page_statistics(gray, None, DEFAULT_TEXT_WINDOW)
    b = _LevelMap(stats.median, _MEDIAN_OF_LEVEL)
    c0 = start_heights(stats.levels, model.config.n if model is not None else 16)
    page = HybridPage("image", gray, b, stats.t, c0, None, stats.levels)
    # chunks of the raveled page: whatever its shape, a chunk costs its pixels
    flat_b, flat_t = stats.median.reshape(-1), stats.t.reshape(-1)
    chunks = list(_threshold.chunks(flat_t.size))
    if adapt == "tile" and model is not None:
        if model.config.layout == "histogram":  # the tiles' node index, chunk by chunk (a whole page's passes: 24 B/px)
            page._index = np.empty(gray.shape, np.int32)
            flat_index = page._index.reshape(-1)
            for i0, i1 in chunks:
                flat_index[i0:i1] = node_index(_MEDIAN_OF_LEVEL[flat_b[i0:i1]], flat_t[i0:i1])
        return tile_probability(page, model, device, max_tiles=max_tiles)
    if model is not None and model.config.layout == "histogram":
        # the page's node histogram, chunk by chunk (the node index of a whole page is 4 bytes a pixel)
        counts = np.zeros(256 * 256, dtype=np.intp)
        for i0, i1 in chunks:
            counts += np.bincount(node_index(_MEDIAN_OF_LEVEL[flat_b[i0:i1]], flat_t[i0:i1]), minlength=256 * 256)
        page._page_hists = (counts.reshape(256, 256).astype(np.float64), None)
    heights = page_heights(page, model, device, max_tiles=max_tiles)
    lut = surface_lut(heights)
    probability = stats.t  # each chunk's lookup reads t before the chunk is written
    for i0, i1 in chunks:
        flat_t[i0:i1] = lut_lookup(lut, _MEDIAN_OF_LEVEL[flat_b[i0:i1]], flat_t[i0:i1])
    return probability


def binarize(image, model: SurfaceAdjuster | None = None, device=None, max_tiles: int | None = None,
             adapt: str = "page") -> np.ndarray:
    """Hybrid binarization: ink where the adjusted surface says text (``S >= 0.5``).

    Parameters
    ----------
    image : (H, W) array_like
        Anything :func:`binkit.io.as_gray` accepts.
    model : SurfaceAdjuster, optional
        A trained adjuster (:func:`binkit.hybrid.load_pretrained`, ideally
        through :func:`binkit.hybrid.model.inference_copy` once); None gives
        the classical surface's B-spline approximation.
    device : str or torch.device, optional
    max_tiles : int, optional
        Average ``dZ`` over only the most text-rich tiles (see :func:`page_heights`).
    adapt : {"page", "tile"}, default "page"
        One adjusted surface for the whole page, or one per 512 x 512 tile
        blended smoothly between tile centres (:func:`tile_probability`).

    Returns
    -------
    ink : (H, W) ndarray of bool
        True = ink; none on a page without contrast.
    """
    return hybrid_probability(image, model, device, max_tiles, adapt) >= 0.5
