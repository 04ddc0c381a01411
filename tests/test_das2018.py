"""Tests for binkit.das2018: the Grid LSTM paper's files (shipped copy, correct labelling, names, Tables I, IV)."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import numpy as np
import pytest

from binkit import InputError, das2018
from binkit.das2018 import (
    DATASET_NAMES,
    PAPER_CONFIGS,
    PAPER_EXPERIMENTS,
    PAPER_HEADER,
    paper_image_name,
    paper_results_dir,
    read_paper_results,
    read_paper_times,
)
from binkit.results import mean_table, read_results_csv, select, write_results_csv


@pytest.fixture(scope="module")
def paper():
    return read_paper_results()


@pytest.fixture(scope="module")
def shared_das2018():
    """The authors' files as the project's reference data holds them, outside the package.

    Looked for in ``../shared/data/reference`` beside the checkout, then beside
    the DIBCO data that ``BINKIT_DIBCO_ROOT`` names (``<root>/../reference``).
    """
    cands = [Path(__file__).resolve().parents[2] / "shared" / "data" / "reference" / "das2018_results"]
    if os.environ.get("BINKIT_DIBCO_ROOT"):
        cands.append(Path(os.environ["BINKIT_DIBCO_ROOT"]).parent / "reference" / "das2018_results")
    for d in cands:
        if (d / "dibco16_fold0.csv").is_file():
            return d
    pytest.skip(f"the reference copy of the Grid LSTM paper's results is in none of {[str(d) for d in cands]}")


# --- name mapping ---------------------------------------------------------------------------


@pytest.mark.parametrize("dataset, name, expected", [
    ("dibco09", "h01", "2009_H01"),
    ("dibco09", "p05", "2009_P05"),
    ("dibco10", "h10", "2010_H10"),
    ("dibco11", "hw1", "2011_H01"),
    ("dibco11", "pr8", "2011_P08"),
    ("dibco12", "h14", "2012_H14"),
    ("dibco13", "hw01", "2013_H01"),
    ("dibco13", "pr08", "2013_P08"),
    ("dibco14", "h07", "2014_H07"),
    ("dibco16", "1", "2016_H01"),
    ("dibco16", "10", "2016_H10"),
])
def test_paper_image_name(dataset, name, expected):
    assert paper_image_name(dataset, name) == expected


@pytest.mark.parametrize("dataset, name", [("dibco16", "x1"), ("2016", "1"), ("dibco09", "q01")])
def test_paper_image_name_rejects(dataset, name):
    with pytest.raises(InputError):
        paper_image_name(dataset, name)


def test_config_names_cover_the_paper():
    assert len(set(PAPER_CONFIGS.values())) == 8
    assert PAPER_CONFIGS["dyn_wgt_sc2_16_201e"] == "f4-sf2-Ldyn"
    assert PAPER_CONFIGS["stat_wgt05_sc2_16_201e"] == "f4-sf2-Lstat0.5"


# --- the paper's files ----------------------------------------------------------------------


def test_paper_shape_and_names(paper):
    assert len(paper) == 688
    assert {r["config"] for r in paper} == set(PAPER_CONFIGS.values())
    assert {r["criterium"] for r in paper} == {"error"}
    images = {(r["dataset"], r["image"]) for r in paper}
    assert len(images) == 86
    per_set = {}
    for ds, _ in images:
        per_set[ds] = per_set.get(ds, 0) + 1
    assert per_set == {"DIBCO 2009": 10, "H-DIBCO 2010": 10, "DIBCO 2011": 16, "H-DIBCO 2012": 14,
                       "DIBCO 2013": 16, "H-DIBCO 2014": 10, "H-DIBCO 2016": 10}
    assert all(img.startswith(ds[-4:] + "_") for ds, img in images)
    assert {img for ds, img in images if ds == "H-DIBCO 2016"} == {f"2016_H{i:02d}" for i in range(1, 11)}


def test_paper_columns_are_relabelled(paper):
    """The header's Recall, Rps, Pps are really Recall, Precision, pseudo-Recall."""
    for r in paper:
        # FM = 2RP/(R+P) with the true reading, on every row (values are printed to 4 decimals)
        assert r["fm"] == pytest.approx(2 * r["recall"] * r["precision"] / (r["recall"] + r["precision"]), abs=2e-4)
        assert math.isnan(r["pseudo_precision"])
    # 2011_P06 is flooded with false positives: the column headed "Rps" is small, as precision must be
    pr6 = select(paper, config="f4-sf2-Ldyn", image="2011_P06")[0]
    assert pr6["precision"] < 25 < pr6["recall"]
    assert pr6["psnr"] == pytest.approx(7.0, abs=0.05)
    # one row read by hand from dibco16_fold0.csv
    r = select(paper, config="f4-sf1-Ldyn", image="2016_H01")[0]
    assert (r["fm"], r["fps"], r["psnr"], r["drd"], r["recall"], r["precision"], r["pseudo_recall"]) == (
        94.0614, 94.8798, 20.8927, 3.5466, 92.3933, 95.7908, 94.235)


