"""One plotting style for the whole course.

Every overlay in binkit uses the same colour code, so a learner reads an
error picture the same way in every notebook:

* correct ink (true positive): **black**
* false positive (page predicted as ink): **orange** (Okabe-Ito vermillion)
* false negative (ink the method missed): **blue** (Okabe-Ito blue)
* correct page (true negative): **white**

Orange against blue stays distinct under the common colour-vision
deficiencies (red-green and blue-yellow), and the line colours ``C0``..``C7``
follow the same Okabe-Ito palette.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .io import as_mask
from .metrics import MEASURES
from .results import format_table

__all__ = [
    "live",
    "single_threaded",
    "update_figure",
    "COLORS",
    "FIGURE_WIDTH",
    "PALETTE",
    "error_overlay",
    "metrics_table",
    "show_images",
    "text_table",
    "use_style",
    "weighted_error_overlay",
]

#: RGB colours in [0, 1] for the four outcomes of a pixel.
COLORS = {
    "tp": (0.0, 0.0, 0.0),
    "fp": (0.835, 0.369, 0.0),
    "fn": (0.0, 0.447, 0.698),
    "tn": (1.0, 1.0, 1.0),
}

#: Okabe & Ito's colour-blind-safe palette (2008), the line colours C0..C7.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#56B4E9", "#CC79A7", "#F0E442", "#000000")

#: Width in inches of every course figure (heights vary with the content).
FIGURE_WIDTH = 9.0

_STYLE = {
    "figure.dpi": 100,
    "figure.figsize": (FIGURE_WIDTH, 4),
    "image.cmap": "gray",
    "image.interpolation": "nearest",
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 9,
}


def use_style() -> None:
    """Apply binkit's matplotlib style (grey images, nearest-neighbour pixels, small titles)."""
    import matplotlib as mpl

    mpl.rcParams.update(_STYLE)
    mpl.rcParams["axes.prop_cycle"] = mpl.cycler(color=list(PALETTE))


def error_overlay(pred, gt) -> np.ndarray:
    """Colour each pixel by its outcome: TP black, FP orange, FN blue, TN white.

    Parameters
    ----------
    pred, gt : (H, W) ndarray of bool
        A binarization and its ground truth (True = ink in both).

    Returns
    -------
    rgb : (H, W, 3) ndarray of float32
    """
    pred, gt = as_mask(pred, "pred"), as_mask(gt, "gt")
    if pred.shape != gt.shape:
        raise InputError(f"pred and gt differ in shape: pred {pred.shape}, gt {gt.shape}")
    # one gather from a 4-colour table (index 2 pred + gt) instead of four masked writes: widgets redraw this
    code = pred.astype(np.uint8)
    code <<= 1
    code |= gt
    return np.take(_OUTCOME_RGB, code, axis=0)


#: The colours of :func:`error_overlay` by outcome index ``2 pred + gt``: TN, FN, FP, TP.
_OUTCOME_RGB = np.array([COLORS["tn"], COLORS["fn"], COLORS["fp"], COLORS["tp"]], np.float32)
_OUTCOME_RGB.setflags(write=False)


