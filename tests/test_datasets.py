"""binkit.datasets: DIBCO loading, the committed synthetic set, and blocks."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import binkit
from binkit.datasets import (
    block_grid,
    from_blocks,
    load_dibco,
    load_synthetic,
    page,
    sample_blocks,
    to_blocks,
)


def _make_root(tmp_path, year=2030, names=("2030_H01", "2030_P02"), shape=(40, 70)):
    for name in names:
        for sub, value in (("images", 128), ("gt", 255)):
            d = tmp_path / str(year) / sub
            d.mkdir(parents=True, exist_ok=True)
            a = np.full(shape, value, np.uint8)
            if sub == "gt":
                a[5:10, 5:20] = 0
            Image.fromarray(a).save(d / f"{name}.png")
    return tmp_path


def test_load_dibco_layout(tmp_path):
    root = _make_root(tmp_path)
    samples = load_dibco(root)
    assert [s.name for s in samples] == ["2030_H01", "2030_P02"]
    s = samples[0]
    assert s.year == 2030 and s.image.dtype == np.float32 and s.gt.dtype == bool
    assert s.gt.sum() == 75 and s.shape == (40, 70)


def test_load_dibco_env_var(tmp_path, monkeypatch):
    root = _make_root(tmp_path)
    monkeypatch.setenv("BINKIT_DIBCO_ROOT", str(root))
    assert len(load_dibco(years=[2030])) == 2
    assert len(load_dibco(years=2030)) == 2


def test_load_dibco_missing_says_where_and_how(tmp_path, monkeypatch):
    monkeypatch.setenv("BINKIT_DIBCO_ROOT", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError) as info:
        load_dibco()
    msg = str(info.value)
    assert "nowhere" in msg and "fetch_dibco" in msg and "BINKIT_DIBCO_ROOT" in msg


def test_load_dibco_missing_year(tmp_path):
    root = _make_root(tmp_path)
    with pytest.raises(FileNotFoundError, match="1999"):
        load_dibco(root, years=[1999])


def test_load_dibco_size_mismatch(tmp_path):
    root = _make_root(tmp_path, names=("2030_H01",))
    Image.fromarray(np.full((41, 70), 255, np.uint8)).save(root / "2030" / "gt" / "2030_H01.png")
    s = load_dibco(root)[0]
    with pytest.raises(binkit.InputError, match="2030_H01") as info:
        s.gt
    assert "70x41" in str(info.value) and "70x40" in str(info.value)


def test_load_dibco_image_without_gt(tmp_path):
    root = _make_root(tmp_path, names=("2030_H01",))
    (root / "2030" / "gt" / "2030_H01.png").unlink()
    with pytest.raises(binkit.InputError, match="no ground truth"):
        load_dibco(root)


@pytest.mark.dibco
def test_load_real_dibco(dibco_root):
    samples = load_dibco(dibco_root, years=[2016])
    assert len(samples) == 10 and samples[0].name == "2016_H01"
    assert samples[0].image.shape == samples[0].gt.shape


def test_committed_synthetic_set():
    samples = load_synthetic()
    assert len(samples) >= 8
    for s in samples:
        assert s.image.shape == s.gt.shape
        assert 0.02 <= s.gt.mean() <= 0.25


def test_scikit_image_page():
    img = page()
    assert img.dtype == np.float32 and img.shape == (191, 384)


@pytest.mark.parametrize("shape", [(64, 64), (1, 1), (100, 130), (129, 63)])
def test_blocks_roundtrip(shape):
    rng = np.random.default_rng(0)
    img = rng.random(shape).astype(np.float32)
    b = to_blocks(img, 64)
    rows, cols = block_grid(shape, 64)
    assert b.shape == (rows * cols, 64, 64)
    np.testing.assert_array_equal(from_blocks(b, shape), img)


def test_blocks_row_major_and_padding():
    img = np.arange(70 * 130).reshape(70, 130)
    b = to_blocks(img, 64, value=-1)
    assert b.shape == (6, 64, 64)
    assert b[1, 0, 0] == img[0, 64] and b[3, 0, 0] == img[64, 0]
    assert b[2, 0, 1] == img[0, 129]
    assert b[2, 0, 2] == -1  # right padding
    assert b[5, 6, 0] == -1  # bottom padding


def test_blocks_bad_input():
    with pytest.raises(binkit.InputError):
        to_blocks(np.zeros(5), 64)
    with pytest.raises(binkit.InputError, match="cover"):
        from_blocks(np.zeros((3, 64, 64)), (100, 130))


def test_sample_blocks_pairs_and_determinism():
    rng = np.random.default_rng(0)
    imgs = [rng.random((100, 200)).astype(np.float32), rng.random((64, 64)).astype(np.float32)]
    gts = [im > 0.5 for im in imgs]
    (bi, bg), where = sample_blocks(list(zip(imgs, gts)), 7, 64, rng=3)
    assert bi.shape == (7, 64, 64) and bg.dtype == bool
    np.testing.assert_array_equal(bi > 0.5, bg)
    for k, (p, top, left) in enumerate(where):
        tile = imgs[p][top : top + 64, left : left + 64]
        np.testing.assert_array_equal(bi[k, : tile.shape[0], : tile.shape[1]], tile)
    (bi2, _), where2 = sample_blocks(list(zip(imgs, gts)), 7, 64, rng=3)
    np.testing.assert_array_equal(where, where2)
    # pool is 2*4 + 1 = 9 blocks: 7 distinct without replacement
    assert len({tuple(w) for w in where}) == 7


def test_sample_blocks_more_than_pool_and_unaligned():
    img = np.zeros((64, 128), np.float32)
    blocks, where = sample_blocks([img], 5, 64, rng=0)
    assert blocks.shape == (5, 64, 64) and set(where[:, 2]) <= {0, 64}
    blocks, where = sample_blocks([np.zeros((100, 100))], 20, 32, rng=0, aligned=False)
    assert where[:, 1:].max() <= 128 - 32 and len(set(map(tuple, where))) > 5


def test_cli_errors_are_one_line(tmp_path, capsys):
    from binkit.__main__ import main

    assert main(["fetch-dibco", "1999", "--dest", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("binkit: error:") and err.count("\n") == 1 and "1999" in err


def test_cli_synthetic_writes_pages(tmp_path, capsys):
    from binkit.__main__ import main

    assert main(["synthetic", "--dest", str(tmp_path), "--count", "1"]) == 0
    samples = load_synthetic(tmp_path)
    assert len(samples) == 1 and samples[0].gt.any()
