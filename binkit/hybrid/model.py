"""The CNN that adjusts the B-spline decision surface (spec sections 5 and 6).

**RECONSTRUCTED.**  The hybrid paper lost its formulas; its text gives the
input layout (a 6-channel 512x512 tensor: the patch, three channels of
"current B-spline parameters" and two target-metric planes) and says that a
CNN adjusts the surface to raise FM and lower NRM.  The architectures, the
soft losses and the regularisers below are binkit's reconstruction
(``docs/hybrid_method.md``, sections 5 and 6), not the paper's own.

Two input layouts (``AdjusterConfig.layout``):

``"histogram"`` (binkit's default)
    The surface is indexed by intensity, so the network sees the page the
    way the surface does: the joint histogram of ``(b, t)`` over the tile
    or page (:func:`binkit.hybrid.histogram.density_input`), pooled to
    ``bins x bins`` (64), beside the start surface ``C0`` and the two
    coordinates, all on the same (b, t) plane (:func:`histogram_input`).
    A small fully convolutional network with a global branch maps it to one
    ``dZ`` per control point: input and output share their axes, so a
    feature at "background 0.8, text 0.3" is read where it is written.
``"paper"``
    The paper's layout (:func:`adjuster_input`):

    =======  ==============================================================
    0        the grey patch, in [0, 1]
    1, 2, 3  the control points' X (Greville abscissae along b), Y (along t)
             and Z (the current heights C), each n x n grid upsampled to
             512 x 512 by nearest neighbour (32 x 32 blocks for n = 16)
    4, 5     constant planes: the target FM and the target NRM (in [0, 1])
    =======  ==============================================================

Output: ``dZ``, (B, n, n).  With ``dz_max = None`` (the default) it is not
bounded: a page may need its surface moved by more than 2 (measured with
:func:`binkit.hybrid.oracle_heights`), and ``0.25 tanh`` kept even the best
surface for each page below Otsu on H-DIBCO 2016.  A number keeps the old
``dz_max * tanh`` bound.  The last layer is initialised to zero, so an
untrained adjuster returns ``dZ = 0`` and the hybrid method starts exactly
at the classical surface.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from .._errors import InputError

__all__ = [
    "LAYOUTS",
    "AdjusterConfig",
    "SurfaceAdjuster",
    "adjuster_input",
    "histogram_input",
    "inference_copy",
    "model_from_config",
]


#: Input layouts of the adjuster: binkit's (b, t) histogram, or the paper's 6-channel patch.
LAYOUTS = ("histogram", "paper")

#: Widths of each layout when none are given.
_DEFAULT_WIDTHS = {"histogram": (32, 64, 96), "paper": (32, 64, 128, 256, 256, 256)}


@dataclass
class AdjusterConfig:
    """Sizes of :class:`SurfaceAdjuster`.

    ``layout="histogram"``: ``bins`` (a multiple of ``n``) is the side of the
    histogram input, and ``widths`` the channels at ``bins``, ``bins / 2``,
    ..., down to ``n`` (one stage per halving, plus the stage at ``n``).
    ``layout="paper"``: ``patch`` is the side of the input patch, and
    ``widths`` six stride-2 stages (512 -> 8).  ``dz_max``: None for an
    unbounded ``dZ``, else the ``tanh`` bound.
    """

    n: int = 16  # control points per axis
    patch: int = 512
    widths: tuple | None = None  # None: the layout's default
    hidden: int = 512
    dz_max: float | None = None
    layout: str = "histogram"
    bins: int = 64

    def __post_init__(self):
        if self.layout not in LAYOUTS:
            raise InputError(f"layout={self.layout!r}: expected one of {', '.join(LAYOUTS)}")
        if self.widths is None:
            self.widths = _DEFAULT_WIDTHS[self.layout]
        self.widths = tuple(int(w) for w in self.widths)
        if self.layout == "histogram":
            steps = self.bins // self.n
            if self.bins % self.n or steps & (steps - 1):
                raise InputError(f"bins={self.bins} must be n={self.n} times a power of two")
            if len(self.widths) != steps.bit_length():
                raise InputError(f"layout 'histogram' with bins={self.bins}, n={self.n} needs "
                                 f"{steps.bit_length()} widths, got {len(self.widths)}")


def _stage(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
    )


def _conv(c_in: int, c_out: int, stride: int = 1) -> list:
    return [nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1), nn.ReLU(inplace=True)]


class SurfaceAdjuster(nn.Module):
    """CNN: the page (as its layout shows it) and the surface -> (B, n, n) change of the control-point heights.

    ``dZ`` is indexed by intensity (background b, text t), not by position.
    ``layout="paper"``: six stride-2 stages over the (B, 6, P, P) patch,
    pooled (mean and max) into a dense head.  ``layout="histogram"``: over
    the (B, 4, bins, bins) histogram input, a stage per halving down to the
    n x n control grid; a global branch (pooled features, one dense layer)
    is added back at every control point, so each point's change can depend
    on the whole page's histogram; a 1x1 convolution gives ``dZ``.
    """

    def __init__(self, config: AdjusterConfig | None = None):
        super().__init__()
        self.config = config = config or AdjusterConfig()
        if config.layout == "paper":
            stages, c = [], 6
            for w in config.widths:
                stages.append(_stage(c, w))
                c = w
            self.features = nn.Sequential(*stages)
            self.head = nn.Sequential(nn.Linear(2 * c, config.hidden), nn.ReLU(inplace=True),
                                      nn.Linear(config.hidden, config.n * config.n))
            last = self.head[-1]
        else:
            layers, c = [], 4
            for k, w in enumerate(config.widths):
                layers += _conv(c, w, stride=1 if k == 0 else 2) + _conv(w, w)
                c = w
            self.features = nn.Sequential(*layers)
            self.context = nn.Sequential(nn.Linear(2 * c, c), nn.ReLU(inplace=True))
            self.head = nn.Sequential(*_conv(c, c), nn.Conv2d(c, 1, 1))
            last = self.head[-1]
        nn.init.zeros_(last.weight)  # dZ = 0 at the start: the classical method exactly
        nn.init.zeros_(last.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = self.config.n
        f = self.features(x)
        pooled = torch.cat([f.mean(dim=(2, 3)), f.amax(dim=(2, 3))], dim=1)
        if self.config.layout == "paper":
            raw = self.head(pooled).view(-1, n, n)
        else:
            raw = self.head(f + self.context(pooled)[:, :, None, None])[:, 0]
        if self.config.dz_max is None:
            return raw
        return torch.tanh(raw) * self.config.dz_max


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


def histogram_input(density: torch.Tensor, heights: torch.Tensor) -> torch.Tensor:
    """Assemble the ``"histogram"`` layout's 4-channel input.

    Parameters
    ----------
    density : (B, bins, bins) tensor
        :func:`binkit.hybrid.histogram.density_input` of each tile or page
        (rows: background b, columns: text t).
    heights : (B, n, n) tensor
        The start surface's control-point heights ``C0``.

    Returns
    -------
    (B, 4, bins, bins) tensor
        The density, ``C0`` upsampled by nearest neighbour, and the ``b``
        and ``t`` coordinates of each cell (so a convolution knows where on
        the plane it is).
    """
    b, bins = density.shape[0], density.shape[-1]
    n = heights.shape[-1]
    if bins % n:
        raise InputError(f"histogram side {bins} must be a multiple of the control grid size {n}")
    raster = F.interpolate(heights[:, None].to(density.dtype), scale_factor=bins // n, mode="nearest")
    axis = torch.linspace(0, 1, bins, dtype=density.dtype, device=density.device)
    coords = torch.stack(torch.meshgrid(axis, axis, indexing="ij"))[None].expand(b, 2, bins, bins)
    return torch.cat([density[:, None], raster, coords], dim=1)


def model_from_config(config: dict) -> SurfaceAdjuster:
    """An untrained :class:`SurfaceAdjuster` from a stored configuration dict (see :mod:`binkit.weights`).

    A record without ``layout`` was written before the histogram layout
    existed, so it is the paper's (with its ``0.25`` bound, stored as ``dz_max``).
    """
    return SurfaceAdjuster(AdjusterConfig(**{"layout": "paper", **config}))
