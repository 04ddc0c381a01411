"""The decision surface as a tensor-product cubic B-spline (numpy / SciPy side).

The hybrid paper approximates the classical surface ``S(b, t)`` "by a
B-spline surface" and lets a CNN adjust it; its formulas were lost.  This
module follows section 3 of ``docs/hybrid_method.md`` ("the spec").
Everything here is **RECONSTRUCTED** (the spec's proposal, not the paper's
formula) except the SciPy API facts, which are **FOUND** in SciPy's
documentation.  The torch side (differentiable evaluation and the
regularisers) is in :mod:`binkit.hybrid.spline_torch`.

The surface (RECONSTRUCTED)
---------------------------
::

    S_C(b, t) = sum_{i=0}^{n-1} sum_{j=0}^{n-1} C[i, j] N_{i,3}(b) N_{j,3}(t)

* ``N_{i,3}`` are the cubic B-spline basis functions on the clamped
  (open-uniform) knot vector ``[0, 0, 0, 0, 1/(n-3), ..., (n-4)/(n-3), 1, 1,
  1, 1]`` of length ``n + 4`` (:func:`clamped_knots`), the same on both axes.
* ``C`` is the ``n x n`` grid of control-point heights; rows index the
  background axis ``b``, columns the text axis ``t``.  The control points
  sit at ``(xi_i, xi_j, C[i, j])`` with the Greville abscissae ``xi``
  (:func:`greville_abscissae`).  Only the heights are learned.
* Default ``n = 16``: 512 / 16 = 32, so each control point maps to a 32x32
  block of the CNN's 512x512 patch.

The fit (RECONSTRUCTED)
-----------------------
``S`` is sampled on the 256x256 grid ``Z[i, j] = S(i/255, j/255)``
(:func:`binkit.hybrid.surface_grid`) and fitted by least squares over the
whole grid.  The problem separates: with the 1-D design matrix ``N``
(256 x n, :func:`bspline_basis`)::

    C0 = argmin ||N C N^T - Z||_F^2 = pinv(N) Z pinv(N)^T

Least-squares coefficients overshoot (about -0.12 to 1.21 at n = 16), so
``C`` is never clipped; the evaluated surface is.

The spec's check (RECONSTRUCTED surface, numbers measured with SciPy 1.17):
the sharp surface ``T_g = 0.25, B_g = 0.80, sigma_n = 0.03`` fitted with
``n = 8, 12, 16, 24`` has maximum absolute error 0.152, 0.066, 0.027, 0.004
and flips the decision ``S >= 0.5`` on 0.47 %, 0.20 %, 0.08 %, 0.02 % of the
grid.  binkit reproduces each to the digits printed (``tests/test_hybrid.py``).

Examples
--------
>>> from binkit.hybrid import GlobalLevels, surface_grid, fit_surface, fit_error
>>> Z = surface_grid(GlobalLevels(text=0.25, background=0.80, noise=0.03))
>>> C = fit_surface(Z, n=16)
>>> C.shape
(16, 16)
>>> err = fit_error(C, Z)
>>> round(err.max_abs, 3), round(100 * err.flips, 2)
(0.027, 0.08)
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np
from scipy.interpolate import BSpline, NdBSpline

from .._checks import check_int, check_real
from .._errors import InputError

__all__ = [
    "DEFAULT_CONTROL_POINTS",
    "DEGREE",
    "GRID_SIZE",
    "FitError",
    "bspline_basis",
    "clamped_knots",
    "evaluate_surface",
    "fit_error",
    "fit_surface",
    "greville_abscissae",
    "surface_lut",
]

#: Control points per axis (``n``).  RECONSTRUCTED (spec 3).
DEFAULT_CONTROL_POINTS = 16

#: Degree of the B-spline: cubic.
DEGREE = 3

#: Nodes per axis of the sampled surface and of the lookup table: one per 8-bit level.
GRID_SIZE = 256


def _n(n) -> int:
    return check_int("n (control points per axis)", n, minimum=DEGREE + 1)


def _control_grid(C) -> np.ndarray:
    C = np.asarray(C, dtype=np.float64)
    if C.ndim != 2 or C.shape[0] != C.shape[1] or C.shape[0] < DEGREE + 1:
        raise InputError(
            f"C must be an (n, n) grid of control points with n >= {DEGREE + 1}, got shape {C.shape}"
        )
    if not np.isfinite(C).all():
        raise InputError("C contains NaN or infinite values")
    return C


def clamped_knots(n: int = DEFAULT_CONTROL_POINTS) -> np.ndarray:
    """The clamped (open-uniform) cubic knot vector on [0, 1].  RECONSTRUCTED.

    Four knots at 0, ``n - 4`` uniform interior knots ``k / (n - 3)``, four
    knots at 1: the surface passes through its corner control points and
    every interior knot span has width ``1 / (n - 3)``.

    Parameters
    ----------
    n : int, default 16
        Control points per axis, >= 4.

    Returns
    -------
    knots : (n + 4,) ndarray of float64

    Examples
    --------
    >>> clamped_knots(5).tolist()
    [0.0, 0.0, 0.0, 0.0, 0.5, 1.0, 1.0, 1.0, 1.0]
    """
    n = _n(n)
    interior = np.arange(1, n - DEGREE) / (n - DEGREE)
    return np.concatenate([np.zeros(DEGREE + 1), interior, np.ones(DEGREE + 1)])


def greville_abscissae(n: int = DEFAULT_CONTROL_POINTS) -> np.ndarray:
    """Where the control points sit on each axis: ``(knot[k+1] + knot[k+2] + knot[k+3]) / 3``.

    These are the fixed X (background) and Y (text) coordinates of the
    control points; only the heights ``C`` change.

    Parameters
    ----------
    n : int, default 16

    Returns
    -------
    xi : (n,) ndarray of float64
        From 0 to 1; for n = 16: 0, 0.026, 0.077, 0.154, ..., 0.974, 1.
    """
    knots = clamped_knots(n)
    return (knots[1:-3] + knots[2:-2] + knots[3:-1]) / 3.0


def bspline_basis(x, n: int = DEFAULT_CONTROL_POINTS) -> np.ndarray:
    """The 1-D design matrix ``N[k, i] = N_{i,3}(x_k)``.

    Built with ``scipy.interpolate.BSpline.design_matrix`` (FOUND, SciPy
    docs) on :func:`clamped_knots`.  Each row has at most 4 non-zeros and
    sums to 1.

    Parameters
    ----------
    x : (K,) array_like of float
        Points in [0, 1] (values outside are clipped to it).
    n : int, default 16

    Returns
    -------
    N : (K, n) ndarray of float64
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    if not np.isfinite(x).all():
        raise InputError("x contains NaN or infinite values")
    x = np.clip(x, 0.0, 1.0)
    return BSpline.design_matrix(x, clamped_knots(n), DEGREE).toarray()


