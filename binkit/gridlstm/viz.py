"""The plain functions behind the Grid LSTM notebooks' pictures and widgets (03-05).

Each widget in notebooks 03-05 only wires one of these functions to its
sliders, so every picture and number it shows is computed here, once, and
tested (``tests/test_gridlstm_viz.py``).

Inputs and reading orders (notebook 03)
    :func:`reading_order`, :func:`read_mask`, :func:`draw_block_grid`,
    :func:`draw_footprint_inputs`, :func:`draw_reading_orders`,
    :func:`parameter_count`, :func:`time_block_forward`, :func:`cost_table`
The network (notebook 04)
    :func:`layer_table`, :func:`priority_sensitivity`
Losses (notebook 05)
    :func:`threshold_logits`, :func:`pixel_bce`, :func:`loss_weight_maps`,
    :func:`loss_values`, :func:`scramble_stats`
Widgets
    :class:`LogitThresholdView` (notebook 04: where to cut a trained
    network's logits, and the FM and Fps each cut gives)

Drawing functions take matplotlib axes (or a figure) and return what they
drew, so they can be checked without looking at a picture.
"""

from __future__ import annotations

import time
from typing import Callable, Iterable

import numpy as np
import torch

from .._errors import InputError
from ..datasets.blocks import BLOCK, block_grid, pad_to_multiple, to_blocks
from ..io import as_mask
from .cell import GridLSTMCell
from .inputs import check_geometry, footprint_inputs, make_sequences, normalize
from .losses import bce, dynamic, dynamic_weight_blocks, dynamic_weight_map, static
from .model import CORNERS, GridLSTMBinarizer, GridLSTMConfig

__all__ = [
    "INPUT_COLORS",
    "reading_order",
    "read_mask",
    "draw_block_grid",
    "draw_footprint_inputs",
    "draw_reading_orders",
    "parameter_count",
    "time_block_forward",
    "cost_table",
    "layer_table",
    "priority_sensitivity",
    "threshold_logits",
    "pixel_bce",
    "loss_weight_maps",
    "loss_values",
    "scramble_stats",
    "LogitThresholdView",
]

#: Box colours of the three inputs (and of the 64-block) in every picture.
INPUT_COLORS = {"x1": "#E69F00", "x2": "#56B4E9", "x3": "#009E73", "block": "#F0E442"}  # Okabe-Ito

#: Which sequence set and direction each first-layer reader uses, and the
#: model attribute that holds its weights (``docs/gridlstm_reference.md`` A3.2).
READERS = {
    "top_left": ("top-left set, forwards", "top_left_fw"),
    "bottom_right": ("top-left set, backwards", "top_left_bw"),
    "bottom_left": ("bottom-left (flipped) set, forwards", "bottom_left_fw"),
    "top_right": ("bottom-left (flipped) set, backwards", "bottom_left_bw"),
}


# ---------------------------------------------------------------------------
# reading orders


def reading_order(footprint: int, corner: str, block: int = BLOCK) -> np.ndarray:
    """The time step at which a first-layer reader reads each footprint of a block.

    The model reads the top-left sequence set forwards (``top_left``) and
    backwards (``bottom_right``), and the set cut from the vertically flipped
    page forwards (``bottom_left``) and backwards (``top_right``); see
    :meth:`binkit.gridlstm.GridLSTMBinarizer.layer1`.

    Parameters
    ----------
    footprint : int
        f; the block holds K x K footprints, ``K = block / f``.
    corner : {"top_left", "bottom_right", "bottom_left", "top_right"}
        One of :data:`binkit.gridlstm.CORNERS`.
    block : int

    Returns
    -------
    (K, K) ndarray of int
        ``order[r, c]`` = step (0 .. K^2 - 1) at which footprint ``(r, c)``
        (row r from the top of the block, column c from the left) is read.

    Examples
    --------
    >>> reading_order(32, "bottom_left")
    array([[2, 3],
           [0, 1]])
    """
    check_geometry(footprint, 1, block)
    if corner not in CORNERS:
        raise InputError(f"corner must be one of {CORNERS}, got {corner!r}")
    k = block // footprint
    r, c = np.indices((k, k))
    from_top = r * k + c
    from_bottom = (k - 1 - r) * k + c
    last = k * k - 1
    return {
        "top_left": from_top,
        "bottom_right": last - from_top,
        "bottom_left": from_bottom,
        "top_right": last - from_bottom,
    }[corner]


