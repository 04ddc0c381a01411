r"""The Grid LSTM cell, as TensorFlow's ``GridRNNCell`` computes it.

A Grid LSTM (Kalchbrenner et al. 2016) has N dimensions, each with its own
LSTM: its own weights :math:`W_d` and its own memory :math:`c_d`.  All
dimensions read the same vector :math:`H`, the concatenation of every
dimension's hidden vector :math:`m_d`.  Per time step, with TensorFlow's gate
order ``i, j, f, o`` and a forget bias of 1:

.. math::

    [i, j, f, o] &= H W_d + b_d \\
    c_d' &= \sigma(f + 1) \odot c_d + \sigma(i) \odot \tanh(j) \\
    m_d' &= \sigma(o) \odot \tanh(c_d')

What the paper's code (TF ``GridRNNCell``, untied) adds to this, and where it
differs from the paper's Eq. (1)-(2) (``docs/gridlstm_reference.md`` A3.1):

* **Input dimensions.** The input vector is split into equal chunks, one per
  input dimension j.  At every step each chunk is projected, without bias, to
  :math:`m_j = x_j P^m_j` and :math:`c_j = x_j P^c_j`, which *replace* that
  dimension's hidden and memory vectors.  Inputs are not appended to H; only
  the non-input dimensions carry state from step to step.
* **Priority dimensions** are updated after the others and see their *new*
  hidden vectors in H.
* The cell's output is the new :math:`m` of the output dimension(s).

:class:`GridLSTMCell` is the readable per-step reference.  :func:`grid_scan`
is the fast path used by the model: because the input projections are linear
and bias-free, they fold into the gate weights, so each step needs only a few
batched products (the inputs' and the carried hidden vector's share of the
gates), and the priority dimension of many steps is one product after the
loop.  Tests check that both agree to 1e-5 (float64), values and gradients.
"""

from __future__ import annotations

import contextlib
from typing import Sequence

import torch
from torch import nn

__all__ = ["GridLSTMCell", "grid_scan", "grid_scan_step_major"]


