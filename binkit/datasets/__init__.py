"""Data for binkit: the DIBCO benchmarks, synthetic pages, and 64x64 blocks.

* :func:`load_dibco` reads the DIBCO / H-DIBCO pages from a folder you point
  to (``BINKIT_DIBCO_ROOT``); :func:`fetch_dibco` downloads the contests'
  official archives into that layout.
* :func:`synthetic_page` makes a degraded page *with exact ground truth*, so
  everything in the kit also runs offline; ``data/synthetic`` in the project
  holds a small committed set of them (:func:`load_synthetic`).
* :func:`page` is scikit-image's scanned page: real, but with no ground truth.
* :func:`to_blocks`, :func:`from_blocks` and :func:`sample_blocks` cut pages
  into the 64x64 blocks the models work on.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .blocks import BLOCK, block_grid, from_blocks, pad_to_multiple, sample_blocks, to_blocks
from .dibco import DIBCO_YEARS, ENV_VAR, DibcoSample, dibco_root, load_dibco
from .fetch import fetch_dibco
from .synthetic import DEGRADATIONS, SyntheticPage, synthetic_page

__all__ = [
    "BLOCK",
    "DEGRADATIONS",
    "DIBCO_YEARS",
    "ENV_VAR",
    "DibcoSample",
    "SyntheticPage",
    "block_grid",
    "dibco_root",
    "fetch_dibco",
    "from_blocks",
    "load_dibco",
    "load_split",
    "load_synthetic",
    "page",
    "pad_to_multiple",
    "sample_blocks",
    "synthetic_page",
    "synthetic_root",
    "to_blocks",
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


def synthetic_root() -> Path:
    """The folder of the committed synthetic set (``data/synthetic`` in the project)."""
    return Path(__file__).resolve().parents[2] / "data" / "synthetic"


def load_synthetic(root=None) -> list[DibcoSample]:
    """The committed synthetic pages, in the same form as :func:`load_dibco`.

    Parameters
    ----------
    root : str or os.PathLike, optional
        Folder written by ``binkit synthetic --dest``;
        default :func:`synthetic_root`.

    Returns
    -------
    samples : list of DibcoSample
        ``year`` is 0 for synthetic pages; ``name`` is ``synth_NN``.
    """
    root = Path(root) if root is not None else synthetic_root()
    manifest = root / "manifest.json"
    if not manifest.is_file():
        raise FileNotFoundError(
            f"no synthetic set at {root}; write one with "
            "`binkit synthetic --dest {root}`"
        )
    names = [entry["name"] for entry in json.loads(manifest.read_text())["pages"]]
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
