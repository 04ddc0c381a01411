"""Plots of experiment results: per-configuration boxplots, training curves, per-image bars.

Three pictures that go with the statistics of :mod:`binkit.stats`:

* :func:`metric_boxplot` / :func:`experiment_boxplots`: the distribution of
  one measure (by default the pseudo-F-measure, Fps) over the test images,
  one box per configuration, in the style of the Grid LSTM paper's
  Figures 4 and 5.  A box shows what a mean hides: the spread over pages and
  the outliers (the two stained DIBCO 2011 prints that pull every mean down).
* :func:`plot_training_curves`: training loss and validation error per epoch,
  from a CSV log (see :func:`read_training_log`).
* :func:`per_image_bars`: one group of bars per image, one bar per
  configuration, to see *where* two configurations differ.

All functions take result rows (a list of dicts, :mod:`binkit.results`),
draw on a given matplotlib ``Axes`` or make a new figure, and return the
``Axes`` (or ``Figure``) so a notebook can adjust it.
"""

from __future__ import annotations

import math
from pathlib import Path
from types import MappingProxyType
from typing import Mapping, Sequence

import numpy as np

from ._errors import InputError
from .das2018 import PAPER_EXPERIMENTS
from .metrics import MEASURES
from .results import parse_number, read_csv_cells, select
from .stats import metric_matrix

__all__ = [
    "METRIC_LABELS",
    "TRAINING_LOG_COLUMNS",
    "experiment_boxplots",
    "metric_boxplot",
    "per_image_bars",
    "plot_training_curves",
    "read_training_log",
]

#: Axis labels of the measures, read from :data:`binkit.metrics.MEASURES`;
#: plots show each measure on its display scale (NRM in %, MPM in per mille).
METRIC_LABELS = MappingProxyType({k: m.axis_label for k, m in MEASURES.items()})


def _scale(metric: str) -> float:
    # a key that is not a measure (a row's own column) is plotted as it is
    return MEASURES[metric].scale if metric in MEASURES else 1.0


#: Columns of a training log CSV, see :func:`read_training_log`.
TRAINING_LOG_COLUMNS = ("epoch", "loss", "val_error")


def _new_axes(ax, figsize=(6, 4)):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize, constrained_layout=True)
    return ax


def _samples(rows, configs: Sequence[str], metric: str) -> list[np.ndarray]:
    out = []
    for c in configs:
        v = np.array([float(r.get(metric, math.nan)) for r in rows if r.get("config") == c]) * _scale(metric)
        v = v[~np.isnan(v)]
        if v.size == 0:
            raise InputError(f"config {c!r}: no values of {metric!r}")
        out.append(v)
    return out


def metric_boxplot(rows, configs: Sequence[str], metric: str = "fps", *, labels: Sequence[str] | None = None,
                   ax=None, title: str | None = None, show_means: bool = True):
    """One box per configuration: the distribution of ``metric`` over the test images.

    Like the paper's Figures 4 and 5: the box spans the quartiles, the line
    inside is the median, whiskers reach the furthest value within 1.5 × the
    interquartile range, and images beyond are drawn as outliers.  With
    ``show_means`` a marker shows the mean, which the paper's tables report.

    Parameters
    ----------
    rows : list of dict
        Result rows (:mod:`binkit.results`), e.g. from
        :func:`~binkit.das2018.read_paper_results`; select a test set first
        with :func:`~binkit.results.select` to plot one.
    configs : sequence of str
        The configurations, one box each, left to right.
    metric : str, default "fps"
    labels : sequence of str, optional
        Tick labels (default: the configuration names).
    ax : matplotlib Axes, optional
        Where to draw; default a new figure.
    title : str, optional
    show_means : bool, default True

    Returns
    -------
    matplotlib Axes
    """
    configs = list(configs)
    labels = list(labels) if labels is not None else configs
    if len(labels) != len(configs):
        raise InputError(f"labels: {len(labels)} for {len(configs)} configs")
    data = _samples(rows, configs, metric)
    ax = _new_axes(ax, figsize=(1.0 + 0.9 * len(configs), 4))
    ax.boxplot(data, showmeans=show_means, widths=0.6,
               meanprops={"marker": "D", "markerfacecolor": "white", "markeredgecolor": "black", "markersize": 4},
               medianprops={"color": "black"}, flierprops={"marker": "+", "markersize": 5})
    ax.set_xticks(range(1, len(configs) + 1))
    long = max(map(len, labels)) > 8
    ax.set_xticklabels(labels, rotation=30 if long else 0, ha="right" if long else "center")
    ax.set_xlabel("configuration")
    ax.set_ylabel(METRIC_LABELS.get(metric, metric))
    ax.grid(axis="y", alpha=0.3)
    if title:
        ax.set_title(title)
    return ax


