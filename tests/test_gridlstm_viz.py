"""binkit.gridlstm.viz: the functions behind the pictures and widgets of notebooks 03-05."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import binkit  # noqa: E402
import binkit.gridlstm.model as model_module  # noqa: E402
from binkit.gridlstm import CORNERS, GridLSTMBinarizer, GridLSTMCell, GridLSTMConfig, make_sequences  # noqa: E402
from binkit.gridlstm import footprint_inputs  # noqa: E402
from binkit.gridlstm.losses import bce, dynamic_weight_map, static  # noqa: E402
from binkit.gridlstm.viz import (  # noqa: E402
    cost_table,
    draw_block_grid,
    draw_footprint_inputs,
    draw_reading_orders,
    layer_table,
    loss_values,
    loss_weight_maps,
    parameter_count,
    pixel_bce,
    priority_sensitivity,
    read_mask,
    reading_order,
    scramble_stats,
    threshold_logits,
    time_block_forward,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _gt(shape=(70, 100)):
    gt = np.zeros(shape, bool)
    gt[10:20, 5:90] = True
    gt[30:60, 40:48] = True
    gt[45:50, 10:30] = True
    return gt


# -- reading orders ------------------------------------------------------------


@pytest.mark.parametrize("f", [2, 4, 8, 16])
@pytest.mark.parametrize("corner", CORNERS)
def test_reading_order_is_a_permutation_starting_at_its_corner(f, corner):
    order = reading_order(f, corner)
    k = 64 // f
    assert order.shape == (k, k)
    assert sorted(order.ravel()) == list(range(k * k))
    start = {"top_left": (0, 0), "top_right": (0, k - 1), "bottom_left": (k - 1, 0), "bottom_right": (k - 1, k - 1)}
    assert tuple(np.argwhere(order == 0)[0]) == start[corner]


def test_reading_order_small_example():
    assert reading_order(32, "top_left").tolist() == [[0, 1], [2, 3]]
    assert reading_order(32, "bottom_right").tolist() == [[3, 2], [1, 0]]
    assert reading_order(32, "bottom_left").tolist() == [[2, 3], [0, 1]]
    assert reading_order(32, "top_right").tolist() == [[1, 0], [3, 2]]


def test_reading_order_rejects_bad_arguments():
    with pytest.raises(binkit.InputError):
        reading_order(4, "middle")
    with pytest.raises(binkit.InputError):
        reading_order(5, "top_left")


def test_read_mask_counts():
    for corner in CORNERS:
        assert read_mask(4, corner, 0).sum() == 0
        assert read_mask(4, corner, 17).sum() == 17
        assert read_mask(4, corner, 256).all()


def _position_page(f, block=64):
    """One block whose footprint (r, c) holds r in its left pixel column and c in its right one."""
    k = block // f
    r, c = np.indices((k, k))
    img = np.zeros((block, block), np.float32)
    fp = img.reshape(k, f, k, f)  # view: footprint row, pixel row, footprint col, pixel col
    fp[:, :, :, 0] = (r * 8 / 255.0)[:, None, :]
    fp[:, :, :, -1] = (c * 8 / 255.0)[:, None, :]
    return img


@pytest.mark.parametrize("f", [2, 4, 8])
def test_reading_order_agrees_with_model_layer1(f, monkeypatch):
    """What each reader of GridLSTMBinarizer.layer1 sees at step t is the footprint reading_order says."""
    seen = {}

    def recording_scan(cells, xs, time_chunk=None):
        seen["xs"] = xs.clone()
        d, b, t, _ = xs.shape
        # Echo each step's x1 decoded later: return zeros of the right shape.
        return xs.new_zeros(d, b, t, cells[0].num_units)

    monkeypatch.setattr(model_module, "grid_scan", recording_scan)
    seq = make_sequences(_position_page(f), footprint=f, scale=1)
    with torch.device("meta"):
        model = GridLSTMBinarizer(GridLSTMConfig(footprint=f, scale=1))
    model.layer1(torch.from_numpy(seq.top_left), torch.from_numpy(seq.bottom_left))
    xs = seen["xs"].numpy()  # (4 readers, 1 block, T, 3 f^2)
    k = 64 // f
    for reader, corner in enumerate(CORNERS):
        x1 = xs[reader, 0, :, : f * f].reshape(-1, f, f)
        # normalisation is monotone: the rank of a value among all levels is the index
        rows = np.searchsorted(np.unique(x1[:, :, 0]), x1[:, 0, 0])
        cols = np.searchsorted(np.unique(x1[:, :, -1]), x1[:, 0, -1])
        order = reading_order(f, corner)
        assert np.array_equal(order[rows, cols], np.arange(k * k)), corner


@pytest.mark.parametrize("reference_flip", [True, False])
def test_layer1_realigns_every_reader_to_top_left_order(reference_flip, monkeypatch):
    """After layer1, feature step s of every reader belongs to footprint s (row-major)."""
    f, k = 8, 8

    def echo_scan(cells, xs, time_chunk=None):
        x1 = xs[..., : f * f].reshape(*xs.shape[:3], f, f)
        rows = torch.searchsorted(torch.unique(x1[..., 0]), x1[..., 0, 0].contiguous())
        cols = torch.searchsorted(torch.unique(x1[..., -1]), x1[..., 0, -1].contiguous())
        idx = (rows * k + cols).to(xs.dtype)
        return idx[..., None].expand(*idx.shape, cells[0].num_units).clone()

    monkeypatch.setattr(model_module, "grid_scan", echo_scan)
    seq = make_sequences(_position_page(f), footprint=f, scale=1)
    with torch.device("meta"):
        model = GridLSTMBinarizer(GridLSTMConfig(footprint=f, scale=1, reference_flip=reference_flip))
    feats = model.layer1(torch.from_numpy(seq.top_left), torch.from_numpy(seq.bottom_left))
    n = model.config.hidden
    for reader in range(4):
        got = feats[0, :, reader * n : (reader + 1) * n]
        assert torch.equal(got, torch.arange(k * k, dtype=got.dtype)[:, None].expand_as(got)), CORNERS[reader]


def test_draw_reading_orders():
    fig, axes = plt.subplots(1, 4)
    masks = draw_reading_orders(axes, 8, 10)
    assert list(masks) == list(CORNERS)
    for corner, mask in masks.items():
        assert np.array_equal(mask, read_mask(8, corner, 10))
        assert len(axes[list(CORNERS).index(corner)].patches) == 1  # the last footprint read
    fig, axes = plt.subplots(2, 2)
    assert all(m.sum() == 0 for m in draw_reading_orders(axes, 16, 0).values())
    with pytest.raises(binkit.InputError):
        draw_reading_orders(axes.ravel()[:3], 8, 1)


# -- pages and footprints ------------------------------------------------------------


def test_draw_block_grid_covers_the_padded_page():
    fig, ax = plt.subplots()
    lines = draw_block_grid(ax, (150, 200))
    segs = lines.get_segments()
    assert len(segs) == (3 + 1) + (4 + 1)  # 3 x 4 blocks after padding
    assert ax.get_xlim() == (-0.5, 255.5)
    assert ax.get_ylim() == (191.5, -0.5)
    ys = sorted({s[0][1] for s in segs[:4]})
    assert ys == [-0.5, 63.5, 127.5, 191.5]


@pytest.mark.parametrize("f, sf", [(4, 2), (8, 4), (2, 1)])
def test_draw_footprint_inputs_shows_footprint_inputs(f, sf):
    rng = np.random.default_rng(0)
    image = rng.random((100, 150)).astype(np.float32)
    fig = plt.figure()
    out = draw_footprint_inputs(fig, image, 70, 90, footprint=f, scale=sf)
    ref = footprint_inputs(image, 70, 90, f, sf)
    assert len(out["axes"]) == 5
    for name in ("x1", "x2", "x3"):
        assert np.array_equal(out["inputs"][name], ref[name])
        shown = out["axes"][["x1", "x2", "x3"].index(name) + 2].images[0].get_array()
        assert np.array_equal(np.asarray(shown), ref[name])
        top, left, size = ref[f"{name}_box"]
        box = out["boxes"][name]
        assert (box.get_x(), box.get_y(), box.get_width()) == (left - 0.5, top - 0.5, size)
    assert out["boxes"]["context"].get_width() == 64 * sf
    # The x3 region lies inside the zoomed-out window it is cut from.
    ctx, x3 = out["boxes"]["context"], out["boxes"]["x3"]
    assert ctx.get_x() <= x3.get_x() and x3.get_x() + x3.get_width() <= ctx.get_x() + ctx.get_width()


def test_draw_footprint_inputs_on_given_axes():
    image = np.random.default_rng(1).random((64, 64)).astype(np.float32)
    fig, axes = plt.subplots(1, 5)
    out = draw_footprint_inputs(axes, image, 0, 0, footprint=4, scale=2)
    assert out["axes"] == list(axes)
    assert not out["inputs"]["x2"].any()  # above the page: zeros
    with pytest.raises(binkit.InputError):
        draw_footprint_inputs(axes[:4], image, 0, 0)


# -- sizes and costs ------------------------------------------------------------


@pytest.mark.parametrize("f, total", [(2, 1_656_932), (4, 1_703_696), (8, 27_194_432)])
def test_parameter_count_matches_model(f, total):
    count = parameter_count(GridLSTMConfig(footprint=f))
    assert count["total"] == total
    assert count["layer1"] + count["layer2"] + count["output"] == total
    if f == 4:
        assert (count["layer1"], count["layer2"], count["output"]) == (1_674_240, 28_928, 528)


def test_cost_table_rows_and_timing_callback():
    calls = []

    def fake_time(cfg):
        calls.append((cfg.footprint, cfg.scale))
        return 0.5 * cfg.footprint

    rows = cost_table((2, 4), (1, 2), time_forward=fake_time)
    assert [(r["footprint"], r["scale"]) for r in rows] == [(2, 1), (2, 2), (4, 1), (4, 2)]
    assert calls == [(2, 1), (2, 2), (4, 1), (4, 2)]
    r = rows[3]
    assert (r["steps"], r["inputs"], r["context"], r["hidden"], r["params"], r["seconds"]) == (
        256, 48, 8, 80, 1_703_696, 2.0)
    assert rows[0]["steps"] == 1024 and rows[0]["hidden"] == 80
    assert "seconds" not in cost_table((8,), (4,))[0]


def test_time_block_forward_runs():
    t = time_block_forward(GridLSTMConfig(footprint=8, scale=2, units_per_pixel=1), repeat=2, warmup=True)
    assert 0 < t < 30
    small = GridLSTMConfig(footprint=8, scale=1, units_per_pixel=1)
    t_ref = time_block_forward(small, np.zeros((80, 90), np.float32), fast=False)
    assert t_ref > 0


def test_layer_table_f4():
    torch.manual_seed(0)
    model = GridLSTMBinarizer()
    rows = layer_table(model)
    assert [r["name"] for r in rows[:6]] == [
        "top_left_fw", "top_left_bw", "bottom_left_fw", "bottom_left_bw", "hidden_fw", "hidden_bw"]
    assert sum(r["params"] for r in rows) == 1_703_696
    assert rows[0]["params"] == 418_560 and rows[4]["params"] == 14_464 and rows[6]["params"] == 528
    assert (rows[0]["inputs"], rows[0]["outputs"]) == (48, 80)
    assert (rows[4]["inputs"], rows[4]["outputs"]) == (320, 16)
    assert rows[0]["shapes"]["cell_3_weights"] == (320, 320)
    assert rows[6]["shapes"]["output_weights"] == (32, 16)
    assert "bottom-right" in rows[1]["role"] and "top-right" in rows[3]["role"]


def test_priority_sensitivity():
    torch.manual_seed(0)
    cell = GridLSTMCell(12, 6, num_dims=4, input_dims=(0, 1, 2))
    with torch.no_grad():
        for d in range(4):
            cell.biases(d).normal_()
    x = torch.randn(12)
    state = ([torch.randn(1, 6) for _ in range(4)], [torch.randn(1, 6) for _ in range(4)])
    out = priority_sensitivity(cell, x, state)
    assert set(out["priority"]) == {"x1", "x2", "x3", "m3", "c3"}
    # the priority output is the cell's own output
    assert torch.allclose(out["outputs"]["priority"], cell(x[None], state)[0][0])
    # without priority, dim 0 is an LSTM of the *old* hidden vectors: check by hand
    m = [x[None, 4 * j : 4 * (j + 1)] @ cell.projection("m", j) for j in range(3)] + [state[1][3]]
    c0 = x[None, :4] @ cell.projection("c", 0)
    i, g, f, o = (torch.cat(m, 1) @ cell.weights(0) + cell.biases(0)).chunk(4, 1)
    h0 = torch.sigmoid(o) * torch.tanh(torch.sigmoid(f + 1) * c0 + torch.sigmoid(i) * torch.tanh(g))
    assert torch.allclose(out["outputs"]["no priority"], h0[0].detach(), atol=1e-6)
    # dim 0's memory is a projection of x1: the old c3 reaches the output only through the new m3
    assert out["no priority"]["c3"] == 0.0 and out["priority"]["c3"] > 0
    assert all(v >= 0 for v in out["priority"].values())


# -- losses ------------------------------------------------------------


def test_threshold_logits_and_pixel_bce():
    img = np.array([[0.2, 0.5, 0.8]], np.float32)
    z = threshold_logits(img, 0.5, softness=0.1)
    assert z.dtype == np.float32 and np.allclose(z, [[3.0, 0.0, -3.0]])
    gt = np.array([[True, True, False]])
    l = pixel_bce(z, gt)
    assert np.allclose(l, [[np.log1p(np.exp(-3.0)), np.log(2.0), np.log1p(np.exp(-3.0))]], atol=1e-6)
    with pytest.raises(binkit.InputError):
        threshold_logits(img, 0.5, softness=0)
    with pytest.raises(binkit.InputError):
        pixel_bce(z, gt[:, :2])


def test_loss_weight_maps():
    gt = _gt()
    maps = loss_weight_maps(gt, w=0.5)
    assert (maps["bce"] == 1).all()
    assert (maps["static"][gt] == 1).all() and (maps["static"][~gt] == 0.5).all()
    dyn = dynamic_weight_map(gt)
    assert np.array_equal(maps["dynamic"], dyn)
    assert (dyn[gt] >= 1).all() and (dyn[gt] <= 2).all() and (dyn[~gt] >= 1).all() and (dyn[~gt] <= 3).all()
    same = loss_weight_maps(gt, w=3.0, dynamic_map=dyn)
    assert np.array_equal(same["dynamic"], dyn)
    with pytest.raises(binkit.InputError):
        loss_weight_maps(gt, w=0)


def test_loss_values_are_weighted_means_of_pixel_bce():
    gt = _gt()
    img = np.where(gt, 0.3, 0.7).astype(np.float32) + np.random.default_rng(0).normal(0, 0.15, gt.shape).astype(
        np.float32)
    z = threshold_logits(img, 0.5)
    dyn = dynamic_weight_map(gt)
    vals = loss_values(z, gt, w=2.0, dynamic_map=dyn)
    per_pixel = pixel_bce(z, gt)
    maps = loss_weight_maps(gt, w=2.0, dynamic_map=dyn)
    for name in ("bce", "static", "dynamic"):
        assert vals[name] == pytest.approx(float((maps[name] * per_pixel).mean()), rel=1e-5)
    zt, yt = torch.from_numpy(z), torch.from_numpy(gt)
    assert vals["bce"] == pytest.approx(float(bce(zt, yt)))
    assert vals["static"] == pytest.approx(float(static(2.0)(zt, yt)))
    assert loss_values(z, gt, w=2.0)["dynamic"] == pytest.approx(vals["dynamic"])


def test_scramble_stats_square_and_non_square():
    square = scramble_stats(_gt((64, 64)))
    assert square == {"same_weight": 1.0, "ink_zero": 0.0, "ink_same": 1.0}
    stats = scramble_stats(_gt((70, 100)))
    assert 0 < stats["same_weight"] < 1
    assert 0 <= stats["ink_zero"] < 1 and 0 <= stats["ink_same"] < 1


def test_scramble_stats_on_2john(reference_dir):
    """Spec A4: on the 2John fixture, 27.6 % of pixels keep their weight and 7.9 % of ink gets 0."""
    from binkit.io import read_gt
    from binkit.metrics import read_dibco_weights

    d = reference_dir / "doxa_2john"
    if not d.is_dir():
        pytest.skip(f"2John fixture not found at {d}")
    gt = read_gt(d / "2JohnC1V3-GroundTruth.pbm")
    w = tuple(read_dibco_weights(d / f"2JohnC1V3-GroundTruth_{k}Weights.dat", gt.shape) for k in "RP")
    stats = scramble_stats(gt, w)
    assert round(stats["same_weight"], 3) == 0.276
    assert round(stats["ink_zero"], 3) == 0.079


# -- widgets ------------------------------------------------------------


def test_live_draws_once_then_on_every_change():
    import ipywidgets as widgets

    from binkit.plot import live

    calls = []

    def picture(footprint=4, steps=3):
        calls.append((footprint, steps))
        fig, axes = plt.subplots(1, 4)
        draw_reading_orders(axes, footprint, steps)
        return fig

    f = widgets.Dropdown(options=[4, 8], value=4)
    t = widgets.IntSlider(3, 0, 64)
    box = live(picture, footprint=f, steps=t)
    assert list(box.children) == [f, t]
    assert calls == [(4, 3)]
    t.value = 10
    f.value = 8
    assert calls == [(4, 3), (4, 10), (8, 10)]
