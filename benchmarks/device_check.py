"""A device check for a GPU binkit has not run on yet: one table, in under 5 minutes on one GPU.

    python benchmarks/device_check.py                       # the GPU (cuda), f4
    python benchmarks/device_check.py --device cuda:1
    python benchmarks/device_check.py --device cpu --tiny   # seconds on a CPU: f8, tiny sizes (tests run it)

Rows (issue 34; ``../shared/reviews/gpu-2026-12-06.md``):

* **fresh run / resumed / resume == uninterrupted**: ``binkit.train.fit`` of the Grid LSTM on
  synthetic pages on the device for E epochs, then the same folder resumed to E + 1, compared
  with an uninterrupted E + 1 epoch run (weights, losses).  Before issue 34 the resume
  raised ``RNG state must be a torch.ByteTensor`` on CUDA.
* **training blocks/s** at two batch sizes (the paper's 32 and a larger one): forward, loss,
  backward and Adam of the model alone, on blocks already on the device.
* **inference s/MP** at two batch sizes (``max_blocks``; 512, and 4096, the default on a GPU
  with 16 GiB free), on one page of random grey levels (speed does not depend on them).
* **sgemm GFLOP/s**: torch's own large float32 product on the same device, to read the
  model's rates against; the TF32 settings in force are printed below the table.
* **notebook 06 GPU path**: what notebook 06 runs on a GPU (cell 7's speed probe, cell 8's
  ``binkit.gridlstm.run.run``, cell 21's page binarization), twice in the same folders, the
  second time with one more epoch, as re-running the notebook with a larger ``EPOCHS`` does;
  synthetic pages instead of DIBCO and short epochs, so that it fits the time.

A row that fails says FAILED and its one-line reason; the others still run.  The exit
status is 1 when a row failed.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from binkit.gridlstm import GridLSTMBinarizer, GridLSTMConfig
from binkit.gridlstm.inference import page_logits
from binkit.gridlstm.losses import bce
from binkit.runtime import describe_device, pick_device

from bench_gridlstm import sgemm_gflops  # noqa: E402 - the benchmarks' one sgemm reference (this folder)


@dataclass(frozen=True)
class Sizes:
    """How large each measurement is: the GPU check's, or the tiny CPU one's."""

    model: GridLSTMConfig
    page_size: tuple  # synthetic training pages
    epochs: int  # of the fresh run; the resume adds one
    blocks_per_epoch: int
    val_blocks: int
    train_batches: tuple  # training blocks/s at these batch sizes
    train_steps: int
    infer_batches: tuple  # inference s/MP at these max_blocks
    infer_side: int  # the page's side in pixels
    sgemm_n: int
    probe_blocks: int  # notebook 06 cell 7's speed probe (256 there)


GPU = Sizes(model=GridLSTMConfig(footprint=4, scale=2), page_size=(256, 384), epochs=2, blocks_per_epoch=128,
            val_blocks=64, train_batches=(32, 256), train_steps=4, infer_batches=(512, 4096), infer_side=4096,
            sgemm_n=8192, probe_blocks=256)
TINY = Sizes(model=GridLSTMConfig(footprint=8, scale=2, units_per_pixel=1), page_size=(96, 128), epochs=1,
             blocks_per_epoch=8, val_blocks=4, train_batches=(2, 4), train_steps=1, infer_batches=(2, 4),
             infer_side=192, sgemm_n=128, probe_blocks=8)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _pages(sizes: Sizes, seeds):
    from binkit.datasets import load_split

    return load_split(list(seeds), synthetic=True, synthetic_size=sizes.page_size)


def _task(sizes: Sizes, pages, cache):
    from binkit.gridlstm.training import GridLSTMTask

    torch.manual_seed(0)  # the same initial weights for every run
    return GridLSTMTask(sizes.model, "dynamic", pages[:2], pages[2:3], cache_dir=cache)


def check_resume(sizes: Sizes, device: torch.device, work: Path, rows: list) -> None:
    """Fresh run, its resume, and the comparison with an uninterrupted run, all on ``device``."""
    from binkit.train import TrainConfig, fit

    pages = _pages(sizes, [1, 2, 3])
    cfg = TrainConfig(epochs=sizes.epochs, blocks_per_epoch=sizes.blocks_per_epoch, batch_size=min(32, sizes.blocks_per_epoch),
                      val_every=1, val_blocks=sizes.val_blocks, seed=7, device=str(device), progress=False)
    longer = replace(cfg, epochs=cfg.epochs + 1)
    setting = f"{sizes.model.name}, {cfg.epochs} epoch(s) of {cfg.blocks_per_epoch} blocks"
    t = time.perf_counter()
    fit(_task(sizes, pages, work / "cache"), cfg, work / "resume")
    rows.append(("fresh run", setting, f"ok, {time.perf_counter() - t:.1f} s"))
    t = time.perf_counter()
    resumed_task = _task(sizes, pages, work / "cache")
    resumed = fit(resumed_task, longer, work / "resume")
    rows.append(("resumed", f"same folder, to {longer.epochs} epochs",
                 f"ok, {time.perf_counter() - t:.1f} s, epochs {[h['epoch'] for h in resumed.history]}"))
    straight_task = _task(sizes, pages, work / "cache")
    straight = fit(straight_task, longer, work / "straight")
    worst = max(float((a.detach().cpu() - b.detach().cpu()).abs().max())
                for a, b in zip(resumed_task.model.parameters(), straight_task.model.parameters()))
    same_log = [(h["loss"], h["val_error"]) for h in resumed.history] == \
               [(h["loss"], h["val_error"]) for h in straight.history]
    if worst == 0 and same_log:
        verdict = "yes (weights and log identical)"
    elif worst <= 1e-5:
        verdict = f"yes, to rounding (max |dw| {worst:.1e}; log {'identical' if same_log else 'differs'})"
    else:
        verdict = f"no: max |dw| {worst:.1e}"
    rows.append(("resume == uninterrupted", f"{longer.epochs} epochs in one run", verdict))


def training_rate(sizes: Sizes, device: torch.device, batch: int) -> float:
    """Blocks per second of the model's training step (forward, dynamic-free BCE, backward, Adam)."""
    cfg = sizes.model
    torch.manual_seed(0)
    model = GridLSTMBinarizer(cfg).to(device)
    opt = torch.optim.Adam(model.parameters())
    tl = torch.rand(batch, cfg.steps, 3 * cfg.footprint**2, device=device) * 255
    bl = torch.rand_like(tl) * 255
    target = torch.rand(batch, cfg.steps, cfg.footprint**2, device=device) > 0.8

    def step():
        opt.zero_grad(set_to_none=True)
        bce(model(tl, bl), target).backward()
        opt.step()

    step()  # warm-up: kernels, allocator, cuBLAS handles
    _sync(device)
    t = time.perf_counter()
    for _ in range(sizes.train_steps):
        step()
    _sync(device)
    return batch * sizes.train_steps / (time.perf_counter() - t)


