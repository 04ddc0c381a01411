"""The hybrid weights binkit ships: the files beside this module.

Each weight set is ``<name>.pt``, ``<name>.json`` (provenance) and
``<name>.results.csv`` (per-image test scores, with the baselines measured in
the same run); :mod:`binkit.weights` describes the files and does the work.
These are its functions for this family, with ``"hybrid"`` as the default name::

    available_pretrained()                 # ["hybrid", ...]
    pretrained_info("hybrid")                # the provenance record
    pretrained_results("hybrid")             # per-image rows (binkit.results format)
    load_pretrained("hybrid", device="cpu")  # the model, eval mode, float32

``name`` may also be the path of a ``.pt`` file exported elsewhere.
"""

from functools import partial

from ... import weights as _store

__all__ = ["FAMILY", "available_pretrained", "load_pretrained", "pretrained_info", "pretrained_results"]

FAMILY = "hybrid"

available_pretrained = partial(_store.available, FAMILY)
pretrained_info = partial(_store.info, FAMILY)
pretrained_results = partial(_store.results, FAMILY)
load_pretrained = partial(_store.load, FAMILY)
