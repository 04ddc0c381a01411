"""Issue 30, part 2: how a page's grey levels become the Grid LSTM's input (a choice of the model).

``"minmax"`` is the reference's stretch and stays the default, bit for bit, and
absent from every record written before the choice existed.  ``"percentile"``
anchors the stretch at the page's 1st percentile and median, so a faint letter's
ink spans as many input levels as a dark one's, whatever one dark speck does.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import binkit
from binkit import InputError
from binkit.__main__ import main
from binkit.datasets.faint import faint_page
from binkit.gridlstm import GridLSTMConfig
from binkit.gridlstm import inputs
from binkit.gridlstm.inputs import INPUT_LEVELS, input_levels, make_sequences, sequence_tiles_of_gray
from binkit.io import as_gray


def _faint_gray(seed=0, size=(192, 256)):
    page = faint_page(seed, size=size)
    return as_gray(page.image), page.gt


def test_minmax_is_the_default_and_the_reference_stretch():
    gray, _ = _faint_gray()
    assert INPUT_LEVELS[0] == "minmax" and GridLSTMConfig().input_levels == "minmax"
    lo, hi = input_levels(gray)
    assert (lo, hi) == pytest.approx((gray.min() * 255, gray.max() * 255), abs=1e-3)
    a, b = make_sequences(gray), make_sequences(gray, levels="minmax")
    np.testing.assert_array_equal(a.top_left, b.top_left)
    np.testing.assert_array_equal(a.bottom_left, b.bottom_left)


def test_percentile_puts_the_dark_tail_at_15_and_the_paper_at_85_percent():
    gray, gt = _faint_gray()
    lo, hi = input_levels(gray, "percentile")
    v = (gray * 255 - lo) / (hi - lo)
    assert np.percentile(v, 1) == pytest.approx(0.15, abs=0.01)
    assert np.median(v) == pytest.approx(0.85, abs=0.01)
    # the faint ink spans more of the input's levels than the reference's stretch gives it
    paper, ink = np.median(gray[~gt]), np.median(gray[gt])
    assert (paper - ink) * 255 / (hi - lo) > (paper - ink) / (gray.max() - gray.min())


def test_a_single_dark_speck_moves_minmax_but_not_percentile():
    gray, _ = _faint_gray()
    specked = gray.copy()
    specked[5, 5] = 0.0
    assert input_levels(specked, "minmax")[0] == 0.0 != input_levels(gray, "minmax")[0]
    assert input_levels(specked, "percentile") == pytest.approx(input_levels(gray, "percentile"), abs=0.05)


def test_percentile_values_are_clipped_to_the_input_range_and_a_flat_page_is_paper():
    gray, _ = _faint_gray()
    seq = make_sequences(gray, levels="percentile")
    assert seq.top_left.min() >= 0 and seq.top_left.max() <= 255
    assert (seq.top_left == 255).any()      # the paper's light tail lies above the 85 % anchor's reach
    flat = np.full((70, 90), 0.6, np.float32)
    for levels in INPUT_LEVELS:
        # block 0 lies inside the page: its x1 (the first f^2 numbers of each step) is all paper
        np.testing.assert_array_equal(make_sequences(flat, levels=levels).top_left[0, :, :16], 255.0)


def test_percentile_tiles_equal_the_whole_page_even_when_levels_are_sampled(monkeypatch):
    monkeypatch.setattr(inputs, "_LEVEL_SAMPLE", 1000)     # a subsample, as on a page of many megapixels
    gray, _ = _faint_gray(1, size=(300, 330))
    whole = make_sequences(gray, levels="percentile")
    cols = whole.grid[1]
    for r0, r1, c0, c1, tl, bl in sequence_tiles_of_gray(gray, 4, 2, max_blocks=3, levels="percentile"):
        i = (np.arange(r0, r1)[:, None] * cols + np.arange(c0, c1)).ravel()
        np.testing.assert_array_equal(tl, whole.top_left[i])
        np.testing.assert_array_equal(bl, whole.bottom_left[i])


def test_the_choice_is_checked_and_stored_only_when_it_is_not_the_default():
    with pytest.raises(InputError, match="input_levels='median'"):
        GridLSTMConfig(input_levels="median")
    with pytest.raises(InputError, match="expected one of minmax, percentile"):
        input_levels(np.ones((4, 4)), "median")
    assert "input_levels" not in GridLSTMConfig().to_dict()      # records of earlier runs stay equal
    stored = GridLSTMConfig(input_levels="percentile").to_dict()
    assert stored["input_levels"] == "percentile" and GridLSTMConfig(**stored) == GridLSTMConfig(**{
        **GridLSTMConfig().to_dict(), "input_levels": "percentile"})


def test_train_records_the_input_levels_and_faint_pages_and_the_checkpoint_keeps_them(tmp_path, capsys,
                                                                                       monkeypatch):
    import binkit.gridlstm.run as run_module
    from binkit.gridlstm.run import model_from_checkpoint

    monkeypatch.setattr(run_module.RunSpec, "mix_size", (96, 128))  # small synthetic pages: a quick test
    out = tmp_path / "run"
    code = main(["train", "gridlstm", "--footprint", "8", "--units-per-pixel", "1", "--loss", "bce", "--synthetic",
                 "--train", "1", "--val", "2", "--test", "--epochs", "1", "--blocks-per-epoch", "4",
                 "--batch-size", "4", "--val-blocks", "4", "--val-every", "1", "--no-progress",
                 "--input-levels", "percentile", "--mix-faint", "1", "--val-faint", "1", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    task = json.loads((out / "log.json").read_text())["task"]
    assert task["config"]["input_levels"] == "percentile"
    assert task["train"] == ["synth_001", "faint_100000"] and task["val"] == ["synth_002", "faint_200000"]
    assert model_from_checkpoint(out / "best.pt").config.input_levels == "percentile"
    with pytest.raises(SystemExit) as stop:
        main(["train", "gridlstm", "--input-levels", "median", "--out", str(tmp_path / "x")])
    assert stop.value.code == 2
    assert "invalid choice: 'median'" in capsys.readouterr().err


def test_inference_can_override_the_models_levels_and_refuses_an_unknown_one():
    import torch

    from binkit.gridlstm import GridLSTMBinarizer
    from binkit.gridlstm.inference import binarize, page_logits

    torch.manual_seed(0)
    trained_minmax = GridLSTMBinarizer(GridLSTMConfig())
    same_weights_percentile = GridLSTMBinarizer(GridLSTMConfig(input_levels="percentile"))
    same_weights_percentile.load_state_dict(trained_minmax.state_dict())
    gray, _ = _faint_gray(size=(96, 128))
    own = page_logits(gray, trained_minmax, "cpu")
    assert np.array_equal(page_logits(gray, trained_minmax, "cpu", input_levels="minmax"), own)
    other = page_logits(gray, trained_minmax, "cpu", input_levels="percentile")
    assert np.array_equal(other, page_logits(gray, same_weights_percentile, "cpu"))
    assert not np.array_equal(other, own)
    assert np.array_equal(binarize(gray, trained_minmax, "cpu", input_levels="percentile"), other >= 0)
    for bad in ("median", 1):
        with pytest.raises(InputError, match="input_levels"):
            page_logits(gray, trained_minmax, "cpu", input_levels=bad)
    with pytest.raises(InputError, match="input_levels"):  # checked before any weights load
        binkit.binarizer("gridlstm", input_levels="median", weights="no-such-weights")
