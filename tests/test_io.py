"""binkit.io: reading scans and ground truth, writing binary images."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import binkit
from binkit.io import LUMA_WEIGHTS, as_gray, as_mask, read_gt, read_image, save_binary


def _save(path, array, **kw):
    Image.fromarray(array, **kw).save(path)
    return path


@pytest.fixture
def gray8():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(20, 30), dtype=np.uint8)


def test_read_gray_png(tmp_path, gray8):
    img = read_image(_save(tmp_path / "a.png", gray8))
    assert img.dtype == np.float32 and img.shape == (20, 30)
    np.testing.assert_allclose(img, gray8 / 255.0, atol=1e-7)


def test_rgb_uses_documented_luminance(tmp_path):
    rgb = np.zeros((4, 5, 3), np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 200, 100, 50
    img = read_image(_save(tmp_path / "c.png", rgb))
    expected = (LUMA_WEIGHTS[0] * 200 + LUMA_WEIGHTS[1] * 100 + LUMA_WEIGHTS[2] * 50) / 255
    np.testing.assert_allclose(img, expected, rtol=1e-6)


def test_rgba_composited_on_white(tmp_path):
    rgba = np.zeros((3, 3, 4), np.uint8)  # black ink ...
    rgba[0, 0, 3] = 255  # ... opaque in one pixel, fully transparent elsewhere
    rgba[1, 1, 3] = 128
    img = read_image(_save(tmp_path / "t.png", rgba))
    assert img[0, 0] == 0.0
    assert img[2, 2] == 1.0  # transparent reads as white paper
    np.testing.assert_allclose(img[1, 1], 1 - 128 / 255, atol=1e-6)


def test_16bit_scaled(tmp_path):
    a16 = np.array([[0, 32768, 65535]], dtype=np.uint16)
    path = tmp_path / "d.tif"
    Image.fromarray(a16).save(path)
    img = read_image(path)
    np.testing.assert_allclose(img, [[0.0, 32768 / 65535, 1.0]], atol=1e-6)
    png = tmp_path / "d16.png"
    Image.fromarray(a16).save(png)
    np.testing.assert_allclose(read_image(png), img, atol=1e-6)


def test_palette_image(tmp_path, gray8):
    p = Image.fromarray(np.stack([gray8] * 3, axis=-1)).convert("P", palette=Image.Palette.ADAPTIVE)
    p.save(tmp_path / "p.png")
    img = read_image(tmp_path / "p.png")
    expected = np.asarray(p.convert("L"), dtype=np.float32) / 255
    assert img.shape == gray8.shape
    np.testing.assert_allclose(img, expected, atol=1 / 255)


def test_one_bit_image(tmp_path):
    bits = np.array([[0, 1], [1, 0]], dtype=bool)
    Image.fromarray(bits).save(tmp_path / "b.png")
    np.testing.assert_array_equal(read_image(tmp_path / "b.png"), bits.astype(np.float32))


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"", "empty file"),
        (b"this is not an image at all\n" * 10, "not an image"),
    ],
)
def test_bad_files_raise_input_error_naming_file(tmp_path, content, fragment):
    bad = tmp_path / "scan_0042.png"
    bad.write_bytes(content)
    with pytest.raises(binkit.InputError, match=fragment) as info:
        read_image(bad)
    assert "scan_0042.png" in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(binkit.InputError, match="scan_0042.png"):
        read_gt(bad)


def test_truncated_png(tmp_path, gray8):
    good = _save(tmp_path / "good.png", np.tile(gray8, (10, 10)))
    data = good.read_bytes()
    trunc = tmp_path / "truncated.png"
    trunc.write_bytes(data[: len(data) // 2])
    with pytest.raises(binkit.InputError, match="truncated.png") as info:
        read_image(trunc)
    assert "\n" not in str(info.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(binkit.InputError, match="no such file"):
        read_image(tmp_path / "nope.png")
    with pytest.raises(binkit.InputError, match="folder"):
        read_image(tmp_path)


def test_input_error_is_value_error():
    assert issubclass(binkit.InputError, ValueError)


def test_read_gt_dibco_rule_and_pbm(tmp_path):
    gt = np.full((10, 10), 255, np.uint8)
    gt[2:4, 2:6] = 0
    mask = read_gt(_save(tmp_path / "gt.png", gt))
    assert mask.dtype == bool and mask.sum() == 8 and mask[2, 2]
    # PBM: 1 (black) is ink.  PIL writes mode "1" with True = white.
    Image.fromarray(~mask).save(tmp_path / "gt.pbm")
    np.testing.assert_array_equal(read_gt(tmp_path / "gt.pbm"), mask)


def test_read_gt_grey_values_follow_rule_with_warning(tmp_path):
    gt = np.full((10, 10), 255, np.uint8)
    gt[0, :5] = 0
    gt[1, :5] = 100  # anti-aliased edge: page under the DIBCO rule
    with pytest.warns(UserWarning, match="grey"):
        mask = read_gt(_save(tmp_path / "g.png", gt))
    assert mask.sum() == 5


def test_read_gt_refuses_inverted(tmp_path):
    inv = np.zeros((10, 10), np.uint8)
    inv[2:4, 2:6] = 255  # white text on black: 92 % "ink"
    path = _save(tmp_path / "inverted_gt.png", inv)
    with pytest.raises(binkit.InputError, match="inverted") as info:
        read_gt(path)
    assert "inverted_gt.png" in str(info.value)
    assert read_gt(path, allow_majority_ink=True).mean() > 0.9


def test_save_binary_roundtrip_and_format(tmp_path):
    rng = np.random.default_rng(1)
    ink = rng.random((17, 23)) < 0.2
    out = save_binary(tmp_path / "sub" / "out.png", ink)  # missing folder is created
    with Image.open(out) as im:
        assert im.mode == "L" and im.format == "PNG"
        px = np.asarray(im)
    assert set(np.unique(px)) <= {0, 255}
    np.testing.assert_array_equal(px == 0, ink)
    np.testing.assert_array_equal(read_gt(out), ink)
    assert not list((tmp_path / "sub").glob("*.tmp"))


def test_save_binary_rejects_non_mask(tmp_path):
    with pytest.raises(binkit.InputError, match="only 0 and 1"):
        save_binary(tmp_path / "x.png", np.full((3, 3), 255, np.uint8))
    with pytest.raises(binkit.InputError, match="bool"):
        save_binary(tmp_path / "x.png", np.zeros((3, 3), np.float32))


def test_as_gray_validates_arrays():
    with pytest.raises(binkit.InputError, match="NaN"):
        as_gray(np.array([[0.1, np.nan]], np.float32))
    with pytest.raises(binkit.InputError, match=r"\[0, 1\]"):
        as_gray(np.array([[0.0, 2.0]]))
    with pytest.raises(binkit.InputError, match="shape"):
        as_gray(np.zeros((2, 2, 2, 2)))
    with pytest.raises(binkit.InputError, match="empty"):
        as_gray(np.zeros((0, 3)))
    with pytest.raises(binkit.InputError, match="mask"):
        as_gray(np.zeros((2, 2), bool))


def test_as_mask():
    np.testing.assert_array_equal(as_mask(np.array([[0, 1]])), [[False, True]])
    with pytest.raises(binkit.InputError):
        as_mask(np.zeros((2, 2, 1), bool))


@pytest.mark.dibco
def test_every_dibco_pair_loads(dibco_root):
    """read_image and read_gt load all 85 pairs; GT ink between 1 % and 30 %."""
    from binkit.datasets import load_dibco

    samples = load_dibco(dibco_root)
    assert len(samples) == 85
    for s in samples:
        img, gt = read_image(s.image_path), read_gt(s.gt_path)
        assert img.shape == gt.shape, s.name
        assert img.dtype == np.float32 and 0.0 <= img.min() and img.max() <= 1.0
        assert 0.01 <= gt.mean() <= 0.30, (s.name, gt.mean())
