"""The paper's experiment matrix (Table III) as resumable training runs.

Westphal et al. compare eight configurations of the Grid LSTM binarizer, each
trained and tested on seven folds of the DIBCO data (one test set per fold):

====================  =========  ===========  ======================================
configuration         footprint  scale factor loss
====================  =========  ===========  ======================================
``f4-sf2-Ldyn``       4          2            dynamic (pseudo-F weights), the reference
``f4-sf1-Ldyn``       4          1            dynamic
``f4-sf4-Ldyn``       4          4            dynamic
``f2-sf2-Ldyn``       2          2            dynamic (20 units per pixel)
``f8-sf2-Ldyn``       8          2            dynamic
``f4-sf2-L``          4          2            plain cross-entropy
``f4-sf2-Lstat2``     4          2            static, background weight 2
``f4-sf2-Lstat0.5``   4          2            static, background weight 0.5
====================  =========  ===========  ======================================

:func:`run_experiments` trains every (configuration, test set) pair with
:func:`binkit.gridlstm.run.run` into ``out/<config>/test<year>/``.  Running it
again skips finished runs and resumes unfinished ones from their last
checkpoint, so a long matrix can be run in pieces (or killed at any time).
:func:`collect_results` gathers the per-image rows of all finished runs into one
table in :mod:`binkit.results`' format, ready for :mod:`binkit.stats` and
:mod:`binkit.experiment_plots`.

The folds and the configurations are in :mod:`binkit.gridlstm.configs`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from .._errors import InputError
from ..results import read_results_csv, write_results_csv
from ..train import TrainConfig
from .configs import EXPERIMENT_YEARS, PAPER_FOLD_NUMBERS, TABLE_III, config_name, paper_fold
from .run import RunSpec, run

__all__ = [
    "EXPERIMENT_YEARS",
    "PAPER_FOLD_NUMBERS",
    "TABLE_III",
    "collect_results",
    "config_name",
    "experiment_spec",
    "paper_fold",
    "run_experiments",
]


def experiment_spec(config: str, test_year: int, *, train_cfg: TrainConfig | None = None, data=None,
                    synthetic: bool = False) -> RunSpec:
    """The :class:`RunSpec` of one cell of the matrix (configuration x test set).

    With ``synthetic=True`` every "year" of the fold stands for the synthetic
    page of that seed (as ``binkit train --synthetic`` does): the whole
    machinery runs in seconds on a CPU, for demonstrations and tests.
    """
    if config not in TABLE_III:
        raise InputError(f"unknown configuration {config!r}; Table III has {list(TABLE_III)}")
    train, val = paper_fold(test_year)
    return RunSpec(**TABLE_III[config], train=train, val=val, test=[int(test_year)], data=data,
                   synthetic=synthetic, train_cfg=train_cfg or TrainConfig())


def _select(configs: Iterable[str] | None, years: Iterable[int] | None):
    configs = list(TABLE_III) if configs is None else list(configs)
    years = list(EXPERIMENT_YEARS) if years is None else [int(y) for y in years]
    for c in configs:
        if c not in TABLE_III:
            raise InputError(f"unknown configuration {c!r}; Table III has {list(TABLE_III)}")
    return configs, years


def run_experiments(out, configs: Iterable[str] | None = None, test_years: Iterable[int] | None = None, *,
                    train_cfg: TrainConfig | None = None, data=None, synthetic: bool = False) -> list[dict]:
    """Train and test every (configuration, test year); skip finished runs, resume unfinished ones.

    Parameters
    ----------
    out : path
        Root folder; each run goes to ``out/<config>/test<year>/``.
    configs : iterable of str, optional
        Names from :data:`TABLE_III` (default: all eight).
    test_years : iterable of int, optional
        Test sets (default: all seven of :data:`EXPERIMENT_YEARS`).
    train_cfg : TrainConfig, optional
        Epochs, blocks, seed, device... (default: the paper's protocol).
    data : path, optional
        DIBCO root (default ``BINKIT_DIBCO_ROOT``).
    synthetic : bool
        Synthetic pages instead of DIBCO (see :func:`experiment_spec`).

    Returns
    -------
    list of dict
        The rows of :func:`collect_results` after the runs, also written to
        ``out/results.csv``.
    """
    out = Path(out)
    configs, years = _select(configs, test_years)
    for config in configs:
        for year in years:
            spec = experiment_spec(config, year, train_cfg=train_cfg, data=data, synthetic=synthetic)
            run(spec, out / config / f"test{year}")
    if int(os.environ.get("RANK", "0")) != 0:  # under torchrun only rank 0 collects and writes results.csv
        return []
    rows = collect_results(out, configs, years)
    if rows:
        write_results_csv(out / "results.csv", rows)
    return rows


def collect_results(out, configs: Iterable[str] | None = None, test_years: Iterable[int] | None = None) -> list[dict]:
    """Per-image rows of the finished runs under ``out`` (unfinished or missing runs are left out)."""
    out = Path(out)
    configs, years = _select(configs, test_years)
    rows = []
    for config in configs:
        for year in years:
            path = out / config / f"test{year}" / "results.csv"
            if path.is_file():
                rows += read_results_csv(path)
    return rows
