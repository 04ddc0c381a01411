"""binkit.train: checkpoints, exact resume, logs, torchrun; the Grid LSTM task and run."""

from __future__ import annotations

import csv
import re
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import binkit
from binkit.datasets import load_synthetic, synthetic_page
from binkit.datasets.hard import write_hard_set
from binkit.gridlstm import GridLSTMConfig
from binkit.gridlstm.run import RunSpec, model_from_checkpoint, run
from binkit.gridlstm.training import GridLSTMTask
from binkit.train import TrainConfig, fit, load_checkpoint, save_atomic

TINY = GridLSTMConfig(footprint=8, scale=2, units_per_pixel=1)


def _pages(seeds, size=(96, 128)):
    out = []
    for s in seeds:
        p = synthetic_page(s, size=size, font_size=(12, 16))
        out.append((f"synth_{s}", p.image, p.gt))
    return out


@pytest.fixture(scope="module")
def pages():
    return {"train": _pages([1, 2]), "val": _pages([3])}


def _task(pages, loss="dynamic", tmp=None):
    torch.manual_seed(0)
    return GridLSTMTask(TINY, loss, pages["train"], pages["val"], cache_dir=tmp)


def _cfg(epochs):
    return TrainConfig(epochs=epochs, blocks_per_epoch=8, batch_size=4, val_every=1, val_blocks=4, progress=False, seed=7)


def test_task_batches_are_aligned(pages):
    task = _task(pages)
    batch = task.batches("train", 6, np.random.default_rng(0))
    assert batch["top_left"].dtype == np.uint8 and batch["top_left"].shape == (6, 64, 192)
    assert batch["target"].shape == (6, 64, 64) and batch["weights"].shape == (6, 64, 64)
    # dynamic weights: >= 1 on real pixels, 0 only on padding (which is labelled ink)
    w, t = batch["weights"], batch["target"]
    assert np.all((w >= 1) | ((w == 0) & t))
    again = task.batches("train", 6, np.random.default_rng(0))
    np.testing.assert_array_equal(again["top_left"], batch["top_left"])


def test_fit_resumes_exactly(pages, tmp_path):
    straight = fit(_task(pages), _cfg(3), tmp_path / "a")
    half = fit(_task(pages), _cfg(2), tmp_path / "b")
    assert half.epochs_done == 2
    resumed = fit(_task(pages), _cfg(3), tmp_path / "b")  # picks up latest.pt at epoch 2
    assert resumed.epochs_done == 3
    a = load_checkpoint(tmp_path / "a" / "latest.pt")
    b = load_checkpoint(tmp_path / "b" / "latest.pt")
    for key in a["model"]:
        torch.testing.assert_close(a["model"][key], b["model"][key], rtol=0, atol=0)
    assert [h["loss"] for h in straight.history] == [h["loss"] for h in resumed.history]
    with open(tmp_path / "b" / "log.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["epoch"] for r in rows] == ["0", "1", "2"] and rows[0]["val_error"] != ""
    assert (tmp_path / "b" / "best.pt").is_file()
    assert not list((tmp_path / "b").glob("*.tmp"))


def test_resume_refuses_other_run(pages, tmp_path):
    fit(_task(pages), _cfg(1), tmp_path)
    other = GridLSTMTask(TINY, "bce", pages["train"], pages["val"])
    with pytest.raises(binkit.InputError, match="different run"):
        fit(other, _cfg(2), tmp_path)


def test_save_atomic_leaves_old_file_on_failure(tmp_path):
    target = tmp_path / "ck.pt"
    save_atomic({"a": 1}, target)

    class Boom:
        def __reduce__(self):
            raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError):
        save_atomic({"b": Boom()}, target)
    from binkit.io import read_torch_file

    assert read_torch_file(target) == {"a": 1}  # (not a checkpoint: load_checkpoint wants fit's keys)
    assert list(tmp_path.iterdir()) == [target]


