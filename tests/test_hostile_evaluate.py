"""``binkit evaluate`` under hostile input (issue 16): non-binary files, malformed weights, --json."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import binkit
from binkit import InputError
from binkit.__main__ import main
from binkit.datasets import synthetic_page
from binkit.io import save_binary
from binkit.metrics import (
    MEASURES,
    check_dibco_weights,
    evaluate,
    pseudo_weights,
    read_dibco_weights,
    write_dibco_weights,
)


def _cli(*args):
    proc = subprocess.run([sys.executable, "-m", "binkit", *map(str, args)], capture_output=True, text=True,
                          timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def _gt(seed=0):
    return synthetic_page(seed, size=(64, 96), font_size=(12, 16)).gt


def _save(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)
    return path


@pytest.fixture
def folders(tmp_path):
    """gt/ with one good GT (a.png) and pred/a.png a perfect 0/255 prediction of it."""
    save_binary(tmp_path / "gt" / "a.png", _gt())
    save_binary(tmp_path / "pred" / "a.png", _gt())
    return tmp_path


def _evaluate(folders, *extra):
    return _cli("evaluate", "--pred", folders / "pred", "--gt", folders / "gt", "--no-progress", *extra)


def _assert_one_error_line(err, name, *words):
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("binkit: error: ") and name in lines[0], err
    for word in words:
        assert word in lines[0], err
    assert "Traceback" not in err and "Warning" not in err and "warnings.warn" not in err


# ---------------------------------------------------------------------------
# case 14: predictions must be binary


NOT_BINARY = {
    "ink-60": (lambda g: np.where(g, 60, 255).astype(np.uint8), "values 60 and 255; expected only 0 (ink) and 255"),
    "page-60": (lambda g: np.where(g, 0, 60).astype(np.uint8), "values 0 and 60; expected only 0 (ink) and 255"),
    "grey": (lambda g: np.round(synthetic_page(0, size=(64, 96), font_size=(12, 16)).image * 255).astype(np.uint8),
             "grey levels"),
    "zero-one": (lambda g: g.astype(np.uint8), "0/1 mask"),
    "zero-one-page": (lambda g: (~g).astype(np.uint8), "0/1 mask"),
    "rgb-red-ink": (lambda g: np.stack([np.where(g, 255, 255), np.where(g, 0, 255), np.where(g, 0, 255)], -1)
                    .astype(np.uint8), "values 76 and 255"),
}


@pytest.mark.parametrize("kind", sorted(NOT_BINARY))
def test_non_binary_prediction_is_refused_and_not_scored(folders, kind):
    make, words = NOT_BINARY[kind]
    save_binary(folders / "gt" / "b.png", _gt(1))
    _save(folders / "pred" / "b.png", make(_gt(1) if kind != "grey" else None))
    code, out, err = _evaluate(folders)
    assert code == 2
    _assert_one_error_line(err, str(folders / "pred" / "b.png"), words)
    assert "mean of 1" in out and "\nb " not in out  # a.png scored, b.png not


def test_one_bit_and_16_bit_binary_predictions_are_scored(folders):
    gt = _gt()
    (folders / "pred" / "a.png").unlink()
    _save(folders / "pred" / "a.png", ~gt)  # mode "1": black (False) = ink
    assert Image.open(folders / "pred" / "a.png").mode == "1"
    save_binary(folders / "gt" / "b.png", gt)
    _save(folders / "pred" / "b.png", np.where(gt, 0, 65535).astype(np.uint16))
    code, out, err = _evaluate(folders)
    assert code == 0 and err == ""
    assert "mean of 2  100.00  100.00" in out


def test_all_ink_and_blank_predictions_are_binary(folders):
    _save(folders / "pred" / "a.png", np.zeros(_gt().shape, np.uint8))  # all ink: legal, just bad
    save_binary(folders / "gt" / "b.png", _gt(1))
    _save(folders / "pred" / "b.png", np.full(_gt().shape, 255, np.uint8))  # blank page
    code, out, err = _evaluate(folders)
    assert code == 0 and err == "" and "mean of 2" in out


# ---------------------------------------------------------------------------
# case 14: ground truths keep the DIBCO rule, less what it misreads


def test_ground_truth_with_ink_not_at_zero_is_refused(folders):
    _save(folders / "gt" / "a.png", np.where(_gt(), 60, 255).astype(np.uint8))
    code, _, err = _evaluate(folders)
    assert code == 2
    _assert_one_error_line(err, str(folders / "gt" / "a.png"), "values 60 and 255", "no pixel is 0")


def test_zero_one_ground_truth_is_refused(folders):
    _save(folders / "gt" / "a.png", (~_gt()).astype(np.uint8))  # 1 = page: read_gt alone would take it
    code, _, err = _evaluate(folders)
    assert code == 2
    _assert_one_error_line(err, str(folders / "gt" / "a.png"), "0/1 mask", "save_binary")


def test_grey_ground_truth_follows_the_dibco_rule_with_a_one_line_warning(folders):
    grey = np.where(_gt(), 0, 200).astype(np.uint8)
    grey[0, :5] = 100  # stray grey page pixels: page by the DIBCO rule
    _save(folders / "gt" / "a.png", grey)
    code, out, err = _evaluate(folders)
    assert code == 0 and "100.00" in out
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("binkit: warning: ") and "5 grey pixels" in lines[0], err
    assert "warnings.warn" not in err and "UserWarning" not in err


# ---------------------------------------------------------------------------
# case 15: weights that no DIBCO generator makes


@pytest.fixture
def weighted(folders):
    """folders plus w/ holding a.png's weight files, made by binkit's generator."""
    rw, pw = pseudo_weights(_gt())
    (folders / "w").mkdir()
    write_dibco_weights(folders / "w" / "a_RWeights.dat", rw)
    write_dibco_weights(folders / "w" / "a_PWeights.dat", pw)
    return folders, rw, pw


def test_generated_weight_files_are_accepted(weighted):
    folders, _, _ = weighted
    code, out, err = _evaluate(folders, "--weights", folders / "w")
    assert code == 0 and err == "" and "100.00  100.00" in out


@pytest.mark.parametrize("bad, kind, words", [
    (lambda rw, pw: (rw, -pw), "P", "negative values"),
    (lambda rw, pw: (-rw, pw), "R", "negative values"),
    (lambda rw, pw: (np.zeros_like(rw), np.zeros_like(pw)), "R", "all zero on the"),
    (lambda rw, pw: (pw, rw), "R", "page pixels of the ground truth have a recall weight"),
    (lambda rw, pw: (rw, pw + (pw == 0) * (rw > 0)), "P", "ink pixels of the ground truth have a precision weight"),
    (lambda rw, pw: (rw, pw * 3), "P", "precision weights PW - 1 lie in [0, 2]"),
    (lambda rw, pw: (rw, np.where(pw > 0, np.nan, 0)), "P", "NaN"),
])
def test_malformed_weight_files_are_refused(weighted, bad, kind, words):
    folders, rw, pw = weighted
    rw, pw = bad(rw, pw)
    for k, w in (("R", rw), ("P", pw)):
        (folders / "w" / f"a_{k}Weights.dat").write_text(("%f  " * w.size) % tuple(w.ravel().tolist()))
    code, out, err = _evaluate(folders, "--weights", folders / "w")
    assert code == 2 and "mean of" not in out
    _assert_one_error_line(err, f"a_{kind}Weights.dat", words)


def test_official_weight_files_pass_the_checks(reference_dir):
    d = reference_dir / "doxa_2john"
    gt = binkit.io.read_gt(d / "2JohnC1V3-GroundTruth.pbm")
    rw = read_dibco_weights(d / "2JohnC1V3-GroundTruth_RWeights.dat", gt.shape)
    pw = read_dibco_weights(d / "2JohnC1V3-GroundTruth_PWeights.dat", gt.shape)
    check_dibco_weights(rw, pw, gt)
    with pytest.raises(InputError, match="recall weight"):
        check_dibco_weights(pw, rw, gt)  # swapped files
    with pytest.raises(InputError, match="^precision_weights: negative"):
        check_dibco_weights(rw, pw - 0.5, gt)


@pytest.mark.parametrize("seed", range(4))
def test_binkit_weights_pass_the_checks(seed):
    gt = _gt(seed)
    check_dibco_weights(*pseudo_weights(gt), gt)
    empty = np.zeros((16, 16), bool)
    check_dibco_weights(*pseudo_weights(empty), empty)  # no ink: all-zero weights are right


def test_library_evaluate_refuses_negative_and_all_zero_recall_weights():
    gt = _gt()
    rw, pw = pseudo_weights(gt)
    with pytest.raises(InputError, match="^precision_weights: negative"):
        evaluate(gt, gt, (rw, -pw))  # was Fps 100.14 on a hand-made case
    with pytest.raises(InputError, match="^recall_weights: all zero"):
        evaluate(gt, gt, (np.zeros_like(rw), pw))  # was Fps 0.00
    assert evaluate(gt, gt, (rw, pw))["fps"] == pytest.approx(100.0)


def test_read_dibco_weights_refuses_values_no_weight_file_holds(tmp_path):
    bad = tmp_path / "bad.dat"
    bad.write_text("0.5  -0.25  0.0  1.0  ")
    with pytest.raises(InputError, match=r"bad\.dat: holds negative values"):
        read_dibco_weights(bad, (2, 2))
    bad.write_text("0.5  inf  0.0  1.0  ")
    with pytest.raises(InputError, match=r"bad\.dat: holds NaN or infinite"):
        read_dibco_weights(bad, (2, 2))


# ---------------------------------------------------------------------------
# --json


def test_json_holds_rows_means_and_problems_like_the_csv(folders):
    gt = _gt(1)
    save_binary(folders / "gt" / "b.png", gt)
    pred = gt.copy()
    pred[10:20, 10:30] = True  # some false positives
    save_binary(folders / "pred" / "b.png", pred)
    _save(folders / "pred" / "c.png", np.full(gt.shape, 60, np.uint8))  # no GT, and not binary
    code, _, err = _evaluate(folders, "--json", folders / "r" / "s.json", "--csv", folders / "r" / "s.csv")
    assert code == 2 and "c.png" in err
    record = json.loads((folders / "r" / "s.json").read_text())  # strict JSON: no NaN or Infinity
    assert record["measures"] == list(MEASURES)
    assert [r["image"] for r in record["images"]] == ["a", "b"]
    lines = (folders / "r" / "s.csv").read_text().splitlines()
    for row, line in zip(record["images"], lines[1:]):
        csv_row = dict(zip(lines[0].split(","), line.split(",")))
        for k in MEASURES:
            v = float(csv_row[k])
            assert (row[k] is None and not math.isfinite(v)) or row[k] == v, k
    expected = evaluate(pred, gt)
    assert record["images"][1]["fm"] == expected["fm"] and record["images"][1]["drd"] == expected["drd"]
    assert record["images"][0]["psnr"] is None  # perfect: PSNR is infinite
    assert record["mean"]["n"] == 2
    assert record["mean"]["fm"] == pytest.approx((100.0 + expected["fm"]) / 2)
    assert record["mean"]["psnr"] is None
    assert any(p["file"].endswith("c.png") for p in record["problems"])


def test_json_is_written_atomically(folders, monkeypatch, capsys):
    import binkit.io

    calls = []
    real = binkit.io.atomic_write
    monkeypatch.setattr(binkit.io, "atomic_write", lambda path, write, **kw: calls.append(path) or real(path, write, **kw))
    target = folders / "s.json"
    target.write_text("old")
    assert main(["evaluate", "--pred", str(folders / "pred"), "--gt", str(folders / "gt"), "--json", str(target),
                 "--no-progress"]) == 0
    assert calls == [target]
    assert json.loads(target.read_text())["mean"]["fm"] == 100.0
    assert sorted(p.name for p in folders.iterdir()) == ["gt", "pred", "s.json"]  # no temporary file left


def test_json_to_a_folder_or_empty_name_is_one_line_error(folders):
    code, _, err = _evaluate(folders, "--json", folders / "gt")
    assert code == 2
    _assert_one_error_line(err, str(folders / "gt"), "--json is a folder")
    code, _, err = _evaluate(folders, "--json", "")
    assert code == 2
    _assert_one_error_line(err, "--json", "empty")
