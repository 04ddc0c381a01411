"""Faint-ink pages (binkit.datasets.faint): barely darker than the paper, exact GT, a committed set that reproduces."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from binkit import InputError
from binkit.__main__ import main
from binkit.datasets import load_synthetic
from binkit.datasets.faint import (FAINT_KINDS, FAINT_SET_PAGE_SIZE, FAINT_SET_SIZE, FAINT_VERSION, faint_page,
                                   write_faint_set)
from binkit.io import as_gray

COMMITTED = Path(__file__).resolve().parents[1] / "data" / "synthetic_faint"
SMALL = (160, 240)


@pytest.mark.parametrize("kind", FAINT_KINDS)
def test_the_ink_is_barely_darker_than_the_paper(kind):
    page = faint_page(3, kind=kind, size=(256, 384))
    gray = as_gray(page.image)
    assert page.image.shape == (256, 384, 3) and page.image.dtype == np.float32
    assert page.gt.any() and np.array_equal(page.gt, page.coverage >= 0.5)  # exact GT, however faint
    gap = float(np.median(gray[~page.gt]) - np.median(gray[page.gt]))
    assert 0.02 < gap < 0.25, gap  # a faint page: strokes a tenth or so of the range below the paper
    assert page.params["kind"] == kind and page.params["faint_version"] == FAINT_VERSION


def test_brown_ink_on_beige_paper():
    page = faint_page(0, kind="letter", size=SMALL)
    r, g, b = np.asarray(page.params["paper_rgb"])
    assert r > g > b  # beige / yellowed: warm
    ink = np.asarray(page.params["ink_rgb"])
    assert ink[0] > ink[2]  # brown, not black


def test_thin_pen_strokes_are_thin():
    page = faint_page(2, kind="thin_pen", size=(256, 384))
    from scipy import ndimage

    width = 2 * ndimage.distance_transform_edt(page.gt)[page.gt].mean()
    assert width < 3.0, width


def test_same_seed_same_page_and_bad_arguments():
    a, b = faint_page(5, size=SMALL), faint_page(5, size=SMALL)
    assert np.array_equal(a.image, b.image) and a.params == b.params and a.kind == FAINT_KINDS[5 % 4]
    with pytest.raises(InputError, match="kind='bold'"):
        faint_page(0, kind="bold")
    with pytest.raises(InputError):
        faint_page(-1)


def test_write_and_read_back_and_the_command(tmp_path, capsys):
    manifest = write_faint_set(tmp_path / "set", seeds=[0, 1], size=SMALL)
    assert [p["kind"] for p in manifest["pages"]] == ["letter", "pale_print"]
    samples = load_synthetic(tmp_path / "set")
    assert [s.name for s in samples] == ["faint_00", "faint_01"] and samples[0].gt.any()
    assert main(["synthetic", "--faint", "--count", "1", "--dest", str(tmp_path / "cli")]) == 0
    assert "wrote 1 faint-ink synthetic pages" in capsys.readouterr().out
    assert main(["synthetic", "--faint", "--hard", "--dest", str(tmp_path / "x")]) == 2


def test_committed_faint_set_is_reproduced_from_the_manifest():
    manifest = json.loads((COMMITTED / "manifest.json").read_text())
    assert manifest["faint_version"] == FAINT_VERSION and manifest["seeds"] == list(range(FAINT_SET_SIZE))
    assert manifest["options"] == {"size": list(FAINT_SET_PAGE_SIZE)}
    assert sorted({p["kind"] for p in manifest["pages"]}) == sorted(FAINT_KINDS)
    entry = manifest["pages"][0]
    page = faint_page(entry["seed"], size=FAINT_SET_PAGE_SIZE)
    assert page.params == entry["params"]
    rgb8 = np.clip(np.rint(page.image * 255.0), 0, 255).astype(np.uint8)
    assert np.array_equal(np.asarray(Image.open(COMMITTED / entry["image"])), rgb8)
    assert np.array_equal(np.asarray(Image.open(COMMITTED / entry["gt"])) == 0, page.gt)
