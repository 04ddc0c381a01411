"""Smoke tests for binkit.experiment_plots (Agg backend, no image comparison)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from binkit import InputError  # noqa: E402
from binkit.metrics import MEASURES  # noqa: E402
from binkit.experiment_plots import (  # noqa: E402
    METRIC_LABELS,
    experiment_boxplots,
    metric_boxplot,
    per_image_bars,
    plot_training_curves,
    read_training_log,
)

CONFIGS = ["a", "b", "c"]


@pytest.fixture
def rows():
    rng = np.random.default_rng(0)
    out = []
    for ds in ("DIBCO 2009", "H-DIBCO 2016"):
        for i in range(5):
            for j, c in enumerate(CONFIGS):
                out.append({"config": c, "dataset": ds, "image": f"{ds[-4:]}_H{i + 1:02d}",
                            "fps": 85 + 3 * j + rng.normal(), "drd": 5 - j + rng.normal()})
    return out


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_metric_boxplot(rows):
    ax = metric_boxplot(rows, CONFIGS, "fps", title="t")
    assert len(ax.get_xticklabels()) == 3
    assert [t.get_text() for t in ax.get_xticklabels()] == CONFIGS
    assert "Fps" in ax.get_ylabel() and ax.get_xlabel() == "configuration"
    # boxplot draws one median line per box
    medians = [ln for ln in ax.lines if ln.get_color() == "black" and len(ln.get_xdata()) == 2
               and ln.get_ydata()[0] == ln.get_ydata()[1]]
    assert len(medians) >= 3


def test_metric_boxplot_on_given_axes(rows):
    fig, ax = plt.subplots()
    assert metric_boxplot(rows, ["a", "c"], "drd", labels=["A", "C"], ax=ax) is ax
    assert [t.get_text() for t in ax.get_xticklabels()] == ["A", "C"]
    assert ax.get_ylabel() == "DRD"
    with pytest.raises(InputError):
        metric_boxplot(rows, ["a", "zz"], "fps", ax=ax)


def test_experiment_boxplots(rows):
    fig = experiment_boxplots(rows, {"two": ["a", "b"], "three": CONFIGS})
    assert len(fig.axes) == 2
    assert [len(ax.get_xticklabels()) for ax in fig.axes] == [2, 3]
    assert [ax.get_title() for ax in fig.axes] == ["two", "three"]


def test_experiment_boxplots_paper():
    from binkit.das2018 import read_paper_results

    fig = experiment_boxplots(read_paper_results())  # the shipped copy, the paper's three experiments
    assert [len(ax.get_xticklabels()) for ax in fig.axes] == [3, 3, 4]


def test_metric_labels_follow_the_measure_table():
    assert list(METRIC_LABELS) == list(MEASURES)
    assert METRIC_LABELS["fps"] == "pseudo-F-measure Fps (%)" and METRIC_LABELS["psnr"] == "PSNR (dB)"
    assert METRIC_LABELS["drd"] == "DRD" and METRIC_LABELS["nrm"] == "negative rate metric NRM (%)"


def test_plots_show_the_display_scale():
    """NRM is a fraction in rows and a percentage on the axis, as its label says."""
    rows = [{"config": c, "dataset": "t", "image": f"i{i}", "nrm": v}
            for i in range(4) for c, v in (("a", 0.02), ("b", 0.05))]
    ax = metric_boxplot(rows, ["a", "b"], "nrm", show_means=False)
    assert ax.get_ylabel().endswith("(%)")
    assert ax.get_ylim()[0] > 1 and ax.get_ylim()[1] < 6  # 2 % and 5 %, not 0.02 and 0.05
    ax = per_image_bars(rows, ["a", "b"], "nrm")
    assert [bar.get_height() for bar in ax.containers[1]] == pytest.approx([5.0] * 4)


def test_training_curves(tmp_path):
    p = tmp_path / "log.csv"
    lines = ["epoch,loss,val_error,lr"]
    for e in range(21):
        val = f"{0.1 - 0.003 * e + (0.04 if e == 20 else 0):.4f}" if e % 10 == 0 else ""
        lines.append(f"{e},{1.0 / (e + 1):.4f},{val},0.001")
    p.write_text("\n".join(lines) + "\n")
    log = read_training_log(p)
    assert set(log) == {"epoch", "loss", "val_error", "lr"}
    assert np.isnan(log["val_error"][1]) and log["val_error"][10] == pytest.approx(0.07)
    ax, ax2 = plot_training_curves(p, title="run")
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "training loss"
    assert ax2.get_ylabel() == "validation pixel error"
    assert len(ax.lines[0].get_xdata()) == 21 and len(ax2.lines[0].get_xdata()) == 3
    assert any("epoch 10" in t.get_text() for t in ax2.texts)  # the best validation error
    plot_training_curves(log)  # a dict works too
    # a run validated by FM logs 1 - FM in val_error: the axis says so when told
    assert plot_training_curves(p, error_label="validation 1 - FM")[1].get_ylabel() == "validation 1 - FM"


def test_training_log_bad(tmp_path):
    p = tmp_path / "log.csv"
    p.write_text("epoch,loss\n0,1\n")
    with pytest.raises(InputError, match="val_error"):
        read_training_log(p)


def test_per_image_bars(rows):
    ax = per_image_bars(rows, ["a", "b"], "fps", dataset=2016)
    assert len(ax.containers) == 2 and all(len(c) == 5 for c in ax.containers)
    assert [t.get_text() for t in ax.get_xticklabels()] == [f"2016_H{i:02d}" for i in range(1, 6)]
    assert ax.get_xlabel() == "image" and "Fps" in ax.get_ylabel()
    assert ax.get_legend() is not None
    ax = per_image_bars(rows, CONFIGS, "drd", images=["2009_H01", "2016_H02"])
    assert len(ax.containers) == 3 and all(len(c) == 2 for c in ax.containers)
    with pytest.raises(InputError):
        per_image_bars(rows, CONFIGS, dataset=2011)


def test_training_curves_from_history_rows():
    history = [{"epoch": 0, "loss": 0.5, "val_error": 0.08}, {"epoch": 1, "loss": 0.4, "val_error": None},
               {"epoch": 2, "loss": 0.3, "val_error": 0.05}]
    ax, ax2 = plot_training_curves(history)
    (line,) = ax2.get_lines()[:1]
    assert list(line.get_xdata()) == [0.0, 2.0] and list(line.get_ydata()) == [0.08, 0.05]
    assert "best: epoch 2" in [t.get_text() for t in ax2.texts]
