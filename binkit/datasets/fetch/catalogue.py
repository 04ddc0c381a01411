"""The catalogue of official DIBCO / H-DIBCO archives, and the resolution of ``years`` / ``urls``.

:data:`DIBCO_ARCHIVES` lists, per contest year, the organisers' archives
(originals and ground truth) with their URLs and published checksums (none
are published, so every ``sha256`` is ``None``; see
:mod:`binkit.datasets.fetch.download` for the trust-on-first-use lock).
:func:`resolve_sources` turns the ``years`` and ``urls`` arguments of
:func:`~binkit.datasets.fetch_dibco` into the archives to fetch.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..._errors import InputError

__all__ = ["ARCHIVE_FORMATS", "DIBCO_ARCHIVES", "Archive", "DibcoYear", "resolve_sources"]

#: The archive formats binkit unpacks (see :mod:`binkit.datasets.fetch.unpack`).
ARCHIVE_FORMATS = ("zip", "tar", "rar", "7z")


@dataclass(frozen=True)
class Archive:
    """One downloadable archive.

    Parameters
    ----------
    url : str
        Absolute URL (``https://``, ``http://`` or ``file://``).
    sha256 : str or None
        Hex sha256 of the archive where known; ``None`` means "not published":
        the first download is trusted and recorded in the lock file.
    format : {"zip", "tar", "rar", "7z"} or None
        Archive format; ``None`` infers it from the file's magic bytes, then
        from the URL's suffix.
    filename : str or None
        Name to store the download under; defaults to the last path segment of
        ``url``.  It is also the archive's key in the lock file.
    """

    url: str
    sha256: str | None = None
    format: str | None = None
    filename: str | None = None

    @property
    def name(self) -> str:
        """The archive's file name (``filename``, else the URL's last segment)."""
        if self.filename:
            return self.filename
        path = urllib.parse.urlsplit(self.url).path
        return urllib.parse.unquote(path.rstrip("/").rsplit("/", 1)[-1]) or "archive"


@dataclass(frozen=True)
class DibcoYear:
    """The archives of one contest year.

    Parameters
    ----------
    year : int
        Contest year.
    contest : str
        Contest name, e.g. ``"H-DIBCO 2010"``.
    page : str
        The organisers' benchmark page.
    archives : tuple of Archive
        All archives of the year (originals and ground truth).
    kind : {"H", "P"} or None
        Kind of every image when the archive names do not say it (``"H"`` for
        the handwritten-only H-DIBCO years); ``None`` for mixed years, whose
        images are then named ``<year>_<NN>`` when their names carry no
        ``H``/``HW``/``P``/``PR`` prefix and no handwritten/printed folder.
    """

    year: int
    contest: str
    page: str
    archives: tuple[Archive, ...]
    kind: str | None = None


# Every URL below is the organisers' own (NCSR "Demokritos" for 2009, 2010 and
# 2014; Democritus University of Thrace for the others).  Confirmed in public
# repositories that download them:
#   [A] anguelos/dagtasets  dagtasets/dibco.py  (commit 09f6a1230de2)  - 2009-2011, 2013, 2014
#   [B] anguelos/tormentor  examples/text_segmentation/src/dibco.py
#       (commit 2212c8e0f75b)                                            - 2009-2019
#   [C] NikolasMarkou/dl_techniques  src/train/doc_res/prepare_doc_res_data.py:
#       the same URLs over https, each checked live with a HEAD request
#       ("measured with a HEAD sweep on 2026-09-08"); the Content-Length it
#       recorded is quoted per archive below.  It also records that H-DIBCO
#       2015 has no live page (5 hosts, all 404), so 2015 is not listed here.
#   [D] LutingWang/todd  docs/source/data/dibco.rst: what each archive holds
#       (folder and file names, e.g. 2009 GT in "...-GT-..." folders with the
#       original's name, 2010/2014 "H01_estGT.tiff" plus "H01_skelGT.tiff",
#       2011 "HW1.png"/"HW1_GT.tiff", 2013 "OriginalImages"/"GTimages",
#       2016 "1.bmp"/"1_gt.bmp", 2019 "Dataset/1.bmp"/"GT/1.bmp").
# None of these (nor the organisers) publishes a checksum: every sha256 is None
# and the first download is trusted on first use (see binkit.datasets.fetch).
_DEMOKRITOS = "https://users.iit.demokritos.gr/~bgat"
_UTOPIA = "https://utopia.duth.gr/~ipratika"
_VC = "https://vc.ee.duth.gr"


def _year(year: int, contest: str, page: str, files: Sequence[str], kind: str | None = None) -> DibcoYear:
    """A table entry: every archive lies under the year's benchmark ``page``; its suffix is its format."""
    return DibcoYear(year, contest, page, tuple(Archive(page + f, format=f.rsplit(".", 1)[-1]) for f in files), kind)


