"""Hybrid binarization: a classical logistic decision surface as a B-spline.

The second seed method of binkit ("Binarization of degraded documents using
a hybrid model between a classical method and a deep-learning approach").
The paper lost its formulas, so binkit follows
``docs/hybrid_method.md`` (cited as "the spec") and marks every formula as
**FOUND** (from a cited source) or **RECONSTRUCTED** (the spec's proposal, not
the paper's formula) in the docstrings.

Modules
-------
binkit.hybrid.logistic      the classical start (method "logistic"): global
                            levels, local median and mean, the logistic
                            surface S(b, t), binarization
binkit.hybrid.spline        S as a clamped cubic tensor-product B-spline:
                            knots, least-squares fit, numpy evaluation
binkit.hybrid.spline_torch  differentiable evaluation (exact and lookup table)
                            and the smoothness / monotonicity penalties
binkit.hybrid.histogram     the page as the surface sees it: node histograms
                            over the (b, t) plane, intensity warps
binkit.hybrid.samples       prepared pages (prepare_page) and training samples
binkit.hybrid.model         the CNN that adjusts the surface (SurfaceAdjuster)
binkit.hybrid.losses        soft FM and soft NRM
binkit.hybrid.training      training task for binkit.train
binkit.hybrid.inference     whole pages: adjusted surface, binarization
binkit.hybrid.oracle        the best surface of the family for a page, fitted
                            to its ground truth (oracle_heights, gap_closed)
binkit.hybrid.run           training runs (binkit train hybrid)
binkit.hybrid.weights       the shipped weights (load_pretrained)
binkit.hybrid.viz           the figures behind notebooks 09 and 10's widgets

The torch functions are imported on first use, so the classical method runs
without loading torch.

Examples
--------
>>> import binkit
>>> from binkit.datasets import synthetic_page
>>> ink = binkit.binarize(synthetic_page(0, size=(128, 192)).image, method="logistic")
>>> ink.dtype
dtype('bool')
"""

from . import logistic as _logistic
from . import spline as _spline
from .logistic import *  # noqa: F403 - the names of logistic.__all__
from .spline import *  # noqa: F403 - the names of spline.__all__

_LAZY = {
    "AdjusterConfig": "model",
    "SurfaceAdjuster": "model",
    "HybridTask": "training",
    "prepare_page": "samples",
    "HybridPage": "samples",
    "oracle_heights": "oracle",
    "gap_closed": "oracle",
    "oracle_binarize": "oracle",
    "page_heights": "inference",
    "lut_lookup": "inference",
    "hybrid_probability": "inference",
    "hybrid_binarize": "inference",
    "available_pretrained": "weights",
    "load_pretrained": "weights",
    "pretrained_info": "weights",
    "pretrained_results": "weights",
}

_TORCH_NAMES = (
    "bspline_basis_torch",
    "evaluate_surface_torch",
    "lookup_torch",
    "monotonicity_penalty",
    "smoothness_penalty",
    "surface_lut_torch",
)

__all__ = [*_logistic.__all__, *_spline.__all__, *_TORCH_NAMES, *_LAZY]


def __getattr__(name):
    # The torch side loads on first use (importing torch takes about a second).
    if name in _TORCH_NAMES:
        from . import spline_torch

        return getattr(spline_torch, name)
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f"{__name__}.{_LAZY[name]}")
        return getattr(module, "binarize" if name == "hybrid_binarize" else name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
