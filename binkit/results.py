"""Per-image results tables: read, write, select, average and print them.

An experiment in binarization ends with a table: one row per (configuration,
test image), holding the DIBCO measures of that image.  Everything in
:mod:`binkit.stats` and :mod:`binkit.experiment_plots` starts from such a
table.  binkit keeps it deliberately simple, with no pandas: a table is a
plain ``list`` of ``dict`` rows, so a learner can print, filter and sort it
with ordinary Python.

A row has these keys:

================  ==========================================================
``config``        configuration name, e.g. ``"f4-sf2-Ldyn"`` (str)
``criterium``     model-selection criterion of the checkpoint, e.g. ``"error"``
``dataset``       test set name, e.g. ``"H-DIBCO 2016"`` (str)
``image``         binkit's DIBCO image name, e.g. ``"2016_H01"`` (str)
``fm``            F-measure, percent (float)
``fps``           pseudo-F-measure, percent
``psnr``          PSNR, dB
``drd``           distance-reciprocal distortion
``recall``        recall, percent
``precision``     precision, percent
``pseudo_recall`` pseudo-recall (Rps), percent
``pseudo_precision``  pseudo-precision (Pps), percent
================  ==========================================================

A missing measure is ``nan``.  The metric keys are those of
:func:`binkit.metrics.evaluate`, so ``{**evaluate(pred, gt), "config": ...}``
is a row.

The Grid LSTM paper's own results
---------------------------------
Westphal et al. (DAS 2018) published their raw per-image results as one CSV
per test set, ``dibcoYY_foldN.csv``.  :func:`read_paper_results` reads them;
:func:`paper_results_dir` finds them (binkit does not ship them).
**Their header is mislabelled**: it reads

    ``method,criterium,Name,F-Measure,Fps,PSNR,DRD,Recall,Rps,Pps``

but the last three columns are really *Recall, Precision, pseudo-Recall*
(FM = 2RP/(R+P) holds on every row with that reading, and on pages flooded
with false positives the "Rps" column is the small one, as precision must
be).  Pseudo-precision is not in the files at all, so it is ``nan``.

binkit's own results CSV
------------------------
:func:`write_results_csv` writes the same shape as the paper's files, with the
columns labelled correctly, the missing pseudo-precision column restored and
the test set named in a last column::

    method,criterium,Name,F-Measure,Fps,PSNR,DRD,Recall,Precision,Rps,Pps,dataset

``dataset`` comes last so that the first columns line up with the paper's
files.  A missing value is an empty cell (R's ``read.csv`` reads it as
``NA``); numbers are written with Python's shortest round-trip ``repr``, so
:func:`read_results_csv` gives back exactly the floats that were written.
"""

from __future__ import annotations

import csv
import math
import os
import re
from pathlib import Path
from typing import Iterable, Mapping, NamedTuple, Sequence

import numpy as np

from ._errors import InputError

__all__ = [
    "CSV_COLUMNS",
    "DATASET_NAMES",
    "KEYS",
    "METRICS",
    "PAPER_CONFIGS",
    "PAPER_EXPERIMENTS",
    "PaperTimes",
    "format_table",
    "mean_table",
    "paper_image_name",
    "paper_results_dir",
    "read_paper_results",
    "read_paper_times",
    "read_results_csv",
    "score_methods",
    "select",
    "values",
    "write_results_csv",
]

#: Identifying keys of a row.
KEYS = ("config", "criterium", "dataset", "image")

#: Metric keys of a row, in the DIBCO tool's output order.
METRICS = ("fm", "fps", "psnr", "drd", "recall", "precision", "pseudo_recall", "pseudo_precision")

#: Column names of binkit's results CSV: identifying columns first, as in the paper's files.
CSV_COLUMNS = (
    "method", "criterium", "Name",
    "F-Measure", "Fps", "PSNR", "DRD", "Recall", "Precision", "Rps", "Pps",
    "dataset",
)
_CSV_KEY = dict(zip(CSV_COLUMNS, ("config", "criterium", "image") + METRICS + ("dataset",)))

