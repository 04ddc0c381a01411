"""The paper's folds of the DIBCO data, shared by both model families (no torch).

Each fold of Westphal et al. tests on one of seven DIBCO sets
(:data:`EXPERIMENT_YEARS`) and trains on the other six, one of which is held
out for validation.  The original code shuffles the six training sets with
Python 2's ``random.shuffle`` seeded with 42, cuts the result into six
interleaved groups and validates on group ``fold``
(``docs/gridlstm_reference.md`` A5).  :func:`paper_fold` emulates that
exactly.  For the H-DIBCO 2016 fold (``fold 0``, the only one the paper's
README spells out) it gives DIBCO 2011 as validation set, as the original code
would.  **For the other six folds the original validation sets were never
recorded**: binkit applies the same rule with the fold numbers of the paper's
result files (``dibco09_fold1`` ... ``dibco14_fold6``; fold 6 wraps round to
group 0).  That is binkit's choice, not a recovered fact.

:data:`DEFAULT_FOLD` (H-DIBCO 2016 unseen) is the fold every training command
uses unless told otherwise; it is derived here, and nowhere else.
"""

from __future__ import annotations

import random
from typing import Sequence

from .._errors import InputError

__all__ = ["EXPERIMENT_YEARS", "PAPER_FOLD_NUMBERS", "DEFAULT_FOLD", "paper_fold"]

#: The seven DIBCO test sets of the paper, in the order of its tables.
EXPERIMENT_YEARS = (2009, 2010, 2011, 2012, 2013, 2014, 2016)

#: Fold number of each test set, from the paper's result file names.
PAPER_FOLD_NUMBERS = {2016: 0, 2009: 1, 2010: 2, 2011: 3, 2012: 4, 2013: 5, 2014: 6}


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


def _default_fold() -> dict:
    train, val = paper_fold(2016)
    return {"train": tuple(train), "val": tuple(val), "test": (2016,)}


#: The paper's fold 0, the default of every training command: train on 2009, 2010 and
#: 2012-2014, validate on 2011, test on H-DIBCO 2016 (``{"train": ..., "val": ..., "test": ...}``).
DEFAULT_FOLD = _default_fold()