def test_load_checkpoint_bad_file(tmp_path):
    bad = tmp_path / "x.pt"
    bad.write_text("garbage")
    with pytest.raises(binkit.InputError, match="not a binkit checkpoint"):
        load_checkpoint(bad)


def test_run_trains_evaluates_and_skips_finished(tmp_path):
    spec = RunSpec(
        footprint=8, units_per_pixel=1, loss="static2", synthetic=True, synthetic_size=(96, 128),
        train=[1], val=[2], test=[3], train_cfg=_cfg(2),
    )
    summary = run(spec, tmp_path)
    assert summary["epochs_done"] == 2 and summary["test_images"] == 1
    assert 0 <= summary["test"]["fm"] <= 100
    from binkit.results import read_results_csv

    (row,) = read_results_csv(tmp_path / "results.csv")
    assert (row["config"], row["dataset"], row["image"]) == ("f8-sf2-Lstat2", "synthetic 3", "synth_003")
    assert row["fm"] == pytest.approx(summary["test"]["fm"])
    assert (tmp_path / "times.csv").read_text().startswith("image,seconds\nsynth_003,")
    model = model_from_checkpoint(tmp_path / "best.pt")
    assert model.config.footprint == 8
    mtime = (tmp_path / "latest.pt").stat().st_mtime
    assert run(spec, tmp_path)["epochs_done"] == 2  # finished: skipped, nothing retrained
    assert (tmp_path / "latest.pt").stat().st_mtime == mtime


def test_weight_cache_survives_a_concurrent_writer(tmp_path, monkeypatch):
    """Two writers of one cache entry (torchrun ranks): the one that renames second must not fail."""
    from binkit.datasets import synthetic_page
    from binkit.gridlstm import training

    gt = synthetic_page(5, size=(64, 96)).gt
    cache = tmp_path / "cache"
    real_save = np.savez_compressed
    raced = []

    def save_then_let_the_other_writer_finish(file, **arrays):
        real_save(file, **arrays)
        if not raced:  # between this writer's save and its rename, another writer does both
            raced.append(True)
            training._weights_cached(gt, cache)

    monkeypatch.setattr(np, "savez_compressed", save_then_let_the_other_writer_finish)
    rw, pw = training._weights_cached(gt, cache)
    assert raced
    names = [p.name for p in cache.iterdir()]
    assert len(names) == 1 and names[0].startswith("pseudo_weights_") and names[0].endswith(".npz"), names
    # ^ one entry, no temporary file left behind
    cached_rw, cached_pw = training._weights_cached(gt, cache)
    np.testing.assert_allclose(cached_rw, rw, rtol=1e-6)
    np.testing.assert_allclose(cached_pw, pw, rtol=1e-6)


@pytest.mark.slow
def test_torchrun_two_cpu_processes(tmp_path):
    """DistributedDataParallel with gloo on 2 CPU processes, through the CLI."""
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
        "-m", "binkit", "train", "gridlstm", "--footprint", "8", "--units-per-pixel", "1",
        "--synthetic", "--train", "1", "2", "--val", "3", "--test", "--epochs", "2",
        "--blocks-per-epoch", "8", "--batch-size", "4", "--val-every", "1", "--val-blocks", "4",
        "--no-progress", "--device", "cpu", "--out", str(tmp_path),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    ck = load_checkpoint(tmp_path / "latest.pt")
    assert ck["epoch"] == 1
    with open(Path(tmp_path) / "log.json") as fh:
        assert '"world_size": 2' in fh.read()


