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
@given(blobby())
def test_lee_chen_literal_fallback(mask):
    """The literal sequential Lee-Chen scan (the fixed point's fallback) agrees too."""
    import binkit._pseudo_weights as mod

    old = mod._LC_ROUNDS
    try:
        mod._LC_ROUNDS = 1  # give up after one round: every scan with a chain falls back
        np.testing.assert_array_equal(PW.thin_lee_chen(mask), _thin_literal(mask))
    finally:
        mod._LC_ROUNDS = old


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
@given(st.integers(3, 60), st.integers(3, 60), st.integers(0, 2**32 - 1), st.integers(2, 5))
def test_propagation_cascades_equal_sequential(h, w, seed, k):
    """Larger maps, few values: changes cascade down many rows."""
    rng = np.random.default_rng(seed)
    valid = rng.random(h * w) < 0.9
    nr = np.where(valid, rng.integers(1, k, h * w), 0).astype(np.int32)
    fast = nr.copy()
    PW._propagate(fast, valid, h, w)
    np.testing.assert_array_equal(fast, _propagate_literal(nr, valid, h, w))


def _rings_literal(centers, lab_c, boxes, targets):
    """Per centre: the first non-empty box-clipped square ring, grown literally."""
    h, w = targets.shape
    out = []
    for c, lab in zip(centers.tolist(), lab_c.tolist()):
        y, x = divmod(c, w)
        y0, y1, x0, x1 = boxes[lab]
        got = None
        for r in range(h + w):
            ring = {
                (yy, xx)
                for yy in range(max(y - r, y0), min(y + r, y1) + 1)
                for xx in range(max(x - r, x0), min(x + r, x1) + 1)
                if max(abs(yy - y), abs(xx - x)) == r and targets[yy, xx]
            }
            if ring:
                got = (r, {yy * w + xx for yy, xx in ring})
                break
        out.append(got)
    return out


@FAST
@given(blobby(), st.integers(0, 2**32 - 1))
def test_ring_pairs_equal_literal_ring_growth(gt, seed):
    """Radius, and ring targets, of every centre against a literal search.

    Safe centres must be those whose unclipped square of that radius holds
    exactly the ring's targets (so the window tables may ignore the box).
    """
    rng = np.random.default_rng(seed)
    labels, n, boxes = PW._label8(gt)
    if n == 0:
        return
    targets = rng.random(gt.shape) < 0.1
    if not targets.any():
        return
    centers = np.flatnonzero(gt)
    lab_c = labels.ravel()[centers]
    rg = PW._chessboard(targets).ravel()[centers]
    found, radius, safe, pc, pt, _, _ = PW._ring_pairs(centers, rg, lab_c, boxes, targets, walk_safe=False)
    h, w = gt.shape
    for i, want in enumerate(_rings_literal(centers, lab_c, boxes, targets)):
        assert found[i] == (want is not None)
        if want is None:
            continue
        r, cells = want
        assert radius[i] == r
        if safe[i]:
            y, x = divmod(int(centers[i]), w)
            square = targets[max(y - r, 0) : y + r + 1, max(x - r, 0) : x + r + 1]
            assert int(square.sum()) == len(cells)
        else:
            assert set(pt[pc == i].tolist()) == cells


def test_gather_max_lanes_equal_single_gathers():
    rng = np.random.default_rng(0)
    gt = ndi.binary_dilation(rng.random((60, 70)) < 0.03, iterations=2)
    labels, n, boxes = PW._label8(~gt)
    targets = gt & ~ndi.binary_erosion(gt)
    centers = np.flatnonzero(~gt)
    rg = PW._chessboard(targets).ravel()[centers]
    rings = PW._Rings(centers, rg, labels.ravel()[centers], boxes, targets)
    nt = rings.tidx.size
    # 16-bit lanes, 32-bit lanes, and one gather per channel where neither fits
    for top, k in ((200, 3), (200, 4), (40_000, 2), (40_000, 3), (2**40, 2)):
        chans = [rng.integers(0, top, nt) for _ in range(k)]
        got = rings.gather_max_lanes(chans)
        for g, c in zip(got, chans):
            np.testing.assert_array_equal(g, rings.gather_max(c))


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
