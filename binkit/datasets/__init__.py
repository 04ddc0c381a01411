"""Data for binkit: the DIBCO benchmarks, synthetic pages, and 64x64 blocks.

* :func:`load_dibco` reads the DIBCO / H-DIBCO pages; :func:`fetch_dibco`
  downloads the contests' official archives into that layout.
* :func:`synthetic_page` makes a degraded page *with exact ground truth*, so
  everything in the kit also runs offline; ``data/synthetic`` in the project
  holds a small committed set of them (:func:`load_synthetic`).
* :func:`hard_page` puts such a page in a scan (:mod:`binkit.datasets.hard`):
  scanner borders, a gutter shadow, the facing page, a torn or curled corner,
  a ruler or colour card, a lower resolution; its GT is still exact and none of
  that area is ink.  ``data/synthetic_hard`` holds a committed set of 36
  (``load_synthetic("data/synthetic_hard")`` reads it).

Where data is looked for (:mod:`binkit.datasets.locations`): the folder passed
as an argument; else the data set's environment variable
(``BINKIT_DIBCO_ROOT``, ``BINKIT_SYNTHETIC_ROOT``); else the checkout's
``data/dibco`` / ``data/synthetic`` when binkit runs from a checkout; else
``dibco/`` / ``synthetic/`` in the user data folder (``$BINKIT_DATA_HOME``,
else ``$XDG_DATA_HOME/binkit``, else ``~/.local/share/binkit``), where
:func:`fetch_dibco` writes by default.  A miss says every place it looked.
* :func:`page` is scikit-image's scanned page: real, but with no ground truth.
* :func:`to_blocks`, :func:`from_blocks` and :func:`sample_blocks` cut pages
  into the 64x64 blocks the models work on.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._errors import InputError
from .blocks import BLOCK, block_grid, from_blocks, pad_to_multiple, sample_blocks, to_blocks
from .dibco import DIBCO_YEARS, ENV_VAR, DibcoSample, dibco_root, load_dibco
from .fetch import fetch_dibco
from .locations import candidate_roots, describe_candidates, user_data_dir
from .hard import HardPage, hard_page
from .synthetic import DEGRADATIONS, SyntheticPage, synthetic_page

__all__ = [
    "BLOCK",
    "DEGRADATIONS",
    "DIBCO_YEARS",
    "ENV_VAR",
    "DibcoSample",
    "HardPage",
    "SYNTHETIC_ENV_VAR",
    "SyntheticPage",
    "block_grid",
    "dibco_root",
    "fetch_dibco",
    "from_blocks",
    "hard_page",
    "load_dibco",
    "load_split",
    "load_synthetic",
    "page",
    "pad_to_multiple",
    "sample_blocks",
    "synthetic_page",
    "synthetic_root",
    "to_blocks",
    "write_synthetic",
]


def page() -> np.ndarray:
    """scikit-image's scanned book page, as a float32 (H, W) image in [0, 1].

    A real scan with strongly uneven illumination that ships inside
    scikit-image, so it is always available offline.  It has no ground truth.

    Returns
    -------
    image : (191, 384) ndarray of float32
    """
    import skimage.data

    return skimage.data.page().astype(np.float32) / np.float32(255)


#: Environment variable that points binkit at a synthetic set (a folder with ``manifest.json``).
SYNTHETIC_ENV_VAR = "BINKIT_SYNTHETIC_ROOT"


def synthetic_root(root=None) -> Path:
    """The folder of a synthetic set: the committed one in a checkout, or one you wrote.

    Parameters
    ----------
    root : str or os.PathLike, optional
        Use this folder and no other.  Otherwise the first of these that
        holds a ``manifest.json``: ``$BINKIT_SYNTHETIC_ROOT``; ``data/synthetic``
        in the project when binkit runs from a checkout (the committed set);
        ``synthetic/`` in the user data folder (``$BINKIT_DATA_HOME``, else
        ``$XDG_DATA_HOME/binkit``, else ``~/.local/share/binkit``).  See
        :mod:`binkit.datasets.locations`.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FileNotFoundError
        No synthetic set in any of those places; the one-line message names
        each, how to write a set there (``binkit synthetic --dest ...``) and
        that :func:`synthetic_page` makes pages with no files at all.
    """
    looked = candidate_roots("synthetic", SYNTHETIC_ENV_VAR, root)
    for candidate, _ in looked:
        if (candidate / "manifest.json").is_file():
            return candidate
    dest = looked[0][0] if root is not None else user_data_dir() / "synthetic"
    raise FileNotFoundError(
        f"no synthetic set found; looked in {describe_candidates(looked, SYNTHETIC_ENV_VAR)}. "
        f"Write one with `binkit synthetic --dest {dest}`, or make pages in memory with "
        "binkit.datasets.synthetic_page(seed)"
    )


def load_synthetic(root=None) -> list[DibcoSample]:
    """The pages of a synthetic set, in the same form as :func:`load_dibco`.

    Parameters
    ----------
    root : str or os.PathLike, optional
        Folder written by ``binkit synthetic --dest``.  Default: the first
        set found by :func:`synthetic_root` (``$BINKIT_SYNTHETIC_ROOT``, the
        checkout's committed ``data/synthetic``, the user data folder's
        ``synthetic/``).

    Returns
    -------
    samples : list of DibcoSample
        ``year`` is 0 for synthetic pages; ``name`` is ``synth_NN``.

    Raises
    ------
    FileNotFoundError
        No set there; the message says where binkit looked.
    """
    from .._errors import InputError
    from ..io import read_json

    root = synthetic_root(root)
    manifest = root / "manifest.json"
    pages = read_json(manifest, "synthetic set manifest").get("pages")
    if not isinstance(pages, list) or not all(isinstance(p, dict) and isinstance(p.get("name"), str) for p in pages):
        raise InputError(f"{manifest}: synthetic set manifest without a list of named pages; write the set again "
                         "with `binkit synthetic`")
    names = [entry["name"] for entry in pages]
    return [
        DibcoSample(
            name=name,
            year=0,
            image_path=root / "images" / f"{name}.png",
            gt_path=root / "gt" / f"{name}.png",
        )
        for name in names
    ]


def load_split(ids, data=None, *, synthetic: bool = False, synthetic_size=(256, 384)) -> list[tuple]:
    """(name, image, gt) triples of one split of a training run.

    Parameters
    ----------
    ids : iterable of int
        DIBCO years (e.g. ``[2009, 2010]``), or synthetic page seeds when
        ``synthetic`` is True.
    data : path, optional
        DIBCO root (see :func:`load_dibco`).
    synthetic : bool
        Generate pages with :func:`synthetic_page` instead (CPU demos, tests).
    synthetic_size : (int, int)
        Their size.

    Returns
    -------
    list of (str, ndarray, ndarray)
        Name (``2016_H01`` or ``synth_003``), float32 image, bool GT.
    """
    if synthetic:
        pages = []
        for seed in ids:
            p = synthetic_page(int(seed), size=tuple(synthetic_size))
            pages.append((f"synth_{int(seed):03d}", p.image, p.gt))
        return pages
    return [(s.name, s.image, s.gt) for s in load_dibco(data, [int(y) for y in ids])]


def write_synthetic(dest=None, *, count: int | None = None, hard: bool = False, faint: bool = False) -> tuple[int, Path]:
    """Write synthetic pages with exact GT (``binkit synthetic``); return (pages written, folder).

    Parameters
    ----------
    dest : path, optional
        Default: the user data folder's ``synthetic/`` (``synthetic_hard/``
        with ``hard``, ``synthetic_faint/`` with ``faint``), where
        :func:`load_synthetic` and the benchmarks look.
    count : int, optional
        Pages, seeds 0 .. count-1 (default 8; the hard set's 36, the faint set's 16).
    hard : bool
        Hard pages (:func:`hard_page`: scanner borders, gutter, facing page,
        corner, ruler/card, lower resolution) instead of :func:`synthetic_page`'s.
    faint : bool
        Faint-ink colour pages (:func:`binkit.datasets.faint.faint_page`).
    """
    from .._checks import check_int

    if hard and faint:
        raise InputError("--hard and --faint: choose one")
    if count is not None:
        count = check_int("--count", count, minimum=1)
    if hard:
        from .hard import HARD_SET_SIZE, write_hard_set

        count = HARD_SET_SIZE if count is None else count
        dest = Path(dest) if dest else user_data_dir() / "synthetic_hard"
        write_hard_set(dest, seeds=range(count))
    elif faint:
        from .faint import FAINT_SET_SIZE, write_faint_set

        count = FAINT_SET_SIZE if count is None else count
        dest = Path(dest) if dest else user_data_dir() / "synthetic_faint"
        write_faint_set(dest, seeds=range(count))
    else:
        from .synthetic import write_synthetic_set

        count = 8 if count is None else count
        dest = Path(dest) if dest else user_data_dir() / "synthetic"
        write_synthetic_set(dest, seeds=range(count))
    return count, dest
