"""Tests for binkit.scoring: every page with every method, rows of binkit.results, times per megapixel."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import numpy as np
import pytest

from binkit.metrics import MEASURES, evaluate
from binkit.scoring import score_methods


def _page(seed, shape=(40, 60)):
    rng = np.random.default_rng(seed)
    gt = np.zeros(shape, bool)
    gt[10:30, 15:45] = rng.random((20, 30)) < 0.6
    image = np.where(gt, 0.2, 0.8).astype(np.float32) + rng.normal(0, 0.05, shape).astype(np.float32)
    return image, gt


def test_score_methods_rows_and_times():
    (im0, gt0), (im1, gt1) = _page(0), _page(1)
    pages = [("p0", im0, gt0), SimpleNamespace(name="2016_H01", year=2016, image=im1, gt=gt1)]
    methods = {"half": lambda im: im < 0.5, "none": lambda im: np.zeros(im.shape, bool)}
    rows, speed = score_methods(pages, methods, criterium={"half": "error"})
    assert [(r["image"], r["config"]) for r in rows] == [("p0", "half"), ("p0", "none"),
                                                         ("2016_H01", "half"), ("2016_H01", "none")]
    assert [r["dataset"] for r in rows] == ["", "", "H-DIBCO 2016", "H-DIBCO 2016"]
    assert [r["criterium"] for r in rows] == ["error", "", "error", ""]
    assert all(set(MEASURES) <= set(r) for r in rows)  # every measure of evaluate
    assert rows[2]["fm"] == pytest.approx(evaluate(im1 < 0.5, gt1)["fm"])
    assert rows[3]["fm"] == 0.0
    assert set(speed) == set(methods) and all(s >= 0 for s in speed.values())


def test_score_methods_hands_every_ink_mask_to_on_ink():
    (im0, gt0), (im1, gt1) = _page(0), _page(1)
    methods = {"half": lambda im: im < 0.5, "none": lambda im: np.zeros(im.shape, bool)}
    seen = []
    score_methods([("p0", im0, gt0), ("p1", im1, gt1)], methods,
                  on_ink=lambda label, name, ink: seen.append((label, name, int(ink.sum()))))
    assert seen == [("half", "p0", int((im0 < 0.5).sum())), ("none", "p0", 0),
                    ("half", "p1", int((im1 < 0.5).sum())), ("none", "p1", 0)]


def test_score_methods_imports_no_torch():
    """Scoring classical methods must not pull torch in (checked in a fresh interpreter)."""
    import subprocess

    code = ("import sys, numpy as np; from binkit.scoring import score_methods; "
            "im = np.random.rand(20, 20).astype('float32'); "
            "score_methods([('p', im, im < 0.5)], {'t': lambda x: x < 0.5}); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_score_methods_no_pages():
    assert score_methods([], {"a": lambda im: im < 0.5}) == ([], {})
