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
    wp = w + 2
    img = np.zeros((h + 2, wp), dtype=np.uint8)
    img[1:-1, 1:-1] = mask
    flat = img.ravel()
    offsets = _DY * wp + _DX

    # Only boundary pixels can be deleted (an interior pixel has 8 neighbours,
    # more than the 6 the rule allows), so each sub-iteration examines a
    # frontier: pixels with a background 8-neighbour.  A deletion exposes its
    # neighbours, which join the frontier.  Same result as scanning the whole
    # image, at the cost of the shrinking boundary only.
    if not mask.any():
        return np.zeros((h, w), dtype=bool)
    # frontier = on pixels with an off 8-neighbour (mask minus its erosion)
    interior = img[1:-1, 1:-1].copy()
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy or dx:
                interior &= img[1 + dy : h + 1 + dy, 1 + dx : w + 1 + dx]
    edge = np.zeros_like(img)
    edge[1:-1, 1:-1] = img[1:-1, 1:-1] & ~interior
    frontier = np.flatnonzero(edge)
    queued = np.zeros(flat.size, dtype=bool)
    queued[frontier] = True
    # age = sub-iterations a frontier pixel has survived with no neighbour
    # deleted.  After surviving one sub-iteration of each kind unchanged it
    # can never be deleted until a neighbour goes, so it leaves the frontier
    # (the skeleton would otherwise be re-examined in every sub-iteration).
    age = np.zeros(flat.size, dtype=np.int8)
    slot = np.zeros(flat.size, dtype=np.int64)
    idle = 0
    while idle < 2 and frontier.size:
        for lut in (_ZS1, _ZS2):
            dead = frontier[lut[_codes(flat, frontier, offsets)]]
            if dead.size == 0:
                idle += 1
                if idle >= 2:
                    break
                age[frontier] += 1
                keep = age[frontier] < 2
                queued[frontier[~keep]] = False
                frontier = frontier[keep]
                continue
            idle = 0
            flat[dead] = 0  # parallel rule: all decisions above used the old image
            queued[dead] = False
            nb = (dead[:, None] + offsets[None, :]).ravel()
            nb = nb[flat[nb] == 1]
            # de-duplicate without sorting: keep the first writer of each slot
            slot[nb] = np.arange(nb.size)
            nb = nb[slot[nb] == np.arange(nb.size)]
            age[frontier] += 1
            age[nb] = 0
            fresh = nb[~queued[nb]]
            queued[fresh] = True
            frontier = np.concatenate([frontier[flat[frontier] == 1], fresh])
            keep = age[frontier] < 2
            queued[frontier[~keep]] = False
            frontier = frontier[keep]

    # Lee-Chen clean-up: sequential in place.  Only pixels whose table entry
    # says "delete" can change, and a deletion can only turn a *later* pixel
    # (E, SW, S, SE) into a candidate within the same scan, so a heap of
    # candidate positions in raster order replaces the full scan.
    later = (1, wp - 1, wp, wp + 1)
    while True:
        on = np.flatnonzero(flat)
        heap = on[_LC[_codes(flat, on, offsets)]].tolist()
        if not heap:
            break
        heapq.heapify(heap)
        last = -1
        removed = False
        while heap:
            i = heapq.heappop(heap)
            if i == last:
                continue
            last = i
            if not flat[i]:
                continue
            code = 0
            for bit in range(8):
                if flat[i + offsets[bit]]:
                    code |= 1 << bit
            if _LC[code]:
                flat[i] = 0
                removed = True
                for off in later:
                    if flat[i + off]:
                        heapq.heappush(heap, i + off)
        if not removed:
            break
    return img[1:-1, 1:-1].astype(bool)


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
    this metric.  Returns int64; a huge value everywhere when there are no
    targets.
    """
    if not targets.any():
        return np.full(targets.shape, np.iinfo(np.int32).max, dtype=np.int64)
    return ndi.distance_transform_cdt(~targets, metric="chessboard").astype(np.int64)


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


def _ring_pairs(centers, radius_global, lab_c, boxes, targets_flat, integral, h, w, walk_safe=True):
    """Targets on each centre's first non-empty square ring inside its box.

    For a centre p in component c the organisers' program grows a square
    ring R = 0, 1, 2, ... around p, clipped to c's bounding box, and stops at
    the first R whose ring holds a target; *all* targets on that ring take
    part.  Equivalently: R is the chessboard distance from p to the nearest
    target inside the box, and the targets are those at exactly that
    distance inside the box.

    Where the square of radius ``radius_global`` (the unrestricted distance)
    fits in the box, the box changes nothing.  Only the other ("risky")
    centres, near their box's edge, need the restricted distance, found by a
    vectorised binary search on a summed-area table of the targets.

    ``lab_c`` are the centres' component labels and ``boxes`` the
    components' boxes (rows ``y0, y1, x0, x1``).

    Returns ``(found, radius, safe, pair_centre, pair_cell, cy, cx)``: which centres
    found a target, the ring radius, which centres are safe, and one (centre
    position, target flat index) pair per target on the ring of every risky
    centre (of every centre if ``walk_safe``).  Duplicate pairs are possible
    and harmless for the max- and last-writer reductions that use them;
    ``cy, cx`` are the centres' coordinates.
    """
    m = centers.size
    found = np.zeros(m, dtype=bool)
    radius = np.zeros(m, dtype=np.int64)
    cy, cx = np.divmod(centers, w)
    if m == 0 or integral[-1, -1] == 0:
        e = np.zeros(0, dtype=np.int64)
        return found, radius, np.zeros(m, dtype=bool), e, e, cy, cx
    big = h + w
    # A box that spans the whole image (the main page component, usually)
    # clips nothing: its centres are all safe, no per-pixel margin needed.
    spans = (boxes[:, 0] == 0) & (boxes[:, 1] == h - 1) & (boxes[:, 2] == 0) & (boxes[:, 3] == w - 1)
    margin = np.full(m, big, dtype=np.int64)
    part = np.flatnonzero(~spans[lab_c])
    if part.size:
        bp = boxes[lab_c[part]]
        py, px = cy[part], cx[part]
        margin[part] = np.minimum.reduce([
            np.where(bp[:, 0] == 0, big, py - bp[:, 0]),
            np.where(bp[:, 1] == h - 1, big, bp[:, 1] - py),
            np.where(bp[:, 2] == 0, big, px - bp[:, 2]),
            np.where(bp[:, 3] == w - 1, big, bp[:, 3] - px),
        ])
    safe = radius_global <= margin
    found[safe] = True
    radius[safe] = radius_global[safe]

    risky = np.flatnonzero(~safe)
    if risky.size:
        ry, rx = cy[risky], cx[risky]
        by0, by1, bx0, bx1 = boxes[lab_c[risky]].T

        def count(r):
            ya = np.maximum(ry - r, by0)
            yb = np.minimum(ry + r, by1) + 1
            xa = np.maximum(rx - r, bx0)
            xb = np.minimum(rx + r, bx1) + 1
            return integral[yb, xb] - integral[ya, xb] - integral[yb, xa] + integral[ya, xa]

        hi = np.maximum.reduce([ry - by0, by1 - ry, rx - bx0, bx1 - rx])
        ok = count(hi) > 0
        lo = np.zeros_like(hi)
        # smallest r in [lo, hi] with count(r) > 0 (monotone in r)
        while True:
            active = ok & (lo < hi)
            if not active.any():
                break
            mid = (lo + hi) // 2
            hit = count(mid) > 0
            hi = np.where(active & hit, mid, hi)
            lo = np.where(active & ~hit, mid + 1, lo)
        found[risky] = ok
        radius[risky] = np.where(ok, lo, 0)

    out_c, out_t = [], []
    # Safe centres: the ring lies inside the box (or runs off the image, where
    # there are no targets), so no clipping is needed on a padded copy.
    sel = np.flatnonzero(safe) if walk_safe else np.zeros(0, dtype=np.int64)
    if sel.size:
        pad = int(radius[sel].max())
        wq = w + 2 * pad
        tq = np.zeros((h + 2 * pad, wq), dtype=bool)
        tq[pad : pad + h, pad : pad + w] = targets_flat.reshape(h, w)
        tq = tq.ravel()
        base = (cy[sel] + pad) * wq + (cx[sel] + pad)
        _walk_groups(sel, radius[sel], base, tq, wq, pad, w, out_c, out_t)
    sel = np.flatnonzero(found & ~safe)
    if sel.size:
        bs = boxes[lab_c[sel]]
        _walk_clipped(sel, radius[sel], cy[sel], cx[sel], bs, centers[sel], targets_flat, w, out_c, out_t)
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


def _walk_groups(sel, radii, base, tq, wq, pad, w, out_c, out_t) -> None:
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

    ``cy``, ``cx``, ``bs`` (boxes) and ``centers`` are given for ``sel`` only.
    """
    for r, grp in _groups(radii):
        py, px = cy[grp, None], cx[grp, None]
        b = bs[grp]
        ya, yb, xa, xb = b[:, 0:1], b[:, 1:2], b[:, 2:3], b[:, 3:4]
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


