"""Issue 30: the Grid LSTM's validation can count ``1 - FM`` instead of the pixel error.

The pixel error of mostly-paper validation blocks stays low whatever happens to
faint strokes, so it kept early checkpoints that drop them.  ``val_measure="fm"``
makes ``best.pt`` the checkpoint whose validation blocks' pooled FM is highest.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch

from binkit import InputError
from binkit.__main__ import main
from binkit.datasets import synthetic_page
from binkit.gridlstm import GridLSTMBinarizer, GridLSTMConfig
from binkit.gridlstm.run import RunSpec
from binkit.gridlstm.training import VAL_MEASURES, GridLSTMTask
from binkit.metrics import fmeasure

SMALL = GridLSTMConfig(footprint=8, units_per_pixel=1)


def _pages(seeds, size=(64, 64)):
    out = []
    for seed in seeds:
        page = synthetic_page(seed, size=size)
        out.append((f"p{seed}", page.image, page.gt))
    return out


def _task(measure):
    torch.manual_seed(0)
    return GridLSTMTask(SMALL, "bce", _pages([1]), _pages([2]), model=GridLSTMBinarizer(SMALL),
                        val_measure=measure)


def test_fm_measure_is_one_minus_the_pooled_fm_of_the_blocks_and_error_stays_the_pixel_error():
    task = _task("fm")
    batch = task.batches("val", 4, np.random.default_rng(0))
    logits = task._forward(task.model, batch, "cpu").detach().numpy()
    target = np.asarray(batch["target"]).astype(bool)
    wrong, counted = task.errors(task.model, batch, "cpu")
    pooled = fmeasure((logits >= 0).reshape(-1, logits.shape[-1]), target.reshape(-1, logits.shape[-1]))
    assert float(wrong) / float(counted) == pytest.approx(1 - pooled / 100, abs=1e-6)
    task.val_measure = "error"
    wrong_px, pixels = task.errors(task.model, batch, "cpu")
    assert int(wrong_px) == int(wrong) and pixels == target.size  # same wrong pixels, another denominator


def test_an_unknown_measure_is_refused_in_one_line_and_the_paper_measure_stays_out_of_records():
    assert VAL_MEASURES == ("error", "fm")
    with pytest.raises(InputError, match="val_measure='f1': expected one of error, fm"):
        _task("f1")
    with pytest.raises(InputError, match="val_measure"):
        RunSpec(val_measure="f1")
    assert "val_measure" not in _task("error").describe()  # runs written before the choice still resume
    assert _task("fm").describe()["val_measure"] == "fm"
    assert "val_measure" not in RunSpec().record()
    assert RunSpec(val_measure="fm").record()["val_measure"] == "fm"


def test_train_records_the_measure_and_refuses_it_for_the_hybrid(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "gridlstm", "--footprint", "8", "--units-per-pixel", "1", "--loss", "bce", "--synthetic",
                 "--train", "1", "--val", "2", "--test", "--epochs", "2", "--blocks-per-epoch", "4",
                 "--batch-size", "4", "--val-blocks", "4", "--val-every", "1", "--no-progress",
                 "--val-measure", "fm", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    log = json.loads((out / "log.json").read_text())
    assert log["task"]["val_measure"] == "fm"
    assert all(0.0 <= row["val_error"] <= 1.0 for row in log["history"])
    assert main(["train", "hybrid", "--val-measure", "fm", "--out", str(tmp_path / "h")]) == 2
    assert "--val-measure: gridlstm only" in capsys.readouterr().err


def test_revalidate_scores_a_saved_checkpoint_as_the_run_validated_it(tmp_path, capsys, project_script):
    import shutil

    out = tmp_path / "run"
    command = ["train", "gridlstm", "--footprint", "8", "--units-per-pixel", "1", "--loss", "dynamic", "--synthetic",
               "--train", "1", "--val", "2", "--test", "--epochs", "2", "--blocks-per-epoch", "4", "--batch-size",
               "4", "--val-blocks", "8", "--val-every", "1", "--no-progress", "--val-measure", "fm", "--out", str(out)]
    assert main(command) == 0, capsys.readouterr().err
    shutil.copy(out / "latest.pt", tmp_path / "e1.pt")
    capsys.readouterr()
    revalidate = project_script("tools/revalidate.py")
    assert revalidate.main([str(out / "best.pt"), str(tmp_path / "e1.pt"), "--", *command]) == 0
    printed = capsys.readouterr().out
    last = json.loads((out / "log.json").read_text())["history"][-1]
    assert last["epoch"] == 1
    assert re.search(rf"^\| 1 \| [\d.]+ \| {last['val_error']:.6f} \|$", printed, re.M)  # the run's own 1 - FM
    assert "kept by error: epoch" in printed and "kept by fm: epoch" in printed
    other = [*command[:command.index("--val") + 1], "3", *command[command.index("--val") + 2:]]
    assert revalidate.main([str(tmp_path / "e1.pt"), "--", *other]) == 2  # another run's validation pages
    assert "other validation pages" in capsys.readouterr().err
