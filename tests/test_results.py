"""Tests for binkit.results: binkit's CSV, selecting, averaging, the one text-table formatter, dataset names.

The Grid LSTM paper's files are tested in test_das2018.py.
"""

from __future__ import annotations

import math

import pytest

from binkit import InputError
from binkit.metrics import MEASURES
from binkit.results import (
    CSV_COLUMNS,
    METRICS,
    dataset_name,
    format_table,
    mean_table,
    parse_number,
    read_csv_cells,
    read_results_csv,
    select,
    values,
    write_results_csv,
)


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
    assert text.splitlines() == ["config  n   FM", "------  -  ---", "a       2  2.0", "b       1  5.0"]
    assert isinstance(format_table([]), str)  # an empty table formats without error


def test_csv_reader_refuses_a_file_cut_like_the_papers(tmp_path):
    """Rps without Precision: the Grid LSTM paper's mislabelling, whose 'Rps' is really the precision."""
    p = tmp_path / "cut.csv"
    p.write_text("method,criterium,Name,F-Measure,Fps,PSNR,DRD,Recall,Rps,Pps\nx,error,1,90,91,18,3,88,92,94\n")
    with pytest.raises(InputError, match="das2018.read_paper_results"):
        read_results_csv(p)


def test_csv_columns_follow_the_measures():
    assert METRICS == ("fm", "fps", "psnr", "drd", "recall", "precision", "pseudo_recall", "pseudo_precision")
    assert CSV_COLUMNS[3:-1] == tuple(MEASURES[k].csv_column for k in METRICS)
    assert "nrm" not in METRICS and "mpm" not in METRICS  # not in the DIBCO tool's output, nor the CSV


def test_parse_number():
    assert parse_number(" 2.5 ", "f:2") == 2.5
    assert all(math.isnan(parse_number(c, "f:2")) for c in ("", "nan", "NA", "n/a", "None"))
    with pytest.raises(InputError, match="f:2"):
        parse_number("2,5", "f:2")


def test_read_csv_cells(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text(" a , b\n1,2\n\n , \n3,4\n")
    assert read_csv_cells(p) == (["a", "b"], [(2, ["1", "2"]), (5, ["3", "4"])])  # blank lines skipped
    p.write_text("a,b\n1,2\n3\n")
    with pytest.raises(InputError, match="t.csv:3: 1 cells, expected 2"):
        read_csv_cells(p)
    p.write_text("")
    assert read_csv_cells(p) == ([], [])


def test_dataset_names():
    assert [dataset_name(y) for y in (2009, 2010, 2011, 2016, 2017, 2018, 2019)] == [
        "DIBCO 2009", "H-DIBCO 2010", "DIBCO 2011", "H-DIBCO 2016", "DIBCO 2017", "H-DIBCO 2018", "DIBCO 2019"]
    assert dataset_name("2014") == "H-DIBCO 2014"
    assert dataset_name(2015) == "2015"  # no contest that year


# --- the one text-table formatter -------------------------------------------------------------


def test_format_table_measure_columns():
    """A measure key's column is headed, scaled and rounded as MEASURES says; other columns are left alone."""
    table = [{"config": "a", "n": 3, "fm": 88.156, "nrm": 0.02371, "mpm": 0.0105, "drd_sd": 1.234, "x": 0.5},
             {"config": "b", "n": 1, "fm": 100, "nrm": None, "mpm": math.nan, "drd_sd": 0.0, "x": 2}]
    lines = format_table(table).splitlines()
    assert lines[0].split() == ["config", "n", "FM", "NRM×10²", "MPM×10³", "DRD", "sd", "x"]
    assert lines[2].split() == ["a", "3", "88.16", "2.37", "10.50", "1.23", "0.50"]
    assert lines[3].split() == ["b", "1", "100.00", "nan", "0.00", "2"]  # an int measure value is still a measure
    assert format_table(table, ["fm", "nrm"], digits=3).splitlines()[2].split() == ["88.156", "2.371"]
    assert format_table(table, ["fm"], headings={"fm": "F"}).splitlines()[0].strip() == "F"


def test_format_table_reads_the_measure_table(monkeypatch):
    """The decimals come from MEASURES, not from a copy of it."""
    import dataclasses

    import binkit.results as results

    changed = dict(MEASURES)
    changed["psnr"] = dataclasses.replace(MEASURES["psnr"], decimals=4, label="P")
    monkeypatch.setattr(results, "MEASURES", changed)
    assert format_table([{"psnr": 17.123456}]).splitlines() == ["      P", "-------", "17.1235"]


def test_format_table_alignment_and_cells():
    text = format_table([{"name": "x", "flag": True, "obj": (1, 2), "none": None},
                         {"name": "long name", "flag": False, "obj": "s", "none": None}])
    assert text.splitlines() == [
        "name        flag     obj  none",
        "---------  -----  ------  ----",
        "x           True  (1, 2)",
        "long name  False       s",
    ]