def fit_surface(Z, n: int = DEFAULT_CONTROL_POINTS, ridge: float = 0.0) -> np.ndarray:
    """Least-squares control points of a sampled surface.  RECONSTRUCTED (spec 3).

    Solves ``min_C ||N_b C N_t^T - Z||_F^2 + ridge * ||C||_F^2``-style
    separably: ``C = P_b Z P_t^T`` with ``P = pinv(N)`` (``ridge = 0``) or
    ``P = (N^T N + ridge I)^-1 N^T``, where ``N_b`` and ``N_t`` are the
    design matrices (:func:`bspline_basis`) at the grid nodes
    ``i / (G - 1)``.  With ``ridge = 0`` this is the exact least-squares
    solution over the full grid.

    Parameters
    ----------
    Z : (Gb, Gt) array_like of float
        The surface on a regular grid over [0, 1]^2, rows = ``b``, columns
        = ``t`` (e.g. :func:`binkit.hybrid.surface_grid`, 256 x 256).  Each
        side >= ``n``.
    n : int, default 16
        Control points per axis.
    ridge : float, default 0
        Optional Tikhonov weight (>= 0) that damps the overshoot.

    Returns
    -------
    C : (n, n) ndarray of float64
        Not clipped: least-squares coefficients overshoot [0, 1] near the
        cliff.
    """
    n = _n(n)
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim != 2 or min(Z.shape) < n:
        raise InputError(f"Z must be a 2-D grid with each side >= n = {n}, got shape {Z.shape}")
    if not np.isfinite(Z).all():
        raise InputError("Z contains NaN or infinite values")
    ridge = check_real("ridge", ridge, minimum=0.0)
    Pb = _fit_solver(Z.shape[0], n, ridge)
    Pt = Pb if Z.shape[1] == Z.shape[0] else _fit_solver(Z.shape[1], n, ridge)
    return _small_product(Pb, Z, Pt)


@functools.lru_cache(maxsize=16)
def _fit_solver(size: int, n: int, ridge: float) -> np.ndarray:
    """The (n, size) least-squares solver of :func:`fit_surface`, kept: training refits ``C0`` per sample."""
    N = bspline_basis(np.linspace(0.0, 1.0, size), n)
    P = np.linalg.pinv(N) if ridge == 0 else np.linalg.solve(N.T @ N + ridge * np.eye(n), N.T)
    P.setflags(write=False)
    return P


