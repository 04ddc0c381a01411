"""Tests for binkit.datasets.hard: hard scans with exact GT, and the committed set data/synthetic_hard."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import binkit
from binkit.__main__ import main
from binkit.datasets import load_synthetic
from binkit.datasets.hard import (
    BORDER_RANGE,
    FEATURES,
    HARD_SET_PAGE_SIZE,
    HARD_SET_SIZE,
    HARD_VERSION,
    REGION_CODES,
    RESOLUTION_RANGE,
    HardPage,
    hard_page,
    load_regions,
    write_hard_set,
)
from binkit.datasets.synthetic import GENERATOR_VERSION, SyntheticPage

SMALL = (192, 288)  # small scans keep the tests fast
COMMITTED = Path(__file__).resolve().parents[1] / "data" / "synthetic_hard"
SCAN_FEATURES = tuple(f for f in FEATURES if f != "resolution")
CODE = {"border": REGION_CODES["border"], "gutter": REGION_CODES["gutter"],
        "next_page": REGION_CODES["next_page"], "corner": REGION_CODES["corner"], "patches": REGION_CODES["patch"]}


def _read(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        assert im.mode == "L"
        return np.asarray(im).copy()


def _no_ink_in_regions(page: HardPage) -> None:
    assert not (page.gt & page.border).any()
    assert float(np.abs(page.coverage[page.border]).max(initial=0.0)) == 0.0
    assert np.array_equal(page.gt, page.coverage >= 0.5)


# ---------------------------------------------------------------------------
# ground truth: nothing beyond the page is ink


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_feature_at_once_keeps_its_area_free_of_ink(seed):
    page = hard_page(seed, features=FEATURES, size=SMALL)
    assert isinstance(page, HardPage) and isinstance(page, SyntheticPage)
    assert page.image.shape == page.gt.shape == page.regions.shape == page.coverage.shape
    assert page.image.dtype == np.float32 and page.gt.dtype == np.bool_ and page.regions.dtype == np.uint8
    assert set(np.unique(page.regions)) == set(REGION_CODES.values())   # every region is there
    _no_ink_in_regions(page)
    assert page.gt[~page.border].mean() > 0.01                          # the page still has text
    json.dumps(page.params)
    assert page.params["hard_version"] == HARD_VERSION
    assert page.params["generator_version"] == GENERATOR_VERSION
    assert page.params["features"] == list(FEATURES)


@pytest.mark.parametrize("feature", SCAN_FEATURES)
def test_each_feature_alone_adds_only_its_own_region(feature):
    plain = hard_page(4, features=(), size=SMALL)
    page = hard_page(4, features=(feature,), size=SMALL)
    codes = set(np.unique(page.regions)) - {0}
    expected = {CODE[feature]} | ({REGION_CODES["border"]} if feature == "patches" else set())
    assert codes == expected, (feature, codes)
    _no_ink_in_regions(page)
    assert feature in page.params
    assert not plain.border.any() and plain.params["features"] == []
    assert not np.array_equal(page.image, plain.image)


def test_dark_and_grey_borders_and_their_tones():
    kinds = {}
    for seed in range(12):
        page = hard_page(seed, features=("border",), size=SMALL, preset="clean", vary=False)
        bd = page.params["backdrop"]
        kinds.setdefault(bd["kind"], []).append(seed)
        lo, hi = (0.02, 0.14) if bd["kind"] == "dark" else (0.30, 0.55)
        assert lo <= bd["tone"] <= hi
        # clean preset: the border shows the backdrop tone (+- its low-frequency variation)
        assert abs(float(page.image[page.border].mean()) - bd["tone"]) < 0.1 * bd["tone"] + 0.02
        paper = ~page.border & ~page.gt
        assert float(page.image[page.border].mean()) < float(page.image[paper].mean()) - 0.15
        if bd["kind"] == "dark":  # a dark border is as dark as the ink or darker: a threshold's trap
            assert float(page.image[page.border].mean()) < page.params["ink_tone"] + 0.08
    assert set(kinds) == {"dark", "grey"}, kinds


def test_border_widths_within_range_and_exactly_where_the_map_says():
    seen = set()
    for seed in range(10):
        page = hard_page(seed, features=("border",), size=SMALL)
        widths = page.params["border"]
        H, W = page.image.shape
        sides = [s for s, w in widths.items() if w > 0]
        assert 1 <= len(sides) <= 4
        seen.add(len(sides))
        for side, w in widths.items():
            across = W if side in ("left", "right") else H
            if w:
                assert math.floor(BORDER_RANGE[0] * across) <= w <= math.ceil(BORDER_RANGE[1] * across), (side, w)
        y0, y1, x0, x1 = page.params["page_box"]
        assert (y0, H - y1, x0, W - x1) == (widths["top"], widths["bottom"], widths["left"], widths["right"])
        expected = np.ones((H, W), bool)
        expected[y0:y1, x0:x1] = False
        assert np.array_equal(page.border, expected)
        assert np.all(page.regions[page.border] == REGION_CODES["border"])
    assert len(seen) >= 3, seen  # one to four sides, not always the same number


def test_gutter_band_is_free_of_text_and_darkened():
    page = hard_page(5, features=("gutter",), size=SMALL, preset="clean", vary=False)
    g = page.params["gutter"]
    y0, y1, x0, x1 = page.params["page_box"]
    band = page.regions == REGION_CODES["gutter"]
    assert band.sum() == g["width"] * (y1 - y0)
    cols = np.flatnonzero(band.any(axis=0))
    assert (cols[0] == x0) if g["side"] == "left" else (cols[-1] == x1 - 1)
    _no_ink_in_regions(page)
    # darkest next to the binding
    edge = cols[0] if g["side"] == "left" else cols[-1]
    inner = cols[-1] if g["side"] == "left" else cols[0]
    assert float(page.image[:, edge].mean()) < float(page.image[:, inner].mean()) - 0.2


def test_facing_page_text_fragments_are_dark_but_not_ink():
    found = False
    for seed in range(20):
        page = hard_page(seed, features=("next_page",), size=(256, 384), preset="clean", vary=False)
        npg = page.params["next_page"]
        strip = page.regions == REGION_CODES["next_page"]
        assert strip.sum() == npg["width"] * (npg["rows"][1] - npg["rows"][0])
        _no_ink_in_regions(page)
        if npg["fragments"]:
            # the fragments are printed like ink (much darker than the paper) in a region that is all page
            a, b = npg["columns"]
            a, b = (a, b - npg["seam"] - 1) if npg["side"] == "left" else (a + npg["seam"] + 1, b)  # not the seam
            sub = page.image[npg["rows"][0]:npg["rows"][1], a:b]
            dark = sub < (page.params["ink_tone"] + page.params["paper_tone"]) / 2 - 0.1
            if dark.sum() > 20:
                found = True
                break
    assert found, "no seed gave visible text fragments on the facing page"


@pytest.mark.parametrize("kind", ["torn", "curl"])
def test_corner_hides_the_text_under_it(kind):
    for seed in range(20):
        page = hard_page(seed, features=("corner",), size=SMALL)
        if page.params["corner"]["kind"] == kind:
            break
    else:
        pytest.fail(f"no {kind} corner in 20 seeds")
    corner = page.regions == REGION_CODES["corner"]
    assert corner.any()
    _no_ink_in_regions(page)
    # the text under the corner was really there before: same seed, no corner
    plain = hard_page(seed, features=(), size=SMALL)
    assert np.array_equal(page.gt, plain.gt & ~corner)
    which = page.params["corner"]["corner"]
    y = 0 if which.startswith("top") else -1
    x = 0 if which.endswith("left") else -1
    assert corner[y, x]                       # the very corner is gone (or folded)


@pytest.mark.parametrize("kind", ["ruler", "card"])
def test_ruler_and_colour_card_lie_in_the_border(kind):
    for seed in range(20):
        page = hard_page(seed, features=("patches",), size=SMALL, preset="clean", vary=False)
        if page.params["patches"]["kind"] == kind:
            break
    else:
        pytest.fail(f"no {kind} in 20 seeds")
    p = page.params["patches"]
    patch = page.regions == REGION_CODES["patch"]
    assert patch.sum() == p["thickness"] * p["length"]
    y0, y1, x0, x1 = page.params["page_box"]
    assert not patch[y0:y1, x0:x1].any()      # outside the page
    _no_ink_in_regions(page)
    vals = page.image[patch]
    assert vals.min() < 0.3 and vals.max() > 0.7  # black marks or patches next to white ones


# ---------------------------------------------------------------------------
# resolution, determinism, arguments


def test_resolution_factor_scales_the_scan_and_the_text():
    full = hard_page(6, features=(), resolution=1.0)
    half = hard_page(6, features=(), resolution=0.5)
    assert full.image.shape == (512, 768) and half.image.shape == (256, 384)
    assert full.params["font_size_range"] == [20, 36] and half.params["font_size_range"] == [10, 18]
    assert half.params["resolution"] == 0.5
    for seed in range(8):
        page = hard_page(seed, features=("resolution", "border"), size=SMALL)
        r = page.params["resolution"]
        assert RESOLUTION_RANGE[0] <= r <= RESOLUTION_RANGE[1]
        assert page.image.shape == (round(r * SMALL[0]), round(r * SMALL[1]))
        H, W = page.image.shape
        for side, w in page.params["border"].items():  # borders scale with the scan
            across = W if side in ("left", "right") else H
            assert w == 0 or w <= math.ceil(BORDER_RANGE[1] * across)
    assert hard_page(1, features=(), size=SMALL).params["resolution"] == 1.0


def test_same_seed_same_scan_bit_for_bit_and_no_global_state():
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    a = hard_page(7, size=SMALL)
    assert np.array_equal(np.random.get_state()[1], before)
    np.random.seed(99)
    b = hard_page(7, size=SMALL)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.gt, b.gt)
    assert np.array_equal(a.regions, b.regions) and a.params == b.params
    c = hard_page(8, size=SMALL)
    assert a.params["features"] != c.params["features"] or not np.array_equal(a.gt, c.gt)
    # drawn features: always at least one besides the resolution
    drawn = [hard_page(s, size=SMALL).params["features"] for s in range(6)]
    assert all(set(d) - {"resolution"} for d in drawn)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"seed": -1},
        {"seed": 0, "features": "border"},
        {"seed": 0, "features": ["border", "smudge"]},
        {"seed": 0, "features": 3},
        {"seed": 0, "resolution": 0.0},
        {"seed": 0, "resolution": 1.5},
        {"seed": 0, "resolution": float("nan")},
        {"seed": 0, "resolution": 0.1, "size": (192, 288)},
        {"seed": 0, "preset": "extreme"},
        {"seed": 0, "noise": 2.0},
        {"seed": 0, "size": (10, 10)},
        {"seed": 0, "font_size": (30, 20)},
        {"seed": 0, "font_size": "big"},
    ],
)
def test_bad_arguments_raise_input_error(kwargs):
    seed = kwargs.pop("seed")
    with pytest.raises(binkit.InputError) as info:
        hard_page(seed, **kwargs)
    assert "\n" not in str(info.value)


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError):
        hard_page(0, smudge=0.5)


# ---------------------------------------------------------------------------
# writing a set; the committed set


def test_write_hard_set_and_read_it_back(tmp_path):
    manifest = write_hard_set(tmp_path / "h", seeds=[2, 5], size=SMALL)
    on_disk = json.loads((tmp_path / "h" / "manifest.json").read_text())
    assert on_disk == manifest
    assert on_disk["hard_version"] == HARD_VERSION and on_disk["generator_version"] == GENERATOR_VERSION
    assert on_disk["seeds"] == [2, 5] and on_disk["options"] == {"size": list(SMALL)}
    assert on_disk["region_codes"] == dict(REGION_CODES)
    samples = load_synthetic(tmp_path / "h")
    assert [s.name for s in samples] == ["hard_02", "hard_05"]
    for entry, sample in zip(on_disk["pages"], samples):
        page = hard_page(entry["seed"], size=SMALL)
        assert entry["params"] == page.params
        assert np.array_equal(sample.gt, page.gt)
        assert np.array_equal(load_regions(tmp_path / "h", entry["name"]), page.regions)
        assert entry["border_fraction"] == pytest.approx(float(page.border.mean()), abs=1e-6)


def test_cli_writes_a_hard_set(tmp_path, capsys):
    assert main(["synthetic", "--hard", "--count", "1", "--dest", str(tmp_path / "h")]) == 0
    manifest = json.loads((tmp_path / "h" / "manifest.json").read_text())
    assert manifest["seeds"] == [0] and manifest["options"]["size"] == list(HARD_SET_PAGE_SIZE)
    assert "hard" in capsys.readouterr().out


def test_committed_hard_set_is_consistent():
    manifest = json.loads((COMMITTED / "manifest.json").read_text())
    assert manifest["hard_version"] == HARD_VERSION and manifest["generator_version"] == GENERATOR_VERSION
    assert manifest["seeds"] == list(range(HARD_SET_SIZE)) and len(manifest["pages"]) == HARD_SET_SIZE
    assert manifest["options"] == {"size": list(HARD_SET_PAGE_SIZE)}
    counts = {f: 0 for f in FEATURES}
    for entry in manifest["pages"]:
        gt = _read(COMMITTED / entry["gt"]) == 0
        regions = _read(COMMITTED / entry["regions"])
        image = _read(COMMITTED / entry["image"])
        assert image.shape == gt.shape == regions.shape == tuple(entry["params"]["size"])
        assert not (gt & (regions != 0)).any(), entry["name"]
        assert entry["border_fraction"] == pytest.approx(float((regions != 0).mean()), abs=1e-6)
        for f in entry["params"]["features"]:
            counts[f] += 1
    assert all(n >= 5 for n in counts.values()), counts   # every feature on several pages


def test_committed_hard_pages_are_reproduced_from_the_manifest():
    manifest = json.loads((COMMITTED / "manifest.json").read_text())
    # three of the smallest pages (fast), with different features
    entries = sorted(manifest["pages"], key=lambda e: e["params"]["size"][0] * e["params"]["size"][1])[:3]
    size = tuple(manifest["options"]["size"])
    for entry in entries:
        page = hard_page(entry["seed"], size=size)
        assert page.params == entry["params"]
        img8 = np.clip(np.rint(page.image * 255.0), 0, 255).astype(np.uint8)
        assert np.array_equal(_read(COMMITTED / entry["image"]), img8), entry["name"]
        assert np.array_equal(_read(COMMITTED / entry["gt"]) == 0, page.gt)
        assert np.array_equal(_read(COMMITTED / entry["regions"]), page.regions)
