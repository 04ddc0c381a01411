"""Hard synthetic pages: a whole scan, not just the page, with exact ground truth.

:func:`binkit.datasets.synthetic.synthetic_page` makes a page of text that
fills the image.  Real scans also show what lies *around* the page, and that
is where trained models and local thresholds fail on scans they have never
seen: a black scanner lid looks like a very wide stroke of ink.  A hard page
is a synthetic page (same text, same degradations) placed in a scan with some
of these features (see :data:`FEATURES`):

``border``
    Scanner borders of random width (2 to 12 % of the image side) on one to
    four sides, one tone per scan: *dark* (a black lid or backdrop, tone 0.02
    to 0.14, darker than the ink) or *grey* (0.30 to 0.55).
``gutter``
    A book gutter shadow on the left or right edge of the page: a band of 4
    to 10 % of the page width darkened towards the binding (depth 0.35 to
    0.75 at the edge).  The text keeps out of it, as it does in a bound book.
``next_page``
    Beyond the page edge on the left or right (the gutter side when there is
    a gutter), a strip of the facing page: another paper tone, a dark seam
    where the pages meet and, on three pages in four, **text fragments** of
    the facing page cut by the edge of the image.
``corner``
    One corner of the page *torn* off (an irregular tear showing the
    backdrop) or *curled* (a dog-ear: the corner folded over onto the page,
    its back showing, with a small shadow; the backdrop shows where the
    corner was).
``patches``
    A *ruler* (tick marks and numbers) or a *colour card* (a row of grey
    patches from black to white) lying in the border on one side.
``resolution``
    The scan is made at a factor of 0.4 to 1.0 of the default size: the image,
    the text, the borders, everything scales (a lower-resolution scan).

Ground truth
------------
The GT is the ink of **this page only**: ``gt = coverage >= 0.5`` where
``coverage`` is the anti-aliased coverage of the page's own text, zero
outside the visible part of the page.  Everything a feature adds is page
(``False``) in the GT, all of it, none of it ink: the borders, the gutter
band, the ruler's ticks and numbers, the colour card's black patches, the
torn or folded corner, and the facing page's strip *including its text
fragments*.  Those fragments are real ink, but of another page: a DIBCO-style
GT labels the text of the page being binarized, and a binarization that keeps
them leaves marks beside the page that a reader (or an OCR engine) has to
remove.  A method that labels any of this area ink makes a false positive.
Text under a folded-over corner is hidden, so it is not ink either.

Every page also has a **region map** (``HardPage.regions``, uint8, codes in
:data:`REGION_CODES`): 0 = the page, 1 = scanner border, 2 = gutter band,
3 = facing-page strip, 4 = torn or folded corner, 5 = ruler or colour card.
``HardPage.border`` (``regions != 0``) is the border/gutter area, on which a
benchmark measures the share labelled ink; the GT has no ink there by
construction.

The capture degradations of :mod:`binkit.datasets.synthetic`
(``illumination``, ``blur``, ``noise``, ``jpeg``) act on the whole scan; the
paper ones (``texture``, ``stains``, ``bleed_through``) and ``faded_ink`` on
the page.  Same seed and settings, same page bit for bit; every random choice
comes from :class:`numpy.random.Generator` streams built from the seed, one per
part of the scan.  :data:`HARD_VERSION` (with the base
:data:`~binkit.datasets.synthetic.GENERATOR_VERSION`) is written to every
page's parameters and to the manifest of :func:`write_hard_set`.

:func:`synthetic_page` and :func:`~binkit.datasets.synthetic.write_synthetic_set`
are not changed by any of this: the committed ``data/synthetic`` set stays the
same, byte for byte.

Examples
--------
>>> from binkit.datasets.hard import hard_page
>>> page = hard_page(3, features=("border", "gutter"))
>>> page.image.shape == page.gt.shape == page.regions.shape
True
>>> bool((page.gt & page.border).any())
False

Run ``binkit synthetic --hard --dest data/synthetic_hard`` to regenerate the
committed set of 36 hard pages (:func:`write_hard_set`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
from scipy import ndimage

from .._checks import check_bool, check_fraction, check_int, check_real
from .._errors import InputError
from ..io import ensure_folder, write_text
from .synthetic import (
    DEGRADATIONS,
    GENERATOR_VERSION,
    PRESETS,
    SyntheticPage,
    _DEFAULT_FONT_SIZE,
    _bleed_map,
    _check_font_size,
    _check_size,
    _faded_strength,
    _field,
    _font_path,
    _illumination_map,
    _jpeg,
    _paper_texture,
    _render_text,
    _save_png,
    _stain_map,
)

__all__ = [
    "HARD_VERSION",
    "FEATURES",
    "REGION_CODES",
    "RESOLUTION_RANGE",
    "BORDER_RANGE",
    "HARD_SET_SIZE",
    "HARD_SET_PAGE_SIZE",
    "HardPage",
    "hard_page",
    "load_regions",
    "write_hard_set",
]

#: Version of the hard-page generator.  Bump it whenever a change alters the
#: hard pages a given seed and settings produce; it is written to each page's
#: ``params`` and to ``manifest.json``.
HARD_VERSION = "1.0"

#: The hard features, in the order they are drawn and listed.
FEATURES: tuple[str, ...] = ("border", "gutter", "next_page", "corner", "patches", "resolution")

#: Codes of :attr:`HardPage.regions`.
REGION_CODES: Mapping[str, int] = {
    "page": 0,
    "border": 1,
    "gutter": 2,
    "next_page": 3,
    "corner": 4,
    "patch": 5,
}

#: Range of the resolution factor drawn when ``"resolution"`` is a feature.
RESOLUTION_RANGE = (0.4, 1.0)

#: Range of a scanner border's width, as a fraction of the image side across it
#: (the width for a left or right border, the height for a top or bottom one).
BORDER_RANGE = (0.02, 0.12)

#: Number of pages in the committed hard set (seeds 0 .. 35).
HARD_SET_SIZE = 36

#: Scan shape ``(H, W)`` at resolution 1 of the committed hard set (:func:`write_hard_set`):
#: three quarters of :func:`synthetic_page`'s default in each direction, to keep the files small.
HARD_SET_PAGE_SIZE = (384, 576)

# Probability of each feature when ``features=None`` (drawn from the seed).
_FEATURE_P = {"border": 0.8, "gutter": 0.5, "next_page": 0.4, "corner": 0.45,
              "patches": 0.4, "resolution": 0.6}
_GUTTER_RANGE = (0.04, 0.10)      # fraction of the page width
_NEXT_PAGE_RANGE = (0.04, 0.10)   # fraction of the image width
_PATCH_BORDER_RANGE = (0.06, 0.12)  # border width that holds a ruler / card
_CORNER_RANGE = (0.08, 0.20)      # leg of the corner, fraction of min(page H, W)
_SIDES = ("top", "bottom", "left", "right")
_STREAMS = ("features", "layout", "text", "vary", "backdrop", "border", "gutter",
            "next_page", "corner", "patches", "resolution") + DEGRADATIONS


@dataclass(frozen=True, eq=False)
class HardPage(SyntheticPage):
    """A hard synthetic scan: a :class:`SyntheticPage` plus its region map.

    Attributes
    ----------
    image, gt, coverage, seed, params
        As in :class:`~binkit.datasets.synthetic.SyntheticPage`, for the whole
        scan; ``coverage`` is this page's ink only (zero in every region).
        ``params`` adds ``hard_version``, ``features``, ``resolution``,
        ``page_box`` and one entry per feature used.
    regions : numpy.ndarray, uint8, shape (H, W)
        0 on the page, else the code (:data:`REGION_CODES`) of the feature
        that covers the pixel.
    """

    regions: np.ndarray | None = None

    @property
    def border(self) -> np.ndarray:
        """The border/gutter area (every region but the page), bool (H, W); never ink in the GT."""
        return self.regions != 0


# ---------------------------------------------------------------------------
# argument checks


def _check_features(features) -> tuple[str, ...]:
    if isinstance(features, str) or not hasattr(features, "__iter__"):
        raise InputError(f"features must be a list of names from {list(FEATURES)}, got {features!r}")
    given = list(features)
    unknown = [f for f in given if not isinstance(f, str) or f not in FEATURES]
    if unknown:
        raise InputError(f"unknown hard features {unknown!r}; choose from {list(FEATURES)}")
    return tuple(f for f in FEATURES if f in given)


def _draw_features(rng: np.random.Generator) -> tuple[str, ...]:
    u = rng.random(len(FEATURES))
    chosen = [f for f, x in zip(FEATURES, u) if x < _FEATURE_P[f]]
    if not set(chosen) - {"resolution"}:  # every hard page has at least one scan feature
        chosen.append(FEATURES[int(rng.integers(0, 5))])
    return tuple(f for f in FEATURES if f in chosen)


# ---------------------------------------------------------------------------
# pieces of the scan


def _ruler(rng, length: int, thick: int) -> np.ndarray:
    """A ruler, long axis horizontal: light plastic, dark ticks and numbers."""
    from PIL import Image, ImageDraw, ImageFont

    base = float(rng.uniform(0.78, 0.95))
    ink = float(rng.uniform(0.04, 0.2))
    im = Image.new("L", (length, thick), int(round(base * 255)))
    draw = ImageDraw.Draw(im)
    fill = int(round(ink * 255))
    step = float(rng.uniform(3.0, 6.0))
    font = ImageFont.truetype(_font_path("DejaVuSans.ttf"), max(6, int(thick * 0.32)))
    x, k = float(rng.uniform(1.0, 4.0)), 0
    while x < length - 1:
        tick = 0.25 if k % 5 else (0.65 if k % 10 == 0 else 0.45)
        xi = int(round(x))
        draw.line([(xi, 0), (xi, max(1, int(tick * thick)))], fill=fill, width=1)
        if k % 10 == 0 and xi + 2 < length:
            draw.text((xi + 2, int(0.6 * thick)), str(k // 10), fill=fill, font=font)
        x += step
        k += 1
    draw.rectangle([0, 0, length - 1, thick - 1], outline=fill)
    return np.asarray(im, dtype=np.float32) / np.float32(255.0)


def _colour_card(rng, length: int, thick: int) -> np.ndarray:
    """A grey card, long axis horizontal: patches from black to white on a card."""
    base = float(rng.choice([rng.uniform(0.05, 0.15), rng.uniform(0.85, 0.95)]))
    out = np.full((thick, length), base, np.float32)
    n = int(rng.integers(6, 13))
    tones = np.linspace(0.04, 0.96, n)
    if rng.random() < 0.5:
        tones = tones[::-1]
    pad = max(1, int(round(0.12 * thick)))
    cell = (length - pad) / n
    for i, t in enumerate(tones):
        a = int(round(pad + i * cell))
        b = int(round(pad + (i + 1) * cell)) - pad
        if b > a:
            out[pad:thick - pad, a:b] = t
    return out


def _in_triangle(u, v, a, b, c) -> np.ndarray:
    """Points (u, v) inside the triangle a, b, c (each an (x, y) pair)."""
    def side(p, q):
        return (u - q[0]) * (p[1] - q[1]) - (p[0] - q[0]) * (v - q[1])
    d1, d2, d3 = side(a, b), side(b, c), side(c, a)
    neg = (d1 < 0) | (d2 < 0) | (d3 < 0)
    pos = (d1 > 0) | (d2 > 0) | (d3 > 0)
    return ~(neg & pos)


# ---------------------------------------------------------------------------
# public API


def hard_page(
    seed: int,
    *,
    features: Iterable[str] | None = None,
    resolution: float | None = None,
    preset: str = "default",
    vary: bool = True,
    size: tuple[int, int] = (512, 768),
    font_size: tuple[int, int] | None = None,
    wobble: float = 0.2,
    **strengths: float,
) -> HardPage:
    """A degraded page in a scan with borders, gutter, facing page, corner or patches.

    Parameters
    ----------
    seed : int
        Non-negative seed; the scan is a deterministic function of the seed
        and the other arguments.
    features : iterable of str or None
        Which of :data:`FEATURES` to use; None draws them from the seed
        (each with its own probability, at least one besides
        ``"resolution"``), ``()`` gives a plain page.
    resolution : float or None
        Scale of the scan in [0.1, 1] (``size`` at 1).  None: drawn in
        :data:`RESOLUTION_RANGE` when ``"resolution"`` is a feature, else 1.
    preset, vary, wobble, **strengths
        The page's degradations, as in :func:`~binkit.datasets.synthetic.synthetic_page`
        (``vary`` is True here, as for the committed sets).
    size : (int, int)
        Shape ``(H, W)`` of the scan at resolution 1.
    font_size : (int, int) or None
        Font size range at resolution 1 (None: ``(20, 36)``); scaled with the
        resolution and lowered to fit the page.

    Returns
    -------
    HardPage
        ``image`` float32 (h, w) in [0, 1], ``gt`` bool, ``coverage`` float32,
        ``regions`` uint8 (see :data:`REGION_CODES`), ``seed``, ``params``.

    Raises
    ------
    binkit.InputError
        Bad seed, unknown feature, preset or degradation, a value out of range,
        a scan too small at this resolution.
    """
    seed = check_int("seed", seed, minimum=0)
    if not isinstance(preset, str) or preset not in PRESETS:
        raise InputError(f"preset must be one of {sorted(PRESETS)}, got {preset!r}")
    unknown = sorted(set(strengths) - set(DEGRADATIONS))
    if unknown:
        raise TypeError(f"hard_page() got unexpected keyword arguments {unknown}")
    base_size = _check_size(size)
    wobble = check_fraction("wobble", wobble)
    vary = check_bool("vary", vary)
    st = {name: check_fraction(name, PRESETS[preset][name] if strengths.get(name) is None else strengths[name])
          for name in DEGRADATIONS}

    children = np.random.SeedSequence(seed).spawn(len(_STREAMS))
    rngs = {name: np.random.default_rng(ss) for name, ss in zip(_STREAMS, children)}

    feats = _draw_features(rngs["features"]) if features is None else _check_features(features)
    on = set(feats)
    if resolution is None:
        r = round(float(rngs["resolution"].uniform(*RESOLUTION_RANGE)), 3) if "resolution" in on else 1.0
    else:
        r = check_real("resolution", resolution, minimum=0.1, maximum=1.0)
    H, W = (int(round(r * base_size[0])), int(round(r * base_size[1])))
    if min(H, W) < 64:
        raise InputError(f"size {tuple(base_size)} at resolution {r:g} is {H}x{W}, under 64 pixels")

    if vary:
        factors = rngs["vary"].uniform(0.3, 1.7, size=len(DEGRADATIONS))
        st = {name: float(min(1.0, st[name] * f)) for name, f in zip(DEGRADATIONS, factors)}

    # --- geometry: what lies beyond each side of the page -----------------
    def across(side):  # the image side a border's width is measured against
        return W if side in ("left", "right") else H

    border = {s: 0 for s in _SIDES}          # total width of everything beyond the page
    backdrop = {s: 0 for s in _SIDES}        # the scanner backdrop part of it
    params_feat: dict[str, Any] = {}
    geo = rngs["border"]
    tone_kind = "dark" if geo.random() < 0.5 else "grey"
    backdrop_tone = float(geo.uniform(0.02, 0.14) if tone_kind == "dark" else geo.uniform(0.30, 0.55))
    if "border" in on:
        n = int(geo.integers(1, 5))
        sides = [_SIDES[int(i)] for i in geo.permutation(4)[:n]]
        for s in _SIDES:
            if s in sides:
                backdrop[s] = max(2, int(round(geo.uniform(*BORDER_RANGE) * across(s))))
    gutter_side = ("left", "right")[int(rngs["gutter"].integers(0, 2))]
    next_side = None
    if "next_page" in on:
        nrng = rngs["next_page"]
        next_side = gutter_side if "gutter" in on else ("left", "right")[int(nrng.integers(0, 2))]
        strip = max(4, int(round(nrng.uniform(*_NEXT_PAGE_RANGE) * W)))
    patch_side = None
    if "patches" in on:
        prng = rngs["patches"]
        choices = [s for s in _SIDES if s != next_side]
        patch_side = choices[int(prng.integers(0, len(choices)))]
        need = max(10, int(round(prng.uniform(*_PATCH_BORDER_RANGE) * across(patch_side))))
        backdrop[patch_side] = max(backdrop[patch_side], need)
    for s in _SIDES:
        border[s] = backdrop[s] + (strip if s == next_side else 0)
    y0, y1 = border["top"], H - border["bottom"]
    x0, x1 = border["left"], W - border["right"]
    ph, pw = y1 - y0, x1 - x0
    if min(ph, pw) < 48:
        raise InputError(f"the page left inside the borders is {ph}x{pw}, under 48 pixels; use a larger size")

    regions = np.ones((H, W), np.uint8) * np.uint8(REGION_CODES["border"])
    regions[y0:y1, x0:x1] = REGION_CODES["page"]

    # --- text of this page (kept out of the gutter band) -------------------
    gw = 0
    tx0, tx1 = x0, x1
    if "gutter" in on:
        grng = rngs["gutter"]
        gw = max(3, int(round(grng.uniform(*_GUTTER_RANGE) * pw)))
        gdepth = float(grng.uniform(0.35, 0.75))
        gap = int(round(grng.uniform(0.01, 0.03) * pw))
        if gutter_side == "left":
            tx0 = x0 + gw + gap
            regions[y0:y1, x0:x0 + gw] = REGION_CODES["gutter"]
        else:
            tx1 = x1 - gw - gap
            regions[y0:y1, x1 - gw:x1] = REGION_CODES["gutter"]
        params_feat["gutter"] = {"side": gutter_side, "width": gw, "depth": round(gdepth, 6)}
    block = (ph, tx1 - tx0)
    fs = _DEFAULT_FONT_SIZE if font_size is None else font_size
    try:
        lo, hi = (int(v) for v in fs)
    except (TypeError, ValueError):
        raise InputError(f"font_size must be a pair (min, max) of ints, got {font_size!r}") from None
    top = max(8, min(block) // 4)
    fsr = (min(max(8, int(round(lo * r))), top), min(max(8, int(round(hi * r))), top))
    fsr = _check_font_size(fsr, block)
    cov_block, layout = _render_text(rngs["text"], block, fsr, wobble)
    cov = np.zeros((H, W), np.float32)
    cov[y0:y1, tx0:tx1] = cov_block

    # --- the page's paper and ink -------------------------------------------
    lay = rngs["layout"]
    paper_tone = float(lay.uniform(0.76, 0.90))
    ink_tone = float(lay.uniform(0.08, 0.30))
    absorb = 1.0 - ink_tone / paper_tone
    psize = (ph, pw)
    paper = np.full(psize, paper_tone, dtype=np.float32)
    if st["texture"] > 0:
        paper *= _paper_texture(rngs["texture"], psize, st["texture"])
    if st["stains"] > 0:
        paper *= _stain_map(rngs["stains"], psize, st["stains"])
    if st["bleed_through"] > 0:
        paper *= _bleed_map(rngs["bleed_through"], psize, fsr, st["bleed_through"])

    # --- corner: where the page is missing or folded over (cov is zeroed there)
    yy, xx = np.mgrid[0:ph, 0:pw].astype(np.float32)
    corner_gone = np.zeros(psize, bool)   # shows the backdrop
    flap = np.zeros(psize, bool)          # back of the folded corner
    flap_shade = None
    if "corner" in on:
        crng = rngs["corner"]
        which = ("top-left", "top-right", "bottom-left", "bottom-right")[int(crng.integers(0, 4))]
        kind = "torn" if crng.random() < 0.5 else "curl"
        sy = float(crng.uniform(*_CORNER_RANGE) * min(ph, pw))
        sx = float(sy * crng.uniform(0.7, 1.4))
        u = xx if which.endswith("left") else (pw - 1 - xx)
        v = yy if which.startswith("top") else (ph - 1 - yy)
        reach = u / sx + v / sy
        if kind == "torn":
            jag = 0.07 * _field(crng, psize, 5.0) + 0.09 * _field(crng, psize, 18.0)
            corner_gone = (reach + jag) < 1.0
        else:
            corner_gone = reach < 1.0
            k = 2.0 / (1.0 / sx**2 + 1.0 / sy**2)   # the corner reflected over the fold
            tip = (k / sx, k / sy)
            flap = _in_triangle(u, v, (sx, 0.0), (0.0, sy), tip) & ~corner_gone
            depth = (reach - 1.0) / max(1e-6, (tip[0] / sx + tip[1] / sy - 1.0))
            back = paper_tone * float(crng.uniform(0.92, 1.04))
            flap_shade = np.clip(back * (0.80 + 0.20 * np.clip(depth, 0.0, 1.0)), 0.0, 1.0)
        params_feat["corner"] = {"corner": which, "kind": kind, "legs": [round(sx, 3), round(sy, 3)]}
        hidden = corner_gone | flap
        regions[y0:y1, x0:x1][hidden] = REGION_CODES["corner"]
        cov[y0:y1, x0:x1][hidden] = 0.0

    alpha = cov[y0:y1, x0:x1]
    if st["faded_ink"] > 0:
        alpha = alpha * _faded_strength(rngs["faded_ink"], psize, st["faded_ink"], layout["font_size"])
    page_img = paper * (1.0 - absorb * alpha)
    if "gutter" in on:
        d = xx[0] if gutter_side == "left" else (pw - 1 - xx[0])
        t = np.clip(d / gw, 0.0, 1.0)
        page_img *= (1.0 - gdepth * (1.0 - t) ** 2).astype(np.float32)[None, :]
    if flap.any():
        page_img[flap] = flap_shade[flap]
        dist = ndimage.distance_transform_edt(~flap)
        cast = (dist > 0) & (dist < 6) & ~corner_gone
        page_img[cast] *= (1.0 - 0.3 * np.exp(-dist[cast] / 1.5)).astype(np.float32)

    # --- the scan: backdrop, page, facing page, ruler or card -------------
    brng = rngs["backdrop"]
    img = np.full((H, W), backdrop_tone, np.float32)
    img *= (1.0 + 0.08 * _field(brng, (H, W), 90.0)).astype(np.float32)
    view = img[y0:y1, x0:x1]
    view[~corner_gone] = page_img[~corner_gone]
    if any(border.values()) or corner_gone.any():
        params_feat["backdrop"] = {"kind": tone_kind, "tone": round(backdrop_tone, 6)}
    if "border" in on or patch_side is not None:
        params_feat["border"] = {s: backdrop[s] for s in _SIDES}

    if next_side is not None:
        nrng = rngs["next_page"]
        a, b = (x0 - strip, x0) if next_side == "left" else (x1, x1 + strip)
        ty0 = max(0, y0 - int(nrng.integers(0, max(1, border["top"]) + 1)))
        ty1 = min(H, y1 + int(nrng.integers(0, max(1, border["bottom"]) + 1)))
        tone = paper_tone * float(nrng.uniform(0.85, 1.02))
        sheet = np.full((ty1 - ty0, strip), tone, np.float32)
        sheet *= (1.0 + 0.03 * _field(nrng, sheet.shape, 40.0)).astype(np.float32)
        fragments = bool(nrng.random() < 0.75)
        if fragments:
            wblock = max(4 * strip, 4 * fsr[1] + 8)
            fcov, flay = _render_text(nrng, (ty1 - ty0, wblock), _check_font_size(fsr, (ty1 - ty0, wblock)), wobble)
            shift = int(nrng.integers(0, max(1, strip // 3) + 1))
            if next_side == "left":   # the right-hand end of the facing page's lines
                end = wblock - flay["margins"]["right"] + shift
                frag = fcov[:, max(0, end - strip):end]
            else:                     # the left-hand start of its lines
                start = max(0, flay["margins"]["left"] - shift)
                frag = fcov[:, start:start + strip]
            piece = np.zeros_like(sheet)
            if next_side == "left":   # the end of the cut lines meets the seam
                piece[:, strip - frag.shape[1]:] = frag
            else:
                piece[:, :frag.shape[1]] = frag
            sheet *= 1.0 - absorb * piece
        d = np.arange(strip, dtype=np.float32)
        d = d[::-1] if next_side == "left" else d          # distance to the seam
        sdepth = float(nrng.uniform(0.2, 0.5))
        sheet *= (1.0 - sdepth * np.exp(-d / max(2.0, 0.25 * strip)))[None, :]
        seam = int(nrng.integers(1, 4))
        if next_side == "left":
            sheet[:, strip - seam:] *= np.float32(0.35)
        else:
            sheet[:, :seam] *= np.float32(0.35)
        img[ty0:ty1, a:b] = sheet
        regions[ty0:ty1, a:b] = REGION_CODES["next_page"]
        params_feat["next_page"] = {"side": next_side, "width": strip, "rows": [ty0, ty1], "columns": [a, b],
                                    "fragments": fragments, "seam": seam}

    if patch_side is not None:
        prng = rngs["patches"]
        kind = "ruler" if prng.random() < 0.5 else "card"
        band = backdrop[patch_side]
        thick = max(6, int(round(band * prng.uniform(0.55, 0.85))))
        off = int(prng.integers(0, band - thick + 1))     # from the image edge
        along = H if patch_side in ("left", "right") else W
        length = max(24, int(round(along * prng.uniform(0.3, 0.7))))
        start = int(prng.integers(0, along - length + 1))
        strip_img = (_ruler if kind == "ruler" else _colour_card)(prng, length, thick)
        if patch_side == "top":
            box = (slice(off, off + thick), slice(start, start + length))
            piece = strip_img
        elif patch_side == "bottom":
            box = (slice(H - off - thick, H - off), slice(start, start + length))
            piece = strip_img[::-1, ::-1]
        elif patch_side == "left":
            box = (slice(start, start + length), slice(off, off + thick))
            piece = np.rot90(strip_img, -1)
        else:
            box = (slice(start, start + length), slice(W - off - thick, W - off))
            piece = np.rot90(strip_img, 1)
        img[box] = piece
        regions[box] = REGION_CODES["patch"]
        params_feat["patches"] = {"kind": kind, "side": patch_side, "thickness": thick,
                                  "length": length, "offset": off, "start": start}

    # --- capture, on the whole scan ----------------------------------------
    if st["illumination"] > 0:
        img = img * _illumination_map(rngs["illumination"], (H, W), st["illumination"])
    blur_sigma = 0.0
    if st["blur"] > 0:
        blur_sigma = 1.2 * st["blur"]
        img = ndimage.gaussian_filter(img, blur_sigma)
    noise_sigma = 0.0
    if st["noise"] > 0:
        noise_sigma = 0.06 * st["noise"]
        img = img + noise_sigma * rngs["noise"].standard_normal((H, W)).astype(np.float32)
    img = np.clip(img, 0.0, 1.0).astype(np.float32)
    quality = None
    if st["jpeg"] > 0:
        img, quality = _jpeg(img, st["jpeg"])

    gt = cov >= 0.5
    assert not (gt & (regions != 0)).any()  # by construction: nothing beyond the page is ink

    params = {
        "generator_version": GENERATOR_VERSION,
        "hard_version": HARD_VERSION,
        "features": list(feats),
        "resolution": r,
        "base_size": [base_size[0], base_size[1]],
        "size": [H, W],
        "page_box": [y0, y1, x0, x1],
        "text_box": [y0, y1, tx0, tx1],
        "preset": preset,
        "vary": bool(vary),
        "font_size_range": [fsr[0], fsr[1]],
        "wobble": wobble,
        **layout,
        "paper_tone": round(paper_tone, 6),
        "ink_tone": round(ink_tone, 6),
        "degradations": {k: round(v, 6) for k, v in st.items()},
        "blur_sigma": round(blur_sigma, 6),
        "noise_sigma": round(noise_sigma, 6),
        "jpeg_quality": quality,
        **params_feat,
    }
    return HardPage(image=np.ascontiguousarray(img, dtype=np.float32), gt=gt, coverage=cov,
                    seed=seed, params=params, regions=regions)


def write_hard_set(
    dest: str | os.PathLike,
    seeds: Iterable[int] = range(HARD_SET_SIZE),
    *,
    size: tuple[int, int] = HARD_SET_PAGE_SIZE,
    **kw: Any,
) -> dict:
    """Write a set of hard pages as PNG files plus a manifest.

    Files written::

        <dest>/images/hard_XX.png    8-bit grey (L) scan, XX = seed (2 digits)
        <dest>/gt/hard_XX.png        8-bit L ground truth, 0 = ink, 255 = page
        <dest>/regions/hard_XX.png   8-bit L region map, codes of REGION_CODES
                                      (0 = page; > 0 = border/gutter area)
        <dest>/manifest.json         versions, seeds, region codes, parameters

    Parameters
    ----------
    dest : path-like
        Output folder (created if needed; existing files are overwritten).
    seeds : iterable of int
        Seeds of the pages (default ``range(36)``).
    size : (int, int)
        Scan shape at resolution 1 (default :data:`HARD_SET_PAGE_SIZE`).
    **kw
        Passed to :func:`hard_page` (features are drawn per seed unless given).

    Returns
    -------
    dict
        The manifest that was written.  :func:`binkit.datasets.load_synthetic`
        reads the set like any synthetic set (images and GT).
    """

    seeds = [check_int("seed", s, minimum=0) for s in seeds]
    if not seeds:
        raise InputError("seeds must not be empty")
    if len(set(seeds)) != len(seeds):
        raise InputError(f"seeds must be distinct, got {seeds}")
    dest = Path(dest)
    for sub in ("images", "gt", "regions"):  # a dest that is a file or cannot be written: one line
        ensure_folder(dest / sub, "hard set folder")
    pages = []
    for s in seeds:
        page = hard_page(s, size=size, **kw)
        name = f"hard_{s:02d}"
        img8 = np.clip(np.rint(page.image * 255.0), 0, 255).astype(np.uint8)
        gt8 = np.where(page.gt, 0, 255).astype(np.uint8)
        _save_png(img8, dest / "images" / f"{name}.png")
        _save_png(gt8, dest / "gt" / f"{name}.png")
        _save_png(page.regions, dest / "regions" / f"{name}.png")
        pages.append({
            "name": name,
            "image": f"images/{name}.png",
            "gt": f"gt/{name}.png",
            "regions": f"regions/{name}.png",
            "seed": s,
            "ink_fraction": round(page.ink_fraction, 6),
            "border_fraction": round(float(page.border.mean()), 6),
            "params": page.params,
        })
    manifest = {
        "generator": "binkit.datasets.hard",
        "generator_version": GENERATOR_VERSION,
        "hard_version": HARD_VERSION,
        "regenerate": "python -m binkit synthetic --hard --dest <dest>",
        "gt_convention": "8-bit L PNG, 0 = ink, 255 = page; gt = coverage of this page's text >= 0.5; "
                         "nothing in a region (border, gutter, facing page and its text, corner, ruler/card) is ink",
        "region_codes": dict(REGION_CODES),
        "options": {"size": [int(size[0]), int(size[1])],
                    **{k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()}},
        "seeds": seeds,
        "features": list(FEATURES),
        "pages": pages,
    }
    text = json.dumps(manifest, indent=2) + "\n"
    write_text(dest / "manifest.json", text)
    return manifest


def load_regions(root: str | os.PathLike, name: str) -> np.ndarray:
    """The region map (uint8, codes of :data:`REGION_CODES`) of page ``name`` of a hard set in ``root``."""
    from PIL import Image

    with Image.open(Path(root) / "regions" / f"{name}.png") as im:
        return np.asarray(im, dtype=np.uint8).copy()
