"""Tests for binkit.perturb.perturb and binkit.plot.weighted_error_overlay."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

from binkit import InputError
from binkit.datasets import synthetic_page
from binkit.metrics import pseudo_weights
from binkit.perturb import PERTURBATIONS, disk, perturb
from binkit.plot import COLORS, weighted_error_overlay


@pytest.fixture(scope="module")
def text() -> np.ndarray:
    """A small page of real (synthetic) text, True = ink."""
    return synthetic_page(3, preset="clean", size=(128, 192)).gt


def _bar(h=40, w=40, rows=(5, 35), cols=(12, 17)) -> np.ndarray:
    gt = np.zeros((h, w), bool)
    gt[rows[0] : rows[1], cols[0] : cols[1]] = True
    return gt


def _n_components(mask) -> int:
    return ndi.label(mask, structure=np.ones((3, 3), bool))[1]


# ---------------------------------------------------------------------------
# perturb: each knob moves the mask in its direction


def test_nothing_asked_returns_an_equal_copy(text):
    out = perturb(text)
    assert out.dtype == bool and out.shape == text.shape
    assert np.array_equal(out, text)
    assert out is not text
    out[0, 0] = not out[0, 0]
    assert text[0, 0] != out[0, 0]  # the input is never modified


def test_dilate_only_adds_ink_at_stroke_edges(text):
    out = perturb(text, dilate=2)
    added = out & ~text
    assert (out >= text).all() and added.any()
    # every added pixel lies within distance 2 of the original ink
    assert (ndi.distance_transform_edt(~text)[added] <= 2).all()
    assert (perturb(text, dilate=3) >= out).all()


def test_erode_only_removes_ink(text):
    out = perturb(text, erode=1)
    assert (out <= text).all() and (text & ~out).any()
    assert (perturb(text, erode=2) <= out).all()


def test_dilate_of_a_bar_adds_its_outline():
    gt = _bar()
    # radius 1 is a cross: one pixel on each side, no corners
    assert int(perturb(gt, dilate=1).sum() - gt.sum()) == 2 * 30 + 2 * 5


def test_noise_flips_about_the_requested_fraction(text):
    out = perturb(text, noise=0.05, rng=7)
    frac = float((out != text).mean())
    assert abs(frac - 0.05) < 0.005  # 24576 pixels: sd of the fraction ~0.0014
    # both directions occur
    assert (out & ~text).any() and (text & ~out).any()


def test_noise_is_nested_as_it_rises(text):
    low = perturb(text, noise=0.01, rng=3) != text
    high = perturb(text, noise=0.03, rng=3) != text
    assert (high >= low).all()


def test_one_break_severs_a_bar_with_a_thin_cut():
    gt = _bar()
    for seed in range(10):
        out = perturb(gt, breaks=1, rng=seed)
        removed = gt & ~out
        assert (out <= gt).all()
        assert removed.sum() == 2 * 5  # two full rows across the 5-px bar
        assert np.unique(np.nonzero(removed)[0]).size == 2
        assert _n_components(out) == 2


def test_breaks_remove_ink_only_in_thin_cuts(text):
    out = perturb(text, breaks=12, rng=1, break_width=2)
    removed = text & ~out
    assert (out <= text).all() and removed.any()
    # each cut is at most 2 lines of at most 81 px; in practice a few stroke widths
    assert removed.sum() <= 12 * 2 * 81
    assert removed.sum() < 0.1 * text.sum()
    assert _n_components(out) > _n_components(text)
    # the cuts are thin: no removed pixel has a full 3x3 of removed pixels around it
    assert not ndi.binary_erosion(removed, structure=np.ones((3, 3), bool)).any()


def test_more_breaks_only_add_cuts(text):
    few = perturb(text, breaks=3, rng=5)
    more = perturb(text, breaks=6, rng=5)
    assert (more <= few).all() and (few & ~more).any()


def test_break_width_sets_the_cut_thickness():
    gt = _bar()
    out = perturb(gt, breaks=1, rng=2, break_width=4)
    assert (gt & ~out).sum() == 4 * 5


def test_bleed_adds_ink_only_off_the_mask_and_from_the_source(text):
    source = np.roll(text[::-1], 7, axis=1)
    out = perturb(text, bleed=0.6, bleed_source=source, rng=0)
    added = out & ~text
    assert (out >= text).all() and added.any()
    assert not (added & text).any()
    assert (added <= source).all()
    # bleed=1 adds every source pixel off the mask; 0 adds none
    assert np.array_equal(perturb(text, bleed=1.0, bleed_source=source), text | source)
    assert np.array_equal(perturb(text, bleed=0.0, bleed_source=source), text)


def test_bleed_defaults_to_the_mirrored_mask(text):
    assert np.array_equal(perturb(text, bleed=1.0), text | text[:, ::-1])


def test_bleed_is_nested_as_it_rises(text):
    low = perturb(text, bleed=0.3, rng=4)
    high = perturb(text, bleed=0.7, rng=4)
    assert (high >= low).all()


def test_determinism_with_rng(text):
    kw = dict(dilate=1, breaks=5, bleed=0.4, noise=0.02)
    a = perturb(text, rng=11, **kw)
    assert np.array_equal(a, perturb(text, rng=11, **kw))
    assert np.array_equal(a, perturb(text, rng=np.random.default_rng(11), **kw))
    assert not np.array_equal(a, perturb(text, rng=12, **kw))
    assert np.array_equal(perturb(text, noise=0.02), perturb(text, noise=0.02, rng=0))


def test_knobs_draw_from_independent_streams(text):
    # turning bleed-through on does not move the noise pixels it does not cover
    noise_only = perturb(text, noise=0.02, rng=9) ^ text
    both = perturb(text, noise=0.02, bleed=0.5, rng=9)
    bled = perturb(text, bleed=0.5, rng=9)
    assert np.array_equal(both, bled ^ noise_only)


def test_accepts_0_1_integers(text):
    assert np.array_equal(perturb(text.astype(np.uint8), dilate=1), perturb(text, dilate=1))


def test_perturbations_lists_the_knobs():
    assert PERTURBATIONS == ("dilate", "erode", "breaks", "bleed", "noise")


def test_disk():
    assert disk(0).tolist() == [[True]]
    assert disk(1).sum() == 5 and disk(2).shape == (5, 5)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(dilate=-1),
        dict(erode=1.5),
        dict(breaks=True),
        dict(noise=1.5),
        dict(noise=-0.1),
        dict(noise=float("nan")),
        dict(bleed="lots"),
        dict(break_width=0),
        dict(rng="seed"),
        dict(rng=-3),
        dict(bleed_source=np.zeros((5, 5), bool)),
        dict(bleed_source=np.full((40, 40), 0.5)),
    ],
)
def test_bad_parameters_raise_input_error(kwargs):
    with pytest.raises(InputError):
        perturb(_bar(), **kwargs)


@pytest.mark.parametrize("mask", [np.zeros((4, 4, 3), bool), np.full((4, 4), 0.5), np.full((4, 4), 255, np.uint8)])
def test_bad_masks_raise_input_error(mask):
    with pytest.raises(InputError):
        perturb(mask)


def test_empty_mask_is_fine():
    empty = np.zeros((20, 20), bool)
    out = perturb(empty, dilate=2, erode=1, breaks=3, bleed=1.0)
    assert not out.any()


# ---------------------------------------------------------------------------
# weighted_error_overlay


@pytest.fixture(scope="module")
def case():
    """A bar GT; the prediction adds page pixels near and far from it and misses some ink."""
    gt = np.zeros((40, 40), bool)
    gt[5:35, 12:17] = True
    weights = pseudo_weights(gt)
    pred = gt.copy()
    pred[20, 17] = True  # FP touching the stroke
    pred[20, 38] = True  # FP far away
    pred[20, 14] = False  # FN in the middle of the stroke
    pred[10, 12] = False  # FN on the stroke's contour
    return pred, gt, weights


def test_overlay_shape_dtype_and_plain_colours(case):
    pred, gt, weights = case
    rgb = weighted_error_overlay(pred, gt, weights)
    assert rgb.shape == (40, 40, 3) and rgb.dtype == np.float32
    assert rgb.min() >= 0 and rgb.max() <= 1
    tp = pred & gt
    tn = ~pred & ~gt
    assert np.allclose(rgb[tp], COLORS["tp"])  # black
    assert np.allclose(rgb[tn], COLORS["tn"])  # white


def test_overlay_false_positives_are_orange_and_darker_where_they_weigh_more(case):
    pred, gt, (rw, pw) = case
    rgb = weighted_error_overlay(pred, gt, (rw, pw))
    near, far = rgb[20, 17], rgb[20, 38]
    for c in (near, far):
        assert c[0] > c[1] > c[2]  # orange: red above green above blue
    assert pw[20, 17] > pw[20, 38]
    # stronger colour = further from white = lower blue channel
    assert near[2] < far[2]
    # the far one weighs 1: a third of the way to the FP colour
    assert np.allclose(far, 1 + (np.array(COLORS["fp"]) - 1) / 3, atol=1e-6)


def test_overlay_false_negatives_are_blue_and_scale_with_recall_weight(case):
    pred, gt, (rw, pw) = case
    rgb = weighted_error_overlay(pred, gt, (rw, pw))
    middle, edge = rgb[20, 14], rgb[10, 12]
    for c in (middle, edge):
        assert c[2] > c[0] and c[2] > c[1]  # bluish
    assert rw[20, 14] > rw[10, 12]
    assert middle[0] < edge[0]  # stronger blue in the middle of the stroke
    # a weight-0 miss still shows, at the floor intensity
    assert rw[10, 12] == 0
    assert np.allclose(edge, 1 + 0.15 * (np.array(COLORS["fn"]) - 1), atol=1e-6)


def test_overlay_monotone_in_weight():
    gt = np.zeros((1, 6), bool)
    gt[0, 3:] = True
    pred = np.array([[True, True, True, False, False, False]])
    rw = np.array([[0, 0, 0, 0.0, 0.5, 1.0]])
    pw = np.array([[0.0, 1.0, 2.0, 0, 0, 0]])
    rgb = weighted_error_overlay(pred, gt, (rw, pw), floor=0.0)
    green = rgb[0, :, 1]
    assert green[0] > green[1] > green[2]  # FP: more weight, more red
    assert np.allclose(rgb[0, 3], 1.0)  # FN of weight 0 with floor 0: white
    assert green[3] > green[4] > green[5]  # FN: more weight, more blue


@pytest.mark.parametrize(
    "args",
    [
        (np.zeros((4, 4), bool), np.zeros((5, 4), bool), None),
        (np.zeros((4, 4), bool), np.zeros((4, 4), bool), np.zeros((4, 4))),
        (np.zeros((4, 4), bool), np.zeros((4, 4), bool), (np.zeros((4, 4)), np.zeros((3, 3)))),
        (np.full((4, 4), 0.5), np.zeros((4, 4), bool), (np.zeros((4, 4)), np.zeros((4, 4)))),
    ],
)
def test_overlay_bad_input_raises(args):
    pred, gt, weights = args
    if weights is None:
        weights = (np.zeros(gt.shape), np.zeros(gt.shape))
    with pytest.raises(InputError):
        weighted_error_overlay(pred, gt, weights)


def test_overlay_bad_floor_raises(case):
    pred, gt, weights = case
    with pytest.raises(InputError):
        weighted_error_overlay(pred, gt, weights, floor=2)


# ---------------------------------------------------------------------------
# plain-text tables (binkit.plot.text_table / metrics_table)


def test_text_table_aligns_columns():
    from binkit.plot import text_table

    out = text_table(["page", "n", "FM"], [["a", 3, 91.234], ["long name", 12, float("nan")]], digits=1)
    lines = out.split("\n")
    assert lines[0].startswith("page") and lines[1].startswith("---------")
    assert lines[2] == "a           3  91.2"
    assert lines[3] == "long name  12   nan"
    assert len({len(x) for x in lines}) == 1


def test_text_table_refuses_ragged_rows():
    from binkit.plot import text_table

    with pytest.raises(InputError):
        text_table(["a", "b"], [["x"]])


def test_metrics_table_scales_nrm_and_mpm():
    from binkit.metrics import evaluate
    from binkit.plot import metrics_table

    gt = _bar()
    pred = perturb(gt, dilate=1)
    s = evaluate(pred, gt)
    out = metrics_table({"dilated": s}, keys=("fm", "nrm", "mpm"), digits=3, label="case")
    head, _, row = out.split("\n")
    assert head.split() == ["case", "FM", "NRM×10²", "MPM×10³"]
    assert row.split() == ["dilated", f"{s['fm']:.3f}", f"{100 * s['nrm']:.3f}", f"{1000 * s['mpm']:.3f}"]
    with pytest.raises(InputError):
        metrics_table({"x": s}, keys=("fmeasure",))


def test_docstring_examples_run():
    import doctest

    import binkit.perturb
    import binkit.plot

    for module in (binkit.perturb, binkit.plot):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0, module.__name__
        assert result.attempted > 0