def read_mask(footprint: int, corner: str, steps: int, block: int = BLOCK) -> np.ndarray:
    """Which footprints a reader has read after ``steps`` time steps: (K, K) bool."""
    return reading_order(footprint, corner, block) < steps


def draw_reading_orders(axes, footprint: int, steps: int, block: int = BLOCK, cmap: str = "viridis") -> dict:
    """Draw the four readers' progress after ``steps`` steps, one per axis.

    Read footprints are coloured by the step at which they were read (first
    = dark, latest = yellow), unread ones are left light grey, and the footprint read last is
    outlined in orange.

    Parameters
    ----------
    axes : sequence of 4 matplotlib Axes
        One per corner, in the order of :data:`binkit.gridlstm.CORNERS`.
    footprint, block : int
    steps : int
        Steps taken, 0 .. K^2.

    Returns
    -------
    dict
        corner -> (K, K) bool mask of the footprints read (what was drawn).
    """
    from matplotlib.patches import Rectangle

    axes = list(np.ravel(axes))
    if len(axes) != len(CORNERS):
        raise InputError(f"need {len(CORNERS)} axes, got {len(axes)}")
    k = block // footprint
    masks = {}
    for ax, corner in zip(axes, CORNERS):
        order = reading_order(footprint, corner, block)
        mask = order < steps
        masks[corner] = mask
        ax.imshow(np.ones((k, k, 3)) * 0.92, extent=(-0.5, k - 0.5, k - 0.5, -0.5))
        shown = np.ma.masked_where(~mask, order)
        latest = max(1, min(steps, k * k) - 1)
        ax.imshow(shown, cmap=cmap, vmin=0, vmax=latest, extent=(-0.5, k - 0.5, k - 0.5, -0.5))
        if 0 < steps <= k * k:
            r, c = np.argwhere(order == steps - 1)[0]
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, ec="#D55E00", lw=2))
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{corner.replace('_', '-')}: {int(mask.sum())} of {k * k} read", fontsize=9)
    return masks


# ---------------------------------------------------------------------------
# pages, blocks and footprints


def draw_block_grid(ax, shape: tuple[int, int], block: int = BLOCK, color: str = "gold", lw: float = 0.8, **kwargs):
    """Draw the 64x64 block grid of a page, padding included.

    The reference pads the page with zeros at the bottom and right to whole
    blocks; the axis limits are widened to the padded page so that the
    padded strip shows.

    Parameters
    ----------
    ax : matplotlib Axes
    shape : (H, W)
        The page's shape (before padding).
    block : int
    color, lw, **kwargs
        Passed to :class:`matplotlib.collections.LineCollection`.

    Returns
    -------
    LineCollection
        ``rows + 1`` horizontal and ``cols + 1`` vertical lines, at pixel
        edges ``k * block - 0.5``.
    """
    from matplotlib.collections import LineCollection

    rows, cols = block_grid(tuple(shape)[:2], block)
    height, width = rows * block, cols * block
    segs = [[(-0.5, r * block - 0.5), (width - 0.5, r * block - 0.5)] for r in range(rows + 1)]
    segs += [[(c * block - 0.5, -0.5), (c * block - 0.5, height - 0.5)] for c in range(cols + 1)]
    lines = LineCollection(segs, colors=color, linewidths=lw, **kwargs)
    ax.add_collection(lines)
    ax.set_xlim(-0.5, width - 0.5)
    ax.set_ylim(height - 0.5, -0.5)
    return lines


def _box(ax, top, left, size, color, **kw):
    from matplotlib.patches import Rectangle

    patch = Rectangle((left - 0.5, top - 0.5), size, size, fill=False, ec=color, **kw)
    ax.add_patch(patch)
    return patch


def _network_view(image, scale: int, block: int):
    """The padded, normalised page inside the black context border, and that border's width."""
    padded = pad_to_multiple(normalize(image), block, 0.0)
    border = block // 2 * (scale - 1)
    canvas = np.zeros((padded.shape[0] + 2 * border, padded.shape[1] + 2 * border), np.float32)
    canvas[border : border + padded.shape[0], border : border + padded.shape[1]] = padded
    return canvas, border


