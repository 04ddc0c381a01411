"""The hybrid adjuster's shipped weights (this folder): :mod:`binkit.weights` for the "hybrid" family."""

from ... import weights as _store

__all__ = ["FAMILY", "available_pretrained", "load_pretrained", "pretrained_info", "pretrained_results"]

FAMILY = "hybrid"

# list the names, read a provenance record, read per-page scores, load a model (name or .pt path)
available_pretrained, pretrained_info, pretrained_results, load_pretrained = _store.family_functions(FAMILY)
