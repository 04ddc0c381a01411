"""Pages prepared for the hybrid method, and the samples it trains on.  RECONSTRUCTED.

* :func:`prepare_page` computes, once per page, everything the method needs:
  the local median ``b`` and mean ``t``, the global levels, the classical
  surface fitted by the n x n B-spline ``C0``, each pixel's node on the
  (b, t) table, and the page's grey-level histogram.
* :func:`draw_sample` draws one training sample from a prepared page: a
  512 x 512 tile or the whole page (the two things the adjuster is asked
  about at inference, ``adapt="tile"`` and ``adapt="page"``), as node
  histograms of its ink and of all its pixels
  (:mod:`binkit.hybrid.histogram`), optionally under a random change of the
  grey levels (:class:`IntensityAugment`).  No median filter is run again.
* :func:`crop` cuts the paper layout's 512 x 512 patch (reflect-padded past
  the page's edge, masked out of the loss there).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._errors import InputError
from ..io import as_gray, as_mask
from .histogram import intensity_warp, node_histogram, node_index
from .logistic import DEFAULT_TEXT_WINDOW, NOISE_FLOOR, GlobalLevels, _local_statistics, surface_grid
from .spline import fit_surface

__all__ = ["HybridPage", "IntensityAugment", "prepare_page", "crop", "tiles", "draw_sample", "start_heights"]


@dataclass
class HybridPage:
    """One page prepared for the hybrid method (float32 maps of the page's shape)."""

    name: str
    image: np.ndarray
    b: np.ndarray
    t: np.ndarray
    c0: np.ndarray  # (n, n) classical control-point heights
    gt: np.ndarray | None = None
    levels: GlobalLevels | None = None
    _index: np.ndarray | None = field(default=None, repr=False)
    _page_hists: tuple | None = field(default=None, repr=False)
    _gray_hist: np.ndarray | None = field(default=None, repr=False)

    @property
    def index(self) -> np.ndarray:
        """Each pixel's node on the (b, t) table (:func:`binkit.hybrid.histogram.node_index`), computed once."""
        if self._index is None:
            self._index = node_index(self.b, self.t)
        return self._index

    def page_histograms(self) -> tuple[np.ndarray, np.ndarray | None]:
        """(all pixels, ink pixels or None) node histograms of the whole page, computed once."""
        if self._page_hists is None:
            ink = None if self.gt is None else node_histogram(self.index, self.gt)
            self._page_hists = (node_histogram(self.index), ink)
        return self._page_hists

    def gray_histogram(self) -> np.ndarray:
        """Pixels per 8-bit grey level, (256,) float64, computed once."""
        if self._gray_hist is None:
            levels = np.rint(np.clip(self.image, 0, 1) * 255).astype(np.intp)
            self._gray_hist = np.bincount(levels.ravel(), minlength=256).astype(np.float64)
        return self._gray_hist


def prepare_page(name: str, image, gt=None, n: int = 16) -> HybridPage:
    """Local statistics, global levels and the fitted classical surface of one page."""
    return _prepare_page(name, as_gray(image, name), gt, n)


def _prepare_page(name: str, image: np.ndarray, gt, n: int) -> HybridPage:
    """:func:`prepare_page` of a page already checked by :func:`binkit.io.as_gray`."""
    if gt is not None:
        gt = as_mask(gt, f"{name} ground truth")
        if gt.shape != image.shape:
            raise InputError(f"{name}: ground truth {gt.shape} and image {image.shape} differ in size")
    # the page is checked above: statistics without a second as_gray pass
    stats = _local_statistics(image.astype(np.float64), None, DEFAULT_TEXT_WINDOW, False)
    return HybridPage(name, image.astype(np.float32), stats.b.astype(np.float32), stats.t.astype(np.float32),
                      start_heights(stats.levels, n), gt, stats.levels)


def start_heights(levels: GlobalLevels, n: int = 16) -> np.ndarray:
    """``C0``: the classical surface of these global levels, fitted by the n x n B-spline, float32."""
    return fit_surface(surface_grid(levels), n).astype(np.float32)


def crop(page: HybridPage, top: int, left: int, size: int, flip: bool):
    """(image, b, t, gt, mask) crops; reflect-padded past the page's edge, mask False there."""
    h, w = page.image.shape
    ph, pw = max(0, top + size - h), max(0, left + size - w)
    out = []
    gt = page.gt if page.gt is not None else np.zeros(page.image.shape, bool)
    for arr in (page.image, page.b, page.t, gt):
        a = arr[top: top + size, left: left + size]
        if ph or pw:
            a = np.pad(a, ((0, ph), (0, pw)), mode="reflect" if min(a.shape) > 1 else "edge")
        out.append(a[:, ::-1] if flip else a)
    mask = np.zeros((size, size), bool)
    mask[: size - ph, : size - pw] = True
    out.append(mask[:, ::-1] if flip else mask)
    return out


def tiles(shape: tuple[int, int], size: int) -> list[tuple[int, int]]:
    """Top-left corners of tiles covering the page (the last row/column flush with the edge)."""
    def starts(n):
        if n <= size:
            return [0]
        s = list(range(0, n - size + 1, size))
        return s if s[-1] == n - size else s + [n - size]
    return [(r, c) for r in starts(shape[0]) for c in starts(shape[1])]


@dataclass
class IntensityAugment:
    """A random monotone change of the grey levels: ``g(x) = lo + (hi - lo) x^gamma``.

    Brighter or darker ink (``gamma``), a lifted black and a dimmed paper
    (``lo``, ``hi``: less contrast, as on a faded page).  Drawn for a share
    ``p`` of the samples.  The median commutes with ``g`` exactly and the
    3 x 3 mean nearly, so a sample's node histograms are warped
    (:func:`binkit.hybrid.histogram.intensity_warp`) rather than
    recomputed; ``C0`` is refitted from the page's global levels under ``g``
    (:func:`warped_levels`).
    """

    p: float = 0.0
    gamma: tuple = (0.6, 1.7)
    lo: tuple = (0.0, 0.25)
    hi: tuple = (0.75, 1.0)

    def draw(self, rng: np.random.Generator) -> np.ndarray | None:
        """The new value of each 8-bit level, (256,), or None for no change."""
        if self.p <= 0 or rng.random() >= self.p:
            return None
        gamma = float(np.exp(rng.uniform(np.log(self.gamma[0]), np.log(self.gamma[1]))))
        lo, hi = rng.uniform(*self.lo), rng.uniform(*self.hi)
        return lo + (hi - lo) * np.linspace(0.0, 1.0, 256) ** gamma


def warped_levels(page: HybridPage, after: np.ndarray) -> GlobalLevels:
    """The page's global levels after its grey level ``k`` became ``after[k]``.

    The text and paper classes keep their pixels (a monotone change keeps
    Otsu's split in order), their means are taken under the new levels, and
    the noise scales with the slope of the change at the paper's level.
    """
    lv = page.levels
    if lv is None or lv.threshold is None or lv.fallback:
        g = np.interp
        return GlobalLevels(text=float(g(lv.text, np.linspace(0, 1, 256), after)),
                            background=float(g(lv.background, np.linspace(0, 1, 256), after)),
                            noise=lv.noise, threshold=None, fallback=True)
    hist = page.gray_histogram()
    split = int(np.floor(lv.threshold * 255 + 1e-9))
    text_w, paper_w = hist[: split + 1], hist[split + 1:]
    text = float((text_w * after[: split + 1]).sum() / max(text_w.sum(), 1.0))
    background = float((paper_w * after[split + 1:]).sum() / max(paper_w.sum(), 1.0))
    k = int(np.clip(np.rint(lv.background * 255), 1, 254))
    slope = (after[k + 1] - after[k - 1]) / (2 / 255)
    return GlobalLevels(text=text, background=background, noise=max(lv.noise * float(slope), NOISE_FLOOR),
                        threshold=float(after[split]), fallback=False)


def draw_sample(page: HybridPage, rng: np.random.Generator, *, tile: int = 512, page_share: float = 0.25,
                augment: IntensityAugment | None = None, n: int = 16, with_patch: bool = False) -> dict:
    """One training sample: a random tile (or, for a share ``page_share``, the whole page).

    Returns
    -------
    dict
        ``h_all``, ``h_ink`` (256, 256) float32 node histograms; ``c0``
        (n, n) float32 start heights (refitted under an intensity change);
        with ``with_patch`` (the paper layout, tiles only) also ``patch``
        and ``mask`` (tile, tile), the grey crop and where it lies on the page.
    """
    if page.gt is None:
        raise InputError(f"{page.name}: a training page needs its ground truth")
    h, w = page.image.shape
    whole = not with_patch and (rng.random() < page_share or (h <= tile and w <= tile))
    out = {}
    if whole:
        h_all, h_ink = page.page_histograms()
    else:
        top = int(rng.integers(0, max(1, h - tile + 1)))
        left = int(rng.integers(0, max(1, w - tile + 1)))
        window = (slice(top, top + tile), slice(left, left + tile))
        index = page.index[window]
        h_all, h_ink = node_histogram(index), node_histogram(index, page.gt[window])
        if with_patch:
            flip = bool(rng.integers(2))
            patch, _, _, _, mask = crop(page, top, left, tile, flip)
            out["patch"], out["mask"] = patch, mask
    after = augment.draw(rng) if augment is not None else None
    c0 = page.c0
    if after is not None:
        h_all, h_ink = intensity_warp(h_all, after), intensity_warp(h_ink, after)
        c0 = start_heights(warped_levels(page, after), n)
        if "patch" in out:
            out["patch"] = np.interp(out["patch"], np.linspace(0, 1, 256), after).astype(np.float32)
    out.update(h_all=h_all.astype(np.float32), h_ink=h_ink.astype(np.float32), c0=np.asarray(c0, np.float32))
    return out
