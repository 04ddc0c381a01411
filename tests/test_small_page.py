"""benchmarks/small_page.py: the quarter counts it prints are right, and a bad row does not stop the others."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def small_page(project_script):
    return project_script("benchmarks/small_page.py")


def test_quarter_counts_count_each_quarter_against_the_reference(small_page):
    reference = np.zeros((10, 384), bool)
    reference[:, :10] = True              # 100 reference ink pixels on the left
    reference[:, -4:] = True              # 40 on the right
    ink = np.zeros_like(reference)
    ink[:5, :10] = True                   # half of the left reference's ink ...
    ink[:, 50:60] = True                  # ... and 100 pixels more where the reference has none
    ink[:, 100:200] = True                # the middle half is not counted
    c = small_page.quarter_counts(ink, reference)
    assert (c["left"], c["right"]) == (150, 0)
    assert c["left_vs_ref"] == pytest.approx(1.5) and c["left_kept"] == pytest.approx(0.5)
    assert c["right_vs_ref"] == 0 and c["right_kept"] == 0


def test_parse_also_reads_numbers_and_text(small_page):
    assert small_page.parse_also("up2=gridlstm:upscale=2,input_levels=percentile") == (
        "up2", "gridlstm", {"upscale": 2, "input_levels": "percentile"})
    assert small_page.parse_also("plain=otsu") == ("plain", "otsu", {})
    with pytest.raises(ValueError, match="LABEL=METHOD"):
        small_page.parse_also("no-method")


def test_main_prints_sauvola_as_its_own_reference_and_goes_on_after_a_refused_parameter(small_page, capsys):
    small_page.main(["--methods", "sauvola", "--also", "odd=otsu:window=3", "--also", "w31=sauvola:window=31"])
    rows = {line.split()[0]: line.split()[1:] for line in capsys.readouterr().out.splitlines() if line.strip()}
    assert rows["sauvola"][:3] == [rows["sauvola"][0], "1.00", "100.0"] and int(rows["sauvola"][0]) > 0
    assert "does not take window" in " ".join(rows["odd"])
    assert len(rows["w31"]) == 7  # the row after the refused one is there
