"""The CNN that adjusts the B-spline decision surface (spec sections 5 and 6).

**RECONSTRUCTED.**  The hybrid paper lost its formulas; its text gives the
input layout (a 6-channel 512x512 tensor: the patch, three channels of
"current B-spline parameters" and two target-metric planes) and says that a
CNN adjusts the surface to raise FM and lower NRM.  The architecture, the
soft losses and the regularisers below are the spec's reconstruction
(``docs/hybrid_method.md``, sections 5 and 6), not the paper's own.

Input channels (:func:`adjuster_input`):

=======  ==============================================================
0        the grey patch, in [0, 1]
1, 2, 3  the control points' X (Greville abscissae along b), Y (along t)
         and Z (the current heights C), each n x n grid upsampled to
         512 x 512 by nearest neighbour (32 x 32 blocks for n = 16)
4, 5     constant planes: the target FM and the target NRM (in [0, 1])
=======  ==============================================================

Output: ``dZ``, (B, n, n), bounded by ``tanh * dz_max``.  The last layer is
initialised to zero, so an untrained adjuster returns ``dZ = 0`` and the
hybrid method starts exactly at the classical surface.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

__all__ = [
    "AdjusterConfig",
    "SurfaceAdjuster",
    "adjuster_input",
    "inference_copy",
    "model_from_config",
]


@dataclass
class AdjusterConfig:
    """Sizes of :class:`SurfaceAdjuster` (the spec's defaults)."""

    n: int = 16  # control points per axis
    patch: int = 512
    widths: tuple = (32, 64, 128, 256, 256, 256)  # six stride-2 stages: 512 -> 8
    hidden: int = 512
    dz_max: float = 0.25


def _stage(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
    )


class SurfaceAdjuster(nn.Module):
    """CNN: (B, 6, P, P) patch + surface + targets -> (B, n, n) change of the control-point heights.

    The head is global (pooled features -> n*n numbers), not a spatial map:
    ``dZ`` is indexed by intensity (background b, text t), not by position.
    """

    def __init__(self, config: AdjusterConfig | None = None):
        super().__init__()
        self.config = config = config or AdjusterConfig()
        stages, c = [], 6
        for w in config.widths:
            stages.append(_stage(c, w))
            c = w
        self.features = nn.Sequential(*stages)
        self.head = nn.Sequential(nn.Linear(2 * c, config.hidden), nn.ReLU(inplace=True),
                                  nn.Linear(config.hidden, config.n * config.n))
        nn.init.zeros_(self.head[-1].weight)  # dZ = 0 at the start: the classical method exactly
        nn.init.zeros_(self.head[-1].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.features(x)
        pooled = torch.cat([f.mean(dim=(2, 3)), f.amax(dim=(2, 3))], dim=1)
        n = self.config.n
        return torch.tanh(self.head(pooled)).view(-1, n, n) * self.config.dz_max


def inference_copy(model: SurfaceAdjuster) -> SurfaceAdjuster:
    """A copy of ``model`` for inference only: each BatchNorm folded into its
    convolution, weights in channels-last layout.

    Same outputs as ``model.eval()`` (to float rounding, ~1e-7), about 1.3x
    faster on a CPU (``benchmarks/bench_hybrid.py``): the folded BatchNorm
    saves a pass over every feature map, and channels-last is the layout
    oneDNN's convolutions prefer.  Feed it channels-last input
    (``x.contiguous(memory_format=torch.channels_last)``); it cannot be trained.
    Making the copy takes a few tenths of a second on a CPU, so make it once
    per batch of pages: a model that has no BatchNorm left is already such a
    copy and is returned as it is (:func:`binkit.hybrid.page_heights` relies
    on that).
    """
    if not any(isinstance(m, nn.BatchNorm2d) for m in model.modules()):
        return model
    fast = copy.deepcopy(model).eval()
    for stage in fast.features:
        layers, folded = list(stage), []
        while layers:
            layer = layers.pop(0)
            if isinstance(layer, nn.Conv2d) and layers and isinstance(layers[0], nn.BatchNorm2d):
                layer = fuse_conv_bn_eval(layer, layers.pop(0))
            folded.append(layer)
        stage._modules.clear()
        for k, layer in enumerate(folded):
            stage.add_module(str(k), layer)
    for p in fast.parameters():
        p.requires_grad_(False)
    return fast.to(memory_format=torch.channels_last)


def adjuster_input(patch: torch.Tensor, heights: torch.Tensor, greville: torch.Tensor,
                   target_fm: float = 1.0, target_nrm: float = 0.0) -> torch.Tensor:
    """Assemble the 6-channel input.

    Parameters
    ----------
    patch : (B, P, P) tensor
        Grey patches in [0, 1].
    heights : (B, n, n) tensor
        Current control-point heights C (rows: background b, columns: text t).
    greville : (n,) tensor
        The control points' abscissae (the same on both axes).
    target_fm, target_nrm : float
        The constant target planes (defaults: the ideal FM 1 and NRM 0).

    Returns
    -------
    (B, 6, P, P) tensor
    """
    b, p = patch.shape[0], patch.shape[-1]
    n = heights.shape[-1]
    if p % n:
        raise ValueError(f"patch size {p} must be a multiple of the control grid size {n}")
    x_grid = greville.view(1, n, 1).expand(b, n, n)  # X: background coordinate, constant along t
    y_grid = greville.view(1, 1, n).expand(b, n, n)  # Y: text coordinate
    grids = torch.stack([x_grid, y_grid, heights], dim=1).to(patch.dtype)
    raster = F.interpolate(grids, scale_factor=p // n, mode="nearest")
    planes = patch.new_tensor([target_fm, target_nrm]).view(1, 2, 1, 1).expand(b, 2, p, p)
    return torch.cat([patch[:, None], raster, planes], dim=1)


def model_from_config(config: dict) -> SurfaceAdjuster:
    """An untrained :class:`SurfaceAdjuster` from a stored configuration dict (see :mod:`binkit.weights`)."""
    return SurfaceAdjuster(AdjusterConfig(**config))
