"""Issue 16, cases 6, 8, 10-13: what binkit reads, and what it refuses, from files and arrays.

* 6: a pixel limit, checked from the header before decoding (``MAX_PIXELS``,
  ``BINKIT_MAX_PIXELS``, ``max_pixels=``, ``--max-pixels``);
* 8: one integer rule for every method (uint8 8-bit, uint16 16-bit, other
  integer types by their value range);
* 10: a bool array is a mask, and is refused as a page;
* 11: libtiff's decoder warnings refuse the file;
* 12: multi-page and animated files are refused with their page count;
* 13: the EXIF orientation is applied to scans and ground truths alike.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
from PIL import Image

import binkit
from binkit import classical, io
from binkit.datasets import synthetic_page
from binkit.hybrid import inference, logistic
from binkit.io import MAX_PIXELS, as_gray, read_gt, read_image, save_binary


def _page(seed=3, size=(96, 128)):
    return synthetic_page(seed, size=size, font_size=(12, 16))


def _u8(page):
    return np.round(page.image * 255).astype(np.uint8)


def _cli(*args, env=None):
    import os

    proc = subprocess.run([sys.executable, "-m", "binkit", *map(str, args)], capture_output=True, text=True,
                          timeout=180, env={**os.environ, **(env or {})})
    return proc.returncode, proc.stdout, proc.stderr


def _assert_one_line_error(err, *needles):
    assert "Traceback" not in err
    lines = [line for line in err.strip().splitlines() if line.startswith("binkit:")]
    assert lines, err
    for needle in needles:
        assert needle in err, (needle, err)


# ---------------------------------------------------------------- case 6: the pixel limit


def _png_declaring(path, width, height):
    """A tiny PNG whose header declares ``width`` x ``height`` (its pixel data is a 1x1 image's)."""
    Image.new("L", (1, 1), 255).save(path)
    data = bytearray(path.read_bytes())
    ihdr = 8 + 8  # signature, then the IHDR chunk's length and type
    data[ihdr:ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12:ihdr + 13])) & 0xFFFFFFFF  # type + 13 bytes of IHDR data
    data[ihdr + 13:ihdr + 17] = struct.pack(">I", crc)
    path.write_bytes(bytes(data))
    return path


def test_a_small_file_declaring_a_huge_page_is_refused_before_decoding(tmp_path, monkeypatch):
    monkeypatch.delenv("BINKIT_MAX_PIXELS", raising=False)
    bomb = _png_declaring(tmp_path / "bomb.png", 20000, 20000)  # 400 MP in a few dozen bytes
    assert bomb.stat().st_size < 200
    with pytest.raises(binkit.InputError, match=r"20000 x 20000 pixels \(400\.0 MP\).*150 MP.*BINKIT_MAX_PIXELS"):
        read_image(bomb)
    with pytest.raises(binkit.InputError, match="MP"):
        read_gt(bomb)


def test_the_limit_can_be_raised_and_lowered(tmp_path, monkeypatch):
    bomb = _png_declaring(tmp_path / "bomb.png", 20000, 20000)
    monkeypatch.setenv("BINKIT_MAX_PIXELS", "5e8")
    assert io.max_pixels() == 500_000_000
    # allowed now, so it is decoded, and its missing pixel data is what is reported
    with pytest.raises(binkit.InputError, match="damaged or truncated"):
        read_image(bomb)
    monkeypatch.delenv("BINKIT_MAX_PIXELS")
    assert io.max_pixels() == MAX_PIXELS == 150_000_000
    small = tmp_path / "small.png"
    Image.fromarray(_u8(_page())).save(small)
    assert read_image(small).shape == (96, 128)
    with pytest.raises(binkit.InputError, match="more than binkit's limit"):
        read_image(small, max_pixels=1000)
    assert read_image(small, max_pixels=96 * 128).shape == (96, 128)  # the limit itself is allowed


@pytest.mark.parametrize("bad", ["abc", "0", "-5", "2.5", "nan", "inf"])
def test_a_bad_limit_is_refused(bad, monkeypatch, tmp_path):
    monkeypatch.setenv("BINKIT_MAX_PIXELS", bad)
    with pytest.raises(binkit.InputError, match="positive"):
        io.max_pixels()
    with pytest.raises(binkit.InputError, match="positive"):
        read_image(_png_declaring(tmp_path / "x.png", 10, 10), max_pixels=0)