#: The paper's configuration names (left) and binkit's (right).  ``f`` is the
#: footprint (f×f pixels per LSTM step), ``sf`` the zoom-out scale factor of
#: the context input, ``L`` the loss: plain cross-entropy, static weight w on
#: the background term (``Lstat2``: w = 2, ``Lstat0.5``: w = 0.5), or the
#: dynamic pseudo-F weights (``Ldyn``).
PAPER_CONFIGS = {
    "dyn_wgt_sc2_16_201e": "f4-sf2-Ldyn",
    "dyn_wgt_sc2_4equal_201e": "f2-sf2-Ldyn",
    "dyn_wgt_sc2_64_201e": "f8-sf2-Ldyn",
    "dyn_wgt_sc1_16_201e": "f4-sf1-Ldyn",
    "dyn_wgt_sc4_16_201e": "f4-sf4-Ldyn",
    "no_wgt_sc2_16_201e": "f4-sf2-L",
    "stat_wgt20_sc2_16_201e": "f4-sf2-Lstat2",
    "stat_wgt05_sc2_16_201e": "f4-sf2-Lstat0.5",
}

#: The paper's three experiments (Table II): which configurations each compares.
#: Each varies one factor of the reference configuration f4-sf2-Ldyn.
PAPER_EXPERIMENTS = {
    "footprint": ("f2-sf2-Ldyn", "f4-sf2-Ldyn", "f8-sf2-Ldyn"),
    "scale": ("f4-sf1-Ldyn", "f4-sf2-Ldyn", "f4-sf4-Ldyn"),
    "loss": ("f4-sf2-L", "f4-sf2-Lstat2", "f4-sf2-Lstat0.5", "f4-sf2-Ldyn"),
}

#: Test-set keys of the paper's file names and the contests' names.
DATASET_NAMES = {
    "dibco09": "DIBCO 2009",
    "dibco10": "H-DIBCO 2010",
    "dibco11": "DIBCO 2011",
    "dibco12": "H-DIBCO 2012",
    "dibco13": "DIBCO 2013",
    "dibco14": "H-DIBCO 2014",
    "dibco16": "H-DIBCO 2016",
}

_PAPER_FILE = re.compile(r"^(dibco\d\d)_fold(\d+)\.csv$")
_PAPER_HEADER = ["method", "criterium", "Name", "F-Measure", "Fps", "PSNR", "DRD", "Recall", "Rps", "Pps"]
# What the paper's seven metric columns really hold (see the module docstring).
_PAPER_METRICS = ("fm", "fps", "psnr", "drd", "recall", "precision", "pseudo_recall")
_PAPER_IMAGE = re.compile(r"^(hw|h|pr|p)(\d+)$", re.IGNORECASE)
_NAN_CELLS = {"", "nan", "na", "n/a", "none"}


# ---------------------------------------------------------------------------
# naming


def paper_image_name(dataset: str, name: str) -> str:
    """binkit's DIBCO image name for an image name in the paper's files.

    Parameters
    ----------
    dataset : str
        The paper's test-set key, ``"dibco09"`` … ``"dibco16"``.
    name : str
        The image name in the file: ``h01``/``p01`` (2009), ``hw1``/``pr1``
        (2011), ``hw01``/``pr01`` (2013), ``hNN`` (2010, 2012, 2014) or a bare
        number ``"1"`` … ``"10"`` (2016, all handwritten).

    Returns
    -------
    str
        ``<year>_H<NN>`` for handwritten and ``<year>_P<NN>`` for printed pages.

    Examples
    --------
    >>> paper_image_name("dibco11", "pr6")
    '2011_P06'
    >>> paper_image_name("dibco16", "10")
    '2016_H10'
    """
    m = re.fullmatch(r"dibco(\d\d)", dataset)
    if m is None:
        raise InputError(f"dataset {dataset!r}: expected a key like 'dibco09'")
    year = 2000 + int(m.group(1))
    name = name.strip()
    if name.isdigit():
        return f"{year}_H{int(name):02d}"
    m = _PAPER_IMAGE.fullmatch(name)
    if m is None:
        raise InputError(f"image name {name!r} in {dataset}: expected h01, hw1, p01, pr1 or a number")
    kind = "P" if m.group(1).lower().startswith("p") else "H"
    return f"{year}_{kind}{int(m.group(2)):02d}"


def _float(cell: str, where: str) -> float:
    s = cell.strip()
    if s.lower() in _NAN_CELLS:
        return math.nan
    try:
        return float(s)
    except ValueError:
        raise InputError(f"{where}: {cell!r} is not a number") from None