def test_export_and_load_pretrained(tmp_path):
    from binkit import weights
    from binkit.train import load_checkpoint

    spec = RunSpec(
        footprint=8, units_per_pixel=1, loss="bce", synthetic=True, synthetic_size=(96, 128),
        train=[1], val=[2], test=[], train_cfg=_cfg(1),
    )
    run(spec, tmp_path / "run")
    ck = load_checkpoint(tmp_path / "run" / "best.pt")
    pt = weights.save("gridlstm", "tiny", ck["task"]["config"], ck["model"], {"command": "test", "task": ck["task"]},
                      dest=tmp_path / "w")
    model = weights.load("gridlstm", pt)
    n_params = sum(p.numel() for p in model.parameters())
    assert pt.stat().st_size < 2 * n_params + 50_000  # float16: two bytes a parameter
    original = model_from_checkpoint(tmp_path / "run" / "best.pt")
    for (k, a), (_, b) in zip(model.state_dict().items(), original.state_dict().items()):
        torch.testing.assert_close(a, b, atol=2e-3, rtol=1e-3)  # float16 storage
    info = (tmp_path / "w" / "tiny.json").read_text()
    assert '"command": "test"' in info and '"task"' in info and '"family": "gridlstm"' in info
    with pytest.raises(binkit.InputError, match="no such Grid LSTM weights file"):
        weights.load("gridlstm", tmp_path / "w" / "nope.pt")
    with pytest.raises(binkit.InputError, match="no shipped Grid LSTM weights named 'nope'"):
        weights.load("gridlstm", "nope")
    with pytest.raises(binkit.InputError, match="not a hybrid checkpoint"):
        weights.from_checkpoint(tmp_path / "run" / "best.pt", "hybrid")
    # a training checkpoint is weights too (binkit binarize --param weights=runs/x/best.pt), read without pickle code
    from_run = weights.load("gridlstm", tmp_path / "run" / "latest.pt")
    for (k, a), (_, b) in zip(from_run.state_dict().items(), original.state_dict().items()):
        torch.testing.assert_close(a, b, atol=0, rtol=0)
    with pytest.raises(binkit.InputError, match="a checkpoint of 'gridlstm', not a hybrid checkpoint"):
        weights.load("hybrid", tmp_path / "run" / "best.pt")
    import pickle

    (tmp_path / "evil.pt").write_bytes(pickle.dumps(SystemExit, protocol=2))  # a pickle that would run code on loading
    with pytest.raises(binkit.InputError, match="not a binkit Grid LSTM weights file or training checkpoint"):
        weights.load("gridlstm", tmp_path / "evil.pt")


