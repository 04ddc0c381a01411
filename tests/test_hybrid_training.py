"""The hybrid method's CNN adjuster: inputs, soft losses, training with binkit.train, whole pages, shipping."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import binkit
from binkit.datasets import synthetic_page
from binkit import weights
from binkit.export import export_weights
from binkit.hybrid.inference import _tiles, binarize, page_heights, prepare_page
from binkit.hybrid.losses import soft_fmeasure, soft_nrm
from binkit.hybrid.model import AdjusterConfig, SurfaceAdjuster, adjuster_input, inference_copy
from binkit.hybrid.run import HybridRunSpec, model_from_checkpoint, run
from binkit.hybrid.training import HybridTask
from binkit.metrics import fmeasure, nrm
from binkit.train import TrainConfig, fit

SMALL = AdjusterConfig(n=16, patch=64, widths=(8, 8, 8), hidden=16)


def _pages(seeds, size=(96, 128)):
    return [prepare_page(f"s{s}", *(lambda p: (p.image, p.gt))(synthetic_page(s, size=size, font_size=(12, 16))))
            for s in seeds]


@pytest.fixture(scope="module")
def pages():
    return {"train": _pages([1, 2]), "val": _pages([3])}


def test_adjuster_starts_at_the_classical_surface():
    torch.manual_seed(0)
    model = SurfaceAdjuster(SMALL)
    x = torch.rand(2, 6, 64, 64)
    assert torch.equal(model(x), torch.zeros(2, 16, 16))  # zero-initialised last layer
    image = synthetic_page(4, size=(150, 170)).image
    assert np.array_equal(binarize(image, model), binarize(image, None))
    assert SurfaceAdjuster().config.widths == (32, 64, 128, 256, 256, 256)


def test_inference_copy_gives_the_same_dz():
    torch.manual_seed(0)
    model = SurfaceAdjuster(SMALL)
    torch.nn.init.normal_(model.head[-1].weight, std=0.5)  # a "trained" head, so dZ is not all zero
    model.train()
    for _ in range(3):  # move the BatchNorm running statistics away from (0, 1)
        model(torch.rand(4, 6, 64, 64) * 3 + 1)
    model.eval()
    fast = inference_copy(model)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fast.modules())  # folded into the convolutions
    x = torch.rand(2, 6, 64, 64)
    with torch.no_grad():
        want = model(x)
        got = fast(x.contiguous(memory_format=torch.channels_last))
    assert want.abs().max() > 1e-3
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-4)
    assert model.training is False and any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    assert inference_copy(fast) is fast and inference_copy(model) is not model  # copied once, then used as it is


def test_adjuster_input_channels():
    patch = torch.rand(3, 64, 64)
    heights = torch.arange(256, dtype=torch.float32).view(1, 16, 16).expand(3, 16, 16)
    greville = torch.linspace(0, 1, 16)
    x = adjuster_input(patch, heights, greville, target_fm=0.9, target_nrm=0.05)
    assert x.shape == (3, 6, 64, 64)
    assert torch.equal(x[:, 0], patch)
    assert x[0, 1, 4 * 5, 0] == greville[5] and x[0, 2, 0, 4 * 7] == greville[7]  # X along rows (b), Y along columns
    assert x[0, 3, 4 * 2 + 1, 4 * 3 + 2] == heights[0, 2, 3]                       # 4 x 4 block per control point
    assert torch.all(x[:, 4] == 0.9) and torch.allclose(x[:, 5], torch.tensor(0.05))
    with pytest.raises(ValueError, match="multiple"):
        adjuster_input(torch.rand(1, 60, 60), heights[:1], greville)


def test_soft_metrics_equal_the_hard_ones_on_binary_maps():
    rng = np.random.default_rng(0)
    gt = rng.random((40, 50)) < 0.2
    pred = gt ^ (rng.random((40, 50)) < 0.1)
    p, g = torch.as_tensor(pred, dtype=torch.float32), torch.as_tensor(gt)
    assert float(soft_fmeasure(p, g, eps=1e-9)) == pytest.approx(fmeasure(pred, gt) / 100, abs=1e-5)
    assert float(soft_nrm(p, g, eps=1e-9)) == pytest.approx(nrm(pred, gt), abs=1e-5)
    mask = torch.zeros(40, 50, dtype=torch.bool)
    mask[:20] = True
    assert float(soft_fmeasure(p, g, mask, eps=1e-9)) == pytest.approx(fmeasure(pred[:20], gt[:20]) / 100, abs=1e-5)


def test_task_crops_are_aligned_and_masked(pages):
    task = HybridTask(pages, SMALL)
    big = synthetic_page(5, size=(96, 128))
    small = prepare_page("small", big.image[:40, :50], big.gt[:40, :50])   # smaller than a crop: padded, masked
    task2 = HybridTask({"train": [small], "val": pages["val"]}, SMALL)
    batch = task2.batches("train", 3, np.random.default_rng(0))
    assert batch["patch"].shape == (3, 64, 64) and batch["c0"].shape == (3, 16, 16)
    assert batch["mask"].sum(axis=(1, 2)).tolist() == [40 * 50] * 3
    for k in range(3):
        m = batch["mask"][k]
        crop = batch["patch"][k][m].reshape(40, 50)
        assert np.array_equal(crop, small.image) or np.array_equal(crop, small.image[:, ::-1])
    b = task.batches("train", 4, np.random.default_rng(1))
    loss = task.loss(task.model, b, torch.device("cpu"))
    assert loss.ndim == 0 and torch.isfinite(loss)
    loss.backward()
    assert all(p.grad is not None for p in task.model.head.parameters())
    wrong, counted = task.errors(task.model, b, torch.device("cpu"))
    assert 0 <= wrong <= counted == int(b["mask"].sum())


def test_training_moves_the_surface_and_lowers_the_loss(pages, tmp_path):
    torch.manual_seed(0)
    task = HybridTask(pages, SMALL)
    batch = task.batches("train", 8, np.random.default_rng(2))
    with torch.no_grad():
        before = float(task.loss(task.model, batch, torch.device("cpu")))
    cfg = TrainConfig(epochs=6, blocks_per_epoch=8, batch_size=4, val_every=2, val_blocks=4, lr=3e-3, seed=3,
                      progress=False)
    result = fit(task, cfg, tmp_path)
    with torch.no_grad():
        after = float(task.loss(task.model.eval(), batch, torch.device("cpu")))
    assert result.epochs_done == 6 and after < before
    heights = page_heights(pages["val"][0], task.model)
    assert not np.allclose(heights, pages["val"][0].c0)


def test_tiles_cover_the_page():
    for shape in [(64, 64), (100, 64), (513, 1100), (30, 20)]:
        covered = np.zeros(shape, bool)
        for r, c in _tiles(shape, 64):
            covered[r: r + 64, c: c + 64] = True
        assert covered.all()


def test_run_export_and_load(tmp_path):
    from PIL import Image

    from binkit.io import save_binary
    from binkit.results import read_results_csv

    spec = HybridRunSpec(train=[1], val=[2], test=[3], synthetic=True, synthetic_size=(96, 128), config=SMALL,
                         train_cfg=TrainConfig(epochs=2, blocks_per_epoch=4, batch_size=2, val_every=1,
                                               val_blocks=2, progress=False))
    summary = run(spec, tmp_path / "run")
    assert summary["epochs_done"] == 2 and set(summary["test"]) == {"hybrid", "hybrid-start"}
    assert model_from_checkpoint(tmp_path / "run" / "best.pt").config == SMALL
    root = tmp_path / "dibco"
    for k, p in enumerate(_pages([6, 7])):
        (root / "2030" / "images").mkdir(parents=True, exist_ok=True)
        Image.fromarray((p.image * 255).astype(np.uint8)).save(root / "2030" / "images" / f"2030_H0{k + 1}.png")
        save_binary(root / "2030" / "gt" / f"2030_H0{k + 1}.png", p.gt)
    rec = export_weights(tmp_path / "run", "tiny", data=root, test_years=[2030], dest=tmp_path / "w")
    assert rec["epochs_reached"] == 2 and rec["seed"] == 42 and rec["data"]["pages"]
    assert {"hybrid", "hybrid-start", "logistic", "otsu", "sauvola"} <= set(rec["test_scores_mean"])
    rows = read_results_csv(tmp_path / "w" / "tiny.results.csv")
    assert {r["image"] for r in rows} == {"2030_H01", "2030_H02"} and rows[0]["dataset"] == "2030"
    model = weights.load("hybrid", tmp_path / "w" / "tiny.pt")
    image = synthetic_page(8, size=(80, 90)).image
    assert binarize(image, model).shape == image.shape
    assert binkit.binarize(image, "hybrid", weights=tmp_path / "w" / "tiny.pt").shape == image.shape
    with pytest.raises(binkit.InputError, match="no shipped hybrid weights named 'nope'"):
        weights.load("hybrid", "nope")


def test_max_tiles_uses_the_most_text_rich_tiles(pages):
    torch.manual_seed(1)
    model = SurfaceAdjuster(SMALL)
    torch.nn.init.normal_(model.head[-1].weight, std=0.5)  # a model that moves the surface
    page = pages["train"][0]                                # 96 x 128: 2 x 2 tiles of 64
    all_tiles = page_heights(page, model)
    one = page_heights(page, model, max_tiles=1)
    assert not np.allclose(all_tiles, one)
    assert np.allclose(page_heights(page, model, max_tiles=10), all_tiles)
