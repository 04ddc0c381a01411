"""The pseudo-F weight maps of Ntirogiannis, Gatos and Pratikakis (IEEE TIP 2013).

binkit's own implementation of the weight generator the DIBCO organisers used
(``BinEvalWeights``, a closed Windows program).  It follows the published
reverse engineering of that program in the Doxa library
(B. M. Petty, ``Doxa/PseudoWeights.hpp``), which matches the organisers'
``.dat`` files bit for bit on the one page for which both are public; binkit
re-derives the same rules with numpy/scipy, vectorised where the rule allows.

Outline (the paper's Section III; GT = ground-truth ink)::

    recall side                              precision side
    -----------                              --------------
    8-connected GT components                8-connected page components
    contour: ink with a page 4-neighbour     same contour
    skeleton S: Zhang-Suen + Lee-Chen table  page skeleton (frame excluded)
    D  = chessboard distance to contour      Dp = same distance, on the page,
                                                  inside each component's
                                                  box grown by 2 Gsw
    NR = stroke cross-section normaliser     NP = stroke reach, or the half-gap
                                                  where two components nearly
                                                  merge
    GW = D / NR                              PW - 1 = min(Dp / NP, 2)

Several steps are deliberately odd (they reproduce the organisers' program,
not a textbook): the "first non-empty ring" searches are clipped to the
component's bounding box and aggregate *every* skeleton pixel at that ring
distance; some passes are sequential, in-place raster scans whose order
matters; one neighbour read uses a wrong column.  Each is commented where it
happens.  Everything is integer arithmetic until the final divisions, so the
result is exact, not approximately equal.
"""

from __future__ import annotations

import heapq

import numpy as np
from scipy import ndimage as ndi

__all__ = ["compute_pseudo_weights", "thin_lee_chen"]

_EIGHT = np.ones((3, 3), dtype=bool)

# A pixel "has a distance" when its (byte) distance value is in 1..249; 250 marks
# page pixels beyond every stroke's reach (paper: PW = 1 there).
_OUTSIDE = 250


# ---------------------------------------------------------------------------
# 8-neighbourhood codes and the thinning tables
# ---------------------------------------------------------------------------
#
# Bit k of a neighbourhood code is set when neighbour P(k+2) is on, in the
# order of Zhang-Suen's and Lee-Chen's papers:
#
#     P9 P2 P3          bit 7  bit 0  bit 1
#     P8 P1 P4    ->    bit 6    .    bit 2
#     P7 P6 P5          bit 5  bit 4  bit 3
#
_DY = np.array([-1, -1, 0, 1, 1, 1, 0, -1])
_DX = np.array([0, 1, 1, 1, 0, -1, -1, -1])


def _zhang_suen_lut(sub: int) -> np.ndarray:
    """256-entry table: True where Zhang-Suen sub-iteration ``sub`` deletes P1."""
    lut = np.zeros(256, dtype=bool)
    for code in range(256):
        p = [(code >> k) & 1 for k in range(8)]  # p[0] = P2 ... p[7] = P9
        b = sum(p)
        a = sum(1 for k in range(8) if p[k] == 0 and p[(k + 1) % 8] == 1)
        p2, p4, p6, p8 = p[0], p[2], p[4], p[6]
        if sub == 1:
            corners_clear = not (p2 and p4 and p6) and not (p4 and p6 and p8)
        else:
            corners_clear = not (p2 and p4 and p8) and not (p2 and p6 and p8)
        lut[code] = 2 <= b <= 6 and a == 1 and corners_clear
    return lut


_ZS1 = _zhang_suen_lut(1)
_ZS2 = _zhang_suen_lut(2)

# Lee & Chen (Pattern Recognition 25(5), 1992), Table 1, as used by the
# organisers' program: True = delete P1.  Written as the list of deletable
# codes (the table's 0x00 entries); every other code keeps P1.  It differs
# from the textbook table in codes 0x0E, 0x45, 0x54 and 0xE0.
_LEE_CHEN_DELETE = (
    0x05, 0x0D, 0x0E, 0x14, 0x16, 0x17, 0x1D,
    0x34, 0x35, 0x36, 0x37, 0x3D,
    0x41, 0x43, 0x45, 0x47, 0x4D, 0x4F,
    0x50, 0x53, 0x54, 0x56, 0x58, 0x59, 0x5B, 0x5C, 0x5E,
    0x61, 0x63, 0x65, 0x67, 0x6D, 0x6F,
    0x71, 0x73, 0x74, 0x76, 0x79, 0x7B,
    0x85, 0x8D, 0x95, 0x97, 0x9D,
    0xB5, 0xB7, 0xBD, 0xBF,
    0xC5, 0xCD,
    0xD0, 0xD1, 0xD3, 0xD4, 0xD6, 0xD8, 0xD9, 0xDB, 0xDC, 0xDE,
    0xE0, 0xE5, 0xED, 0xEF,
    0xF4, 0xF6, 0xFB, 0xFE,
)
_LC = np.zeros(256, dtype=bool)
_LC[list(_LEE_CHEN_DELETE)] = True


