"""Issue 31, case 6: memory follows the page's pixel count, for every method.

Each page kind is binarized in a fresh process, method after method, as
``binkit binarize`` does it (read the PNG, binarize, write the PNG); the
process's peak resident memory (``VmHWM``) is restarted before each method
(``/proc/self/clear_refs``), once the method's modules and weights are loaded
on a small page, and its rise is divided by the page's pixels.  The bands are
made 64 times smaller than binkit's (``BAND_PIXELS``), so that a 3-MP page
spans as many bands as a page at the 150-MP limit does, and a band's own
buffers weigh on the bound as they do there.  Before issue 31 the whole-page
passes took 29 (Otsu) to 60 (logistic, hybrid) bytes a pixel (the Grid LSTM
33), Sauvola more than 1600 on a 1 x 1,000,000 strip (its window's height
times the strip).
``benchmarks/bench_large_page.py`` measures the same on pages at the limit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import binkit

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the peak is read and restarted through /proc/self (Linux)")

_CHILD = r"""
import json, sys
import numpy as np
import torch
import binkit
from binkit import _threshold, classical
from binkit.hybrid import inference, logistic
from binkit.hybrid.model import AdjusterConfig, SurfaceAdjuster
from binkit.io import read_image, save_binary

torch.set_num_threads(1)
_threshold.BAND_PIXELS = 1 << 16  # 64 times smaller than binkit's: a 3-MP page spans ~40 bands
logistic._MEDIAN_PIXELS = 1 << 19
src, out = sys.argv[1], sys.argv[2]
methods = json.loads(sys.argv[3])
torch.manual_seed(0)
histogram_model = SurfaceAdjuster(AdjusterConfig(layout="histogram")).eval()
runs = {name: binkit.binarizer(name) for name in methods if name in classical.METHODS or name == "logistic"}
runs["hybrid (no model)"] = lambda image: inference.binarize(image, None)
runs["hybrid (histogram)"] = lambda image: inference.binarize(image, histogram_model, "cpu")
runs["hybrid (histogram, tiles)"] = lambda image: inference.binarize(image, histogram_model, "cpu", adapt="tile")
# The Grid LSTM's geometry (footprint 4, scale 2) with one unit a pixel, for speed: the page-sized
# buffers do not depend on the units or the weights.  Tiles of 4 blocks, 64 times smaller than the
# CPU's 256: a 3-MP page spans ~190 tiles, as many as a page at the 150-MP limit.
from binkit.gridlstm import GridLSTMBinarizer, GridLSTMConfig
from binkit.gridlstm import inference as gridlstm

grid_model = GridLSTMBinarizer(GridLSTMConfig(footprint=4, scale=2, units_per_pixel=1)).eval()
runs["gridlstm"] = lambda image: gridlstm.binarize(image, grid_model, "cpu", max_blocks=4)
runs["(read only)"] = None


def status():
    fields = dict(line.split(":", 1) for line in open("/proc/self/status"))
    return int(fields["VmHWM"].split()[0]) * 1024, int(fields["VmRSS"].split()[0]) * 1024


small = np.tile(np.linspace(0, 255, 96).astype(np.uint8), (64, 1))
result = {}
for name in methods:
    run = runs[name]
    if run is not None:
        run(small)  # modules, tables and weights: not the page's
    save_binary(out, small < 128)
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    _, base = status()
    image = read_image(src)
    pixels = image.size
    if run is not None:
        ink = run(image)
        del image
        save_binary(out, ink)
        del ink
    else:
        del image
    peak, _ = status()
    result[name] = (peak - base) / pixels
