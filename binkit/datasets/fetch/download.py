"""Download of one archive, checked against its known or trust-on-first-use sha256.

:func:`download` streams a URL to a temporary file and renames it only once
complete.  :func:`download_verified` adds the checksum rule: an archive's
sha256 must equal the catalogue's (``known``) or the one recorded in the lock
file ``<dest>/dibco-lock.json`` by an earlier download (``locked``); an
archive with neither is trusted on first use, and :func:`record_first_use`
writes its sha256 to the lock file (with a :class:`TrustOnFirstUseWarning`)
once its year has been converted.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import http.client
import json
import urllib.error
import urllib.request
import warnings
from collections.abc import Mapping
from pathlib import Path

from ..._errors import InputError
from ..._version import __version__
from .catalogue import Archive
from .errors import ChecksumError, DownloadError, TrustOnFirstUseWarning

__all__ = [
    "LOCK_FILE_NAME",
    "download",
    "download_verified",
    "read_lock",
    "record_first_use",
    "write_lock",
]

#: Name of the trust-on-first-use lock file written in ``dest``.
LOCK_FILE_NAME = "dibco-lock.json"

#: Seconds without an answer before a download gives up.
TIMEOUT_S = 60.0
#: Bytes read at a time (the progress bar and the hash advance by this).
CHUNK = 1 << 16


def download_verified(
    arc: Archive, key: str, folder: Path, lock: Mapping[str, dict], lock_path: Path, *, progress: bool, desc: str
) -> tuple[Path, str | None, dict | None]:
    """Download ``arc`` into ``folder`` and check it against its known or locked sha256.

    Parameters
    ----------
    arc : Archive
        What to download.
    key : str
        Its lock-file key, ``"<year>/<archive name>"``.
    folder : pathlib.Path
        Where the download is written (a work folder).
    lock : mapping
        The lock file's entries (see :func:`read_lock`).
    lock_path : pathlib.Path
        The lock file, named in a mismatch message.
    progress : bool
        Show a byte progress bar.
    desc : str
        The progress bar's label.

    Returns
    -------
    path : pathlib.Path
        The downloaded archive.
    origin : {"known", "locked"} or None
        What it was checked against; None when it had no checksum yet.
    entry : dict or None
        When ``origin`` is None, the lock entry to record for it once it has
        been used (see :func:`record_first_use`).

    Raises
    ------
    ChecksumError
        The download differs from the known or locked sha256; it is deleted.
    DownloadError
        The download failed (see :func:`download`).
    """
    locked = lock.get(key, {}).get("sha256")
    expected, origin = (arc.sha256, "known") if arc.sha256 else (locked, "locked") if locked else (None, None)
    path, digest, size = download(arc, folder, progress=progress, desc=desc)
    if expected is None:
        recorded = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return path, None, {"url": arc.url, "sha256": digest, "size": size, "recorded": recorded}
    if digest != expected:
        path.unlink(missing_ok=True)
        where = (
            "the known checksum"
            if origin == "known"
            else f"the checksum locked in {lock_path} (delete that entry if the archive really changed)"
        )
        raise ChecksumError(
            f"checksum mismatch for {arc.url}: sha256 {digest} differs from {where}: "
            f"{expected}; the download was discarded"
        )
    return path, origin, None


def record_first_use(lock_path: Path, entries: Mapping[str, dict], *, stacklevel: int = 2) -> dict[str, str]:
    """Add ``entries`` to the lock file and warn once for each.

    Parameters
    ----------
    lock_path : pathlib.Path
        The lock file (created if missing).
    entries : mapping
        Lock key to entry, as returned by :func:`download_verified`.
    stacklevel : int
        Passed to :func:`warnings.warn` (counted from the caller).

    Returns
    -------
    dict of str to str
        Lock key to the recorded sha256.

    Warns
    -----
    TrustOnFirstUseWarning
        One per entry.
    """
    if not entries:
        return {}
    lock = read_lock(lock_path)  # re-read: keep entries written meanwhile
    lock.update(entries)
    write_lock(lock_path, lock)
    for key, entry in entries.items():
        warnings.warn(
            f"no published sha256 for DIBCO archive {key}; trusted on first use and "
            f"recorded sha256 {entry['sha256']} in {lock_path} (later downloads are checked against it)",
            TrustOnFirstUseWarning,
            stacklevel=stacklevel + 1,
        )
    return {key: entry["sha256"] for key, entry in entries.items()}


def read_lock(path: Path) -> dict[str, dict]:
    """The archives recorded in the lock file ``path`` (``{}`` when there is none).

    Returns
    -------
    dict of str to dict
        Lock key ``"<year>/<archive name>"`` to its entry (``url``,
        ``sha256``, ``size``, ``recorded``).

    Raises
    ------
    binkit.InputError
        The file exists but is not a valid lock file.
    """
    from ...io import read_json

    if not path.exists():
        return {}
    try:
        data = read_json(path, "DIBCO lock file")  # InputError for bad JSON, nesting too deep, a non-object
        archives = data["archives"]
        if not isinstance(archives, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("sha256"), str) for v in archives.values()
        ):
            raise ValueError("bad 'archives'")
    except InputError as exc:  # from read_json: already names the file and what is wrong
        raise InputError(f"{exc}; fix or delete it") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: not a valid DIBCO lock file ({exc}); fix or delete it") from None
    return dict(archives)


def write_lock(path: Path, archives: Mapping[str, dict]) -> None:
    """Write the lock file ``path`` atomically (:func:`binkit.io.write_text`)."""
    data = {
        "about": (
            "sha256 of DIBCO archives as first downloaded by binkit.datasets.fetch_dibco "
            "(trust on first use); later downloads are checked against these"
        ),
        "version": 1,
        "archives": dict(sorted(archives.items())),
    }
    from ...io import write_text

    write_text(path, json.dumps(data, indent=2) + "\n", durable=True)



def download(arc: Archive, folder: Path, *, progress: bool, desc: str) -> tuple[Path, str, int]:
    """Stream ``arc.url`` to ``folder/arc.name`` through :func:`binkit.io.atomic_write`.

    Returns the final path, the sha256 hex digest and the size in bytes.  The
    file appears only after the whole body arrived; on any error nothing is
    left (the temporary file is removed).
    """
    from tqdm.auto import tqdm  # imported here: only a download needs it

    from ...io import atomic_write

    url = arc.url
    final = folder / arc.name
    digest = hashlib.sha256()
    size = 0

    def fetch(out) -> None:
        nonlocal size
        request = urllib.request.Request(url, headers={"User-Agent": f"binkit/{__version__} (fetch_dibco)"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as resp:
                length = resp.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
                with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=desc,
                          disable=not progress, leave=False) as bar:
                    while True:
                        chunk = resp.read(CHUNK)
                        if not chunk:
                            break
                        out.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                        bar.update(len(chunk))
                if total is not None and size != total:
                    raise DownloadError(
                        f"download of {url} was cut off after {size} of {total} bytes; nothing was kept"
                    )
        except urllib.error.HTTPError as exc:
            exc.close()  # an HTTPError holds the open response
            raise DownloadError(f"download failed: HTTP {exc.code} {exc.reason} for {url}") from None
        except urllib.error.URLError as exc:
            raise DownloadError(f"download failed: cannot reach {url} ({exc.reason})") from None
        except http.client.IncompleteRead:
            raise DownloadError(
                f"download of {url} was cut off after {size} bytes (connection closed); nothing was kept"
            ) from None
        except (http.client.HTTPException, OSError) as exc:
            raise DownloadError(
                f"download of {url} failed after {size} bytes ({type(exc).__name__}: {exc}); nothing was kept"
            ) from None
        except ValueError as exc:  # e.g. "unknown url type"
            raise DownloadError(f"download failed: bad URL {url!r} ({exc})") from None

    atomic_write(final, fetch, durable=True)
    return final, digest.hexdigest(), size

