"""The exception raised at binkit's public edge (the checks that raise it are in :mod:`binkit._checks`)."""

__all__ = ["InputError"]


class InputError(ValueError):
    """Bad input given to binkit: a file that cannot be read as an image, a
    ground truth that is inverted or of the wrong size, an array of the wrong
    shape or dtype, and so on.

    The message is one line and names the offending file (or argument), so a
    command-line tool can print it as is, without a traceback.
    """
