"""Exceptions raised at binkit's public edge, and the checks that raise them."""

import numbers

import numpy as np

__all__ = ["InputError", "check_nonnegative_int"]


class InputError(ValueError):
    """Bad input given to binkit: a file that cannot be read as an image, a
    ground truth that is inverted or of the wrong size, an array of the wrong
    shape or dtype, and so on.

    The message is one line and names the offending file (or argument), so a
    command-line tool can print it as is, without a traceback.
    """


def check_nonnegative_int(name: str, value) -> int:
    """Return ``value`` as an int if it is a non-negative integer (not a bool), else raise InputError."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise InputError(f"{name} must be a non-negative integer, got {value!r}")
    value = int(value)
    if value < 0:
        raise InputError(f"{name} must be a non-negative integer, got {value}")
    return value