def _codes(flat: np.ndarray, idx: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Neighbourhood codes (uint8) of the pixels ``idx`` of a padded, flattened 0/1 uint8 image."""
    code = flat[idx + offsets[0]].copy()
    for bit in range(1, 8):
        nb = flat[idx + offsets[bit]]
        nb <<= bit
        code |= nb
    return code


def _shifted_views(a: np.ndarray, offsets: np.ndarray, base: int):
    """Views of a flat padded array with ``view_k[q] == a[q + base + offsets[k]]``.

    Thinning works on positions ``q = i - base`` (``base`` = the largest
    ``|offset|``), so that a neighbour read is a plain ``take`` from a
    shifted view: no index arithmetic per pixel and neighbour.
    """
    n = a.size
    return [a[base + o : n - base + o] for o in offsets]


def _view_codes(views, q: np.ndarray) -> np.ndarray:
    """Neighbourhood codes (uint8) of positions ``q``, from :func:`_shifted_views`."""
    code = views[0].take(q)
    for bit in range(1, 8):
        nb = views[bit].take(q)
        nb <<= bit
        code |= nb
    return code


def thin_lee_chen(mask: np.ndarray) -> np.ndarray:
    """Skeleton of a bool mask: Zhang-Suen thinning, then Lee-Chen clean-up.

    Zhang & Suen (Comm. ACM 27(3), 1984) peel the boundary in two parallel
    sub-iterations until nothing changes.  The result can still hold
    two-pixel-thick corners, which the Lee-Chen Table-1 pass removes: a
    *sequential* raster scan that deletes a pixel as soon as the table says
    so (a later pixel sees the hole), repeated until a scan deletes nothing.
    Pixels outside the image count as background.

    Parameters
    ----------
    mask : (H, W) ndarray of bool

    Returns
    -------
    skeleton : (H, W) ndarray of bool
        A subset of ``mask``.  Small blobs (a 2x2 square, for instance) can
        vanish completely; the weight generator re-seeds them.
    """
    h, w = mask.shape
    if not mask.any():
        return np.zeros((h, w), dtype=bool)
    wp = w + 2
    img = np.zeros((h + 2, wp), dtype=np.uint8)
    img[1:-1, 1:-1] = mask
    flat = img.ravel()
    offsets = _DY * wp + _DX
    base = wp + 1
    views = _shifted_views(flat, offsets, base)
    centre = flat[base : flat.size - base]  # centre[q] is pixel q itself

    # Only boundary pixels can be deleted (an interior pixel has 8 neighbours,
    # more than the 6 the rule allows), and a pixel's verdict under a
    # sub-iteration's rule changes only when its neighbourhood does.  So
    # sub-iteration t examines the initial boundary (t = 0, 1) and the pixels
    # next to a deletion of sub-iteration t - 1 or t - 2: after surviving one
    # sub-iteration of each kind unchanged, a pixel cannot go until a
    # neighbour does.  Same result as scanning the whole image, at the cost
    # of the shrinking boundary only.
    interior = img[1:-1, 1:-1].copy()
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy or dx:
                interior &= img[1 + dy : h + 1 + dy, 1 + dx : w + 1 + dx]
    edge = np.zeros_like(img)
    edge[1:-1, 1:-1] = img[1:-1, 1:-1] & ~interior
    cand = np.flatnonzero(edge) - base
    prev = cand  # the pixels next to the previous sub-iteration's deletions
    # `seen` marks the pixels collected next to this sub-iteration's
    # deletions, so each is listed once without sorting (a bool array keeps
    # the random accesses in cache better than a table of positions).
    seen = np.zeros(flat.size, dtype=bool)
    seen_centre = seen[base : flat.size - base]
    seen_views = _shifted_views(seen, offsets, base)
    luts = (_ZS1, _ZS2)
    t = 0
    while cand.size:
        dead = cand[luts[t & 1][_view_codes(views, cand)]]
        centre[dead] = 0  # parallel rule: all decisions above used the old image
        parts = []
        for k in range(8):
            # the neighbours in direction k that are on and not yet listed
            # (distinct, since the dead pixels are)
            d = dead[views[k].take(dead).view(bool) & ~seen_views[k].take(dead)]
            seen_views[k][d] = True
            parts.append(d + offsets[k])
        nb = np.concatenate(parts)
        prev = prev[centre.take(prev).view(bool) & ~seen_centre.take(prev)]
        seen_centre[nb] = False
        cand = np.concatenate([nb, prev])
        prev = nb
        t += 1

    # Lee-Chen clean-up: sequential raster scans in place, until a scan
    # deletes nothing.  When the scan reaches pixel P, its earlier neighbours
    # (NW, N, NE, W) hold their final state and its later ones (E, SW, S,
    # SE) their state at the start of the scan.  So the set of deleted
    # pixels is the one solution of "P is deleted iff the table deletes its
    # start-of-scan code with the deleted earlier neighbours cleared" (the
    # dependencies run forward in raster order, a DAG).  Iterating that rule
    # from "delete every candidate" settles one more link of each chain of
    # interacting deletions per round; a fixed point is the scan's result.
    # Chains are short in practice; a long one falls back to the literal
    # scan.
    on = np.flatnonzero(centre)
    dead = np.zeros(flat.size, dtype=bool)
    dead_centre = dead[base : flat.size - base]
    dead_views = _shifted_views(dead, offsets, base)
    earlier = [(dead_views[bit], np.uint8(1 << bit)) for bit in (7, 0, 1, 6)]
    while on.size:
        code0 = _view_codes(views, on)
        gone = _LC[code0]
        if not gone.any():
            break
        for _ in range(_LC_ROUNDS):
            dead_centre[on] = gone
            code = code0.copy()
            for view, bit in earlier:
                code[view.take(on)] &= ~bit
            nxt = _LC[code]
            if np.array_equal(nxt, gone):
                break
            gone = nxt
        else:
            gone = _lee_chen_scan(flat, on + base, offsets, wp)
        centre[on[gone]] = 0
        dead_centre[on] = False
        on = on[~gone]
    return img[1:-1, 1:-1].astype(bool)


_LC_ROUNDS = 64  # fixed-point rounds per Lee-Chen scan before the literal scan


def _lee_chen_scan(flat, on, offsets, wp) -> np.ndarray:
    """One literal sequential Lee-Chen scan over the pixels ``on`` (sorted
    flat indices of a padded image); returns which of them it deletes.

    ``flat`` is left unchanged.  Only candidates can be deleted, and a
    deletion can only make a *later* pixel (E, SW, S, SE) a candidate, so a
    heap of positions in raster order replaces the full scan.
    """
    work = flat.copy()
    heap = on[_LC[_codes(work, on, offsets)]].tolist()
    heapq.heapify(heap)
    later = (1, wp - 1, wp, wp + 1)
    last = -1
    while heap:
        i = heapq.heappop(heap)
        if i == last or not work[i]:
            continue
        last = i
        code = 0
        for bit in range(8):
            if work[i + offsets[bit]]:
                code |= 1 << bit
        if _LC[code]:
            work[i] = 0
            for off in later:
                if work[i + off]:
                    heapq.heappush(heap, i + off)
    return work[on] == 0


# ---------------------------------------------------------------------------
# small raster tools
# ---------------------------------------------------------------------------


def _label8(mask: np.ndarray):
    """8-connected labels (raster order of first pixel) and inclusive boxes.

    Returns ``labels`` (H, W) int32, ``n``, and ``boxes`` (n + 1, 4) int64 with
    rows ``(y0, y1, x0, x1)``; row 0 is unused.
    """
    labels, n = ndi.label(mask, structure=_EIGHT)
    boxes = np.zeros((n + 1, 4), dtype=np.int64)
    for k, sl in enumerate(ndi.find_objects(labels), start=1):
        boxes[k] = (sl[0].start, sl[0].stop - 1, sl[1].start, sl[1].stop - 1)
    return labels, n, boxes


def _chessboard(targets: np.ndarray) -> np.ndarray:
    """Chessboard (Chebyshev) distance of every pixel to the nearest target.

    scipy's two-pass chamfer transform with unit 3x3 weights is exact for
    this metric.  Returns int32; a huge value everywhere when there are no
    targets.
    """
    if not targets.any():
        return np.full(targets.shape, np.iinfo(np.int32).max, dtype=np.int32)
    return ndi.distance_transform_cdt(~targets, metric="chessboard")


def _seed_empty_components(skel: np.ndarray, labels: np.ndarray, n: int, boxes: np.ndarray) -> None:
    """Give every component a skeleton pixel (in place).

    Thinning can erase a small blob entirely (Zhang-Suen deletes a 2x2 square).
    Such a component gets its rounded centroid as skeleton, or its first pixel
    in raster order if the centroid falls outside it.
    """
    if n == 0:
        return
    has = np.zeros(n + 1, dtype=bool)
    has[labels[skel]] = True
    missing = np.flatnonzero(~has[1:]) + 1
    if missing.size == 0:
        return
    h, w = labels.shape
    for c in missing.tolist():
        y0, y1, x0, x1 = boxes[c]
        own = labels[y0 : y1 + 1, x0 : x1 + 1] == c
        ys, xs = np.nonzero(own)
        # llround of the mean; coordinates are >= 0, so floor(v + 0.5).
        cy = int(np.floor(ys.sum() / ys.size + 0.5)) + y0
        cx = int(np.floor(xs.sum() / xs.size + 0.5)) + x0
        if 0 <= cy < h and 0 <= cx < w and labels[cy, cx] == c:
            skel[cy, cx] = True
        else:
            skel[y0 + ys[0], x0 + xs[0]] = True  # nonzero() is in raster order


def _clamped_neighbours(h: int, w: int, idx: np.ndarray):
    """Flat indices of the up, down, left, right neighbours, clamped to the image
    (a pixel on the border is its own neighbour on that side)."""
    y, x = np.divmod(idx, w)
    up = np.where(y > 0, idx - w, idx)
    dn = np.where(y < h - 1, idx + w, idx)
    lf = np.where(x > 0, idx - 1, idx)
    rt = np.where(x < w - 1, idx + 1, idx)
    return up, dn, lf, rt


def _has_distance(d: np.ndarray) -> np.ndarray:
    return (d != 0) & (d < _OUTSIDE)


def _ridge_adjust(d: np.ndarray, skel_flat: np.ndarray, h: int, w: int) -> None:
    """Raise D by 1 on flat skeleton ridges (in place, flat int array).

    A skeleton pixel whose four (clamped) 4-neighbours all carry its own value
    sits on a flat ridge; its medial radius is one more.  The organisers'
    program does this in place in raster order, so a raised pixel breaks the
    equality for its right and lower neighbours.  Only candidates whose upper
    or left neighbour is also a candidate depend on that order; they are
    resolved sequentially, the rest at once.
    """
    idx = np.flatnonzero(skel_flat & _has_distance(d))
    if idx.size == 0:
        return
    up, dn, lf, rt = _clamped_neighbours(h, w, idx)
    c = d[idx]
    cand = idx[(d[up] == c) & (d[dn] == c) & (d[lf] == c) & (d[rt] == c)]
    if cand.size == 0:
        return
    is_cand = np.zeros(d.size, dtype=bool)
    is_cand[cand] = True
    cu, _, cl, _ = _clamped_neighbours(h, w, cand)
    dependent = (is_cand[cu] & (cu != cand)) | (is_cand[cl] & (cl != cand))
    raised = np.zeros(d.size, dtype=bool)
    raised[cand[~dependent]] = True
    for i, u, l in zip(cand[dependent].tolist(), cu[dependent].tolist(), cl[dependent].tolist()):
        # cand is sorted, so u and l were settled before i.
        if not (raised[u] and u != i) and not (raised[l] and l != i):
            raised[i] = True
    d[raised] += 1


def _ring_pairs(centers, radius_global, lab_c, boxes, targets2d, walk_safe=True):
    """Targets on each centre's first non-empty square ring inside its box.

    For a centre p in component c the organisers' program grows a square
    ring R = 0, 1, 2, ... around p, clipped to c's bounding box, and stops at
    the first R whose ring holds a target; *all* targets on that ring take
    part.  Equivalently: R is the chessboard distance from p to the nearest
    target inside the box, and the targets are those at exactly that
    distance inside the box.

    No ring comes before the unrestricted distance ``radius_global`` (rg),
    and the square of radius rg holds targets on its rim only.  Where that
    square fits in the box, or merely holds no target outside the box, the
    box changes nothing ("safe" centres).  For the others (near their box's
    edge) the ring radius is rg if the box-clipped square holds a target,
    and otherwise the restricted distance, found by a vectorised binary
    search; both use box counts on a summed-area table of the targets.

    ``lab_c`` are the centres' component labels and ``boxes`` the
    components' boxes (rows ``y0, y1, x0, x1``).

    Returns ``(found, radius, safe, pair_centre, pair_cell, cy, cx)``: which centres
    found a target, the ring radius, which centres are safe, and one (centre
    position, target flat index) pair per target on the ring of every unsafe
    centre (of every centre if ``walk_safe``).  Duplicate pairs are possible
    and harmless for the max- and last-writer reductions that use them;
    ``cy, cx`` are the centres' coordinates.
    """
    h, w = targets2d.shape
    targets_flat = targets2d.ravel()
    m = centers.size
    found = np.zeros(m, dtype=bool)
    radius = np.zeros(m, dtype=np.int64)
    cy, cx = np.divmod(centers, w)
    if m == 0 or not targets_flat.any():
        e = np.zeros(0, dtype=np.int64)
        return found, radius, np.zeros(m, dtype=bool), e, e, cy, cx
    big = h + w
    # The boxes by column: gathering rows of a 2-D array is much slower.
    b_y0, b_y1, b_x0, b_x1 = np.ascontiguousarray(boxes.T)

    def box_of(lab):
        return b_y0.take(lab), b_y1.take(lab), b_x0.take(lab), b_x1.take(lab)

    # A box that spans the whole image (the main page component, usually)
    # clips nothing: its centres are all safe, no per-pixel margin needed.
    spans = (b_y0 == 0) & (b_y1 == h - 1) & (b_x0 == 0) & (b_x1 == w - 1)
    margin = np.full(m, big, dtype=np.int64)
    part = np.flatnonzero(~spans.take(lab_c))
    if part.size:
        y0, y1, x0, x1 = box_of(lab_c[part])
        py, px = cy[part], cx[part]
        margin[part] = np.minimum.reduce([
            np.where(y0 == 0, big, py - y0),
            np.where(y1 == h - 1, big, y1 - py),
            np.where(x0 == 0, big, px - x0),
            np.where(x1 == w - 1, big, x1 - px),
        ])
    safe = radius_global <= margin
    found = safe.copy()
    radius = np.where(safe, radius_global, 0).astype(np.int64)

    out_c, out_t = [], []
    risky = np.flatnonzero(~safe)
    if risky.size:
        integral = _integral(targets2d)
        ry, rx = cy[risky], cx[risky]
        by0, by1, bx0, bx1 = box_of(lab_c[risky])

        def count(r, y0=by0, y1=by1, x0=bx0, x1=bx1):
            """targets in the square of radius r around each risky centre, clipped to y0..x1"""
            ya = np.maximum(ry - r, y0)
            yb = np.minimum(ry + r, y1) + 1
            xa = np.maximum(rx - r, x0)
            xb = np.minimum(rx + r, x1) + 1
            return integral[yb, xb] - integral[ya, xb] - integral[yb, xa] + integral[ya, xa]

        rg = radius_global[risky].astype(np.int64)
        at_rg = count(rg)
        safe[risky[at_rg == count(rg, 0, h - 1, 0, w - 1)]] = True
        hi = np.maximum.reduce([ry - by0, by1 - ry, rx - bx0, bx1 - rx])
        ok = (at_rg > 0) | (count(hi) > 0)
        lo = np.where(at_rg > 0, rg, rg + 1)
        hi = np.where(at_rg > 0, rg, hi)
        # smallest r in [lo, hi] with count(r) > 0 (monotone in r)
        while True:
            active = ok & (lo < hi)
            if not active.any():
                break
            mid = (lo + hi) // 2
            got = count(mid) > 0
            hi = np.where(active & got, mid, hi)
            lo = np.where(active & ~got, mid + 1, lo)
        found[risky] = ok
        radius[risky] = np.where(ok, lo, 0)
        sel = np.flatnonzero(found & ~safe)
        if sel.size:
            bs = box_of(lab_c[sel])
            _walk_clipped(sel, radius[sel], cy[sel], cx[sel], bs, centers[sel], targets_flat, w, out_c, out_t)

    # Safe centres: the ring's targets all lie inside the box, so no clipping
    # is needed on a padded copy.
    sel = np.flatnonzero(safe) if walk_safe else np.zeros(0, dtype=np.int64)
    if sel.size:
        _walk_groups(sel, radius[sel], cy[sel], cx[sel], targets2d, out_c, out_t)
    pc = np.concatenate(out_c) if out_c else np.zeros(0, dtype=np.int64)
    pt = np.concatenate(out_t) if out_t else np.zeros(0, dtype=np.int64)
    return found, radius, safe, pc, pt, cy, cx


def _ring_offsets(r: int, wq: int) -> np.ndarray:
    """Flat offsets of the square ring of chessboard radius r (row width wq)."""
    if r == 0:
        return np.zeros(1, dtype=np.int64)
    k = np.arange(-r, r + 1)
    side = np.arange(-r + 1, r)
    return np.concatenate([-r * wq + k, r * wq + k, side * wq - r, side * wq + r])


def _groups(radii):
    """Positions grouped by equal radius: yields (r, index array)."""
    order = np.argsort(radii, kind="stable")
    rs = radii[order]
    cuts = np.flatnonzero(np.diff(rs)) + 1
    for grp in np.split(order, cuts):
        if grp.size:
            yield int(radii[grp[0]]), grp


def _walk_groups(sel, radii, cy, cx, targets2d, out_c, out_t) -> None:
    """Unclipped ring walks: one (``sel`` entry, target flat index) pair per
    target on the ring of radius ``radii`` around ``(cy, cx)``."""
    h, w = targets2d.shape
    pad = int(radii.max())
    wq = w + 2 * pad
    tq = np.zeros((h + 2 * pad, wq), dtype=bool)
    tq[pad : pad + h, pad : pad + w] = targets2d
    tq = tq.ravel()
    base = (cy + pad) * wq + (cx + pad)
    for r, grp in _groups(radii):
        off = _ring_offsets(r, wq)
        # chunk so a group never builds more than ~4M cells at once
        step = max(1, 4_000_000 // off.size)
        for s0 in range(0, grp.size, step):
            g = grp[s0 : s0 + step]
            cells = base[g, None] + off[None, :]
            rows, cols = np.nonzero(tq[cells])
            if rows.size:
                hit = cells[rows, cols]
                ty, tx = np.divmod(hit, wq)
                out_c.append(sel[g[rows]])
                out_t.append((ty - pad) * w + (tx - pad))


def _walk_clipped(sel, radii, cy, cx, bs, centers, targets_flat, w, out_c, out_t) -> None:
    """Ring walk with every cell clipped to the centre's box (risky centres).

    ``cy``, ``cx``, ``bs`` (the boxes' y0, y1, x0, x1 columns) and
    ``centers`` are given for ``sel`` only.
    """
    for r, grp in _groups(radii):
        py, px = cy[grp, None], cx[grp, None]
        ya, yb, xa, xb = (c[grp, None] for c in bs)
        if r == 0:
            cells = centers[grp, None]
        else:
            k = np.arange(-r, r + 1)[None, :]
            xs_run = np.clip(px + k, xa, xb)
            ys_run = np.clip(py + k, ya, yb)
            # Clipping can revisit cells nearer than r; they hold no target
            # (r is the smallest radius with one), and repeats are harmless.
            top = np.clip(py - r, ya, yb) * w + xs_run
            bot = np.clip(py + r, ya, yb) * w + xs_run
            lft = ys_run * w + np.clip(px - r, xa, xb)
            rgt = ys_run * w + np.clip(px + r, xa, xb)
            cells = np.concatenate([top, bot, lft, rgt], axis=1)
        rows, cols = np.nonzero(targets_flat[cells])
        out_c.append(sel[grp[rows]])
        out_t.append(cells[rows, cols])


def _shrink(t, hh, axis):
    """``max(t[i], t[i + hh])`` along ``axis``: squares of side 2hh from side hh."""
    n = t.shape[axis]
    a = [slice(None)] * t.ndim
    b = [slice(None)] * t.ndim
    a[axis] = slice(0, n - hh)
    b[axis] = slice(hh, n)
    return np.maximum(t[tuple(a)], t[tuple(b)])


def _spread(u, hh, axis, fill):
    """Inverse of :func:`_shrink` for scatters: ``v[i] = max(u[i], u[i - hh])``
    along ``axis`` (terms out of range omitted; ``fill`` where both are),
    hh elements longer."""
    n = u.shape[axis]
    shape = list(u.shape)
    shape[axis] = n + hh
    v = np.empty(shape, dtype=u.dtype)

    def sl(lo, hi):
        s = [slice(None)] * u.ndim
        s[axis] = slice(lo, hi)
        return tuple(s)

    if hh < n:
        v[sl(0, hh)] = u[sl(0, hh)]
        np.maximum(u[sl(hh, n)], u[sl(0, n - hh)], out=v[sl(hh, n)])
        v[sl(n, n + hh)] = u[sl(n - hh, n)]
    else:  # the two shifted copies do not overlap
        v[sl(0, n)] = u
        v[sl(n, hh)] = fill
        v[sl(hh, hh + n)] = u
    return v


class _Rings:
    """First-non-empty-ring queries for many centres at once.

    Built from :func:`_ring_pairs`' analysis.  Safe centres (whose square
    of radius R holds no target outside their box) are answered with
    square-window range maxima over a sparse table of power-of-two squares:
    a window of side s = 2R + 1 is the union of four squares of side
    2^floor(log2 s), the "level" of the centre.  The table is built level
    by level over the whole (padded) image, so a level that only a handful
    of centres need costs more than walking their rings; those centres, and
    the few unsafe ones, use explicit (centre, target) pairs instead.
    ``pairs_only=True`` answers everything from explicit pairs: slower,
    used by the tests as an independent check.

    Values and results live on the targets only: ``tidx`` lists the target
    pixels (flat, raster order), and per-target arrays follow that order.
    """

    def __init__(self, centers, radius_global, lab_c, boxes, targets2d, pairs_only=False):
        h, w = targets2d.shape
        self.h, self.w = h, w
        tf = targets2d.ravel()
        self.tidx = np.flatnonzero(tf)
        found, radius, safe, pc, pt, cy, cx = _ring_pairs(
            centers, radius_global, lab_c, boxes, targets2d, walk_safe=pairs_only
        )
        self.found, self.n = found, centers.size
        sel = np.flatnonzero(found & safe) if not pairs_only else np.zeros(0, np.int64)
        out_c, out_t = [pc], [pt]
        self.levels = []  # per level k: (centres, four anchor arrays), or None
        if sel.size:
            r = radius[sel]
            level_of = np.floor(np.log2(2 * np.arange(int(r.max()) + 1) + 1)).astype(np.uint8)
            level = level_of[r]
            # A table level costs a few passes over the image; walking a ring
            # costs 8R reads.  Walk the top levels' centres while that is
            # cheaper (typically a handful of centres far from any target).
            counts = np.bincount(level)
            top = counts.size - 1
            while top > 0:
                far = level == top
                if int(counts[top]) * 8 * int(r[far].max()) > h * w // 4:
                    break
                walk = sel[far]
                _walk_groups(walk, radius[walk], cy[walk], cx[walk], targets2d, out_c, out_t)
                keep = ~far
                sel, r, level = sel[keep], r[keep], level[keep]
                top -= 1
                while top > 0 and counts[top] == 0:
                    top -= 1
        if sel.size:
            self.pad = p = int(r.max())
            hq, wq = h + 2 * p, w + 2 * p
            self.shape = (hq, wq)
            ty, tx = np.divmod(self.tidx, w)
            self.tpos = (ty + p) * wq + (tx + p)  # targets in the padded table
            for k in range(int(level.max()) + 1):
                at = np.flatnonzero(level == k)
                if at.size == 0:
                    self.levels.append(None)
                    continue
                s = sel[at]
                rr = r[at]
                side = 1 << k
                wk = wq - side + 1  # width of the level-k table
                # the four squares' top-left corners: (y - r, x - r) in the
                # padded table, and that moved by 2r + 1 - side down/right
                a0 = (cy[s] - rr) * wk
                a0 += cx[s] - rr
                a0 += p * (wk + 1)
                step = 2 * rr + (1 - side)
                a1 = a0 + step
                step *= wk
                self.levels.append((s, (a0, a1, a0 + step, a1 + step)))
        self.sel = sel
        pc = np.concatenate(out_c) if len(out_c) > 1 else pc
        pt = np.concatenate(out_t) if len(out_t) > 1 else pt
        self.pc, self.pt = pc, np.searchsorted(self.tidx, pt)  # pt: target ordinals

    @staticmethod
    def _dtype(values, sentinel):
        # int32 halves the memory traffic of the tables; every value used
        # here (D * factor <= 62250, labels, ranks, widths) fits.
        lim = np.iinfo(np.int32)
        if lim.min < sentinel < lim.max and (
            values.size == 0 or (lim.min < values.min() and values.max() < lim.max)
        ):
            return np.int32
        return np.int64

    def gather_max(self, values, sentinel=-1):
        """Per centre: max of ``values`` (one per target, in ``tidx`` order)
        over the targets on its ring; ``sentinel`` for centres without a
        target.  Returns int64."""
        values = np.asarray(values)
        out = np.full(self.n, sentinel, dtype=np.int64)
        if self.sel.size:
            dtype = self._dtype(values, sentinel)
            t = np.full(self.shape, sentinel, dtype=dtype)
            t.ravel()[self.tpos] = values
            for k, lev in enumerate(self.levels):
                if k:
                    hh = 1 << (k - 1)
                    t = _shrink(_shrink(t, hh, 0), hh, 1)
                if lev is None:
                    continue
                s, anchors = lev
                tf = t.ravel()
                acc = tf.take(anchors[0])
                for a in anchors[1:]:
                    np.maximum(acc, tf.take(a), out=acc)
                out[s] = acc
        if self.pt.size:
            np.maximum.at(out, self.pc, values[self.pt])
        return out

    def gather_max_lanes(self, channels, sentinel=-1):
        """Several :meth:`gather_max` at once: one table pass for all.

        Small values are packed as 16-bit (or 32-bit) lanes of one 64-bit
        word: the table and the reads move words, the maxima are taken lane
        by lane, so each channel's result is exact.  Falls back to one
        gather per channel when the values do not fit.  Returns a list of
        int64 arrays (n,), one per channel.
        """
        k = len(channels)
        lanes = None
        if self.sel.size:
            lo = min(int(c.min()) for c in channels) if self.tidx.size else 0
            hi = max(int(c.max()) for c in channels) if self.tidx.size else 0
            for dt in (np.int16, np.int32):
                lim = np.iinfo(dt)
                if k <= 64 // lim.bits and lim.min < min(lo, sentinel) and hi < lim.max:
                    lanes = dt
                    break
        if lanes is None:
            return [self.gather_max(c, sentinel) for c in channels]
        nl = 8 // np.dtype(lanes).itemsize  # lanes per word
        t = np.full(self.shape + (nl,), sentinel, dtype=lanes)
        tv = t.reshape(-1, nl)
        for c, v in enumerate(channels):
            tv[self.tpos, c] = v
        out = np.full((self.n, nl), sentinel, dtype=lanes)
        out64 = out.view(np.int64).ravel()
        for lv, lev in enumerate(self.levels):
            if lv:
                hh = 1 << (lv - 1)
                t = _shrink(_shrink(t, hh, 0), hh, 1)
            if lev is None:
                continue
            s, anchors = lev
            words = t.reshape(-1, nl).view(np.int64).ravel()
            acc = words.take(anchors[0]).view(lanes)
            for a in anchors[1:]:
                np.maximum(acc, words.take(a).view(lanes), out=acc)
            out64[s] = acc.view(np.int64)
        res = [out[:, c].astype(np.int64) for c in range(k)]
        if self.pt.size:
            for r, v in zip(res, channels):
                np.maximum.at(r, self.pc, np.asarray(v)[self.pt])
        return res

    def scatter_max(self, keys, sentinel=-1):
        """Per target (in ``tidx`` order): max of the ``keys`` (one per
        centre) of the centres whose ring holds it; ``sentinel`` if none.
        Returns int64."""
        keys = np.asarray(keys)
        out = np.full(self.tidx.size, sentinel, dtype=np.int64)
        if self.sel.size:
            dtype = self._dtype(keys, sentinel)
            hq, wq = self.shape
            u = None
            for k in range(len(self.levels) - 1, -1, -1):
                side = 1 << k
                if u is None:
                    u = np.full((hq - side + 1, wq - side + 1), sentinel, dtype=dtype)
                else:
                    # level k + 1 squares cover four level-k squares: push down
                    u = _spread(_spread(u, side, 0, sentinel), side, 1, sentinel)
                lev = self.levels[k]
                if lev is None:
                    continue
                s, anchors = lev
                uf = u.ravel()
                kk = keys[s].astype(dtype)
                for a in anchors:
                    np.maximum.at(uf, a, kk)
            out[:] = u.ravel()[self.tpos]
        if self.pt.size:
            np.maximum.at(out, self.pt, keys[self.pc])
        return out


def _cumsum_rows(a: np.ndarray) -> None:
    """In-place cumulative sum down the rows of a 2-D C-contiguous array.

    One contiguous add per row: numpy's ``cumsum(axis=0)`` walks the
    columns with a stride and is 2-3x slower on large images.
    """
    for y in range(1, a.shape[0]):
        np.add(a[y], a[y - 1], out=a[y])


def _integral(mask: np.ndarray) -> np.ndarray:
    """Summed-area table of a bool mask, with a zero first row and column."""
    dtype = np.int32 if mask.size < 2**31 else np.int64
    s = np.zeros((mask.shape[0] + 1, mask.shape[1] + 1), dtype=dtype)
    np.cumsum(mask, axis=1, dtype=dtype, out=s[1:, 1:])
    _cumsum_rows(s[1:])
    return s


def _endpoint_pass(factor, skel_flat, labels_flat, h, w) -> None:
    """Skeleton end points inherit their one neighbour's factor + 1 (in place).

    The organisers' program counts the skeleton pixels among eight
    *clamped* neighbours (on the border a pixel can count itself) and, when
    there is exactly one, sets ``factor = neighbour's factor + 1``.  For the
    bottom-right neighbour it reads the factor at column 1 of the next row
    (``(row + 1) * W + 1`` instead of ``+ col + 1``), a slip kept here because
    the .dat files contain it.  Sequential, in component then raster order.
    """
    idx = np.flatnonzero(skel_flat)
    if idx.size == 0:
        return
    y, x = np.divmod(idx, w)
    a = np.where(x > 0, -1, 0)  # left step
    b = np.where(x < w - 1, 1, 0)  # right step
    c = np.where(y > 0, -1, 0)  # up step
    d = np.where(y < h - 1, 1, 0)  # down step
    checks = [  # (cell tested for skeleton, cell whose factor is read)
        ((y + c) * w + x, (y + c) * w + x),
        ((y + d) * w + x, (y + d) * w + x),
        (y * w + x + a, y * w + x + a),
        (y * w + x + b, y * w + x + b),
        ((y + c) * w + x + a, (y + c) * w + x + a),
        ((y + d) * w + x + b, (y + d) * w + b),  # sic: column b, not x + b
        ((y + d) * w + x + a, (y + d) * w + x + a),
        ((y + c) * w + x + b, (y + c) * w + x + b),
    ]
    count = np.zeros(idx.size, dtype=np.int64)
    source = np.full(idx.size, -1, dtype=np.int64)
    for cell, read in checks:
        on = skel_flat[cell]
        count += on
        source = np.where(on, read, source)
    ends = count == 1
    if not ends.any():
        return
    e_idx, e_src = idx[ends], source[ends]
    # component, then raster order (e_idx is in raster order already)
    order = np.argsort(labels_flat[e_idx], kind="stable")
    fac = factor  # uint8 flat
    for i, s in zip(e_idx[order].tolist(), e_src[order].tolist()):
        v = int(fac[s])
        if v > 0:
            fac[i] = (v + 1) & 0xFF


def _propagate(nr, valid_flat, h, w) -> None:
    """Spread the normaliser along strokes (in place, raster order).

    The organisers' program scans the pixels in raster order; a pixel whose
    four clamped neighbours are all non-zero and all differ from it takes its
    left neighbour's value, which may itself have just changed.

    Row by row this vectorises: the upper neighbour is already final, the
    lower and right ones are still original, so whether pixel i "fires"
    depends on the left neighbour only through "non-zero", which copying
    never changes.  A firing pixel, or one already equal to its left
    neighbour, ends with the left neighbour's final value, so each row is a
    forward fill from the last non-firing pixel.

    Only the few "potential" pixels (all four neighbours non-zero, the
    lower and right ones different) can fire, so the work is done on them
    alone: a run of consecutive firing pixels takes the value of the pixel
    just left of it.  A row's result depends on the other rows only through
    the final row above; all rows are first solved assuming the row above
    unchanged, then only the rows below a row that changed are redone, until
    nothing changes.  The outcome satisfies every row's equation, so it is
    the sequential result (usually after a few rounds).
    """
    if not valid_flat.any():
        return
    nz = nr != 0
    if (valid_flat & ~nz).any():
        _propagate_sequential(nr, valid_flat, h, w)
        return
    if h < 3 or w < 3:
        return  # every pixel is on the border, where a neighbour is itself
    v = nr.reshape(h, w)
    nz = nz.reshape(h, w)
    c = v[1:-1, 1:-1]
    pot = np.zeros((h, w), dtype=bool)
    pot[1:-1, 1:-1] = (
        valid_flat.reshape(h, w)[1:-1, 1:-1]
        & nz[:-2, 1:-1] & nz[2:, 1:-1] & nz[1:-1, :-2] & nz[1:-1, 2:]
        & (c != v[2:, 1:-1]) & (c != v[1:-1, 2:])
    )
    pos = np.flatnonzero(pot)  # sorted, so grouped by row
    if pos.size == 0:
        return
    orig = nr[pos]
    row = pos // w
    bounds = np.searchsorted(row, np.arange(h + 1))
    has = bounds[1:] > bounds[:-1]
    todo = np.flatnonzero(has)
    has = np.append(has, False)
    while todo.size:
        # the potential pixels of the rows in todo
        lo, cnt = bounds[todo], bounds[todo + 1] - bounds[todo]
        sel = np.repeat(lo - (np.cumsum(cnt) - cnt), cnt) + np.arange(int(cnt.sum()))
        p = pos[sel]
        fire = orig[sel] != nr[p - w]  # the row above as it stands
        before = nr[p]
        nr[p] = orig[sel]
        pf = p[fire]
        if pf.size:
            start = np.ones(pf.size, dtype=bool)
            np.not_equal(pf[1:] - 1, pf[:-1], out=start[1:])
            # the pixel left of a run does not fire: it holds its own value
            nr[pf] = nr[pf[start] - 1][np.cumsum(start) - 1]
        moved = row[sel[nr[p] != before]]
        below = np.unique(moved) + 1
        todo = below[has[below]]


def _propagate_sequential(nr, valid_flat, h, w) -> None:
    """Literal version of :func:`_propagate`, for maps holding valid zeros."""
    for i in np.flatnonzero(valid_flat).tolist():
        y, x = divmod(i, w)
        u = i - w if y > 0 else i
        dd = i + w if y < h - 1 else i
        l = i - 1 if x > 0 else i
        r = i + 1 if x < w - 1 else i
        cv, vu, vd, vl, vr = nr[i], nr[u], nr[dd], nr[l], nr[r]
        if vu and vd and vl and vr and cv != vu and cv != vd and cv != vl and cv != vr:
            nr[i] = nr[i - 1]


def _medial_normalisation(d, skel_flat, skel_dist_one, labels_flat, boxes, h, w, pairs_only=False):
    """The medial factor on the skeleton and the normaliser NR (paper Eq. 3).

    Parameters are flat arrays.  ``d`` is the distance map (D or Dp),
    ``skel_dist_one`` marks the skeleton pixels whose own distance to the
    skeleton is reported as 1 (for the ink: skeleton pixels off the contour;
    for the page: all of them).

    For every centre p (a pixel with a distance), let S_p be the skeleton
    pixels on p's first non-empty ring (see :func:`_ring_pairs`):

    * factor[q] = D[q] + (sd[p] >= D[q]) for q in S_p, where sd[p] is p's
      distance to the skeleton; when several centres reach q, the last one in
      (component, raster) order wins;
    * skeleton end points then inherit their neighbour's factor + 1;
    * NR[p] = max over q in S_p of D[q] factor[q], spread along strokes.
    """
    size = h * w
    skel2d = skel_flat.reshape(h, w)
    sdist = _chessboard(skel2d).ravel()

    valid = _has_distance(d)
    centers = np.flatnonzero(valid)
    lab_c = labels_flat[centers]
    rings = _Rings(centers, sdist[centers], lab_c, boxes, skel2d, pairs_only)
    found = rings.found

    factor = skel_flat.astype(np.uint8)
    # Last writer in (component, raster) order = the centre of largest rank
    # in that order.  The centres are in raster order already, so a stable
    # sort by label ranks them (small keys keep the scatter table in int32).
    by_order = np.argsort(lab_c, kind="stable")
    rank = np.empty(centers.size, dtype=np.int64)
    rank[by_order] = np.arange(centers.size)
    last = rings.scatter_max(rank)  # per skeleton pixel
    reached = last >= 0
    q = rings.tidx[reached]
    p = centers[by_order[last[reached]]]
    sdp = np.where(skel_dist_one[p], 1, sdist[p] & 0xFF)  # p's distance to the skeleton
    dq = d[q]
    factor[q] = (dq + (sdp >= dq)).astype(np.uint8)
    _endpoint_pass(factor, skel_flat, labels_flat, h, w)

    # D * factor <= 255 * 255: int32 halves the memory traffic of NR
    nr = np.zeros(size, dtype=np.int32)
    sk = rings.tidx
    best = rings.gather_max(d[sk].astype(np.int64) * factor[sk])
    nr[centers[found]] = best[found]
    _propagate(nr, valid, h, w)
    return factor, nr


def compute_pseudo_weights(gt, *, pairs_only=False) -> tuple[np.ndarray, np.ndarray]:
    """Recall and precision weights of the pseudo F-measure, from the GT alone.

    binkit's implementation of the weight generator of Ntirogiannis, Gatos
    and Pratikakis (IEEE TIP 22(2), 2013), following the reverse-engineered
    rules of the organisers' program (see the module docstring).

    Parameters
    ----------
    gt : (H, W) ndarray of bool
        Ground truth, True = ink.

    Returns
    -------
    recall_weights : (H, W) ndarray of float64
        GW = D / NR on ink, 0 on the page.  D is the chessboard distance to
        the contour, NR about the sum of D across the local stroke, so the
        weights across a stroke add up to about 1.
    precision_weights : (H, W) ndarray of float64
        ``PW - 1 = min(Dp / NP, 2)`` on the page, 0 on ink and beyond each
        stroke's reach: the convention of the organisers' ``_PWeights.dat``
        files (the measure adds the 1 back).

    Notes
    -----
    Verified identical to the organisers' ``.dat`` files on the one page for
    which they are public (the 2John fixture of the Doxa project); other
    pages are unverified.  Weights made with skimage's skeletons or Euclidean
    distances would differ, and so would Fps.

    ``pairs_only=True`` answers every ring query by walking the rings
    explicitly instead of with the sparse window tables: slower, same
    result; the tests use it as an independent check.
    """
    ink = np.asarray(gt, dtype=bool)
    h, w = ink.shape
    size = h * w
    rw = np.zeros((h, w))
    pwm = np.zeros((h, w))
    if not ink.any():
        return rw, pwm
    ink_f = ink.ravel()

    # ---- recall side -------------------------------------------------------
    labels, n, boxes = _label8(ink)
    lab_f = labels.ravel()
    pad = np.pad(ink, 1)  # the frame counts as page
    contour = ink & ~(pad[:-2, 1:-1] & pad[2:, 1:-1] & pad[1:-1, :-2] & pad[1:-1, 2:])
    skel = thin_lee_chen(ink)
    _seed_empty_components(skel, labels, n, boxes)
    contour_f, skel_f = contour.ravel(), skel.ravel()

    cdist = _chessboard(contour).ravel()
    d = np.where(ink_f, cdist & 0xFF, 0)  # stored as a byte by the original
    d[contour_f & skel_f] = 1
    _ridge_adjust(d, skel_f, h, w)
    factor, nr = _medial_normalisation(d, skel_f, skel_f & ~contour_f, lab_f, boxes, h, w, pairs_only)
    ok = (d != 0) & (nr != 0)
    rw_f = rw.ravel()
    rw_f[ok] = d[ok] / nr[ok]

    # Stroke width per component: 2 * floor(mean factor over its skeleton).
    sums = np.bincount(lab_f[skel_f], weights=factor[skel_f], minlength=n + 1).astype(np.int64)
    cnts = np.bincount(lab_f[skel_f], minlength=n + 1).astype(np.int64)
    stroke = np.where(cnts > 0, (sums // np.maximum(cnts, 1)) * 2, 0)
    stroke[0] = 0

    # ---- precision side ----------------------------------------------------
    # the largest stroke width seen on the contour bounds every reach below
    max_sw = int((stroke[lab_f[contour_f]] & 0xFF).max())

    # Region: page pixels inside some component's box grown by 2 * stroke.
    m = 2 * stroke[1:]
    ya = np.clip(boxes[1:, 0] - m, 0, h - 1)
    yb = np.clip(boxes[1:, 1] + m, 0, h - 1) + 1
    xa = np.clip(boxes[1:, 2] - m, 0, w - 1)
    xb = np.clip(boxes[1:, 3] + m, 0, w - 1) + 1
    acc = np.zeros((h + 1, w + 1), dtype=np.int32)
    np.add.at(acc, (ya, xa), 1)
    np.add.at(acc, (ya, xb), -1)
    np.add.at(acc, (yb, xa), -1)
    np.add.at(acc, (yb, xb), 1)
    _cumsum_rows(acc)
    np.cumsum(acc, axis=1, out=acc)
    region = (acc[:h, :w] > 0) & ~ink

    page = ~ink
    blabels, bn, bboxes = _label8(page)
    blab_f = blabels.ravel()
    inner = page.copy()
    inner[0, :] = inner[-1, :] = False  # the page skeleton keeps off the frame
    inner[:, 0] = inner[:, -1] = False
    bskel = thin_lee_chen(inner)
    _seed_empty_components(bskel, blabels, bn, bboxes)
    bskel_f = bskel.ravel()

    dp = np.where(region.ravel(), cdist & 0xFF, np.where(ink_f, 0, _OUTSIDE))
    _ridge_adjust(dp, bskel_f, h, w)
    _, npn = _medial_normalisation(dp, bskel_f, bskel_f, blab_f, bboxes, h, w, pairs_only)

    # Stroke reach and merge risk, from the GT contour pixels on each page
    # pixel's first non-empty ring (inside its page component's box).
    # Only pixels with Dp <= reach get a weight, and reach <= the largest
    # stroke width, so the others need no ring search.
    centers = np.flatnonzero(_has_distance(dp) & (dp <= max_sw))
    blab_c = blab_f[centers]
    rings = _Rings(centers, cdist[centers], blab_c, bboxes, contour, pairs_only)
    found = rings.found
    lab_t = lab_f[rings.tidx].astype(np.int64)  # labels of the contour pixels
    reach, hi_lab, lo_lab = rings.gather_max_lanes([stroke[lab_t] & 0xFF, lab_t, n - lab_t])
    lo_lab = n - lo_lab  # the smallest label, as a max
    adjacent = found & (lo_lab != hi_lab)
    dpc = dp[centers]
    # The page normaliser accumulates an area; NP is a length: round(sqrt).
    npc = np.floor(np.sqrt(npn[centers]) + 0.5).astype(np.int64)
    within = found & (dpc <= reach)
    np_final = np.where(within, reach & 0xFF, 0)

    # Merge markers: pixels within reach whose ring touches two components.
    # A pixel with a marker within (reach - Dp) of it uses the half-gap NP
    # instead of the reach when that is smaller; only those pixels need the
    # (box-count) search.
    marker = within & adjacent & ((npc & 0xFF) != 0)
    cand = np.flatnonzero(within & (reach > dpc) & (npc < reach))
    if cand.size and marker.any():
        mk = np.zeros(size, dtype=bool)
        mk[centers[marker]] = True
        s = _integral(mk.reshape(h, w))
        diff = reach[cand] - dpc[cand]
        cy, cx = np.divmod(centers[cand], w)
        y_a = np.maximum(cy - diff, 0)
        y_b = np.minimum(cy + diff, h - 1) + 1
        x_a = np.maximum(cx - diff, 0)
        x_b = np.minimum(cx + diff, w - 1) + 1
        near = (s[y_b, x_b] - s[y_a, x_b] - s[y_b, x_a] + s[y_a, x_a]) > 0
        hit = cand[near]
        np_final[hit] = npc[hit] & 0xFF
    good = np_final > 0
    pw_f = pwm.ravel()
    pw_f[centers[good]] = np.minimum(dpc[good] / np_final[good], 2.0)
    return rw, pwm
