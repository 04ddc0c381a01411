"""The Grid LSTM under torch.autocast (issue 34, review B4): CPU autocast with bfloat16 stands in for CUDA's."""

from __future__ import annotations

import torch

from binkit.gridlstm import GridLSTMConfig
from binkit.gridlstm.model import GridLSTMBinarizer

TINY = GridLSTMConfig(footprint=8, scale=2, units_per_pixel=1)


# --- B4: autocast -------------------------------------------------------------------------------------------

def test_autocast_leaves_the_grid_lstm_in_full_precision():
    """Under autocast (CPU bfloat16 standing in for CUDA's) a training step runs and gives the
    float32 step's outputs and gradients exactly; inference gives the same logits (before: the
    step raised, and inference flipped pixels without a word)."""
    torch.manual_seed(0)
    model = GridLSTMBinarizer(TINY)
    gen = torch.Generator().manual_seed(1)
    tl = torch.rand(3, TINY.steps, 3 * TINY.footprint**2, generator=gen) * 255
    bl = torch.rand(tl.shape, generator=gen) * 255

    def step(autocast):
        model.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            logits = model(tl, bl)
            loss = logits.float().square().mean()
        loss.backward()
        return logits.detach(), [p.grad.clone() for p in model.parameters()]

    plain, autocast = step(False), step(True)
    assert autocast[0].dtype == torch.float32 and torch.equal(plain[0], autocast[0])
    assert all(torch.equal(a, b) for a, b in zip(plain[1], autocast[1]))
    with torch.no_grad():
        expected = model(tl, bl)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            got = model(tl, bl)
    assert torch.equal(expected, got)
    # a backward called inside autocast: the scan's own backward stays in float32 too
    model.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        model(tl, bl).float().square().mean().backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())