def draw_footprint_inputs(fig_or_axes, image, row: int, col: int, footprint: int = 4, scale: int = 2,
                          block: int = BLOCK) -> dict:
    """The paper's Figure 3 for one footprint: where x1, x2, x3 come from, and what they hold.

    Five panels: the page with its block grid and the chosen 64-block; a
    close-up of what the network sees around that block (the normalised,
    zero-padded page in the black border that the context image adds), with
    the boxes of x1 (the footprint), x2 (the footprint above) and x3 (the
    page region its f x f context summarises), and the zoomed-out window
    that x3 is cut from, dashed; then x1, x2 and x3 magnified.

    Parameters
    ----------
    fig_or_axes : matplotlib Figure, or sequence of 5 Axes
        A figure gets the five panels laid out in it.
    image : (H, W) array_like
        Grey page.
    row, col : int
        Any pixel of the footprint to show.
    footprint, scale, block : int
        f, sf and the block side.

    Returns
    -------
    dict
        ``axes`` (the five Axes: page, zoom, x1, x2, x3), ``inputs`` (what
        :func:`binkit.gridlstm.footprint_inputs` returned) and ``boxes``
        (name -> the Rectangle drawn in the close-up: x1, x2, x3, block,
        context).
    """
    from matplotlib.figure import Figure

    inputs = footprint_inputs(image, row, col, footprint, scale, block)
    if isinstance(fig_or_axes, Figure):
        # room between the small panels for their titles, and between the two large ones for theirs
        grid = fig_or_axes.add_gridspec(3, 3, width_ratios=[1.6, 1.6, 0.55], hspace=0.55, wspace=0.12)
        axes = [fig_or_axes.add_subplot(grid[:, 0]), fig_or_axes.add_subplot(grid[:, 1])]
        axes += [fig_or_axes.add_subplot(grid[k, 2]) for k in range(3)]
    else:
        axes = list(np.ravel(fig_or_axes))
        if len(axes) != 5:
            raise InputError(f"need 5 axes (page, zoom, x1, x2, x3), got {len(axes)}")
    ax_page, ax_zoom = axes[:2]
    gray = np.asarray(image, dtype=np.float32)
    f, sf = footprint, scale
    b_top, b_left = inputs["block"]
    ctx_side = block * sf
    ctx_top, ctx_left = b_top + block // 2 - ctx_side // 2, b_left + block // 2 - ctx_side // 2

    # 1. the page and its blocks
    ax_page.imshow(gray, cmap="gray", vmin=0, vmax=1)
    draw_block_grid(ax_page, gray.shape, block, lw=0.6, color="tab:blue")
    _box(ax_page, b_top, b_left, block, INPUT_COLORS["block"], lw=1.5)
    _box(ax_page, ctx_top, ctx_left, ctx_side, INPUT_COLORS["x3"], lw=1, ls="--")
    ax_page.set_title(f"the page in {block}x{block} blocks\n(padding: the dark strip)", fontsize=9)
    ax_page.set_facecolor("black")  # the padded strip: zeros, as the network sees it
    ax_page.set_xticks([])
    ax_page.set_yticks([])

    # 2. close-up of what the network sees
    canvas, border = _network_view(gray, sf, block)
    ax_zoom.imshow(canvas, cmap="gray", vmin=0, vmax=255,
                   extent=(-border - 0.5, canvas.shape[1] - border - 0.5, canvas.shape[0] - border - 0.5, -border - 0.5))
    boxes = {
        "context": _box(ax_zoom, ctx_top, ctx_left, ctx_side, INPUT_COLORS["x3"], lw=1, ls="--"),
        "block": _box(ax_zoom, b_top, b_left, block, INPUT_COLORS["block"], lw=1.5),
    }
    for name in ("x3", "x2", "x1"):
        top, left, size = inputs[f"{name}_box"]
        boxes[name] = _box(ax_zoom, top, left, size, INPUT_COLORS[name], lw=2)
    margin = max(8, block // 8)
    ax_zoom.set_xlim(ctx_left - margin - 0.5, ctx_left + ctx_side + margin - 0.5)
    ax_zoom.set_ylim(ctx_top + ctx_side + margin - 0.5, ctx_top - margin - 0.5)
    ax_zoom.set_title(f"what the network sees (0..255)\nf = {f}, sf = {sf}", fontsize=9)
    ax_zoom.set_xticks([])
    ax_zoom.set_yticks([])

    # 3. the three f x f inputs
    titles = {"x1": "x1: the footprint", "x2": "x2: footprint above", "x3": f"x3: {sf * f}x{sf * f}, shrunk"}
    for ax, name in zip(axes[2:], ("x1", "x2", "x3")):
        ax.imshow(inputs[name], cmap="gray", vmin=0, vmax=255)
        ax.set_title(titles[name], fontsize=7.5, color=INPUT_COLORS[name], pad=3)
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(True)
            spine.set_color(INPUT_COLORS[name])
            spine.set_linewidth(2)
    return {"axes": axes, "inputs": inputs, "boxes": boxes}


# ---------------------------------------------------------------------------
# sizes and costs


def parameter_count(config: GridLSTMConfig | None = None) -> dict:
    """Parameters of a :class:`GridLSTMBinarizer`, per layer, without allocating its weights.

    The model is built on PyTorch's ``meta`` device (shapes only), so even
    f8's 27 M parameters cost nothing.

    Returns
    -------
    dict
        ``layer1`` (the four corner readers), ``layer2`` (both directions),
        ``output`` (dense weights and biases) and ``total``.
    """
    with torch.device("meta"):
        model = GridLSTMBinarizer(config or GridLSTMConfig())
    count = {"layer1": 0, "layer2": 0, "output": 0}
    for name, p in model.named_parameters():
        top = name.split(".")[0]
        key = "layer1" if top in {READERS[c][1] for c in CORNERS} else "layer2" if top.startswith("hidden") else "output"
        count[key] += p.numel()
    count["total"] = sum(count.values())
    return count


def time_block_forward(config: GridLSTMConfig, image=None, *, repeat: int = 1, warmup: bool = False,
                       fast: bool = True, seed: int = 0) -> float:
    """Wall time of one forward pass of a randomly initialised model over one 64x64 block.

    Parameters
    ----------
    config : GridLSTMConfig
    image : (H, W) array_like, optional
        Page whose top-left block is used; default a seeded random block.
    repeat : int
        Runs timed; the best is returned.
    warmup : bool
        Run once untimed first (the first call pays for lazy set-up).
    fast : bool
        Use :func:`binkit.gridlstm.grid_scan` (True) or the per-step
        reference cells (False).
    seed : int
        Seeds torch before the model is built.

    Returns
    -------
    float
        Seconds, on the CPU, under ``torch.inference_mode``.
    """
    if image is None:
        image = np.random.default_rng(seed).random((config.block, config.block)).astype(np.float32)
    image = np.asarray(image, dtype=np.float32)[: config.block, : config.block]
    seq = make_sequences(image, config.footprint, config.scale, config.block, config.input_levels)
    tl, bl = torch.from_numpy(seq.top_left[:1]), torch.from_numpy(seq.bottom_left[:1])
    torch.manual_seed(seed)
    model = GridLSTMBinarizer(config).eval()
    best = float("inf")
    with torch.inference_mode():
        if warmup:
            model(tl, bl, fast=fast)
        for _ in range(max(1, repeat)):
            t0 = time.perf_counter()
            model(tl, bl, fast=fast)
            best = min(best, time.perf_counter() - t0)
    return best


def cost_table(footprints: Iterable[int] = (2, 4, 8), scales: Iterable[int] = (1, 2, 4), *,
               time_forward: Callable[[GridLSTMConfig], float] | None = None, block: int = BLOCK) -> list[dict]:
    """Sequence length, sizes and (optionally) measured time of each setting.

    Parameters
    ----------
    footprints, scales : iterables of int
        f and sf values; one row per pair, footprint-major.
    time_forward : callable, optional
        ``time_forward(config) -> seconds``, e.g. a wrapper of
        :func:`time_block_forward`; called once per row.
    block : int

    Returns
    -------
    list of dict
        Keys ``footprint``, ``scale``, ``steps`` (time steps per block,
        ``(block / f)^2``), ``inputs`` (values per step, ``3 f^2``),
        ``context`` (side in pixels of the page region x3 summarises,
        ``sf * f``), ``hidden`` (layer-1 units per dimension),
        ``params`` (total parameters), and ``seconds`` when ``time_forward``
        is given.
    """
    rows = []
    counts: dict[tuple[int, int], int] = {}
    for f in footprints:
        for sf in scales:
            cfg = GridLSTMConfig(footprint=f, scale=sf, block=block)
            key = (f, cfg.units_per_pixel)  # sf changes no shape, so no parameter count
            if key not in counts:
                counts[key] = parameter_count(cfg)["total"]
            row = {"footprint": f, "scale": sf, "steps": cfg.steps, "inputs": 3 * f * f,
                   "context": sf * f, "hidden": cfg.hidden, "params": counts[key]}
            if time_forward is not None:
                row["seconds"] = float(time_forward(cfg))
            rows.append(row)
    return rows


def layer_table(model: GridLSTMBinarizer) -> list[dict]:
    """One row per layer of the network: what it is, its per-step shapes and its parameters.

    Returns
    -------
    list of dict
        Keys ``name`` (the model attribute, as in the reference checkpoint),
        ``role``, ``inputs`` and ``outputs`` (values per time step; the
        tensors are (B, T, that)), ``params`` and ``shapes`` (parameter name
        -> shape).
    """
    cfg = model.config
    f2, n = cfg.footprint**2, cfg.hidden
    rows = []
    for corner in CORNERS:
        how, attr = READERS[corner]
        rows.append((attr, f"layer 1: reads from the {corner.replace('_', '-')} corner ({how})", 3 * f2, n))
    rows.append(("hidden_fw", "layer 2: forwards over the 4 n concatenated features", 4 * n, f2))
    rows.append(("hidden_bw", "layer 2: backwards", 4 * n, f2))
    out = []
    for attr, role, n_in, n_out in rows:
        module = getattr(model, attr)
        shapes = {k: tuple(p.shape) for k, p in module.named_parameters()}
        out.append({"name": attr, "role": role, "inputs": n_in, "outputs": n_out,
                    "params": sum(p.numel() for p in module.parameters()), "shapes": shapes})
    out.append({"name": "output_weights, output_biases", "role": "layer 3: dense, one logit per footprint pixel",
                "inputs": 2 * f2, "outputs": f2,
                "params": model.output_weights.numel() + model.output_biases.numel(),
                "shapes": {"output_weights": tuple(model.output_weights.shape),
                           "output_biases": tuple(model.output_biases.shape)}})
    return out


def priority_sensitivity(cell: GridLSTMCell, x: torch.Tensor, state=None) -> dict:
    """How strongly one step's output depends on each input, with and without the priority dimension.

    The cell's twin without priority dimensions (same weights) updates every
    dimension from the *old* hidden vectors at once; the cell itself updates
    its priority dimension last, from the others' *new* hidden vectors.
    For each, the Frobenius norm of the Jacobian of the output with respect
    to each input chunk (``x1``, ``x2``, ...) and to each carried state
    vector of the non-input dimensions (``m3``, ``c3`` for the first layer)
    measures that dependence.

    Parameters
    ----------
    cell : GridLSTMCell
    x : (input_size,) or (1, input_size) tensor
        One step's input.
    state : (c, m) pair of lists of N (1, n) tensors, optional
        Default zeros.

    Returns
    -------
    dict
        ``{"priority": {...}, "no priority": {...}}``, each mapping part
        name -> Jacobian norm, plus ``"outputs"``: the two (n,) outputs.
    """
    twin = GridLSTMCell(cell.input_size, cell.num_units, cell.num_dims, cell.input_dims, priority_dims=(),
                        output_dims=cell.output_dims, forget_bias=cell.forget_bias)
    twin.load_state_dict(cell.state_dict())
    x = x.detach().reshape(1, -1).to(torch.float32)
    if state is None:
        state = cell.zero_state(1, dtype=x.dtype)
    carried = [d for d in range(cell.num_dims) if d not in cell.input_dims]
    c0 = [t.detach() for t in state[0]]
    m0 = [t.detach() for t in state[1]]
    names = [f"x{k + 1}" for k in range(len(cell.input_dims))]
    names += [f"m{d}" for d in carried] + [f"c{d}" for d in carried]

    result, outputs = {}, {}
    for label, net in (("priority", cell), ("no priority", twin)):

        def run(x_in, *carry, net=net):
            c, m = list(c0), list(m0)
            for i, d in enumerate(carried):
                m[d] = carry[i]
                c[d] = carry[len(carried) + i]
            return net(x_in, (c, m))[0][0]

        args = (x,) + tuple(m0[d] for d in carried) + tuple(c0[d] for d in carried)
        with torch.enable_grad():
            jac = torch.autograd.functional.jacobian(run, args)
            outputs[label] = run(*args).detach()
        norms = {}
        chunk = cell.chunk
        for k in range(len(cell.input_dims)):
            norms[names[k]] = float(jac[0][..., k * chunk : (k + 1) * chunk].norm())
        for i, name in enumerate(names[len(cell.input_dims) :]):
            norms[name] = float(jac[1 + i].norm())
        result[label] = norms
    result["outputs"] = outputs
    return result


# ---------------------------------------------------------------------------
# losses (notebook 05)


def threshold_logits(image, threshold: float, softness: float = 0.05) -> np.ndarray:
    """A soft threshold as ink logits: ``(threshold - image) / softness``.

    ``sigmoid`` of the result is the ink probability of a pixel: 0.5 at the
    threshold, towards 1 for darker pixels.  A fixed, reproducible
    "prediction" for comparing losses (e.g. with Otsu's threshold).

    Returns
    -------
    (H, W) ndarray of float32
    """
    if not softness > 0:
        raise InputError(f"softness must be > 0, got {softness!r}")
    return ((np.float32(threshold) - np.asarray(image, dtype=np.float32)) / np.float32(softness)).astype(np.float32)


def pixel_bce(logits, gt) -> np.ndarray:
    """Per-pixel binary cross-entropy of ink logits against a ground truth (True = ink).

    ``softplus(-z)`` on ink, ``softplus(z)`` on page: what every loss of the
    paper weights and averages.

    Returns
    -------
    (H, W) ndarray of float32
    """
    z = torch.as_tensor(np.asarray(logits, dtype=np.float32))
    y = torch.as_tensor(as_mask(gt, "gt"))
    if z.shape != y.shape:
        raise InputError(f"logits {tuple(z.shape)} and gt {tuple(y.shape)} differ in shape")
    return torch.where(y, torch.nn.functional.softplus(-z), torch.nn.functional.softplus(z)).numpy()


def loss_weight_maps(gt, w: float = 2.0, weights=None, dynamic_map=None) -> dict:
    """The pixel weight of each of the paper's losses on a ground truth.

    Parameters
    ----------
    gt : (H, W) ndarray of bool
        True = ink.
    w : float
        The static loss's weight, applied to **page** pixels (``docs/gridlstm_reference.md`` A4).
    weights : (recall_weights, precision_weights), optional
        Pseudo-F maps for the dynamic weights (default computed from ``gt``).
    dynamic_map : (H, W) ndarray, optional
        Precomputed :func:`binkit.gridlstm.losses.dynamic_weight_map`, to
        skip recomputing it (widgets).

    Returns
    -------
    dict of (H, W) float32 arrays
        ``bce``: 1 everywhere; ``static``: 1 on ink, w on page;
        ``dynamic``: 1 + GW on ink, 1 + (PW - 1) on page.
    """
    gt = as_mask(gt, "gt")
    if not float(w) > 0:
        raise InputError(f"static loss weight must be > 0, got {w!r}")
    dyn = dynamic_weight_map(gt, weights) if dynamic_map is None else np.asarray(dynamic_map, np.float32)
    return {
        "bce": np.ones(gt.shape, np.float32),
        "static": np.where(gt, 1.0, float(w)).astype(np.float32),
        "dynamic": dyn,
    }


def loss_values(logits, gt, w: float = 2.0, dynamic_map=None) -> dict:
    """The three losses of one prediction, with binkit's loss functions.

    Parameters
    ----------
    logits : (H, W) array_like
        Ink logits.
    gt : (H, W) ndarray of bool
    w : float
        Static weight (on page pixels).
    dynamic_map : (H, W) ndarray, optional
        Dynamic weights; default :func:`dynamic_weight_map` of ``gt``.

    Returns
    -------
    dict of float
        ``bce``, ``static``, ``dynamic``: each a mean over all pixels of the
        weighted per-pixel cross-entropy (:func:`binkit.gridlstm.losses.bce`,
        :func:`~binkit.gridlstm.losses.static`, :func:`~binkit.gridlstm.losses.dynamic`).
    """
    gt = as_mask(gt, "gt")
    if dynamic_map is None:
        dynamic_map = dynamic_weight_map(gt)
    z = torch.as_tensor(np.asarray(logits, dtype=np.float32))
    y = torch.as_tensor(gt)
    wmap = torch.as_tensor(np.asarray(dynamic_map, dtype=np.float32))
    return {
        "bce": float(bce(z, y)),
        "static": float(static(w)(z, y)),
        "dynamic": float(dynamic(z, y, wmap)),
    }


def scramble_stats(gt, weights=None, block: int = BLOCK) -> dict:
    """How badly the original code's transposed reshape scrambles the dynamic weights.

    Compares :func:`~binkit.gridlstm.losses.dynamic_weight_blocks` with and
    without ``reference_layout`` (``docs/gridlstm_reference.md`` A4).

    Parameters
    ----------
    gt : (H, W) ndarray of bool
    weights : (recall_weights, precision_weights), optional
        E.g. the organisers' ``.dat`` maps; default computed from ``gt``.
    block : int

    Returns
    -------
    dict of float
        ``same_weight``: share of the padded blocks' pixels whose scrambled
        weight equals the correct one (1.0 for a square page);
        ``ink_zero``: share of GT ink pixels whose scrambled weight is 0
        (they landed in padding, so the loss ignores them);
        ``ink_same``: share of GT ink pixels that keep their own weight.
    """
    gt = as_mask(gt, "gt")
    if weights is None:
        from ..metrics import pseudo_weights

        weights = pseudo_weights(gt)
    good = dynamic_weight_blocks(gt, weights, block=block)
    bad = dynamic_weight_blocks(gt, weights, reference_layout=True, block=block)
    ink = to_blocks(gt, block, value=False)
    return {
        "same_weight": float((good == bad).mean()),
        "ink_zero": float((bad[ink] == 0).mean()) if ink.any() else 0.0,
        "ink_same": float((good[ink] == bad[ink]).mean()) if ink.any() else 1.0,
    }


# ---------------------------------------------------------------------------
# widgets


class LogitThresholdView:
    """Notebook 04's widget: cut a trained network's ink logits at a threshold, and score the cut.

    The network calls a pixel ink where its logit is >= 0 (probability
    >= 0.5).  This view moves that cut: ink where ``logit >= threshold``.
    Everything that does not depend on the threshold is done once here: the
    pixels sorted by logit and running sums of the ground truth and of the
    pseudo-F weights along that order, so that any threshold's FM, Fps,
    recall and precision are a binary search and a few lookups
    (:meth:`scores`; equal to :func:`binkit.metrics.evaluate` of the same
    cut, ``tests/test_course_widgets.py``), and the whole curve over
    ``thresholds`` is drawn from the same sums.

    Parameters
    ----------
    logits : (H, W) array_like or dict of name -> (H, W) array_like
        Ink logits (:func:`binkit.gridlstm.inference.page_logits`); a dict
        holds several weight sets' logits of the same page, chosen by
        :meth:`figure`'s ``weights``.
    gt : (H, W) ndarray of bool
        Ground truth, True = ink.
    weights : (recall_weights, precision_weights), optional
        :func:`binkit.metrics.pseudo_weights` of ``gt``; computed when left out.
    title : str
        What the page is, for the figure's titles.
    thresholds : sequence of float
        Where the curve is drawn (the widget's slider range).

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.zeros((40, 60), bool); gt[10:30, 20:24] = True
    >>> logits = np.where(gt, 1.0, -2.0); logits[:, 20:22] += 1.0   # two of the four ink columns are surer
    >>> view = LogitThresholdView(logits, gt)
    >>> round(view.scores(0.0)["fm"], 2), round(view.scores(1.5)["recall"], 1)
    (100.0, 50.0)
    """

    def __init__(self, logits, gt, weights=None, *, title: str = "page", thresholds=None):
        gt = as_mask(gt, "gt")
        if not isinstance(logits, dict):
            logits = {"logits": logits}
        if not logits:
            raise InputError("logits: need at least one map")
        if weights is None:
            from ..metrics import pseudo_weights

            weights = pseudo_weights(gt)
        rw, pw = (np.asarray(w, dtype=np.float64) for w in weights)
        if rw.shape != gt.shape or pw.shape != gt.shape:
            raise InputError(f"weights {rw.shape}/{pw.shape} and gt {gt.shape} differ in shape")
        self.gt, self.title = gt, title
        self.thresholds = np.asarray(np.arange(-8.0, 8.001, 0.25) if thresholds is None else thresholds, float)
        self.logits, self._sums = {}, {}
        g = gt.ravel()
        for name, z in logits.items():
            z = np.asarray(z, dtype=np.float32)
            if z.shape != gt.shape:
                raise InputError(f"logits {name!r} {z.shape} and gt {gt.shape} differ in shape")
            self.logits[name] = z
            order = np.argsort(-z.ravel(), kind="stable")          # largest logit first
            go = g[order]
            # running sums along the order: pixel k is ink for every threshold <= its logit
            self._sums[name] = (
                -z.ravel()[order],                                    # ascending, for searchsorted
                np.concatenate([[0], np.cumsum(go)]),                 # TP
                np.concatenate([[0.0], np.cumsum(np.where(go, rw.ravel()[order], 0.0))]),   # sum of G_W over TP
                np.concatenate([[0.0], np.cumsum(np.where(go, 0.0, 1.0 + pw.ravel()[order]))]),  # sum of P_W over FP
            )
        self.names = list(self.logits)
        self._n_gt = int(g.sum())
        self._gw_total = float(rw[gt].sum())
        self.curves = {name: [self.scores(t, name) for t in self.thresholds] for name in self.names}

    def scores(self, threshold: float = 0.0, weights: str | None = None) -> dict:
        """FM, Fps, recall, precision (percent) and the ink share of the cut ``logit >= threshold``."""
        from ..metrics import _f, _ratio

        name = self.names[0] if weights is None else weights
        if name not in self._sums:
            raise InputError(f"weights={name!r}: expected one of {', '.join(self.names)}")
        neg, tp_sum, gw_sum, pw_sum = self._sums[name]
        k = int(np.searchsorted(neg, -float(threshold), side="right"))    # pixels with logit >= threshold
        tp = int(tp_sum[k])
        fp, fn = k - tp, self._n_gt - tp
        both_empty = tp + fp + fn == 0
        return {
            "fm": _f(tp, tp + fn, tp, tp + fp, both_empty),
            "fps": _f(float(gw_sum[k]), self._gw_total, float(tp), tp + float(pw_sum[k]), both_empty),
            "recall": _ratio(tp, tp + fn),
            "precision": _ratio(tp, tp + fp),
            "ink_share": k / self.gt.size,
        }

    def best(self, measure: str = "fm", weights: str | None = None) -> float:
        """The threshold of ``thresholds`` with the highest ``measure`` (the first one on a tie)."""
        name = self.names[0] if weights is None else weights
        values = [s[measure] for s in self.curves[name]]
        return float(self.thresholds[int(np.nanargmax(values))])

    def figure(self, threshold: float = 0.0, weights: str | None = None):
        """The page's errors at this cut (left) and FM, Fps against the threshold (right)."""
        import matplotlib.pyplot as plt

        from ..plot import FIGURE_WIDTH, PALETTE, error_overlay

        name = self.names[0] if weights is None else weights
        s = self.scores(threshold, name)
        pred = self.logits[name] >= threshold
        h, w = self.gt.shape
        # a fixed layout, not matplotlib's layout engines: they would cost a third of every redraw
        fig, (ax_img, ax) = plt.subplots(1, 2, figsize=(FIGURE_WIDTH, 3.6),
                                         gridspec_kw={"width_ratios": [max(0.6, w / h), 1.25], "left": 0.01,
                                                      "right": 0.985, "bottom": 0.13, "top": 0.87, "wspace": 0.16})
        ax_img.imshow(error_overlay(pred, self.gt))
        ax_img.set_title(f"{self.title}, ink where logit >= {threshold:+.2f}\n"
                         f"FM {s['fm']:.2f}  Fps {s['fps']:.2f}  (recall {s['recall']:.1f}, "
                         f"precision {s['precision']:.1f})", fontsize=8)
        ax_img.axis("off")
        curve = self.curves[name]
        for key, label, colour in (("fm", "FM", PALETTE[0]), ("fps", "Fps", PALETTE[1]),
                                   ("recall", "recall", "0.55"), ("precision", "precision", "0.75")):
            style = "-" if key in ("fm", "fps") else "--"
            ax.plot(self.thresholds, [c[key] for c in curve], style, color=colour, lw=1.6 if style == "-" else 1,
                    label=label)
        # this cut as a wide pale band under the network's dotted line, so both stay visible where they meet (at 0)
        ax.axvline(threshold, color="k", lw=4, alpha=0.25, zorder=1, label="this cut")
        ax.axvline(0.0, color="k", ls=":", lw=1.2, zorder=3, label="the network's cut (0)")
        ax.plot([threshold] * 2, [s["fm"], s["fps"]], "o", color="k", ms=4)
        for key, colour in (("fm", PALETTE[0]), ("fps", PALETTE[1])):
            best = self.best(key, name)
            ax.plot(best, self.scores(best, name)[key], "^", color=colour, ms=7, mec="k", mew=0.6)
        ax.set_xlim(self.thresholds[0], self.thresholds[-1])
        ax.set_ylim(0, 100)
        ax.set_xlabel("threshold on the ink logit (ink where logit >= threshold)")
        ax.set_ylabel("score (%)")
        ax.set_title(f"{name}: every cut of the same logits (triangles: best FM, best Fps)", fontsize=8)
        ax.legend(fontsize=7, loc="lower center", ncols=3)
        return fig
