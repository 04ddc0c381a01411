"""binkit._checks: the argument checks shared by every public function, and
the rule that a public function checks its image once."""

import importlib

import numpy as np
import pytest

import binkit
from binkit import InputError
from binkit._checks import (
    check_bool,
    check_fraction,
    check_int,
    check_odd_window,
    check_real,
    is_integer,
    is_real,
)

BOOLS = [True, False, np.True_, np.False_]


def one_line_naming(info, name):
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(name + " ")
    return message


# --- predicates ---------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 7, -3, np.int64(5), np.uint8(200), np.int32(-1)])
def test_is_integer_accepts_python_and_numpy_ints(value):
    assert is_integer(value) and is_real(value)


@pytest.mark.parametrize("value", BOOLS + [1.0, np.float32(2), "3", None, [1]])
def test_is_integer_refuses_bools_floats_and_others(value):
    assert not is_integer(value)


@pytest.mark.parametrize("value", [0.5, np.float32(0.5), np.float64(-2.0), float("nan"), 3, np.int16(3)])
def test_is_real_accepts_numbers(value):
    assert is_real(value)


@pytest.mark.parametrize("value", BOOLS + ["0.5", None, 1j, np.array([0.5])])
def test_is_real_refuses_bools_and_non_numbers(value):
    assert not is_real(value)


# --- check_int ----------------------------------------------------------------


def test_check_int_returns_a_plain_int():
    out = check_int("seed", np.int64(3), minimum=0)
    assert out == 3 and type(out) is int


@pytest.mark.parametrize("value", BOOLS + [1.0, np.float64(2.0), "2", None])
def test_check_int_refuses_bools_and_floats(value):
    with pytest.raises(InputError) as info:
        check_int("seed", value, minimum=0)
    shown = value.item() if isinstance(value, np.generic) else value  # numpy scalars read as plain numbers
    assert one_line_naming(info, "seed") == f"seed must be a non-negative integer, got {shown!r}"


@pytest.mark.parametrize(
    "bounds, bad, rule",
    [
        ({"minimum": 0}, -1, "a non-negative integer"),
        ({"minimum": 1}, 0, "a positive integer"),
        ({"minimum": 2}, 1, "an integer >= 2"),
        ({"minimum": 2, "maximum": 5}, 6, "an integer in [2, 5]"),
        ({"maximum": 5}, 6, "an integer in [-inf, 5]"),
    ],
)
def test_check_int_bounds_and_their_wording(bounds, bad, rule):
    assert check_int("n", bad - 1 if "maximum" in bounds else bad + 1, **bounds) is not None
    with pytest.raises(InputError) as info:
        check_int("n", np.int64(bad), **bounds)
    assert one_line_naming(info, "n") == f"n must be {rule}, got {bad}"


def test_check_int_bounds_are_inclusive():
    assert check_int("n", 2, minimum=2, maximum=2) == 2


# --- check_real ---------------------------------------------------------------


def test_check_real_returns_a_plain_float_and_takes_ints():
    out = check_real("k", np.float32(0.25))
    assert out == 0.25 and type(out) is float
    assert check_real("k", 2) == 2.0


@pytest.mark.parametrize("value", BOOLS + ["0.2", None])
def test_check_real_refuses_bools_and_non_numbers(value):
    with pytest.raises(InputError, match="must be a real number") as info:
        check_real("k", value)
    one_line_naming(info, "k")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -np.inf])
def test_check_real_refuses_non_finite(value):
    with pytest.raises(InputError, match="k must be finite"):
        check_real("k", value)


def test_check_real_open_and_closed_ends():
    assert check_real("t", 0.0, minimum=0.0, maximum=1.0, max_open=True) == 0.0
    with pytest.raises(InputError) as info:
        check_real("t", 1.0, minimum=0.0, maximum=1.0, max_open=True)
    assert one_line_naming(info, "t") == "t must lie in [0, 1), got 1"
    with pytest.raises(InputError) as info:
        check_real("k", 0, minimum=0.0, min_open=True)
    assert str(info.value) == "k must lie in (0, inf), got 0"
    with pytest.raises(InputError) as info:
        check_real("q", -1.0, minimum=0.0)
    assert str(info.value) == "q must lie in [0, inf), got -1"
    with pytest.raises(InputError) as info:
        check_real("k", 0.5, maximum=0.0)
    assert str(info.value) == "k must lie in (-inf, 0], got 0.5"


# --- check_fraction -----------------------------------------------------------


@pytest.mark.parametrize("value", [0, 1, 0.5, np.float32(0.25), np.int64(1)])
def test_check_fraction_accepts_zero_to_one(value):
    assert check_fraction("noise", value) == float(value)


@pytest.mark.parametrize("value", BOOLS + [-0.01, 1.01, float("nan"), float("inf"), "0.5", None])
def test_check_fraction_refuses_the_rest(value):
    with pytest.raises(InputError) as info:
        check_fraction("noise", value)
    assert one_line_naming(info, "noise").startswith("noise must be a number in [0, 1], got ")


# --- check_odd_window ---------------------------------------------------------


@pytest.mark.parametrize("value", [3, 5, 51, np.int64(25), np.uint8(7)])
def test_check_odd_window_accepts_odd_sides(value):
    out = check_odd_window("window", value)
    assert out == int(value) and type(out) is int


