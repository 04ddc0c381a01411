"""Hybrid binarization: a classical logistic decision surface as a B-spline.

The second seed method of binkit ("Binarization of degraded documents using
a hybrid model between a classical method and a deep-learning approach").
The paper lost its formulas, so binkit follows
``docs/hybrid_method.md`` (cited as "the spec") and marks every formula as
**FOUND** (from a cited source) or **RECONSTRUCTED** (the spec's proposal, not
the paper's formula) in the docstrings.

Modules
-------
binkit.hybrid.classical     the classical start: global levels, local median
                            and mean, the logistic surface S(b, t), binarization
binkit.hybrid.spline        S as a clamped cubic tensor-product B-spline:
                            knots, least-squares fit, numpy evaluation
binkit.hybrid.spline_torch  differentiable evaluation (exact and lookup table)
                            and the smoothness / monotonicity penalties
binkit.hybrid.adjuster      the CNN that adjusts the surface, soft FM / NRM
binkit.hybrid.training      training task for binkit.train, whole-page inference
binkit.hybrid.run           training runs, shipped weights (load_pretrained)

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

from .classical import (
    DEFAULT_TEXT_WINDOW,
    FALLBACK_BACKGROUND_WINDOW,
    VARIANTS,
    GlobalLevels,
    LocalStatistics,
    classical,
    decision_threshold,
    default_background_window,
    gatos_style,
    global_levels,
    local_mean,
    local_median,
    local_statistics,
    logistic_surface,
    stroke_width,
    surface_grid,
    text_probability,
)
from .spline import (
    DEFAULT_CONTROL_POINTS,
    GRID_SIZE,
    FitError,
    bspline_basis,
    clamped_knots,
    evaluate_surface,
    fit_error,
    fit_surface,
    greville_abscissae,
    surface_lut,
)

_LAZY = {
    "AdjusterConfig": "adjuster",
    "SurfaceAdjuster": "adjuster",
    "HybridTask": "training",
    "prepare_page": "training",
    "page_heights": "training",
    "lut_lookup": "training",
    "hybrid_binarize": "training",
    "available_pretrained": "run",
    "load_pretrained": "run",
    "pretrained_info": "run",
    "pretrained_results": "run",
}

_TORCH_NAMES = (
    "bspline_basis_torch",
    "evaluate_surface_torch",
    "lookup_torch",
    "monotonicity_penalty",
    "smoothness_penalty",
    "surface_lut_torch",
)

__all__ = [
    "DEFAULT_CONTROL_POINTS",
    "DEFAULT_TEXT_WINDOW",
    "FALLBACK_BACKGROUND_WINDOW",
    "GRID_SIZE",
    "VARIANTS",
    "FitError",
    "GlobalLevels",
    "LocalStatistics",
    "bspline_basis",
    "clamped_knots",
    "classical",
    "decision_threshold",
    "default_background_window",
    "evaluate_surface",
    "fit_error",
    "fit_surface",
    "gatos_style",
    "global_levels",
    "greville_abscissae",
    "local_mean",
    "local_median",
    "local_statistics",
    "logistic_surface",
    "stroke_width",
    "surface_grid",
    "surface_lut",
    "text_probability",
    *_TORCH_NAMES,
    *_LAZY,
]


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
