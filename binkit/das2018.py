"""The Grid LSTM paper's own result files (Westphal, Lavesson, Grahn, DAS 2018).

Westphal et al. published their raw per-image results as one CSV per test
set, ``dibcoYY_foldN.csv``, and the binarization times as ``bin_times.csv``
(github.com/FlorianWestphal/DAS2018, folder ``data/``, Apache-2.0).  binkit
ships unchanged copies in ``binkit/reference/das2018_results/``, with the
licence; :func:`paper_results_dir` finds them, :func:`read_paper_results` and
:func:`read_paper_times` read them into result rows of :mod:`binkit.results`.
:data:`PAPER_CONFIGS` maps the paper's configuration names to binkit's and
:data:`PAPER_EXPERIMENTS` lists the three experiments of its Table II.

**The files' header is mislabelled**: it reads

    ``method,criterium,Name,F-Measure,Fps,PSNR,DRD,Recall,Rps,Pps``

seven measures, while the DIBCO tool prints eight (FM, Fps, PSNR, DRD,
Recall, Precision, Rps, Pps).  Two checks show which one was dropped and how
the rest were labelled:

* FM = 2RP/(R+P) holds on every row (to the files' printed precision) when R
  is the column headed *Recall* and P the column headed *Rps*, so "Rps" is
  the precision;
* on pages flooded with false positives (DIBCO 2011 P06, PSNR 7 dB) the
  column headed "Rps" is the small one, as precision must be, and the column
  headed "Pps" behaves like a pseudo-recall.

So the columns are FM, Fps, PSNR, DRD, Recall, Precision, pseudo-Recall: the
tool's order with the last value cut off.  :func:`read_paper_results` reads
them that way, and pseudo-precision is ``nan``.  binkit's own results CSV
(:func:`binkit.results.write_results_csv`) has the same first columns,
labelled correctly, with pseudo-precision restored.

This module needs numpy only (no torch).
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import NamedTuple

from ._errors import InputError
from .results import METRICS, dataset_name, parse_number, read_csv_cells

__all__ = [
    "DATASET_NAMES",
    "PAPER_CONFIGS",
    "PAPER_EXPERIMENTS",
    "PAPER_HEADER",
    "PaperTimes",
    "paper_image_name",
    "paper_results_dir",
    "read_paper_results",
    "read_paper_times",
]

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

#: Test-set keys of the paper's file names (``dibco09`` … ``dibco16``) and the
#: test sets' names in result rows (:func:`binkit.results.dataset_name`).
DATASET_NAMES = {f"dibco{year % 100:02d}": dataset_name(year) for year in (2009, 2010, 2011, 2012, 2013, 2014, 2016)}

#: The header of the paper's CSVs, as written (mislabelled: see the module docstring).
PAPER_HEADER = ("method", "criterium", "Name", "F-Measure", "Fps", "PSNR", "DRD", "Recall", "Rps", "Pps")

_PAPER_FILE = re.compile(r"^(dibco\d\d)_fold(\d+)\.csv$")
# What the paper's seven metric columns really hold: binkit's CSV order, pseudo-precision cut off.
_PAPER_METRICS = METRICS[:7]
_PAPER_IMAGE = re.compile(r"^(hw|h|pr|p)(\d+)$", re.IGNORECASE)

# Environment variable that points paper_results_dir at another copy of the files.
_PAPER_RESULTS_ENV = "BINKIT_DAS2018_RESULTS"
# The copy shipped inside the package (unchanged files, with their licence).
_SHIPPED = Path(__file__).resolve().parent / "reference" / "das2018_results"


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


def _config_name(name: str) -> str:
    return PAPER_CONFIGS.get(name, name)


# ---------------------------------------------------------------------------
# the paper's files


def paper_results_dir(folder=None) -> Path:
    """Find the folder with the Grid LSTM paper's raw per-image results.

    It looks, in this order, at

    1. ``folder``, if given;
    2. the environment variable ``BINKIT_DAS2018_RESULTS``, if set;
    3. the copy shipped with binkit, ``binkit/reference/das2018_results``.

    The first candidate is the only one checked: a folder given explicitly
    (or by the environment variable) that lacks the files is an error, not a
    reason to fall back on the shipped copy.

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
        says where it looked and where the files come from.

    Examples
    --------
    >>> len(read_paper_results(paper_results_dir()))
    688
    """
    if folder is not None:
        where, how = Path(folder), "the folder given"
    elif os.environ.get(_PAPER_RESULTS_ENV):
        where, how = Path(os.environ[_PAPER_RESULTS_ENV]), f"${_PAPER_RESULTS_ENV}"
    else:
        where, how = _SHIPPED, "the copy shipped with binkit"
    if not (where / "dibco16_fold0.csv").is_file():
        raise FileNotFoundError(
            f"the Grid LSTM paper's results (dibco16_fold0.csv) are not in {where} ({how}); they come from the "
            f"paper's repository (github.com/FlorianWestphal/DAS2018, Apache-2.0, folder data/): give their "
            f"folder, set {_PAPER_RESULTS_ENV} to it, or leave both out for the copy shipped with binkit"
        )
    return where


def read_paper_results(folder=None) -> list[dict]:
    """Read the Grid LSTM paper's per-image results, labelled correctly.

    Reads every ``dibcoYY_foldN.csv`` in ``folder`` (the paper has seven: one
    per test set, 8 configurations × 86 images = 688 rows).  The files' last
    three columns are read as Recall, Precision and pseudo-Recall, whatever
    the (wrong) header says; pseudo-precision is ``nan``.  Configuration names
    are mapped with :data:`PAPER_CONFIGS` and image names with
    :func:`paper_image_name`; the test set is named with :data:`DATASET_NAMES`.

    Parameters
    ----------
    folder : str or Path, optional
        The folder holding the CSVs; default :func:`paper_results_dir`'s
        choice (``$BINKIT_DAS2018_RESULTS``, else the shipped copy).

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
    folder = paper_results_dir() if folder is None else Path(folder)
    files = sorted(p for p in folder.glob("dibco*_fold*.csv") if _PAPER_FILE.match(p.name))
    if not files:
        raise FileNotFoundError(f"{folder}: no dibcoYY_foldN.csv files (the paper's results)")
    rows: list[dict] = []
    for path in files:
        key, fold = _PAPER_FILE.match(path.name).groups()
        dataset = DATASET_NAMES.get(key, key)
        header, lines = read_csv_cells(path)
        if tuple(header) != PAPER_HEADER:
            raise InputError(f"{path}: header {','.join(header)!r} is not the paper's {','.join(PAPER_HEADER)}")
        for lineno, cells in lines:
            row = {
                "config": _config_name(cells[0].strip()),
                "criterium": cells[1].strip(),
                "dataset": dataset,
                "image": paper_image_name(key, cells[2]),
            }
            for k, cell in zip(_PAPER_METRICS, cells[3:]):
                row[k] = parse_number(cell, f"{path}:{lineno}")
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


def read_paper_times(folder=None) -> PaperTimes:
    """Read the paper's binarization times (``bin_times.csv``; Table I).

    The file has a header ``img,<config>,<config>,<config>`` (f4, f2, f8, all
    sf2-Ldyn), one row per test image named ``<dataset>_<image>`` with the
    seconds each configuration took on a GTX 980 (network time only), a blank
    line, and three unlabelled rows ``<config> <mean seconds>``: Table I.

    Parameters
    ----------
    folder : str or Path, optional
        The folder holding ``bin_times.csv`` (or the file itself); default
        :func:`paper_results_dir`'s choice.

    Returns
    -------
    PaperTimes
        ``(per_image, means)``; configurations use binkit's names.
    """
    path = paper_results_dir() if folder is None else Path(folder)
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
                    "seconds": parse_number(cell, f"{path}:{lineno}"),
                })
        else:  # an unlabelled "config mean" row
            parts = line.split()
            if len(parts) != 2:
                raise InputError(f"{path}:{lineno}: expected '<config> <mean>', got {line!r}")
            means[_config_name(parts[0])] = parse_number(parts[1], f"{path}:{lineno}")
    return PaperTimes(per_image, means)
