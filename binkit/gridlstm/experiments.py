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

Folds
-----
Each fold tests on one of the seven sets and trains on the other six, one of
which is held out for validation.  The original code shuffles the six
training sets with Python 2's ``random.shuffle`` seeded with 42, cuts the
result into six interleaved groups and validates on group ``fold``
(``docs/gridlstm_reference.md`` A5).  :func:`paper_fold` emulates that exactly.  For the H-DIBCO 2016
fold (``fold 0``, the only one the paper's README spells out) it gives
DIBCO 2011 as validation set, as the original code would.  **For the other six folds
the original validation sets were never recorded**: binkit applies the same
rule with the fold numbers of the paper's result files (``dibco09_fold1`` ...
``dibco14_fold6``; fold 6 wraps round to group 0).  That is binkit's choice,
not a recovered fact.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Iterable, Sequence

from .._errors import InputError
from ..results import read_results_csv, write_results_csv
from ..train import TrainConfig
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

#: The seven DIBCO test sets of the paper, in the order of its tables.
EXPERIMENT_YEARS = (2009, 2010, 2011, 2012, 2013, 2014, 2016)

#: Fold number of each test set, from the paper's result file names.
PAPER_FOLD_NUMBERS = {2016: 0, 2009: 1, 2010: 2, 2011: 3, 2012: 4, 2013: 5, 2014: 6}

#: Table III's configurations: name -> RunSpec fields.
TABLE_III = {
    "f4-sf2-Ldyn": {"footprint": 4, "scale": 2, "loss": "dynamic"},
    "f4-sf1-Ldyn": {"footprint": 4, "scale": 1, "loss": "dynamic"},
    "f4-sf4-Ldyn": {"footprint": 4, "scale": 4, "loss": "dynamic"},
    "f2-sf2-Ldyn": {"footprint": 2, "scale": 2, "loss": "dynamic"},
    "f8-sf2-Ldyn": {"footprint": 8, "scale": 2, "loss": "dynamic"},
    "f4-sf2-L": {"footprint": 4, "scale": 2, "loss": "bce"},
    "f4-sf2-Lstat2": {"footprint": 4, "scale": 2, "loss": "static2"},
    "f4-sf2-Lstat0.5": {"footprint": 4, "scale": 2, "loss": "static0.5"},
}

_LOSS_SUFFIX = {"dynamic": "Ldyn", "bce": "L"}


def config_name(footprint: int, scale: int, loss: str, reference_layout: bool = False) -> str:
    """The paper's name of a configuration, e.g. ``config_name(4, 2, "dynamic") == "f4-sf2-Ldyn"``.

    ``static<w>`` losses become ``Lstat<w>``; the original code's scrambled
    dynamic weights (``reference_layout=True``) get a ``-reflayout`` suffix.
    """
    loss = str(loss)
    if loss in _LOSS_SUFFIX:
        suffix = _LOSS_SUFFIX[loss]
    elif loss.startswith("static"):
        suffix = "Lstat" + loss[len("static"):]
    else:
        raise InputError(f"unknown loss {loss!r}; use dynamic, bce or static<w>")
    name = f"f{int(footprint)}-sf{int(scale)}-{suffix}"
    return name + "-reflayout" if reference_layout else name


def _py2_shuffle(items: Sequence, seed: int) -> list:
    # Python 2's random.shuffle: j = int(random() * (i + 1)).  Python 3 draws j
    # with getrandbits instead, so random.shuffle itself would give another order;
    # random() is the same Mersenne Twister stream in both for an integer seed.
    rng = random.Random(seed)
    out = list(items)
    for i in reversed(range(1, len(out))):
        j = int(rng.random() * (i + 1))
        out[i], out[j] = out[j], out[i]
    return out


def paper_fold(test_year: int, years: Sequence[int] = EXPERIMENT_YEARS, seed: int = 42) -> tuple[list[int], list[int]]:
    """Training and validation years of the fold that tests on ``test_year``.

    Emulates the original ``bin_config.py`` split (see the module docstring):
    exact for the 2016 fold (validation 2011), binkit's rule for the others.

    Returns
    -------
    train, val : list of int
        Five training years (chronological) and one validation year.
    """
    years = [int(y) for y in years]
    test_year = int(test_year)
    if test_year not in years:
        raise InputError(f"test year {test_year} is not one of {years}")
    if test_year not in PAPER_FOLD_NUMBERS:
        raise InputError(f"the paper has no fold for {test_year}; folds: {sorted(PAPER_FOLD_NUMBERS)}")
    rest = [y for y in years if y != test_year]
    groups = [g for g in (_py2_shuffle(rest, seed)[k::6] for k in range(6)) if g]
    val = groups[PAPER_FOLD_NUMBERS[test_year] % len(groups)]
    train = [y for y in rest if y not in val]
    return train, sorted(val)


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