def surface_lut(C, size: int = GRID_SIZE, clip: bool = True) -> np.ndarray:
    """The spline surface on a ``size x size`` grid: ``N C N^T``.

    Parameters
    ----------
    C : (n, n) array_like of float
        Control-point heights.
    size : int, default 256
        Nodes per axis, at ``i / (size - 1)``.
    clip : bool, default True
        Clip the values to [0, 1] (the surface is a probability).

    Returns
    -------
    lut : (size, size) ndarray of float64
        Rows = ``b``, columns = ``t``.
    """
    C = _control_grid(C)
    size = check_int("size", size, minimum=2)
    N = _grid_basis(size, C.shape[0])
    lut = _small_product(N, C, N)
    return np.clip(lut, 0.0, 1.0) if clip else lut


def _small_product(A: np.ndarray, C: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``A @ C @ B.T`` for the small matrices of a surface, without BLAS.

    numpy's matmul hands these to OpenBLAS, which splits a product of this size
    among its threads; on a small machine that is busy with other work the
    threads wait for each other and one 256 x 256 surface took 20-40 ms instead
    of about 1 ms (a widget in notebook 09 evaluates two per redraw).
    ``np.einsum`` without ``optimize`` runs its own loops on the calling thread.
    """
    return np.einsum("jb,ib->ij", B, np.einsum("ia,ab->ib", A, C))


@functools.lru_cache(maxsize=16)
def _grid_basis(size: int, n: int) -> np.ndarray:
    """:func:`bspline_basis` at the ``size`` grid nodes ``i / (size - 1)``, kept: a widget redraw or a
    training step evaluates the surface on the same grid again and again (building it costs more than using it)."""
    N = bspline_basis(np.linspace(0.0, 1.0, size), n)
    N.setflags(write=False)
    return N


def evaluate_surface(C, b, t, clip: bool = True) -> np.ndarray:
    """Evaluate ``S_C(b, t)`` exactly at arbitrary points.

    Uses ``scipy.interpolate.NdBSpline((knots, knots), C, 3)`` (FOUND, SciPy
    >= 1.12), which touches only the 4 x 4 control points around each point.

    Parameters
    ----------
    C : (n, n) array_like of float
        Control-point heights.
    b, t : array_like of float
        Background and text intensities in [0, 1] (clipped to it); they
        broadcast.  E.g. the local median and local mean of a page.
    clip : bool, default True
        Clip the result to [0, 1].

    Returns
    -------
    S : ndarray of float64
        The broadcast shape of ``b`` and ``t``.
    """
    C = _control_grid(C)
    b, t = np.broadcast_arrays(np.asarray(b, dtype=np.float64), np.asarray(t, dtype=np.float64))
    if not (np.isfinite(b).all() and np.isfinite(t).all()):
        raise InputError("b and t must be finite")
    knots = clamped_knots(C.shape[0])
    spline = NdBSpline((knots, knots), C, DEGREE, extrapolate=False)
    points = np.stack([np.clip(b, 0.0, 1.0).ravel(), np.clip(t, 0.0, 1.0).ravel()], axis=-1)
    values = spline(points).reshape(b.shape)
    return np.clip(values, 0.0, 1.0) if clip else values


class FitError(NamedTuple):
    """How well a spline reproduces a sampled surface."""

    #: Largest ``|S_C - Z|`` over the grid.
    max_abs: float
    #: Mean ``|S_C - Z|`` over the grid.
    mean_abs: float
    #: Fraction of grid nodes where the decision ``>= 0.5`` differs.
    flips: float


def fit_error(C, Z) -> FitError:
    """Compare the spline ``C`` with the surface ``Z`` it was fitted to.

    Parameters
    ----------
    C : (n, n) array_like of float
    Z : (G, G) array_like of float
        The sampled surface (rows ``b``, columns ``t``, nodes ``i / (G - 1)``).

    Returns
    -------
    FitError
        ``max_abs``, ``mean_abs`` and ``flips`` (a fraction, not a percentage),
        from the unclipped spline.  Clipping to [0, 1] never changes a
        decision; for the spec's sharp surface it does not change the
        maximum error either, which sits at the cliff.
    """
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim != 2 or Z.shape[0] != Z.shape[1]:
        raise InputError(f"Z must be a square grid, got shape {Z.shape}")
    fitted = surface_lut(C, size=Z.shape[0], clip=False)
    diff = np.abs(fitted - Z)
    flips = float(np.mean((fitted >= 0.5) != (Z >= 0.5)))
    return FitError(max_abs=float(diff.max()), mean_abs=float(diff.mean()), flips=flips)
