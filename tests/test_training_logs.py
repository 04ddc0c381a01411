"""The training logs that ship in data/training_logs/ are whole and their READMEs tell their numbers.

Notebook 07 reads the loss question's per-page results from there (the three
loss arms trained on the H-DIBCO 2016 fold); the README beside them has a
table of their means, which must be what the CSVs give.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

import binkit
from binkit.results import mean_table, read_results_csv

LOSS_RUNS = Path(__file__).resolve().parents[1] / "data" / "training_logs" / "loss-question"
ARMS = ("f4-sf2-L", "f4-sf2-Ldyn", "f4-sf2-Ldyn-reflayout")
MEASURES = ("fm", "fps", "psnr", "drd")


def _seeds() -> list[Path]:
    return sorted(LOSS_RUNS.glob("seed*"))


def test_loss_question_has_every_arm_for_every_seed():
    seeds = _seeds()
    assert seeds, f"no seed folders in {LOSS_RUNS}"
    for folder in seeds:
        for arm in ARMS:
            for csv_name in ("results.csv", "last.results.csv"):
                rows = read_results_csv(folder / arm / csv_name)
                assert {r["config"] for r in rows} == {arm}, f"{folder.name}/{arm}/{csv_name}: rows labelled otherwise"
                assert {r["dataset"] for r in rows} == {"H-DIBCO 2016"}
                assert sorted(r["image"] for r in rows) == [f"2016_H{i:02d}" for i in range(1, 11)]


def test_loss_question_arms_trained_alike():
    # the same epochs for every arm of a seed: the comparison holds the schedule fixed
    for folder in _seeds():
        epochs = set()
        for arm in ARMS:
            with open(folder / arm / "log.csv", newline="") as fh:
                log = list(csv.DictReader(fh))
            assert [int(r["epoch"]) for r in log] == list(range(len(log))), f"{folder.name}/{arm}: epochs missing"
            epochs.add(len(log))
        assert len(epochs) == 1 and epochs.pop() >= 60, f"{folder.name}: arms trained for different epochs"


def _readme_means(heading: str, readme: Path = LOSS_RUNS / "README.md") -> dict[tuple[str, str], list[float]]:
    # the table under ``heading``: rows such as "| 42 | `f4-sf2-L` | 88.12 | 92.01 | 18.50 | 4.01 | ..."
    text = readme.read_text()
    assert heading in text, f"README.md has no section {heading!r}"
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    pattern = re.compile(r"^\|\s*(\d+)\s*\|\s*`?([\w.-]+)`?\s*\|" + r"\s*([\d.]+)\s*\|" * 4)
    found = {}
    for line in section.splitlines():
        m = pattern.match(line)
        if m:
            found[m[1], m[2]] = [float(x) for x in m.groups()[2:]]
    return found


@pytest.mark.parametrize("heading, csv_name", [("## Means at the protocol's checkpoint", "results.csv"),
                                               ("## Means at the last epoch", "last.results.csv")])
def test_loss_question_readme_tables_are_what_the_csvs_give(heading, csv_name):
    want = {}
    for folder in _seeds():
        for arm in ARMS:
            (t,) = mean_table(read_results_csv(folder / arm / csv_name), by=(), metrics=MEASURES)
            want[folder.name.removeprefix("seed"), arm] = [round(t[m], 2) for m in MEASURES]
    shown = _readme_means(heading)
    assert sorted(shown) == sorted(want), "one README row per seed and arm"
    for key, values in want.items():
        assert shown[key] == pytest.approx(values, abs=0.006), f"README {heading}, {key}"


CHECKPOINT_CSV = {"protocol's": "results.csv", "last": "last.results.csv"}


def _seed_rows(csv_name: str) -> dict[str, list[dict]]:
    return {f.name.removeprefix("seed"): [r for arm in ARMS for r in read_results_csv(f / arm / csv_name)]
            for f in _seeds()}


def test_loss_question_seed_means_are_what_the_csvs_give():
    # the mean over pages of the seed-averaged page scores is the mean of all seeds' rows of an arm
    section = (LOSS_RUNS / "README.md").read_text().split("## Means over the two seeds", 1)[1].split("\n## ", 1)[0]
    pattern = re.compile(r"^\|\s*(protocol's|last)\s*\|\s*`([\w.-]+)`\s*\|" + r"\s*([\d.]+)\s*\|" * 4)
    shown = {(m[1], m[2]): [float(x) for x in m.groups()[2:]] for m in map(pattern.match, section.splitlines()) if m}
    assert len(_seeds()) == 2 and len(shown) == 2 * len(ARMS), "one row per checkpoint and arm, for two seeds"
    for (checkpoint, arm), values in shown.items():
        rows = [r for rows in _seed_rows(CHECKPOINT_CSV[checkpoint]).values() for r in rows if r["config"] == arm]
        (t,) = mean_table(rows, by=(), metrics=MEASURES)
        assert values == pytest.approx([t[m] for m in MEASURES], abs=0.006), f"README seed means, {checkpoint} {arm}"


def _seed_mean(runs: dict[str, list[dict]]) -> list[dict]:
    first = next(iter(runs.values()))
    return [{**r, **{m: sum(s[m] for rows in runs.values() for s in rows
                            if (s["config"], s["image"]) == (r["config"], r["image"])) / len(runs)
                     for m in MEASURES}} for r in first]


def test_loss_question_readme_tests_are_what_binkit_stats_gives():
    from binkit.stats import friedman, pairwise_wilcoxon_holm

    section = (LOSS_RUNS / "README.md").read_text().split("## What they say", 1)[1]
    pattern = re.compile(r"^\|\s*(seed \d+|mean of the seeds), (protocol's|last)[\w' ]*\|([\d., ]+)\|\s*(≥ )?([\d.]+)\s*\|")
    found = [m for m in map(pattern.match, section.splitlines()) if m]
    assert len(found) == 3 * 2, "a row per seed and for their mean, at both checkpoints"
    for m in found:
        runs = _seed_rows(CHECKPOINT_CSV[m[2]])
        rows = _seed_mean(runs) if m[1].startswith("mean") else runs[m[1].removeprefix("seed ")]
        shown = [float(x) for x in m[3].split(",")]
        assert shown == pytest.approx([friedman(rows, ARMS, k).pvalue for k in MEASURES], abs=0.0006), m[0]
        holm = [r.p_adjusted for r in pairwise_wilcoxon_holm(rows, ARMS, "fps", paired=True)]
        assert (min(holm) >= float(m[5]) - 0.0006) if m[4] else min(holm) == pytest.approx(float(m[5]), abs=0.0006), m[0]


GENERAL_201 = Path(__file__).resolve().parents[1] / "data" / "training_logs" / "general-no2016-201"


def test_revalidation_of_the_201_epoch_run_repeats_its_logged_validation_errors():
    # tools/revalidate.py scored copies of the run's checkpoints again; its pixel errors must be the log's own
    with open(GENERAL_201 / "log.csv", newline="") as fh:
        log = list(csv.DictReader(fh))
    assert [int(r["epoch"]) for r in log] == list(range(201)), "the protocol's 201 epochs, none missing"
    logged = {int(r["epoch"]): float(r["val_error"]) for r in log if r["val_error"]}
    rows = re.findall(r"^\| (\d+) \| ([\d.]+) \| ([\d.]+) \|$", (GENERAL_201 / "revalidation.txt").read_text(), re.M)
    assert len(rows) >= 20, "one row per validated epoch"
    for epoch, error, _ in rows:
        assert float(error) == pytest.approx(logged[int(epoch)], abs=2e-6), f"epoch {epoch}"


GENERAL_ALL_201 = GENERAL_201.with_name("general-201")  # `general` (every DIBCO year) to 201 epochs: what ships


def test_general_201_run_is_whole_and_its_export_keeps_the_best_validated_epoch():
    with open(GENERAL_ALL_201 / "log.csv", newline="") as fh:
        log = list(csv.DictReader(fh))
    assert [int(r["epoch"]) for r in log] == list(range(201)), "every epoch logged"
    validated = {int(r["epoch"]): float(r["val_error"]) for r in log if r["val_error"]}
    best = min(validated, key=validated.get)
    info = json.loads((GENERAL_ALL_201 / "export" / "general.json").read_text())
    assert info["epochs_reached"] == info["epochs_planned"] == 201
    assert info["best_epoch"] == info["epoch_of_checkpoint"] == best
    assert info["best_val_error"] == pytest.approx(validated[best], abs=2e-6)
    assert info["task"]["config"]["input_levels"] == "percentile"
    assert info["task"]["val_measure"] == "fm"
    # the README's row for this run is the export's record
    test, hard = info["test_scores_mean"]["gridlstm"], info["hard_scores_mean"]["gridlstm"]
    row = re.search(rf"^\| \*\*this run, epoch {best} \(kept\)\*\* \|([^\n]+)$",
                    (GENERAL_ALL_201 / "README.md").read_text(), re.M)
    assert row, "README.md has a row for the kept epoch"
    shown = [float(x.strip(" *")) for x in row[1].split("|")[:5]]
    want = [test["fm"], test["fps"], test["drd"], hard["fm"], info["hard_border_ink_percent"]["gridlstm"]]
    assert shown == pytest.approx(want, abs=0.006)


def test_shipped_general_is_the_201_epoch_runs_export():
    shipped = Path(binkit.__file__).parent / "gridlstm" / "weights"
    for suffix in (".pt", ".json", ".results.csv"):
        exported = (GENERAL_ALL_201 / "export" / f"general{suffix}").read_bytes()
        assert (shipped / f"general{suffix}").read_bytes() == exported, f"general{suffix}"
