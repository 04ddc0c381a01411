"""What the widgets' redraws were made faster with (issue 32) gives the same results as before."""

from __future__ import annotations

import numpy as np
import pytest

from binkit import InputError
from binkit.metrics import evaluate, mpm, pseudo_weights
from binkit.plot import COLORS, _blas_libraries, error_overlay, single_threaded


def _overlay_by_masks(pred, gt):
    """error_overlay as it was: four masked writes."""
    rgb = np.empty(pred.shape + (3,), np.float32)
    rgb[:] = COLORS["tn"]
    rgb[pred & gt] = COLORS["tp"]
    rgb[pred & ~gt] = COLORS["fp"]
    rgb[~pred & gt] = COLORS["fn"]
    return rgb


def test_error_overlay_is_the_four_colour_table():
    rng = np.random.default_rng(1)
    pred, gt = rng.random((40, 70)) < 0.4, rng.random((40, 70)) < 0.3
    for p, g in ((pred, gt), (pred[:, ::3].T, gt[:, ::3].T), (pred.astype(np.uint8), gt.astype(int))):
        rgb = error_overlay(p, g)
        assert rgb.dtype == np.float32 and rgb.shape == np.shape(p) + (3,) and rgb.flags.writeable
        assert np.array_equal(rgb, _overlay_by_masks(np.asarray(p, bool), np.asarray(g, bool)))
    with pytest.raises(InputError, match="differ in shape"):
        error_overlay(pred, gt[:-1])


def _mpm_uncached(p, g):
    from binkit import metrics

    saved = metrics._CONTOUR_CACHE_PIXELS
    metrics._CONTOUR_CACHE_PIXELS = -1
    try:
        return mpm(p, g)
    finally:
        metrics._CONTOUR_CACHE_PIXELS = saved


def test_mpm_keeps_the_contour_of_one_gt_only_while_it_is_the_same():
    rng = np.random.default_rng(2)
    gt = np.zeros((60, 80), bool)
    gt[10:50, 20:26] = gt[30:36, 10:70] = True
    preds = [gt ^ (rng.random(gt.shape) < 0.05) for _ in range(3)]
    expected = [_mpm_uncached(p, gt) for p in preds]
    assert [mpm(p, gt) for p in preds] == expected          # the same GT again and again
    other = gt.copy()
    other[0:5, 0:5] = True                                  # same shape, other content
    assert mpm(preds[0], other) == _mpm_uncached(preds[0], other) != expected[0]
    gt[40:45, 60:70] = True                                 # changed in place: a new contour
    assert mpm(preds[1], gt) == _mpm_uncached(preds[1], gt)
    scores = evaluate(preds[2], gt, pseudo_weights(gt))
    assert scores["mpm"] == _mpm_uncached(preds[2], gt)


def test_surface_lut_and_fit_equal_the_matrix_products():
    from binkit.hybrid import GlobalLevels, fit_surface, surface_grid, surface_lut
    from binkit.hybrid.spline import _fit_solver, _grid_basis

    Z = surface_grid(GlobalLevels(text=0.25, background=0.80, noise=0.03))
    C = fit_surface(Z, 16)
    P = _fit_solver(256, 16, 0.0)
    np.testing.assert_allclose(C, P @ Z @ P.T, rtol=0, atol=1e-12)
    N = _grid_basis(64, 16)
    np.testing.assert_allclose(surface_lut(C, size=64, clip=False), N @ C @ N.T, rtol=0, atol=1e-12)
    assert not N.flags.writeable


def test_single_threaded_restores_the_thread_counts():
    libs = _blas_libraries()
    before = [get() for get, _ in libs]
    a = np.ones((300, 300))
    with single_threaded():
        assert all(get() == 1 for get, _ in libs)
        assert float((a @ a)[0, 0]) == 300.0
    assert [get() for get, _ in libs] == before
    import torch

    threads = torch.get_num_threads()
    with single_threaded():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == threads
    with pytest.raises(RuntimeError):
        with single_threaded():
            raise RuntimeError("a redraw that fails")
    assert [get() for get, _ in libs] == before


def test_a_redraw_drawn_once_has_the_size_and_look_of_the_inline_png():
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from IPython.core.pylabtools import print_figure
    from PIL import Image

    from binkit.plot import _png_drawn_once, update_figure

    img = np.zeros((120, 200), bool)
    img[20:100, 30:45] = img[50:60, 20:180] = img[70:110, 150:190] = True     # strokes, not pixel noise

    def make():
        fig, axes = plt.subplots(1, 2, figsize=(6, 2.4))
        for k, ax in enumerate(axes):
            ax.imshow(error_overlay(img, np.roll(img, k, axis=1)))
            ax.set_title(f"panel {k}: FM 12.34")
            ax.axis("off")
        fig.tight_layout()
        plt.close(fig)
        return fig

    tight = np.asarray(Image.open(io.BytesIO(print_figure(make(), "png", bbox_inches="tight"))))
    once = np.asarray(Image.open(io.BytesIO(_png_drawn_once(make()))))
    assert once.shape == tight.shape
    def differ(a, b):
        return np.mean(np.abs(a.astype(int) - b.astype(int)).max(axis=2) > 64)

    # the same picture, up to a shift of a pixel (the crop falls on whole pixels, a second draw need not)
    assert min(differ(np.roll(once, (dy, dx), axis=(0, 1)), tight)
               for dy in (-1, 0, 1) for dx in (-1, 0, 1)) < 0.01

    fig, ax = plt.subplots(figsize=(3, 2))              # a label past the figure's edge: printed as usual
    ax.text(1.5, 0.5, "far outside the axes, and the figure", transform=ax.transAxes)
    plt.close(fig)
    assert _png_drawn_once(fig) is None

    class Handle:
        def update(self, obj, **kw):
            self.got = (obj, kw)

    h = Handle()
    update_figure(h, make())
    assert h.got[1] == {"raw": True} and h.got[0]["text/plain"].startswith("<Figure size 600x240")
    assert h.got[0]["image/png"][:8] == b"\x89PNG\r\n\x1a\n"
    update_figure(h, fig)
    assert h.got == (fig, {})
