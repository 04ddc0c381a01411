"""The plain functions behind the hybrid notebooks' widgets (09, 10).

Each widget only wires one of these to its controls, so what it shows is
computed here and tested (``tests/test_course_widgets.py``).

Notebook 09
    :func:`spline_editor_figure`: the spline editor's figure (the page's
    (b, t) plane with the start and edited boundaries and every control
    point's offset, the edited points marked, and the crop's errors at full
    width); :func:`tidy_3d_axes`: 3-D axes whose ticks and labels do not
    run into each other or into a neighbouring panel.
Notebook 10
    :class:`AdjustmentStrengthView`: scale the CNN's adjustment,
    ``C = C0 + strength * dZ``, and see FM and NRM follow.
"""

from __future__ import annotations

import numpy as np

from .._errors import InputError

__all__ = ["AdjustmentStrengthView", "spline_editor_figure", "tidy_3d_axes"]


# ---------------------------------------------------------------------------
# notebook 10: how far to move the surface


def _densest_window(mask: np.ndarray, h: int, w: int) -> tuple[slice, slice]:
    """The h x w window holding the most True pixels of ``mask`` (sums from an integral image)."""
    h, w = min(h, mask.shape[0]), min(w, mask.shape[1])
    ii = np.pad(mask.astype(np.int64).cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    sums = ii[h:, w:] - ii[:-h, w:] - ii[h:, :-w] + ii[:-h, :-w]
    r, c = np.unravel_index(int(np.argmax(sums)), sums.shape)
    return np.s_[r:r + h, c:c + w]


class AdjustmentStrengthView:
    """Notebook 10's widget: move the surface part of the way to the CNN's, or past it, and score each step.

    The heights are ``C0 + strength * dZ``: 0 is the classical start, 1 the
    trained adjuster's surface, 2 twice its change.  A pixel is ink where the
    surface, looked up at its ``(b, t)`` as :func:`binkit.hybrid.lut_lookup`
    does, is >= 0.5, exactly as in the notebook's own cells.  What does not
    depend on the strength is done once: the page's distinct ``(b, t)`` pairs
    (far fewer than its pixels) with their ink and pixel counts, so a redraw
    looks the surface up at those pairs only and counts FM and NRM from them;
    the error overlay covers one window of the page.

    Parameters
    ----------
    page : binkit.hybrid.HybridPage
        A prepared page with its ground truth (``prepare_page(name, image, gt)``).
    dz : (n, n) array_like
        The adjustment, e.g. ``page_heights(page, model) - page.c0``.
    oracle : (n, n) array_like, optional
        Heights fitted to the page's ground truth (``oracle_heights``), drawn
        as the ceiling.
    strengths : sequence of float
        Where the curves are drawn (the widget's slider range).
    window : (int, int)
        Size of the window shown: the one where the full adjustment changes
        the most pixels.
    """

    def __init__(self, page, dz, *, oracle=None, strengths=None, window=(300, 600)):
        from .samples import HybridPage

        if not isinstance(page, HybridPage) or page.gt is None:
            raise InputError("page: a HybridPage with its ground truth (prepare_page(name, image, gt))")
        self.page, self.c0 = page, np.asarray(page.c0, dtype=np.float64)
        self.dz = np.asarray(dz, dtype=np.float64)
        if self.dz.shape != self.c0.shape:
            raise InputError(f"dz {self.dz.shape} and the page's C0 {self.c0.shape} differ in shape")
        self.strengths = np.asarray(np.round(np.arange(0.0, 2.0001, 0.05), 2) if strengths is None else strengths,
                                    dtype=float)
        b, t, gt = np.asarray(page.b, np.float32), np.asarray(page.t, np.float32), np.asarray(page.gt, bool)
        # the distinct (b, t) pairs: a pixel's decision depends on them only
        key = (b.view(np.uint32).astype(np.uint64) << np.uint64(32)) | t.view(np.uint32).astype(np.uint64)
        unique, inverse = np.unique(key.ravel(), return_inverse=True)
        inverse = inverse.reshape(gt.shape)
        self._inverse = inverse
        self._b = (unique >> np.uint64(32)).astype(np.uint32).view(np.float32)
        self._t = (unique & np.uint64(0xFFFFFFFF)).astype(np.uint32).view(np.float32)
        self._all = np.bincount(inverse.ravel(), minlength=unique.size)
        self._ink = np.bincount(inverse.ravel(), weights=gt.ravel(), minlength=unique.size).astype(np.int64)
        self._n_gt, self._n = int(gt.sum()), gt.size
        changed = self._decisions(0.0)[inverse] != self._decisions(1.0)[inverse]
        self.window = _densest_window(changed if changed.any() else gt, *window)
        self._inverse_window = inverse[self.window]
        self._gt_window = gt[self.window]
        self.curve = [self.scores(s) for s in self.strengths]
        self.start, self.cnn = self.scores(0.0), self.scores(1.0)
        self.oracle = None
        if oracle is not None:
            self.oracle = self._score(self._decisions_of(np.asarray(oracle, dtype=np.float64)))

    def _decisions_of(self, heights) -> np.ndarray:
        from .inference import lut_lookup
        from .spline import surface_lut

        return lut_lookup(surface_lut(heights), self._b, self._t) >= 0.5

    def _decisions(self, strength: float) -> np.ndarray:
        """Ink or not for each distinct (b, t) pair of the page."""
        return self._decisions_of(self.c0 + float(strength) * self.dz)

    def _score(self, ink: np.ndarray) -> dict:
        from ..metrics import _fm_from_counts, _nrm_from_counts

        tp = int(self._ink[ink].sum())
        fp = int(self._all[ink].sum()) - tp
        fn = self._n_gt - tp
        tn = self._n - tp - fp - fn
        fm, recall, precision = _fm_from_counts(tp, fp, fn)
        return {"fm": fm, "nrm": _nrm_from_counts(tp, fp, fn, tn), "recall": recall, "precision": precision,
                "ink": tp + fp}

    def scores(self, strength: float = 1.0) -> dict:
        """FM, NRM, recall, precision (percent; NRM a fraction) and the ink count of the whole page."""
        return self._score(self._decisions(strength))

    def binarize(self, strength: float = 1.0) -> np.ndarray:
        """The whole page's binarization at this strength, (H, W) bool."""
        return self._decisions(strength)[self._inverse]

    def figure(self, strength: float = 1.0):
        """The window's errors at this strength (left) and the page's FM and NRM against the strength (right)."""
        import matplotlib.pyplot as plt

        from ..plot import FIGURE_WIDTH, PALETTE, error_overlay

        ink = self._decisions(strength)
        s = self._score(ink)
        start, cnn = self.start, self.cnn
        h, w = self._gt_window.shape
        # a fixed layout, not matplotlib's layout engines: they would cost a third of every redraw
        fig, (ax_img, ax) = plt.subplots(1, 2, figsize=(FIGURE_WIDTH, 3.6),
                                         gridspec_kw={"width_ratios": [max(0.8, min(2.0, w / h)), 1.2], "left": 0.01,
                                                      "right": 0.92, "bottom": 0.13, "top": 0.87, "wspace": 0.2})
        ax_img.imshow(error_overlay(ink[self._inverse_window], self._gt_window))
        r, c = self.window
        ax_img.set_title(f"{self.page.name}, rows {r.start}-{r.stop}, cols {c.start}-{c.stop}: strength "
                         f"{strength:.2f}\nFM {s['fm']:.2f} (start {start['fm']:.2f}, CNN {cnn['fm']:.2f})   "
                         f"NRM {s['nrm']:.4f}", fontsize=8)
        ax_img.axis("off")
        fm = [c_["fm"] for c_ in self.curve]
        nrm = [100 * c_["nrm"] for c_ in self.curve]
        ax.plot(self.strengths, fm, color=PALETTE[0], lw=1.6, label="FM (left axis)")
        ax.plot(strength, s["fm"], "o", color=PALETTE[0], ms=5)
        ax.set_ylabel("FM (%)", color=PALETTE[0])
        ax2 = ax.twinx()
        ax2.plot(self.strengths, nrm, color=PALETTE[1], lw=1.6, label="NRM x 100 (right axis)")
        ax2.plot(strength, 100 * s["nrm"], "o", color=PALETTE[1], ms=5)
        ax2.set_ylabel("NRM x 100 (lower is better)", color=PALETTE[1])
        ax2.spines["right"].set_visible(True)
        lines = ax.get_lines()[:1] + ax2.get_lines()[:1]
        if self.oracle is not None:
            lines.append(ax.axhline(self.oracle["fm"], color=PALETTE[0], ls="--", lw=1, label="oracle's FM"))
            lines.append(ax2.axhline(100 * self.oracle["nrm"], color=PALETTE[1], ls="--", lw=1, label="oracle's NRM"))
        for x, label in ((0.0, "start"), (1.0, "CNN")):
            ax.axvline(x, color="0.5", ls=":", lw=1)
            ax.annotate(label, (x, 1.0), xycoords=("data", "axes fraction"), xytext=(2, -10),
                        textcoords="offset points", fontsize=7, color="0.3", zorder=5,
                        bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.8))
        ax.axvline(strength, color="k", lw=1)
        ax.set_xlim(self.strengths[0], self.strengths[-1])
        ax.set_xlabel("strength: heights C0 + strength x dZ (0 = start, 1 = the CNN's)")
        ax.set_title("the whole page at every strength", fontsize=8)
        ax.legend(lines, [ln.get_label() for ln in lines], fontsize=7, loc="lower center", ncols=2)
        return fig