class _Rings:
    """First-non-empty-ring queries for many centres at once.

    Built from :func:`_ring_pairs`' analysis: safe centres (whose square of
    radius R fits in their box) are answered with square-window range
    maxima over a sparse table of power-of-two squares (a window of side s
    is the union of four squares of side 2^floor(log2 s)); the few risky
    centres use explicit (centre, target) pairs.  ``pairs_only=True``
    answers everything from explicit pairs: slower, used by the tests as an
    independent check.
    """

    def __init__(self, centers, radius_global, lab_c, boxes, targets2d, pairs_only=False):
        h, w = targets2d.shape
        self.h, self.w = h, w
        self.targets = targets2d
        tf = targets2d.ravel()
        self.found, self.radius, self.safe, self.pc, self.pt, self.cy, self.cx = _ring_pairs(
            centers, radius_global, lab_c, boxes, tf, _integral(targets2d), h, w,
            walk_safe=pairs_only,
        )
        self.pairs_only = pairs_only
        self.n = centers.size
        sel = np.flatnonzero(self.found & self.safe) if not pairs_only else np.zeros(0, np.int64)
        self.sel = sel
        if sel.size:
            r = self.radius[sel]
            self.pad = int(r.max())
            # window side 2r + 1 = union of four squares of side 2^level
            level_of = np.floor(np.log2(2 * np.arange(self.pad + 1) + 1)).astype(np.int64)
            self.level = level_of[r]
            big = (1 << level_of)[r]
            cy, cx = self.cy[sel], self.cx[sel]
            wq = w + 2 * self.pad
            ya = (cy - r + self.pad) * wq
            yb = (cy + r - big + 1 + self.pad) * wq
            xa = cx - r + self.pad
            xb = cx + r - big + 1 + self.pad
            anchors = np.empty((4, sel.size), dtype=np.int64)
            np.add(ya, xa, out=anchors[0])
            np.add(yb, xa, out=anchors[1])
            np.add(ya, xb, out=anchors[2])
            np.add(yb, xb, out=anchors[3])
            self.anchors = anchors
        del self.cy, self.cx

    def _padded(self, values2d, sentinel, dtype):
        p = self.pad
        m = np.full((self.h + 2 * p, self.w + 2 * p), sentinel, dtype=dtype)
        m[p : p + self.h, p : p + self.w] = np.where(self.targets, values2d, sentinel)
        return m

    def gather_max(self, values_flat, sentinel=-1):
        """Per centre: max of ``values`` over the targets on its ring (sentinel if none)."""
        out = np.full(self.n, sentinel, dtype=np.int64)
        values_flat = np.asarray(values_flat, dtype=np.int64)
        if self.sel.size:
            # int32 halves the memory traffic of the table; every value used
            # here (D * factor <= 62250, labels, widths) fits.
            lim = np.iinfo(np.int32)
            small = lim.min < sentinel and values_flat.size and (
                lim.min < values_flat.min() and values_flat.max() < lim.max
            )
            dtype = np.int32 if small else np.int64
            m = self._padded(values_flat.reshape(self.h, self.w), sentinel, dtype)
            top = int(self.level.max())
            res = np.full(self.sel.size, sentinel, dtype=np.int64)
            for k in range(top + 1):
                if k:
                    # side 2^k squares from four side 2^(k-1) squares: rows, then columns
                    hh = 1 << (k - 1)
                    rows = np.maximum(m[:-hh], m[hh:])
                    nxt = np.empty_like(m)
                    nxt[-hh:] = sentinel
                    nxt[:-hh, -hh:] = sentinel
                    np.maximum(rows[:, :-hh], rows[:, hh:], out=nxt[:-hh, :-hh])
                    m = nxt
                q = np.flatnonzero(self.level == k)
                if q.size:
                    mf = m.ravel()
                    a = self.anchors[:, q]
                    res[q] = np.maximum(np.maximum(mf[a[0]], mf[a[1]]), np.maximum(mf[a[2]], mf[a[3]]))
            out[self.sel] = res
        if self.pt.size:
            np.maximum.at(out, self.pc, values_flat[self.pt])
        return out

    def scatter_max(self, keys, sentinel=-1):
        """Per pixel: max of the ``keys`` of the centres whose ring holds it.

        Meaningful on target pixels only (elsewhere it may hold keys of
        centres whose window merely covers the pixel).
        """
        out = np.full(self.h * self.w, sentinel, dtype=np.int64)
        keys = np.asarray(keys, dtype=np.int64)
        if self.sel.size:
            p = self.pad
            top = int(self.level.max())
            shape = (self.h + 2 * p, self.w + 2 * p)
            u = None
            for k in range(top, -1, -1):
                cur = np.full(shape, sentinel, dtype=np.int64)
                if u is not None:
                    hh = 1 << k  # pushing level k + 1 (side 2hh) down to level k
                    np.maximum(cur, u, out=cur)
                    np.maximum(cur[hh:, :], u[:-hh, :], out=cur[hh:, :])
                    np.maximum(cur[:, hh:], u[:, :-hh], out=cur[:, hh:])
                    np.maximum(cur[hh:, hh:], u[:-hh, :-hh], out=cur[hh:, hh:])
                q = np.flatnonzero(self.level == k)
                if q.size:
                    kq = np.broadcast_to(keys[self.sel[q]], (4, q.size)).ravel()
                    np.maximum.at(cur.ravel(), self.anchors[:, q].ravel(), kq)
                u = cur
            out = np.maximum(out, u[p : p + self.h, p : p + self.w].ravel())
        if self.pt.size:
            np.maximum.at(out, self.pt, keys[self.pc])
        return out