def experiment_boxplots(rows, experiments: Mapping[str, Sequence[str]] | None = None, metric: str = "fps", *,
                        sharey: bool = True, figsize=None):
    """One boxplot panel per experiment (default: the paper's footprint, scale and loss).

    Parameters
    ----------
    rows : list of dict
    experiments : dict of str to sequence of str, optional
        Panel title → configurations.  Default
        :data:`binkit.das2018.PAPER_EXPERIMENTS`.
    metric : str, default "fps"
    sharey : bool, default True
        One y scale for all panels, so boxes compare across panels.
    figsize : (float, float), optional

    Returns
    -------
    matplotlib Figure
        Its axes are ``fig.axes``, one per experiment, in order.
    """
    import matplotlib.pyplot as plt

    if experiments is None:
        experiments = PAPER_EXPERIMENTS
    if not experiments:
        raise InputError("experiments: nothing to plot")
    n = len(experiments)
    widths = [max(2, len(c)) for c in experiments.values()]
    fig, axes = plt.subplots(1, n, sharey=sharey, constrained_layout=True,
                             figsize=figsize or (1.2 * sum(widths) + 1, 4),
                             gridspec_kw={"width_ratios": widths}, squeeze=False)
    for ax, (name, configs) in zip(axes[0], experiments.items()):
        metric_boxplot(rows, configs, metric, ax=ax, title=name)
        if ax is not axes[0][0]:
            ax.set_ylabel("")
    return fig


def read_training_log(path) -> dict[str, np.ndarray]:
    """Read a training log CSV.

    Format: a header line, then one line per epoch, comma-separated, with at
    least these columns (any order; extra columns are kept too)::

        epoch,loss,val_error
        0,0.5123,0.0871
        1,0.4310,
        ...

    ``epoch`` is the epoch number, ``loss`` the mean training loss of that
    epoch, and ``val_error`` the validation pixel error rate (fraction of
    wrongly classified pixels, 0..1).  An empty ``val_error`` cell means no
    validation that epoch: the Grid LSTM paper validates only every 10th
    epoch.  The ``log.csv`` that :mod:`binkit.train` writes has this form.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    dict of str to ndarray of float
        One array per column, ``nan`` for empty cells.
    """
    path = Path(path)
    header, lines = read_csv_cells(path)
    missing = [c for c in TRAINING_LOG_COLUMNS if c not in header]
    if missing:
        raise InputError(f"{path}: training log lacks column(s) {', '.join(missing)}; header is {','.join(header)}")
    cols: dict[str, list] = {h: [] for h in header}
    for lineno, cells in lines:
        for h, c in zip(header, cells):
            cols[h].append(parse_number(c, f"{path}:{lineno}: {h}"))
    return {h: np.array(v, dtype=float) for h, v in cols.items()}