def test_table_iv_means(paper):
    """Table IV: H-DIBCO 2016, f4-sf2-Ldyn (the ± values are in test_stats)."""
    (t,) = mean_table(select(paper, config="f4-sf2-Ldyn", dataset="H-DIBCO 2016"))
    assert t["n"] == 10
    assert [round(t[m], 2) for m in ("fm", "fps", "psnr", "drd")] == [88.79, 92.53, 18.43, 3.98]


def test_pooled_means(paper):
    """Means over all 86 images (the paper's raw results, pooled)."""
    table = {t["config"]: t for t in mean_table(paper, by=("config",))}
    assert [round(table["f4-sf2-Ldyn"][m], 2) for m in ("fm", "fps", "psnr", "drd")] == [88.16, 90.26, 18.41, 6.94]
    assert [round(table["f8-sf2-Ldyn"][m], 2) for m in ("fm", "fps", "psnr", "drd")] == [81.34, 84.09, 16.26, 6.19]
    assert all(t["n"] == 86 for t in table.values())


def test_table_i_times():
    times = read_paper_times()
    assert {k: round(v, 4) for k, v in times.means.items()} == {
        "f4-sf2-Ldyn": 2.2259, "f2-sf2-Ldyn": 8.4149, "f8-sf2-Ldyn": 1.4121}
    assert len(times.per_image) == 3 * 86
    for config, mean in times.means.items():
        secs = [r["seconds"] for r in times.per_image if r["config"] == config]
        assert np.mean(secs) == pytest.approx(mean, abs=1e-9)
    per_image, means = times  # unpacks as a pair
    assert per_image[0]["image"] == "2013_H01" and per_image[0]["dataset"] == "DIBCO 2013"


def test_paper_results_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_paper_results(tmp_path)
    with pytest.raises(FileNotFoundError):
        read_paper_times(tmp_path)


# --- finding the paper's files ---------------------------------------------------------------


def _fake_paper_dir(path):
    path.mkdir(parents=True, exist_ok=True)
    (path / "dibco16_fold0.csv").write_text(",".join(PAPER_HEADER) + "\n")
    return path


def test_paper_results_dir_argument(tmp_path, monkeypatch):
    monkeypatch.setenv("BINKIT_DAS2018_RESULTS", str(tmp_path / "elsewhere"))  # the argument wins
    d = _fake_paper_dir(tmp_path / "given")
    assert paper_results_dir(d) == d
    assert paper_results_dir(str(d)) == d


def test_paper_results_dir_env(tmp_path, monkeypatch):
    d = _fake_paper_dir(tmp_path / "from_env")
    monkeypatch.setenv("BINKIT_DAS2018_RESULTS", str(d))
    assert paper_results_dir() == d
    assert read_paper_results() == []  # the variable is followed, not the shipped copy


