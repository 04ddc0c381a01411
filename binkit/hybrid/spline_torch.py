"""The B-spline surface in torch: differentiable evaluation and regularisers.

Everything here is **RECONSTRUCTED** (spec sections 4 and 6 of
``docs/hybrid_method.md``): the hybrid paper's
formulas were lost.  The surface, knots and shapes are those of
:mod:`binkit.hybrid.spline`::

    S_C(b, t) = sum_i sum_j C[i, j] N_{i,3}(b) N_{j,3}(t)

Two ways to evaluate it, both linear in ``C`` and so differentiable with
respect to the control points:

* :func:`evaluate_surface_torch` -- exact, at arbitrary ``(b, t)``: the
  cubic basis is computed in torch (:func:`bspline_basis_torch`, the four
  non-zero functions per point).  Memory ``O(pixels * n)``.
* :func:`surface_lut_torch` then :func:`lookup_torch` -- the spec's fast
  path, for whole patches and pages (on one CPU thread, a 1-MP lookup takes
  about 0.05 s, the exact path 1-3 s): a 256x256 lookup table ``LUT = N C N^T`` and a bilinear
  ``F.grid_sample`` per pixel (grid channel 0, the width axis, is ``t``;
  channel 1, the height axis, is ``b``).  On a 1/255 lattice the
  interpolation adds far less error than the spline fit itself.

Regularisers of the control grid, rows = ``b``, columns = ``t``
(RECONSTRUCTED, spec section 6):

* :func:`smoothness_penalty` -- ``R_smooth``, the sum of squared second
  differences of ``C`` along both axes (zero exactly when every row and
  column is affine, e.g. for a plane);
* :func:`monotonicity_penalty` -- ``R_mono = sum relu(C[i, j] - C[i+1, j]) +
  sum relu(C[i, j+1] - C[i, j])``: S should not decrease with the background
  ``b`` nor increase with the pixel's own intensity ``t``.  A spline whose
  coefficients are monotone along an axis is monotone along it, so zero
  penalty guarantees a monotone surface.

Examples
--------
>>> import torch
>>> from binkit.hybrid import GlobalLevels, surface_grid, fit_surface
>>> from binkit.hybrid import evaluate_surface_torch
>>> C0 = fit_surface(surface_grid(GlobalLevels(text=0.25, background=0.80, noise=0.03)))
>>> C = torch.tensor(C0, requires_grad=True)
>>> S = evaluate_surface_torch(C, torch.tensor([0.8, 0.5]), torch.tensor([0.3, 0.3]))
>>> S.sum().backward()
>>> tuple(C.grad.shape)
(16, 16)
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .._checks import check_int
from .._errors import InputError
from .spline import DEFAULT_CONTROL_POINTS, DEGREE, GRID_SIZE, bspline_basis, clamped_knots

__all__ = [
    "bspline_basis_torch",
    "evaluate_surface_torch",
    "lookup_torch",
    "monotonicity_penalty",
    "smoothness_penalty",
    "surface_lut_torch",
]


def _grid_tensor(C, name: str = "C") -> torch.Tensor:
    if not isinstance(C, torch.Tensor):
        C = torch.as_tensor(np.asarray(C, dtype=np.float64))
    if C.ndim not in (2, 3) or C.shape[-1] != C.shape[-2] or C.shape[-1] < DEGREE + 1:
        raise InputError(
            f"{name} must be an (n, n) or (B, n, n) grid of control points with n >= {DEGREE + 1}, "
            f"got shape {tuple(C.shape)}"
        )
    if not C.is_floating_point():
        raise InputError(f"{name} must be a floating-point tensor, got {C.dtype}")
    return C


def bspline_basis_torch(x: torch.Tensor, n: int = DEFAULT_CONTROL_POINTS) -> torch.Tensor:
    """The cubic basis ``N_{i,3}(x)`` on :func:`~binkit.hybrid.clamped_knots`, in torch.

    For each point only the four basis functions that are non-zero on its
    knot span are computed, by the triangular Cox-de Boor scheme (L. Piegl
    and W. Tiller, *The NURBS Book*, 2nd ed., 1997, algorithm A2.2), and
    scattered into the dense row.  ``x = 1`` belongs to the last span, so the
    clamped end is interpolated exactly as SciPy does.

    Parameters
    ----------
    x : (...) tensor of float
        Points in [0, 1] (clamped to it).
    n : int, default 16
        Control points per axis.

    Returns
    -------
    N : (..., n) tensor
        Same dtype and device as ``x``; each row sums to 1 and has at most
        4 non-zeros.
    """
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise InputError("x must be a floating-point torch tensor")
    knots_np = clamped_knots(n)
    n = len(knots_np) - DEGREE - 1
    knots = torch.as_tensor(knots_np, dtype=x.dtype, device=x.device)
    flat = x.reshape(-1).clamp(0.0, 1.0)
    # Span s: knots[s] <= x < knots[s + 1], s in [3, n - 1] (x = 1 joins the last span).
    span = (torch.searchsorted(knots, flat.detach().contiguous(), right=True) - 1).clamp(DEGREE, n - 1)
    left = [None] + [flat - knots[span + 1 - j] for j in range(1, DEGREE + 1)]
    right = [None] + [knots[span + j] - flat for j in range(1, DEGREE + 1)]
    local = [torch.ones_like(flat)]
    for j in range(1, DEGREE + 1):
        saved = torch.zeros_like(flat)
        for r in range(j):
            temp = local[r] / (right[r + 1] + left[j - r])
            local[r] = saved + right[r + 1] * temp
            saved = left[j - r] * temp
        local.append(saved)
    values = torch.stack(local, dim=-1)  # (P, 4): functions span - 3 .. span
    index = span[:, None] - DEGREE + torch.arange(DEGREE + 1, device=x.device)
    dense = torch.zeros(flat.shape[0], n, dtype=x.dtype, device=x.device).scatter(1, index, values)
    return dense.reshape(*x.shape, n)


def evaluate_surface_torch(C: torch.Tensor, b: torch.Tensor, t: torch.Tensor,
                           clip: bool = True) -> torch.Tensor:
    """Evaluate ``S_C(b, t)`` exactly at arbitrary points, differentiably in ``C``.

    Parameters
    ----------
    C : (n, n) or (B, n, n) tensor of float
        Control-point heights (one surface, or one per batch item).
    b, t : tensor of float
        Background and text intensities in [0, 1] (clamped); same shape.
        ``(...)`` with an unbatched ``C``; ``(B, ...)`` with a batched one.
    clip : bool, default True
        Clamp the result to [0, 1] (the spec's ``P = clamp(S, 0, 1)``; the
        gradient is zero where the surface overshoots).

    Returns
    -------
    S : tensor, the shape of ``b``
        Dtype of ``C``'s promotion with ``b``.
    """
    C = _grid_tensor(C)
    if not (isinstance(b, torch.Tensor) and isinstance(t, torch.Tensor)):
        raise InputError("b and t must be torch tensors")
    if b.shape != t.shape:
        raise InputError(f"b and t must have the same shape, got {tuple(b.shape)} and {tuple(t.shape)}")
    n = C.shape[-1]
    dtype = torch.promote_types(C.dtype, b.dtype)
    Nb = bspline_basis_torch(b.to(dtype), n)
    Nt = bspline_basis_torch(t.to(dtype), n)
    C = C.to(dtype)
    if C.ndim == 2:
        values = ((Nb.reshape(-1, n) @ C) * Nt.reshape(-1, n)).sum(-1)
    else:
        if b.ndim < 1 or b.shape[0] != C.shape[0]:
            raise InputError(
                f"with C of shape {tuple(C.shape)}, b and t must be (B, ...) with B = {C.shape[0]}"
            )
        batch = C.shape[0]
        values = (torch.bmm(Nb.reshape(batch, -1, n), C) * Nt.reshape(batch, -1, n)).sum(-1)
    values = values.reshape(b.shape)
    return values.clamp(0.0, 1.0) if clip else values


def surface_lut_torch(C: torch.Tensor, size: int = GRID_SIZE) -> torch.Tensor:
    """The lookup table ``LUT = N C N^T`` on a ``size x size`` grid (spec section 4).

    Parameters
    ----------
    C : (n, n) or (B, n, n) tensor of float
    size : int, default 256
        Nodes per axis at ``i / (size - 1)``; 256 = one per 8-bit level.

    Returns
    -------
    lut : (size, size) or (B, size, size) tensor
        Rows = ``b``, columns = ``t``; unclipped (clip after the lookup).
    """
    C = _grid_tensor(C)
    size = check_int("size", size, minimum=2)
    N = torch.as_tensor(bspline_basis(np.linspace(0.0, 1.0, size), C.shape[-1]),
                        dtype=C.dtype, device=C.device)
    return N @ C @ N.T


def lookup_torch(lut: torch.Tensor, b: torch.Tensor, t: torch.Tensor, clip: bool = True) -> torch.Tensor:
    """Per-pixel bilinear lookup ``S(b, t)`` in a surface table (spec section 4).

    ``F.grid_sample(lut, grid, mode="bilinear", align_corners=True)`` with
    grid channel 0 (width, the table's columns) ``= 2 t - 1`` and channel 1
    (height, its rows) ``= 2 b - 1``.  Differentiable in ``lut`` (hence in
    ``C`` when the table comes from :func:`surface_lut_torch`) and in ``b``
    and ``t``.

    Parameters
    ----------
    lut : (G, G) or (B, G, G) tensor of float
        Rows = ``b``, columns = ``t``, nodes at ``i / (G - 1)``.
    b, t : (H, W) or (B, H, W) tensors of float
        E.g. the local median and mean of a patch; in [0, 1] (clamped).
    clip : bool, default True
        Clamp the result to [0, 1].

    Returns
    -------
    S : tensor of the shape of ``b``
    """
    if not all(isinstance(a, torch.Tensor) for a in (lut, b, t)):
        raise InputError("lut, b and t must be torch tensors")
    if lut.ndim not in (2, 3) or lut.shape[-1] != lut.shape[-2]:
        raise InputError(f"lut must be (G, G) or (B, G, G), got shape {tuple(lut.shape)}")
    if b.shape != t.shape or b.ndim not in (2, 3):
        raise InputError(
            f"b and t must both be (H, W) or (B, H, W), got {tuple(b.shape)} and {tuple(t.shape)}"
        )
    out_shape = b.shape
    table = lut if lut.ndim == 3 else lut[None]
    bb = b if b.ndim == 3 else b[None]
    tt = t if t.ndim == 3 else t[None]
    batch = max(table.shape[0], bb.shape[0])
    if table.shape[0] not in (1, batch) or bb.shape[0] not in (1, batch):
        raise InputError(f"batch sizes differ: lut {tuple(lut.shape)}, b {tuple(b.shape)}")
    dtype = torch.promote_types(table.dtype, bb.dtype)
    table = table.to(dtype).expand(batch, -1, -1)[:, None]
    grid = torch.stack([tt.to(dtype).clamp(0, 1) * 2 - 1, bb.to(dtype).clamp(0, 1) * 2 - 1], dim=-1)
    grid = grid.expand(batch, -1, -1, -1)
    values = F.grid_sample(table, grid, mode="bilinear", padding_mode="border", align_corners=True)[:, 0]
    if len(out_shape) == 2 and batch == 1:
        values = values[0]
    elif len(out_shape) == 2:
        out_shape = values.shape
    values = values.reshape(out_shape)
    return values.clamp(0.0, 1.0) if clip else values


def smoothness_penalty(C: torch.Tensor) -> torch.Tensor:
    """``R_smooth``: sum of squared second differences of ``C`` along both axes.

    ::

        R_smooth = sum (C[i+1, j] - 2 C[i, j] + C[i-1, j])^2
                 + sum (C[i, j+1] - 2 C[i, j] + C[i, j-1])^2

    Zero for a plane (and for any grid whose rows and columns are affine).

    Parameters
    ----------
    C : (n, n) or (B, n, n) tensor of float

    Returns
    -------
    tensor of shape () or (B,)
    """
    C = _grid_tensor(C)
    d2b = C[..., 2:, :] - 2 * C[..., 1:-1, :] + C[..., :-2, :]
    d2t = C[..., :, 2:] - 2 * C[..., :, 1:-1] + C[..., :, :-2]
    return d2b.pow(2).sum(dim=(-2, -1)) + d2t.pow(2).sum(dim=(-2, -1))


def monotonicity_penalty(C: torch.Tensor) -> torch.Tensor:
    """``R_mono``: how far ``C`` is from non-decreasing in ``b`` and non-increasing in ``t``.

    ::

        R_mono = sum relu(C[i, j] - C[i+1, j]) + sum relu(C[i, j+1] - C[i, j])

    Zero iff every column rises with the row index (background) and every
    row falls with the column index (text intensity); the spline is then
    monotone in the same directions.

    Parameters
    ----------
    C : (n, n) or (B, n, n) tensor of float
        Control points, one grid or a batch (as :func:`smoothness_penalty`).

    Returns
    -------
    tensor of shape () or (B,)
        One penalty per grid.
    """
    C = _grid_tensor(C)
    down_in_b = F.relu(C[..., :-1, :] - C[..., 1:, :])
    up_in_t = F.relu(C[..., :, 1:] - C[..., :, :-1])
    return down_in_b.sum(dim=(-2, -1)) + up_in_t.sum(dim=(-2, -1))
