"""The DIBCO / H-DIBCO benchmark pages, read from a folder the user points to.

binkit never ships these images.  It reads them from a root folder with the
layout::

    <root>/<year>/images/<name>.png     the degraded original
    <root>/<year>/gt/<name>.png         its ground truth (0 = ink, 255 = page)

where ``<name>`` is ``<year>_<id>``, e.g. ``2011_H03`` (handwritten) or
``2011_P05`` (machine-printed).  :func:`binkit.datasets.fetch_dibco` builds
this layout from the contests' official archives.

Which root: an argument, else ``$BINKIT_DIBCO_ROOT``, else the checkout's
``data/dibco`` (only when binkit runs from a checkout), else ``dibco/`` in the
user data folder (``$BINKIT_DATA_HOME``, ``$XDG_DATA_HOME/binkit`` or
``~/.local/share/binkit``), which is where ``fetch_dibco`` writes by default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._errors import InputError
from ..io import read_gt, read_image
from .locations import candidate_roots, describe_candidates, user_data_dir

__all__ = [
    "DIBCO_YEARS",
    "ENV_VAR",
    "DibcoSample",
    "default_dest",
    "dibco_root",
    "load_dibco",
]

#: Contest years binkit knows, in the order the Grid LSTM paper uses them.
DIBCO_YEARS = (2009, 2010, 2011, 2012, 2013, 2014, 2016)

#: Environment variable that points binkit at the DIBCO root folder.
ENV_VAR = "BINKIT_DIBCO_ROOT"

_IMAGE_SUFFIXES = (".png", ".bmp", ".tif", ".tiff", ".jpg", ".jpeg")


def default_dest() -> Path:
    """Where :func:`binkit.datasets.fetch_dibco` writes when no ``dest`` is given.

    Returns
    -------
    pathlib.Path
        ``$BINKIT_DIBCO_ROOT`` when it is set (the folder :func:`dibco_root`
        reads first), else ``dibco/`` in the user data folder
        (:func:`binkit.datasets.locations.user_data_dir`), which
        :func:`dibco_root` also reads, so fetched data is found with no
        setting.
    """
    env = os.environ.get(ENV_VAR)
    return Path(env).expanduser() if env else user_data_dir() / "dibco"


def _holds_years(folder: Path) -> bool:
    return folder.is_dir() and any((folder / str(y) / "images").is_dir() for y in _years_in(folder))


#: The years the not-found message suggests when the caller asked for none.
_EXAMPLE_YEARS = (2009, 2010, 2016)


def _not_found(looked: list[tuple[Path, str]], years=None) -> FileNotFoundError:
    """The one-line error of a search that found no DIBCO data.

    It opens with one short sentence that says how to get the data (the
    command with the years asked for, and the variable that points at it): a
    notebook that prints only the start of the message (the course's print
    70 or 80 characters) still shows that sentence whole.  The places looked
    in and the details follow.
    """
    dest = default_dest()
    wanted = " ".join(str(y) for y in (years or _EXAMPLE_YEARS))
    return FileNotFoundError(
        f"no DIBCO data: run `binkit fetch-dibco {wanted}` or set {ENV_VAR}. "
        f"Looked in {describe_candidates(looked, ENV_VAR)}. "
        f"`binkit fetch-dibco YEARS --dest {dest}` (e.g. YEARS = 2009 2010 2016) "
        f"or binkit.datasets.fetch_dibco(years) downloads the official archives to {dest} by default; "
        f"or set {ENV_VAR}=/path/to/dibco, or pass root=..."
    )


def dibco_root(root=None) -> Path:
    """Return the DIBCO root folder binkit will read.

    Parameters
    ----------
    root : str or os.PathLike, optional
        Use this folder and no other.  Otherwise the first of these that
        holds data: ``$BINKIT_DIBCO_ROOT``; ``data/dibco`` in the project when
        binkit runs from a checkout; ``dibco/`` in the user data folder
        (``$BINKIT_DATA_HOME``, else ``$XDG_DATA_HOME/binkit``, else
        ``~/.local/share/binkit``), where :func:`~binkit.datasets.fetch_dibco`
        writes by default.  See :mod:`binkit.datasets.locations`.

    Returns
    -------
    pathlib.Path
        The first candidate that holds at least one ``<year>/images`` folder.

    Raises
    ------
    FileNotFoundError
        Nothing was found; the one-line message lists every place binkit
        looked and how to get the data.
    """
    return _dibco_root(root)


def _dibco_root(root=None, years=None) -> Path:
    """:func:`dibco_root`; ``years`` (those the caller wants) go into the not-found message's command."""
    looked = candidate_roots("dibco", ENV_VAR, root)
    for candidate, _ in looked:
        if _holds_years(candidate):
            return candidate
    raise _not_found(looked, years)