def _config_name(name: str) -> str:
    return PAPER_CONFIGS.get(name, name)


# ---------------------------------------------------------------------------
# the paper's files


# Environment variable that points paper_results_dir at the paper's CSVs.
_PAPER_RESULTS_ENV = "BINKIT_DAS2018_RESULTS"


def paper_results_dir(folder=None) -> Path:
    """Find the folder with the Grid LSTM paper's raw per-image results.

    binkit does not ship the paper's CSVs (they belong to the authors'
    repository, github.com/FlorianWestphal/DAS2018, Apache-2.0, folder
    ``data/``); this function finds a copy outside the project.  It looks, in
    this order, at

    1. ``folder``, if given;
    2. the environment variable ``BINKIT_DAS2018_RESULTS``, if set;
    3. ``<repo>/../shared/data/reference/das2018_results``, where ``<repo>`` is
       the folder that holds the ``binkit`` package.

    The first candidate is the only one checked: a folder given explicitly
    (or by the environment variable) that lacks the files is an error, not a
    reason to look elsewhere.

    Parameters
    ----------
    folder : str or Path, optional
        The folder holding ``dibcoYY_foldN.csv``.

    Returns
    -------
    Path
        The folder; it contains ``dibco16_fold0.csv``.

    Raises
    ------
    FileNotFoundError
        The chosen folder has no ``dibco16_fold0.csv``.  The one-line message
        says where it looked and how to point binkit at the files.

    Examples
    --------
    ::

        rows = read_paper_results(paper_results_dir())
    """
    if folder is not None:
        where, how = Path(folder), "the folder given"
    elif os.environ.get(_PAPER_RESULTS_ENV):
        where, how = Path(os.environ[_PAPER_RESULTS_ENV]), f"${_PAPER_RESULTS_ENV}"
    else:
        repo = Path(__file__).resolve().parent.parent
        where, how = repo.parent / "shared" / "data" / "reference" / "das2018_results", "the default location"
    if not (where / "dibco16_fold0.csv").is_file():
        raise FileNotFoundError(
            f"the Grid LSTM paper's results (dibco16_fold0.csv) are not in {where} ({how}); they come from the "
            f"paper's repository (github.com/FlorianWestphal/DAS2018, Apache-2.0, folder data/): "
            f"set {_PAPER_RESULTS_ENV} to the folder that holds them"
        )
    return where


