"""The errors and the warning of :mod:`binkit.datasets.fetch`."""

from __future__ import annotations

__all__ = ["ChecksumError", "DownloadError", "TrustOnFirstUseWarning"]


class DownloadError(RuntimeError):
    """An archive could not be downloaded, verified or unpacked.

    The message is one line and names the URL or the archive.
    """


class ChecksumError(DownloadError):
    """A downloaded archive does not match its known or locked sha256."""


class TrustOnFirstUseWarning(UserWarning):
    """An archive had no known checksum; its first download's sha256 was recorded."""