def _years_in(root: Path) -> list[int]:
    return sorted(int(p.name) for p in root.iterdir() if p.is_dir() and p.name.isdigit())


@dataclass(frozen=True)
class DibcoSample:
    """One DIBCO page: its name, year and the paths to its image and ground truth.

    ``image`` and ``gt`` are read from disk the first time they are used and
    then kept, so a list of samples is cheap to build.

    Attributes
    ----------
    name : str
        ``<year>_<id>``, e.g. ``"2016_H01"``.
    year : int
    image_path, gt_path : pathlib.Path
    image : (H, W) ndarray of float32
        The degraded page in [0, 1] (see :func:`binkit.io.read_image`).
    gt : (H, W) ndarray of bool
        Its ground truth, True = ink (see :func:`binkit.io.read_gt`).
    """

    name: str
    year: int
    image_path: Path
    gt_path: Path
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def image(self) -> np.ndarray:
        if "image" not in self._cache:
            self._cache["image"] = read_image(self.image_path)
        return self._cache["image"]

    @property
    def gt(self) -> np.ndarray:
        if "gt" not in self._cache:
            gt = read_gt(self.gt_path)
            if gt.shape != self.image.shape:
                raise InputError(
                    f"{self.gt_path}: ground truth is {gt.shape[1]}x{gt.shape[0]} but its image "
                    f"{self.image_path.name} is {self.image.shape[1]}x{self.image.shape[0]}"
                )
            self._cache["gt"] = gt
        return self._cache["gt"]

    @property
    def shape(self) -> tuple[int, int]:
        """(H, W) of the page."""
        return self.image.shape

    def __repr__(self) -> str:
        return f"DibcoSample(name={self.name!r}, year={self.year})"


def _find_with_stem(folder: Path, stem: str) -> Path | None:
    for suffix in _IMAGE_SUFFIXES:
        p = folder / f"{stem}{suffix}"
        if p.is_file():
            return p
    return None


def load_dibco(root=None, years=None) -> list[DibcoSample]:
    """List the DIBCO pages under ``root``, as lazily loaded samples.

    Parameters
    ----------
    root : str or os.PathLike, optional
        The DIBCO root folder.  Default: the first of ``$BINKIT_DIBCO_ROOT``,
        the checkout's ``data/dibco`` and the user data folder's ``dibco/``
        that holds data (see :func:`dibco_root`).
    years : int or iterable of int, optional
        Which contest years to load (e.g. ``[2009, 2016]``).  Default: every
        year found under ``root``.

    Returns
    -------
    samples : list of DibcoSample
        Sorted by year, then name.  Each sample has ``name``, ``year``,
        ``image`` (float32 (H, W)) and ``gt`` (bool (H, W), True = ink).

    Raises
    ------
    FileNotFoundError
        No data under any candidate root, or a requested year is missing.
    binkit.InputError
        An image has no ground truth of the same name.

    Examples
    --------
    >>> samples = load_dibco(years=[2016])          # doctest: +SKIP
    >>> s = samples[0]; s.name, s.image.shape, s.gt.mean()   # doctest: +SKIP
    ('2016_H01', (..., ...), 0.07...)
    """
    try:   # only for the not-found message's command; the years are checked below
        asked = None if years is None else (
            [int(years)] if isinstance(years, (int, np.integer, str)) else [int(y) for y in years])
    except (TypeError, ValueError):
        asked = None
    base = _dibco_root(root, asked)
    available = _years_in(base)
    if years is None:
        wanted = available
    else:
        wanted = [int(years)] if isinstance(years, (int, np.integer, str)) else [int(y) for y in years]
        missing = [y for y in wanted if y not in available]
        if missing:
            raise FileNotFoundError(
                f"DIBCO year(s) {missing} not found under {base} (found: {available}); "
                f"download them with `binkit fetch-dibco {' '.join(map(str, missing))} --dest {base}` "
                "or binkit.datasets.fetch_dibco"
            )
    samples = []
    for year in wanted:
        img_dir, gt_dir = base / str(year) / "images", base / str(year) / "gt"
        if not img_dir.is_dir():
            continue
        for img in sorted(p for p in img_dir.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES):
            gt = _find_with_stem(gt_dir, img.stem)
            if gt is None:
                raise InputError(f"{img}: no ground truth named {img.stem}.* in {gt_dir}")
            samples.append(DibcoSample(name=img.stem, year=year, image_path=img, gt_path=gt))
    if not samples:
        raise _not_found([(base, "the DIBCO root")])
    return samples

