"""Tests for binkit.results: the paper's CSVs (correct labelling, names, Table I, IV), binkit's CSV, helpers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from binkit import InputError
from binkit.results import (
    CSV_COLUMNS,
    DATASET_NAMES,
    PAPER_CONFIGS,
    format_table,
    mean_table,
    paper_image_name,
    paper_results_dir,
    read_paper_results,
    read_paper_times,
    read_results_csv,
    select,
    values,
    write_results_csv,
)


@pytest.fixture(scope="module")
def paper_dir(reference_dir):
    d = reference_dir / "das2018_results"
    if not (d / "dibco16_fold0.csv").is_file():
        pytest.skip(f"the Grid LSTM paper's results not found at {d}")
    return d


@pytest.fixture(scope="module")
def paper(paper_dir):
    return read_paper_results(paper_dir)


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
    """Spec A7: means over all 86 images."""
    table = {t["config"]: t for t in mean_table(paper, by=("config",))}
    assert [round(table["f4-sf2-Ldyn"][m], 2) for m in ("fm", "fps", "psnr", "drd")] == [88.16, 90.26, 18.41, 6.94]
    assert [round(table["f8-sf2-Ldyn"][m], 2) for m in ("fm", "fps", "psnr", "drd")] == [81.34, 84.09, 16.26, 6.19]
    assert all(t["n"] == 86 for t in table.values())


def test_table_i_times(paper_dir):
    times = read_paper_times(paper_dir)
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
    (path / "dibco16_fold0.csv").write_text("method,criterium,Name,F-Measure,Fps,PSNR,DRD,Recall,Rps,Pps\n")
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


@pytest.mark.parametrize("how", ["argument", "env", "default"])
def test_paper_results_dir_missing(tmp_path, monkeypatch, how):
    import binkit.results as results

    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "dibco09_fold1.csv").write_text("")  # only dibco16_fold0.csv counts
    monkeypatch.delenv("BINKIT_DAS2018_RESULTS", raising=False)
    if how == "env":
        monkeypatch.setenv("BINKIT_DAS2018_RESULTS", str(empty))
    elif how == "default":  # pretend the package lives in tmp_path/repo/binkit
        monkeypatch.setattr(results, "__file__", str(tmp_path / "repo" / "binkit" / "results.py"))
        empty = tmp_path / "shared" / "data" / "reference" / "das2018_results"
    with pytest.raises(FileNotFoundError) as err:
        paper_results_dir(empty if how == "argument" else None)
    msg = str(err.value)
    assert "\n" not in msg and str(empty) in msg
    assert "BINKIT_DAS2018_RESULTS" in msg and "Apache-2.0" in msg and "DAS2018" in msg


def test_paper_results_dir_default_is_shared(paper_dir, monkeypatch):
    """Without argument or variable: <repo>/../shared/data/reference/das2018_results."""
    monkeypatch.delenv("BINKIT_DAS2018_RESULTS", raising=False)
    assert paper_results_dir().resolve() == paper_dir.resolve()  # ../shared may be a symlink
    assert len(read_paper_results(paper_results_dir())) == 688


def test_paper_results_wrong_header(tmp_path):
    (tmp_path / "dibco16_fold0.csv").write_text("method,Name,FM\nx,1,90\n")
    with pytest.raises(InputError, match="header"):
        read_paper_results(tmp_path)


# --- binkit's CSV ---------------------------------------------------------------------------


def _tiny_rows():
    return [
        {"config": "otsu", "criterium": "", "dataset": "H-DIBCO 2016", "image": "2016_H01",
         "fm": 91.23456789012345, "fps": 93.1, "psnr": 17.5, "drd": 2.25, "recall": 90.0,
         "precision": 92.5, "pseudo_recall": 94.0, "pseudo_precision": 92.2},
        {"config": "sauvola", "criterium": "", "dataset": "H-DIBCO 2016", "image": "2016_H01",
         "fm": 80.0, "fps": math.nan, "psnr": 15.0, "drd": 6.5, "recall": 70.0,
         "precision": 93.3333333333333, "pseudo_recall": math.nan, "pseudo_precision": math.nan},
    ]


def _same(a, b):
    for k in a:
        if isinstance(a[k], float) and math.isnan(a[k]):
            assert math.isnan(b[k]), k
        else:
            assert a[k] == b[k], k


def test_csv_round_trip(tmp_path):
    rows = _tiny_rows()
    path = write_results_csv(tmp_path / "r.csv", rows)
    text = path.read_text().splitlines()
    assert text[0] == ",".join(CSV_COLUMNS)
    assert text[0] == "method,criterium,Name,F-Measure,Fps,PSNR,DRD,Recall,Precision,Rps,Pps,dataset"
    assert text[2].startswith("sauvola,,2016_H01,80.0,,15.0,")  # nan is an empty cell
    back = read_results_csv(path)
    assert len(back) == 2
    for a, b in zip(rows, back):
        _same(a, b)


def test_csv_round_trip_paper(tmp_path, paper):
    path = write_results_csv(tmp_path / "paper.csv", paper)
    back = read_results_csv(path)
    assert len(back) == len(paper)
    for a, b in zip(paper, back):
        _same({k: v for k, v in a.items() if k != "fold"}, b)


def test_csv_reader_refuses_the_paper_header(paper_dir):
    with pytest.raises(InputError, match="read_paper_results"):
        read_results_csv(paper_dir / "dibco16_fold0.csv")


def test_csv_reader_columns_by_name(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("Name,method,F-Measure\n2016_H01,otsu,90.5\n")
    (r,) = read_results_csv(p, dataset="H-DIBCO 2016")
    assert (r["config"], r["image"], r["dataset"], r["fm"]) == ("otsu", "2016_H01", "H-DIBCO 2016", 90.5)
    assert math.isnan(r["drd"]) and r["criterium"] == ""


def test_csv_bad_cells(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("method,Name,F-Measure\notsu,2016_H01,abc\n")
    with pytest.raises(InputError, match="not a number"):
        read_results_csv(p)
    with pytest.raises(InputError, match="not a number"):
        write_results_csv(tmp_path / "w.csv", [{"config": "a", "image": "b", "fm": "x"}])


# --- helpers --------------------------------------------------------------------------------


def test_select_and_values():
    rows = _tiny_rows()
    assert [r["config"] for r in select(rows, config="sauvola")] == ["sauvola"]
    assert len(select(rows, config=["otsu", "sauvola"], dataset=2016)) == 2
    assert select(rows, dataset=2011) == []
    assert select(rows, dataset="DIBCO 2016") == []  # names match exactly
    v = values(rows, "fps")
    assert v[0] == 93.1 and math.isnan(v[1])


def test_mean_table_and_format():
    rows = [
        {"config": "a", "dataset": "x", "fm": 1.0, "drd": 4.0},
        {"config": "a", "dataset": "x", "fm": 3.0, "drd": 2.0},
        {"config": "b", "dataset": "x", "fm": 5.0, "drd": 1.0},
    ]
    table = mean_table(rows, by=("config",), metrics=("fm", "drd"), sd=True)
    assert table == [
        {"config": "a", "n": 2, "fm": 2.0, "fm_sd": 1.0, "drd": 3.0, "drd_sd": 1.0},
        {"config": "b", "n": 1, "fm": 5.0, "fm_sd": 0.0, "drd": 1.0, "drd_sd": 0.0},
    ]
    assert mean_table(rows, by=(), metrics=("fm",)) == [{"n": 3, "fm": 3.0}]
    text = format_table(table, ["config", "n", "fm"], digits=1)
    assert text.splitlines() == ["config  n   fm", "------  -  ---", "a       2  2.0", "b       1  5.0"]
    assert isinstance(format_table([]), str)  # an empty table formats without error


def test_dataset_names():
    assert DATASET_NAMES["dibco16"] == "H-DIBCO 2016" and DATASET_NAMES["dibco11"] == "DIBCO 2011"