def test_export_run_scores_shipped_weights_against_baselines(tmp_path):
    from PIL import Image

    from binkit.export import export_weights
    from binkit.io import save_binary

    root = tmp_path / "dibco"
    for k, (name, image, gt) in enumerate(_pages([5, 6])):
        (root / "2030" / "images").mkdir(parents=True, exist_ok=True)
        Image.fromarray((image * 255).astype(np.uint8)).save(root / "2030" / "images" / f"2030_H0{k + 1}.png")
        save_binary(root / "2030" / "gt" / f"2030_H0{k + 1}.png", gt)
    spec = RunSpec(
        footprint=8, units_per_pixel=1, loss="bce", synthetic=True, synthetic_size=(96, 128),
        train=[1], val=[2], test=[], train_cfg=_cfg(1),
    )
    run(spec, tmp_path / "run")
    hard = tmp_path / "hard"
    write_hard_set(hard, seeds=[3, 4], size=(128, 192), features=("border", "gutter"))
    rec = export_weights(tmp_path / "run", "tiny", data=root, test_years=[2030], dest=tmp_path / "w", hard=hard)
    # any Grid LSTM but the paper-fold one is scored beside the paper-fold weights as well
    methods = ["gridlstm", "f4-sf2-dyn", "otsu", "sauvola"]
    assert list(rec["test_scores_mean"]) == list(rec["seconds_per_mp"]) == methods
    assert rec["test_pages"] == 2 and rec["epochs_reached"] == 1 and rec["family"] == "gridlstm"
    assert rec["data"]["pages"] and rec["seed"] == 7 and rec["command"]
    assert rec["test_pages_seen_in_training"] == [] and rec["checkpoint"] == "best.pt"
    assert rec["hard_set"] == {"dataset": "binkit hard pages 1.0", "pages": 2, "generator_version": "1.0",
                               "hard_version": "1.0"}
    assert list(rec["hard_scores_mean"]) == list(rec["hard_border_ink_percent"]) == methods + ["wolf"]
    from binkit.results import read_results_csv

    rows = read_results_csv(tmp_path / "w" / "tiny.results.csv")
    labels = ["f8-sf2-L", "f4-sf2-dyn", "otsu", "sauvola"]
    assert [r["config"] for r in rows] == labels * 2 + (labels + ["wolf"]) * 2
    assert [r["image"] for r in rows[:8:4]] == ["2030_H01", "2030_H02"] and rows[0]["dataset"] == "2030"
    assert [r["image"] for r in rows[8::5]] == ["hard_03", "hard_04"]
    assert {r["dataset"] for r in rows[8:]} == {"binkit hard pages 1.0"}
    fm = np.mean([r["fm"] for r in rows[:8] if r["config"] == "f8-sf2-L"])
    assert fm == pytest.approx(rec["test_scores_mean"]["gridlstm"]["fm"], abs=1e-3)
    hard_fm = np.mean([r["fm"] for r in rows[8:] if r["config"] == "otsu"])
    assert hard_fm == pytest.approx(rec["hard_scores_mean"]["otsu"]["fm"], abs=1e-3)
    # the border share counts ink in the region maps: Otsu labels a dark border ink, so its share is large
    from binkit.datasets.hard import load_regions

    region = np.concatenate([load_regions(hard, n).ravel() > 0 for n in ("hard_03", "hard_04")])
    otsu_ink = np.concatenate([binkit.binarize(s.image, "otsu").ravel() for s in load_synthetic(hard)])
    want = 100.0 * np.count_nonzero(otsu_ink & region) / np.count_nonzero(region)
    assert rec["hard_border_ink_percent"]["otsu"] == pytest.approx(want, abs=1e-3)
    with pytest.raises(binkit.InputError, match="not a hard-page set"):
        export_weights(tmp_path / "run", "tiny2", data=root, test_years=[2030], dest=tmp_path / "w",
                       hard=tmp_path / "w")


def test_export_can_ship_the_last_epoch_instead_of_the_best(tmp_path):
    """--checkpoint last ships latest.pt (a run whose learning rate decays to its end) and says so."""
    from PIL import Image

    from binkit import weights
    from binkit.export import export_weights
    from binkit.io import save_binary

    root = tmp_path / "dibco"
    name, image, gt = _pages([5])[0]
    for sub in ("images", "gt"):
        (root / "2030" / sub).mkdir(parents=True)
    Image.fromarray((image * 255).astype(np.uint8)).save(root / "2030" / "images" / "2030_H01.png")
    save_binary(root / "2030" / "gt" / "2030_H01.png", gt)
    spec = RunSpec(footprint=8, units_per_pixel=1, loss="bce", synthetic=True, synthetic_size=(96, 128),
                   train=[1], val=[2], test=[], train_cfg=_cfg(3))
    run(spec, tmp_path / "run")
    rec = export_weights(tmp_path / "run", "last", data=root, test_years=[2030], dest=tmp_path / "w",
                         checkpoint="last")
    assert rec["checkpoint"] == "latest.pt" and rec["epoch_of_checkpoint"] == 2
    shipped = weights.load("gridlstm", tmp_path / "w" / "last.pt")
    latest = weights.load("gridlstm", tmp_path / "run" / "latest.pt")
    for a, b in zip(shipped.state_dict().values(), latest.state_dict().values()):
        torch.testing.assert_close(a, b.half().float(), atol=0, rtol=0)  # shipped weights are float16
    with pytest.raises(binkit.InputError, match="checkpoint='final': expected one of best, last"):
        export_weights(tmp_path / "run", "x", data=root, test_years=[2030], dest=tmp_path / "w", checkpoint="final")


