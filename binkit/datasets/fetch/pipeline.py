"""The orchestration of :func:`fetch_dibco`: catalogue, download, unpack, convert, one year at a time.

Each year is fetched in a hidden work folder inside ``dest`` and moved into
place with one :func:`os.replace` only when complete (see
:mod:`binkit.datasets.fetch` for the guarantees).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..._errors import InputError
from ..dibco import default_dest
from .catalogue import DibcoYear, resolve_sources
from .convert import convert_tree
from .download import LOCK_FILE_NAME, download_verified, read_lock, record_first_use
from .unpack import dir_name, unpack

__all__ = ["FetchReport", "fetch_dibco"]

log = logging.getLogger(__name__)


@dataclass
class FetchReport:
    """What :func:`fetch_dibco` did.

    Iterating over the report (or ``len``) goes over :attr:`pairs`.

    Attributes
    ----------
    pairs : list of (Path, Path)
        ``(image_path, gt_path)`` of every pair written by this call.
    fetched : list of int
        Years downloaded and converted by this call.
    skipped : list of int
        Years left alone because they were already present.
    trusted_on_first_use : dict of str to str
        Lock-file key (``"<year>/<archive name>"``) to sha256, for archives with
        no known checksum whose digest was recorded by this call.
    verified : dict of str to str
        Lock-file key to ``"known"`` or ``"locked"``: archives checked against a
        known or previously recorded sha256.
    lock_file : Path or None
        The lock file, when one exists.
    """

    pairs: list[tuple[Path, Path]] = field(default_factory=list)
    fetched: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    trusted_on_first_use: dict[str, str] = field(default_factory=dict)
    verified: dict[str, str] = field(default_factory=dict)
    lock_file: Path | None = None

    def __iter__(self):
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)



def fetch_dibco(
    years: int | str | Iterable[int | str] | None,
    dest: str | os.PathLike | None = None,
    *,
    force: bool = False,
    progress: bool = True,
    urls: Mapping[int | str, object] | None = None,
) -> FetchReport:
    """Download DIBCO / H-DIBCO years from the organisers and convert them.

    Parameters
    ----------
    years : int, str, iterable of int, "all" or None
        Contest years to fetch, e.g. ``2011`` or ``[2009, 2016]``.  ``"all"``
        or ``None`` fetches every year of :data:`DIBCO_ARCHIVES` (2009-2014,
        2016-2019; there is no 2015 archive online).
    dest : str or path-like, optional
        Root folder; ``<dest>/<year>/images`` and ``<dest>/<year>/gt`` are
        written, and the lock file ``<dest>/dibco-lock.json``.  Created if
        missing.  Default: ``$BINKIT_DIBCO_ROOT`` when set, else ``dibco/`` in
        the user data folder (``$BINKIT_DATA_HOME``, else
        ``$XDG_DATA_HOME/binkit``, else ``~/.local/share/binkit``); both are
        places :func:`binkit.datasets.load_dibco` reads with no argument
        (see :func:`binkit.datasets.dibco.default_dest`).
    force : bool, default False
        Download and convert again years that are already present (the old
        year folder is replaced only once the new one is complete).
    progress : bool, default True
        Show a byte progress bar (``tqdm.auto``) for each download.
    urls : mapping, optional
        Override the archives of some years: ``{year: archives}`` where
        ``archives`` is one or a sequence of :class:`Archive`, URL strings, or
        mappings with the :class:`Archive` fields (``url``, ``sha256``,
        ``format``, ``filename``).  Years not in the mapping use the table.
        Meant for mirrors, local ``file://`` copies, and tests.

    Returns
    -------
    FetchReport
        The written ``(image_path, gt_path)`` pairs, fetched and skipped years,
        and which archives were verified or trusted on first use.

    Raises
    ------
    binkit.InputError
        A bad ``years``/``urls`` argument, a ``dest`` year folder that is in
        the way, or an image in an archive that cannot be converted.
    DownloadError
        HTTP error, unreachable host, cut-off download, or an archive that
        cannot be unpacked (including a ``.rar``/``.7z`` with no tool to unpack
        it: the message says what to install).
    ChecksumError
        A download does not match its known or locked sha256; it is discarded.

    Warns
    -----
    TrustOnFirstUseWarning
        For each archive whose sha256 was not known and has been recorded in
        the lock file.

    Notes
    -----
    Images are written as PNG with unchanged pixels when they are 8-bit ``L``
    or ``RGB``; 1-bit images become 0/255 ``L``, palette images ``L`` (grey
    palette) or ``RGB``, 16-bit images are scaled to 8 bits and alpha is
    dropped.  Ground truth is read with :func:`binkit.io.read_gt`, the rule
    used everywhere in binkit: in a 1-bit image black is ink; in an 8- or
    16-bit grey image exactly 0 is ink; a colour or palette image is first
    turned into luma rounded to 8 bits, so e.g. RGB (0, 0, 1) is ink.  It is
    written as 8-bit ``L`` with 0 = ink and 255 = page.  Skeleton ground
    truth (``*_skelGT``) is ignored.

    Originals and ground truth are paired by name after stripping a GT suffix
    (``_gt``, ``_GT``, ``-GT``, ``_estGT`` ...) or, when the file sits in a GT
    folder or archive (``GT``, ``GTimages``, ``...-GT-...``), by its own name.
    ``HW``/``H`` and ``PR``/``P`` prefixes, or ``handwritten``/``printed`` in a
    folder or archive name, give the ``H``/``P`` of the output name.

    Examples
    --------
    >>> report = fetch_dibco([2011, 2016])                 # doctest: +SKIP
    >>> len(report)                                        # doctest: +SKIP
    26
    >>> report.pairs[0][0]                                 # doctest: +SKIP
    PosixPath('/home/me/.local/share/binkit/dibco/2011/images/2011_H01.png')
    """
    dest = Path(dest).expanduser() if dest is not None else default_dest()
    sources = resolve_sources(years, urls)
    created_dest = not dest.exists()
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"dest: cannot create folder {dest}: {exc.strerror or exc}") from None
    if not dest.is_dir():
        raise InputError(f"dest: {dest} is not a folder")

    lock_path = dest / LOCK_FILE_NAME
    report = FetchReport(lock_file=lock_path if lock_path.exists() else None)
    try:
        for src in sources:
            target = dest / str(src.year)
            if _year_present(target):
                if not force:
                    log.info("DIBCO %s already present in %s; skipped", src.year, target)
                    report.skipped.append(src.year)
                    continue
            elif not force and target.exists() and (not target.is_dir() or any(target.iterdir())):
                raise InputError(
                    f"{target} exists but is not a complete DIBCO year folder "
                    "(no images/*.png and gt/*.png); remove it or pass force=True"
                )
            _fetch_year(src, dest, lock_path, progress=progress, report=report)
    finally:
        if created_dest:
            try:
                dest.rmdir()  # only succeeds if nothing at all was written
            except OSError:
                pass
    if lock_path.exists():
        report.lock_file = lock_path
    return report



def _year_present(target: Path) -> bool:
    return (
        target.is_dir()
        and any((target / "images").glob("*.png"))
        and any((target / "gt").glob("*.png"))
    )


def _fetch_year(src: DibcoYear, dest: Path, lock_path: Path, *, progress: bool, report: FetchReport) -> None:
    year = src.year
    for stale in dest.glob(f".dibco-{year}-*.tmp"):  # left by a killed run
        shutil.rmtree(stale, ignore_errors=True)
    work = Path(tempfile.mkdtemp(prefix=f".dibco-{year}-", suffix=".tmp", dir=dest))
    try:
        lock = read_lock(lock_path)
        archives_dir = work / "archives"
        extracted = work / "extracted"
        archives_dir.mkdir()
        extracted.mkdir()
        first_use: dict[str, dict] = {}
        verified: dict[str, str] = {}
        for arc in src.archives:
            key = f"{year}/{arc.name}"
            path, origin, entry = download_verified(
                arc, key, archives_dir, lock, lock_path, progress=progress, desc=f"DIBCO {year} {arc.name}"
            )
            if origin is None:
                first_use[key] = entry
            else:
                verified[key] = origin
            unpack(path, extracted / dir_name(arc.name), arc)
            path.unlink()

        staging = work / "out"
        names = convert_tree(extracted, staging, src)
        target = dest / str(year)
        _commit_folder(staging, target, work)

        # Recorded only now: an archive that could not be used is not trusted.
        report.trusted_on_first_use.update(record_first_use(lock_path, first_use, stacklevel=3))
        report.verified.update(verified)
        report.fetched.append(year)
        report.pairs.extend((target / "images" / f"{n}.png", target / "gt" / f"{n}.png") for n in names)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _commit_folder(staging: Path, target: Path, work: Path) -> None:
    """Move ``staging`` to ``target`` atomically, replacing an old ``target``."""
    old = None
    if target.exists() or target.is_symlink():
        old = work / "old"
        os.replace(target, old)
    try:
        os.replace(staging, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)
        raise