def plot_training_curves(log, *, ax=None, title: str | None = None,
                         error_label: str = "validation pixel error"):
    """Training loss and validation error against the epoch, on two y axes.

    The loss (left axis, solid) is what the optimiser minimises; the
    validation error (right axis, dashed with markers) is what model
    selection looks at.  The epoch with the lowest validation error — the
    checkpoint the paper keeps (``_best_err``) — is marked.

    Parameters
    ----------
    log : str, Path, dict or list of dict
        A CSV path (see :func:`read_training_log` for the columns ``epoch``,
        ``loss``, ``val_error``), the dict it returns, or a list of per-epoch
        dicts with those keys (``history`` of :func:`binkit.train.fit`'s
        ``log.json``, or of a shipped model's provenance).
    ax : matplotlib Axes, optional
    title : str, optional
    error_label : str
        The right axis' label: what ``val_error`` holds.  The paper's runs log
        the pixel error; a run trained with ``--val-measure fm`` logs
        ``1 - FM``.

    Returns
    -------
    (ax_loss, ax_error) : tuple of matplotlib Axes
    """
    if isinstance(log, (list, tuple)):
        log = {c: np.array([math.nan if r.get(c) is None else float(r[c]) for r in log], float)
               for c in TRAINING_LOG_COLUMNS}
    elif not isinstance(log, Mapping):
        log = read_training_log(log)
    for c in TRAINING_LOG_COLUMNS:
        if c not in log:
            raise InputError(f"log: no {c!r} column")
    epoch = np.asarray(log["epoch"], float)
    loss = np.asarray(log["loss"], float)
    err = np.asarray(log["val_error"], float)
    ax = _new_axes(ax)
    ok = ~np.isnan(loss)
    ax.plot(epoch[ok], loss[ok], color="C0", label="training loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss", color="C0")
    ax2 = ax.twinx()
    ok = ~np.isnan(err)
    ax2.plot(epoch[ok], err[ok], color="C3", linestyle="--", marker="o", markersize=3, label="validation error")
    ax2.set_ylabel(error_label, color="C3")
    ax2.spines["right"].set_visible(True)
    if ok.any():
        best = np.flatnonzero(ok)[np.argmin(err[ok])]
        ax2.axvline(epoch[best], color="0.5", linewidth=0.8, linestyle=":")
        ax2.annotate(f"best: epoch {epoch[best]:g}", (epoch[best], err[best]), textcoords="offset points",
                     xytext=(5, 8), fontsize=8)
    if title:
        ax.set_title(title)
    return ax, ax2


def per_image_bars(rows, configs: Sequence[str], metric: str = "fps", *, dataset=None, images=None,
                   labels: Sequence[str] | None = None, ax=None, title: str | None = None):
    """Grouped bars: for each image, one bar per configuration.

    Parameters
    ----------
    rows : list of dict
    configs : sequence of str
        One bar colour each.
    metric : str, default "fps"
    dataset, images : optional
        Restrict to a test set (name or year) and/or to some image names.
    labels : sequence of str, optional
        Legend entries (default: the configuration names).
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib Axes
        ``len(configs)`` bar containers (``ax.containers``) with one bar per image.
    """
    configs = list(configs)
    labels = list(labels) if labels is not None else configs
    if len(labels) != len(configs):
        raise InputError(f"labels: {len(labels)} for {len(configs)} configs")
    chosen = select(rows, config=configs, dataset=dataset, image=images)
    if not chosen:
        raise InputError(f"per_image_bars: no rows for dataset={dataset!r}, images={images!r}")
    m, keys = metric_matrix(chosen, configs, metric)
    m = m * _scale(metric)
    n, k = m.shape
    ax = _new_axes(ax, figsize=(max(6.0, 0.25 * n * k + 1), 4))
    x = np.arange(n)
    width = 0.8 / k
    for j in range(k):
        ax.bar(x + (j - (k - 1) / 2) * width, m[:, j], width, label=labels[j])
    ax.set_xticks(x)
    ax.set_xticklabels([img for _, img in keys], rotation=90 if n > 8 else 0)
    ax.set_xlabel("image")
    ax.set_ylabel(METRIC_LABELS.get(metric, metric))
    ax.legend(fontsize=8, ncols=min(k, 4))
    if title:
        ax.set_title(title)
    return ax
