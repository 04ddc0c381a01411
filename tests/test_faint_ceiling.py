"""benchmarks/faint_ceiling.py: the per-pixel oracle ceilings it prints are right on pages with known answers."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def ceiling(project_script):
    return project_script("benchmarks/faint_ceiling.py")


def _page(ink_rgb, paper_rgb, noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    ink = np.zeros((64, 96), bool)
    ink[20:26, 10:80] = ink[30:50, 40:44] = True
    rgb = np.where(ink[..., None], ink_rgb, paper_rgb) + noise * rng.standard_normal((64, 96, 3))
    return np.clip(rgb, 0, 1), ink


def test_separable_ink_reaches_fm_one_for_both_rules(ceiling):
    r = ceiling.page_ceilings(*_page((0.4, 0.3, 0.2), (0.9, 0.85, 0.7), noise=0.01))
    assert r["grey"] == pytest.approx(1.0) and r["colour"] == pytest.approx(1.0)
    assert r["grey@90"] == pytest.approx(1.0) and r["d_prime"] > 10


def test_ink_that_differs_only_in_hue_is_found_by_colour_not_grey(ceiling):
    # the same luminance for ink and paper, different hue: no grey threshold separates them, a colour projection does
    from binkit.io import LUMA_WEIGHTS

    luma = np.asarray(LUMA_WEIGHTS)
    ink_rgb = np.array([0.9, 0.6, 0.6])
    paper = np.array([0.6, 0.0, 0.6])
    paper[1] = (luma @ ink_rgb - luma[0] * paper[0] - luma[2] * paper[2]) / luma[1]  # the ink's luminance
    r = ceiling.page_ceilings(*_page(ink_rgb, paper, noise=0.02))
    assert r["colour"] > 0.95 and r["grey"] < 0.5


def test_main_reads_a_page_folder_and_prints_the_means(ceiling, tmp_path, capsys):
    from PIL import Image

    from binkit.io import save_binary

    rgb, ink = _page((0.5, 0.4, 0.3), (0.85, 0.8, 0.65), noise=0.05)
    (tmp_path / "images").mkdir()
    Image.fromarray((rgb * 255).astype(np.uint8)).save(tmp_path / "images" / "p.png")
    save_binary(tmp_path / "gt" / "p.png", ink)
    assert ceiling.main(["--pages", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1].startswith("p (?) ") and out.splitlines()[2].startswith("mean, all pages ")
    assert ceiling.main(["--pages", str(tmp_path / "nothing")]) == 2
