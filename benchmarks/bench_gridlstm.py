"""Grid LSTM speed: inference seconds per megapixel, training blocks per second.

Prints one table.  In the same run it measures torch's own sgemm throughput on
this machine, so the model's FLOP rate can be read as a share of what the
matrix library reaches, and it profiles where the inference time goes (the
share spent in matrix products).  Training is timed twice: the model's step
alone, and binkit's whole training loop (``binkit.train.fit``) on synthetic
pages.  binkit's speed targets for f4 on a 2-core CPU: inference at most
1.4 s/MP, the training loop at least 45 blocks/s.

    python benchmarks/bench_gridlstm.py                 # f2, f4, f8 on the CPU (and CUDA if present)
    python benchmarks/bench_gridlstm.py --footprints 4 --large-mp 30   # + peak RSS on a 30-MP page

Weights are random: speed does not depend on them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

from binkit.gridlstm import GridLSTMBinarizer, GridLSTMConfig
from binkit.gridlstm.inference import page_logits
from binkit.gridlstm.losses import bce
from binkit.runtime import denormals_flushed, freed_memory_kept


def cpu_times() -> list[int] | None:
    """The machine's CPU time counters (Linux /proc/stat: user ... steal), or None elsewhere."""
    try:
        with open("/proc/stat") as f:
            return [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None


def steal_note(start: list[int] | None) -> str:
    """The share of the machine's CPU time the hypervisor gave to other guests during the run
    ("steal"): on a shared virtual machine, timings vary with it."""
    end = cpu_times()
    if start is None or end is None:
        return "CPU steal: not known on this system"
    delta = [b - a for a, b in zip(start, end)]
    total = sum(delta)
    if total <= 0:
        return "CPU steal: not measured (run too short)"
    steal = delta[7] / total
    return f"CPU steal during the run (time the hypervisor gave to other guests): {steal:.0%}"


def sgemm_gflops(device: torch.device, n: int = 2048, repeats: int = 5) -> float:
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    a @ b
    _sync(device)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        _sync(device)
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def flops_per_block(cfg: GridLSTMConfig) -> float:
    """Multiply-add FLOPs of one 64x64 block's forward pass on the fast path."""
    f2, n, steps = cfg.footprint**2, cfg.hidden, cfg.steps
    # layer 1, per direction and step: input terms (3f^2 -> 3*4n + 4n + 3n), recurrent (n -> 12n, 3n -> 4n)
    l1 = 2 * 3 * f2 * (16 * n + 3 * n) + 2 * n * 12 * n + 2 * 3 * n * 4 * n
    # layer 2: input terms (4n -> 4f^2 + 4f^2 + f^2), recurrent (f^2 -> 4f^2, f^2 -> 4f^2)
    l2 = 2 * 4 * n * 9 * f2 + 2 * 2 * f2 * 4 * f2
    dense = 2 * 2 * f2 * f2
    return steps * (4 * l1 + 2 * l2 + dense)


def time_inference(cfg, device, megapixels: float, repeats: int = 3):
    torch.manual_seed(0)
    model = GridLSTMBinarizer(cfg)
    side = int(round(np.sqrt(megapixels * 1e6)))
    page = np.random.default_rng(0).random((side, side)).astype(np.float32)
    best = float("inf")
    # pages one after another in one process, as `binkit binarize` runs a folder: freed buffers
    # stay in the process for the next page
    with freed_memory_kept():
        page_logits(page[:128, :128], model, device)  # warm up kernels and the allocator
        for _ in range(repeats):
            t = time.perf_counter()
            page_logits(page, model, device)
            _sync(device)
            best = min(best, time.perf_counter() - t)
    blocks = (-(-side // 64)) ** 2
    return best / (side * side / 1e6), blocks * flops_per_block(cfg) / best / 1e9


#: Profiler names of torch's matrix products (in-place products on strided views run as addmm_).
MATMUL_OPS = ("aten::bmm", "aten::baddbmm", "aten::baddbmm_", "aten::addmm", "aten::addmm_", "aten::mm")


def matmul_share(cfg, device) -> float:
    """Share of inference CPU time spent in matrix products (the rest: gate math, copies, overhead)."""
    torch.manual_seed(0)
    model = GridLSTMBinarizer(cfg)
    page = np.random.default_rng(0).random((512, 512)).astype(np.float32)
    page_logits(page[:64, :64], model, device)
    with torch.profiler.profile() as prof:
        page_logits(page, model, device)
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    products = sum(e.self_cpu_time_total for e in events if e.key in MATMUL_OPS)
    return products / total if total else float("nan")


def time_training(cfg, device, batch: int = 32, steps: int = 3) -> float:
    torch.manual_seed(0)
    model = GridLSTMBinarizer(cfg).to(device)
    opt = torch.optim.Adam(model.parameters())
    k = cfg.steps
    tl = torch.rand(batch, k, 3 * cfg.footprint**2, device=device) * 255
    bl = torch.rand_like(tl) * 255
    target = torch.rand(batch, k, cfg.footprint**2, device=device) > 0.8

    def step():
        opt.zero_grad(set_to_none=True)
        loss = bce(model(tl, bl), target)
        loss.backward()
        opt.step()

    # the settings binkit.train.fit runs under: denormals flushed, freed memory kept for the next step
    with denormals_flushed(), freed_memory_kept():
        step()  # warm-up
        _sync(device)
        t = time.perf_counter()
        for _ in range(steps):
            step()
        _sync(device)
        return batch * steps / (time.perf_counter() - t)


def time_training_loop(cfg, device, blocks: int = 256, epochs: int = 5) -> float:
    """Blocks per second of binkit's own training loop (:func:`binkit.train.fit`: block sampling
    from pages, the dynamic loss, Adam) on synthetic pages: the mean of epochs 2 .. ``epochs - 2``.

    The first two epochs warm up: the process's heap grows to the step's working set (a
    fresh page of memory costs a page fault on first touch; on the 2-core machine the loop's
    first epochs ran at 35 and 45 blocks/s, the next three at 52-56), and epoch 0 and the last
    also validate.  A 201-epoch run spends nearly all its time in the steady state measured here.
    """
    from binkit.datasets import load_split
    from binkit.gridlstm.training import GridLSTMTask
    from binkit.train import TrainConfig, fit

    pages = load_split(range(4), synthetic=True, synthetic_size=(512, 768))
    torch.manual_seed(0)
    task = GridLSTMTask(cfg, "dynamic", pages[:3], pages[3:])
    settings = TrainConfig(epochs=epochs, blocks_per_epoch=blocks, val_every=100, val_blocks=64,
                           device=str(device), progress=False)
    with tempfile.TemporaryDirectory() as out:
        result = fit(task, settings, out)
    steady = [h["blocks_per_s"] for h in result.history[2 : epochs - 1]]
    return float(np.mean(steady))


def peak_rss_large(footprint: int, megapixels: float) -> tuple[float, float]:
    """Binarize a synthetic page of ``megapixels`` MP in a fresh process; (seconds, peak RSS GB)."""
    code = f"""
import time, resource, numpy as np, torch
from binkit.gridlstm import GridLSTMBinarizer, GridLSTMConfig
from binkit.gridlstm.inference import binarize
torch.manual_seed(0)
side = int(round(np.sqrt({megapixels} * 1e6)))
page = np.random.default_rng(0).random((side, side), dtype=np.float32)
model = GridLSTMBinarizer(GridLSTMConfig(footprint={footprint}))
t = time.perf_counter(); ink = binarize(page, model, device="cpu"); dt = time.perf_counter() - t
print(dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    dt, gb = out.stdout.split()
    return float(dt), float(gb)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--footprints", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument("--mp", type=float, default=0.5, help="page size for the inference timing (MP)")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--large-mp", type=float, default=0, help="also binarize a page this large and report peak RSS")
    parser.add_argument("--no-cuda", action="store_true")
    parser.add_argument("--no-loop", action="store_true", help="skip the timing of the whole training loop")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    devices = [torch.device("cpu")]
    if torch.cuda.is_available() and not args.no_cuda:
        devices.append(torch.device("cuda"))

    start = cpu_times()
    print(f"torch {torch.__version__}, {args.threads} CPU threads")
    for dev in devices:
        peak = sgemm_gflops(dev)
        name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "CPU"
        print(f"\n{name}: torch sgemm 2048^3 = {peak:.1f} GFLOP/s at the start")
        header = (f"{'config':<8} {'params':>11} {'s/MP':>7} {'GFLOP/s':>8} {'of sgemm':>9} {'in matmul':>10} "
                  f"{'train blk/s':>12} {'of sgemm':>9} {'loop blk/s':>11}")
        print(header)
        print("-" * len(header))
        for f in args.footprints:
            cfg = GridLSTMConfig(footprint=f, scale=2)
            params = sum(p.numel() for p in GridLSTMBinarizer(cfg).parameters())
            mp = args.mp if dev.type == "cpu" else max(args.mp, 4.0)
            s_per_mp, gflops = time_inference(cfg, dev, mp)
            share = matmul_share(cfg, dev) if dev.type == "cpu" else float("nan")
            blocks_s = time_training(cfg, dev, steps=8)  # a few steps: one or two are too noisy on a shared host
            # a training step costs about three forward passes (forward, and backward's two products per product)
            train_share = 3 * blocks_s * flops_per_block(cfg) / 1e9 / peak
            loop_s = time_training_loop(cfg, dev) if not args.no_loop else float("nan")
            print(
                f"{cfg.name:<8} {params:>11,} {s_per_mp:>7.2f} {gflops:>8.1f} {gflops / peak:>8.0%} "
                f"{share:>10.0%} {blocks_s:>12.1f} {train_share:>8.0%} {loop_s:>11.1f}"
            )
        # A shared host's sgemm rate itself drifts (seen: 105 and 185 GFLOP/s within 15 minutes of
        # one another, machine idle both times): measured again, so the shares can be read against both.
        print(f"torch sgemm 2048^3 = {sgemm_gflops(dev):.1f} GFLOP/s at the end (shares above: against the start)")
    if args.large_mp:
        for f in args.footprints:
            dt, gb = peak_rss_large(f, args.large_mp)
            print(f"\nf{f}: {args.large_mp:g}-MP page in {dt:.0f} s ({dt / args.large_mp:.2f} s/MP), peak RSS {gb:.2f} GB")
    print("\n" + steal_note(start))
    print(
        f"\ns/MP: inference seconds per megapixel (best of 3 random {args.mp:g}-MP pages in one process, "
        "padded to whole 64x64 blocks); GFLOP/s: the model's multiply-adds per second; "
        "'of sgemm': that as a share of torch's large-sgemm rate; in matmul: share of inference CPU time in "
        "matrix products (profiled); train blk/s: 64x64 blocks per second at batch 32 (forward, backward, Adam; "
        "'of sgemm' counts a step as three forward passes); loop blk/s: binkit.train.fit's own loop (block "
        "sampling, dynamic loss, Adam) on synthetic pages, mean of epochs 2-3 of 256 blocks (after two warm-up "
        "epochs; no validation in them)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
