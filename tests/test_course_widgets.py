"""The course's widgets added or redrawn for issue 32: what they compute equals the library's own scores,
their update functions draw, and their figures keep labels and panels apart."""

from __future__ import annotations

import io
import itertools
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from binkit import InputError  # noqa: E402
from binkit.datasets import synthetic_page  # noqa: E402
from binkit.gridlstm.viz import LogitThresholdView, draw_footprint_inputs  # noqa: E402
from binkit.hybrid import greville_abscissae, lut_lookup, prepare_page, surface_lut  # noqa: E402
from binkit.hybrid.viz import AdjustmentStrengthView, spline_editor_figure, tidy_3d_axes  # noqa: E402
from binkit.metrics import evaluate, fmeasure, nrm, pseudo_weights  # noqa: E402
from binkit.plot import FIGURE_WIDTH, use_style  # noqa: E402


@pytest.fixture(scope="module")
def page():
    use_style()
    return synthetic_page(0, size=(160, 224))


def _render(fig) -> float:
    """Seconds to draw the figure to PNG, as the notebook's live() does on every change."""
    start = time.perf_counter()
    fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)
    return time.perf_counter() - start


def _boxes_overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


# ---------------------------------------------------------------------------
# notebook 04: where to cut the logits


def test_logit_threshold_view_scores_equal_evaluate(page):
    rng = np.random.default_rng(0)
    # logits that mostly agree with the GT, with noise, so every threshold gives another cut
    logits = np.where(page.gt, 2.0, -2.0) + rng.normal(0, 1.5, page.gt.shape)
    other = -np.abs(logits) + 1.0                         # a second "weight set" of the same page
    w = pseudo_weights(page.gt)
    view = LogitThresholdView({"a": logits, "b": other}, page.gt, w, title="synthetic")
    for name, z in (("a", logits), ("b", other)):
        for threshold in (-9.0, -1.3, 0.0, 0.7, 2.25, 9.0):
            expected = evaluate(z >= threshold, page.gt, w)
            got = view.scores(threshold, name)
            for key in ("fm", "fps", "recall", "precision"):
                if np.isnan(expected[key]):
                    assert np.isnan(got[key]), (name, threshold, key)
                else:
                    assert got[key] == pytest.approx(expected[key], abs=1e-9), (name, threshold, key)
            assert got["ink_share"] == pytest.approx(np.mean(z >= threshold))
    # the curve is the same scores on the threshold grid, and best() picks its maximum
    fm_curve = [s["fm"] for s in view.curves["a"]]
    assert view.best("fm", "a") == view.thresholds[int(np.argmax(fm_curve))]
    with pytest.raises(InputError, match="weights="):
        view.scores(0.0, "c")
    with pytest.raises(InputError, match="differ in shape"):
        LogitThresholdView(logits[:-1], page.gt)


def test_logit_threshold_view_update_draws(page):
    logits = np.where(page.gt, 1.5, -1.5).astype(np.float32)
    view = LogitThresholdView(logits, page.gt)              # weights computed when left out
    fig = view.figure(0.5)
    ax_img, ax = fig.axes[:2]
    assert "FM 100.00" in ax_img.get_title()               # a perfect cut at any threshold in (-1.5, 1.5]
    assert ax.get_ylim() == (0, 100)                        # scores drawn from 0
    assert _render(fig) < 10                                # draws (a timing guard only against a hang)


# ---------------------------------------------------------------------------
# notebook 10: the strength of the CNN's adjustment


@pytest.fixture(scope="module")
def prepared(page):
    tp = prepare_page("synthetic", page.image, page.gt)
    n = tp.c0.shape[0]
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    dz = 0.6 * np.exp(-((i - 12) ** 2 + (j - 7) ** 2) / 8.0)   # a bump near where ink meets paper
    return tp, dz


def test_adjustment_strength_view_equals_the_notebook_lookup(prepared):
    tp, dz = prepared
    view = AdjustmentStrengthView(tp, dz, oracle=tp.c0 + 0.5 * dz, window=(64, 96))
    for strength in (0.0, 0.35, 1.0, 1.8):
        ink = lut_lookup(surface_lut(tp.c0 + strength * dz), tp.b, tp.t) >= 0.5   # as notebooks 09 and 10 do
        got = view.scores(strength)
        assert got["fm"] == pytest.approx(fmeasure(ink, tp.gt), abs=1e-9)
        assert got["nrm"] == pytest.approx(nrm(ink, tp.gt), abs=1e-12)
        assert got["ink"] == int(ink.sum())
        assert np.array_equal(view.binarize(strength), ink)
    assert view.start == view.scores(0.0) and view.cnn == view.scores(1.0)
    assert view.oracle["fm"] == pytest.approx(view.scores(0.5)["fm"])
    assert view.window[0].stop - view.window[0].start == 64
    with pytest.raises(InputError, match="differ in shape"):
        AdjustmentStrengthView(tp, dz[:-1])
    with pytest.raises(InputError, match="ground truth"):
        AdjustmentStrengthView(prepare_page("no gt", tp.image), dz)


def test_adjustment_strength_view_update_draws(prepared):
    tp, dz = prepared
    view = AdjustmentStrengthView(tp, dz)
    for strength in (0.0, 1.25):
        fig = view.figure(strength)
        assert f"strength {strength:.2f}" in fig.axes[0].get_title()
        assert _render(fig) < 10