def test_cli_refuses_a_huge_page_in_one_line_and_takes_max_pixels(tmp_path):
    bomb = _png_declaring(tmp_path / "bomb.png", 12000, 12000)  # the case: 144 MP declared
    code, _, err = _cli("binarize", bomb, "-o", tmp_path / "out", "--method", "otsu", "--no-progress",
                        "--max-pixels", "100000000")
    assert code == 2
    _assert_one_line_error(err, "bomb.png", "144.0 MP", "100 MP")
    assert not list((tmp_path / "out").glob("*.png"))
    code, _, err = _cli("binarize", bomb, "-o", tmp_path / "out", "--method", "otsu", "--max-pixels", "lots")
    assert code == 2
    _assert_one_line_error(err, "--max-pixels")


# ---------------------------------------------------------------- case 8: one integer rule

INTEGER_TYPES = [np.int8, np.int16, np.int32, np.int64, np.uint32, np.uint64]


@pytest.mark.parametrize("dtype", INTEGER_TYPES, ids=lambda t: np.dtype(t).name)
def test_8_bit_values_in_a_wide_integer_type_read_as_8_bit(dtype):
    u8 = _u8(_page())
    if dtype is np.int8:
        u8 = u8 // 2  # int8 holds 0..127 only; still 8-bit data
    np.testing.assert_array_equal(as_gray(u8.astype(dtype)), as_gray(u8))


# every method that takes a page: the classical ones, logistic, the hybrid without a model, and the Grid LSTM
METHODS = dict(classical.METHODS)
METHODS["logistic"] = logistic.logistic_binarize
METHODS["hybrid_c0"] = inference.binarize


@pytest.mark.parametrize("method", [*METHODS, "gridlstm"])
def test_every_method_gives_the_same_answer_for_8_bit_data_in_int32_and_int64(method):
    u8 = _u8(_page())
    run = (lambda im: binkit.binarize(im, "gridlstm", device="cpu")) if method == "gridlstm" else METHODS[method]
    expected = run(u8)
    assert 0.005 < expected.mean() < 0.5  # a real page with ink: the comparison means something
    for dtype in (np.int32, np.int64):
        np.testing.assert_array_equal(run(u8.astype(dtype)), expected)


def test_uint16_stays_16_bit_and_wide_types_use_16_bits_above_255():
    dark16 = np.full((4, 4), 200, np.uint16)
    assert np.allclose(as_gray(dark16), 200 / 65535)   # uint16 is 16-bit whatever its values
    wide = np.array([[0, 300], [1000, 65535]], np.int32)
    np.testing.assert_allclose(as_gray(wide), wide / 65535, rtol=1e-6)
    for bad in (np.array([[-1, 5]], np.int32), np.array([[0, 70000]], np.int64)):
        with pytest.raises(binkit.InputError, match="neither 8 bits"):
            as_gray(bad)


def test_an_int32_tiff_holding_0_255_reads_as_the_8_bit_png(tmp_path):
    u8 = _u8(_page())
    Image.fromarray(u8.astype(np.int32), mode="I").save(tmp_path / "wide.tif")
    Image.fromarray(u8).save(tmp_path / "narrow.png")
    assert Image.open(tmp_path / "wide.tif").mode == "I"
    np.testing.assert_array_equal(read_image(tmp_path / "wide.tif"), read_image(tmp_path / "narrow.png"))
    np.testing.assert_array_equal(classical.otsu(read_image(tmp_path / "wide.tif")), classical.otsu(u8))


# ---------------------------------------------------------------- case 10: a bool array is a mask


@pytest.mark.parametrize("method", ["otsu", "sauvola", "logistic", "hybrid", "gridlstm"])
def test_a_bool_array_is_refused_as_a_page(method):
    mask = _page().gt
    with pytest.raises(binkit.InputError, match="bool array is a mask"):
        binkit.binarize(mask, method)


def test_a_1_bit_scan_file_still_reads_as_black_and_white(tmp_path):
    gt = _page().gt
    Image.fromarray(~gt).convert("1").save(tmp_path / "bits.png")
    img = read_image(tmp_path / "bits.png")
    np.testing.assert_array_equal(img == 0, gt)
    assert set(np.unique(img)) == {0.0, 1.0}


# ---------------------------------------------------------------- case 11: damaged TIFF


def _g4_tiff(path, ink):
    Image.fromarray(~ink).convert("1").save(path, compression="group4")
    return path


