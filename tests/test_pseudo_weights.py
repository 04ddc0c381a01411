"""Tests for binkit's pseudo-F weight generator: fast paths against literal ones."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import ndimage as ndi

from binkit import _pseudo_weights as PW
from binkit.io import read_gt
from binkit.metrics import pseudo_weights

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

masks = arrays(dtype=bool, shape=st.tuples(st.integers(3, 20), st.integers(3, 20)), elements=st.booleans())


@st.composite
def blobby(draw):
    """Masks with strokes and holes: random noise closed and dilated a little."""
    m = draw(arrays(dtype=bool, shape=(draw(st.integers(10, 40)), draw(st.integers(10, 40))),
                    elements=st.booleans()))
    it = draw(st.integers(0, 2))
    m = ndi.binary_opening(m, iterations=1)
    if it:
        m = ndi.binary_dilation(m, iterations=it)
    return m


def _code(img, y, x):
    h, w = img.shape
    c = 0
    for bit, (dy, dx) in enumerate(zip(PW._DY, PW._DX)):
        yy, xx = y + dy, x + dx
        if 0 <= yy < h and 0 <= xx < w and img[yy, xx]:
            c |= 1 << bit
    return c


def _thin_literal(mask):
    """Zhang-Suen by full parallel scans, then literal sequential Lee-Chen scans."""
    img = mask.copy()
    h, w = img.shape
    changed = True
    while changed:
        changed = False
        for lut in (PW._ZS1, PW._ZS2):
            dead = [(y, x) for y in range(h) for x in range(w) if img[y, x] and lut[_code(img, y, x)]]
            for y, x in dead:
                img[y, x] = False
            changed |= bool(dead)
    removed = True
    while removed:
        removed = False
        for y in range(h):
            for x in range(w):
                if img[y, x] and PW._LC[_code(img, y, x)]:
                    img[y, x] = False
                    removed = True
    return img


def test_lee_chen_table_has_the_four_special_entries():
    assert PW._LC.sum() == 68
    for code in (0x0E, 0x45, 0x54, 0xE0):
        assert PW._LC[code]


@FAST
@given(masks)
def test_thinning_equals_literal(mask):
    np.testing.assert_array_equal(PW.thin_lee_chen(mask), _thin_literal(mask))


@FAST
@given(blobby())
def test_thinning_equals_literal_on_strokes(mask):
    np.testing.assert_array_equal(PW.thin_lee_chen(mask), _thin_literal(mask))


def test_zhang_suen_erases_2x2_square():
    m = np.zeros((6, 6), bool)
    m[2:4, 2:4] = True
    assert not PW.thin_lee_chen(m).any()  # hence the centroid re-seeding


@FAST
@given(masks)
def test_chessboard_distance_is_exact(mask):
    if not mask.any():
        return
    d = PW._chessboard(mask)
    ty, tx = np.nonzero(mask)
    yy, xx = np.indices(mask.shape)
    brute = np.max(np.abs(np.stack([yy[..., None] - ty, xx[..., None] - tx])), axis=0).min(axis=-1)
    np.testing.assert_array_equal(d, brute)


def _propagate_literal(nr, valid, h, w):
    out = nr.copy()
    PW._propagate_sequential(out, valid, h, w)
    return out


@FAST
@given(st.integers(3, 12), st.integers(3, 12), st.integers(0, 2**32 - 1))
def test_rowwise_propagation_equals_sequential(h, w, seed):
    rng = np.random.default_rng(seed)
    valid = rng.random(h * w) < 0.8
    nr = np.where(valid, rng.integers(1, 4, h * w), 0).astype(np.int64)
    fast = nr.copy()
    PW._propagate(fast, valid, h, w)
    np.testing.assert_array_equal(fast, _propagate_literal(nr, valid, h, w))


@FAST
@given(st.integers(2, 10), st.integers(2, 10), st.integers(0, 2**32 - 1))
def test_ridge_adjust_equals_sequential(h, w, seed):
    rng = np.random.default_rng(seed)
    d = rng.integers(0, 3, h * w).astype(np.int64)
    skel = rng.random(h * w) < 0.7
    fast = d.copy()
    PW._ridge_adjust(fast, skel, h, w)
    lit = d.copy()
    for i in range(h * w):  # the organisers' in-place raster scan
        c = lit[i]
        if not (skel[i] and 0 < c < 250):
            continue
        y, x = divmod(i, w)
        nb = [lit[i - w] if y > 0 else c, lit[i + w] if y < h - 1 else c,
              lit[i - 1] if x > 0 else c, lit[i + 1] if x < w - 1 else c]
        if all(v == c for v in nb):
            lit[i] = c + 1
    np.testing.assert_array_equal(fast, lit)


@FAST
@given(blobby())
def test_window_tables_equal_explicit_ring_walk(gt):
    """The sparse-table ring queries give the same weights as walking every ring."""
    fast = pseudo_weights(gt)
    slow = PW.compute_pseudo_weights(gt, pairs_only=True)
    np.testing.assert_array_equal(fast[0], slow[0])
    np.testing.assert_array_equal(fast[1], slow[1])


@FAST
@given(blobby())
def test_weight_domains(gt):
    rw, pw = pseudo_weights(gt)
    assert rw.shape == pw.shape == gt.shape
    assert not rw[~gt].any() and not pw[gt].any()
    assert (rw >= 0).all() and (pw >= 0).all() and (pw <= 2).all()
    assert np.isfinite(rw).all() and np.isfinite(pw).all()


def test_empty_and_full_gt():
    z = np.zeros((12, 9), bool)
    rw, pw = pseudo_weights(z)
    assert not rw.any() and not pw.any()
    rw, pw = pseudo_weights(~z)
    assert rw.any() and not pw.any()


def test_single_pixel_and_line():
    g = np.zeros((9, 9), bool)
    g[4, 4] = True
    rw, _ = pseudo_weights(g)
    assert rw[4, 4] == 1.0  # a lone ink pixel carries the whole cross-section
    g = np.zeros((9, 20), bool)
    g[4, 2:18] = True
    rw, pw = pseudo_weights(g)
    assert (rw[4, 3:17] > 0).all()
    assert pw[3, 5] > 0  # a false positive touching the stroke costs more than 1


@pytest.mark.dibco
def test_window_tables_on_a_dibco_page(dibco_root):
    path = dibco_root / "2016" / "gt" / "2016_H10.png"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    gt = read_gt(path)
    fast = pseudo_weights(gt)
    slow = PW.compute_pseudo_weights(gt, pairs_only=True)
    np.testing.assert_array_equal(fast[0], slow[0])
    np.testing.assert_array_equal(fast[1], slow[1])