def test_paper_results_dir_default_is_the_shipped_copy(monkeypatch):
    """Without argument or variable: the copy inside the package, wherever it is installed."""
    monkeypatch.delenv("BINKIT_DAS2018_RESULTS", raising=False)
    shipped = Path(das2018.__file__).parent / "reference" / "das2018_results"
    assert paper_results_dir() == shipped
    assert len(read_paper_results()) == 688
    assert len(read_paper_times().per_image) == 3 * 86


@pytest.mark.parametrize("how", ["argument", "env", "shipped"])
def test_paper_results_dir_missing(tmp_path, monkeypatch, how):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "dibco09_fold1.csv").write_text("")  # only dibco16_fold0.csv counts
    monkeypatch.delenv("BINKIT_DAS2018_RESULTS", raising=False)
    if how == "env":
        monkeypatch.setenv("BINKIT_DAS2018_RESULTS", str(empty))
    elif how == "shipped":  # an installation that lost its copy
        monkeypatch.setattr(das2018, "_SHIPPED", empty)
    with pytest.raises(FileNotFoundError) as err:
        paper_results_dir(empty if how == "argument" else None)
    msg = str(err.value)
    assert "\n" not in msg and str(empty) in msg
    assert {"argument": "the folder given", "env": "$BINKIT_DAS2018_RESULTS",
            "shipped": "the copy shipped with binkit"}[how] in msg
    assert "BINKIT_DAS2018_RESULTS" in msg and "Apache-2.0" in msg and "DAS2018" in msg


def test_no_package_code_refers_to_shared():
    """The kit finds its files itself: no module names the development checkout's ../shared."""
    package = Path(das2018.__file__).parent
    offenders = [str(p.relative_to(package)) for p in package.rglob("*.py")
                 if re.search(r"""["'/]shared["'/]""", p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_shipped_copy_is_unchanged(shared_das2018):
    """binkit/reference/das2018_results holds the authors' files byte for byte, plus binkit's README."""
    shipped = Path(das2018.__file__).parent / "reference" / "das2018_results"
    theirs = sorted(p.name for p in shared_das2018.iterdir())
    assert sorted(p.name for p in shipped.iterdir()) == sorted(theirs + ["README.md"])
    assert len(theirs) == 9 and "LICENSE" in theirs and "bin_times.csv" in theirs
    for name in theirs:
        assert (shipped / name).read_bytes() == (shared_das2018 / name).read_bytes(), name


def test_shipped_copy_is_package_data():
    text = (Path(das2018.__file__).parents[1] / "pyproject.toml").read_text()
    assert '"reference/das2018_results/*"' in text


def test_paper_results_wrong_header(tmp_path):
    (tmp_path / "dibco16_fold0.csv").write_text("method,Name,FM\nx,1,90\n")
    with pytest.raises(InputError, match="header"):
        read_paper_results(tmp_path)


def test_dataset_names():
    assert DATASET_NAMES["dibco16"] == "H-DIBCO 2016" and DATASET_NAMES["dibco11"] == "DIBCO 2011"
    assert list(DATASET_NAMES) == ["dibco09", "dibco10", "dibco11", "dibco12", "dibco13", "dibco14", "dibco16"]


def test_experiments_use_the_papers_configurations():
    assert {c for configs in PAPER_EXPERIMENTS.values() for c in configs} == set(PAPER_CONFIGS.values())
    assert all("f4-sf2-Ldyn" in configs for configs in PAPER_EXPERIMENTS.values())


def test_csv_round_trip_paper(tmp_path, paper):
    path = write_results_csv(tmp_path / "paper.csv", paper)
    back = read_results_csv(path)
    assert len(back) == len(paper)
    for a, b in zip(paper, back):
        for k, v in a.items():
            if k == "fold":
                continue
            assert (math.isnan(b[k]) if isinstance(v, float) and math.isnan(v) else b[k] == v), k


def test_csv_reader_refuses_the_paper_header():
    with pytest.raises(InputError, match="read_paper_results"):
        read_results_csv(paper_results_dir() / "dibco16_fold0.csv")
