"""Faint-ink pages: colour scans whose ink is barely darker than the paper, with exact ground truth.

Archive scans that binkit's models never trained on often fail the other way
from the hard pages' borders: the models *drop* ink.  A letter in faint brown
ink on beige paper, a pale printed page, a thin pen, ink fading along a
stroke: the strokes differ from the paper by little more than the paper's own
texture.  A faint page is a page of pseudo-text (the same text renderer as
:func:`binkit.datasets.synthetic_page`) laid in colour on tinted paper, in
one of :data:`FAINT_KINDS`:

``letter``
    Brown or iron-gall ink (warm dark hues) on beige or yellowed paper, the
    ink's luminance 0.08 to 0.18 below the paper's (of the 0..1 range): about
    the contrast of the letters that motivated these pages.
``pale_print``
    Grey-black print faded to a pale grey on yellowed paper, 0.10 to 0.22
    below the paper.
``thin_pen``
    A thin pen: small letters (8 to 12 px) whose strokes are one or two pixels
    wide, in brown ink 0.12 to 0.25 below the paper.
``fading``
    Ink whose strength changes along the line, from nearly full to a
    trace (0.05 below the paper at its faintest).

Every page also gets paper texture (the fibres and grain of
:func:`~binkit.datasets.synthetic.synthetic_page`, in every channel), uneven
light and sensor noise.  The ground truth is exact: ``gt = coverage >= 0.5``,
whatever the ink's strength, so a method that misses a faint stroke makes a
false negative.  :data:`FAINT_VERSION` is written to every page's parameters
and to the manifest of :func:`write_faint_set`; same seed, same page bit for
bit.

Examples
--------
>>> from binkit.datasets.faint import faint_page
>>> page = faint_page(1, kind="letter", size=(128, 192))
>>> page.image.shape, page.gt.shape
((128, 192, 3), (128, 192))
>>> 0.05 < page.params["luminance_contrast"] < 0.2
True
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
from scipy import ndimage

from .._checks import check_int
from .._errors import InputError
from ..io import LUMA_WEIGHTS, atomic_write, ensure_folder, write_text
from .synthetic import GENERATOR_VERSION, _check_size, _field, _illumination_map, _paper_texture, _render_text

__all__ = ["FAINT_VERSION", "FAINT_KINDS", "FAINT_SET_SIZE", "FAINT_SET_PAGE_SIZE", "FaintPage", "faint_page",
           "write_faint_set"]

#: Version of the faint-page generator (bumped whenever a seed's page changes).
FAINT_VERSION = "1.0"

#: The kinds of faint page, in the order the committed set cycles through them.
FAINT_KINDS: tuple[str, ...] = ("letter", "pale_print", "thin_pen", "fading")

#: Pages in the committed set ``data/synthetic_faint`` (seeds 0 .. 15: four of each kind).
FAINT_SET_SIZE = 16

#: Page shape ``(H, W)`` of the committed set: that of the committed hard pages.
FAINT_SET_PAGE_SIZE = (384, 576)

# Per kind: paper RGB (before tone variation), ink RGB, range of the ink's luminance
# contrast below the paper, font size range.
_KINDS: Mapping[str, dict] = {
    "letter": {"paper": (0.93, 0.86, 0.72), "ink": (0.42, 0.28, 0.16), "contrast": (0.08, 0.18),
               "font": (16, 28)},
    "pale_print": {"paper": (0.92, 0.89, 0.76), "ink": (0.20, 0.20, 0.22), "contrast": (0.10, 0.22),
                   "font": (14, 24)},
    "thin_pen": {"paper": (0.94, 0.90, 0.80), "ink": (0.35, 0.22, 0.14), "contrast": (0.12, 0.25),
                 "font": (8, 12)},
    "fading": {"paper": (0.91, 0.85, 0.73), "ink": (0.30, 0.20, 0.15), "contrast": (0.05, 0.30),
               "font": (14, 26)},
}
_STREAMS = ("text", "paper", "ink", "texture", "fade", "light", "noise")


@dataclass
class FaintPage:
    """A faint-ink page: ``image`` float32 (H, W, 3) in [0, 1] (RGB), ``gt`` bool (H, W), True = ink."""

    image: np.ndarray
    gt: np.ndarray
    coverage: np.ndarray
    seed: int
    kind: str
    params: dict


def _luma(rgb) -> np.ndarray:
    return np.asarray(rgb, dtype=np.float32) @ np.asarray(LUMA_WEIGHTS, dtype=np.float32)


def faint_page(seed: int, *, kind: str | None = None, size: tuple[int, int] = (512, 768)) -> FaintPage:
    """A colour page whose ink is barely darker than its paper, and its exact ground truth.

    Parameters
    ----------
    seed : int
        Non-negative seed; the page is a deterministic function of the seed,
        the kind and the size.
    kind : str, optional
        One of :data:`FAINT_KINDS`; None takes ``FAINT_KINDS[seed % 4]``.
    size : (int, int)
        Page shape ``(H, W)``, each in [64, 4096].

    Returns
    -------
    FaintPage
        ``params`` records the paper and ink colours, the luminance contrast
        drawn (paper minus full ink, on the 0..1 scale) and the texture's
        standard deviation in luminance.
    """
    seed = check_int("seed", seed, minimum=0)
    kind = FAINT_KINDS[seed % len(FAINT_KINDS)] if kind is None else kind
    if kind not in _KINDS:
        raise InputError(f"kind={kind!r}: expected one of {', '.join(FAINT_KINDS)}")
    size = _check_size(size)
    spec = _KINDS[kind]
    rngs = {name: np.random.default_rng(ss) for name, ss in zip(_STREAMS, np.random.SeedSequence(seed).spawn(
        len(_STREAMS)))}
    low, high = spec["font"]
    high = max(low, min(high, max(8, min(size) // 4)))
    cov, layout = _render_text(rngs["text"], size, (min(low, high), high), wobble=0.3)
    gt = cov >= 0.5

    paper = np.asarray(spec["paper"], dtype=np.float32) * np.float32(rngs["paper"].uniform(0.94, 1.02))
    paper = np.clip(paper + rngs["paper"].normal(0.0, 0.015, 3).astype(np.float32), 0.0, 1.0)
    hue = np.asarray(spec["ink"], dtype=np.float32) + rngs["ink"].normal(0.0, 0.03, 3).astype(np.float32)
    # The ink is mixed with the paper so that full ink lies `contrast` below the paper in luminance.
    contrast = float(rngs["ink"].uniform(*spec["contrast"]))
    mix = contrast / max(float(_luma(paper) - _luma(np.clip(hue, 0, 1))), 1e-3)
    ink = paper + min(mix, 1.0) * (np.clip(hue, 0.0, 1.0) - paper)

    h, w = size
    strength = np.ones(size, dtype=np.float32)
    if kind == "fading":  # along each line: from nearly full to a trace, and back, at a random pace
        along = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :] * float(rngs["fade"].uniform(1.0, 2.5))
        phase = float(rngs["fade"].uniform(0, 2 * np.pi))
        strength = 0.18 + 0.82 * (0.5 + 0.5 * np.cos(2 * np.pi * along + phase + 0.6 * _field(rngs["fade"],
                                                                                               size, 80.0)))
    else:  # a little unevenness of the pen or the press
        strength = np.clip(1.0 - 0.15 * np.abs(_field(rngs["fade"], size, 40.0)), 0.5, 1.0)
    alpha = (cov * strength)[..., None]
    texture = _paper_texture(rngs["texture"], size, 1.0)[..., None]
    image = (paper * (1.0 - alpha) + ink * alpha) * texture
    image = image * _illumination_map(rngs["light"], size, float(rngs["light"].uniform(0.2, 0.6)))[..., None]
    image = ndimage.gaussian_filter(image, sigma=(0.5, 0.5, 0))
    noise = float(rngs["noise"].uniform(0.008, 0.02))
    image = np.clip(image + noise * rngs["noise"].standard_normal(image.shape).astype(np.float32), 0.0, 1.0)

    paper_luma = _luma(image)[~ndimage.binary_dilation(cov > 0.05, iterations=2)]
    params = {
        "generator_version": GENERATOR_VERSION,
        "faint_version": FAINT_VERSION,
        "kind": kind,
        "size": [h, w],
        **layout,
        "paper_rgb": [round(float(v), 4) for v in paper],
        "ink_rgb": [round(float(v), 4) for v in ink],
        "luminance_contrast": round(contrast, 4),
        "paper_luminance_std": round(float(paper_luma.std()), 4),
        "noise_sigma": round(noise, 4),
    }
    return FaintPage(image=np.ascontiguousarray(image, dtype=np.float32), gt=gt, coverage=cov, seed=seed,
                     kind=kind, params=params)


def write_faint_set(dest: str | os.PathLike, seeds: Iterable[int] = range(FAINT_SET_SIZE), *,
                    size: tuple[int, int] = FAINT_SET_PAGE_SIZE) -> dict:
    """Write faint pages as PNG files plus a manifest (``binkit synthetic --faint``).

    Files written::

        <dest>/images/faint_XX.png   8-bit RGB scan, XX = seed (2 digits)
        <dest>/gt/faint_XX.png       8-bit L ground truth, 0 = ink, 255 = page
        <dest>/manifest.json         versions, seeds, each page's kind and parameters

    Returns
    -------
    dict
        The manifest; :func:`binkit.datasets.load_synthetic` reads the set
        like any synthetic set, and the manifest's ``kind`` groups its pages.
    """
    from PIL import Image

    seeds = [check_int("seed", s, minimum=0) for s in seeds]
    if not seeds or len(set(seeds)) != len(seeds):
        raise InputError(f"seeds must be distinct and not empty, got {seeds}")
    dest = Path(dest)
    for sub in ("images", "gt"):
        ensure_folder(dest / sub, "faint set folder")
    pages = []
    for s in seeds:
        page = faint_page(s, size=size)
        name = f"faint_{s:02d}"
        rgb8 = np.clip(np.rint(page.image * 255.0), 0, 255).astype(np.uint8)
        gt8 = np.where(page.gt, 0, 255).astype(np.uint8)
        atomic_write(dest / "images" / f"{name}.png", lambda fh: Image.fromarray(rgb8, "RGB").save(fh, "PNG"))
        atomic_write(dest / "gt" / f"{name}.png", lambda fh: Image.fromarray(gt8, "L").save(fh, "PNG", optimize=True))
        pages.append({"name": name, "image": f"images/{name}.png", "gt": f"gt/{name}.png", "seed": s,
                      "kind": page.kind, "ink_fraction": round(float(page.gt.mean()), 6), "params": page.params})
    manifest = {
        "generator": "binkit.datasets.faint",
        "generator_version": GENERATOR_VERSION,
        "faint_version": FAINT_VERSION,
        "regenerate": "python -m binkit synthetic --faint --dest <dest>",
        "gt_convention": "8-bit L PNG, 0 = ink, 255 = page; gt = coverage of the text >= 0.5, however faint the ink",
        "kinds": list(FAINT_KINDS),
        "options": {"size": [int(size[0]), int(size[1])]},
        "seeds": seeds,
        "pages": pages,
    }
    write_text(dest / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    return manifest
