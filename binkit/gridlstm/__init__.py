"""Grid LSTM binarizer (Westphal, Lavesson & Grahn, DAS 2018)."""

from .cell import GridLSTMCell, grid_scan
from .inputs import GridSequences, footprint_inputs, make_sequences, normalize
from .model import CORNERS, GridLSTMBinarizer, GridLSTMConfig, blocks_to_steps, steps_to_blocks
from .pretrained import available_pretrained, load_pretrained, pretrained_info, pretrained_results

__all__ = [
    "CORNERS",
    "GridLSTMBinarizer",
    "GridLSTMCell",
    "GridLSTMConfig",
    "GridSequences",
    "available_pretrained",
    "load_pretrained",
    "pretrained_info",
    "pretrained_results",
    "blocks_to_steps",
    "footprint_inputs",
    "grid_scan",
    "make_sequences",
    "normalize",
    "steps_to_blocks",
]