print(json.dumps(result))
"""

LOCAL = ["niblack", "sauvola", "wolf", "nick", "phansalkar", "bernsen", "bradley"]
HYBRID = ["hybrid (no model)", "hybrid (histogram)", "hybrid (histogram, tiles)"]

# page kind -> method -> bound in bytes a pixel (the float32 page a reader
# returns is 4, its PNG's decoded pixels 1 to 2, the ink 1 and its 8-bit PNG 1
# to 2; the rest is each method's own)
BOUNDS = {
    "grey": {"otsu": 10, **{m: 12 for m in LOCAL}, "logistic": 14,
             "hybrid (no model)": 16, "hybrid (histogram)": 16,
             # the network's own buffers (fixed, some 20 MB) weigh 7 bytes a pixel on this 3-MP page
             "hybrid (histogram, tiles)": 24,
             # the page is read and cut tile by tile: no normalised, padded or context page, no logits
             "gridlstm": 12},
    # a page one row high: scikit-image's skeleton pads it to three rows (the stroke width's 9 bytes a pixel)
    "strip": {"otsu": 10, "sauvola": 12, "niblack": 12, "bernsen": 12, "logistic": 32, "hybrid (no model)": 32,
              "hybrid (histogram)": 32},
    "1bit": {"otsu": 10, "sauvola": 12},
    # an RGB PNG: Pillow's 4 bytes a pixel and NumPy's 3 while it is read
    "rgb": {"(read only)": 12, "otsu": 12},
}


def _page(kind: str, path: Path) -> None:
    from PIL import Image

    from binkit.datasets import synthetic_page

    tile = np.round(synthetic_page(31, size=(500, 700)).image * 255).astype(np.uint8)
    if kind == "strip":  # 1 x 1,000,000: the page's rows end to end
        Image.fromarray(np.resize(tile.ravel(), (1, 1_000_000))).save(path)
        return
    page = np.tile(tile, (3, 3))[:1500, :2000]
    if kind == "1bit":
        Image.fromarray(page > 160).convert("1").save(path)
    elif kind == "rgb":
        Image.fromarray(np.stack([page, page, page // 2 + 100], axis=-1)).save(path)
    else:
        Image.fromarray(page).save(path)


@pytest.fixture(scope="module")
def bytes_per_pixel(tmp_path_factory):
    if not os.access("/proc/self/clear_refs", os.W_OK):
        pytest.skip("/proc/self/clear_refs cannot be written: the peak cannot be restarted")
    measured = {}

    def measure(kind: str) -> dict:
        if kind not in measured:
            folder = tmp_path_factory.mktemp(kind)
            _page(kind, folder / "page.png")
            # glibc's fixed mmap threshold: every freed page buffer goes back to the
            # system, so one method's freed memory does not hide the next one's
            env = dict(os.environ, PYTHONPATH=str(Path(binkit.__file__).resolve().parents[1]),
                       MALLOC_MMAP_THRESHOLD_="131072", MALLOC_TRIM_THRESHOLD_="131072", OMP_NUM_THREADS="1")
            proc = subprocess.run([sys.executable, "-c", _CHILD, str(folder / "page.png"), str(folder / "ink.png"),
                                   json.dumps(list(BOUNDS[kind]))], capture_output=True, text=True, env=env, cwd=folder,
                                  timeout=600)
            assert proc.returncode == 0, proc.stderr[-2000:]
            measured[kind] = json.loads(proc.stdout.strip().splitlines()[-1])
        return measured[kind]

    return measure


@pytest.mark.parametrize(("kind", "method"), [(k, m) for k, bounds in BOUNDS.items() for m in bounds])
def test_memory_follows_the_pixel_count(bytes_per_pixel, kind, method):
    used = bytes_per_pixel(kind)[method]
    assert used <= BOUNDS[kind][method], f"{method} on a {kind} page: {used:.1f} bytes a pixel"


# ---------------------------------------------------------------- banded = whole page, to the last bit


def _page_with_a_blob():
    from binkit.datasets import synthetic_page

    page = synthetic_page(31, size=(420, 380)).image.copy()
    page[60:260, 40:250] = 0.08  # a dark area: its distances reach past a tile's first halo
    return page


@pytest.fixture
def small_bands(monkeypatch):
    from binkit import _threshold
    from binkit.hybrid import logistic

    monkeypatch.setattr(_threshold, "BAND_PIXELS", 1 << 12)
    monkeypatch.setattr(logistic, "_MEDIAN_PIXELS", 1 << 14)


def _whole_page_statistics(page):
    """b, t, global levels and window of the logistic's main rule, in whole-page passes (as before issue 31)."""
    from scipy import ndimage
    from skimage.filters import rank
    from skimage.morphology import skeletonize

    from binkit import _threshold
    from binkit.hybrid import logistic

    g8 = (np.rint(page * 255) / 255).astype(np.float32).astype(np.float64)
    ink = g8 <= _threshold.otsu_of_gray(g8) + _threshold.TIE_TOLERANCE
    skeleton = skeletonize(ink)
    sw = 2.0 * ndimage.distance_transform_edt(ink)[skeleton].mean()
    window = max(3, 2 * int(round((4.0 * sw) / 2.0)) + 1)
    levels = np.rint(g8 * 255).astype(np.uint8)
    half = window // 2  # scikit-image's exact rank median of the mirrored page (scipy's takes minutes here)
    median = rank.median(np.pad(levels, half, mode="reflect"), np.ones((window, window), bool))[half:-half, half:-half]
    b = median.astype(np.float32) / np.float32(255)
    t = np.clip(ndimage.uniform_filter(g8, 3, mode="mirror"), 0.0, 1.0).astype(np.float32)
    return b, t, logistic._global_levels(g8, b.astype(np.float64)), window