def _damage_strips(src, dst, n=20, seed=0):
    """Flip bytes inside the TIFF's compressed strip data (not its header), as a bad transfer would."""
    with Image.open(src) as img:
        start, length = img.tag_v2[273][0], img.tag_v2[279][0]  # StripOffsets, StripByteCounts
    data = bytearray(src.read_bytes())
    for i in np.random.default_rng(seed).integers(start + 4, start + length - 4, n):
        data[i] ^= 0xFF
    dst.write_bytes(bytes(data))
    return dst


def test_a_damaged_ccitt_g4_tiff_is_refused_and_the_intact_one_is_read(tmp_path):
    import skimage.data

    ink = skimage.data.page() < 128
    good = _g4_tiff(tmp_path / "good.tif", ink)
    bad = _damage_strips(good, tmp_path / "bad.tif")
    np.testing.assert_array_equal(read_image(good) == 0, ink)
    with pytest.raises(binkit.InputError, match=r"bad\.tif: damaged image: the TIFF decoder reported"):
        read_image(bad)
    with pytest.raises(binkit.InputError, match="TIFF decoder"):
        read_gt(bad)
    code, _, err = _cli("binarize", bad, good, "-o", tmp_path / "out", "--method", "otsu", "--no-progress")
    assert code == 2
    _assert_one_line_error(err, "bad.tif", "TIFF decoder")
    assert (tmp_path / "out" / "good.png").exists() and not (tmp_path / "out" / "bad.png").exists()


# ---------------------------------------------------------------- case 12: one page per file


def test_multi_page_tiff_and_animated_gif_are_refused_with_their_page_count(tmp_path):
    pages = [Image.fromarray(_u8(_page(s))) for s in (1, 2, 3)]
    pages[0].save(tmp_path / "book.tif", save_all=True, append_images=pages[1:])
    pages[0].save(tmp_path / "flip.gif", save_all=True, append_images=pages[1:2], duration=100)
    pages[0].save(tmp_path / "single.tif")
    with pytest.raises(binkit.InputError, match="holds 3 pages"):
        read_image(tmp_path / "book.tif")
    with pytest.raises(binkit.InputError, match="holds 2 pages"):
        read_image(tmp_path / "flip.gif")
    with pytest.raises(binkit.InputError, match="holds 3 pages"):
        read_gt(tmp_path / "book.tif")
    assert read_image(tmp_path / "single.tif").shape == (96, 128)
    code, _, err = _cli("binarize", tmp_path / "book.tif", "-o", tmp_path / "out", "--method", "otsu",
                        "--no-progress")
    assert code == 2
    _assert_one_line_error(err, "book.tif", "3 pages")


# ---------------------------------------------------------------- case 13: EXIF orientation


def _with_orientation(img, path, orientation, **save):
    exif = Image.Exif()
    exif[0x0112] = orientation
    img.save(path, exif=exif, **save)
    return path


@pytest.mark.parametrize("orientation, turn", [(6, lambda a: np.rot90(a, -1)), (8, lambda a: np.rot90(a, 1)),
                                               (3, lambda a: np.rot90(a, 2)), (2, np.fliplr)])
def test_exif_orientation_is_applied_to_scans_and_gts_alike(tmp_path, orientation, turn):
    page = _page()
    u8 = _u8(page)
    jpeg = _with_orientation(Image.fromarray(u8), tmp_path / "phone.jpg", orientation, quality=95)
    upright = turn(u8)
    img = read_image(jpeg)
    assert img.shape == upright.shape
    assert np.abs(img * 255 - upright).mean() < 3  # the JPEG's own loss only
    gt_path = tmp_path / "gt.png"
    _with_orientation(Image.fromarray(np.where(page.gt, 0, 255).astype(np.uint8)), gt_path, orientation)
    np.testing.assert_array_equal(read_gt(gt_path), turn(page.gt))


def test_orientation_1_and_no_exif_leave_pixels_as_stored(tmp_path):
    u8 = _u8(_page())
    plain = tmp_path / "plain.png"
    Image.fromarray(u8).save(plain)
    tagged = _with_orientation(Image.fromarray(u8), tmp_path / "one.png", 1)
    np.testing.assert_array_equal(read_image(plain), u8 / np.float32(255))
    np.testing.assert_array_equal(read_image(tagged), read_image(plain))
    save_binary(tmp_path / "m.png", _page().gt)
    np.testing.assert_array_equal(read_gt(tmp_path / "m.png"), _page().gt)
