"""Synthetic degraded document pages with exact ground truth.

A synthetic page is rendered in two steps:

1. **Text.**  Lines of pseudo-Latin words are drawn with a TrueType font that
   ships with matplotlib (DejaVu Serif / Sans, STIX General, regular and
   italic), at a random font size, margin and line spacing, with a small
   smooth "hand" wobble.  The drawing is anti-aliased and gives the **ink
   coverage** ``c`` of every pixel, a float in ``[0, 1]`` at the output
   resolution.  The ground truth is exactly ``gt = c >= 0.5``.
2. **Page.**  A paper reflectance is built and degraded, and the ink is laid
   on it with the coverage as alpha, so the dark pixels of the image are
   exactly where the GT says there is ink.  None of the degradations changes
   the GT: the GT depends only on the text (seed, size, font size range and
   wobble).

Degradations (see :data:`DEGRADATIONS`), each a keyword of
:func:`synthetic_page` with a strength in ``[0, 1]`` (0 = off):

``faded_ink``
    Spatially varying ink strength (a low-frequency field plus a
    stroke-scale field): iron-gall and carbon inks that have faded or flaked
    unevenly, pen strokes that ran dry.  Faint strokes are still ink in the GT.
``bleed_through``
    A second, horizontally mirrored, blurred and faint text page darkens the
    paper: ink from the verso that has soaked through thin paper (or
    show-through in the scan).  Not ink in the GT.
``stains``
    A few smooth, irregular blotches with a darker tide-line rim: water,
    foxing and grease stains.  Not ink in the GT.
``illumination``
    A smooth gradient and vignette multiplying the page: uneven lighting
    of the scanner or camera, page curl near the binding.
``texture``
    Low- and mid-frequency reflectance variation plus short fibres: the
    grain and fibres of rag paper and parchment.
``noise``
    Per-pixel Gaussian noise added after the optics: sensor noise.
``blur``
    Gaussian blur of the whole image: defocus and the scanner's optics.
``jpeg``
    A round trip through JPEG at a quality falling from 95 (strength -> 0) to
    10 (strength 1): the block and ringing artefacts of lossy archives.

The same seed and settings give the same page bit for bit (on the same
Pillow/FreeType build); every random choice is drawn from
:class:`numpy.random.Generator` objects built from the seed, never from
global state.  Each part of the page (text, bleed-through page, each
degradation) has its own stream, so switching one degradation on or off does
not change the others, nor the text.

Examples
--------
>>> from binkit.datasets.synthetic import synthetic_page
>>> page = synthetic_page(3)                 # default (medium) degradations
>>> page.image.shape, page.image.dtype, page.gt.dtype
((512, 768), dtype('float32'), dtype('bool'))
>>> light = synthetic_page(3, preset="light")   # same text, lighter damage
>>> bool((light.gt == page.gt).all())
True

Run ``binkit synthetic --dest data/synthetic`` to
regenerate the committed set of 8 pages (see :func:`write_synthetic_set`).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
from scipy import ndimage

from .._checks import check_bool, check_fraction, check_int, is_integer
from .._errors import InputError
from ..io import atomic_write, ensure_folder, write_text

__all__ = [
    "GENERATOR_VERSION",
    "DEGRADATIONS",
    "PRESETS",
    "DEFAULT",
    "LIGHT",
    "CLEAN",
    "FONTS",
    "SyntheticPage",
    "synthetic_page",
    "write_synthetic_set",
]

#: Version of the generator.  Bump it whenever a change alters the pages a
#: given seed and settings produce; it is written to ``manifest.json``.
GENERATOR_VERSION = "1.0"

#: Names of the degradations, in the order they are listed (and keywords of
#: :func:`synthetic_page`).
DEGRADATIONS: tuple[str, ...] = (
    "faded_ink",
    "bleed_through",
    "stains",
    "illumination",
    "texture",
    "noise",
    "blur",
    "jpeg",
)

#: Medium strengths: looks plausible beside real DIBCO pages.
DEFAULT: Mapping[str, float] = {
    "faded_ink": 0.5,
    "bleed_through": 0.5,
    "stains": 0.4,
    "illumination": 0.5,
    "texture": 0.5,
    "noise": 0.3,
    "blur": 0.3,
    "jpeg": 0.2,
}

#: Light strengths: every degradation is on but mild; a global threshold
#: (Otsu) recovers the GT almost exactly.  Meant for tests and first steps.
LIGHT: Mapping[str, float] = {
    "faded_ink": 0.1,
    "bleed_through": 0.15,
    "stains": 0.15,
    "illumination": 0.2,
    "texture": 0.2,
    "noise": 0.1,
    "blur": 0.1,
    "jpeg": 0.1,
}

#: Every degradation off: clean paper of one tone and ink of one tone.
CLEAN: Mapping[str, float] = {name: 0.0 for name in DEGRADATIONS}

#: Presets accepted by ``synthetic_page(..., preset=...)``.
PRESETS: Mapping[str, Mapping[str, float]] = {
    "default": DEFAULT,
    "light": LIGHT,
    "clean": CLEAN,
}

#: Fonts the text is drawn with (file names in matplotlib's
#: ``mpl-data/fonts/ttf``); one is picked per page.
FONTS: tuple[str, ...] = (
    "DejaVuSerif.ttf",
    "DejaVuSerif-Italic.ttf",
    "DejaVuSans.ttf",
    "DejaVuSans-Oblique.ttf",
    "STIXGeneral.ttf",
    "STIXGeneralItalic.ttf",
    "STIXGeneralBol.ttf",
)

# Pseudo-Latin word list (lorem ipsum and friends).
_WORDS = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod "
    "tempor incididunt ut labore et dolore magna aliqua enim ad minim veniam "
    "quis nostrud exercitation ullamco laboris nisi aliquip ex ea commodo "
    "consequat duis aute irure in reprehenderit voluptate velit esse cillum "
    "fugiat nulla pariatur excepteur sint occaecat cupidatat non proident sunt "
    "culpa qui officia deserunt mollit anim id est laborum anno domini regis "
    "civitas populus senatus terra aqua ignis liber librum scriptum epistola "
    "frater pater mater filius filia dominus domina ecclesia sanctus sancta "
    "gratia gloria memoria notitia littera verbum cum per pro ab de sub super "
    "inter contra post ante propter quod quae quam etiam autem enim tamen "
    "itaque igitur nunc semper numquam hodie heri cras annus mensis dies nox "
    "lux vox rex lex pax dux mons fons pons navis urbs orbis tempus corpus "
    "nomen flumen carmen opus genus caput iter mare rete animal vectigal "
    "fecit dedit scripsit habuit venit vidit vicit erat fuit esset sumus"
).split()

_MIN_SIZE = 64
_DEFAULT_FONT_SIZE = (20, 36)
_SUPERSAMPLE = 3  # text is drawn this many times larger, then box-averaged
_MAX_SIZE = 4096

# Independent random streams, one per part of the page.
_STREAMS = ("layout", "text", "verso", "vary") + DEGRADATIONS


@dataclass(frozen=True, eq=False)
class SyntheticPage:
    """A synthetic degraded page and its exact ground truth.

    Attributes
    ----------
    image : numpy.ndarray, float32, shape (H, W)
        The degraded grey page in ``[0, 1]``, 0 = black.
    gt : numpy.ndarray, bool, shape (H, W)
        Ground truth, ``True`` = ink; exactly ``coverage >= 0.5``.
    coverage : numpy.ndarray, float32, shape (H, W)
        Anti-aliased ink coverage of the text in ``[0, 1]`` (before any
        degradation), the alpha with which the ink is laid on the page.
    seed : int
        The seed the page was made from.
    params : dict
        The settings actually used (JSON-serialisable): ``size``, ``preset``,
        ``vary``, ``font``, ``font_size``, ``line_spacing``, ``margins``,
        ``wobble``, ``paper_tone``, ``ink_tone``, ``degradations`` (name ->
        strength actually applied) and ``generator_version``.
    """

    image: np.ndarray
    gt: np.ndarray
    coverage: np.ndarray
    seed: int
    params: dict = field(default_factory=dict)

    @property
    def ink_fraction(self) -> float:
        """Fraction of GT pixels that are ink."""
        return float(self.gt.mean())


# ---------------------------------------------------------------------------
# validation helpers


def _check_size(size: Any) -> tuple[int, int]:
    try:
        h, w = size
    except (TypeError, ValueError):
        raise InputError(f"size must be a pair (H, W) of ints, got {size!r}") from None
    out = []
    for v in (h, w):
        if not is_integer(v):
            raise InputError(f"size must be a pair (H, W) of ints, got {size!r}")
        if not (_MIN_SIZE <= int(v) <= _MAX_SIZE):
            raise InputError(
                f"size must have H and W in [{_MIN_SIZE}, {_MAX_SIZE}], got {size!r}"
            )
        out.append(int(v))
    return out[0], out[1]


def _check_font_size(font_size: Any, size: tuple[int, int]) -> tuple[int, int]:
    try:
        lo, hi = font_size
    except (TypeError, ValueError):
        raise InputError(
            f"font_size must be a pair (min, max) of ints, got {font_size!r}"
        ) from None
    for v in (lo, hi):
        if not is_integer(v):
            raise InputError(
                f"font_size must be a pair (min, max) of ints, got {font_size!r}"
            )
    lo, hi = int(lo), int(hi)
    top = max(8, min(size) // 4)
    if not (8 <= lo <= hi <= top):
        raise InputError(
            f"font_size must satisfy 8 <= min <= max <= {top} for size {size}, "
            f"got {font_size!r}"
        )
    return lo, hi


# ---------------------------------------------------------------------------
# random fields


def _bspline_matrix(n: int, cell: float, m: int, offset: float) -> np.ndarray:
    """(n, m) matrix of cubic B-spline weights: sample ``i`` sits at knot
    coordinate ``i / cell + offset``."""
    t = np.arange(n, dtype=np.float64)[:, None] / cell + offset - np.arange(m)[None, :]
    a = np.abs(t)
    w = np.where(a < 1, 2 / 3 - a**2 + a**3 / 2, np.where(a < 2, (2 - a) ** 3 / 6, 0.0))
    return w


def _field(rng: np.random.Generator, shape: tuple[int, int], cell: float) -> np.ndarray:
    """Smooth random field of zero mean and unit std, features ~``cell`` px.

    Gaussian noise on a coarse grid (one knot every ``cell`` pixels) turned
    into a cubic B-spline surface: separable, two small matrix products, much
    faster than a wide Gaussian filter at full resolution.
    """
    h, w = shape
    cell = max(1.0, float(cell))
    gh = int(np.ceil(h / cell)) + 4
    gw = int(np.ceil(w / cell)) + 4
    grid = rng.standard_normal((gh, gw))
    oy, ox = rng.uniform(1.0, 2.0, size=2)
    ay = _bspline_matrix(h, cell, gh, oy)
    ax = _bspline_matrix(w, cell, gw, ox)
    # Normalise on the coarse product (cheap), then expand to full size.
    left = ay @ grid  # (h, gw)
    # Mean and std of the field, exactly, from the separable form.
    mean_row = left.mean(axis=0)  # (gw,)
    mean = float(mean_row @ ax.sum(axis=0)) / w
    out = (left.astype(np.float32) @ ax.T.astype(np.float32))
    out -= np.float32(mean)
    std = float(np.sqrt(np.mean(np.square(out, dtype=np.float32))))
    if std > 0:
        out *= np.float32(1.0 / std)
    return out


# ---------------------------------------------------------------------------
# text


def _font_path(name: str) -> str:
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name
    if path.is_file():
        return str(path)
    # Fall back to matplotlib's font lookup (same family, any install layout).
    from matplotlib import font_manager

    family = "DejaVu Sans" if "Sans" in name else "DejaVu Serif"
    style = "italic" if ("Italic" in name or "Oblique" in name) else "normal"
    weight = "bold" if "Bol" in name else "normal"
    return font_manager.findfont(
        font_manager.FontProperties(family=family, style=style, weight=weight),
        fallback_to_default=True,
    )


def _sentence_words(rng: np.random.Generator) -> list[str]:
    n = int(rng.integers(4, 14))
    words = [_WORDS[int(i)] for i in rng.integers(0, len(_WORDS), n)]
    words[0] = words[0].capitalize()
    for i in range(len(words) - 1):
        if rng.random() < 0.12:
            words[i] += ","
    words[-1] += "." if rng.random() < 0.85 else ";"
    return words


def _render_text(
    rng: np.random.Generator,
    size: tuple[int, int],
    font_size: tuple[int, int],
    wobble: float,
) -> tuple[np.ndarray, dict]:
    """Draw a page of pseudo-text; return coverage (float32 in [0, 1]) and
    the layout parameters used.

    The text is drawn ``_SUPERSAMPLE`` times larger and box-averaged down, so
    the coverage of a pixel is the fraction of its area under ink: edges are
    one pixel wide and ``coverage >= 0.5`` follows the outline of the glyphs.
    """
    from PIL import Image, ImageDraw, ImageFont

    h, w = size
    ss = _SUPERSAMPLE
    font_name = FONTS[int(rng.integers(0, len(FONTS)))]
    fsize = int(rng.integers(font_size[0], font_size[1] + 1))
    spacing = float(rng.uniform(1.3, 1.8))
    left = int(round(w * rng.uniform(0.04, 0.12)))
    right = int(round(w * rng.uniform(0.03, 0.10)))
    top = int(round(h * rng.uniform(0.03, 0.10)))
    bottom = int(round(h * rng.uniform(0.03, 0.10)))

    font = ImageFont.truetype(_font_path(font_name), fsize * ss)
    canvas = Image.new("L", (w * ss, h * ss), 0)
    draw = ImageDraw.Draw(canvas)

    def length(text: str) -> float:  # in output pixels
        return draw.textlength(text, font=font) / ss

    space = max(2.0, length(" "))
    line_h = max(fsize + 2, int(round(fsize * spacing)))

    words: list[str] = []
    y = float(top)
    x_start = left + rng.uniform(1.5, 3.0) * fsize  # first indent
    x_end = w - right
    while y + fsize <= h - bottom:
        x = x_start
        jitter_line = float(rng.normal(0.0, 0.5))
        line_len_cap = x_end
        if rng.random() < 0.08 and y > top:  # short line: end of paragraph
            line_len_cap = x_start + (x_end - x_start) * rng.uniform(0.4, 0.85)
        drawn_any = False
        while True:
            if not words:
                words = _sentence_words(rng)
            word = words[0]
            wl = length(word)
            if x + wl > line_len_cap and (drawn_any or x + wl > x_end):
                break
            dy = jitter_line + float(rng.normal(0.0, 0.2 + 0.8 * wobble))
            draw.text((round(x * ss), round((y + dy) * ss)), word, fill=255, font=font)
            words.pop(0)
            drawn_any = True
            x += wl + space * float(rng.uniform(0.9, 1.5))
        y += line_h
        x_start = left
        if line_len_cap < x_end:  # paragraph break: indent next line
            x_start = left + rng.uniform(1.5, 3.0) * fsize

    if wobble > 0:
        # Smooth displacement field: baselines that are not quite straight,
        # letters that lean a little, like a hand-written or hand-set page.
        # Nearest-neighbour warp at the supersampled resolution (steps of
        # 1/_SUPERSAMPLE pixel), fast and exact enough before box-averaging.
        big = np.asarray(canvas)
        hh, ww = big.shape
        amp = 2.5 * wobble * ss
        cell = max(8.0, 3.0 * fsize) * ss
        iy = np.rint(_field(rng, big.shape, cell) * amp).astype(np.int32)
        ix = np.rint(_field(rng, big.shape, cell) * (0.6 * amp)).astype(np.int32)
        iy += np.arange(hh, dtype=np.int32)[:, None]
        ix += np.arange(ww, dtype=np.int32)[None, :]
        np.clip(iy, 0, hh - 1, out=iy)
        np.clip(ix, 0, ww - 1, out=ix)
        canvas = Image.fromarray(np.ascontiguousarray(big[iy, ix]), mode="L")
    # Box average over ss x ss blocks (Pillow's reduce, in C).
    cov = np.asarray(canvas.reduce(ss), dtype=np.float32) / np.float32(255.0)

    layout = {
        "font": font_name,
        "font_size": fsize,
        "line_spacing": round(spacing, 4),
        "margins": {"top": top, "bottom": bottom, "left": left, "right": right},
    }
    return cov, layout


# ---------------------------------------------------------------------------
# degradations (each a pure function of its generator, strength and arrays)


def _paper_texture(rng, shape, s):
    """Relative reflectance variation of the paper (1 = uniform)."""
    low = _field(rng, shape, 90.0)
    mid = _field(rng, shape, 10.0)
    noise = rng.standard_normal(shape).astype(np.float32)
    fib_a = ndimage.gaussian_filter(noise, sigma=(0.6, 5.0))
    fib_b = ndimage.gaussian_filter(noise[::-1], sigma=(5.0, 0.6))
    fib = fib_a / (fib_a.std() + 1e-8) + fib_b / (fib_b.std() + 1e-8)
    # Sparse fibres: keep the tails only.
    fib = np.where(np.abs(fib) > 2.2, fib, 0.0)
    grain = ndimage.gaussian_filter(rng.standard_normal(shape).astype(np.float32), 0.7)
    grain /= grain.std() + 1e-8
    tex = 1.0 + s * (0.05 * low + 0.04 * mid + 0.02 * fib + 0.035 * grain)
    # Specks: dirt and foxing dots embedded in the paper.
    h, w = shape
    n = int(round(s * h * w / 2500))
    if n:
        imp = np.zeros(shape, dtype=np.float32)
        ys = rng.integers(0, h, n)
        xs = rng.integers(0, w, n)
        np.add.at(imp, (ys, xs), rng.uniform(1.0, 8.0, n).astype(np.float32))
        specks = ndimage.gaussian_filter(imp, 0.8)
        tex *= 1.0 - np.clip(s * specks, 0.0, 0.6)
    return tex.astype(np.float32)


def _stain_map(rng, shape, s):
    """Multiplicative darkening (<= 1) from a few irregular stains."""
    h, w = shape
    out = np.ones(shape, dtype=np.float32)
    n = int(rng.integers(1, 4))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    d_rough = _field(rng, shape, 40.0)
    for _ in range(n):
        cy = rng.uniform(-0.1, 1.1) * h
        cx = rng.uniform(-0.1, 1.1) * w
        ry = rng.uniform(0.08, 0.3) * min(h, w)
        rx = ry * rng.uniform(0.6, 1.8)
        th = rng.uniform(0, np.pi)
        c, si = np.cos(th), np.sin(th)
        u = ((xx - cx) * c + (yy - cy) * si) / rx
        v = (-(xx - cx) * si + (yy - cy) * c) / ry
        d = np.sqrt(u * u + v * v) + 0.18 * d_rough
        inside = 1.0 / (1.0 + np.exp((d - 1.0) / 0.08))  # soft edge
        rim = np.exp(-(((d - 1.0) / 0.04) ** 2))  # tide line
        depth = rng.uniform(0.08, 0.22)
        rim_depth = rng.uniform(0.02, 0.08)
        out *= 1.0 - s * (depth * inside + rim_depth * rim)
    return out


def _illumination_map(rng, shape, s):
    """Multiplicative lighting field (<= 1): gradient plus vignette."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    yn = yy / (h - 1) - 0.5
    xn = xx / (w - 1) - 0.5
    th = rng.uniform(0, 2 * np.pi)
    grad = np.cos(th) * xn + np.sin(th) * yn  # in [-0.71, 0.71]
    grad = (grad - grad.min()) / (grad.max() - grad.min() + 1e-8)
    cy, cx = rng.uniform(-0.15, 0.15, size=2)
    vig = (xn - cx) ** 2 + (yn - cy) ** 2
    vig = vig / (vig.max() + 1e-8)
    a = rng.uniform(0.4, 1.0)
    g = a * grad + (1 - a) * vig
    return (1.0 - s * 0.28 * g).astype(np.float32)


