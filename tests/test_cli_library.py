"""What the command line does is the library's: one file out, one pair scored, the pixel limit passed
down, the recipes and the evaluation files reachable from Python, one run skeleton for both families."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from PIL import Image

from binkit.__main__ import main
from binkit.batch import binarize_files, evaluate_folders, write_evaluation
from binkit.datasets import synthetic_page
from binkit.io import read_gt, save_binary


def _scan(path, seed=0, size=(64, 96)):
    page = synthetic_page(seed, size=size, font_size=(10, 14))
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.round(page.image * 255).astype(np.uint8)).save(path)
    return page


# ------------------------------------------------------------------ one scan, one output file


def test_binarize_one_scan_into_the_named_file(tmp_path, capsys):
    _scan(tmp_path / "scan.png")
    code = main(["binarize", str(tmp_path / "scan.png"), "-o", str(tmp_path / "out.png"), "--method", "otsu",
                 "--no-progress"])
    assert code == 0, capsys.readouterr().err
    assert (tmp_path / "out.png").is_file()  # a file, not a folder named out.png
    assert read_gt(tmp_path / "out.png", allow_majority_ink=True).dtype == bool


def test_a_tif_name_implies_the_tif_format(tmp_path):
    _scan(tmp_path / "scan.png")
    report = binarize_files([tmp_path / "scan.png"], tmp_path / "sub" / "page.tif", "otsu", progress=False)
    assert report.written == [tmp_path / "sub" / "page.tif"]
    assert Image.open(tmp_path / "sub" / "page.tif").format == "TIFF"


def test_a_file_name_for_several_scans_or_the_wrong_format_is_one_line(tmp_path, capsys):
    for k in range(2):
        _scan(tmp_path / f"s{k}.png", seed=k)
    code = main(["binarize", str(tmp_path / "s0.png"), str(tmp_path / "s1.png"), "-o", str(tmp_path / "out.png"),
                 "--method", "otsu", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "names one file, but 2 scans" in err and "Traceback" not in err
    assert not (tmp_path / "out.png").exists()
    code = main(["binarize", str(tmp_path / "s0.png"), "-o", str(tmp_path / "out.png"), "--format", "tif",
                 "--method", "otsu", "--no-progress"])
    assert code == 2 and "cannot hold --format tif" in capsys.readouterr().err


def test_an_existing_folder_named_like_a_file_stays_a_folder(tmp_path):
    _scan(tmp_path / "scan.png")
    (tmp_path / "out.png").mkdir()
    report = binarize_files([tmp_path / "scan.png"], tmp_path / "out.png", "otsu", progress=False)
    assert report.written == [tmp_path / "out.png" / "scan.png"]


# ------------------------------------------------------------------ evaluate one pair


def test_evaluate_one_pair_of_files(tmp_path, capsys):
    page = _scan(tmp_path / "scan.png")
    save_binary(tmp_path / "pred.png", page.gt)
    save_binary(tmp_path / "truth.png", page.gt)
    code = main(["evaluate", str(tmp_path / "pred.png"), str(tmp_path / "truth.png"), "--no-progress",
                 "--json", str(tmp_path / "r.json")])
    assert code == 0, capsys.readouterr().err
    record = json.loads((tmp_path / "r.json").read_text())
    assert record["mean"]["n"] == 1 and record["mean"]["fm"] == pytest.approx(100.0)


def test_evaluate_needs_the_pair_once(tmp_path, capsys):
    page = _scan(tmp_path / "scan.png")
    save_binary(tmp_path / "pred.png", page.gt)
    assert main(["evaluate", str(tmp_path / "pred.png")]) == 2
    assert "needs PRED and GT" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "pred.png"), str(tmp_path / "pred.png"), "--pred", "x"]) == 2
    (tmp_path / "gtdir").mkdir()
    rows, problems = [], []
    with pytest.raises(Exception, match="two files .* or two folders"):
        evaluate_folders(tmp_path / "pred.png", tmp_path / "gtdir")


def test_write_evaluation_is_the_library_s(tmp_path):
    page = _scan(tmp_path / "scan.png")
    save_binary(tmp_path / "p" / "a.png", page.gt)
    save_binary(tmp_path / "g" / "a.png", page.gt)
    rows, problems = evaluate_folders(tmp_path / "p", tmp_path / "g", progress=False)
    write_evaluation(rows, problems, csv=tmp_path / "out" / "r.csv", json=tmp_path / "out" / "r.json")
    assert (tmp_path / "out" / "r.csv").read_text().splitlines()[0].startswith("image,fm,")
    assert json.loads((tmp_path / "out" / "r.json").read_text())["images"][0]["image"] == "a"


# ------------------------------------------------------------------ the pixel limit, passed down


def test_the_pixel_limit_is_an_argument_not_the_environment(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("BINKIT_MAX_PIXELS", raising=False)
    _scan(tmp_path / "scan.png")  # 64 x 96 = 6144 pixels
    report = binarize_files([tmp_path / "scan.png"], tmp_path / "out", "otsu", progress=False, max_pixels=1000)
    assert report.written == [] and "limit" in report.failed[0][1]
    code = main(["binarize", str(tmp_path / "scan.png"), "-o", str(tmp_path / "o2"), "--method", "otsu",
                 "--max-pixels", "1e3", "--no-progress"])
    assert code == 2 and "limit" in capsys.readouterr().err
    assert "BINKIT_MAX_PIXELS" not in os.environ  # the command never changed the environment
    with pytest.raises(Exception, match="positive whole number"):
        binarize_files([tmp_path / "scan.png"], tmp_path / "o3", "otsu", progress=False, max_pixels="many")


# ------------------------------------------------------------------ recipes and the fold from one place


def test_the_default_fold_is_the_paper_s_fold_zero():
    from binkit.datasets.folds import DEFAULT_FOLD, paper_fold
    from binkit.gridlstm.run import RunSpec
    from binkit.hybrid.configs import HYBRID_RECIPES
    from binkit.hybrid.run import HybridRunSpec

    train, val = paper_fold(2016)
    assert DEFAULT_FOLD == {"train": tuple(train), "val": tuple(val), "test": (2016,)}
    for spec in (RunSpec(), HybridRunSpec()):
        assert (spec.train, spec.val, spec.test) == (train, val, [2016])
    assert HYBRID_RECIPES["paper"]["train"] == train


def test_recipes_are_reachable_from_python():
    from binkit._errors import InputError
    from binkit.gridlstm.run import RunSpec
    from binkit.hybrid.run import HybridRunSpec

    general = RunSpec.recipe("general", train_options={"epochs": 5})
    assert general.mix_synthetic == 48 and general.augment == 2
    assert general.train_cfg.lr_decay == "cosine" and general.train_cfg.epochs == 5
    assert RunSpec.recipe("general", augment=0).augment == 0  # an option overrides the recipe
    assert RunSpec.recipe().train_cfg.lr_decay == "none"
    assert HybridRunSpec.recipe("general", train_options={"epochs": 3}).train_cfg.batch_size == 8
    with pytest.raises(InputError, match="footprint: not a setting of HybridRunSpec"):
        HybridRunSpec.recipe("paper", footprint=4)
    with pytest.raises(InputError, match="recipe='fast'"):
        RunSpec.recipe("fast")


def test_the_hybrid_run_writes_nothing_on_other_ranks(tmp_path, monkeypatch):
    """One run skeleton: the hybrid gets the Grid LSTM's rank-0 guard (no folder made, no summary)."""
    import binkit.runs as runs

    calls = []
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setattr(runs, "fit", lambda task, cfg, out: calls.append(out))

    class Task:
        def describe(self):
            return {}

    from binkit.train import TrainConfig

    summary = runs.run_training(tmp_path / "run", record={}, cfg=TrainConfig(epochs=1), make_task=lambda out: Task(),
                                score=lambda out: pytest.fail("rank 1 scored"))
    assert summary == {} and calls and not (tmp_path / "run").exists()