# ---------------------------------------------------------------------------
# the experiment matrix


def test_paper_fold_emulates_the_original_split():
    from binkit.gridlstm.experiments import EXPERIMENT_YEARS, paper_fold

    # fold 0 is the one the spec reconstructs: H-DIBCO 2016 tested, DIBCO 2011 validates
    assert paper_fold(2016) == ([2009, 2010, 2012, 2013, 2014], [2011])
    for year in EXPERIMENT_YEARS:
        train, val = paper_fold(year)
        assert len(train) == 5 and len(val) == 1
        assert sorted(train + val + [year]) == sorted(EXPERIMENT_YEARS)
    with pytest.raises(binkit.InputError, match="2015"):
        paper_fold(2015)


def test_config_names_match_the_papers():
    from binkit.gridlstm.experiments import TABLE_III, config_name
    from binkit.das2018 import PAPER_CONFIGS

    assert set(TABLE_III) == set(PAPER_CONFIGS.values())
    for name, fields in TABLE_III.items():
        assert config_name(**fields) == name
    assert config_name(4, 2, "dynamic", reference_layout=True) == "f4-sf2-Ldyn-reflayout"
    with pytest.raises(binkit.InputError, match="unknown loss"):
        config_name(4, 2, "hinge")


def test_experiments_cli_runs_skips_and_collects(tmp_path, capsys):
    from binkit.__main__ import main
    from binkit.results import read_results_csv

    args = ["experiments", "--configs", "f4-sf2-L", "f8-sf2-Ldyn", "--test-years", "2016", "--synthetic",
            "--epochs", "1", "--blocks-per-epoch", "4", "--batch-size", "4", "--val-blocks", "4",
            "--no-progress", "--device", "cpu", "--out", str(tmp_path)]
    assert main(args) == 0
    rows = read_results_csv(tmp_path / "results.csv")
    assert [(r["config"], r["image"], r["dataset"]) for r in rows] == [
        ("f4-sf2-L", "synth_2016", "synthetic 2016"), ("f8-sf2-Ldyn", "synth_2016", "synthetic 2016")]
    assert all(0 <= r["fm"] <= 100 and r["criterium"] == "error" for r in rows)
    assert "f8-sf2-Ldyn" in capsys.readouterr().out
    ck = tmp_path / "f4-sf2-L" / "test2016" / "latest.pt"
    mtime = ck.stat().st_mtime
    assert main(args) == 0  # finished runs are skipped
    assert ck.stat().st_mtime == mtime


