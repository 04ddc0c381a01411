"""The Grid LSTM binarizer network (Westphal, Lavesson & Grahn, DAS 2018).

::

    64x64 block -> footprints (T = (64/f)^2 steps, inputs [x1, x2, x3] of 3 f^2 values)
      layer 1: four Grid LSTM readers, one per corner (4 dims, n = f^2 * units_per_pixel)
               top-left  (fw) / bottom-right (bw)   on the top-left sequence set
               bottom-left (fw) / top-right (bw)    on the flipped (bottom-left) set
               outputs realigned to top-left order and concatenated: 4 n per step
      layer 2: bidirectional Grid LSTM (2 dims, f^2 units per direction): 2 f^2 per step
      layer 3: dense 2 f^2 -> f^2 logits, one per footprint pixel

This follows the reference code (``docs/gridlstm_reference.md`` A3), which is more precise than the
paper: the four corner readers are two bidirectional RNNs with four separate
weight sets; their outputs are *concatenated*, not summed; the second layer
has f^2 units per direction (the paper does not say); the dense layer's
weights start from a truncated normal with standard deviation 1 and its bias
from 0.1.

binkit convention: the reference's dense layer predicts *page* (label 1 =
background).  :meth:`GridLSTMBinarizer.forward` returns its negation, so a
positive logit means **ink**, in line with ``True = ink`` everywhere else.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from .._checks import check_bool, check_int
from ..datasets.blocks import BLOCK
from .cell import GridLSTMCell, full_precision, full_precision_input, grid_scan, grid_scan_step_major
from .inputs import check_geometry, check_input_levels

__all__ = ["GridLSTMConfig", "GridLSTMBinarizer", "CORNERS", "model_from_config"]

#: Names of the four first-layer readers, in the order their outputs are concatenated.
CORNERS = ("top_left", "bottom_right", "bottom_left", "top_right")


@dataclass(frozen=True)
class GridLSTMConfig:
    """Configuration of a :class:`GridLSTMBinarizer`.

    Attributes
    ----------
    footprint : int
        f: side of the f x f footprint read per time step (2, 4, 8 in the paper).
    scale : int
        sf: scale factor of the context input x3 (1, 2, 4).
    units_per_pixel : int or None
        LSTM units per input pixel and dimension in layer 1, so that
        n = f^2 * units_per_pixel.  The paper uses 5, and 20 for f = 2 so that
        f2 and f4 have similar sizes; None picks that rule.
    block : int
        Block side (64).
    reference_flip : bool
        Reproduce the reference's ``flip_patches`` exactly when realigning the
        bottom-left readers: besides moving step (r, c) to (K-1-r, c), it also
        permutes each hidden vector (viewed as an f x (n/f) tile, flipped
        upside down).  The permutation is harmless before a dense layer; keep
        it True to mirror the reference.
    input_levels : {"minmax", "percentile"}
        How a page's grey levels are stretched to the network's 0..255
        (:data:`binkit.gridlstm.inputs.INPUT_LEVELS`): the reference's
        darkest-to-lightest stretch, or one anchored at the page's 1st
        percentile and median.  Weights are trained for one of them.
    """

    footprint: int = 4
    scale: int = 2
    units_per_pixel: int | None = None
    block: int = BLOCK
    reference_flip: bool = True
    input_levels: str = "minmax"

    def __post_init__(self):
        check_geometry(self.footprint, self.scale, self.block)
        if self.units_per_pixel is None:
            object.__setattr__(self, "units_per_pixel", 20 if self.footprint == 2 else 5)
        # 0 units would build a model with no hidden state (a ZeroDivisionError later, or a weights
        # file that loads into nothing): refused here, from the command line and from a stored config alike
        object.__setattr__(self, "units_per_pixel", check_int("units_per_pixel", self.units_per_pixel, minimum=1))
        object.__setattr__(self, "reference_flip", check_bool("reference_flip", self.reference_flip))
        check_input_levels(self.input_levels)

    @property
    def hidden(self) -> int:
        """n: units per dimension in layer 1."""
        return self.footprint**2 * self.units_per_pixel

    @property
    def steps(self) -> int:
        """Time steps per block: (block / f)^2."""
        return (self.block // self.footprint) ** 2

    @property
    def name(self) -> str:
        return f"f{self.footprint}-sf{self.scale}"

    def to_dict(self) -> dict:
        """The fields, as stored with weights and checkpoints.

        ``input_levels`` is left out at its default, ``"minmax"``: every run and
        weight file written before the choice existed used it, so an absent key
        means it, and their records (and resumes) stay equal to today's.
        """
        out = asdict(self)
        if out["input_levels"] == "minmax":
            del out["input_levels"]
        return out


class GridLSTMBinarizer(nn.Module):
    """The whole network: four corner readers, a bidirectional layer, a dense output.

    Parameters
    ----------
    config : GridLSTMConfig, optional
        Default: f = 4, sf = 2, 5 units per pixel.

    Shapes
    ------
    ``forward(top_left, bottom_left)``: both (B, T, 3 f^2) float tensors of
    the two sequence sets (see :func:`binkit.gridlstm.make_sequences`), values
    0..255.  Returns ink logits (B, T, f^2): step t is footprint
    ``(t // K, t % K)`` of the block (K = 64 / f), pixels row-major.
    :func:`steps_to_blocks` turns them into (B, 64, 64) images.

    Parameter names follow the reference checkpoint: ``top_left_fw``,
    ``top_left_bw``, ``bottom_left_fw``, ``bottom_left_bw`` (layer 1),
    ``hidden_fw``, ``hidden_bw`` (layer 2), ``output_weights`` (2 f^2, f^2)
    and ``output_biases`` (f^2).
    """

    def __init__(self, config: GridLSTMConfig | None = None):
        super().__init__()
        self.config = cfg = config or GridLSTMConfig()
        f2, n = cfg.footprint**2, cfg.hidden

        def corner():
            return GridLSTMCell(3 * f2, n, num_dims=4, input_dims=(0, 1, 2), priority_dims=(0,), output_dims=(0,))

        def hidden():
            return GridLSTMCell(4 * n, f2, num_dims=2, input_dims=(0,), priority_dims=(0,), output_dims=(0,))

        self.top_left_fw, self.top_left_bw = corner(), corner()
        self.bottom_left_fw, self.bottom_left_bw = corner(), corner()
        self.hidden_fw, self.hidden_bw = hidden(), hidden()
        self.output_weights = nn.Parameter(torch.empty(2 * f2, f2))
        self.output_biases = nn.Parameter(torch.empty(f2))
        self.reset_output()

    def reset_output(self) -> None:
        """Reference init of the dense layer: truncated normal (std 1, cut at 2 std), bias 0.1."""
        nn.init.trunc_normal_(self.output_weights, mean=0.0, std=1.0, a=-2.0, b=2.0)
        nn.init.constant_(self.output_biases, 0.1)

    @property
    def corner_cells(self) -> tuple[GridLSTMCell, ...]:
        return (self.top_left_fw, self.top_left_bw, self.bottom_left_fw, self.bottom_left_bw)

    # -- alignment -------------------------------------------------------
    def _realign_bottom_left(self, out: torch.Tensor) -> torch.Tensor:
        """Bottom-left readers' outputs (.., T, n) into top-left step order."""
        cfg = self.config
        k = cfg.block // cfg.footprint
        lead = out.shape[:-2]
        grid = out.reshape(*lead, k, k, out.shape[-1]).flip(-3)
        if cfg.reference_flip:
            f = cfg.footprint
            grid = grid.reshape(*lead, k, k, f, -1).flip(-2).reshape(*lead, k, k, -1)
        return grid.reshape(out.shape)

    # -- forward ---------------------------------------------------------
    def layer1(self, top_left: torch.Tensor, bottom_left: torch.Tensor, fast: bool = True) -> torch.Tensor:
        """Four corner readers -> (B, T, 4 n), aligned to top-left order."""
        seqs = torch.stack([top_left, top_left.flip(1), bottom_left, bottom_left.flip(1)])
        if fast:
            out = grid_scan(self.corner_cells, seqs)
        else:
            out = torch.stack([cell.reference_scan(s) for cell, s in zip(self.corner_cells, seqs)])
        tl_fw, tl_bw, bl_fw, bl_bw = out[0], out[1].flip(1), out[2], out[3].flip(1)
        return torch.cat([tl_fw, tl_bw, self._realign_bottom_left(bl_fw), self._realign_bottom_left(bl_bw)], -1)

    def layer2(self, features: torch.Tensor, fast: bool = True) -> torch.Tensor:
        """Bidirectional Grid LSTM over the aligned features -> (B, T, 2 f^2)."""
        seqs = torch.stack([features, features.flip(1)])
        cells = (self.hidden_fw, self.hidden_bw)
        if fast:
            out = grid_scan(cells, seqs)
        else:
            out = torch.stack([cell.reference_scan(s) for cell, s in zip(cells, seqs)])
        return torch.cat([out[0], out[1].flip(1)], dim=-1)

    def forward(self, top_left: torch.Tensor, bottom_left: torch.Tensor, fast: bool = True) -> torch.Tensor:
        """Ink logits (B, T, f^2) for a batch of blocks (see the class docstring).

        Under ``torch.autocast`` the model computes in the precision of its weights, as without
        it (autocast would flip pixels near the threshold and cannot feed the scan's buffers):
        the same logits and gradients, so a training loop or an inference script that turns
        autocast on for other models may leave it on.
        """
        cfg = self.config
        expected = (cfg.steps, 3 * cfg.footprint**2)
        for name, t in (("top_left", top_left), ("bottom_left", bottom_left)):
            if t.dim() != 3 or tuple(t.shape[1:]) != expected:
                raise ValueError(f"{name}: expected (B, {expected[0]}, {expected[1]}), got {tuple(t.shape)}")
        with full_precision(top_left.device):
            top_left, bottom_left = full_precision_input(top_left), full_precision_input(bottom_left)
            if fast and not torch.is_grad_enabled():
                hidden = self._layers_step_major(top_left, bottom_left)
            else:
                hidden = self.layer2(self.layer1(top_left, bottom_left, fast), fast)
            page_logits = hidden @ self.output_weights + self.output_biases
        return -page_logits

    def _layers_step_major(self, top_left: torch.Tensor, bottom_left: torch.Tensor) -> torch.Tensor:
        """``layer2(layer1(...))`` without autograd (inference): (B, T, 2 f^2).

        The same arithmetic, with every layer's input built step-major, as the scan reads it
        (:func:`grid_scan_step_major`), straight from the previous layer's step-major output:
        the readers' time reversals and the bottom-left realignment become flips of the
        (row, column, feature) axes on the way, and the stacked, concatenated and transposed
        copies that :meth:`layer1` and :meth:`layer2` make (a quarter of a page's time) are not
        made.  ``tests/test_gridlstm.py`` checks it against the per-step reference.
        """
        cfg = self.config
        k, steps, b = cfg.block // cfg.footprint, cfg.steps, top_left.shape[0]
        width, n = top_left.shape[-1], cfg.hidden
        x1 = top_left.new_empty(4, steps, b, width + 1)
        x1[..., width] = 1
        x1[0, ..., :width] = top_left.transpose(0, 1)
        x1[2, ..., :width] = bottom_left.transpose(0, 1)
        x1[1, ..., :width] = x1[0, ..., :width].flip(0)  # the backward readers read the steps reversed
        x1[3, ..., :width] = x1[2, ..., :width].flip(0)
        out1 = grid_scan_step_major(self.corner_cells, x1)  # (4, T, B, n)
        del x1
        # Each reader's output as a grid of steps, axes (row 0, column 1, batch 2, f 3, n / f 4).
        # Reversing the steps flips rows and columns; the bottom-left realignment flips rows, and with
        # reference_flip also the f axis of each hidden vector (see _realign_bottom_left); so the
        # reversed bottom-left reader, realigned, flips columns (and f).
        grid = out1.view(4, k, k, b, cfg.footprint, n // cfg.footprint)
        feat = (3,) if cfg.reference_flip else ()
        rows, cols, steps_reversed = (0, *feat), (1, *feat), (0, 1)
        # layer 2 reads [tl_fw, tl_bw, bl_fw, bl_bw] forwards (x2[0]) and the same steps reversed (x2[1])
        parts = (
            ((0, ()), (1, steps_reversed), (2, rows), (3, cols)),
            ((0, steps_reversed), (1, ()), (2, cols), (3, rows)),
        )
        x2 = out1.new_empty(2, steps, b, 4 * n + 1)
        x2[..., 4 * n] = 1
        for direction, readers in enumerate(parts):
            for slot, (reader, dims) in enumerate(readers):
                part = grid[reader].flip(dims) if dims else grid[reader]
                x2[direction, ..., slot * n : (slot + 1) * n] = part.reshape(steps, b, n)
        del out1, grid
        out2 = grid_scan_step_major((self.hidden_fw, self.hidden_bw), x2)  # (2, T, B, f^2)
        return torch.cat([out2[0], out2[1].flip(0)], dim=-1).transpose(0, 1)


def steps_to_blocks(values: torch.Tensor, footprint: int, block: int = BLOCK) -> torch.Tensor:
    """(B, T, f^2) per-footprint values -> (B, block, block) block images."""
    k, f = block // footprint, footprint
    b = values.shape[0]
    return values.reshape(b, k, k, f, f).transpose(2, 3).reshape(b, block, block)


def blocks_to_steps(blocks: torch.Tensor, footprint: int, block: int = BLOCK) -> torch.Tensor:
    """(B, block, block) block images -> (B, T, f^2), the inverse of :func:`steps_to_blocks`."""
    k, f = block // footprint, footprint
    b = blocks.shape[0]
    return blocks.reshape(b, k, f, k, f).transpose(2, 3).reshape(b, k * k, f * f)


def model_from_config(config: dict) -> GridLSTMBinarizer:
    """An untrained :class:`GridLSTMBinarizer` from a stored configuration dict (see :mod:`binkit.weights`)."""
    return GridLSTMBinarizer(GridLSTMConfig(**config))
