"""Photometric and scale augmentation of (page, ground truth) pairs for training.

The paper trains on DIBCO pages as they are.  A model meant for scans unlike
those pages (other scanners, lighting, resolutions, compression) sees more if
each training page also comes in randomly altered copies: brighter or darker,
flatter or harsher, another gamma, slightly blurred, noisier, JPEG-compressed,
and drawn at another scale.  :func:`augment_page` makes one such copy; the
ground truth follows the geometric change (scale) and ignores the photometric
ones, which do not move ink.

Every draw comes from the ``numpy.random.Generator`` passed in, so a training
run's copies are fixed by its seed.
"""

from __future__ import annotations

import io as _io
from dataclasses import asdict, dataclass

import numpy as np

from .._checks import check_real
from .._errors import InputError
from ..io import as_gray, as_mask

__all__ = ["Augmentation", "augment_page"]


@dataclass(frozen=True)
class Augmentation:
    """Ranges of the random changes :func:`augment_page` draws from (uniformly).

    Attributes
    ----------
    brightness : float
        Added to every level: ``+-brightness`` (levels in [0, 1]).
    contrast : float
        Levels scaled about the page's mean by a factor in ``1 +- contrast``.
    gamma : float
        Levels raised to a power in ``[1 / (1 + gamma), 1 + gamma]``.
    blur : float
        Gaussian blur with a sigma in ``[0, blur]`` pixels (half the copies unblurred).
    noise : float
        Gaussian noise with a standard deviation in ``[0, noise]``.
    jpeg : (int, int)
        JPEG quality range; half the copies are compressed.
    scale : (float, float)
        Page (and ground truth) resized by a factor in this range.
    """

    brightness: float = 0.1
    contrast: float = 0.3
    gamma: float = 0.4
    blur: float = 1.0
    noise: float = 0.03
    jpeg: tuple = (40, 95)
    scale: tuple = (0.6, 1.2)

    def __post_init__(self):
        for name in ("brightness", "contrast", "gamma", "blur", "noise"):
            check_real(name, getattr(self, name), minimum=0.0)
        if self.contrast >= 1:
            raise InputError(f"contrast={self.contrast}: must be below 1 (a factor 1 - contrast > 0)")
        lo, hi = self.jpeg
        if not (1 <= lo <= hi <= 100):
            raise InputError(f"jpeg={self.jpeg}: expected a quality range within 1..100")
        lo, hi = self.scale
        if not (0 < lo <= hi):
            raise InputError(f"scale={self.scale}: expected 0 < low <= high")

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def _resize(image: np.ndarray, gt: np.ndarray, factor: float) -> tuple[np.ndarray, np.ndarray]:
    """Resize the page (anti-aliased, bilinear) and its GT (a stroke is ink where its coverage is >= 1/2)."""
    from skimage.transform import resize

    h, w = image.shape
    shape = (max(8, round(h * factor)), max(8, round(w * factor)))
    img = resize(image, shape, order=1, anti_aliasing=factor < 1, preserve_range=True).astype(np.float32)
    cover = resize(gt.astype(np.float32), shape, order=1, anti_aliasing=factor < 1, preserve_range=True)
    return img, cover >= 0.5


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    from PIL import Image

    buf = _io.BytesIO()
    Image.fromarray(np.round(image * 255).astype(np.uint8)).save(buf, format="JPEG", quality=int(quality))
    buf.seek(0)
    with Image.open(buf) as img:
        return np.asarray(img.convert("L"), dtype=np.float32) / 255


def augment_page(image, gt, rng: np.random.Generator, aug: Augmentation = Augmentation()):
    """One randomly altered copy of a (page, ground truth) pair.

    Parameters
    ----------
    image : (H, W) array_like
        The page (anything :func:`binkit.io.as_gray` accepts).
    gt : (H, W) bool ndarray
        Its ground truth, True = ink.
    rng : numpy.random.Generator
        Source of every random choice.
    aug : Augmentation
        The ranges.

    Returns
    -------
    image : (H', W') ndarray of float32
        In [0, 1].  ``(H', W')`` is the scaled size.
    gt : (H', W') ndarray of bool

    Examples
    --------
    >>> from binkit.datasets import synthetic_page
    >>> p = synthetic_page(0, size=(96, 128))
    >>> img, gt = augment_page(p.image, p.gt, np.random.default_rng(0))
    >>> img.dtype, gt.dtype, img.shape == gt.shape
    (dtype('float32'), dtype('bool'), True)
    """
    from scipy import ndimage

    img = as_gray(image, "image")
    gt = as_mask(gt, "gt")
    if img.shape != gt.shape:
        raise InputError(f"image {img.shape} and ground truth {gt.shape} differ in size")
    factor = float(rng.uniform(*aug.scale))
    if abs(factor - 1) > 1e-3:
        img, gt = _resize(img, gt, factor)
    mean = float(img.mean())
    img = (img - mean) * float(rng.uniform(1 - aug.contrast, 1 + aug.contrast)) + mean
    img = img + float(rng.uniform(-aug.brightness, aug.brightness))
    g = float(rng.uniform(0, aug.gamma))
    img = np.clip(img, 0, 1) ** (1 + g if rng.random() < 0.5 else 1 / (1 + g))
    if aug.blur > 0 and rng.random() < 0.5:
        img = ndimage.gaussian_filter(img, float(rng.uniform(0, aug.blur)))
    if aug.noise > 0:
        img = img + rng.normal(0, float(rng.uniform(0, aug.noise)), img.shape)
    img = np.clip(img, 0, 1).astype(np.float32)
    if rng.random() < 0.5:
        img = _jpeg(img, int(rng.integers(aug.jpeg[0], aug.jpeg[1] + 1)))
    return np.ascontiguousarray(img, dtype=np.float32), np.ascontiguousarray(gt)
