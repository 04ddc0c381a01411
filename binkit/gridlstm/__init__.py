"""Grid LSTM binarizer (Westphal, Lavesson & Grahn, DAS 2018).

Modules
-------
binkit.gridlstm.inputs       the three inputs of every step (x1, x2, x3) and the sequence sets
binkit.gridlstm.cell         the Grid LSTM cell and the scan over a block's steps
binkit.gridlstm.model        the binarizer: four corner readers, bidirectional layer, dense output
binkit.gridlstm.losses       BCE, static and dynamic (pseudo-F-weighted) losses
binkit.gridlstm.training     training task for binkit.train
binkit.gridlstm.inference    whole-page binarization in bounded memory
binkit.gridlstm.run          one training run: train, resume, score the test pages
binkit.gridlstm.configs      the paper's configurations (Table III) and folds (no torch)
binkit.gridlstm.experiments  the paper's experiment matrix as resumable runs
binkit.gridlstm.weights      the shipped weights (load_pretrained)
binkit.gridlstm.viz          pictures and measurements for the course

Torch loads on first use of a name that needs it, so ``import binkit.gridlstm``
(and the configurations and weight listings) stays light.
"""

import importlib

_LAZY = {
    "GridLSTMCell": "cell",
    "grid_scan": "cell",
    "GridSequences": "inputs",
    "footprint_inputs": "inputs",
    "make_sequences": "inputs",
    "normalize": "inputs",
    "CORNERS": "model",
    "GridLSTMBinarizer": "model",
    "GridLSTMConfig": "model",
    "blocks_to_steps": "model",
    "steps_to_blocks": "model",
    "available_pretrained": "weights",
    "load_pretrained": "weights",
    "pretrained_info": "weights",
    "pretrained_results": "weights",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