# ---------------------------------------------------------------------------
# notebook 09: the spline editor


@pytest.fixture(scope="module")
def editor(prepared):
    tp, _ = prepared
    C0 = tp.c0
    counts, _, _ = np.histogram2d(tp.b.ravel(), tp.t.ravel(), bins=128, range=[[0, 1], [0, 1]])
    lut0 = surface_lut(C0)
    ink0 = lut_lookup(lut0, tp.b, tp.t) >= 0.5
    return tp, C0, counts, lut0, ink0


def _editor_figure(editor, dz, **kw):
    tp, C0, counts, lut0, ink0 = editor
    lut = surface_lut(C0 + dz)
    ink = lut_lookup(lut, tp.b, tp.t) >= 0.5
    return spline_editor_figure(counts, lut0, lut, greville_abscissae(C0.shape[0]), dz, ink, tp.gt,
                                (fmeasure(ink, tp.gt), nrm(ink, tp.gt)), (fmeasure(ink0, tp.gt), nrm(ink0, tp.gt)),
                                start_ink=ink0, **kw)


def test_spline_editor_marks_the_edited_points_and_shows_the_errors_at_full_width(editor):
    dz = np.zeros_like(editor[1])
    dz[10, 8], dz[11, 8], dz[3, 12] = 0.25, 0.25, -0.4
    fig = _editor_figure(editor, dz, selected=(11, 8), title="three edits")
    fig.canvas.draw()
    ax_plane, ax_text, ax_err = fig.axes[:3]
    # the error panel: the figure's full width (less margins), below the plane
    width = ax_err.get_window_extent().width / fig.bbox.width
    assert width > 0.85
    assert ax_err.get_position().y1 <= ax_plane.get_position().y0
    # edited points: one large triangle each (two raised, one lowered), each labelled with its offset
    from matplotlib.collections import PathCollection

    points = [c for c in ax_plane.collections if isinstance(c, PathCollection)]
    assert sum(len(c.get_offsets()) for c in points if c.get_sizes()[0] == 70) == 3
    assert sum(len(c.get_offsets()) for c in points if c.get_sizes()[0] < 10) == 256 - 3   # the unedited ones
    labels = sorted(t.get_text() for t in ax_plane.texts)
    assert labels == ["+0.25", "+0.25", "-0.40"]
    text = ax_text.texts[0].get_text()
    assert "3 of 256 points edited" in text and "(i 11, j  8): +0.25" in text and "vs start" in text
    # no label box overlaps another
    boxes = [t.get_window_extent() for t in ax_plane.texts]
    assert not any(_boxes_overlap(a, b) for a, b in itertools.combinations(boxes, 2))
    assert _render(fig) < 10


def test_spline_editor_without_edits_and_with_all_points_edited(editor):
    dz = np.zeros_like(editor[1])
    fig = _editor_figure(editor, dz)
    assert "0 of 256 points edited" in fig.axes[1].texts[0].get_text()
    plt.close(fig)
    fig = _editor_figure(editor, np.full_like(dz, -0.1))       # the CNN's adjustment moves every point
    assert not fig.axes[0].texts                                 # too many to label: the readout lists a few
    assert "... and 250 more" in fig.axes[1].texts[0].get_text()
    plt.close(fig)
    tp, C0, counts, lut0, ink0 = editor
    with pytest.raises(InputError, match="control points"):
        spline_editor_figure(counts, lut0, lut0, greville_abscissae(15), dz, ink0, tp.gt, (0, 0), (0, 0))


def test_tidy_3d_axes_keeps_few_ticks_and_the_vertical_range():
    fig = plt.figure(figsize=(FIGURE_WIDTH / 3, 3))
    ax = fig.add_subplot(projection="3d")
    g = np.linspace(0, 1, 8)
    ax.plot_surface(*np.meshgrid(g, g), np.outer(g, g) * 3.4 - 1.2)      # heights beyond [0, 1], as C0's are
    tidy_3d_axes(ax)
    fig.canvas.draw()
    assert list(ax.get_xticks()) == list(ax.get_yticks()) == [0.0, 0.5, 1.0]
    z = [t for t in ax.get_zticks() if ax.get_zlim()[0] <= t <= ax.get_zlim()[1]]
    assert 2 <= len(z) <= 4 and max(z) > 1                                 # not stuck at 0 .. 1: the heights
    plt.close(fig)


# ---------------------------------------------------------------------------
# notebook 03: the footprint figure's titles


@pytest.mark.parametrize("footprint, scale", [(4, 2), (8, 4), (2, 1)])
def test_footprint_figure_titles_do_not_collide(page, footprint, scale):
    fig = plt.figure(figsize=(FIGURE_WIDTH, 3.6))           # as notebook 03 draws it
    out = draw_footprint_inputs(fig, page.image, 100, 140, footprint=footprint, scale=scale)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    titles = [ax.title.get_window_extent(renderer) for ax in out["axes"]]
    panels = [ax.get_window_extent(renderer) for ax in out["axes"]]
    assert not any(_boxes_overlap(a, b) for a, b in itertools.combinations(titles, 2))
    for k, title in enumerate(titles):                       # no title runs into another panel
        assert not any(_boxes_overlap(title, p) for j, p in enumerate(panels) if j != k)
    plt.close(fig)

