"""Issue 15, part 2: the general training recipe (augmentation, synthetic pages mixed in, a decaying rate).

The bare ``binkit train`` keeps the paper's protocol: every addition is off
unless asked for, and a run without them describes itself as before (so old
run folders still resume).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import binkit
from binkit.__main__ import main
from binkit.gridlstm.configs import RECIPES
from binkit.datasets import synthetic_page
from binkit.datasets.augment import Augmentation, augment_page
from binkit.gridlstm import GridLSTMConfig
from binkit.gridlstm.training import GridLSTMTask
from binkit.train import TrainConfig

TINY = GridLSTMConfig(footprint=8, scale=2, units_per_pixel=1)


def _pages(seeds, size=(96, 128)):
    return [(f"synth_{s}", synthetic_page(s, size=size, font_size=(12, 16)).image,
             synthetic_page(s, size=size, font_size=(12, 16)).gt) for s in seeds]


# ---------------------------------------------------------------- augmentation


def test_augmented_copies_are_fixed_by_the_seed_and_differ_between_seeds():
    page = synthetic_page(4, size=(96, 128))
    a = augment_page(page.image, page.gt, np.random.default_rng(5))
    b = augment_page(page.image, page.gt, np.random.default_rng(5))
    c = augment_page(page.image, page.gt, np.random.default_rng(6))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert a[0].shape != c[0].shape or not np.array_equal(a[0], c[0])
    for img, gt in (a, c):
        assert img.dtype == np.float32 and gt.dtype == bool and img.shape == gt.shape
        assert 0 <= img.min() and img.max() <= 1


def test_photometric_changes_leave_the_ground_truth_and_scale_moves_it():
    page = synthetic_page(4, size=(96, 128))
    still = Augmentation(scale=(1.0, 1.0))
    changed = 0
    for seed in range(6):
        img, gt = augment_page(page.image, page.gt, np.random.default_rng(seed), still)
        np.testing.assert_array_equal(gt, page.gt)
        changed += not np.allclose(img, page.image, atol=1e-3)
    assert changed == 6
    img, gt = augment_page(page.image, page.gt, np.random.default_rng(0), Augmentation(scale=(0.5, 0.5)))
    assert img.shape == gt.shape == (48, 64)
    assert abs(gt.mean() - page.gt.mean()) < 0.35 * page.gt.mean()  # about the same share of ink


@pytest.mark.parametrize("bad", [dict(contrast=1.0), dict(noise=-0.1), dict(jpeg=(0, 90)), dict(scale=(1.2, 0.8))])
def test_bad_augmentation_ranges_are_refused(bad):
    with pytest.raises(binkit.InputError):
        Augmentation(**bad)


# ---------------------------------------------------------------- learning rate


def test_cosine_decay_runs_from_lr_to_its_final_share_and_none_is_the_paper():
    cfg = TrainConfig(epochs=11, lr=1e-3, lr_decay="cosine", lr_final=0.05)
    rates = [cfg.learning_rate(e) for e in range(11)]
    assert rates[0] == pytest.approx(1e-3) and rates[-1] == pytest.approx(5e-5)
    assert all(a > b for a, b in zip(rates, rates[1:]))
    assert rates[5] == pytest.approx(1e-3 * (0.05 + 0.95 * 0.5))
    paper = TrainConfig(epochs=11, lr=1e-3)
    assert {paper.learning_rate(e) for e in range(11)} == {1e-3}
    with pytest.raises(binkit.InputError, match="lr_decay"):
        TrainConfig(lr_decay="step")


# ---------------------------------------------------------------- the task


def test_a_task_without_additions_describes_itself_as_before():
    torch.manual_seed(0)
    task = GridLSTMTask(TINY, "bce", _pages([1]), _pages([2]))
    assert set(task.describe()) == {"model", "config", "loss", "reference_layout", "train", "val"}


def test_augmented_copies_and_mixed_pages_join_the_training_pool():
    torch.manual_seed(0)
    task = GridLSTMTask(TINY, "bce", _pages([1]), _pages([2]), augment=2, augment_seed=3, mixed=_pages([9]))
    names = task.describe()["train"]
    assert names == ["synth_1", "synth_1~aug1", "synth_1~aug2", "synth_9", "synth_9~aug1", "synth_9~aug2"]
    assert task.describe()["augment"] == 2 and task.describe()["augment_seed"] == 3


def test_mixed_share_draws_that_share_of_every_epoch_from_the_mixed_pages(monkeypatch):
    torch.manual_seed(0)
    task = GridLSTMTask(TINY, "bce", _pages([1, 2]), _pages([3]), mixed=_pages([9]), mixed_share=0.25)
    drawn = []
    original = GridLSTMTask._draw

    def spy(pages, n, rng):
        drawn.append(([p.name for p in pages], n))
        return original(pages, n, rng)

    monkeypatch.setattr(GridLSTMTask, "_draw", staticmethod(spy))
    batch = task.batches("train", 32, np.random.default_rng(0))
    assert drawn == [(["synth_1", "synth_2"], 24), (["synth_9"], 8)]
    assert batch["target"].shape[0] == 32
    assert task.describe()["mixed"] == ["synth_9"] and task.describe()["mixed_share"] == 0.25
    with pytest.raises(binkit.InputError, match="mixed pages"):
        GridLSTMTask(TINY, "bce", _pages([1]), _pages([3]), mixed_share=0.3)
    with pytest.raises(binkit.InputError, match="mixed_share"):
        GridLSTMTask(TINY, "bce", _pages([1]), _pages([3]), mixed=_pages([9]), mixed_share=1.0)


# ---------------------------------------------------------------- the command line


def test_train_cli_takes_the_recipe_options_and_records_them(tmp_path, capsys, monkeypatch):
    import binkit.gridlstm.run as run_module

    monkeypatch.setattr(run_module.RunSpec, "mix_size", (96, 128))  # small synthetic pages: a quick test
    out = tmp_path / "run"
    code = main(["train", "gridlstm", "--footprint", "8", "--units-per-pixel", "1", "--loss", "bce", "--synthetic",
                 "--train", "1", "--val", "2", "--test", "--epochs", "3", "--blocks-per-epoch", "8",
                 "--batch-size", "4", "--val-blocks", "4", "--val-every", "1", "--no-progress",
                 "--augment", "1", "--mix-synthetic", "1", "--mixed-share", "0.5", "--val-synthetic", "1",
                 "--lr-decay", "cosine", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    log = json.loads((out / "log.json").read_text())
    task = log["task"]
    assert task["train"] == ["synth_001", "synth_001~aug1"]
    assert task["mixed"] == ["hard_100000", "hard_100000~aug1"] and task["mixed_share"] == 0.5
    assert task["val"] == ["synth_002", "hard_200000"]
    rates = [row["lr"] for row in log["history"]]
    assert rates[0] == pytest.approx(1e-3) and rates[-1] == pytest.approx(5e-5)
    assert "lr" in (out / "log.csv").read_text().splitlines()[0]


def test_general_recipe_and_gridlstm_only_options(capsys):
    assert RECIPES["general"]["lr_decay"] == "cosine" and RECIPES["general"]["mix_synthetic"] > 0
    code = main(["train", "hybrid", "--augment", "2", "--out", "x"])
    assert code == 2 and "gridlstm only" in capsys.readouterr().err