@pytest.mark.parametrize("value", BOOLS + [1, 2, 4, -3, 0, 15.0, "15", None])
def test_check_odd_window_refuses_even_small_and_non_integers(value):
    with pytest.raises(InputError) as info:
        check_odd_window("window", value)
    assert one_line_naming(info, "window").startswith("window must be an odd integer >= 3, got ")


def test_check_odd_window_minimum():
    assert check_odd_window("text_window", 1, minimum=1) == 1
    with pytest.raises(InputError, match="text_window must be an odd integer >= 1, got 2"):
        check_odd_window("text_window", 2, minimum=1)


# --- check_bool ---------------------------------------------------------------


@pytest.mark.parametrize("value", BOOLS)
def test_check_bool_accepts_python_and_numpy_bools(value):
    out = check_bool("swap", value)
    assert out == bool(value) and type(out) is bool


@pytest.mark.parametrize("value", [0, 1, "yes", None, np.int64(1)])
def test_check_bool_refuses_the_rest(value):
    with pytest.raises(InputError) as info:
        check_bool("swap", value)
    shown = value.item() if isinstance(value, np.generic) else value
    assert one_line_naming(info, "swap") == f"swap must be True or False, got {shown!r}"


# --- the checks at the public edge ------------------------------------------


def test_public_functions_use_the_shared_messages():
    from binkit.datasets import synthetic_page
    from binkit.datasets.blocks import sample_blocks
    from binkit.hybrid import fit_surface, local_median, surface_grid
    from binkit.perturb import perturb

    gt = np.zeros((20, 20), bool)
    cases = [
        (lambda: perturb(gt, break_width=0), "break_width must be a positive integer, got 0"),
        (lambda: perturb(gt, noise=True), "noise must be a number in [0, 1], got True"),
        (lambda: perturb(gt, dilate=1.0), "dilate must be a non-negative integer, got 1.0"),
        (lambda: synthetic_page(0, size=(64, 64), wobble=2.0), "wobble must be a number in [0, 1], got 2.0"),
        (lambda: synthetic_page(0, size=(64, 64), vary=1), "vary must be True or False, got 1"),
        (lambda: synthetic_page(True), "seed must be a non-negative integer, got True"),
        (lambda: local_median(np.eye(8), 3, threads=0), "threads must be a positive integer, got 0"),
        (lambda: fit_surface(np.zeros((8, 8)), n=4, ridge=np.inf), "ridge must be finite, got inf"),
        (lambda: surface_grid(None, size=True), "size must be an integer >= 2, got True"),
        (lambda: sample_blocks([np.zeros((64, 64))], n=-1, block=8), "n must be a non-negative integer, got -1"),
        (lambda: sample_blocks([np.zeros((64, 64))], n=1, block=True), "block must be a positive integer, got True"),
    ]
    for call, message in cases:
        with pytest.raises(InputError) as info:
            call()
        assert str(info.value) == message


# --- one image check per public call ------------------------------------------


@pytest.fixture
def count_as_gray(monkeypatch):
    """Count the calls of binkit.io.as_gray made through binkit.classical, the hybrid's logistic start and
    hybrid inference."""
    import binkit.classical as classical_module

    calls = []
    original = classical_module.as_gray

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(classical_module, "as_gray", counting)
    import binkit._threshold as threshold_module  # the shared page check (gray_page) lives there

    monkeypatch.setattr(threshold_module, "as_gray", counting)
    import binkit.hybrid.logistic as logistic_module  # its banded statistics check the page themselves

    monkeypatch.setattr(logistic_module, "as_gray", counting)
    try:
        training = importlib.import_module("binkit.hybrid.inference")
    except ImportError:  # no torch: the classical counts still run
        training = None
    if training is not None:
        monkeypatch.setattr(training, "as_gray", counting)
    return calls, training


def _page():
    return np.random.default_rng(0).random((48, 64)).astype(np.float32)


@pytest.mark.parametrize("method", ["otsu", "sauvola", "niblack", "wolf", "nick", "phansalkar", "bernsen", "bradley"])
def test_classical_methods_check_the_image_once(count_as_gray, method):
    calls, _ = count_as_gray
    binkit.classical.METHODS[method](_page())
    assert len(calls) == 1
    calls.clear()
    binkit.classical.THRESHOLDS[method](_page())
    assert len(calls) == 1


def test_hybrid_classical_checks_the_image_once(count_as_gray):
    hybrid_classical = importlib.import_module("binkit.hybrid.logistic")
    calls, _ = count_as_gray
    for call in (
        lambda img: hybrid_classical.logistic_binarize(img),
        lambda img: hybrid_classical.logistic_probability(img, swap=True),
        lambda img: hybrid_classical.local_statistics(img),
        lambda img: hybrid_classical.default_background_window(img),
    ):
        calls.clear()
        call(_page())
        assert len(calls) == 1
    calls.clear()
    hybrid_classical.global_levels(_page())
    assert len(calls) == 1
    calls.clear()
    hybrid_classical.global_levels(_page(), median=_page())  # the median is an image too
    assert len(calls) == 2


def test_hybrid_binarize_checks_the_image_once(count_as_gray):
    calls, training = count_as_gray
    if training is None:
        pytest.skip("torch is not installed")
    training.binarize(_page())
    assert len(calls) == 1


def test_docstring_examples_run():
    import doctest

    import binkit._checks

    result = doctest.testmod(binkit._checks)
    assert result.failed == 0 and result.attempted > 0
