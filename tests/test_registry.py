"""The method registry: one record per method, binarizer() builds once, torch only for torch methods."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import binkit
from binkit import weights
from binkit.classical import METHODS as CLASSICAL
from binkit.registry import Method


@pytest.fixture(scope="module")
def page():
    from binkit.datasets import synthetic_page

    return synthetic_page(3, size=(96, 128)).image


def test_every_method_has_one_record():
    found = binkit.methods()
    assert set(CLASSICAL) | {"logistic"} <= set(found)
    assert set(weights.FAMILIES) <= set(found)  # both model families ship weights in this checkout
    assert binkit.DEFAULT_METHOD in found
    for name, record in found.items():
        assert isinstance(record, Method) and record.name == name
        assert record.summary and "\n" not in record.summary
        assert record.needs_torch == (record.family is not None)
        assert record.describe().startswith(name)
    assert [p.name for p in found["sauvola"].parameters] == ["window", "k", "r"]
    assert found["sauvola"].parameters[0].default == 51
    assert [p.name for p in found["hybrid"].parameters] == ["weights", "device", "max_tiles", "adapt"]
    assert found["hybrid"].parameters[3].default == "page"


@pytest.mark.parametrize("name", sorted(CLASSICAL) + ["logistic"])
def test_binarize_is_binarizer_applied(page, name):
    run = binkit.binarizer(name)
    ink = run(page)
    assert ink.dtype == np.bool_ and ink.shape == page.shape
    np.testing.assert_array_equal(binkit.binarize(page, name), ink)
    np.testing.assert_array_equal(binkit.binarize(page, name.upper()), ink)  # case does not matter


def test_parameters_are_checked_when_the_method_is_built():
    with pytest.raises(binkit.InputError, match="unknown method 'nope'"):
        binkit.binarizer("nope")
    with pytest.raises(binkit.InputError, match=r"does not take size \(it takes: window, k, r\)"):
        binkit.binarizer("sauvola", size=3)
    with pytest.raises(binkit.InputError, match="window"):
        binkit.binarizer("sauvola", window=4)  # refused before any page is seen
    with pytest.raises(binkit.InputError, match="does not take device"):
        binkit.binarizer("otsu", device="cpu")
    with pytest.raises(binkit.InputError, match="no shipped Grid LSTM weights named 'nope'"):
        binkit.binarizer("gridlstm", weights="nope")


@pytest.mark.parametrize("device, message", [
    ("foo", "unknown device 'foo'"),
    ("cuda:5", "cuda:5"),
    ("mps", "mps"),
])
def test_bad_devices_are_one_line_input_errors(device, message):
    import torch

    if device.startswith("cuda") and torch.cuda.device_count() > 5:
        pytest.skip("this machine has that GPU")
    if device == "mps" and getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        pytest.skip("this machine has MPS")
    with pytest.raises(binkit.InputError, match=message) as info:
        binkit.binarizer("gridlstm", device=device)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("value", ["abc", -1, 0, 2.5, True])
def test_max_tiles_must_be_a_positive_integer(value):
    with pytest.raises(binkit.InputError, match="max_tiles"):
        binkit.binarizer("hybrid", max_tiles=value)


def test_default_method_is_the_same_for_library_and_cli(page):
    from binkit.__main__ import build_parser

    np.testing.assert_array_equal(binkit.binarize(page), binkit.binarizer(binkit.DEFAULT_METHOD, device="cpu")(page))
    args = build_parser().parse_args(["binarize", "x.png", "-o", "out"])
    assert args.method is None  # the CLI falls back to binkit.DEFAULT_METHOD, like the library


def test_binkit_methods_lists_every_method(capsys):
    from binkit.__main__ import main

    assert main(["methods"]) == 0
    out = capsys.readouterr().out
    for name in binkit.methods():
        assert f"\n{name}" in "\n" + out
    assert f"{binkit.DEFAULT_METHOD}*" in out and "window=51" in out


def _python(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip()


def test_classical_methods_import_no_torch(tmp_path):
    """Issue 13's check, and the same for the command line."""
    assert _python("import sys, numpy as np, binkit; "
                   "binkit.binarize(np.random.rand(64, 64).astype('float32'), method='otsu'); "
                   "print('torch' in sys.modules)") == "False"
    from PIL import Image

    Image.fromarray((np.random.default_rng(0).random((40, 50)) * 255).astype(np.uint8)).save(tmp_path / "p.png")
    out = _python("import sys; from binkit.__main__ import main; "
                  f"code = main(['binarize', {str(tmp_path / 'p.png')!r}, '-o', {str(tmp_path / 'out')!r}, "
                  "'--method', 'sauvola', '--no-progress']); "
                  "main(['methods']); print(code, 'torch' in sys.modules)")
    assert out.splitlines()[-1] == "0 False"
    assert (tmp_path / "out" / "p.png").is_file()


def test_weights_store_lists_describes_and_loads():
    for family in weights.FAMILIES:
        names = weights.available(family)
        assert weights.FAMILIES[family].default in names
        record = weights.info(family)
        assert record["test_years"] == [2016] and record["command"]
        assert weights.results(family)
        path = weights.weights_path(family)
        assert path.suffix == ".pt" and path.parent == weights.FAMILIES[family].folder
    with pytest.raises(binkit.InputError, match="unknown model family"):
        weights.available("cnn")


@pytest.mark.parametrize("name", ["otsu", "sauvola", "logistic", "hybrid", "gridlstm"])
def test_a_page_is_checked_once_per_call(monkeypatch, page, name):
    """binkit.binarize -> the method's public function: one as_gray pass, whatever the method."""
    import importlib

    calls = []
    for module in ("binkit.classical", "binkit.hybrid.logistic", "binkit.hybrid.inference",
                   "binkit.gridlstm.inference", "binkit.gridlstm.inputs"):
        mod = importlib.import_module(module)
        original = mod.as_gray

        def counting(*args, _original=original, **kwargs):
            calls.append(1)
            return _original(*args, **kwargs)

        monkeypatch.setattr(mod, "as_gray", counting)
    run = binkit.binarizer(name, **({"device": "cpu"} if name in weights.FAMILIES else {}))
    calls.clear()  # building ran the method's checks on a probe page
    run(page[:64, :64])
    assert len(calls) == 1