def inference_seconds_per_mp(sizes: Sizes, device: torch.device, max_blocks: int) -> float:
    torch.manual_seed(0)
    model = GridLSTMBinarizer(sizes.model)
    side = sizes.infer_side
    page = np.random.default_rng(0).random((side, side)).astype(np.float32)
    page_logits(page[:128, :128], model, device, max_blocks=max_blocks)  # warm-up
    best = float("inf")
    for _ in range(2):
        _sync(device)
        t = time.perf_counter()
        page_logits(page, model, device, max_blocks=max_blocks)
        _sync(device)
        best = min(best, time.perf_counter() - t)
    return best / (side * side / 1e6)




def notebook_06_gpu_path(sizes: Sizes, device: torch.device, work: Path, passes: int = 2) -> str:
    """Notebook 06's GPU cells (7, 8, 21) with short settings, ``passes`` times in the same folders."""
    from binkit.gridlstm.inference import binarize
    from binkit.gridlstm.run import RunSpec, model_from_checkpoint, run
    from binkit.train import TrainConfig, fit

    pages = _pages(sizes, [1, 2, 3])
    spent = []
    for k in range(passes):
        t = time.perf_counter()
        # cell 7: the speed probe, fit on the device (the notebook leaves the device to binkit's choice)
        probe = TrainConfig(epochs=2, blocks_per_epoch=sizes.probe_blocks, val_blocks=sizes.val_blocks, seed=0,
                            progress=False, device=str(device))
        fit(_task(sizes, pages, work / "nb06-cache"), probe, Path(tempfile.mkdtemp(prefix="speed-", dir=work)))
        # cell 8: run(spec, RUN_DIR), the same folder each pass; one more epoch the second time
        spec = RunSpec(footprint=sizes.model.footprint, scale=sizes.model.scale,
                       units_per_pixel=sizes.model.units_per_pixel, loss="dynamic", synthetic=True,
                       synthetic_size=sizes.page_size, train=[1, 2], val=[3], test=[4],
                       train_cfg=TrainConfig(epochs=sizes.epochs + k, blocks_per_epoch=sizes.blocks_per_epoch,
                                             val_blocks=sizes.val_blocks, seed=0, progress=False,
                                             device=str(device)))
        summary = run(spec, work / "nb06-run")
        if summary.get("epochs_done") != sizes.epochs + k:
            raise RuntimeError(f"pass {k + 1}: run() reports {summary.get('epochs_done')} epochs, "
                               f"expected {sizes.epochs + k}")
        # cell 21: binarize a page on the device with the run's best checkpoint
        model = model_from_checkpoint(work / "nb06-run" / "best.pt")
        binarize(pages[0][1], model, device=device)
        spent.append(time.perf_counter() - t)
    return "completes twice: " + ", ".join(f"pass {k + 1} {s:.1f} s" for k, s in enumerate(spent))


