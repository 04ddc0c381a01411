"""benchmarks/stroke_widths.py: the stroke width it prints is right on strokes of known width."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def widths(project_script):
    return project_script("benchmarks/stroke_widths.py")


@pytest.mark.parametrize("width, expected", [(1, 2.0), (2, 2.0), (5, 6.0), (9, 10.0)])
def test_stroke_width_of_bars(widths, width, expected):
    # long horizontal bars `width` rows high: the skeleton runs along their middle
    ink = np.zeros((80, 200), bool)
    for top in (10, 40):
        ink[top:top + width, 20:180] = True
    assert widths.stroke_width(ink) == pytest.approx(expected)


def test_no_ink_has_no_width(widths):
    assert np.isnan(widths.stroke_width(np.zeros((20, 20), bool)))


def test_summary_counts_the_thin_pages_and_skips_the_unmeasured(widths):
    fields = widths.summary([2.0, 2.0, 6.0, float("nan")]).split()
    assert fields == ["67%", "2.00", "2.00", "6.00"]
    assert widths.summary([float("nan")]).split() == ["-"] * 4