def test_logistic_in_bands_equals_the_whole_page(small_bands):
    from binkit import _threshold
    from binkit.hybrid import logistic

    page = _page_with_a_blob()
    assert len(list(logistic._row_chunks(page.shape))) >= 8
    assert len(list(_threshold.bands(page.shape, 1, _threshold.BAND_PIXELS // 4))) >= 8
    b, t, levels, window = _whole_page_statistics(page)
    stats = logistic.local_statistics(page)
    assert stats.background_window == window > 100  # the blob's distances needed wider halos
    np.testing.assert_array_equal(stats.b, b)
    np.testing.assert_array_equal(stats.t, t)
    assert stats.levels == levels
    tau = logistic.decision_threshold(b, levels)
    np.testing.assert_array_equal(logistic.logistic_binarize(page), t < tau - _threshold.TIE_TOLERANCE)
    np.testing.assert_array_equal(logistic.logistic_probability(page),
                                  logistic.logistic_surface(b, t, levels).astype(np.float32))


def test_hybrid_in_bands_equals_the_whole_page(small_bands):
    import torch
    from scipy.ndimage import map_coordinates

    from binkit.hybrid import inference, logistic
    from binkit.hybrid.model import AdjusterConfig, SurfaceAdjuster
    from binkit.hybrid.samples import start_heights
    from binkit.hybrid.spline import surface_lut

    page = _page_with_a_blob()
    assert len(list(logistic._row_chunks(page.shape))) >= 8
    b, t, levels, _ = _whole_page_statistics(page)

    def lookup(heights, b, t):
        coords = np.stack([np.clip(b, 0, 1) * 255, np.clip(t, 0, 1) * 255])
        return map_coordinates(surface_lut(heights).astype(np.float32), coords, order=1, mode="nearest")

    np.testing.assert_array_equal(inference.hybrid_probability(page), lookup(start_heights(levels), b, t))
    torch.manual_seed(0)
    model = SurfaceAdjuster(AdjusterConfig(layout="histogram")).eval()
    page_c = inference.prepare_page("page", page, n=model.config.n)
    heights = inference.page_heights(page_c, model, "cpu")
    np.testing.assert_array_equal(inference.hybrid_probability(page, model, "cpu"), lookup(heights, b, t))
    # one surface per tile, blended: the page's float64 sum, then float32
    corners, weights, dz = inference._tile_adjustments(page_c, model, "cpu", None, 8)
    rows, cols = sorted({r for r, _ in corners}), sorted({c for _, c in corners})
    wy = inference._tent_weights(page.shape[0], [r + 256 for r in rows])
    wx = inference._tent_weights(page.shape[1], [c + 256 for c in cols])
    blend = np.zeros(page.shape)
    for k, (r, c) in enumerate(corners):
        i, j = rows.index(r), cols.index(c)
        blend += wy[i][:, None] * wx[j][None, :] * lookup(page_c.c0 + dz[k], b, t)
    np.testing.assert_array_equal(inference.hybrid_probability(page, model, "cpu", adapt="tile"),
                                  np.clip(blend, 0, 1).astype(np.float32))


def _gridlstm_whole_page_sets(page, footprint, scale, block=64):
    """The Grid LSTM's sequence sets cut from the whole normalised, padded page and its context (before issue 31)."""
    from binkit.datasets.blocks import pad_to_multiple
    from binkit.gridlstm import normalize
    from binkit.gridlstm.inputs import _set_inputs, context_image

    f = footprint
    padded = pad_to_multiple(normalize(page), block, 0.0)
    ctx = context_image(padded, scale, block)
    rows, cols = padded.shape[0] // block, padded.shape[1] // block
    zeros = np.zeros((f, padded.shape[1]), np.float32)  # above the page (below it, for the flipped set)
    top_left = _set_inputs(padded, np.concatenate([zeros, padded[:-f]]), ctx, f, scale, block)
    flipped = padded[::-1]
    bottom_left = _set_inputs(flipped, np.concatenate([zeros, flipped[:-f]]), ctx[::-1], f, scale, block)
    bottom_left = bottom_left.reshape(rows, cols, *bottom_left.shape[1:])[::-1].reshape(bottom_left.shape)
    return top_left, bottom_left, (rows, cols)


@pytest.mark.parametrize(("scale", "max_blocks"), [(2, 4), (2, 13), (4, 5), (1, 4)])
def test_gridlstm_in_tiles_equals_the_whole_page(scale, max_blocks):
    import torch

    from binkit.gridlstm import GridLSTMBinarizer, GridLSTMConfig, steps_to_blocks
    from binkit.gridlstm.inference import binarize, page_logits
    from binkit.gridlstm.inputs import sequence_tiles_of_gray

    page = _page_with_a_blob()  # 420 x 380: 7 x 6 blocks
    top_left, bottom_left, (rows, cols) = _gridlstm_whole_page_sets(page, 4, scale)
    tiles = list(sequence_tiles_of_gray(page, 4, scale, max_blocks=max_blocks))
    assert len(tiles) >= 4 and len({(r1 - r0, c1 - c0) for r0, r1, c0, c1, _, _ in tiles}) >= 2
    for r0, r1, c0, c1, tl, bl in tiles:
        i = (np.arange(r0, r1)[:, None] * cols + np.arange(c0, c1)).ravel()
        np.testing.assert_array_equal(tl, top_left[i])
        np.testing.assert_array_equal(bl, bottom_left[i])
    # The logits, bit for bit, of the batches run before issue 31: bands of whole block rows
    # (equal, at most max_blocks blocks), each run max_blocks blocks at a time.
    torch.manual_seed(0)
    model = GridLSTMBinarizer(GridLSTMConfig(footprint=4, scale=scale, units_per_pixel=1)).eval()
    band = -(-rows // -(-rows // max(1, max_blocks // cols)))
    blocks = []
    with torch.inference_mode():
        for r0 in range(0, rows, band):
            i0, i1 = r0 * cols, min(rows, r0 + band) * cols
            for b0 in range(i0, i1, max_blocks):
                b1 = min(i1, b0 + max_blocks)
                out = model(torch.from_numpy(top_left[b0:b1]), torch.from_numpy(bottom_left[b0:b1]))
                blocks.append(steps_to_blocks(out, 4).numpy())
    logits = np.concatenate(blocks).reshape(rows, cols, 64, 64).swapaxes(1, 2).reshape(rows * 64, cols * 64)
    logits = logits[: page.shape[0], : page.shape[1]]
    np.testing.assert_array_equal(page_logits(page, model, "cpu", max_blocks=max_blocks), logits)
    np.testing.assert_array_equal(binarize(page, model, "cpu", max_blocks=max_blocks), logits >= 0)


@pytest.mark.parametrize("method", ["sauvola", "niblack", "wolf", "bernsen"])
def test_a_strip_is_cut_into_tiles_that_give_the_whole_strip(method, monkeypatch):
    from binkit import _threshold, classical
    from binkit.datasets import synthetic_page

    strip = np.resize(synthetic_page(31, size=(200, 300)).image.ravel(), (2, 60_000))
    whole = classical.METHODS[method](strip)
    monkeypatch.setattr(_threshold, "BAND_PIXELS", 1 << 16)
    assert len(list(_threshold.bands(strip.shape, 51))) >= 20  # pieces of rows, not one band of 51 padded rows
    np.testing.assert_array_equal(classical.METHODS[method](strip), whole)
    np.testing.assert_array_equal(classical.otsu(strip), strip <= classical.otsu_threshold(strip) + 1e-6)