def _failed(exc: BaseException) -> str:
    line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return f"FAILED: {type(exc).__name__}: {line[:160]}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default=None, help="cuda, cuda:N or cpu (default: cuda if present, else cpu)")
    parser.add_argument("--tiny", action="store_true", help="tiny sizes (f8, a few blocks): a check that it runs")
    parser.add_argument("--work", default=None, help="scratch folder (default: a temporary one, removed)")
    args = parser.parse_args(argv)
    device = pick_device(args.device)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", torch.cuda.current_device())
    sizes = TINY if args.tiny else GPU
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="binkit-device-check-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    rows: list[tuple[str, str, str]] = []

    def row(name, setting, measure):
        try:
            rows.append((name, setting, measure()))
        except Exception as exc:  # noqa: BLE001 - every failure is a row, and the check goes on
            traceback.print_exc(file=sys.stderr)
            rows.append((name, setting, _failed(exc)))

    try:
        try:
            check_resume(sizes, device, work, rows)
        except Exception as exc:  # noqa: BLE001
            traceback.print_exc(file=sys.stderr)
            done = {r[0] for r in rows}
            for name in ("fresh run", "resumed", "resume == uninterrupted"):
                if name not in done:
                    rows.append((name, sizes.model.name, _failed(exc)))
        for batch in sizes.train_batches:
            row("training blocks/s", f"{sizes.model.name}, batch {batch}",
                lambda: f"{training_rate(sizes, device, batch):.1f}")
        for max_blocks in sizes.infer_batches:
            mp = sizes.infer_side**2 / 1e6
            row("inference s/MP", f"{sizes.model.name}, max_blocks {max_blocks}, {mp:.2g}-MP page",
                lambda: f"{inference_seconds_per_mp(sizes, device, max_blocks):.3f}")
        row("sgemm GFLOP/s", f"{sizes.sgemm_n}^3 float32", lambda: f"{sgemm_gflops(device, sizes.sgemm_n):.0f}")
        row("notebook 06 GPU path", "cells 7, 8, 21, twice", lambda: notebook_06_gpu_path(sizes, device, work))
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)

    print(f"device check: {describe_device(device)}; {device}; torch {torch.__version__}"
          f"{f', CUDA {torch.version.cuda}' if device.type == 'cuda' else ''}")
    widths = [max(len(r[i]) for r in rows + [("check", "setting", "result")]) for i in range(3)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(("check", "setting", "result"), widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
    if device.type == "cuda":
        print(f"TF32: matmul {torch.backends.cuda.matmul.allow_tf32}, cuDNN {torch.backends.cudnn.allow_tf32}, "
              f"float32 matmul precision {torch.get_float32_matmul_precision()}; "
              f"peak GPU memory {torch.cuda.max_memory_allocated(device) / 2**30:.2f} GiB")
    print(f"total {time.perf_counter() - started:.0f} s")
    return 1 if any(r[2].startswith("FAILED") for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
