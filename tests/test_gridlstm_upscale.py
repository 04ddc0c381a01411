"""Issue 30, part 3: running the Grid LSTM on a page resampled by ``upscale``, with its logits brought back.

A scan of lower resolution than the training pages has strokes too thin for
the model; ``upscale`` resamples the page before the model and the logits back
after.  The page and the result keep their shape; the two resamplings keep
pixel centres where they were (no half-pixel shift), and a bad factor is
refused before any weights load.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import binkit
from binkit import InputError
from binkit.gridlstm import GridLSTMBinarizer, GridLSTMConfig
from binkit.gridlstm.inference import MAX_UPSCALE, _downsampled, _resampled, binarize, page_logits


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return GridLSTMBinarizer(GridLSTMConfig())


def _page(shape=(70, 90), seed=0):
    rng = np.random.default_rng(seed)
    page = np.full(shape, 0.85, np.float32)
    page[20:24, 10:80] = 0.2  # a stroke
    return np.clip(page + rng.normal(0, 0.02, shape), 0, 1).astype(np.float32)


def test_upscale_one_is_the_page_as_it_is(model):
    page = _page()
    assert np.array_equal(page_logits(page, model, "cpu", upscale=1), page_logits(page, model, "cpu"))


@pytest.mark.parametrize("factor", [1.5, 2, 3])
def test_upscaled_results_have_the_page_shape_and_binarize_is_the_logits_sign(model, factor):
    page = _page()
    logits = page_logits(page, model, "cpu", upscale=factor)
    assert logits.shape == page.shape and logits.dtype == np.float32 and np.isfinite(logits).all()
    ink = binarize(page, model, "cpu", upscale=factor)
    assert ink.dtype == bool and np.array_equal(ink, logits >= 0)


@pytest.mark.parametrize("factor", [1.5, 2, 3.7])
def test_the_two_resamplings_keep_pixel_centres(factor):
    # a smooth page goes up and back down nearly unchanged, and a ramp keeps its mean and its slope's position:
    # a half-pixel shift in either direction would move the ramp by a tenth of its step or more
    y, x = np.mgrid[0:60, 0:80].astype(np.float32)
    ramp = 0.01 * x + 0.005 * y
    up = _resampled(ramp, factor)
    assert up.shape == (round(60 * factor), round(80 * factor)) and up.dtype == np.float32
    back = _downsampled(up, ramp.shape)
    inner = (slice(3, -3), slice(3, -3))  # the edges are clamped ("edge" mode)
    assert np.abs(back - ramp)[inner].max() < 0.1 * 0.01


@pytest.mark.parametrize("bad", [0.5, 0, -2, MAX_UPSCALE + 1, float("nan"), "2", True])
def test_a_bad_factor_is_refused_with_a_clear_message(model, bad):
    with pytest.raises(InputError, match="upscale"):
        page_logits(_page(), model, "cpu", upscale=bad)
    with pytest.raises(InputError, match="upscale"):
        binarize(_page(), model, "cpu", upscale=bad)


def test_the_method_takes_upscale_and_checks_it_before_loading_weights():
    assert "upscale" in [p.name for p in binkit.methods()["gridlstm"].parameters]
    with pytest.raises(InputError, match="upscale"):
        binkit.binarizer("gridlstm", upscale=0.5, weights="no-such-weights")
