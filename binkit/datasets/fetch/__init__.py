"""Download the official DIBCO / H-DIBCO archives and convert them to binkit's layout.

:func:`fetch_dibco` downloads the contests' own archives from the organisers'
servers, checks them, unpacks them and writes::

    <dest>/<year>/images/<name>.png    original (degraded) image, pixels unchanged
    <dest>/<year>/gt/<name>.png        ground truth, 8-bit L, 0 = ink, 255 = page

with ``<name>`` = ``<year>_<H|P><NN>`` (``H`` handwritten, ``P`` printed), for
example ``2011_H03``.  That is the layout :mod:`binkit.datasets` reads.  With
no ``dest`` it writes to ``$BINKIT_DIBCO_ROOT``, else to ``dibco/`` in the
user data folder, both places :func:`binkit.datasets.load_dibco` looks in.

The work is split by concern:

* :mod:`~binkit.datasets.fetch.catalogue`: the official archives of each
  year (:data:`DIBCO_ARCHIVES`) and the ``years`` / ``urls`` arguments;
* :mod:`~binkit.datasets.fetch.download`: HTTP download and the
  trust-on-first-use lock file;
* :mod:`~binkit.datasets.fetch.unpack`: zip, tar, rar and 7z;
* :mod:`~binkit.datasets.fetch.convert`: pairing of originals and ground truth
  by file name, and conversion into binkit's layout (GT read with
  :func:`binkit.io.read_gt`'s rule);
* :mod:`~binkit.datasets.fetch.pipeline`: :func:`fetch_dibco`, which runs
  them year by year.

Checksums
---------
The organisers publish no checksums, so every ``sha256`` in :data:`DIBCO_ARCHIVES`
is ``None``.  The first download of an archive is therefore *trusted on first
use*: its sha256 is recorded in ``<dest>/dibco-lock.json`` and a
:class:`TrustOnFirstUseWarning` says so.  Every later download of the same
archive (``force=True``, or a fresh year folder next to the same lock file) is
checked against that record; a mismatch, like a mismatch against a known
checksum, raises :class:`ChecksumError` and leaves nothing behind.  Keep the lock
file (or commit it next to your data) to make later fetches reproducible.

Safety
------
Everything for one year happens in a hidden work folder inside ``dest``
(``.dibco-<year>-*.tmp``): archives are streamed there through
:func:`binkit.io.atomic_write` and appear only once complete, and the year
folder is moved into place with one :func:`os.replace` only when every image has
been converted.  An error (HTTP error, cut connection, checksum mismatch, bad
archive) removes the work folder, so no half-written archive and no partial
year folder is ever left.  A work folder left by a killed process is removed by
the next call for the same year.

Why not pooch
-------------
``pooch`` (scientific Python's download cache, which scikit-image uses) would
replace about 50 lines here, the streaming loop of
:func:`~binkit.datasets.fetch.download.download`, and nothing else: the
archive limits, the unpacking of rar and 7z, the conversion, the
trust-on-first-use lock and the one-line errors stay binkit's either way.
Pooch checks a hash known in advance (the organisers publish none) and its
HTTP errors are ``requests`` tracebacks that would need the same wrapping.
One more dependency (two, with requests) for 50 lines was judged not worth it; the download goes
through :func:`binkit.io.atomic_write` like every other file binkit writes.

Errors
------
:class:`DownloadError` (a :class:`RuntimeError`) for anything about getting or
unpacking an archive, with :class:`ChecksumError` as its subclass for a
checksum mismatch; :class:`binkit.InputError` for a bad argument or an image
inside an archive that cannot be converted.  Messages are one line and name the
URL or file.
"""

from __future__ import annotations

from .catalogue import DIBCO_ARCHIVES, Archive, DibcoYear
from .download import LOCK_FILE_NAME
from .errors import ChecksumError, DownloadError, TrustOnFirstUseWarning
from .pipeline import FetchReport, fetch_dibco

__all__ = [
    "DIBCO_ARCHIVES",
    "LOCK_FILE_NAME",
    "Archive",
    "ChecksumError",
    "DibcoYear",
    "DownloadError",
    "FetchReport",
    "TrustOnFirstUseWarning",
    "fetch_dibco",
]
