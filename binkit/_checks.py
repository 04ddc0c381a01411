"""Checks of scalar arguments at binkit's public edge.

Each public function checks its arguments once, with these helpers, and
passes the checked values on; the private workers behind it trust them.
Every check returns the value in its plain Python form (``int``, ``float``,
``bool``), so NumPy scalars such as ``np.int64(25)`` or ``np.float32(0.2)``
are accepted, and raises :class:`binkit.InputError` with a one-line message
that names the argument.

A bool is refused wherever a number is expected: ``True`` is an
``int`` to Python, but ``window=True`` is a mistake, not a window of 1.

Array checks live with the arrays' conventions: :func:`binkit.io.as_gray`
for grey images, :func:`binkit.io.as_mask` for binary ones.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._errors import InputError

__all__ = [
    "is_integer",
    "is_real",
    "check_int",
    "check_real",
    "check_fraction",
    "check_odd_window",
    "check_bool",
    "page_window",
]


def is_integer(value) -> bool:
    """True for a Python or NumPy integer that is not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def is_real(value) -> bool:
    """True for a Python or NumPy real number (integers included) that is not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _refused(name: str, rule: str, value) -> InputError:
    """The one message form, ``"{name} must be {rule}, got {value!r}"``.

    A NumPy scalar is shown as the Python number it holds (``2.0``, not
    ``np.float64(2.0)``), so the message reads the same whatever the caller passed.
    """
    if isinstance(value, np.generic):
        value = value.item()
    return InputError(f"{name} must be {rule}, got {value!r}")


def _int_rule(minimum: int | None, maximum: int | None) -> str:
    """How the messages of :func:`check_int` describe the allowed integers."""
    if maximum is not None:
        low = "-inf" if minimum is None else str(minimum)
        return f"an integer in [{low}, {maximum}]"
    if minimum == 0:
        return "a non-negative integer"
    if minimum == 1:
        return "a positive integer"
    if minimum is not None:
        return f"an integer >= {minimum}"
    return "an integer"


def check_int(name: str, value, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Check an integer argument, within ``[minimum, maximum]`` when given.

    Parameters
    ----------
    name : str
        The argument's name, for the message.
    value : object
        A Python or NumPy integer; bools and floats (even ``15.0``) are refused.
    minimum, maximum : int, optional
        Inclusive bounds.

    Returns
    -------
    int

    Raises
    ------
    binkit.InputError
        ``"{name} must be a non-negative integer, got -1"`` and the like.

    Examples
    --------
    >>> check_int("seed", np.int64(3), minimum=0)
    3
    """
    if is_integer(value):
        value = int(value)
        if (minimum is None or value >= minimum) and (maximum is None or value <= maximum):
            return value
    raise _refused(name, _int_rule(minimum, maximum), value)


def check_real(name: str, value, *, minimum: float | None = None, maximum: float | None = None,
               min_open: bool = False, max_open: bool = False) -> float:
    """Check a finite real argument within an interval.

    Parameters
    ----------
    name : str
        The argument's name, for the message.
    value : object
        A Python or NumPy real number (integers included, bools refused).
    minimum, maximum : float, optional
        Ends of the interval; None leaves that side unbounded.
    min_open, max_open : bool, default False
        Exclude that end (``k > 0`` rather than ``k >= 0``).

    Returns
    -------
    float

    Raises
    ------
    binkit.InputError
        ``"k must be a real number, got '0.2'"``, ``"k must be finite, got nan"``
        or ``"k must lie in (0, inf), got -0.5"``.

    Examples
    --------
    >>> check_real("t", 0.15, minimum=0.0, maximum=1.0, max_open=True)
    0.15
    """
    if not is_real(value):
        raise _refused(name, "a real number", value)
    value = float(value)
    if not np.isfinite(value):
        raise _refused(name, "finite", value)
    too_low = minimum is not None and (value <= minimum if min_open else value < minimum)
    too_high = maximum is not None and (value >= maximum if max_open else value > maximum)
    if too_low or too_high:
        left = "(" if min_open or minimum is None else "["
        right = ")" if max_open or maximum is None else "]"
        low = "-inf" if minimum is None else f"{minimum:g}"
        high = "inf" if maximum is None else f"{maximum:g}"
        raise InputError(f"{name} must lie in {left}{low}, {high}{right}, got {value:g}")
    return value


def check_fraction(name: str, value) -> float:
    """Check a strength or probability: a real number in ``[0, 1]``.

    Raises
    ------
    binkit.InputError
        ``"{name} must be a number in [0, 1], got ..."`` for a bool, a
        non-number, NaN or a value outside ``[0, 1]``.

    Examples
    --------
    >>> check_fraction("noise", 0.05)
    0.05
    """
    if is_real(value) and 0.0 <= float(value) <= 1.0:  # the comparison also refuses NaN
        return float(value)
    raise _refused(name, "a number in [0, 1]", value)


def check_odd_window(name: str, value, minimum: int = 3) -> int:
    """Check the side of a square window centred on a pixel: an odd integer >= ``minimum``.

    An odd side puts the pixel at the window's centre.  Nothing is rounded
    or clamped: an even or too small side is refused.

    Raises
    ------
    binkit.InputError
        ``"{name} must be an odd integer >= {minimum}, got ..."``.

    Examples
    --------
    >>> check_odd_window("text_window", 1, minimum=1)
    1
    """
    if is_integer(value) and int(value) >= minimum and int(value) % 2 == 1:
        return int(value)
    raise _refused(name, f"an odd integer >= {minimum}", value)


def page_window(window: int, shape: tuple[int, ...]) -> int:
    """Clamp a checked odd ``window`` to ``2 * max(H, W) + 1``, the largest side a page needs.

    A window of that side, centred on any pixel, already reaches past the
    far edge of the page in both directions, so it holds the whole page
    from every pixel; a larger one only repeats the mirrored page and costs
    memory in the square of its side (``window=100001`` on a 300 x 300 page
    would pad it to 10^10 pixels).  Windows up to the limit are returned
    unchanged, so results on ordinary windows do not move.  Clamping rather
    than refusing keeps one ``--param window=...`` usable on a batch of
    pages of mixed sizes.

    Parameters
    ----------
    window : int
        Odd, already checked (:func:`check_odd_window`).
    shape : tuple of int
        The page's ``(H, W)``.

    Returns
    -------
    int
        Odd: ``min(window, 2 * max(H, W) + 1)``.

    Examples
    --------
    >>> page_window(100001, (300, 200)), page_window(51, (300, 200))
    (601, 51)
    """
    return min(int(window), 2 * max(int(n) for n in shape[:2]) + 1)


def check_bool(name: str, value) -> bool:
    """Check a flag: a Python or NumPy bool (not 0/1, not a string).

    Raises
    ------
    binkit.InputError
        ``"{name} must be True or False, got ..."``.

    Examples
    --------
    >>> check_bool("swap", np.bool_(True))
    True
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise _refused(name, "True or False", value)