def read_paper_results(folder) -> list[dict]:
    """Read the Grid LSTM paper's per-image results, labelled correctly.

    Reads every ``dibcoYY_foldN.csv`` in ``folder`` (the paper has seven: one
    per test set, 8 configurations × 86 images = 688 rows).  The files' last
    three columns are read as Recall, Precision and pseudo-Recall, whatever
    the (wrong) header says; pseudo-precision is ``nan``.  Configuration names
    are mapped with :data:`PAPER_CONFIGS` and image names with
    :func:`paper_image_name`; the test set is named with :data:`DATASET_NAMES`.

    Parameters
    ----------
    folder : str or Path
        The folder holding the CSVs (``das2018_results``).

    Returns
    -------
    rows : list of dict
        One row per (configuration, image), files in test-set order and rows
        in file order.  Each row also has ``fold``, the fold number in the
        file name.

    Raises
    ------
    FileNotFoundError
        No ``dibcoYY_foldN.csv`` in ``folder``.
    InputError
        A file whose header or row length is not the paper's.
    """
    folder = Path(folder)
    files = sorted(p for p in folder.glob("dibco*_fold*.csv") if _PAPER_FILE.match(p.name))
    if not files:
        raise FileNotFoundError(f"{folder}: no dibcoYY_foldN.csv files (the paper's results)")
    rows: list[dict] = []
    for path in files:
        key, fold = _PAPER_FILE.match(path.name).groups()
        dataset = DATASET_NAMES.get(key, key)
        with open(path, newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None or [h.strip() for h in header] != _PAPER_HEADER:
                raise InputError(f"{path}: header {header!r} is not the paper's {','.join(_PAPER_HEADER)}")
            for lineno, cells in enumerate(reader, start=2):
                if not cells or all(not c.strip() for c in cells):
                    continue
                if len(cells) != len(_PAPER_HEADER):
                    raise InputError(f"{path}:{lineno}: {len(cells)} cells, expected {len(_PAPER_HEADER)}")
                row = {
                    "config": _config_name(cells[0].strip()),
                    "criterium": cells[1].strip(),
                    "dataset": dataset,
                    "image": paper_image_name(key, cells[2]),
                }
                for k, cell in zip(_PAPER_METRICS, cells[3:]):
                    row[k] = _float(cell, f"{path}:{lineno}")
                row["pseudo_precision"] = math.nan
                row["fold"] = int(fold)
                rows.append(row)
    return rows


class PaperTimes(NamedTuple):
    """What :func:`read_paper_times` returns; unpacks as ``per_image, means``."""

    #: One row per (configuration, image): ``config``, ``dataset``, ``image``, ``seconds``.
    per_image: list
    #: The file's three unlabelled closing rows: configuration → mean seconds
    #: per image (paper Table I).
    means: dict


def read_paper_times(folder) -> PaperTimes:
    """Read the paper's binarization times (``bin_times.csv``; Table I).

    The file has a header ``img,<config>,<config>,<config>`` (f4, f2, f8, all
    sf2-Ldyn), one row per test image named ``<dataset>_<image>`` with the
    seconds each configuration took on a GTX 980 (network time only), a blank
    line, and three unlabelled rows ``<config> <mean seconds>``: Table I.

    Parameters
    ----------
    folder : str or Path
        The folder holding ``bin_times.csv`` (or the file itself).

    Returns
    -------
    PaperTimes
        ``(per_image, means)``; configurations use binkit's names.
    """
    path = Path(folder)
    if path.is_dir():
        path = path / "bin_times.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: not found (the paper's bin_times.csv)")
    per_image: list[dict] = []
    means: dict[str, float] = {}
    with open(path, newline="") as fh:
        lines = [ln.strip() for ln in fh]
    header = [h.strip() for h in lines[0].split(",")]
    if not header or header[0] != "img":
        raise InputError(f"{path}: header {lines[0]!r} does not start with 'img'")
    configs = [_config_name(h) for h in header[1:]]
    for lineno, line in enumerate(lines[1:], start=2):
        if not line:
            continue
        if "," in line:
            cells = line.split(",")
            if len(cells) != len(header):
                raise InputError(f"{path}:{lineno}: {len(cells)} cells, expected {len(header)}")
            key, _, name = cells[0].strip().partition("_")
            for config, cell in zip(configs, cells[1:]):
                per_image.append({
                    "config": config,
                    "dataset": DATASET_NAMES.get(key, key),
                    "image": paper_image_name(key, name),
                    "seconds": _float(cell, f"{path}:{lineno}"),
                })
        else:  # an unlabelled "config mean" row
            parts = line.split()
            if len(parts) != 2:
                raise InputError(f"{path}:{lineno}: expected '<config> <mean>', got {line!r}")
            means[_config_name(parts[0])] = _float(parts[1], f"{path}:{lineno}")
    return PaperTimes(per_image, means)


# ---------------------------------------------------------------------------
# binkit's own CSV


