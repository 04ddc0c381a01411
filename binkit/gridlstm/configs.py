"""The paper's experiment configurations and folds, without torch.

Table III of Westphal et al. names eight configurations of the Grid LSTM
binarizer (:data:`TABLE_III`), each trained and tested on seven folds of the
DIBCO data (:data:`EXPERIMENT_YEARS`).  :func:`config_name` gives a run's
name in the paper's style, :func:`paper_fold` the training and validation
years of a fold.  This module imports no torch, so the command line can list
the choices without loading a model library.

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
from typing import Sequence

from .._errors import InputError

__all__ = ["EXPERIMENT_YEARS", "PAPER_FOLD_NUMBERS", "TABLE_III", "config_name", "paper_fold"]

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
