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
``dataset``       test set name, e.g. ``"H-DIBCO 2016"`` (str, see :func:`dataset_name`)
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
:func:`binkit.metrics.evaluate` (whose names, units and directions are in
:data:`binkit.metrics.MEASURES`), so ``{**evaluate(pred, gt), "config": ...}``
is a row; a row may also hold ``nrm`` and ``mpm``, which the CSV leaves out.

The Grid LSTM paper's own result files, which have the same shape, are read
by :mod:`binkit.das2018`; :func:`binkit.scoring.score_methods` makes rows by
binarizing and scoring pages.

binkit's results CSV
--------------------
:func:`write_results_csv` writes the shape of the Grid LSTM paper's files,
with the columns labelled correctly (the paper's header is not, see
:mod:`binkit.das2018`), the missing pseudo-precision column restored and the
test set named in a last column::

    method,criterium,Name,F-Measure,Fps,PSNR,DRD,Recall,Precision,Rps,Pps,dataset

``dataset`` comes last so that the first columns line up with the paper's
files.  A missing value is an empty cell (R's ``read.csv`` reads it as
``NA``); numbers are written with Python's shortest round-trip ``repr``, so
:func:`read_results_csv` gives back exactly the floats that were written.

Printing
--------
:func:`format_table` is binkit's one text-table formatter
(:func:`binkit.plot.text_table` and :func:`binkit.plot.metrics_table` are
thin adapters over it).  A column named by a measure key is headed, scaled
and rounded as :data:`binkit.metrics.MEASURES` says.
"""

from __future__ import annotations

import csv
import math
import numbers
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np

from ._errors import InputError
from .metrics import MEASURES

__all__ = [
    "CSV_COLUMNS",
    "KEYS",
    "METRICS",
    "dataset_name",
    "format_table",
    "mean_table",
    "parse_number",
    "read_csv_cells",
    "read_results_csv",
    "select",
    "values",
    "write_results_csv",
]

#: Identifying keys of a row.
KEYS = ("config", "criterium", "dataset", "image")

#: Metric keys of binkit's results CSV, in the DIBCO tool's output order: the
#: measures of :data:`binkit.metrics.MEASURES` that have a CSV column.
METRICS = tuple(k for k, m in MEASURES.items() if m.csv_column)

#: Column names of binkit's results CSV: identifying columns first, as in the paper's files.
CSV_COLUMNS = ("method", "criterium", "Name") + tuple(MEASURES[k].csv_column for k in METRICS) + ("dataset",)
_CSV_KEY = dict(zip(CSV_COLUMNS, ("config", "criterium", "image") + METRICS + ("dataset",)))

# The years of a DIBCO contest (none in 2015); those held on handwritten pages only are named H-DIBCO.
_CONTEST_YEARS = frozenset({2009, 2010, 2011, 2012, 2013, 2014, 2016, 2017, 2018, 2019})
_HANDWRITTEN_ONLY = frozenset({2010, 2012, 2014, 2016, 2018})
_NAN_CELLS = {"", "nan", "na", "n/a", "none"}


def dataset_name(year) -> str:
    """The name of a DIBCO test set in result rows, from its year.

    Parameters
    ----------
    year : int
        The contest's year, 2009 … 2019 (there was none in 2015).

    Returns
    -------
    str
        ``"DIBCO <year>"``, or ``"H-DIBCO <year>"`` for the contests held on
        handwritten pages only (2010, 2012, 2014, 2016, 2018); ``str(year)``
        for a year without a contest.

    Examples
    --------
    >>> dataset_name(2016), dataset_name(2011)
    ('H-DIBCO 2016', 'DIBCO 2011')
    """
    year = int(year)
    if year not in _CONTEST_YEARS:
        return str(year)
    return f"{'H-' if year in _HANDWRITTEN_ONLY else ''}DIBCO {year}"


def parse_number(cell: str, where: str) -> float:
    """A CSV cell as a float: an empty, ``nan`` or ``NA`` cell is ``nan``.

    Parameters
    ----------
    cell : str
    where : str
        ``"<file>:<line>"``, for the error message.

    Raises
    ------
    InputError
        The cell is not a number.
    """
    s = cell.strip()
    if s.lower() in _NAN_CELLS:
        return math.nan
    try:
        return float(s)
    except ValueError:
        raise InputError(f"{where}: {cell!r} is not a number") from None


def read_csv_cells(path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the rows of a CSV file, for binkit's readers of result and log files.

    Blank lines are skipped; every other line must have as many cells as the
    header.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    header : list of str
        The first line's cells, stripped (empty for an empty file).
    rows : list of (int, list of str)
        ``(line number, cells)`` of each non-blank line after the header,
        cells as written.

    Raises
    ------
    InputError
        A line whose number of cells differs from the header's.
    """
    path = Path(path)
    with open(path, newline="") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader, [])]
        rows = []
        for lineno, cells in enumerate(reader, start=2):
            if not cells or all(not c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise InputError(f"{path}:{lineno}: {len(cells)} cells, expected {len(header)}")
            rows.append((lineno, cells))
    return header, rows


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
    import io

    from .io import write_text

    path = Path(path)
    fh = io.StringIO()
    # the rows are checked in memory, then the file is replaced at once (never half a file)
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
    write_text(path, fh.getvalue())
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
        The header has ``Rps`` but no ``Precision``, as the paper's
        mislabelled one (use :func:`binkit.das2018.read_paper_results`), or
        lacks ``method`` or ``Name``.
    """
    path = Path(path)
    header, lines = read_csv_cells(path)
    if "Rps" in header and "Precision" not in header:
        # binkit always writes Precision; a file with Rps but no Precision is cut like the Grid LSTM
        # paper's, whose "Rps" column is really the precision
        raise InputError(
            f"{path}: a header with 'Rps' but no 'Precision' is the Grid LSTM paper's mislabelled one "
            "(its 'Rps' is Precision and its 'Pps' pseudo-Recall); read it with binkit.das2018.read_paper_results"
        )
    for need in ("method", "Name"):
        if need not in header:
            raise InputError(f"{path}: no {need!r} column in header {','.join(header)}")
    index = {col: header.index(col) for col in CSV_COLUMNS if col in header}
    rows = []
    for lineno, cells in lines:
        row = {
            "config": cells[index["method"]],
            "criterium": cells[index["criterium"]] if "criterium" in index else "",
            "dataset": cells[index["dataset"]] if "dataset" in index else (dataset or ""),
            "image": cells[index["Name"]],
        }
        for key in METRICS:
            col = MEASURES[key].csv_column
            row[key] = parse_number(cells[index[col]], f"{path}:{lineno}") if col in index else math.nan
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


def _measure_of(column):
    """The :class:`~binkit.metrics.Measure` a column shows, and the heading's suffix (``"fm_sd"`` -> FM, " sd")."""
    if not isinstance(column, str):
        return None, ""
    if column in MEASURES:
        return MEASURES[column], ""
    base, _, suffix = column.rpartition("_")
    if suffix == "sd" and base in MEASURES:  # mean_table(..., sd=True): a spread, on the measure's scale
        return MEASURES[base], " sd"
    return None, ""


def format_table(table: Sequence[Mapping], columns: Sequence | None = None, *, digits: int | None = None,
                 headings: Mapping | None = None) -> str:
    """Format a list of dicts (rows, or :func:`mean_table` output) as aligned text.

    binkit's one text-table formatter.  A column named by a measure key of
    :data:`binkit.metrics.MEASURES` (or ``"<key>_sd"``, as :func:`mean_table`
    writes) is headed with the measure's heading (``"FM"``, ``"NRM×10²"``)
    and its numbers are shown on the measure's scale (NRM x 100, MPM x 1000)
    with its decimals.

    Parameters
    ----------
    table : sequence of dict
    columns : sequence, optional
        Which keys to show, in order; default: the keys of the first dict.
    digits : int, optional
        Decimals for every float, measures included.  Default: each measure's
        own :attr:`~binkit.metrics.Measure.decimals`, and 2 for other floats.
        Ints and strings are shown as they are, ``None`` as an empty cell.
    headings : mapping, optional
        Column key -> heading, in place of the default heading (the measure's
        heading for a measure key, else the key itself).

    Returns
    -------
    str
        A heading line, a rule, one line per dict; a column of strings only
        is left-aligned, any other right-aligned.  No trailing newline.

    Examples
    --------
    >>> print(format_table([{"config": "f4", "fm": 88.156, "nrm": 0.0237}, {"config": "f8", "fm": 81.3, "nrm": 0.05}]))
    config     FM  NRM×10²
    ------  -----  -------
    f4      88.16     2.37
    f8      81.30     5.00
    """
    if columns is None:
        columns = list(table[0].keys()) if table else []
    columns = list(columns)
    headings = dict(headings or {})
    measures = [_measure_of(c) for c in columns]

    def cell(v, measure) -> str:
        if v is None:
            return ""
        if isinstance(v, str):
            return v
        if isinstance(v, (bool, np.bool_)):
            return str(bool(v))
        if measure is not None and isinstance(v, numbers.Real):  # a measure's value, even an int one
            return measure.format(v, digits)
        if isinstance(v, numbers.Integral):
            return str(int(v))
        try:
            return f"{float(v):.{2 if digits is None else digits}f}"
        except (TypeError, ValueError):
            return str(v)

    head = [headings[c] if c in headings else (m.heading + suffix if m is not None else str(c))
            for c, (m, suffix) in zip(columns, measures)]
    cells = [[cell(r.get(c), m) for c, (m, _) in zip(columns, measures)] for r in table]
    text = [all(isinstance(r.get(c), str) or r.get(c) is None for r in table) for c in columns]
    widths = [max([len(h)] + [len(row[j]) for row in cells]) for j, h in enumerate(head)]

    def line(items) -> str:
        return "  ".join(s.ljust(w) if t else s.rjust(w) for s, w, t in zip(items, widths, text)).rstrip()

    out = [line(head), "  ".join("-" * w for w in widths)]
    out += [line(row) for row in cells]
    return "\n".join(out)