class GridLSTMCell(nn.Module):
    r"""One Grid LSTM cell with TensorFlow ``GridRNNCell`` semantics (untied dims).

    Parameters
    ----------
    input_size : int
        Length of the input vector; split into ``len(input_dims)`` equal chunks.
    num_units : int
        Units n of every dimension's LSTM.
    num_dims : int
        Number of dimensions N.
    input_dims : sequence of int
        Dimensions that receive a chunk of the input (replacing their state).
    priority_dims : sequence of int
        Dimensions updated last, seeing the others' new hidden vectors.
    output_dims : sequence of int
        Dimensions whose new hidden vector is the cell output.
    forget_bias : float
        Added to the forget gate's pre-activation (TF default 1.0).

    Parameters (tensors), named as in the reference checkpoint
    -----------------------------------------------------------
    ``project_m_{j}``, ``project_c_{j}`` : (input_size / len(input_dims), n)
        Bias-free input projections of input dimension j.
    ``cell_{d}_weights`` : (N n, 4 n), ``cell_{d}_biases`` : (4 n)
        LSTM of dimension d; gate columns in the order i, j, f, o.

    Shapes
    ------
    ``forward(x, state)``: ``x`` (B, input_size); ``state`` a pair of lists
    ``(c, m)`` of N tensors (B, n) (None: zeros).  Returns the output
    (B, n * len(output_dims)) and the new state.
    """

    def __init__(
        self,
        input_size: int,
        num_units: int,
        num_dims: int,
        input_dims: Sequence[int],
        priority_dims: Sequence[int] = (0,),
        output_dims: Sequence[int] = (0,),
        forget_bias: float = 1.0,
    ):
        super().__init__()
        if input_size % len(input_dims):
            raise ValueError(f"input_size {input_size} does not split into {len(input_dims)} equal chunks")
        self.input_size = input_size
        self.num_units = num_units
        self.num_dims = num_dims
        self.input_dims = tuple(input_dims)
        self.priority_dims = tuple(priority_dims)
        self.non_priority_dims = tuple(d for d in range(num_dims) if d not in self.priority_dims)
        self.output_dims = tuple(output_dims)
        self.forget_bias = forget_bias
        self.chunk = input_size // len(input_dims)
        n = num_units
        for j in self.input_dims:
            self.register_parameter(f"project_m_{j}", nn.Parameter(torch.empty(self.chunk, n)))
            self.register_parameter(f"project_c_{j}", nn.Parameter(torch.empty(self.chunk, n)))
        for d in range(num_dims):
            self.register_parameter(f"cell_{d}_weights", nn.Parameter(torch.empty(num_dims * n, 4 * n)))
            self.register_parameter(f"cell_{d}_biases", nn.Parameter(torch.empty(4 * n)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Initialise as the reference: uniform Glorot (slim's xavier) weights, zero biases."""
        for name, p in self.named_parameters():
            if name.endswith("_biases"):
                nn.init.zeros_(p)
            else:
                nn.init.xavier_uniform_(p)

    def projection(self, kind: str, j: int) -> torch.Tensor:
        return getattr(self, f"project_{kind}_{j}")

    def weights(self, d: int) -> torch.Tensor:
        return getattr(self, f"cell_{d}_weights")

    def biases(self, d: int) -> torch.Tensor:
        return getattr(self, f"cell_{d}_biases")

    def zero_state(self, batch: int, device=None, dtype=None):
        z = torch.zeros(batch, self.num_units, device=device, dtype=dtype)
        return [z] * self.num_dims, [z] * self.num_dims

    def forward(self, x: torch.Tensor, state=None):
        if state is None:
            state = self.zero_state(x.shape[0], x.device, x.dtype)
        c, m = list(state[0]), list(state[1])
        # 1. Input dims: their (c, m) are overwritten by projections of their chunk.
        for k, j in enumerate(self.input_dims):
            xj = x[:, k * self.chunk : (k + 1) * self.chunk]
            m[j] = xj @ self.projection("m", j)
            c[j] = xj @ self.projection("c", j)
        new_c: list = [None] * self.num_dims
        new_m: list = [None] * self.num_dims

        def propagate(dims):
            # H is built once per group: new hidden vectors where they exist.
            h = torch.cat([new_m[d] if new_m[d] is not None else m[d] for d in range(self.num_dims)], dim=1)
            for d in dims:
                i, jg, f, o = (h @ self.weights(d) + self.biases(d)).chunk(4, dim=1)
                new_c[d] = torch.sigmoid(f + self.forget_bias) * c[d] + torch.sigmoid(i) * torch.tanh(jg)
                new_m[d] = torch.sigmoid(o) * torch.tanh(new_c[d])

        # 2. Non-priority dims first, then the priority dims see their new outputs.
        propagate(self.non_priority_dims)
        propagate(self.priority_dims)
        out = torch.cat([new_m[d] for d in self.output_dims], dim=1)
        return out, (new_c, new_m)

    def extra_repr(self) -> str:
        return (
            f"input_size={self.input_size}, num_units={self.num_units}, num_dims={self.num_dims}, "
            f"input_dims={self.input_dims}, priority_dims={self.priority_dims}, output_dims={self.output_dims}"
        )

    def reference_scan(self, xs: torch.Tensor) -> torch.Tensor:
        """Run the cell over a sequence, one readable step at a time.

        Parameters
        ----------
        xs : (B, T, input_size) tensor

        Returns
        -------
        (B, T, n * len(output_dims)) tensor
        """
        state = None
        outs = []
        for t in range(xs.shape[1]):
            out, state = self(xs[:, t], state)
            outs.append(out)
        return torch.stack(outs, dim=1)


def full_precision(device):
    """A context in which ``torch.autocast`` is off for ``device``'s kind (a no-op where it is off).

    The Grid LSTM runs in the precision of its weights under autocast too: its scan writes
    into float32 buffers (``out=`` and in-place products), which autocast's lower-precision
    products cannot feed (a training step raised), and inference mixed the two (0.36 % of the
    pixels of a page flipped, with no error).  The scan is bound by the number of operations,
    not their arithmetic, so lower precision would buy little there.
    """
    kind = torch.device(device).type
    if torch.amp.is_autocast_available(kind) and torch.is_autocast_enabled(kind):
        return torch.autocast(kind, enabled=False)
    return contextlib.nullcontext()


def full_precision_input(x: torch.Tensor) -> torch.Tensor:
    """``x`` in float32 if autocast (or a caller) made it float16/bfloat16, else ``x`` itself."""
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


def _check_fast_layout(cell: GridLSTMCell) -> None:
    n_dims = cell.num_dims
    if (
        cell.input_dims != tuple(range(n_dims - 1))
        or cell.priority_dims != (0,)
        or cell.output_dims != (0,)
    ):
        raise ValueError(
            "grid_scan handles cells whose input dims are 0..N-2, whose one recurrent dim is N-1, "
            "and whose priority and output dim is 0 (both layers of the binarizer); "
            "use GridLSTMCell.reference_scan for others"
        )


_GATE_ORDERS: dict = {}


def _gate_major_order(n: int, k: int, cols: int, device: torch.device):
    """Column permutations of :func:`_stacked_weights` (``w_in``'s, ``w_rec``'s, ``w_pri``'s) on ``device``.

    Built on the CPU and copied to the device once per (n, k, cols, device), not at every call
    (on a GPU, every training step and inference batch made six blocking host-to-device copies).
    """
    key = (n, k, cols, str(device))
    if key not in _GATE_ORDERS:
        with torch.inference_mode(False):  # made in inference, kept for training too
            _GATE_ORDERS[key] = _gate_major_permutations(n, k, cols, device)
    return _GATE_ORDERS[key]


def _gate_major_permutations(n: int, k: int, cols: int, device: torch.device):
    order = (0, 2, 3, 1)
    perm_nonpri = torch.tensor([d * 4 * n + g * n + u for g in order for d in range(k) for u in range(n)])
    perm_pri = torch.tensor([g * n + u for g in order for u in range(n)])
    perm_in = torch.cat([perm_nonpri, k * 4 * n + perm_pri, torch.arange((k + 1) * 4 * n, cols)])
    return tuple(p.to(device) for p in (perm_in, perm_nonpri, perm_pri))


def _stacked_weights(cells: Sequence[GridLSTMCell]):
    """Rearrange D cells' parameters for grid_scan (differentiable: built each call).

    Returns ``w_in`` (D, input_size + 1, cols), whose last row holds the biases,
    ``w_rec`` (D, n, 4 k n) and ``w_pri`` (D, k n, 4 n).  Gate columns are gate-major
    (``i, f, o, j``, each covering every dimension), and the ``j`` columns are doubled.
    """
    c0 = cells[0]
    n, nd = c0.num_units, c0.num_dims
    n_in = nd - 1  # input dims 0..N-2
    w_in, b_in, w_rec, w_pri = [], [], [], []
    for cell in cells:
        _check_fast_layout(cell)
        pm = [cell.projection("m", j) for j in range(n_in)]
        pc = [cell.projection("c", j) for j in range(n_in)]
        cols = []
        # Input part of the gates of non-priority dims 1..N-1: sum_j x_j P^m_j W_d[j].
        for d in range(1, nd):
            wd = cell.weights(d)
            cols.append(torch.block_diag(*pm) @ wd[: n_in * n])
        # Input part of the priority dim 0's gates: only m_0 = x_0 P^m_0 is an input there.
        w0 = cell.weights(0)
        cols.append(torch.cat([pm[0] @ w0[:n], pm[0].new_zeros((n_in - 1) * c0.chunk, 4 * n)], dim=0))
        # Memories of the input dims, which are projections too.
        cols.append(torch.block_diag(*pc))
        w_in.append(torch.cat(cols, dim=1))
        fb = torch.zeros(4 * n, device=w0.device, dtype=w0.dtype)
        fb[2 * n : 3 * n] = cell.forget_bias
        biases = [cell.biases(d) + fb for d in range(1, nd)] + [cell.biases(0) + fb]
        b_in.append(torch.cat(biases + [w0.new_zeros(n_in * n)]))
        # Recurrent part: m_{N-1} from the previous step into dims 1..N-1 ...
        w_rec.append(torch.cat([cell.weights(d)[n_in * n :] for d in range(1, nd)], dim=1))
        # ... and the new m_1..m_{N-1} into the priority dim 0.
        w_pri.append(w0[n:])
    w_in, b_in, w_rec, w_pri = torch.stack(w_in), torch.stack(b_in), torch.stack(w_rec), torch.stack(w_pri)
    # Gate-major column order: [i, f, o] of every dim, then j, so that one sigmoid
    # and one tanh each cover a contiguous block (TF's order is i, j, f, o per dim).
    k = nd - 1
    perm_in, perm_nonpri, perm_pri = _gate_major_order(n, k, w_in.shape[-1], w_in.device)
    # tanh(x) = 2 sigmoid(2x) - 1: with the j columns doubled here, one sigmoid pass covers every
    # gate of a step and tanh(j) is one more pass over j (see _Recurrence.run).
    w_in = torch.cat([w_in, b_in[:, None, :]], dim=1)[..., perm_in]
    w_rec, w_pri = w_rec[..., perm_nonpri], w_pri[..., perm_pri]
    k_n = k * n
    col_scale = w_in.new_ones(w_in.shape[-1])
    col_scale[3 * k_n : 4 * k_n] = 2
    col_scale[4 * k_n + 3 * n : 4 * k_n + 4 * n] = 2
    w_in, w_rec, w_pri = w_in * col_scale, w_rec * col_scale[: 4 * k_n], w_pri * col_scale[4 * k_n : 4 * k_n + 4 * n]
    # The biases are w_in's last row, read by a constant-1 input: one product then gives every
    # step's input terms with their biases, without a pass that first fills 200 MB with biases.
    return w_in, w_rec, w_pri


def grid_scan(cells: Sequence[GridLSTMCell], xs: torch.Tensor, time_chunk: int | None = None) -> torch.Tensor:
    """Run D independent cells over D sequences at once: the fast path.

    The cells must have the binarizer's layout: input dimensions ``0..N-2``,
    one recurrent dimension ``N-1``, priority and output dimension 0.  Each
    step then needs only two small batched products: the carried hidden
    vector into dimensions 1..N-1, and their new hidden vectors into the
    priority dimension.  The inputs' share of the priority dimension's gates
    and the input dimensions' memories are computed before the loop, for
    many steps in one product (``time_chunk`` steps at a time in inference,
    so memory stays bounded); their share of the other gates is computed in
    the loop, one product per step, into a buffer the step's recurrent
    product then adds to and its activations overwrite, while it is in cache.

    Without autograd (inference), the loop writes into buffers allocated once,
    which avoids thousands of allocations per page.

    Parameters
    ----------
    cells : sequence of D GridLSTMCell
        One per sequence set (e.g. the four corner readers); same sizes.
    xs : (D, B, T, input_size) tensor
        ``xs[k]`` is read by ``cells[k]``, front to back.
    time_chunk : int, optional
        Steps whose input terms are precomputed together (inference only).
        Default: the largest power of two (it divides the block's 64, 256 or
        1,024 steps) that keeps the precomputed block under about 32 MB: f8's
        6,080 columns per step would otherwise need 800 MB at 128 blocks.

    Returns
    -------
    (D, B, T, n) tensor
        The output dimension's hidden vector at every step.

    Under ``torch.autocast`` it computes in full precision (see :func:`full_precision`).
    """
    with full_precision(xs.device):
        return _grid_scan(cells, full_precision_input(xs), time_chunk)


def _grid_scan(cells, xs, time_chunk):
    w_in, w_rec, w_pri = _stacked_weights(cells)
    n, k = cells[0].num_units, cells[0].num_dims - 1
    steps = xs.shape[2]
    x_tm = _time_major(xs)
    if torch.is_grad_enabled() and (xs.requires_grad or w_in.requires_grad):
        # Training: the whole scan is one autograd node with a hand-written backward (_GridScan),
        # instead of ~20 recorded ops per step.
        return _GridScan.apply(x_tm, w_in, w_rec, w_pri, n, k, steps).transpose(1, 2)
    return _scan_inference(w_in, w_rec, w_pri, n, k, x_tm, steps, time_chunk).transpose(1, 2)


def grid_scan_step_major(cells: Sequence[GridLSTMCell], x_steps: torch.Tensor,
                         time_chunk: int | None = None) -> torch.Tensor:
    """:func:`grid_scan` for inference on inputs already laid out step by step.

    The model's inference path (:meth:`GridLSTMBinarizer.forward` without
    autograd) builds each layer's inputs in this layout directly from the
    previous layer's outputs, which saves the stacking, flipping and
    transposing copies that cost a quarter of a page's time.

    Parameters
    ----------
    cells : sequence of D GridLSTMCell
    x_steps : (D, T, B, input_size + 1) contiguous tensor
        ``x_steps[k, t]`` holds step t of the B sequences ``cells[k]`` reads,
        each row followed by a 1 (it reads the biases).
    time_chunk : int, optional
        See :func:`grid_scan`.

    Returns
    -------
    (D, T, B, n) tensor
        The output dimension's hidden vector at every step, step-major.
    """
    with full_precision(x_steps.device):
        return _grid_scan_step_major(cells, full_precision_input(x_steps), time_chunk)


def _grid_scan_step_major(cells, x_steps, time_chunk):
    w_in, w_rec, w_pri = _stacked_weights(cells)
    if torch.is_grad_enabled() and (x_steps.requires_grad or w_in.requires_grad):
        raise ValueError("grid_scan_step_major is for inference (no autograd); train through grid_scan")
    d_count, steps, batch, width = x_steps.shape
    if width != w_in.shape[1] or not x_steps.is_contiguous():
        raise ValueError(f"x_steps: expected a contiguous (D, T, B, {w_in.shape[1]}) tensor, got "
                         f"{tuple(x_steps.shape)}")
    n, k = cells[0].num_units, cells[0].num_dims - 1
    return _scan_inference(w_in, w_rec, w_pri, n, k, x_steps.view(d_count, steps * batch, width), steps, time_chunk)


def _scan_inference(w_in, w_rec, w_pri, n, k, x_tm, steps, time_chunk) -> torch.Tensor:
    """The scan without autograd over ``x_tm`` (D, T B, input_size + 1) (see :func:`_time_major`):
    the same recurrence as :class:`_GridScan`, ``time_chunk`` steps at a time, keeping only what
    the next chunk needs.  Returns (D, T, B, n).

    Each step's gate input terms are computed in the loop, into one buffer that stays in cache:
    precomputed, they would be written to memory and read back, and that traffic cost more than
    the product itself.  Only the priority dimension's and the memories' input terms are
    precomputed, a chunk of steps at a time, into one buffer reused for every chunk (fresh 30-MB
    blocks cost page faults).
    """
    d_count, rows, _ = x_tm.shape
    batch = rows // steps
    g_cols = 4 * k * n
    w_x, w_rest = w_in[..., :g_cols].contiguous(), w_in[..., g_cols:].contiguous()
    outs = x_tm.new_empty(d_count, steps, batch, n)
    if time_chunk is None:
        chunk_bytes = _CHUNK_BYTES if x_tm.device.type == "cpu" else _DEVICE_CHUNK_BYTES
        fit = max(1, chunk_bytes // (x_tm.element_size() * d_count * batch * w_rest.shape[-1]))
        time_chunk = 1 << (min(fit, steps).bit_length() - 1)
    time_chunk = min(time_chunk, steps)
    rec = _Recurrence(d_count, time_chunk, batch, n, k, x_tm, keep=False)
    rest = None
    for t0 in range(0, steps, time_chunk):
        t1 = min(steps, t0 + time_chunk)
        x_chunk = x_tm[:, t0 * batch : t1 * batch]
        if rest is None or rest.shape[1] != x_chunk.shape[1]:
            rest = x_tm.new_empty(d_count, x_chunk.shape[1], w_rest.shape[-1])
        chunk = torch.bmm(x_chunk, w_rest, out=rest).view(d_count, t1 - t0, batch, -1)
        m = rec.run(chunk, x_chunk.view(d_count, t1 - t0, batch, -1), w_x, w_rec)
        _priority(chunk, m, w_pri, n, k, out=outs[:, t0:t1])
    return outs


#: Size the inference path keeps each chunk of precomputed input terms under: on the CPU, what
#: stays near the cache; on a GPU, larger, so that a batch of thousands of blocks still
#: precomputes several steps in one product (f4 at 8192 blocks needs 63 MB per step).
_CHUNK_BYTES = 32 << 20
_DEVICE_CHUNK_BYTES = 512 << 20


def _time_major(xs: torch.Tensor) -> torch.Tensor:
    """``xs`` (D, B, T, w) as (D, T B, w + 1) rows, step-major, with a constant-1 last column
    (it reads the bias row of ``w_in``)."""
    d, b, steps, width = xs.shape
    buffer = xs.new_empty(d, steps, b, width + 1)
    buffer[..., width] = 1
    buffer[..., :width] = xs.transpose(1, 2)
    return buffer.view(d, steps * b, width + 1)


def _sigmoid_to_tanh_(s: torch.Tensor, minus_one: torch.Tensor | None = None) -> torch.Tensor:
    """``2 s - 1`` in place, one pass: tanh(x) for s = sigmoid(2x).  ``minus_one``: a 0-dim
    tensor -1 of s's dtype and device, for loops that would otherwise make one per call."""
    if minus_one is None:
        minus_one = s.new_full((), -1.0)
    return torch.add(minus_one, s, alpha=2, out=s)


def _tanh(x: torch.Tensor, out: torch.Tensor, minus_one: torch.Tensor | None = None) -> torch.Tensor:
    """tanh as ``2 sigmoid(2x) - 1``: equal up to float rounding (about 1e-7 in float32), and
    faster than ``torch.tanh`` on the x86 CPUs binkit was profiled on, where tanh was a large
    share of the scan's time (``benchmarks/bench_gridlstm.py`` times the whole scan)."""
    return _sigmoid_to_tanh_(torch.mul(x, 2, out=out).sigmoid_(), minus_one)


class _Recurrence:
    """Dimensions 1..N-1 of the scan, step by step: the only part that must be a loop.

    Only dimension N-1 carries its memory and hidden vector to the next step,
    and only dimensions 1..N-1 read it; the priority dimension 0 reads their
    new hidden vectors and feeds no later step (:func:`_priority` does it for
    many steps at once).  Buffers are allocated once for ``steps`` steps and
    reused for every chunk of a scan; the carried state survives between
    calls of :meth:`run`.

    With ``keep=True`` (training), each step also prepares its share of
    :class:`_GridScan`'s backward while its activations are still in cache:
    the gate buffer then holds, per gate, the factor its gradient
    is ``dc'`` (or ``dm'``) times (see :class:`_GridScan`), and the step
    keeps sigmoid(f) and ``o (1 - tanh(c')^2)``.  Done later, over all steps
    at once, the same arithmetic reads every activation back from memory.
    """

    def __init__(self, d, steps, b, n, k, like, keep: bool):
        new = like.new_empty
        self.n, self.k, self.keep = n, k, keep
        self.m = new(d, steps, b, k, n)  # new hidden vectors of dims 1..N-1, every step
        self.c = like.new_zeros(d, b, k, n)  # new memories; dim N-1's is carried to the next step
        self.m_prev = like.new_zeros(d, b, n)
        self.tc = new(d, b, k, n)  # tanh(c') of the step
        # constants of the step's arithmetic, made once rather than at every step
        self.minus_one, self.one, self.half = (like.new_full((), v) for v in (-1.0, 1.0, 0.5))
        if not keep:
            self.g = new(d, b, 4 * k * n)  # the step's gates
        if keep:
            self.scratch = new(d, b, k, n)
            self.c_last = new(d, b, n)  # dim N-1's memory before the step
            self.f = new(d, steps, b, k, n)  # sigmoid(f) of every step
            self.to_c = new(d, steps, b, k, n)  # o (1 - tanh(c')^2) of every step

    def run(self, rest, x, w_x, w_rec, gates=None) -> torch.Tensor:
        """Run the steps of ``x`` (D, T, B, input_size + 1), the inputs with their column of ones.

        ``rest`` (D, T, B, cols - 4 k n) holds every step's precomputed input terms after the
        gates' (see :func:`_stacked_weights`); ``w_x`` (D, input_size + 1, 4 k n) are the gate
        columns of ``w_in``: each step's gate input terms are computed here, where they stay in
        cache, into ``gates[:, t]`` (D, T, B, 4 k n) with ``keep=True``, else into one buffer.
        Returns the new hidden vectors (D, T, B, k, n).
        """
        n, k = self.n, self.k
        d, steps, b, _ = rest.shape
        c, tc = self.c, self.tc
        for t in range(steps):
            p = rest[:, t]
            if gates is None:
                g = torch.bmm(x[:, t], w_x, out=self.g)
            else:  # beta=0: the buffer's old contents are not read
                g = gates[:, t].baddbmm_(x[:, t], w_x, beta=0)
            g.baddbmm_(self.m_prev, w_rec)
            # gate-major layout (see _stacked_weights): sigmoid(i, f, o) and sigmoid(2 j) in one pass
            g.sigmoid_()
            i, f, o, tj = g.view(d, b, 4, k, n).unbind(2)
            _sigmoid_to_tanh_(tj, self.minus_one)
            c_in = p[..., 5 * n :].view(d, b, k - 1, n)  # the input dims' memories: projections
            if self.keep:
                self.c_last.copy_(c[:, :, -1])
                self.f[:, t] = f
            # c' = f c + i j; dim N-1's memory is carried
            if k > 1:
                torch.mul(f[:, :, :-1], c_in, out=c[:, :, :-1])
            c[:, :, -1].mul_(f[:, :, -1])
            c.addcmul_(i, tj)
            _tanh(c, out=tc, minus_one=self.minus_one)
            torch.mul(o, tc, out=self.m[:, t])
            self.m_prev = self.m[:, t, :, -1]
            if self.keep:
                self._factors(t, i, f, o, tj, c_in)
        return self.m[:, :steps]

    def _factors(self, t, i, f, o, tj, c_in) -> None:
        """Overwrite step t's gate activations with their gradients' factors (see :class:`_GridScan`)."""
        tc = self.tc
        torch.addcmul(self.one, tc, tc, value=-1, out=self.to_c[:, t]).mul_(o)  # o (1 - tanh(c')^2)
        torch.addcmul(i, i, i, value=-1, out=self.scratch).mul_(tj)  # i (1 - i) j
        torch.addcmul(self.half, tj, tj, value=-0.5, out=tj).mul_(i)  # i (1 - j^2) / 2
        i.copy_(self.scratch)
        o.addcmul_(o, o, value=-1).mul_(tc)  # o (1 - o) tanh(c')
        f.addcmul_(f, f, value=-1)  # f (1 - f) c, c the memory before the step
        if self.k > 1:
            f[:, :, :-1].mul_(c_in)
        f[:, :, -1].mul_(self.c_last)


def _priority(rest, m, w_pri, n, k, out=None):
    """Dimension 0 of many steps at once, from their input terms and the new m of dims 1..N-1.

    ``rest`` (D, T, B, 4 n + k n) holds every step's input terms after the
    non-priority gates' (priority gates, then the memories).  The priority
    gates are computed in place there (which then holds sigmoid(i0, f0, o0)
    and tanh(j0) of every step).  Returns the output (D, T, B, n) (written to
    ``out`` if given) and, for the backward, tanh(c0).
    """
    d, steps, b, _ = rest.shape
    rows = steps * b
    g0 = rest[..., : 4 * n]
    g0.view(d, rows, 4 * n).baddbmm_(m.reshape(d, rows, k * n), w_pri)
    i0, f0, o0, tj0 = g0.sigmoid_().view(d, steps, b, 4, n).unbind(3)
    _sigmoid_to_tanh_(tj0)
    c0 = torch.mul(i0, tj0).addcmul_(f0, rest[..., 4 * n : 5 * n])
    tc0 = _tanh(c0, out=c0)
    return torch.mul(o0, tc0, out=out), tc0


class _GridScan(torch.autograd.Function):
    """The scan of :func:`grid_scan` over all steps, with its backward written out.

    Only the recurrent dimension N-1 carries state from step to step, and only
    the non-priority dimensions 1..N-1 read it, so only they need a loop.  The
    priority dimension 0 reads their new hidden vectors but feeds nothing
    forward: forward computes it for every step at once after the loop.
    Backward mirrors that: dimension 0's gradients and what they send to
    dimensions 1..N-1 (one large product) are computed for all steps at once,
    so are the input dimensions' (their memories come from the inputs, not
    from the previous step); the loop, in reverse, carries only dimension
    N-1's two n-wide gradients.  The weights' gradients are one product each
    at the end.  One autograd node for the whole scan, instead of some twenty
    recorded operations per step.  ``tests/test_gridlstm.py`` checks values
    and gradients against autograd through the per-step reference
    (:meth:`GridLSTMCell.reference_scan`) in float64.

    For a dimension with gates ``i, f, o`` (sigmoids) and ``j`` (tanh), memory
    ``c``, ``c' = f c + i j`` and ``m' = o tanh(c')``, the gradients of the
    gates' pre-activations are ``dc' j i(1-i)``, ``dc' c f(1-f)``,
    ``dm' tanh(c') o(1-o)`` and ``dc' i (1-j^2)``, with
    ``dc' = dm' o (1 - tanh(c')^2)`` plus what flows back from step t+1.
    The ``j`` columns are doubled (:func:`_stacked_weights`), which halves
    the last of these.

    Inputs: ``x_tm`` (D, T B, input_size + 1), the inputs step-major with a
    column of ones (:func:`_time_major`); ``w_in`` (D, input_size + 1, cols),
    ``w_rec`` (D, n, 4 k n), ``w_pri`` (D, k n, 4 n) from
    :func:`_stacked_weights`; ``n`` units; ``k`` non-priority dimensions;
    ``steps`` T.  Output: (D, T, B, n), the priority dimension's new hidden
    vector per step.
    """

    @staticmethod
    def forward(ctx, x_tm, w_in, w_rec, w_pri, n, k, steps):
        d, rows, _ = x_tm.shape
        b = rows // steps
        g_cols = 4 * k * n
        rest = torch.bmm(x_tm, w_in[..., g_cols:]).view(d, steps, b, -1)
        gates = x_tm.new_empty(d, steps, b, g_cols)
        rec = _Recurrence(d, steps, b, n, k, x_tm, keep=True)
        m = rec.run(rest, x_tm.view(d, steps, b, -1), w_in[..., :g_cols].contiguous(), w_rec, gates)
        out, tc0 = _priority(rest, m, w_pri, n, k)
        # gates now holds dims 1..N-1's gradient factors, rest dim 0's activations, every step
        ctx.save_for_backward(x_tm, w_in, gates, rest, w_rec, w_pri, rec.f, rec.to_c, m, tc0)
        ctx.n, ctx.k = n, k
        return out

    @staticmethod
    def backward(ctx, d_out):
        with full_precision(d_out.device):  # a backward called inside torch.autocast, too
            return _GridScan._backward(ctx, full_precision_input(d_out))

    @staticmethod
    def _backward(ctx, d_out):
        x_tm, w_in, gates, rest, w_rec, w_pri, f, to_c, m, tc0 = ctx.saved_tensors
        n, k = ctx.n, ctx.k
        d, steps, b, g_cols = gates.shape
        cols, rows = w_in.shape[-1], steps * b
        factors = gates.view(d, steps, b, 4, k, n)  # see _Recurrence._factors
        i0, f0, o0, tj0 = rest[..., : 4 * n].view(d, steps, b, 4, n).unbind(3)
        c_in0 = rest[..., 4 * n : 5 * n]
        # The gradient of every step's input terms (w_in's columns), filled in place through views.
        d_pre = rest.new_empty(d, steps, b, cols)
        d_gates = d_pre[..., :g_cols].view(d, steps, b, 4, k, n)
        d_gates0 = d_pre[..., g_cols : g_cols + 4 * n].view(d, steps, b, 4, n)

        def sigmoid_slope(x):  # x (1 - x), for x = sigmoid(.)
            return torch.addcmul(x, x, x, value=-1)

        one, half = rest.new_ones(()), rest.new_full((), 0.5)

        def tanh_slope(x):  # 1 - x^2, for x = tanh(.), in one pass
            return torch.addcmul(one.expand_as(x), x, x, value=-1)

        def j_slope(x):  # (1 - x^2) / 2, for x = tanh(j): the slope in the doubled j column
            return torch.addcmul(half.expand_as(x), x, x, value=-0.5)

        # dim 0, every step: out = o0 tanh(c0), c0 = f0 c_in0 + i0 j0
        dc0 = tanh_slope(tc0).mul_(o0).mul_(d_out)
        torch.mul(sigmoid_slope(i0).mul_(tj0), dc0, out=d_gates0[..., 0, :])
        torch.mul(sigmoid_slope(f0).mul_(c_in0), dc0, out=d_gates0[..., 1, :])
        torch.mul(sigmoid_slope(o0).mul_(tc0), d_out, out=d_gates0[..., 2, :])
        torch.mul(j_slope(tj0).mul_(i0), dc0, out=d_gates0[..., 3, :])
        torch.mul(dc0, f0, out=d_pre[..., g_cols + 4 * n : g_cols + 5 * n])
        del dc0
        # what dim 0 sends to the new m of dims 1..N-1, every step at once
        dm = torch.bmm(d_gates0.reshape(d, rows, 4 * n), w_pri.transpose(1, 2)).view(d, steps, b, k, n)
        # the input dims 1..N-2 receive nothing from step t+1: finish them for every step at once
        if k > 1:
            dm_in = dm[..., :-1, :]
            dc_in = dm_in * to_c[..., :-1, :]  # dc' = dm' o (1 - tanh(c')^2)
            torch.mul(factors[..., 0:2, :-1, :], dc_in[..., None, :, :], out=d_gates[..., 0:2, :-1, :])
            torch.mul(factors[..., 2, :-1, :], dm_in, out=d_gates[..., 2, :-1, :])
            torch.mul(factors[..., 3, :-1, :], dc_in, out=d_gates[..., 3, :-1, :])
            torch.mul(dc_in, f[..., :-1, :], out=d_pre[..., g_cols + 5 * n :].view(d, steps, b, k - 1, n))
            del dc_in
        # their share of what step t's gates send back to step t-1's m through w_rec, all steps at once
        d_gates[..., -1, :] = 0
        w_rec_t = w_rec.transpose(1, 2)  # (D, 4 k n, n)
        carry_in = torch.bmm(d_gates.view(d, rows, g_cols), w_rec_t).view(d, steps, b, n)
        w_rec_last = w_rec_t.reshape(d, 4, k, n, n)[:, :, -1].reshape(d, 4 * n, n)
        # dim N-1, step by step in reverse, carrying dm and dc to the step before
        d_last = rest.new_empty(d, steps, b, 4, n)
        factors_last = factors[..., -1, :]
        to_c_last, f_last, dm_last = to_c[..., -1, :], f[..., -1, :], dm[..., -1, :]
        dm_carry, dc_carry = rest.new_zeros(d, b, n), rest.new_zeros(d, b, n)
        for t in reversed(range(steps)):
            dm_r = dm_last[:, t] + dm_carry
            dc_r = torch.addcmul(dc_carry, dm_r, to_c_last[:, t])
            dg = d_last[:, t]
            torch.mul(factors_last[:, t], dc_r[:, :, None], out=dg)
            torch.mul(factors_last[:, t, :, 2], dm_r, out=dg[:, :, 2])
            dc_carry = dc_r * f_last[:, t]
            dm_carry = torch.baddbmm(carry_in[:, t], dg.view(d, b, 4 * n), w_rec_last)
        d_gates[..., -1, :] = d_last
        # weights: sum over steps of input^T @ d(gates), one product each
        m_prev = torch.cat([m.new_zeros(d, 1, b, n), m[:, :-1, :, -1]], dim=1).view(d, rows, n)
        d_w_rec = torch.bmm(m_prev.transpose(1, 2), d_gates.view(d, rows, g_cols))
        d_w_pri = torch.bmm(m.view(d, rows, k * n).transpose(1, 2), d_gates0.reshape(d, rows, 4 * n))
        d_pre = d_pre.view(d, rows, cols)
        d_x = torch.bmm(d_pre, w_in.transpose(1, 2)) if ctx.needs_input_grad[0] else None
        d_w_in = torch.bmm(x_tm.transpose(1, 2), d_pre) if ctx.needs_input_grad[1] else None
        return d_x, d_w_in, d_w_rec, d_w_pri, None, None, None