# Each year: the benchmark page, then its archives relative to it, each with
# the sources above that confirm it and the size [C] recorded.
DIBCO_ARCHIVES: dict[int, DibcoYear] = {
    entry.year: entry
    for entry in (
        _year(2009, "DIBCO 2009", f"{_DEMOKRITOS}/DIBCO2009/benchmark/", (
            "DIBC02009_Test_images-handwritten.rar",  # [A][B][C]  2,270,265 B; official typo "DIBC0" (zero)
            "DIBCO2009-GT-Test-images_handwritten.rar",  # [A][B][C]  41,351 B
            "DIBCO2009_Test_images-printed.rar",  # [A][B][C]  3,596,348 B
            "DIBCO2009-GT-Test-images_printed.rar",  # [A][B][C]  42,637 B
        )),
        _year(2010, "H-DIBCO 2010", f"{_DEMOKRITOS}/H-DIBCO2010/benchmark/", (
            "H_DIBCO2010_test_images.rar",  # [A][B][C]  3,945,957 B
            "H_DIBCO2010_GT.rar",  # [A][B][C]  192,320 B
        ), kind="H"),
        _year(2011, "DIBCO 2011", f"{_UTOPIA}/DIBCO2011/benchmark/", (
            "dataset/DIBCO11-handwritten.rar",  # [A][B][C]  9,513,655 B; images and GT in one archive
            "dataset/DIBCO11-machine_printed.rar",  # [A][B][C]  10,145,704 B
        )),
        _year(2012, "H-DIBCO 2012", f"{_UTOPIA}/HDIBCO2012/benchmark/", (
            "dataset/H-DIBCO2012-dataset.rar",  # [B][C]  24,522,318 B
        ), kind="H"),
        _year(2013, "DIBCO 2013", f"{_UTOPIA}/DIBCO2013/benchmark/", (
            "dataset/DIBCO2013-dataset.rar",  # [A][B][C]  32,236,463 B
        )),
        _year(2014, "H-DIBCO 2014", f"{_DEMOKRITOS}/HDIBCO2014/benchmark/", (
            "dataset/original_images.rar",  # [A][B][C]  12,944,577 B
            "dataset/GT.rar",  # [A][B][C]  156,196 B
        ), kind="H"),
        _year(2016, "H-DIBCO 2016", f"{_VC}/h-dibco2016/benchmark/", (
            "DIBCO2016_dataset-original.zip",  # [B][C]  8,985,981 B
            "DIBCO2016_dataset-GT.zip",  # [B][C]  240,396 B; also in chpk/Image-Segmentation-binarization-on-H-DIBCO-2016
        ), kind="H"),
        _year(2017, "DIBCO 2017", f"{_VC}/dibco2017/benchmark/", (
            "DIBCO2017_Dataset.7z",  # [B][C]  43,868,529 B
            "DIBCO2017_GT.7z",  # [B][C]  892,437 B
        )),
        _year(2018, "H-DIBCO 2018", f"{_VC}/h-dibco2018/benchmark/", (
            "dibco2018_Dataset.zip",  # [B] (http) [C] (https)  22,311,122 B
            "dibco2018-GT.zip",  # [B][C]  3,102,047 B
        ), kind="H"),
        _year(2019, "DIBCO 2019", f"{_VC}/dibco2019/benchmark/", (
            "dibco2019_dataset_trackA.zip",  # [B][C]  5,468,256 B; track A (documents)
            "dibco2019_gt_trackA.zip",  # [B][C]  99,778 B
            "dibco2019_dataset_trackB.zip",  # [B][C]  58,563,618 B; track B (papyri)
            "dibco2019_GT_trackB.zip",  # [B][C]  851,685 B
        )),
    )
}


