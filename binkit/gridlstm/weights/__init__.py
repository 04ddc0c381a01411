"""The Grid LSTM weights binkit ships (this folder): :mod:`binkit.weights` for the "gridlstm" family."""

from ... import weights as _store

__all__ = ["FAMILY", "available_pretrained", "load_pretrained", "pretrained_info", "pretrained_results"]

FAMILY = "gridlstm"

# list the names, read a provenance record, read per-page scores, load a model (name or .pt path)
available_pretrained, pretrained_info, pretrained_results, load_pretrained = _store.family_functions(FAMILY)
