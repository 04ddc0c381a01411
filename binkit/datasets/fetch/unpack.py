"""Unpacking of the four archive formats the DIBCO contests use: zip, tar, rar and 7z.

zip and tar are unpacked by the standard library.  RAR and 7z need an optional
package (``rarfile``, ``py7zr``) or a command-line tool on ``PATH``
(``bsdtar``, ``unrar``, ``7z``, ``unar``); each is tried in turn, and with
none the error says what to install.  Links are dropped and any member that
would land outside the target folder is refused.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tarfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from .catalogue import Archive
from .errors import DownloadError

__all__ = ["dir_name", "unpack"]

log = logging.getLogger(__name__)

# What an archive's name may end with (also the suffixes dir_name strips).
_ARCHIVE_SUFFIXES = (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".zip", ".rar", ".7z", ".tar")

#: The most a zip or tar archive may unpack to, in bytes.  The largest DIBCO
#: year unpacks to well under 1 GB; a "zip bomb" of a few hundred KB can
#: declare terabytes.
MAX_UNPACKED_BYTES = 4 << 30

#: The most a zip or tar archive may grow by when unpacked (unpacked bytes per
#: archive byte), once it unpacks to more than :data:`RATIO_FREE_BYTES`.  Scans
#: barely compress (1-3x); a 300 KB zip that unpacks to 300 MB (1000x) is no
#: scan archive.
MAX_RATIO = 100
RATIO_FREE_BYTES = 64 << 20


def _sniff_format(path: Path, declared: str | None, name: str) -> str:
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"Rar!\x1a\x07"):
        return "rar"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    try:
        if tarfile.is_tarfile(path):
            return "tar"
    except OSError:
        pass
    if declared:
        return declared
    low = name.lower()
    for fmt, suffixes in (
        ("zip", (".zip",)),
        ("rar", (".rar",)),
        ("7z", (".7z",)),
        ("tar", (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")),
    ):
        if low.endswith(suffixes):
            return fmt
    raise DownloadError(f"cannot unpack {name}: not a zip, tar, rar or 7z archive")


def unpack(path: Path, out: Path, arc: Archive | None = None, _depth: int = 0) -> None:
    """Unpack the archive ``path`` into the new folder ``out``, and archives inside it once.

    Parameters
    ----------
    path : pathlib.Path
        The archive.
    out : pathlib.Path
        A folder that does not exist yet; created.
    arc : Archive, optional
        Its catalogue entry: its name for messages and its declared format.

    Raises
    ------
    DownloadError
        Not an archive, a damaged one, a member pointing outside ``out``, or
        a RAR / 7z archive with no way to unpack it (the message says what to
        install).
    """
    name = arc.name if arc is not None else path.name
    fmt = _sniff_format(path, arc.format if arc is not None else None, name)
    try:
        out.mkdir(parents=True)
    except FileExistsError:  # e.g. an inner archive whose "_unpacked" folder is already a member's name
        raise DownloadError(f"cannot unpack {name}: {out} already exists (a member of the same name)") from None
    try:
        if fmt == "zip":
            with zipfile.ZipFile(path) as zf:
                _check_expansion(path, sum(i.file_size for i in zf.infolist()), name)
                zf.extractall(out)  # zipfile drops absolute paths and '..'
        elif fmt == "tar":
            with tarfile.open(path) as tf:
                _check_expansion(path, sum(m.size for m in tf.getmembers() if m.isfile()), name)
                tf.extractall(out, filter="data")
        elif fmt == "rar":
            _unpack_rar(path, out, name)
        else:
            _unpack_7z(path, out, name)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
        raise DownloadError(f"cannot unpack {name}: damaged {fmt} archive ({exc})") from None
    except OSError as exc:  # a full disk, a member name over 255 bytes, a member clashing with a folder
        member = f" ({Path(exc.filename).name[:60]})" if getattr(exc, "filename", None) else ""
        raise DownloadError(f"cannot unpack {name}: {exc.strerror or exc}{member}") from None
    _sanitize_tree(out, name)
    if _depth == 0:  # archives inside the archive: unpack them once, next to themselves
        for inner in sorted(p for p in out.rglob("*") if p.is_file() and _looks_like_archive(p)):
            unpack(inner, inner.with_name(dir_name(inner.name) + "_unpacked"), None, _depth + 1)
            inner.unlink()


def _check_expansion(path: Path, unpacked: int, name: str) -> None:
    """Refuse an archive that would unpack to more than :data:`MAX_UNPACKED_BYTES`, or grow more than
    :data:`MAX_RATIO` times, before anything is written."""
    packed = max(path.stat().st_size, 1)
    if unpacked > MAX_UNPACKED_BYTES or (unpacked > RATIO_FREE_BYTES and unpacked > MAX_RATIO * packed):
        raise DownloadError(
            f"cannot unpack {name}: its {packed / 1e6:.1f} MB would unpack to {unpacked / 1e6:.0f} MB "
            f"({unpacked / packed:.0f} times its size; binkit's limits are {MAX_UNPACKED_BYTES / 1e9:.1f} GB "
            f"and {MAX_RATIO} times): not a DIBCO archive"
        )


def _looks_like_archive(p: Path) -> bool:
    return p.name.lower().endswith(_ARCHIVE_SUFFIXES)


def _sanitize_tree(root: Path, name: str) -> None:
    """Drop links and check that nothing landed outside ``root``."""
    base = root.resolve()
    for p in list(root.rglob("*")):
        if p.is_symlink():
            p.unlink()
            continue
        try:
            p.resolve().relative_to(base)
        except ValueError:
            raise DownloadError(f"cannot unpack {name}: member {p} points outside the archive folder") from None


def _empty(folder: Path) -> None:
    """Remove what a failed unpacker left in ``folder`` (but not ``folder``)."""
    for child in list(folder.iterdir()):
        shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()


def _which(*tools: str) -> list[tuple[str, str]]:
    found = []
    for tool in tools:
        exe = shutil.which(tool)
        if exe:
            found.append((tool, exe))
    return found


def _cli_command(tool: str, exe: str, path: Path, out: Path) -> list[str]:
    if tool == "bsdtar":
        return [exe, "-xf", str(path), "-C", str(out)]
    if tool == "unrar":
        return [exe, "x", "-o+", "-y", "-idq", str(path), str(out) + os.sep]
    if tool == "unar":
        return [exe, "-q", "-f", "-D", "-o", str(out), str(path)]
    return [exe, "x", "-y", f"-o{out}", str(path)]  # 7z, 7za, 7zz


def _unpack_with_cli(path: Path, out: Path, name: str, tools: Sequence[str], how: str) -> None:
    candidates = _which(*tools)
    if not candidates:
        raise DownloadError(f"cannot unpack {name}: {how}")
    errors = []
    for tool, exe in candidates:
        try:
            proc = subprocess.run(
                _cli_command(tool, exe, path, out),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                check=False,
            )
        except OSError as exc:
            errors.append(f"{tool}: {exc}")
            continue
        if proc.returncode == 0:
            # A tool's listing is not read before it unpacks, so its expansion is checked as soon as it is
            # done: an archive over the limits is removed before anything reads it.
            unpacked = sum(f.stat().st_size for f in out.rglob("*") if f.is_file() and not f.is_symlink())
            try:
                _check_expansion(path, unpacked, name)
            except DownloadError:
                _empty(out)
                raise
            return
        detail = (proc.stderr or proc.stdout or "").strip().splitlines()
        errors.append(f"{tool} exit {proc.returncode}" + (f": {detail[-1]}" if detail else ""))
        _empty(out)  # clean before the next tool
    raise DownloadError(f"cannot unpack {name}: " + "; ".join(errors))


def _unpack_rar(path: Path, out: Path, name: str) -> None:
    how = (
        "RAR archives need the 'rarfile' package with unrar, or 'bsdtar', 'unrar', '7z' or 'unar' "
        "on PATH; install unrar or libarchive-tools (e.g. `sudo apt install unrar` or "
        "`sudo apt install libarchive-tools`) and run again"
    )
    try:
        import rarfile  # optional
    except ImportError:
        rarfile = None
    if rarfile is not None:
        try:
            with rarfile.RarFile(str(path)) as rf:
                _check_expansion(path, sum(i.file_size for i in rf.infolist()), name)
                rf.extractall(str(out))
            return
        except rarfile.Error as exc:
            log.info("rarfile could not unpack %s (%s); trying command-line tools", name, exc)
            _empty(out)
    _unpack_with_cli(path, out, name, ("bsdtar", "unrar", "7z", "7zz", "7za", "unar"), how)


def _unpack_7z(path: Path, out: Path, name: str) -> None:
    how = (
        "7z archives need the 'py7zr' package, or '7z', 'bsdtar' or 'unar' on PATH; install "
        "p7zip-full or libarchive-tools (e.g. `sudo apt install p7zip-full`) and run again"
    )
    try:
        import py7zr  # optional
    except ImportError:
        py7zr = None
    if py7zr is not None:
        try:
            with py7zr.SevenZipFile(path) as zf:
                _check_expansion(path, sum(int(f.uncompressed or 0) for f in zf.list()), name)
                zf.extractall(out)
            return
        except DownloadError:
            raise
        except Exception as exc:  # py7zr raises several unrelated types
            log.info("py7zr could not unpack %s (%s); trying command-line tools", name, exc)
            _empty(out)
    _unpack_with_cli(path, out, name, ("7z", "7zz", "7za", "bsdtar", "unar"), how)



def dir_name(archive_name: str) -> str:
    """A safe folder name for an archive's contents: its name without the archive suffix."""
    stem = archive_name
    for suffix in _ARCHIVE_SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip(".") or "archive"

