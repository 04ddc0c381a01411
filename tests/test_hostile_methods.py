"""Issue 16, cases 7 and 9: windows larger than the page, and pages without contrast."""

import time

import numpy as np
import pytest

import binkit
from binkit import _threshold, classical
from binkit._checks import page_window
from binkit.hybrid import inference, logistic

# ---------------------------------------------------------------- case 9: no contrast, no ink

_RNG = np.random.default_rng(16)
_SPECKS = np.ones((120, 150), np.float32)
_SPECKS.flat[_RNG.choice(_SPECKS.size, 20, replace=False)] = 254 / 255  # one 8-bit level darker
_HALF = np.ones((120, 150), np.float32)
_HALF[_RNG.random(_HALF.shape) < 0.5] = 254 / 255

FLAT_PAGES = {
    "white": np.ones((120, 150), np.float32),
    "white_uint8": np.full((120, 150), 255, np.uint8),
    "grey": np.full((120, 150), 0.5, np.float32),
    "black": np.zeros((120, 150), np.float32),
    "white_16bit_ripple": (65535 - (np.arange(150) % 3)).astype(np.uint16)[None, :].repeat(120, 0),
    "specks_one_level": _SPECKS,
    "half_one_level": _HALF,
}

# every function method of binkit plus the hybrid's surface without a model
FUNCTIONS = dict(classical.METHODS)
FUNCTIONS["logistic"] = logistic.logistic_binarize
FUNCTIONS["hybrid_c0"] = inference.binarize


@pytest.mark.parametrize("page", FLAT_PAGES)
@pytest.mark.parametrize("method", FUNCTIONS)
def test_page_without_contrast_has_no_ink(method, page):
    ink = FUNCTIONS[method](FLAT_PAGES[page])
    assert ink.dtype == bool and ink.shape == (120, 150)
    assert not ink.any(), f"{method} finds {ink.mean():.1%} ink on a {page} page"


@pytest.mark.parametrize("page", ["white", "black", "specks_one_level"])
def test_soft_maps_are_zero_without_contrast(page):
    assert not logistic.logistic_probability(FLAT_PAGES[page]).any()
    assert not inference.hybrid_probability(FLAT_PAGES[page]).any()


def test_shipped_hybrid_finds_no_ink_on_a_blank_page():
    if "hybrid" not in binkit.methods():
        pytest.skip("no shipped hybrid weights")
    run = binkit.binarizer("hybrid", device="cpu")
    assert not run(FLAT_PAGES["white"]).any()
    assert not run(FLAT_PAGES["specks_one_level"]).any()


def test_two_levels_of_contrast_are_still_thresholded():
    # the rule stops at one 8-bit level: a speck two levels darker is contrast
    page = np.ones((120, 150), np.float32)
    page[60, 70] = 253 / 255
    assert classical.otsu(page)[60, 70] and classical.otsu(page).sum() == 1
    assert classical.wolf(page)[60, 70]


def test_thresholds_are_still_returned_on_a_flat_page():
    # the rule is on the ink, the surfaces a notebook plots stay the formula's
    T = classical.niblack_threshold(FLAT_PAGES["white"])
    assert np.allclose(T, 1.0)


# ---------------------------------------------------------------- case 7: windows past the page


def test_page_window_clamps_only_past_the_page():
    assert page_window(100001, (300, 200)) == 601
    assert page_window(601, (300, 200)) == 601
    assert page_window(51, (3, 3)) == 7
    assert page_window(51, (300, 200)) == 51


_PAGE = np.random.default_rng(7).random((300, 300)).astype(np.float32)
WINDOWED = [name for name in classical.METHODS if name != "otsu"]


@pytest.mark.parametrize("method", WINDOWED)
def test_huge_window_is_clamped_quickly(method):
    start = time.perf_counter()
    ink = classical.METHODS[method](_PAGE, window=100001)
    assert time.perf_counter() - start < 20  # unclamped it pads to 10^10 pixels: out of memory
    assert np.array_equal(ink, classical.METHODS[method](_PAGE, window=601))
    T = classical.THRESHOLDS[method](_PAGE, window=7001)
    assert T.shape == (300, 300)


