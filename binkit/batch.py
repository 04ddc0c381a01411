"""Folders of scans: binarize many files, and score a folder of results against a folder of GT.

These are the functions behind ``binkit binarize`` and ``binkit evaluate``.
Both keep going when one file is bad: the good files are processed, every bad
one is reported with a one-line reason, and the caller decides the exit code.

Files are matched and named by their *stem* (the name without extension):
``scans/page7.tif`` is written as ``OUT/page7.png``; in ``evaluate`` the
prediction ``page7.png`` is scored against the GT ``page7.png``, ``page7.bmp``,
``page7_gt.png``, ``page7_GT.tiff`` ... (see :data:`GT_SUFFIXES`).
"""

from __future__ import annotations

import glob
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from ._errors import InputError, first_line
from .registry import DEFAULT_METHOD
from .runtime import freed_memory_kept

__all__ = [
    "IMAGE_EXTENSIONS",
    "GT_SUFFIXES",
    "BatchReport",
    "collect_inputs",
    "output_path",
    "shard",
    "binarize_files",
    "match_pairs",
    "evaluate_folders",
    "evaluation_means",
    "write_evaluation",
]

#: File extensions taken from a folder (case-insensitive).
IMAGE_EXTENSIONS = (".png", ".tif", ".tiff", ".bmp", ".jpg", ".jpeg", ".pbm", ".pgm", ".ppm", ".pnm", ".gif", ".webp")

#: Suffixes a GT file's stem may carry beyond the image's stem (DIBCO and other datasets' habits).
GT_SUFFIXES = ("", "_gt", "-gt", "_GT", "-GT", "_estGT", "_GroundTruth", "-GroundTruth")


@dataclass
class BatchReport:
    """What a batch did: files written, skipped (already done) and failed (with reasons)."""

    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, one-line reason)