def test_experiments_cli_rejects_unknown_config(capsys):
    from binkit.__main__ import main

    with pytest.raises(SystemExit) as exc:
        main(["experiments", "--configs", "f5-sf2-Ldyn", "--out", "x"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_a_run_starts_from_its_own_seed(tmp_path):
    """The same command gives the same model, whatever the process's global RNG state was."""
    from binkit.train import load_checkpoint

    states = []
    for k, global_seed in enumerate((1, 2)):
        torch.manual_seed(global_seed)
        spec = RunSpec(footprint=8, units_per_pixel=1, loss="bce", synthetic=True, synthetic_size=(96, 128),
                       train=[1], val=[2], test=[], train_cfg=_cfg(1))
        run(spec, tmp_path / f"run{k}")
        states.append(load_checkpoint(tmp_path / f"run{k}" / "latest.pt")["model"])
    for name, value in states[0].items():
        torch.testing.assert_close(value, states[1][name], rtol=0, atol=0)


# ---------------------------------------------------------------------------
# issue 31, section 4: a resume is the same run, options are checked first, run folders fail in one line


def test_resume_with_other_settings_is_refused_listing_what_differs(pages, tmp_path):
    fit(_task(pages), _cfg(1), tmp_path)
    before = (tmp_path / "latest.pt").read_bytes()
    for change, words in (({"lr": 2e-3}, "lr: 0.001 -> 0.002"), ({"seed": 8}, "seed: 7 -> 8"),
                          ({"lr_decay": "cosine"}, 'lr_decay: "none" -> "cosine"'),
                          ({"batch_size": 2}, "batch_size: 4 -> 2")):
        cfg = TrainConfig(**{**vars(_cfg(2)), **change})
        with pytest.raises(binkit.InputError, match=re.escape(words)) as err:
            fit(_task(pages), cfg, tmp_path)
        assert "different run" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(binkit.InputError, match=r'loss: "dynamic" -> "bce"'):
        fit(GridLSTMTask(TINY, "bce", pages["train"], pages["val"]), _cfg(2), tmp_path)
    with pytest.raises(binkit.InputError, match=r'train: \["synth_1", "synth_2"\] -> \["synth_1"\]'):
        fit(GridLSTMTask(TINY, "dynamic", pages["train"][:1], pages["val"]), _cfg(2), tmp_path)
    assert (tmp_path / "latest.pt").read_bytes() == before  # nothing was trained into the other run


def test_raising_epochs_resumes_and_the_log_says_so(pages, tmp_path):
    import json

    fit(_task(pages), _cfg(1), tmp_path)
    fit(_task(pages), _cfg(2), tmp_path)
    log = json.loads((tmp_path / "log.json").read_text())
    assert log["config"]["epochs"] == 2 and len(log["history"]) == 2
    (resume,) = log["resumes"]
    assert resume["at_epoch"] == 1 and resume["epochs_raised"] == [1, 2]
    with pytest.raises(binkit.InputError, match="already trained for 2 epochs, more than the 1 asked"):
        fit(_task(pages), _cfg(1), tmp_path)


def _spec(**change):
    fields = dict(footprint=8, units_per_pixel=1, loss="static2", synthetic=True, synthetic_size=(96, 128),
                  train=[1], val=[2], test=[], train_cfg=_cfg(1))
    return RunSpec(**{**fields, **change})


def test_a_finished_run_asked_for_another_run_says_so(tmp_path):
    assert run(_spec(), tmp_path)["epochs_done"] == 1
    for change, words in (({"train_cfg": TrainConfig(**{**vars(_cfg(1)), "lr": 0.01})}, "lr: 0.001 -> 0.01"),
                          ({"loss": "bce"}, 'loss: "static2" -> "bce"'),
                          ({"train": [1, 4]}, "train: [1] -> [1, 4]"),
                          ({"units_per_pixel": 2}, "units_per_pixel: 1 -> 2")):
        with pytest.raises(binkit.InputError, match=re.escape(words)) as err:
            run(_spec(**change), tmp_path)
        assert "finished run with other settings" in str(err.value)
    assert run(_spec(), tmp_path)["epochs_done"] == 1  # the same run: done
    assert run(_spec(train_cfg=_cfg(2)), tmp_path)["epochs_done"] == 2  # more epochs: trained further
    with pytest.raises(binkit.InputError, match="finished run of 2 epochs, more than the 1 asked"):
        run(_spec(), tmp_path)


@pytest.mark.parametrize("option, value, words", [
    ("--lr", "nan", "lr must be finite"), ("--lr", "inf", "lr must be finite"), ("--lr", "-1", "lr must lie in"),
    ("--lr", "0", "lr must lie in"), ("--seed", "-1", "seed must be a non-negative integer"),
    ("--units-per-pixel", "0", "units_per_pixel must be a positive integer"),
    ("--augment", "-1", "augment must be a non-negative integer"),
    ("--mix-synthetic", "-2", "mix_synthetic must be a non-negative integer"),
    ("--val-synthetic", "-1", "val_synthetic must be a non-negative integer"),
])
def test_training_options_are_checked_before_any_work(tmp_path, capsys, option, value, words):
    from binkit.__main__ import main

    out = tmp_path / "run"
    code = main(["train", "gridlstm", "--synthetic", "--train", "1", "--val", "2", "--test", "--no-progress",
                 "--footprint", "8", "--epochs", "1", "--blocks-per-epoch", "4", "--batch-size", "4",
                 "--val-blocks", "4", *([] if option == "--units-per-pixel" else ["--units-per-pixel", "1"]),
                 option, value, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and words in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()  # nothing made, nothing loaded


def test_run_folder_problems_are_one_line(tmp_path, monkeypatch):
    from binkit import train

    (tmp_path / "file").write_text("x")
    with pytest.raises(binkit.InputError, match="run folder .* is a file"):
        run(_spec(), tmp_path / "file")
    with pytest.raises(binkit.InputError, match="cannot be written"):
        monkeypatch.setattr(train.os, "access", lambda path, mode: False)
        run(_spec(), tmp_path / "ro")
    monkeypatch.undo()
    (tmp_path / "bad").mkdir()
    for text, words in (("{oops", "not valid JSON"), ("[1, 2]", "expected an object"), ("{}", "epochs done")):
        (tmp_path / "bad" / "summary.json").write_text(text)
        with pytest.raises(binkit.InputError, match=words):
            run(_spec(), tmp_path / "bad")


def test_a_checkpoint_missing_a_key_is_one_line(pages, tmp_path):
    fit(_task(pages), _cfg(1), tmp_path)
    ck = torch.load(tmp_path / "latest.pt", weights_only=True)
    del ck["optimizer"]
    torch.save(ck, tmp_path / "latest.pt")
    with pytest.raises(binkit.InputError, match="latest.pt: not a binkit checkpoint, or a damaged one: no 'optimizer'"):
        fit(_task(pages), _cfg(2), tmp_path)
    ck["optimizer"], ck["rng"] = {}, {"python": None}
    torch.save(ck, tmp_path / "latest.pt")
    with pytest.raises(binkit.InputError, match="damaged checkpoint"):
        fit(_task(pages), _cfg(2), tmp_path)


def test_a_full_disk_is_one_line_and_keeps_the_last_checkpoint(pages, tmp_path, monkeypatch):
    import errno

    from binkit import train

    fit(_task(pages), _cfg(1), tmp_path)
    before = (tmp_path / "latest.pt").read_bytes()
    real_save = torch.save

    def full(obj, fh):  # what torch does when the file's write fails: a RuntimeError over the OSError
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError:
            raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 704 vs 598")

    monkeypatch.setattr(train.torch, "save", full)
    with pytest.raises(binkit.InputError, match=r"\.pt: cannot write \(No space left on device\)"):
        fit(_task(pages), _cfg(2), tmp_path)
    monkeypatch.setattr(train.torch, "save", real_save)
    assert (tmp_path / "latest.pt").read_bytes() == before
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_temporary_files_of_a_killed_checkpoint_write_are_removed_by_the_next_run(pages, tmp_path):
    tmp_path.mkdir(exist_ok=True)
    leftovers = [tmp_path / f".{name}.k1ll3d00.tmp" for name in ("latest.pt", "best.pt", "log.json", "log.csv")]
    for p in leftovers:
        p.write_bytes(b"half a file")
    (tmp_path / "notes.tmp").write_text("the user's")
    fit(_task(pages), _cfg(1), tmp_path)
    assert not any(p.exists() for p in leftovers) and (tmp_path / "notes.tmp").exists()


def test_log_names_python_dash_m_binkit_as_the_binkit_command(pages, tmp_path, monkeypatch):
    """``python -m binkit train ...`` runs binkit/__main__.py; the log (and so a shipped record) says ``binkit``."""
    import json

    monkeypatch.setattr(sys, "argv", ["/site-packages/binkit/__main__.py", "train", "gridlstm", "--epochs", "1"])
    fit(_task(pages), _cfg(1), tmp_path)
    assert json.loads((tmp_path / "log.json").read_text())["command"] == "binkit train gridlstm --epochs 1"