def test_logistic_windows_are_clamped():
    small = _PAGE[:40, :50]
    start = time.perf_counter()
    ink = logistic.logistic_binarize(small, background_window=100001, text_window=100001)
    assert time.perf_counter() - start < 20
    assert np.array_equal(ink, logistic.logistic_binarize(small, background_window=101, text_window=101))
    stats = logistic.local_statistics(small, background_window=100001)
    assert stats.background_window == 101
    assert np.array_equal(logistic.local_median(small, 100001), logistic.local_median(small, 101))
    assert np.array_equal(logistic.local_mean(small, 100001), logistic.local_mean(small, 101))


def test_registry_window_is_clamped():
    run = binkit.binarizer("sauvola", window=100001)
    assert np.array_equal(run(_PAGE), classical.sauvola(_PAGE, window=601))


def test_window_within_the_page_is_unchanged():
    # 301 fits a 300 x 300 page's limit (601): the result is the formula's, not the clamp's
    assert not np.array_equal(classical.sauvola(_PAGE, window=301), classical.sauvola(_PAGE, window=601))


def test_gridlstm_finds_no_ink_on_a_page_without_contrast():
    import binkit

    page = np.ones((96, 128), np.float32)
    page[::2] -= 1 / 255  # half the pixels one level darker: still no contrast
    assert not binkit.binarize(page, "gridlstm", device="cpu").any()


# ---------------------------------------------------------------- case 6: memory bounded by a band, not the page

LOCAL_METHODS = ["niblack", "sauvola", "wolf", "nick", "phansalkar", "bernsen", "bradley"]


def _tall_page():
    from binkit.datasets import synthetic_page

    return synthetic_page(7, size=(420, 160), font_size=(12, 16)).image


@pytest.mark.parametrize("window", [3, 51, 101])
@pytest.mark.parametrize("method", LOCAL_METHODS)
def test_banded_local_methods_equal_the_whole_page(method, window, monkeypatch):
    page = _tall_page()
    whole = classical.METHODS[method](page, window=window)
    monkeypatch.setattr(_threshold, "BAND_PIXELS", 1)  # bands of max(window, 64) rows: several per page
    assert len(list(_threshold.bands(page.shape, window))) >= 2
    banded = classical.METHODS[method](page, window=window)
    np.testing.assert_array_equal(banded, whole)
    assert 0.01 < whole.mean() < 0.9 or method == "niblack"


@pytest.mark.dibco
@pytest.mark.parametrize("method", ["sauvola", "wolf", "bernsen"])
def test_banded_local_methods_equal_the_whole_page_on_h_dibco_2016(method, dibco_root, monkeypatch):
    from binkit.datasets import load_dibco

    for sample in load_dibco(dibco_root, years=[2016])[:4]:
        monkeypatch.setattr(_threshold, "BAND_PIXELS", 1 << 40)
        whole = classical.METHODS[method](sample.image)
        monkeypatch.setattr(_threshold, "BAND_PIXELS", 1 << 16)
        np.testing.assert_array_equal(classical.METHODS[method](sample.image), whole)


@pytest.mark.parametrize("method", LOCAL_METHODS)
def test_local_methods_take_memory_by_the_band_not_by_the_page(method, monkeypatch):
    import tracemalloc

    page = np.tile(np.round(_tall_page() * 255).astype(np.uint8), (6, 16))  # 2520 x 2560: 6.5 MP
    monkeypatch.setattr(_threshold, "BAND_PIXELS", 1 << 20)  # 1 MP bands, as 4 MP ones on a 26-MP page
    assert len(list(_threshold.bands(page.shape, 51))) >= 6
    tracemalloc.start()
    try:
        ink = classical.METHODS[method](page)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert ink.shape == page.shape
    # the float32 page (4 B/px) and the bool output (1 B/px), plus bands: well under
    # the 85 B/px of a whole-page float64 surface with its integral images
    assert peak / page.size < 40, f"{method}: {peak / page.size:.1f} bytes per pixel"