# ---------------------------------------------------------------------------
# notebook 09: the spline editor


def spline_editor_figure(counts, lut0, lut, xi, dz, ink, gt, scores, start_scores, *, selected=None,
                         title: str = "edited surface", lim: float = 1.5, start_ink=None, max_labels: int = 12):
    """Notebook 09's spline editor: where the page lies, the control points and their offsets, and the errors.

    Top left, the (b, t) plane: the page's pixels (grey, log count), the
    boundary ``S = 0.5`` of the start (black dashed) and of the edited
    surface (orange), and every control point: unedited ones as small grey
    dots, edited ones as large triangles (up: raised, down: lowered) coloured
    by their offset and, while there are at most ``max_labels`` of them,
    labelled with it; the selected point is ringed.  Top right, the readout:
    FM and NRM against the start and the list of edits.  Below, at the
    figure's full width, the crop's errors (black correct ink, orange false
    ink, blue missed ink), large enough to see single missed and false pixels.

    Parameters
    ----------
    counts : (m, m) ndarray
        Pixels per bin of the (b, t) plane, rows b, columns t.
    lut0, lut : (G, G) ndarray
        The start and the edited surface on the lookup grid.
    xi : (n,) ndarray
        The control points' Greville abscissae (both axes).
    dz : (n, n) ndarray
        The offsets; 0 = not edited.
    ink, gt : (H, W) ndarray of bool
        The crop's binarization through the edited surface, and its ground truth.
    scores, start_scores : (float, float)
        (FM, NRM) of the edited and of the start surface.
    selected : (int, int), optional
        The point the sliders point at.
    title : str
    lim : float
        Colour limits of the offsets (0 is white).
    start_ink : (H, W) ndarray of bool, optional
        The start's binarization: the readout then counts the pixels the
        edits turned into ink and out of it.
    max_labels : int

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt

    from ..plot import FIGURE_WIDTH, error_overlay

    dz, xi = np.asarray(dz, dtype=float), np.asarray(xi, dtype=float)
    ink, gt = np.asarray(ink, bool), np.asarray(gt, bool)
    if dz.shape != (xi.size, xi.size):
        raise InputError(f"dz {dz.shape} does not match {xi.size} control points per axis")
    (fm, nr), (fm0, nrm0) = scores, start_scores
    h, w = gt.shape
    # A fixed layout (matplotlib's layout engines would cost a third of every redraw), in inches from the bottom:
    # the errors at the full width, 0.25 for their title, 0.45 for the plane's axis labels, the plane, 0.4 for its title.
    top, below = 3.0, (FIGURE_WIDTH - 0.1) * h / w
    height = below + 0.7 + top + 0.4
    fig = plt.figure(figsize=(FIGURE_WIDTH, height))
    upper = fig.add_gridspec(1, 2, width_ratios=[1.25, 1], left=0.07, right=0.99, wspace=0.3,
                             bottom=(below + 0.7) / height, top=(below + 0.7 + top) / height)
    lower = fig.add_gridspec(1, 1, left=0.05 / FIGURE_WIDTH, right=1 - 0.05 / FIGURE_WIDTH, bottom=0.02 / height,
                             top=(below + 0.02) / height)
    ax, ax_text, ax_err = fig.add_subplot(upper[0, 0]), fig.add_subplot(upper[0, 1]), fig.add_subplot(lower[0, 0])

    nodes0, nodes = np.linspace(0, 1, np.shape(lut0)[0]), np.linspace(0, 1, np.shape(lut)[0])
    ax.imshow(np.log1p(counts).T, origin="lower", extent=(0, 1, 0, 1), cmap="Greys", aspect="auto")
    ax.contour(nodes0, nodes0, np.asarray(lut0).T, levels=[0.5], colors="k", linestyles="--", linewidths=1)
    ax.contour(nodes, nodes, np.asarray(lut).T, levels=[0.5], colors="C1", linewidths=1.5)
    XI, YI = np.meshgrid(xi, xi, indexing="ij")
    edited = dz != 0
    ax.scatter(XI[~edited], YI[~edited], s=7, facecolors="none", edgecolors="0.55", linewidths=0.5)
    cmap = plt.get_cmap("RdBu_r")
    for marker, part in (("^", edited & (dz > 0)), ("v", edited & (dz < 0))):
        if part.any():
            # the offset's colour, but never paler than a third of the way out: a small edit must still show
            shade = np.sign(dz[part]) * np.maximum(np.abs(dz[part]) / lim, 0.35)
            ax.scatter(XI[part], YI[part], color=cmap(0.5 + 0.5 * np.clip(shade, -1, 1)), s=70, marker=marker,
                       edgecolors="k", linewidths=1.2, zorder=3)
    if 0 < edited.sum() <= max_labels:
        for i, j in zip(*np.nonzero(edited)):
            up = (i + j) % 2 == 0                          # neighbours alternate above and below their point
            ax.annotate(f"{dz[i, j]:+.2f}", (xi[i], xi[j]), xytext=(5, 5 if up else -12), textcoords="offset points",
                        fontsize=7, fontweight="bold", color="k", zorder=4,
                        bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8))
    if selected is not None:
        ax.scatter([xi[selected[0]]], [xi[selected[1]]], s=170, facecolors="none", edgecolors="k", linewidths=1.6,
                   zorder=4)
    fig.colorbar(plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(-lim, lim)), ax=ax, fraction=0.05, pad=0.03,
                 label="offset dZ")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("background b = M")
    ax.set_ylabel("text t = A")
    ax.set_title("S = 0.5: start (black dashed), edited (orange)\nedited points: triangles (up raised, down lowered)",
                 fontsize=8)

    ax_text.axis("off")
    lines = [title, "", f"FM   {fm:6.2f}  ({fm - fm0:+.2f} vs start)", f"NRM  {nr:.4f}  ({nr - nrm0:+.4f})"]
    if start_ink is not None:
        start_ink = np.asarray(start_ink, bool)
        lines += [f"ink gained {int((ink & ~start_ink).sum()):,}, lost {int((~ink & start_ink).sum()):,} pixels"]
    n_edit = int(edited.sum())
    lines += ["", f"{n_edit} of {dz.size} points edited" + (":" if n_edit else "")]
    shown = sorted(zip(*np.nonzero(edited)), key=lambda p: -abs(dz[p]))[:6]
    lines += [f"  (i {i:2d}, j {j:2d}): {dz[i, j]:+.2f}" for i, j in shown]
    if n_edit > len(shown):
        lines.append(f"  ... and {n_edit - len(shown)} more")
    ax_text.text(0.0, 1.0, "\n".join(lines), va="top", ha="left", family="monospace", fontsize=8,
                 transform=ax_text.transAxes)

    ax_err.imshow(error_overlay(ink, gt), aspect="equal")
    ax_err.set_title("the crop's errors: black correct ink, orange false ink, blue missed ink", fontsize=8)
    ax_err.axis("off")
    return fig


def tidy_3d_axes(ax, *, ticks=(0.0, 0.5, 1.0), labelsize: float = 7):
    """Few ticks per axis, small tick labels close to the axes, axis labels close to them.

    matplotlib's default 3-D axes put six tick labels on each axis at full
    size, far out: they run into each other, into the axis labels and, in a
    row of panels, into the next panel's labels.  The two ground axes get
    ``ticks``; the vertical axis, whose range depends on the data (control
    points overshoot [0, 1]), at most four round values.
    """
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_ticks(ticks)
    ax.yaxis.set_ticks(ticks)
    ax.zaxis.set_major_locator(MaxNLocator(nbins=3))
    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
        axis.set_tick_params(labelsize=labelsize, pad=0)
        axis.labelpad = -4
    return ax