def _integral(mask: np.ndarray) -> np.ndarray:
    """Summed-area table of a bool mask, with a zero first row and column."""
    dtype = np.int32 if mask.size < 2**31 else np.int64
    s = np.zeros((mask.shape[0] + 1, mask.shape[1] + 1), dtype=dtype)
    np.cumsum(np.cumsum(mask, axis=0, dtype=dtype), axis=1, out=s[1:, 1:])
    return s


def _endpoint_pass(factor, skel_flat, order_key, h, w) -> None:
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
    order = np.argsort(order_key[e_idx], kind="stable")
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
    """
    if not valid_flat.any():
        return
    if np.any(nr[valid_flat] == 0):
        _propagate_sequential(nr, valid_flat, h, w)
        return
    if h < 3 or w < 3:
        return  # every pixel is on the border, where a neighbour is itself
    v = nr.reshape(h, w)
    nz = v != 0
    c = v[1:-1, 1:-1]
    pot = np.zeros((h, w), dtype=bool)
    pot[1:-1, 1:-1] = (
        valid_flat.reshape(h, w)[1:-1, 1:-1]
        & nz[:-2, 1:-1] & nz[2:, 1:-1] & nz[1:-1, :-2] & nz[1:-1, 2:]
        & (c != v[2:, 1:-1]) & (c != v[1:-1, 2:])
    )
    cols = np.arange(w)
    for y in np.flatnonzero(pot.any(axis=1)).tolist():
        row = v[y]
        fire = pot[y] & (row != v[y - 1])
        if not fire.any():
            continue
        src = np.maximum.accumulate(np.where(fire, 0, cols))
        v[y] = row[src]


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
    sd = np.where(skel_dist_one, 1, sdist) & 0xFF

    centers = np.flatnonzero(_has_distance(d))
    lab_c = labels_flat[centers]
    rings = _Rings(centers, sdist[centers], lab_c, boxes, skel2d, pairs_only)
    found = rings.found

    factor = skel_flat.astype(np.uint8)
    order_key = labels_flat.astype(np.int64) * size + np.arange(size)
    # last writer in (component, raster) order = largest key
    last = rings.scatter_max(order_key[centers])
    q = np.flatnonzero((last >= 0) & skel_flat)
    p = last[q] % size
    dq = d[q]
    factor[q] = (dq + (sd[p] >= dq)).astype(np.uint8)
    _endpoint_pass(factor, skel_flat, order_key, h, w)

    nr = np.zeros(size, dtype=np.int64)
    best = rings.gather_max(d * factor.astype(np.int64))
    nr[centers[found]] = best[found]
    _propagate(nr, _has_distance(d), h, w)
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
    d = np.zeros(size, dtype=np.int64)
    d[ink_f] = (cdist[ink_f] & 0xFF)  # stored as a byte by the original
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
    sw_map = np.where(contour_f, stroke[lab_f] & 0xFF, 0)

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
    np.cumsum(acc, axis=0, out=acc)
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

    dp = np.zeros(size, dtype=np.int64)
    page_f = page.ravel()
    dp[page_f] = np.where(region.ravel()[page_f], cdist[page_f] & 0xFF, _OUTSIDE)
    _ridge_adjust(dp, bskel_f, h, w)
    _, npn = _medial_normalisation(dp, bskel_f, bskel_f, blab_f, bboxes, h, w, pairs_only)
    hasd = _has_distance(dp)
    # The page normaliser accumulates an area; NP is a length: round(sqrt).
    npn[hasd] = np.floor(np.sqrt(npn[hasd]) + 0.5).astype(np.int64)

    # Stroke reach and merge risk, from the GT contour pixels on each page
    # pixel's first non-empty ring (inside its page component's box).
    # Only pixels with Dp <= reach get a weight, and reach <= the largest
    # stroke width, so the others need no ring search.
    centers = np.flatnonzero(hasd & (dp <= int(sw_map.max())))
    blab_c = blab_f[centers]
    rings = _Rings(centers, cdist[centers], blab_c, bboxes, contour, pairs_only)
    found = rings.found
    lab64 = lab_f.astype(np.int64)
    reach = rings.gather_max(sw_map)
    hi_lab = rings.gather_max(lab64)
    lo_lab = -rings.gather_max(-lab64, sentinel=-(1 << 62))
    adjacent = found & (lo_lab != hi_lab)
    dpc = dp[centers]
    npc = npn[centers]
    within = found & (dpc <= reach)
    marker = np.zeros(size, dtype=np.int64)
    marker[centers] = np.where(within & adjacent, npc & 0xFF, 0)

    # Near a merge marker (within reach - Dp), use the smaller half-gap.
    diff = np.where(within, reach - dpc, 0)
    s = _integral((marker != 0).reshape(h, w))
    cy, cx = np.divmod(centers, w)
    y_a = np.maximum(cy - diff, 0)
    y_b = np.minimum(cy + diff, h - 1) + 1
    x_a = np.maximum(cx - diff, 0)
    x_b = np.minimum(cx + diff, w - 1) + 1
    near = (s[y_b, x_b] - s[y_a, x_b] - s[y_b, x_a] + s[y_a, x_a]) > 0
    merging = within & (diff > 0) & near
    np_final = np.where(within, np.where(merging & (npc < reach), npc, reach) & 0xFF, 0)
    good = np_final > 0
    pw_f = pwm.ravel()
    pw_f[centers[good]] = np.minimum(dpc[good] / np_final[good], 2.0)
    return rw, pwm