def collect_inputs(items: Iterable[str | os.PathLike]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Expand files, folders (their image files, sorted, not recursive) and glob patterns.

    Returns
    -------
    files : list of Path
        Unique, in the order given.
    problems : list of (item, reason)
        Items that name nothing, folders without images, and folders or
        files that cannot be looked at (no permission): one line each, so
        that the other items still go ahead.
    """
    files: list[Path] = []
    problems: list[tuple[str, str]] = []
    for item in items:
        item = str(item)
        try:
            found, problem = _expand(item)
        except OSError as exc:  # a folder of mode 000, a path through one (is_dir itself fails)
            found, problem = [], f"{item}: cannot read ({exc.strerror or first_line(exc)})"
        files += found
        if problem:
            problems.append((item, problem))
    seen, unique = set(), []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, problems


def _expand(item: str) -> tuple[list[Path], str | None]:
    """The files one item of :func:`collect_inputs` names, and the reason it names none (or None)."""
    path = Path(item)
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
        return found, None if found else f"folder has no image files ({', '.join(IMAGE_EXTENSIONS[:4])}, ...)"
    if path.is_file():
        return [path], None
    if glob.has_magic(item):
        found = sorted(Path(p) for p in glob.glob(item) if Path(p).is_file())
        return found, None if found else "pattern matches no file"
    return [], "no such file or folder"


def output_path(source: Path, outdir: Path, format: str = "png") -> Path:
    """Where ``binkit binarize`` writes the result of ``source``: ``outdir/<stem>.png`` (``.tif`` for tif)."""
    from .io import BINARY_FORMATS

    return Path(outdir) / f"{Path(source).stem}{BINARY_FORMATS[format][0]}"


def shard(files: Sequence[Path], spec: str) -> list[Path]:
    """The K-th of N slices of the sorted ``files``, for ``spec = "K/N"`` (1 <= K <= N).

    Slices are contiguous and differ in size by one at most; every file is in
    exactly one slice, so N machines given K = 1..N together do the whole
    list, each its own part (a SLURM array: ``--shard $((SLURM_ARRAY_TASK_ID + 1))/$SLURM_ARRAY_TASK_COUNT``).
    """
    k, sep, n = str(spec).partition("/")
    try:
        k, n = int(k), int(n)
    except ValueError:
        k = n = 0
    if not sep or not 1 <= k <= n:
        raise InputError(f"--shard {spec!r}: expected K/N with 1 <= K <= N, e.g. --shard 2/8")
    ordered = sorted(files, key=str)
    size, extra = divmod(len(ordered), n)
    start = (k - 1) * size + min(k - 1, extra)
    return ordered[start : start + size + (1 if k <= extra else 0)]


_shard = shard  # binarize_files' parameter of the same name hides the function there


def _scan_dpi(source) -> tuple | None:
    """The resolution the scan's file records, if any (only its header is read).

    Raises
    ------
    binkit.InputError
        The header records a resolution no output can hold (4294967295 dpi):
        the page is refused before any work, rather than written without it.
    """
    from PIL import Image

    from .io import check_dpi

    try:
        with Image.open(source) as image:
            dpi = image.info.get("dpi")
    except (OSError, ValueError, SyntaxError):
        return None
    try:
        if not dpi or not all(float(v) > 0 for v in dpi):  # 0 or nothing: the file says nothing
            return None
    except (TypeError, ValueError):
        return None
    return check_dpi(dpi, str(source))


def _description(record: dict) -> str:
    params = ", ".join(f"{k}={v}" for k, v in sorted(record.get("params", {}).items()))
    return f"{record.get('method')} ({params})" if params else str(record.get("method"))


def _binarize_one(source: str, dest: str, run, format: str = "png", made_by: dict | None = None,
                  max_pixels: int | None = None) -> str | None:
    """Binarize one file with ``run`` (a :func:`binkit.binarizer`); return None, or the one-line reason it failed."""
    from .io import read_image, save_binary

    try:
        dpi = _scan_dpi(source)  # before the work: a header no output can hold refuses the page
        save_binary(dest, run(read_image(source, max_pixels=max_pixels)), format=format, dpi=dpi, made_by=made_by)
    except InputError as exc:
        return str(exc)
    except OSError as exc:  # gone, locked or unreadable since it was listed
        return f"{source}: {exc.strerror or first_line(exc)}"
    except MemoryError:
        return f"{source}: out of memory"
    except RuntimeError as exc:
        if not _out_of_device_memory(exc):
            raise
        return f"{source}: out of GPU memory (the other pages go on); binarize this one with --device cpu"
    return None


def _out_of_device_memory(exc: BaseException) -> bool:
    """True for torch's out-of-memory error (a GPU's, or MPS's): a RuntimeError, not a MemoryError.

    The page's memory is handed back to the device before the next page, so one large page on
    a small or shared GPU ends only that page.
    """
    torch = sys.modules.get("torch")  # never imported here for the methods that need no torch
    if torch is None or not isinstance(exc, getattr(torch, "OutOfMemoryError", ())):
        return False
    for backend in (getattr(torch, "cuda", None), getattr(torch, "mps", None)):
        try:
            if backend is not None and backend.is_available():
                backend.empty_cache()
        except (RuntimeError, AttributeError):  # pragma: no cover - a device that cannot even do that
            pass
    return True


# Each worker process builds the method once, when it starts, not once per page.
_WORKER_RUN = None


def _start_worker(method: str, params: dict, format: str, made_by: dict, max_pixels: int | None) -> None:
    """Set up a worker process: build the method, leave Ctrl-C to the parent, die with the parent."""
    global _WORKER_RUN
    import signal
    import threading
    import time

    from .registry import binarizer

    # Ctrl-C reaches the whole process group; the parent decides (no new pages, this one finished).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()

    def exit_with_parent():  # a killed parent (SIGKILL) must not leave workers holding its pipes
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=exit_with_parent, daemon=True).start()
    _WORKER_RUN = (binarizer(method, **params), format, made_by, max_pixels)


def _binarize_in_worker(source: str, dest: str) -> str | None:
    return _binarize_one(source, dest, *_WORKER_RUN)


def binarize_files(
    inputs: Sequence[Path],
    outdir,
    method: str = DEFAULT_METHOD,
    *,
    overwrite: bool = False,
    workers: int | None = None,
    progress: bool = True,
    format: str = "png",
    shard: str | None = None,
    max_pixels: int | None = None,
    **params,
) -> BatchReport:
    """Binarize files into ``outdir`` as 0/255 PNGs (0 = ink), skipping finished ones.

    Parameters
    ----------
    inputs : sequence of Path
        Image files (see :func:`collect_inputs`).
    outdir : path
        The output folder, created if missing; or, for a single input, the
        output file itself when the path ends in ``.png``, ``.tif`` or
        ``.tiff`` and is not a folder (``binkit binarize scan.jpg -o
        out.png``; a ``.tif`` name implies ``format="tif"``).
    method : str, default :data:`binkit.DEFAULT_METHOD`
        A name from :func:`binkit.methods`.
    overwrite : bool
        Redo files whose output exists (default: skip them, so an interrupted
        batch resumes where it stopped).
    workers : int, optional
        Processes for the methods that need no torch (default: the number of
        CPU cores, at most 8).  Model methods run in this process, with their
        model loaded once, on ``device``.
    progress : bool
        Show a progress bar.
    format : {"png", "png1", "tif"}
        Output format (:data:`binkit.io.BINARY_FORMATS`); the scan's DPI is kept.
    shard : str, optional
        ``"K/N"``: write only the K-th of N slices of the sorted inputs
        (:func:`shard`).  The checks that look at all inputs together (two
        inputs with one output name, an output over an input) still look at
        all of them, in every shard alike.
    max_pixels : int, optional
        Refuse pages larger than this many pixels, before decoding them
        (default: :func:`binkit.io.max_pixels`, ``$BINKIT_MAX_PIXELS`` or 150 MP).
    **params
        The method's parameters (:func:`binkit.binarizer`), e.g. ``window=31``;
        ``weights`` and ``device`` for ``gridlstm``.

    Returns
    -------
    BatchReport

    Notes
    -----
    An output path that is already taken is never written over, except by
    ``overwrite`` when binkit's own record in the file says binkit wrote it:
    a folder, a link, any other file, or a file whose record cannot be read
    is reported as failed, with the reason, and the rest of the batch goes on.
    """
    from tqdm.auto import tqdm

    from . import __version__
    from .io import BINARY_FORMATS
    from .io import max_pixels as pixel_limit
    from .registry import binarizer, check_takes
    from .registry import method as method_record

    if format not in BINARY_FORMATS:
        raise InputError(f"--format {format!r}: choose one of {', '.join(BINARY_FORMATS)}")
    max_pixels = pixel_limit(max_pixels)  # a bad limit is refused before any work; workers get the number
    single, format = _single_output(inputs, outdir, format)
    if single is None and not str(outdir).strip():
        raise InputError("-o/--out-dir is empty; name the output folder (use -o . for the current folder)")
    if single is not None and not inputs:
        return BatchReport()  # nothing to write; no folder named like the file is made
    record = method_record(method)
    if "device" in params:
        check_takes(record, "device")
    run = binarizer(record.name, **params)  # checks the parameters (and loads a model) before any file
    # how each output is made, recorded in it: every parameter that changes the result, defaults included
    made = {"method": record.name, "binkit": __version__,
            "params": {p.name: params.get(p.name, p.default) for p in record.parameters if p.name != "device"}}
    made = json.loads(json.dumps(made, default=str))  # as it reads back from a file (paths as text)
    outdir = Path(outdir) if single is None else single.parent

    def output_of(src) -> Path:
        return single if single is not None else output_path(src, outdir, format)

    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{outdir}: cannot create the output folder ({exc.strerror or exc})") from None
    if not os.access(outdir, os.W_OK):
        raise InputError(f"{outdir}: output folder is not writable")

    from .io import remove_leftovers

    # Never write over a scan: refuse the whole batch before touching anything.
    sources = {Path(src).resolve() for src in inputs}
    for src in inputs:
        dest = output_of(src)
        if dest.resolve() in sources:
            raise InputError(f"{dest}: the output of {src} would overwrite an input scan; "
                             "write to another folder (-o)")
    report = BatchReport()
    by_dest: dict[Path, list[Path]] = {}
    for src in inputs:
        by_dest.setdefault(output_of(src), []).append(Path(src))
    clashing = set()
    for dest, srcs in by_dest.items():
        if len(srcs) > 1:  # which one the user meant is not binkit's guess: none is written
            clashing.add(dest)
            for src in srcs:
                others = ", ".join(str(o) for o in srcs if o != src)
                report.failed.append((str(src), f"{src}: {others} would be written to the same {dest}; "
                                                "rename one (neither was written)"))
    # The slice is taken only now: a clash between inputs of two shards is seen by both.
    mine = _shard(list(inputs), shard) if shard else list(inputs)
    todo = []
    for src in mine:
        dest = output_of(src)
        if dest in clashing:
            continue
        remove_leftovers(dest)  # a killed run's temporary file for this output
        verdict = _existing_output(dest, made, overwrite)
        if verdict == "write":
            todo.append((Path(src), dest))
        elif verdict == "done":
            report.skipped.append(dest)
        else:
            report.failed.append((str(src), verdict))

    bar = tqdm(total=len(todo), desc=f"binarize ({record.name})", unit="page", disable=not (progress and todo))
    n = 1 if record.needs_torch else max(1, min(workers or min(os.cpu_count() or 1, 8), len(todo) or 1))
    try:
        if n == 1:
            # one page after another in this process: each reuses the buffers the last one freed
            # (held until the folder is done; bounded by the largest page's peak)
            with freed_memory_kept():
                for src, dest in todo:
                    _record(report, src, dest, _binarize_one(str(src), str(dest), run, format, made, max_pixels))
                    bar.update(1)
        else:
            pool = ProcessPoolExecutor(n, initializer=_start_worker, initargs=(record.name, params, format, made, max_pixels))
            try:
                futures = [(src, dest, pool.submit(_binarize_in_worker, str(src), str(dest))) for src, dest in todo]
                for src, dest, fut in futures:
                    _record(report, src, dest, fut.result())
                    bar.update(1)
            except BaseException:  # Ctrl-C: start no new page; the workers finish (or drop) the one they hold
                pool.shutdown(wait=True, cancel_futures=True)
                raise
            pool.shutdown()
    finally:
        bar.close()
    return report


def _single_output(inputs, out, format: str) -> tuple[Path | None, str]:
    """(the output file, its format) when ``out`` names one file for a single input; (None, format) for a folder."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".png", ".tif", ".tiff") or out.is_dir():
        return None, format
    if len(inputs) > 1:
        raise InputError(f"{out}: names one file, but {len(inputs)} scans were given; name a folder for them")
    implied = "tif" if suffix != ".png" else ("png" if format == "tif" else format)
    if format not in (implied, "png"):
        raise InputError(f"{out}: a {suffix} file cannot hold --format {format}; name a "
                         f"{'.png' if format == 'png1' else '.tif'} file, or leave --format out")
    return out, implied


def _existing_output(dest: Path, made: dict, overwrite: bool) -> str:
    """What to do about ``dest``: ``"write"``, ``"done"`` (skip it), or the one-line reason it is refused.

    Only a regular file whose binkit record says binkit made it is ever
    replaced (with ``overwrite``) or counted as done; anything else at that
    path is the user's, and stays as it is.
    """
    from .io import made_by

    if not (dest.exists() or dest.is_symlink()):
        return "write"
    advice = "move it away or write to another folder (-o)"
    if dest.is_symlink() or not dest.is_file():
        kind = "a link" if dest.is_symlink() else "a folder" if dest.is_dir() else "something that is not a file"
        return f"{dest}: the output path is taken by {kind}; binkit writes no output there: {advice}"
    try:
        before = made_by(dest)
    except InputError as exc:
        return f"{exc}; binkit cannot tell what made it, so it is left as it is: {advice}"
    if before is None:
        return (f"{dest}: the output path is taken by a file binkit did not write (it has no binkit record); "
                f"it is left as it is: {advice}")
    if overwrite:
        return "write"
    if (before.get("method"), before.get("params")) != (made["method"], made["params"]):
        return (f"{dest}: made by {_description(before)}, not by {_description(made)}; --overwrite redoes it, "
                "or write to another folder")
    return "done"


def _record(report: BatchReport, src: Path, dest: Path, error: str | None) -> None:
    if error is None:
        report.written.append(dest)
    else:
        report.failed.append((str(src), error))


# ---------------------------------------------------------------------------
# evaluate


def match_pairs(pred_dir, gt_dir) -> tuple[list[tuple[Path, Path]], list[tuple[str, str]]]:
    """Pair each prediction in ``pred_dir`` with its GT in ``gt_dir`` by file stem.

    A GT matches a prediction when its stem is the prediction's stem plus one
    of :data:`GT_SUFFIXES`.  Two files (not folders) are one pair, whatever
    their names.

    Returns
    -------
    pairs : list of (pred, gt)
        Sorted by the prediction's name.
    problems : list of (file, reason)
        Predictions without a GT, GT files without a prediction, and
        ambiguous matches.
    """
    pred_dir, gt_dir = Path(pred_dir), Path(gt_dir)
    if pred_dir.is_file() or gt_dir.is_file():
        if not (pred_dir.is_file() and gt_dir.is_file()):
            raise InputError(f"{pred_dir}, {gt_dir}: give two files (one pair) or two folders")
        return [(pred_dir, gt_dir)], []
    listed = {}
    for d, what in ((pred_dir, "--pred"), (gt_dir, "--gt")):
        try:
            if not d.is_dir():
                raise InputError(f"{d}: {what} is neither a file nor a folder")
            listed[what], _ = _expand(str(d))
        except OSError as exc:  # a folder of mode 000: nothing in it can be scored
            raise InputError(f"{d}: cannot read the {what} folder ({exc.strerror or first_line(exc)})") from None
    preds, gts = listed["--pred"], listed["--gt"]
    if not preds:
        raise InputError(f"{pred_dir}: no image files")
    gt_by_stem: dict[str, list[Path]] = {}
    for g in gts:
        gt_by_stem.setdefault(g.stem, []).append(g)
    pairs, problems, used = [], [], set()
    for p in preds:
        found = [g for suffix in GT_SUFFIXES for g in gt_by_stem.get(p.stem + suffix, [])]
        if not found:
            problems.append((str(p), f"no ground truth for it in {gt_dir}"))
        elif len(found) > 1:
            problems.append((str(p), f"several ground truths match: {', '.join(g.name for g in found)}"))
        else:
            pairs.append((p, found[0]))
            used.add(found[0])
    for g in gts:
        if g not in used:
            problems.append((str(g), f"ground truth without a prediction in {pred_dir}"))
    return pairs, problems


def _values_text(values) -> str:
    """``values 0 and 60``, ``values 0, 60 and 255``, ``the value 60``, ``256 grey levels from 0 to 255``."""
    values = [int(v) for v in values]
    if len(values) == 1:
        return f"the value {values[0]} only"
    if len(values) <= 4:
        return "values " + ", ".join(map(str, values[:-1])) + f" and {values[-1]}"
    return f"{len(values)} grey levels from {values[0]} to {values[-1]}"


def _distinct(a) -> list[int]:
    """The sorted distinct values of an integer image (a histogram for 8 and 16 bits: no sort)."""
    import numpy as np

    if a.dtype in (np.uint8, np.uint16):
        return np.flatnonzero(np.bincount(a.ravel(), minlength=1)).tolist()
    return np.unique(a).tolist()


# What a binary file may hold besides 0 (ink): white at 8 bits, or at 16 bits.
_WHITES = (255, 65535)

_ZERO_ONE = ("a 0/1 mask, whose polarity cannot be told (1 = ink, or 1 = page?); save it with 0 = ink and "
             "255 = page, e.g. binkit.io.save_binary(path, mask) for a mask with True = ink")


def _binary_pixels(path, role: str, max_pixels=None):
    """Decode ``path``; return (grey integer pixels or None for a 1-bit file, ink mask, sorted distinct values).

    The checks shared by predictions and ground truths (see :func:`evaluate_folders`).
    """
    import numpy as np

    from .io import _open_pixels, as_gray

    pixels, mode = _open_pixels(path, max_pixels)
    if mode == "1":
        return None, ~pixels.astype(bool), [0, 1]  # PIL maps black (ink) to False
    if pixels.ndim == 3:  # colour or grey + alpha: the luminance, at 8 bits, as read_gt reads it
        pixels = np.rint(as_gray(pixels, name=str(path)) * 255).astype(np.uint8)
    if not np.issubdtype(pixels.dtype, np.integer):
        raise InputError(f"{path}: a {pixels.dtype} image; a {role} must be an 8-bit file holding "
                         "0 (ink) and 255 (page)")
    values = _distinct(pixels)
    if 1 in values and set(values) <= {0, 1}:
        raise InputError(f"{path}: {_values_text(values)}: {_ZERO_ONE}")
    return pixels, pixels == 0, values


def _read_prediction(path, max_pixels=None):
    """Read a binarized image for scoring: a 1-bit file (black = ink), or 0 = ink and 255 = page.

    Parameters
    ----------
    path : path
        A 1-bit image, or an 8-bit (or 16-bit) grey or colour image whose
        only values are 0 and 255 (65535 at 16 bits); an all-ink or all-page
        image is fine.

    Returns
    -------
    ink : (H, W) ndarray of bool
        True where the file holds 0 (black in a 1-bit file).

    Raises
    ------
    binkit.InputError
        Anything else, named with what it holds: grey levels (an image not
        binarized yet), another pair such as 0/60, or a 0/1 file (1 = ink or
        1 = page cannot be told: a viewer shows both as black).
    """
    pixels, ink, values = _binary_pixels(path, "binarized image", max_pixels)
    if pixels is not None and not any(set(values) <= {0, white} for white in _WHITES):
        hint = "; binarize it first (binkit binarize)" if len(values) > 4 else ""
        raise InputError(f"{path}: {_values_text(values)}; expected only 0 (ink) and 255 (page){hint}")
    return ink


def _read_ground_truth(path, max_pixels=None):
    """A ground truth by :func:`binkit.io.read_gt`'s DIBCO rule, less the files that rule cannot read right."""
    from .io import read_gt

    pixels, _, values = _binary_pixels(path, "ground truth", max_pixels)
    if pixels is not None and 0 not in values and not any(set(values) <= {white} for white in _WHITES):
        raise InputError(f"{path}: {_values_text(values)} and no pixel is 0, so by the DIBCO rule (only exact 0 "
                         "is ink) this ground truth has no ink; expected 0 (ink) and 255 (page)")
    return read_gt(path, max_pixels=max_pixels)


def evaluate_folders(pred_dir, gt_dir, *, weights_dir=None, progress: bool = True, max_pixels=None):
    """Score every prediction in ``pred_dir`` against its GT with :func:`binkit.metrics.evaluate`.

    Parameters
    ----------
    pred_dir, gt_dir : path
        Folders of binary images (0 = ink) matched by :func:`match_pairs`, or
        two files (one pair).
    weights_dir : path, optional
        Folder with the organisers' ``<gt stem>_RWeights.dat`` and
        ``<gt stem>_PWeights.dat`` files; without it the pseudo-F weights are
        computed from each GT (:func:`binkit.metrics.pseudo_weights`).
    progress : bool
        Show a progress bar.
    max_pixels : int, optional
        Refuse files larger than this many pixels, before decoding them
        (default: :func:`binkit.io.max_pixels`).

    Returns
    -------
    rows : list of dict
        ``image`` (the prediction's stem) and every measure of
        :func:`binkit.metrics.evaluate`, one per matched pair.
    problems : list of (file, reason)
        Unmatched files, and files that could not be scored, each under the
        file at fault (prediction, GT or weight file).

    Notes
    -----
    What is scored:

    * **predictions** must be binary files (:func:`_read_prediction`): 1-bit,
      or only 0 (ink) and 255 (page).  Grey levels, other pairs (0/60) and
      0/1 files are refused, since scoring them would answer wrong in silence.
    * **ground truths** follow :func:`binkit.io.read_gt` (the DIBCO rule: only
      exact 0 is ink, with a warning for grey pixels), except two kinds that
      rule would misread, which are refused: 0/1 files (as above), and files
      with no pixel at 0 but values other than white (ink stored as, e.g., 60).
    * **weight files** must pass :func:`binkit.metrics.read_dibco_weights` and
      :func:`binkit.metrics.check_dibco_weights` (what the DIBCO weight
      generator's maps satisfy for that GT).

    Each refused file is one problem, and its pair is not scored.
    """
    from tqdm.auto import tqdm

    from .io import max_pixels as pixel_limit
    from .metrics import check_dibco_weights, evaluate, read_dibco_weights

    max_pixels = pixel_limit(max_pixels)
    pairs, problems = match_pairs(pred_dir, gt_dir)
    rows = []
    for pred_path, gt_path in tqdm(pairs, desc="evaluate", unit="page", disable=not progress):
        at_fault = pred_path
        try:
            pred = _read_prediction(pred_path, max_pixels)
            at_fault = gt_path
            gt = _read_ground_truth(gt_path, max_pixels)
            at_fault = pred_path
            if pred.shape != gt.shape:
                raise InputError(f"{pred_path}: size {pred.shape[1]}x{pred.shape[0]} differs from its ground "
                                 f"truth {gt_path.name} ({gt.shape[1]}x{gt.shape[0]})")
            weights = None
            if weights_dir is not None:
                wd = Path(weights_dir)
                files = (wd / f"{gt_path.stem}_RWeights.dat", wd / f"{gt_path.stem}_PWeights.dat")
                at_fault = files[0]
                rw = read_dibco_weights(files[0], gt.shape)
                at_fault = files[1]
                pw = read_dibco_weights(files[1], gt.shape)
                at_fault = wd
                check_dibco_weights(rw, pw, gt, names=tuple(map(str, files)))
                weights = (rw, pw)
            at_fault = pred_path
            rows.append({"image": pred_path.stem, **evaluate(pred, gt, weights)})
        except InputError as exc:
            problems.append((str(at_fault), str(exc)))
        except OSError as exc:  # gone or unreadable since the folder was listed
            problems.append((str(at_fault), f"{at_fault}: {exc.strerror or first_line(exc)}"))
    return rows, problems


def evaluation_means(rows: list[dict]) -> dict:
    """The mean of every measure of :data:`binkit.metrics.MEASURES` over ``rows`` ({} for none)."""
    import numpy as np

    from .metrics import MEASURES

    return {k: float(np.mean([r[k] for r in rows])) for k in MEASURES} if rows else {}


def _finite_or_none(value):
    """JSON has no NaN or infinity: None (null) for an undefined or infinite measure."""
    import math

    value = float(value)
    return value if math.isfinite(value) else None


def write_evaluation(rows: list[dict], problems, *, csv=None, json=None, pred=None, gt=None, weights=None) -> None:
    """Write what :func:`evaluate_folders` found, as ``binkit evaluate --csv/--json`` do.

    Parameters
    ----------
    rows, problems
        :func:`evaluate_folders`' results.
    csv : path, optional
        One row per image: ``image`` and every measure of
        :data:`binkit.metrics.MEASURES` (full precision); not written when
        there is no row.
    json : path, optional
        ``pred``, ``gt``, ``weights`` (as given), ``measures``, ``images``
        (per image), ``mean`` (with ``n``) and ``problems`` (``file``,
        ``reason``); null where a measure is NaN or infinite.
    pred, gt, weights : path, optional
        What was scored, recorded in the JSON.

    Both files are written atomically; their folder is created.
    """
    import csv as csv_module
    import io
    import json as json_module

    from ._errors import shown
    from .io import write_text
    from .metrics import MEASURES

    keys = tuple(MEASURES)
    for option, value in (("--csv", csv), ("--json", json)):
        if value is not None and not str(value).strip():
            raise InputError(f"{option} is empty; name the file to write")
    if csv is not None and rows:
        text = io.StringIO()
        writer = csv_module.writer(text, lineterminator="\n")
        writer.writerow(("image",) + keys)
        writer.writerows([shown(r["image"]), *(repr(float(r[k])) for k in keys)] for r in rows)
        write_text(_results_file(csv, "--csv"), text.getvalue())
    if json is not None:
        record = {
            "pred": None if pred is None else shown(pred),
            "gt": None if gt is None else shown(gt),
            "weights": None if weights is None else shown(weights),
            "measures": list(keys),
            "images": [{"image": shown(r["image"]), **{k: _finite_or_none(r[k]) for k in keys}} for r in rows],
            "mean": {"n": len(rows), **{k: _finite_or_none(v) for k, v in evaluation_means(rows).items()}},
            "problems": [{"file": shown(item), "reason": shown(reason)} for item, reason in problems],
        }
        write_text(_results_file(json, "--json"), json_module.dumps(record, indent=1, allow_nan=False) + "\n")


def _results_file(path, option: str) -> Path:
    """``path`` as a file to write: its folder created; InputError if it is a folder or cannot be made."""
    out = Path(path)
    if out.is_dir():
        raise InputError(f"{out}: {option} is a folder; name a file")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out}: cannot write here ({exc.strerror or exc})") from None
    return out