def show_images(images: Sequence[np.ndarray], titles: Sequence[str] | None = None, *, ncols=None, size=3.2):
    """Show grey images, masks (True = ink, drawn black) or RGB arrays side by side.

    Parameters
    ----------
    images : sequence of ndarray
        (H, W) float in [0, 1], (H, W) bool masks, or (H, W, 3) RGB.
    titles : sequence of str, optional
    ncols : int, optional
        Columns in the grid (default: all in one row).
    size : float
        Height of one panel in inches.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    n = len(images)
    ncols = ncols or n
    nrows = -(-n // ncols)
    first = np.asarray(images[0])
    aspect = first.shape[1] / first.shape[0]
    fig, axes = plt.subplots(nrows, ncols, figsize=(min(16, size * aspect * ncols), size * nrows), squeeze=False)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    for k, img in enumerate(images):
        ax = axes.ravel()[k]
        a = np.asarray(img)
        if a.dtype == bool:
            a = (~a).astype(np.float32)  # ink drawn black on white
        ax.imshow(a, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.axis("off")
        if titles is not None:
            ax.set_title(titles[k])
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------
# weighted errors (notebook 01)


from ._checks import check_fraction  # noqa: E402
from ._errors import InputError  # noqa: E402


def weighted_error_overlay(pred, gt, weights, *, floor: float = 0.15) -> np.ndarray:
    """Error overlay whose colour strength shows what each error costs in the pseudo-F-measure.

    The colours are those of :func:`error_overlay` (TP black, FP orange, FN
    blue, TN white), but a wrong pixel is blended from white towards its
    colour by an intensity ``t`` in [0, 1] that follows its pseudo-F weight
    (Ntirogiannis, Gatos, Pratikakis 2013; see :func:`binkit.metrics.pseudo_weights`):

    * false positive: ``t = (1 + PW') / 3``, where ``PW'`` is the stored
      precision weight (PW - 1, in [0, 2]).  An FP far from the text weighs 1
      (pale orange, ``t = 1/3``); one that would thicken or merge strokes weighs
      up to 3 (full orange).
    * false negative: ``t = floor + (1 - floor) min(GW, 1)``, GW the recall
      weight (about 1 in the middle of a thin stroke, 0 on the stroke's
      contour).  The small ``floor`` keeps every miss visible, even those the
      pseudo-recall does not charge at all.

    Parameters
    ----------
    pred, gt : (H, W) ndarray of bool
        Prediction and ground truth, True = ink.
    weights : (recall_weights, precision_weights)
        Two (H, W) float arrays in the convention of
        :func:`binkit.metrics.pseudo_weights` (GW, and PW - 1), computed
        from ``gt``.
    floor : float in [0, 1], default 0.15
        Intensity of a false negative of weight 0.

    Returns
    -------
    rgb : (H, W, 3) ndarray of float32
        In [0, 1].

    Raises
    ------
    binkit.InputError
        Masks that are not 2-D bool (or 0/1), shapes that differ, weights that
        are not a pair of arrays of the masks' shape, or a bad ``floor``.

    Examples
    --------
    >>> import numpy as np
    >>> from binkit.metrics import pseudo_weights
    >>> gt = np.zeros((20, 20), bool); gt[5:15, 8:12] = True
    >>> pred = gt.copy(); pred[5:15, 12] = True; pred[10, 8] = False
    >>> rgb = weighted_error_overlay(pred, gt, pseudo_weights(gt))
    >>> rgb.shape, rgb.dtype, rgb[0, 0].tolist(), rgb[6, 9].tolist()
    ((20, 20, 3), dtype('float32'), [1.0, 1.0, 1.0], [0.0, 0.0, 0.0])
    """
    pred, gt = as_mask(pred, "pred"), as_mask(gt, "gt")
    if pred.shape != gt.shape:
        raise InputError(f"pred and gt differ in shape: pred {pred.shape}, gt {gt.shape}")
    try:
        rw, pw = (np.asarray(w, dtype=np.float64) for w in weights)
    except (TypeError, ValueError):
        raise InputError(
            "weights: expected a (recall_weights, precision_weights) pair of (H, W) arrays"
        ) from None
    for name, w in (("recall_weights", rw), ("precision_weights", pw)):
        if w.shape != gt.shape:
            raise InputError(f"{name}: shape {w.shape} differs from gt shape {gt.shape}")
    floor = check_fraction("floor", floor)

    fp = pred & ~gt
    fn = ~pred & gt
    t = np.zeros(gt.shape, np.float32)
    t[fp] = np.clip((1.0 + pw[fp]) / 3.0, 0.0, 1.0)
    t[fn] = floor + (1.0 - floor) * np.clip(rw[fn], 0.0, 1.0)
    rgb = np.empty(gt.shape + (3,), np.float32)
    rgb[:] = COLORS["tn"]
    rgb[pred & gt] = COLORS["tp"]
    for mask, colour in ((fp, COLORS["fp"]), (fn, COLORS["fn"])):
        white = np.asarray(COLORS["tn"], np.float32)
        rgb[mask] = white + t[mask, None] * (np.asarray(colour, np.float32) - white)
    return rgb


# ---------------------------------------------------------------------------
# plain-text tables (no pandas needed)



def text_table(header: Sequence[str], rows: Sequence[Sequence], *, digits: int = 2) -> str:
    """Format rows as an aligned plain-text table.

    A thin adapter over :func:`binkit.results.format_table`, binkit's one
    text-table formatter, for rows given as sequences.

    Parameters
    ----------
    header : sequence of str
        Column headings.
    rows : sequence of sequences
        One sequence per row, as long as ``header``.  Strings are left-aligned,
        numbers right-aligned with ``digits`` decimals (``nan`` and ``inf``
        as such), ``None`` is an empty cell.
    digits : int, default 2

    Returns
    -------
    table : str
        Heading, a rule, then one line per row (no trailing newline).

    Examples
    --------
    >>> print(text_table(["page", "FM"], [["a", 91.234], ["b", 7.5]]))
    page     FM
    ----  -----
    a     91.23
    b      7.50
    """
    for k, row in enumerate(rows):
        if len(row) != len(header):
            raise InputError(f"row {k} has {len(row)} cells, the header {len(header)}")
    # positions as column keys: never a measure key, so no measure's scale applies
    return format_table([dict(enumerate(row)) for row in rows], range(len(header)), digits=digits,
                        headings=dict(enumerate(header)))


def metrics_table(scores, keys: Sequence[str] = ("fm", "fps", "psnr", "drd", "nrm", "mpm"),
                  *, digits: int | None = None, label: str = "") -> str:
    """Format :func:`binkit.metrics.evaluate` results as a plain-text table.

    A thin adapter over :func:`binkit.results.format_table`: one row per
    name, one column per measure, headed, scaled and rounded as
    :data:`binkit.metrics.MEASURES` says (NRM x 10^2 and MPM x 10^3, as in
    the contest tables).

    Parameters
    ----------
    scores : mapping of str to dict, or sequence of (str, dict)
        Row name -> the dict returned by :func:`binkit.metrics.evaluate`.
    keys : sequence of str
        Which measures, in order; keys of :data:`binkit.metrics.MEASURES`.
    digits : int, optional
        Decimals of every measure; default each measure's own (2).
    label : str
        Heading of the first column.

    Returns
    -------
    table : str

    Examples
    --------
    >>> print(metrics_table({"Otsu": {"fm": 93.45, "nrm": 0.0161}}, keys=("fm", "nrm"), label="method"))
    method     FM  NRM×10²
    ------  -----  -------
    Otsu    93.45     1.61
    """
    items = list(scores.items()) if hasattr(scores, "items") else list(scores)
    keys = list(keys)
    unknown = [k for k in keys if k not in MEASURES]
    if unknown:
        raise InputError(f"unknown measure(s) {unknown}; choose from {list(MEASURES)}")
    # the name column is keyed by position 0: never a measure key
    rows = [{0: str(name), **{k: s[k] for k in keys}} for name, s in items]
    return format_table(rows, [0] + keys, digits=digits, headings={0: label})


_BLAS_THREADS = ("openblas_get_num_threads", "openblas_set_num_threads")


def _blas_libraries() -> list:
    """(get, set) thread-count functions of every OpenBLAS loaded in this process (numpy's, scipy's).

    Found through ``/proc/self/maps`` and ctypes, under the names OpenBLAS
    builds export (plain, ``64_``-suffixed, or ``scipy_``-prefixed as in the
    numpy and scipy wheels).  Empty where there is none or no ``/proc``
    (then :func:`single_threaded` does nothing).
    """
    import ctypes
    from pathlib import Path

    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return []
    paths = sorted({ln.split()[-1] for ln in maps.splitlines()
                    if "openblas" in ln.lower() and ln.split()[-1].startswith("/")})
    found = []
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("", "scipy_"):
            for suffix in ("", "64_", "_64_"):
                try:
                    get = getattr(lib, prefix + _BLAS_THREADS[0] + suffix)
                    put = getattr(lib, prefix + _BLAS_THREADS[1] + suffix)
                except AttributeError:
                    continue
                get.restype, get.argtypes, put.restype, put.argtypes = ctypes.c_int, [], None, [ctypes.c_int]
                found.append((get, put))
                break
            else:
                continue
            break
    return found


class single_threaded:
    """Run a block with numpy's and scipy's BLAS and torch's intra-op pool on one thread, then restore them.

    A context manager, for widget redraws.  On a 2-core machine busy with
    other work, a pool of threads waiting for one another costs more than it
    saves on the small arrays of a redraw: OpenBLAS split even a 256 x 256
    product among its threads (20-40 ms instead of 1 ms; the 3-D plot of
    notebook 09 took half a second more), and torch's two OpenMP threads,
    asleep between redraws, took 17-170 ms to compute notebook 05's three
    losses of a small page that one thread computes in 1.5 ms (measured with
    ``benchmarks/bench_widgets.py`` and in the notebooks' kernels).
    :func:`live` runs every redraw in one.  BLAS through ``threadpoolctl``
    when it is installed, else through OpenBLAS's own functions (nothing where
    neither is found); torch only when it is already imported.

    Examples
    --------
    >>> import numpy as np
    >>> with single_threaded():
    ...     float((np.ones((64, 64)) @ np.ones((64, 64)))[0, 0])
    64.0
    """

    _libs: list | None = None

    def __enter__(self):
        import sys

        self._torch = None
        torch = sys.modules.get("torch")
        if torch is not None and hasattr(torch, "get_num_threads"):
            self._torch = (torch, torch.get_num_threads())
            if self._torch[1] != 1:
                torch.set_num_threads(1)
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            threadpool_limits = None
        self._limits, self._saved = None, []
        if threadpool_limits is not None:
            self._limits = threadpool_limits(1, user_api="blas")
            return self
        if not single_threaded._libs:
            single_threaded._libs = _blas_libraries()   # scipy's may be loaded later than numpy's
        for get, put in single_threaded._libs:
            n = get()
            self._saved.append((put, n))
            if n != 1:
                put(1)
        return self

    def __exit__(self, *exc):
        if self._torch is not None and self._torch[1] != 1:
            self._torch[0].set_num_threads(self._torch[1])
        if self._limits is not None:
            self._limits.restore_original_limits()
        for put, n in self._saved:
            if n != 1:
                put(n)
        return False
        for put, n in self._saved:
            if n != 1:
                put(n)
        return False


def _inline_png_only() -> bool:
    """True when IPython's inline backend shows figures as plain PNG with ``bbox_inches="tight"`` (its default)."""
    try:
        from matplotlib_inline.config import InlineBackend

        cfg = InlineBackend.instance()
    except Exception:  # noqa: BLE001 - no inline backend: let IPython format the figure
        return False
    return set(cfg.figure_formats) == {"png"} and dict(cfg.print_figure_kwargs) == {"bbox_inches": "tight"}


def _png_drawn_once(fig) -> bytes | None:
    """``fig`` as the inline backend shows it (PNG, tight bounding box), drawn once instead of twice.

    ``bbox_inches="tight"`` makes matplotlib draw a figure twice: once to find
    the extent of its artists, once more into a canvas of that size, and for
    the 2 x 2 image grid of notebook 02 each draw resamples four images.  A
    live redraw draws the figure once, takes the tight bounding box from that
    draw and crops the canvas to it (padded by ``savefig.pad_inches``, like
    the inline backend).  ``None`` (the caller then lets IPython format the
    figure as usual) when the inline backend is not on its default PNG, or
    when the figure's artists reach past its edges, which only a second draw
    into a larger canvas can show.
    """
    if not _inline_png_only():
        return None
    import io

    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    canvas = FigureCanvasAgg(fig)
    canvas.draw()                                   # runs the figure's layout engine, as printing does
    renderer = canvas.get_renderer()
    pad = float(mpl.rcParams["savefig.pad_inches"]) * fig.dpi
    x0, y0, x1, y1 = fig.get_tightbbox(renderer).extents * fig.dpi     # pixels, origin bottom left
    width, height = renderer.width, renderer.height
    if x0 < -0.5 or y0 < -0.5 or x1 > width + 0.5 or y1 > height + 0.5:
        return None
    # the size printing gives the padded box (int() of its pixels), placed where its corner falls
    w, h = int(x1 - x0 + 2 * pad), int(y1 - y0 + 2 * pad)
    c0, r0 = int(round(x0 - pad)), int(round(height - y1 - pad))      # top-left corner, rows from the top
    rgba = np.asarray(canvas.buffer_rgba())
    face = np.asarray(mpl.colors.to_rgba(fig.get_facecolor())) * 255
    out = np.empty((h, w, 4), np.uint8)
    out[:] = np.round(face).astype(np.uint8)        # the padding past the figure's edges
    src = rgba[max(r0, 0):min(r0 + h, height), max(c0, 0):min(c0 + w, width)]
    out[max(r0, 0) - r0:max(r0, 0) - r0 + src.shape[0], max(c0, 0) - c0:max(c0, 0) - c0 + src.shape[1]] = src
    buf = io.BytesIO()
    # zlib level 1: a redraw's PNG is encoded 2-3 times faster, 10-20 % larger (level 6 is PIL's default)
    Image.fromarray(out, "RGBA").save(buf, format="png", compress_level=1)
    return buf.getvalue()


def update_figure(handle, fig) -> None:
    """Replace what an IPython ``DisplayHandle`` shows by ``fig``: a widget's redraw.

    The same picture as ``handle.update(fig)``, drawn once instead of twice
    where IPython's inline backend is on its default PNG (see
    :func:`_png_drawn_once`); otherwise exactly ``handle.update(fig)``.
    :func:`live` redraws through it; a widget with a handle of its own
    (notebook 09's spline editor) can call it too, inside
    :class:`single_threaded`.
    """
    png = _png_drawn_once(fig)
    if png is None:
        handle.update(fig)
    else:
        handle.update({"image/png": png, "text/plain": repr(fig)}, raw=True)


def live(function, **controls):
    """Show ``function(**values)``'s figure under its controls, redrawn in place when a control changes.

    Like ``ipywidgets.interact``, but the first figure is an ordinary output
    of the cell (so a saved notebook shows it, and headless runs such as
    nbval never go through a widget's output capture), and later figures
    *replace* it through a display handle.

    Parameters
    ----------
    function : callable
        ``function(**values) -> matplotlib Figure``; it must not call
        ``plt.show()``.
    **controls : ipywidgets value widgets
        One per keyword argument of ``function``.

    Returns
    -------
    ipywidgets.VBox
        The controls (already displayed).
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt
    from IPython.display import DisplayHandle, display

    box = widgets.VBox(list(controls.values()))

    def render():
        fig = function(**{name: w.value for name, w in controls.items()})
        plt.close(fig)  # shown through the handle only, not again by the inline backend
        return fig

    display(box)
    handle = DisplayHandle()
    with single_threaded():
        handle.display(render())     # the first figure as any other: what a saved notebook keeps

    def redraw(_change):
        with single_threaded():   # the computation and the rendering
            update_figure(handle, render())

    for w in controls.values():
        w.observe(redraw, names="value")
    return box
