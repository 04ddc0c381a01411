"""The paper's experiment configurations and folds, without torch.

Table III of Westphal et al. names eight configurations of the Grid LSTM
binarizer (:data:`TABLE_III`), each trained and tested on seven folds of the
DIBCO data (:data:`EXPERIMENT_YEARS`).  :func:`config_name` gives a run's
name in the paper's style, :func:`paper_fold` the training and validation
years of a fold.  This module imports no torch, so the command line can list
the choices without loading a model library.

The folds live in :mod:`binkit.datasets.folds` (both model families train on
them); they are re-exported here, where the experiments look for them.

Recipes
-------
:data:`RECIPES` are the named recipes of ``binkit train gridlstm --recipe``:
``paper`` is the paper's protocol as it is; ``general`` is binkit's recipe for
a model meant for scans unlike DIBCO's (augmented copies, synthetic hard pages
in training and validation, a cosine learning rate).
"""

from __future__ import annotations

from .._errors import InputError
from ..datasets.folds import EXPERIMENT_YEARS, PAPER_FOLD_NUMBERS, paper_fold

__all__ = ["EXPERIMENT_YEARS", "PAPER_FOLD_NUMBERS", "RECIPES", "TABLE_III", "config_name", "paper_fold"]

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

#: ``binkit train gridlstm --recipe NAME``: fields of :class:`binkit.gridlstm.run.RunSpec` (``lr_decay``
#: goes to its :class:`binkit.train.TrainConfig`); options given beside a recipe override it.
RECIPES = {
    "paper": {},
    "general": {"augment": 2, "mix_synthetic": 48, "mixed_share": 0.3, "val_synthetic": 8, "lr_decay": "cosine"},
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