def _parse_year(value: object, what: str) -> int:
    if isinstance(value, bool):
        raise InputError(f"{what}: expected a contest year such as 2011, got {value!r}")
    try:
        year = int(str(value).strip()) if isinstance(value, str) else int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{what}: expected a contest year such as 2011, got {value!r}") from None
    if isinstance(value, float) and value != year:
        raise InputError(f"{what}: expected a contest year such as 2011, got {value!r}")
    return year


def _coerce_archive(item: object, year: int) -> Archive:
    if isinstance(item, Archive):
        arc = item
    elif isinstance(item, (str, os.PathLike)):
        arc = Archive(str(item))
    elif isinstance(item, Mapping):
        unknown = set(item) - {"url", "sha256", "format", "filename"}
        if "url" not in item or unknown:
            raise InputError(
                f"urls[{year}]: an archive mapping needs 'url' and may have 'sha256', "
                f"'format', 'filename'; got keys {sorted(map(str, item))}"
            )
        arc = Archive(**{k: item[k] for k in item})  # type: ignore[arg-type]
    else:
        raise InputError(f"urls[{year}]: expected an Archive, a URL or a mapping, got {type(item).__name__}")
    if not isinstance(arc.url, str) or not arc.url:
        raise InputError(f"urls[{year}]: archive URL must be a non-empty string, got {arc.url!r}")
    if arc.format is not None and arc.format not in ARCHIVE_FORMATS:
        raise InputError(f"urls[{year}]: format must be one of {', '.join(ARCHIVE_FORMATS)}, got {arc.format!r}")
    if arc.sha256 is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", str(arc.sha256)):
        raise InputError(f"urls[{year}]: sha256 must be 64 hex digits, got {arc.sha256!r}")
    name = arc.name
    if name in ("", ".", "..") or "/" in name or "\\" in name:
        raise InputError(f"urls[{year}]: cannot derive a file name from {arc.url!r}; give 'filename'")
    if arc.sha256 is not None:
        arc = Archive(arc.url, arc.sha256.lower(), arc.format, arc.filename)
    return arc


def resolve_sources(years, urls) -> list[DibcoYear]:
    """The archives to fetch for ``years``, with ``urls`` overriding the table.

    Parameters
    ----------
    years, urls
        As in :func:`binkit.datasets.fetch_dibco`.

    Returns
    -------
    list of DibcoYear
        One per wanted year, in the order asked (every known year, sorted,
        for ``None`` or ``"all"``).

    Raises
    ------
    binkit.InputError
        A bad year, an unknown year with no ``urls`` entry, or a bad archive.
    """
    overrides: dict[int, tuple[Archive, ...]] = {}
    if urls is not None:
        if not isinstance(urls, Mapping):
            raise InputError(f"urls: expected a mapping year -> archives, got {type(urls).__name__}")
        for key, value in urls.items():
            year = _parse_year(key, "urls")
            items = [value] if isinstance(value, (Archive, str, os.PathLike, Mapping)) else value
            try:
                items = list(items)
            except TypeError:
                raise InputError(f"urls[{year}]: expected archives, got {type(value).__name__}") from None
            if not items:
                raise InputError(f"urls[{year}]: no archives given")
            archs = tuple(_coerce_archive(it, year) for it in items)
            names = [a.name for a in archs]
            if len(set(names)) != len(names):
                raise InputError(f"urls[{year}]: two archives share the file name; give distinct 'filename's")
            overrides[year] = archs

    if years is None or (isinstance(years, str) and years.strip().lower() == "all"):
        wanted = sorted(set(DIBCO_ARCHIVES) | set(overrides))
    else:
        seq = [years] if isinstance(years, (int, str)) else years
        try:
            seq = list(seq)
        except TypeError:
            raise InputError(f"years: expected a year or a list of years, got {years!r}") from None
        wanted = []
        for y in seq:
            year = _parse_year(y, "years")
            if year not in wanted:
                wanted.append(year)
        if not wanted:
            raise InputError("years: no year given")

    out = []
    for year in wanted:
        base = DIBCO_ARCHIVES.get(year)
        if year in overrides:
            if base is None:
                base = DibcoYear(year, f"DIBCO {year}", "", overrides[year])
            out.append(DibcoYear(base.year, base.contest, base.page, overrides[year], base.kind))
        elif base is not None:
            out.append(base)
        else:
            known = ", ".join(str(y) for y in sorted(DIBCO_ARCHIVES))
            raise InputError(f"years: no DIBCO archives known for {year} (known: {known})")
    return out