def write_results_csv(path, rows: Iterable[Mapping]) -> Path:
    """Write per-image results as binkit's results CSV (see the module docstring).

    Parameters
    ----------
    path : str or Path
        File to write (overwritten).
    rows : iterable of dict
        Rows with the :data:`KEYS`; metrics that a row lacks, or that are
        ``nan``, are written as empty cells.  Other keys are ignored.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(CSV_COLUMNS)
        for k, row in enumerate(rows):
            cells = []
            for col in CSV_COLUMNS:
                key = _CSV_KEY[col]
                v = row.get(key, "" if key in KEYS else math.nan)
                if key in METRICS:
                    try:
                        v = float(v)
                    except (TypeError, ValueError):
                        raise InputError(f"row {k}: {key}={v!r} is not a number") from None
                    cells.append("" if math.isnan(v) else repr(v))
                else:
                    cells.append(str(v))
            w.writerow(cells)
    return path


def read_results_csv(path, *, dataset: str | None = None) -> list[dict]:
    """Read a results CSV written by :func:`write_results_csv`.

    Columns are found by name, so their order does not matter and extra
    columns are ignored.  The ``dataset`` column may be absent, in which case
    the ``dataset`` argument fills it.  A metric column that is absent is
    ``nan`` throughout.

    Parameters
    ----------
    path : str or Path
    dataset : str, optional
        Test-set name for files without a ``dataset`` column.

    Returns
    -------
    rows : list of dict

    Raises
    ------
    InputError
        The header is the paper's mislabelled one (use
        :func:`read_paper_results`), or lacks ``method`` or ``Name``.
    """
    path = Path(path)
    with open(path, newline="") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader, [])]
        if header == _PAPER_HEADER:
            raise InputError(
                f"{path}: this is the Grid LSTM paper's mislabelled header (its 'Rps' is Precision "
                "and its 'Pps' pseudo-Recall); read it with binkit.results.read_paper_results"
            )
        for need in ("method", "Name"):
            if need not in header:
                raise InputError(f"{path}: no {need!r} column in header {','.join(header)}")
        index = {col: header.index(col) for col in CSV_COLUMNS if col in header}
        rows = []
        for lineno, cells in enumerate(reader, start=2):
            if not cells or all(not c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise InputError(f"{path}:{lineno}: {len(cells)} cells, expected {len(header)}")
            row = {
                "config": cells[index["method"]],
                "criterium": cells[index["criterium"]] if "criterium" in index else "",
                "dataset": cells[index["dataset"]] if "dataset" in index else (dataset or ""),
                "image": cells[index["Name"]],
            }
            for col in CSV_COLUMNS[3:11]:
                row[_CSV_KEY[col]] = _float(cells[index[col]], f"{path}:{lineno}") if col in index else math.nan
            rows.append(row)
    return rows


# ---------------------------------------------------------------------------
# selecting, averaging, printing


def _matches(value, wanted) -> bool:
    if wanted is None:
        return True
    if isinstance(wanted, (str, int)) or not isinstance(wanted, Iterable):
        wanted = (wanted,)
    for w in wanted:
        if value == w:
            return True
        # a year selects its contest: select(rows, dataset=2016)
        if isinstance(w, int) and isinstance(value, str) and value.endswith(str(w)):
            return True
    return False


def select(rows: Iterable[Mapping], *, config=None, dataset=None, image=None, criterium=None) -> list[dict]:
    """The rows that match every given condition.

    Each condition is a value or a sequence of accepted values; ``None`` means
    any.  A ``dataset`` given as an int year matches the contest of that year
    (``dataset=2016`` matches ``"H-DIBCO 2016"``).

    Examples
    --------
    >>> rows = [{"config": "a", "dataset": "H-DIBCO 2016", "image": "2016_H01", "fm": 90.0},
    ...         {"config": "b", "dataset": "H-DIBCO 2016", "image": "2016_H01", "fm": 80.0}]
    >>> [r["fm"] for r in select(rows, config="b", dataset=2016)]
    [80.0]
    """
    want = {"config": config, "dataset": dataset, "image": image, "criterium": criterium}
    return [dict(r) if not isinstance(r, dict) else r
            for r in rows if all(_matches(r.get(k), v) for k, v in want.items())]


def values(rows: Iterable[Mapping], metric: str) -> np.ndarray:
    """One metric of every row, in row order, as a float array (``nan`` where missing)."""
    return np.array([float(r.get(metric, math.nan)) for r in rows], dtype=float)


def mean_table(rows: Iterable[Mapping], by: Sequence[str] = ("config", "dataset"),
               metrics: Sequence[str] = ("fm", "fps", "psnr", "drd"), *, sd: bool = False) -> list[dict]:
    """Average the metrics over the rows of each group.

    Parameters
    ----------
    rows : iterable of dict
    by : sequence of str
        Keys that define a group, e.g. ``("config",)`` to pool all test sets.
        ``()`` gives one group of all rows.
    metrics : sequence of str
    sd : bool, default False
        Also give each metric's **population** standard deviation (ddof = 0,
        as in the paper's Table IV) under ``"<metric>_sd"``.

    Returns
    -------
    table : list of dict
        One dict per group, in order of first appearance: the ``by`` keys,
        ``n`` (number of rows) and the mean of each metric (``nan`` if a value
        is missing: a mean over fewer images would not be comparable).
    """
    by = tuple(by)
    groups: dict[tuple, list] = {}
    for r in rows:
        groups.setdefault(tuple(r.get(k) for k in by), []).append(r)
    table = []
    for key, members in groups.items():
        out = dict(zip(by, key))
        out["n"] = len(members)
        for m in metrics:
            v = values(members, m)
            out[m] = float(v.mean())
            if sd:
                out[f"{m}_sd"] = float(v.std(ddof=0))
        table.append(out)
    return table


def format_table(table: Sequence[Mapping], columns: Sequence[str] | None = None, *, digits: int = 2) -> str:
    """Format a list of dicts (rows, or :func:`mean_table` output) as aligned text.

    Parameters
    ----------
    table : sequence of dict
    columns : sequence of str, optional
        Which keys to show, in order; default: the keys of the first dict.
    digits : int, default 2
        Decimals for floats.  Ints and strings are shown as they are.

    Returns
    -------
    str
        A heading line, a rule, one line per dict; text left-aligned, numbers
        right-aligned.  No trailing newline.

    Examples
    --------
    >>> print(format_table([{"config": "f4", "fm": 88.156}, {"config": "f8", "fm": 81.3}]))
    config     fm
    ------  -----
    f4      88.16
    f8      81.30
    """
    if columns is None:
        columns = list(table[0].keys()) if table else []
    columns = list(columns)

    def cell(v) -> str:
        if v is None:
            return ""
        if isinstance(v, str):
            return v
        if isinstance(v, (bool, np.bool_)):
            return str(bool(v))
        if isinstance(v, (int, np.integer)):
            return str(int(v))
        try:
            return f"{float(v):.{digits}f}"
        except (TypeError, ValueError):
            return str(v)

    cells = [[cell(r.get(c)) for c in columns] for r in table]
    text = [all(isinstance(r.get(c), str) or r.get(c) is None for r in table) for c in columns]
    widths = [max([len(c)] + [len(row[j]) for row in cells]) for j, c in enumerate(columns)]

    def line(items) -> str:
        return "  ".join(s.ljust(w) if t else s.rjust(w) for s, w, t in zip(items, widths, text)).rstrip()

    out = [line(columns), "  ".join("-" * w for w in widths)]
    out += [line(row) for row in cells]
    return "\n".join(out)


# ---------------------------------------------------------------------------
# scoring several methods in one run


def score_methods(pages, methods: Mapping, *, criterium: Mapping | None = None) -> tuple[list[dict], dict]:
    """Binarize and score every page with every method, in one run.

    The pseudo-F weights of each ground truth are computed once and shared by
    all methods, and each method's binarization time is measured (scoring
    excluded), so the rows compare like with like.

    Parameters
    ----------
    pages : iterable
        :class:`binkit.datasets.DibcoSample` objects, or ``(name, image, gt)``
        triples (their dataset is then ``""``).
    methods : mapping of str to callable
        Row label (``config``) -> ``function(image) -> ink mask``.
    criterium : mapping of str to str, optional
        ``criterium`` of each method's rows (default ``""``).

    Returns
    -------
    rows : list of dict
        One row per (page, method) in this module's format, all measures of
        :func:`binkit.metrics.evaluate` included.
    seconds_per_mp : dict of str to float
        Binarization time per megapixel of each method over all pages.
    """
    import time

    from .metrics import evaluate, pseudo_weights

    criterium = dict(criterium or {})
    rows, seconds, megapixels = [], {m: 0.0 for m in methods}, 0.0
    for page in pages:
        if isinstance(page, tuple):
            name, image, gt = page
            dataset = ""
        else:
            name, image, gt = page.name, page.image, page.gt
            dataset = DATASET_NAMES.get(f"dibco{int(page.year) % 100:02d}", str(page.year))
        megapixels += image.size / 1e6
        weights = pseudo_weights(gt)
        for label, function in methods.items():
            t = time.perf_counter()
            ink = function(image)
            seconds[label] += time.perf_counter() - t
            scores = evaluate(ink, gt, weights)
            rows.append({"config": label, "criterium": criterium.get(label, ""), "dataset": dataset,
                         "image": name, **{k: float(v) for k, v in scores.items()}})
    return rows, {m: s / megapixels for m, s in seconds.items()} if megapixels else {}
