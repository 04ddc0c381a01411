"""The hybrid method's CNN adjuster: inputs, soft losses, training with binkit.train, whole pages, shipping."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import binkit
from binkit.datasets import synthetic_page
from binkit import weights
from binkit.export import export_weights
from binkit.hybrid.histogram import (density_input, intensity_warp, node_histogram, node_index,
                                     soft_counts_from_histograms)
from binkit.hybrid.inference import binarize, lut_lookup, page_heights, prepare_page
from binkit.hybrid.losses import soft_counts, soft_fmeasure, soft_nrm
from binkit.hybrid.model import (AdjusterConfig, SurfaceAdjuster, adjuster_input, histogram_input, inference_copy,
                                 model_from_config)
from binkit.hybrid.oracle import gap_closed, oracle_heights
from binkit.hybrid.run import HYBRID_RECIPES, HybridRunSpec, model_from_checkpoint, run
from binkit.hybrid.samples import IntensityAugment, draw_sample, tiles, warped_levels
from binkit.hybrid.spline import surface_lut
from binkit.hybrid.training import HybridTask
from binkit.metrics import fmeasure, nrm
from binkit.train import TrainConfig, fit

SMALL = AdjusterConfig(n=16, patch=64, widths=(8, 8, 8), bins=64)                    # binkit's histogram layout
SMALL_PAPER = AdjusterConfig(n=16, patch=64, widths=(8, 8, 8), hidden=16, layout="paper")


def _pages(seeds, size=(96, 128)):
    return [prepare_page(f"s{s}", *(lambda p: (p.image, p.gt))(synthetic_page(s, size=size, font_size=(12, 16))))
            for s in seeds]


@pytest.fixture(scope="module")
def pages():
    return {"train": _pages([1, 2]), "val": _pages([3])}


@pytest.mark.parametrize("config, x", [(SMALL, torch.rand(2, 4, 64, 64)), (SMALL_PAPER, torch.rand(2, 6, 64, 64))])
def test_adjuster_starts_at_the_classical_surface(config, x):
    torch.manual_seed(0)
    model = SurfaceAdjuster(config)
    assert torch.equal(model(x), torch.zeros(2, 16, 16))  # zero-initialised last layer
    image = synthetic_page(4, size=(150, 170)).image
    assert np.array_equal(binarize(image, model), binarize(image, None))
    assert np.array_equal(binarize(image, model, adapt="tile"), binarize(image, None))


def test_layouts_and_their_defaults():
    assert SurfaceAdjuster().config.layout == "histogram" and SurfaceAdjuster().config.widths == (32, 64, 96)
    assert AdjusterConfig(layout="paper").widths == (32, 64, 128, 256, 256, 256)
    assert AdjusterConfig().dz_max is None                          # no cap on how far the surface moves
    old = model_from_config({"n": 16, "patch": 64, "widths": [8, 8, 8], "hidden": 16, "dz_max": 0.25})
    assert old.config.layout == "paper" and old.config.dz_max == 0.25  # a record written before the layouts
    with pytest.raises(binkit.InputError, match="layout"):
        AdjusterConfig(layout="pixels")
    with pytest.raises(binkit.InputError, match="bins"):
        AdjusterConfig(bins=48)
    with pytest.raises(binkit.InputError, match="widths"):
        AdjusterConfig(widths=(8, 8))


def test_the_output_is_unbounded_unless_a_bound_is_asked_for():
    x = torch.rand(1, 4, 64, 64)
    for dz_max, want in [(None, 1.7), (0.25, 0.25 * np.tanh(1.7))]:
        model = SurfaceAdjuster(AdjusterConfig(n=16, widths=(8, 8, 8), dz_max=dz_max))
        with torch.no_grad():
            model.head[-1].bias.fill_(1.7)
        assert torch.allclose(model(x), torch.full((1, 16, 16), float(want)))


def test_inference_copy_gives_the_same_dz():
    torch.manual_seed(0)
    model = SurfaceAdjuster(SMALL_PAPER)
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


def test_histogram_input_channels():
    density = torch.rand(3, 64, 64)
    heights = torch.arange(256, dtype=torch.float32).view(1, 16, 16).expand(3, 16, 16)
    x = histogram_input(density, heights)
    assert x.shape == (3, 4, 64, 64) and torch.equal(x[:, 0], density)
    assert x[0, 1, 4 * 2 + 1, 4 * 3 + 2] == heights[0, 2, 3]   # C0 on the same (b, t) plane, 4 x 4 cells a point
    assert x[0, 2, 63, 0] == 1 and x[0, 2, 0, 63] == 0          # b along rows
    assert x[0, 3, 0, 63] == 1 and x[0, 3, 63, 0] == 0          # t along columns


def test_soft_counts_from_histograms_equal_the_per_pixel_counts():
    """The loss over node histograms is the loss over pixels whose (b, t) lie on the table's nodes."""
    rng = np.random.default_rng(0)
    b = rng.integers(0, 256, (60, 70)) / 255
    t = rng.integers(0, 256, (60, 70)) / 255
    gt = rng.random((60, 70)) < 0.3
    lut = torch.as_tensor(surface_lut(rng.normal(0.5, 0.6, (16, 16))), dtype=torch.float64)   # clipped
    index = node_index(b, t)
    per_pixel = soft_counts(lut[torch.as_tensor(index // 256), torch.as_tensor(index % 256)], torch.as_tensor(gt))
    h_all = torch.as_tensor(node_histogram(index))[None]
    h_ink = torch.as_tensor(node_histogram(index, gt))[None]
    for a, e in zip(soft_counts_from_histograms(lut[None], h_ink, h_all), per_pixel):
        assert float(a[0]) == pytest.approx(float(e), rel=1e-9)
    assert float(h_all.sum()) == b.size and float(h_ink.sum()) == gt.sum()


def test_intensity_warp_keeps_the_mass_and_moves_it_where_the_levels_go():
    rng = np.random.default_rng(1)
    hist = rng.random((256, 256))
    same = intensity_warp(hist, np.linspace(0, 1, 256))
    np.testing.assert_allclose(same, hist, atol=1e-12)          # the identity change moves nothing
    after = np.linspace(0, 1, 256) ** 1.5
    warped = intensity_warp(hist, after)
    assert warped.sum() == pytest.approx(hist.sum())
    one = np.zeros((256, 256))
    one[200, 100] = 1.0
    moved = intensity_warp(one, after)
    rows, cols = np.nonzero(moved)
    assert set(rows) <= {int(np.floor(after[200] * 255)), int(np.floor(after[200] * 255)) + 1}
    assert set(cols) <= {int(np.floor(after[100] * 255)), int(np.floor(after[100] * 255)) + 1}
    d = density_input(hist, 64)
    assert d.shape == (64, 64) and d.dtype == np.float32 and d.min() >= 0


def test_warped_levels_follow_the_change_of_grey_levels():
    p = synthetic_page(5, size=(128, 160))
    page = prepare_page("p", p.image, p.gt)
    same = warped_levels(page, np.linspace(0, 1, 256))
    assert same.text == pytest.approx(page.levels.text, abs=2e-3)
    assert same.background == pytest.approx(page.levels.background, abs=2e-3)
    assert same.noise == pytest.approx(page.levels.noise, rel=1e-6)
    flat = warped_levels(page, 0.2 + 0.6 * np.linspace(0, 1, 256))      # less contrast: levels closer, less noise
    assert flat.background - flat.text == pytest.approx(0.6 * (page.levels.background - page.levels.text), abs=3e-3)
    assert flat.noise == pytest.approx(max(0.6 * page.levels.noise, 2 / 255), rel=1e-6)


def test_samples_are_tiles_or_whole_pages_with_exact_counts(pages):
    page = pages["train"][0]                                      # 96 x 128: tiles of 64 are smaller
    rng = np.random.default_rng(0)
    whole = draw_sample(page, rng, tile=64, page_share=1.0)
    assert whole["h_all"].sum() == page.image.size and whole["h_ink"].sum() == page.gt.sum()
    tile = draw_sample(page, rng, tile=64, page_share=0.0)
    assert tile["h_all"].sum() == 64 * 64
    assert np.array_equal(tile["c0"], page.c0)
    warped = draw_sample(page, rng, tile=64, page_share=1.0, augment=IntensityAugment(p=1.0))
    assert warped["h_all"].sum() == pytest.approx(page.image.size, rel=1e-5)
    assert not np.allclose(warped["c0"], page.c0)                # the start surface follows the new levels
    assert IntensityAugment(p=0.0).draw(rng) is None


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


def test_paper_layout_crops_are_aligned_and_masked(pages):
    big = synthetic_page(5, size=(96, 128))
    small = prepare_page("small", big.image[:40, :50], big.gt[:40, :50])   # smaller than a crop: padded, masked
    task2 = HybridTask({"train": [small], "val": pages["val"]}, SMALL_PAPER)
    batch = task2.batches("train", 3, np.random.default_rng(0))
    assert batch["patch"].shape == (3, 64, 64) and batch["c0"].shape == (3, 16, 16)
    assert batch["mask"].sum(axis=(1, 2)).tolist() == [40 * 50] * 3
    assert batch["h_all"].sum(axis=(1, 2)).tolist() == [40 * 50] * 3      # the loss counts page pixels only
    for k in range(3):
        m = batch["mask"][k]
        crop = batch["patch"][k][m].reshape(40, 50)
        assert np.array_equal(crop, small.image) or np.array_equal(crop, small.image[:, ::-1])


@pytest.mark.parametrize("config", [SMALL, SMALL_PAPER])
def test_task_loss_and_errors(pages, config):
    task = HybridTask(pages, config, augment=0.5)
    b = task.batches("train", 4, np.random.default_rng(1))
    loss = task.loss(task.model, b, torch.device("cpu"))
    assert loss.ndim == 0 and torch.isfinite(loss)
    loss.backward()
    assert all(p.grad is not None for p in task.model.head.parameters())
    wrong, counted = task.errors(task.model, b, torch.device("cpu"))
    assert 0 <= wrong <= counted
    # their ratio is 1 - FM of the hard decisions, pooled over the batch (the untrained model: the start C0)
    tp = fp = fn = 0.0
    for k in range(len(b["c0"])):
        ink = surface_lut(b["c0"][k]) >= 0.5
        tp += b["h_ink"][k][ink].sum()
        fn += b["h_ink"][k][~ink].sum()
        fp += (b["h_all"][k] - b["h_ink"][k])[ink].sum()
    assert wrong / counted == pytest.approx((fp + fn) / (2 * tp + fp + fn), abs=1e-4)
    with pytest.raises(binkit.InputError, match="shares"):
        HybridTask(pages, config, augment=2.0)


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
        for r, c in tiles(shape, 64):
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
    assert summary["epochs_done"] == 2 and set(summary["test"]) == {"hybrid", "hybrid-start", "oracle"}
    assert summary["test"]["oracle"]["fm"] >= summary["test"]["hybrid-start"]["fm"]
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


def test_recipes():
    paper, general = HybridRunSpec.recipe("paper"), HybridRunSpec.recipe("general")
    assert 2016 not in paper.train + paper.val and paper.test == [2016]
    assert 2016 in general.train and general.mix_synthetic > 0 and general.val_synthetic > 0
    assert HybridRunSpec.recipe("paper", test=[]).test == [] and set(HYBRID_RECIPES) == {"paper", "general"}
    with pytest.raises(binkit.InputError, match="recipe"):
        HybridRunSpec.recipe("fast")


def test_oracle_beats_the_start_and_respects_its_bound():
    p = synthetic_page(3, size=(160, 240))
    page = prepare_page("p", p.image, p.gt)

    def fm(heights):
        return fmeasure(lut_lookup(surface_lut(heights), page.b, page.t) >= 0.5, p.gt)

    free = oracle_heights(page, p.gt, steps=60)
    capped = oracle_heights(p.image, p.gt, steps=60, bound=0.05)
    assert fm(free) > fm(page.c0)
    assert np.abs(capped - page.c0).max() <= 0.05 + 1e-6 < np.abs(free - page.c0).max()
    assert np.array_equal(oracle_heights(page, p.gt, steps=0), page.c0)
    corner = oracle_heights(page, p.gt, steps=20, window=(slice(0, 80), slice(0, 120)))
    assert corner.shape == (16, 16) and not np.allclose(corner, free)
    with pytest.raises(binkit.InputError):
        oracle_heights(p.image, p.gt[:10], steps=1)


def test_gap_closed():
    assert gap_closed(80.0, 85.0, 90.0) == 0.5
    assert gap_closed(80.0, 90.0, 90.0) == 1.0 and gap_closed(80.0, 78.0, 90.0) == -0.2
    assert np.isnan(gap_closed(80.0, 85.0, 80.0))


def test_max_tiles_uses_the_most_text_rich_tiles(pages):
    torch.manual_seed(1)
    model = SurfaceAdjuster(SMALL_PAPER)
    torch.nn.init.normal_(model.head[-1].weight, std=0.5)  # a model that moves the surface
    page = pages["train"][0]                                # 96 x 128: 2 x 2 tiles of 64
    all_tiles = page_heights(page, model)
    one = page_heights(page, model, max_tiles=1)
    assert not np.allclose(all_tiles, one)
    assert np.allclose(page_heights(page, model, max_tiles=10), all_tiles)


def test_a_hybrid_run_folder_refuses_another_run_and_a_broken_summary(tmp_path):
    spec = HybridRunSpec(train=[1], val=[2], test=[], synthetic=True, synthetic_size=(96, 128), config=SMALL,
                         train_cfg=TrainConfig(epochs=1, blocks_per_epoch=2, batch_size=2, val_every=1,
                                               val_blocks=2, progress=False))
    out = tmp_path / "run"
    first = run(spec, out)
    written = (out / "summary.json").stat().st_mtime_ns
    assert run(spec, out)["epochs_done"] == first["epochs_done"]       # finished: skipped, nothing rewritten
    assert (out / "summary.json").stat().st_mtime_ns == written
    other = HybridRunSpec(**{**spec.__dict__, "augment": 0.9})
    with pytest.raises(binkit.InputError, match="other settings.*augment"):
        run(other, out)
    (out / "summary.json").write_text("{not json")
    with pytest.raises(binkit.InputError, match="summary"):
        run(spec, out)
    (tmp_path / "file").write_text("x")
    with pytest.raises(binkit.InputError):
        run(spec, tmp_path / "file")


def test_the_histogram_layouts_gradient_is_the_same_split_across_processes(pages):
    """Under torchrun each process takes half of a batch and DDP averages the gradients: for the histogram
    layout (every loss term a mean over samples, no batch norm) that is the one-process gradient."""
    torch.manual_seed(0)
    task = HybridTask(pages, SMALL, augment=0.5)
    with torch.no_grad():
        for p in task.model.parameters():
            p.normal_(0, 0.05)                                   # a model away from its zero start
    batch = task.batches("train", 8, np.random.default_rng(4))

    def grads(sub):
        task.model.zero_grad()
        task.loss(task.model, sub, torch.device("cpu")).backward()
        return [p.grad.clone() for p in task.model.parameters()]

    whole = grads(batch)
    halves = [grads(task.take(batch, slice(0, 4))), grads(task.take(batch, slice(4, 8)))]
    for w, a, b in zip(whole, *halves):
        torch.testing.assert_close((a + b) / 2, w, rtol=1e-4, atol=1e-7)


def test_the_paper_layout_is_refused_under_torchrun(pages, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(binkit.InputError, match="torchrun"):
        HybridTask(pages, SMALL_PAPER)
    HybridTask(pages, SMALL)                                     # the histogram layout trains there


def test_a_run_records_the_float32_settings_that_change_gpu_results(pages, tmp_path):
    """TF32 in cuDNN changes the hybrid's convolutions on a GPU: log.json records it (review W3)."""
    import json

    task = HybridTask(pages, SMALL)
    fit(task, TrainConfig(epochs=1, blocks_per_epoch=2, batch_size=2, val_every=1, val_blocks=2, progress=False),
        tmp_path)
    precision = json.loads((tmp_path / "log.json").read_text())["precision"]
    assert precision == {"cudnn_allow_tf32": torch.backends.cudnn.allow_tf32,
                         "float32_matmul_precision": torch.get_float32_matmul_precision()}
