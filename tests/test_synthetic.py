"""Tests for binkit.datasets.synthetic: determinism, GT alignment, degradations."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from skimage.filters import threshold_otsu

import binkit
from binkit.datasets.synthetic import (
    CLEAN,
    DEFAULT,
    DEGRADATIONS,
    GENERATOR_VERSION,
    LIGHT,
    SyntheticPage,
    synthetic_page,
    write_synthetic_set,
)

SMALL = (192, 288)  # small pages keep the tests fast


def fmeasure(pred: np.ndarray, gt: np.ndarray) -> float:
    """F-measure in percent, 2TP / (2TP + FP + FN) * 100."""
    tp = np.count_nonzero(pred & gt)
    fp = np.count_nonzero(pred & ~gt)
    fn = np.count_nonzero(~pred & gt)
    return 200.0 * tp / (2 * tp + fp + fn)


def test_same_seed_same_page_bit_for_bit():
    a = synthetic_page(11, size=SMALL)
    b = synthetic_page(11, size=SMALL)
    assert np.array_equal(a.image, b.image)
    assert np.array_equal(a.gt, b.gt)
    assert a.params == b.params
    assert a.seed == 11


def test_different_seeds_different_pages():
    a = synthetic_page(1, size=SMALL)
    b = synthetic_page(2, size=SMALL)
    assert not np.array_equal(a.gt, b.gt)
    assert not np.array_equal(a.image, b.image)


def test_no_global_rng_state_used():
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    a = synthetic_page(5, size=SMALL)
    assert np.array_equal(np.random.get_state()[1], before)
    np.random.seed(123)
    np.random.random(10)
    b = synthetic_page(5, size=SMALL)
    assert np.array_equal(a.image, b.image)


def test_types_shapes_and_range():
    page = synthetic_page(0)
    assert isinstance(page, SyntheticPage)
    assert page.image.dtype == np.float32
    assert page.gt.dtype == np.bool_
    assert page.coverage.dtype == np.float32
    assert page.image.shape == page.gt.shape == page.coverage.shape == (512, 768)
    assert float(page.image.min()) >= 0.0 and float(page.image.max()) <= 1.0
    assert np.array_equal(page.gt, page.coverage >= 0.5)
    json.dumps(page.params)  # params are JSON-serialisable
    assert page.params["degradations"] == {k: float(v) for k, v in DEFAULT.items()}

    other = synthetic_page(0, size=(100, 300), font_size=(10, 14))
    assert other.image.shape == other.gt.shape == (100, 300)


def test_gt_ink_fraction_plausible():
    # Default text settings and page size; the GT does not depend on the
    # degradations (tested below), so the clean preset keeps this fast.
    fractions = [synthetic_page(s, preset="clean").ink_fraction for s in range(10)]
    assert all(0.02 < f < 0.25 for f in fractions), fractions


def test_otsu_on_light_page_matches_gt():
    # Large-ish text: the strokes are several pixels wide, so the global
    # threshold's bias on the anti-aliased edge pixels is small.
    page = synthetic_page(4, preset="light", font_size=(28, 36))
    pred = page.image < threshold_otsu(page.image)
    fm = fmeasure(pred, page.gt)
    assert fm > 95.0, fm
    # The alignment is real: a GT moved by one pixel scores clearly lower.
    for axis in (0, 1):
        for step in (-1, 1):
            shifted = np.roll(page.gt, step, axis=axis)
            assert fmeasure(pred, shifted) < fm - 10.0


def test_presets():
    assert set(DEGRADATIONS) == set(DEFAULT) == set(LIGHT) == set(CLEAN)
    assert all(v == 0.0 for v in CLEAN.values())
    assert all(0.0 < v <= 1.0 for v in LIGHT.values())
    assert all(LIGHT[k] <= DEFAULT[k] for k in DEGRADATIONS)


@pytest.mark.parametrize("name", DEGRADATIONS)
def test_each_degradation_changes_image_not_gt(name):
    clean = synthetic_page(7, preset="clean", size=SMALL)
    degraded = synthetic_page(7, preset="clean", size=SMALL, **{name: 0.6})
    assert degraded.params["degradations"][name] == 0.6
    assert np.array_equal(degraded.gt, clean.gt)
    assert np.array_equal(degraded.coverage, clean.coverage)
    diff = np.abs(degraded.image - clean.image)
    assert float(diff.mean()) > 1e-3, (name, float(diff.mean()))


def test_all_degradations_together_keep_gt():
    clean = synthetic_page(3, preset="clean", size=SMALL)
    heavy = synthetic_page(3, size=SMALL, **{k: 1.0 for k in DEGRADATIONS})
    varied = synthetic_page(3, size=SMALL, vary=True)
    assert np.array_equal(heavy.gt, clean.gt)
    assert np.array_equal(varied.gt, clean.gt)
    assert varied.params["degradations"] != dict(DEFAULT)
    assert all(0.0 <= v <= 1.0 for v in varied.params["degradations"].values())


def test_bleed_through_and_stains_darken_the_page():
    clean = synthetic_page(9, preset="clean", size=SMALL)
    for name in ("bleed_through", "stains"):
        page = synthetic_page(9, preset="clean", size=SMALL, **{name: 1.0})
        paper = ~page.gt
        assert float(page.image[paper].mean()) < float(clean.image[paper].mean())


def test_faded_ink_lightens_ink():
    clean = synthetic_page(9, preset="clean", size=SMALL)
    faded = synthetic_page(9, preset="clean", size=SMALL, faded_ink=1.0)
    assert float(faded.image[faded.gt].mean()) > float(clean.image[clean.gt].mean()) + 0.05


@pytest.mark.parametrize(
    "kwargs",
    [
        {"seed": -1},
        {"seed": 1.5},
        {"seed": "3"},
        {"seed": True},
        {"seed": 0, "blur": 1.5},
        {"seed": 0, "noise": -0.1},
        {"seed": 0, "stains": float("nan")},
        {"seed": 0, "jpeg": "high"},
        {"seed": 0, "wobble": 2.0},
        {"seed": 0, "size": (10, 10)},
        {"seed": 0, "size": (512,)},
        {"seed": 0, "size": (512.0, 768.0)},
        {"seed": 0, "size": (100_000, 768)},
        {"seed": 0, "font_size": (30, 20)},
        {"seed": 0, "font_size": (2, 4)},
        {"seed": 0, "font_size": (20, 500)},
        {"seed": 0, "preset": "extreme"},
        {"seed": 0, "vary": "yes"},
    ],
)
def test_bad_parameters_raise_input_error(kwargs):
    seed = kwargs.pop("seed")
    with pytest.raises(binkit.InputError) as info:
        synthetic_page(seed, **kwargs)
    assert "\n" not in str(info.value)


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError):
        synthetic_page(0, smudge=0.5)


def test_write_synthetic_set(tmp_path):
    dest = tmp_path / "synth"
    manifest = write_synthetic_set(dest, seeds=[0, 3], size=SMALL)
    on_disk = json.loads((dest / "manifest.json").read_text())
    assert on_disk == manifest
    assert on_disk["generator_version"] == GENERATOR_VERSION
    assert on_disk["seeds"] == [0, 3]
    assert [p["name"] for p in on_disk["pages"]] == ["synth_00", "synth_03"]
    for entry in on_disk["pages"]:
        page = synthetic_page(entry["seed"], size=SMALL, vary=True)
        assert entry["params"] == page.params
        with Image.open(dest / entry["image"]) as im:
            assert im.mode == "L" and im.size == (SMALL[1], SMALL[0])
            img = np.asarray(im)
        with Image.open(dest / entry["gt"]) as g:
            assert g.mode == "L" and g.size == (SMALL[1], SMALL[0])
            gt = np.asarray(g)
        assert set(np.unique(gt)) <= {0, 255}
        assert np.array_equal(gt == 0, page.gt)
        assert np.abs(img.astype(np.float32) / 255 - page.image).max() <= 0.5 / 255 + 1e-6
    assert entry["ink_fraction"] == pytest.approx(page.ink_fraction, abs=1e-5)


def test_write_synthetic_set_rejects_bad_seeds(tmp_path):
    with pytest.raises(binkit.InputError):
        write_synthetic_set(tmp_path, seeds=[])
    with pytest.raises(binkit.InputError):
        write_synthetic_set(tmp_path, seeds=[1, 1])
    with pytest.raises(binkit.InputError):
        write_synthetic_set(tmp_path, seeds=[-2])


def test_committed_set_is_reproduced():
    # The hard pages (binkit.datasets.hard) live in their own module: the
    # committed data/synthetic set is still what synthetic_page makes, pixel
    # for pixel, with the same parameters.
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "data" / "synthetic"
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["generator_version"] == GENERATOR_VERSION
    entry = manifest["pages"][0]
    page = synthetic_page(entry["seed"], preset=manifest["preset"], vary=manifest["vary"])
    assert entry["params"] == page.params
    with Image.open(root / entry["image"]) as im:
        img = np.asarray(im)
    with Image.open(root / entry["gt"]) as g:
        gt = np.asarray(g)
    assert np.array_equal(img, np.clip(np.rint(page.image * 255.0), 0, 255).astype(np.uint8))
    assert np.array_equal(gt == 0, page.gt)