def _faded_strength(rng, shape, s, fsize):
    """Ink strength in (0, 1]: 1 = full ink, small = faded."""
    low = _field(rng, shape, 120.0)
    mid = _field(rng, shape, max(4.0, 0.8 * fsize))
    u = np.clip(0.4 + 0.25 * low + 0.3 * mid, 0.0, 1.0)
    return (1.0 - s * 0.85 * u).astype(np.float32)


def _bleed_map(rng, size, font_size, s):
    """Multiplicative darkening (<= 1) from the mirrored verso text."""
    verso, _ = _render_text(rng, size, font_size, wobble=0.2)
    verso = verso[:, ::-1]
    sigma = rng.uniform(0.8, 1.6)
    verso = ndimage.gaussian_filter(verso, sigma)
    strength = np.clip(0.75 + 0.35 * _field(rng, size, 150.0), 0.2, 1.0)
    return (1.0 - s * 0.5 * strength * verso).astype(np.float32)


def _jpeg(img, s):
    from PIL import Image

    quality = int(round(95 - 85 * s))
    u8 = np.clip(np.rint(img * 255.0), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(u8, mode="L").save(buf, format="JPEG", quality=quality)
    buf.seek(0)
    with Image.open(buf) as im:
        back = np.asarray(im.convert("L"), dtype=np.float32)
    return back / np.float32(255.0), quality


# ---------------------------------------------------------------------------
# public API


def synthetic_page(
    seed: int,
    *,
    preset: str = "default",
    size: tuple[int, int] = (512, 768),
    font_size: tuple[int, int] | None = None,
    wobble: float = 0.2,
    vary: bool = False,
    faded_ink: float | None = None,
    bleed_through: float | None = None,
    stains: float | None = None,
    illumination: float | None = None,
    texture: float | None = None,
    noise: float | None = None,
    blur: float | None = None,
    jpeg: float | None = None,
) -> SyntheticPage:
    """Generate a degraded document page and its exact ground truth.

    Parameters
    ----------
    seed : int
        Non-negative seed; the page is a deterministic function of the seed
        and the other arguments.
    preset : {"default", "light", "clean"}
        Starting strengths of the degradations (:data:`DEFAULT`,
        :data:`LIGHT`, :data:`CLEAN`); any degradation keyword given
        overrides its preset value.
    size : (int, int)
        Page shape ``(H, W)`` in pixels, each in [64, 4096].
    font_size : (int, int) or None
        Range ``(min, max)`` of the font size in pixels; one size is drawn per
        page.  ``8 <= min <= max <= max(8, min(H, W) // 4)``.  None means
        ``(20, 36)``, lowered as needed to fit a small page.
    wobble : float in [0, 1]
        Amplitude of a smooth displacement of the text (uneven baselines,
        leaning letters).  It changes the text, so it changes the GT too.
    vary : bool
        If True, each degradation strength is multiplied by a random factor
        in [0.3, 1.7] drawn from the seed (and clipped to 1), so a set of
        pages shows a varied mix.  A strength of 0 stays 0.
    faded_ink, bleed_through, stains, illumination, texture, noise, blur, jpeg : float in [0, 1] or None
        Strength of each degradation (0 = off, None = preset value).  See the
        module docstring for what each one simulates.

    Returns
    -------
    SyntheticPage
        ``image`` float32 (H, W) in [0, 1]; ``gt`` bool (H, W), True = ink,
        exactly ``coverage >= 0.5``; ``coverage`` float32 (H, W); ``seed``;
        ``params`` with the settings actually used.

    Raises
    ------
    binkit.InputError
        For a negative or non-integer seed, an unknown preset, a strength
        outside [0, 1], a bad size or font size range.
    """
    seed = check_int("seed", seed, minimum=0)
    if not isinstance(preset, str) or preset not in PRESETS:
        raise InputError(
            f"preset must be one of {sorted(PRESETS)}, got {preset!r}"
        )
    size = _check_size(size)
    if font_size is None:
        top = max(8, min(size) // 4)
        font_size = (min(_DEFAULT_FONT_SIZE[0], top), min(_DEFAULT_FONT_SIZE[1], top))
    font_size = _check_font_size(font_size, size)
    wobble = check_fraction("wobble", wobble)
    vary = check_bool("vary", vary)
    given = {
        "faded_ink": faded_ink,
        "bleed_through": bleed_through,
        "stains": stains,
        "illumination": illumination,
        "texture": texture,
        "noise": noise,
        "blur": blur,
        "jpeg": jpeg,
    }
    strengths = {}
    for name in DEGRADATIONS:
        v = given[name]
        strengths[name] = check_fraction(
            name, PRESETS[preset][name] if v is None else v
        )

    children = np.random.SeedSequence(seed).spawn(len(_STREAMS))
    rngs = {name: np.random.default_rng(ss) for name, ss in zip(_STREAMS, children)}

    if vary:
        factors = rngs["vary"].uniform(0.3, 1.7, size=len(DEGRADATIONS))
        strengths = {
            name: float(min(1.0, strengths[name] * f))
            for name, f in zip(DEGRADATIONS, factors)
        }

    cov, layout = _render_text(rngs["text"], size, font_size, wobble)
    gt = cov >= 0.5

    lay = rngs["layout"]
    paper_tone = float(lay.uniform(0.76, 0.90))
    ink_tone = float(lay.uniform(0.08, 0.30))
    absorb = 1.0 - ink_tone / paper_tone  # fraction of light full ink absorbs

    st = strengths
    # Reflectance of the paper.
    page = np.full(size, paper_tone, dtype=np.float32)
    if st["texture"] > 0:
        page *= _paper_texture(rngs["texture"], size, st["texture"])
    if st["stains"] > 0:
        page *= _stain_map(rngs["stains"], size, st["stains"])
    if st["bleed_through"] > 0:
        page *= _bleed_map(rngs["bleed_through"], size, font_size, st["bleed_through"])
    # Ink laid on the paper with the coverage as alpha.
    alpha = cov
    if st["faded_ink"] > 0:
        alpha = cov * _faded_strength(rngs["faded_ink"], size, st["faded_ink"],
                                      layout["font_size"])
    img = page * (1.0 - absorb * alpha)
    # Capture: lighting, optics, sensor, compression.
    if st["illumination"] > 0:
        img = img * _illumination_map(rngs["illumination"], size, st["illumination"])
    blur_sigma = 0.0
    if st["blur"] > 0:
        blur_sigma = 1.2 * st["blur"]
        img = ndimage.gaussian_filter(img, blur_sigma)
    noise_sigma = 0.0
    if st["noise"] > 0:
        noise_sigma = 0.06 * st["noise"]
        img = img + noise_sigma * rngs["noise"].standard_normal(size).astype(np.float32)
    img = np.clip(img, 0.0, 1.0).astype(np.float32)
    quality = None
    if st["jpeg"] > 0:
        img, quality = _jpeg(img, st["jpeg"])

    params = {
        "generator_version": GENERATOR_VERSION,
        "size": [size[0], size[1]],
        "preset": preset,
        "vary": bool(vary),
        "font_size_range": [font_size[0], font_size[1]],
        "wobble": wobble,
        **layout,
        "paper_tone": round(paper_tone, 6),
        "ink_tone": round(ink_tone, 6),
        "degradations": {k: round(v, 6) for k, v in strengths.items()},
        "blur_sigma": round(blur_sigma, 6),
        "noise_sigma": round(noise_sigma, 6),
        "jpeg_quality": quality,
    }
    return SyntheticPage(
        image=np.ascontiguousarray(img, dtype=np.float32),
        gt=gt,
        coverage=cov,
        seed=seed,
        params=params,
    )


def _save_png(pixels: np.ndarray, path: Path) -> None:
    """An 8-bit grey PNG, written through :func:`binkit.io.atomic_write` (the mode of an ordinary write)."""
    from PIL import Image

    atomic_write(path, lambda fh: Image.fromarray(pixels, mode="L").save(fh, format="PNG", optimize=True))


def write_synthetic_set(
    dest: str | os.PathLike,
    seeds: Iterable[int] = range(8),
    *,
    preset: str = "default",
    vary: bool = True,
    **kw: Any,
) -> dict:
    """Write a set of synthetic pages as PNG files plus a manifest.

    Files written::

        <dest>/images/synth_XX.png   8-bit grey (L) page, XX = seed (2 digits)
        <dest>/gt/synth_XX.png       8-bit L ground truth, 0 = ink, 255 = page
        <dest>/manifest.json         generator version, seeds and parameters

    Parameters
    ----------
    dest : path-like
        Output folder (created if needed; existing files are overwritten).
    seeds : iterable of int
        Seeds of the pages (default ``range(8)``).
    preset, vary, **kw
        Passed to :func:`synthetic_page`.  ``vary`` defaults to True here so
        every page has every degradation of the preset, in a different mix.

    Returns
    -------
    dict
        The manifest that was written.
    """

    seeds = [check_int("seed", s, minimum=0) for s in seeds]
    if not seeds:
        raise InputError("seeds must not be empty")
    if len(set(seeds)) != len(seeds):
        raise InputError(f"seeds must be distinct, got {seeds}")
    dest = Path(dest)
    for sub in ("images", "gt"):  # a dest that is a file or cannot be written: one line, before any work
        ensure_folder(dest / sub, "synthetic set folder")

    pages = []
    for s in seeds:
        page = synthetic_page(s, preset=preset, vary=vary, **kw)
        name = f"synth_{s:02d}"
        img8 = np.clip(np.rint(page.image * 255.0), 0, 255).astype(np.uint8)
        gt8 = np.where(page.gt, 0, 255).astype(np.uint8)
        _save_png(img8, dest / "images" / f"{name}.png")
        _save_png(gt8, dest / "gt" / f"{name}.png")
        pages.append({
            "name": name,
            "image": f"images/{name}.png",
            "gt": f"gt/{name}.png",
            "seed": s,
            "ink_fraction": round(page.ink_fraction, 6),
            "params": page.params,
        })

    manifest = {
        "generator": "binkit.datasets.synthetic",
        "generator_version": GENERATOR_VERSION,
        "regenerate": "python -m binkit synthetic --dest <dest>",
        "gt_convention": "8-bit L PNG, 0 = ink, 255 = page; gt = coverage >= 0.5",
        "preset": preset,
        "vary": bool(vary),
        "seeds": seeds,
        "degradations": list(DEGRADATIONS),
        "pages": pages,
    }
    text = json.dumps(manifest, indent=2) + "\n"
    write_text(dest / "manifest.json", text)
    return manifest


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m binkit.datasets.synthetic",
        description="Write a set of synthetic degraded pages with exact GT.",
    )
    parser.add_argument("--write", metavar="DEST", required=True,
                        help="output folder (images/, gt/, manifest.json)")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(8)),
                        help="seeds of the pages (default: 0 1 ... 7)")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="default")
    parser.add_argument("--no-vary", action="store_true",
                        help="use the preset strengths unchanged on every page")
    args = parser.parse_args(argv)
    try:
        manifest = write_synthetic_set(args.write, args.seeds, preset=args.preset,
                                       vary=not args.no_vary)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for p in manifest["pages"]:
        print(f"{p['name']}: ink {100 * p['ink_fraction']:.1f} %")
    print(f"wrote {len(manifest['pages'])} pages to {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
