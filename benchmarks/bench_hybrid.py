"""Time the hybrid method's classical start and B-spline fit on 1-MP and 3-MP pages, and its training.

Run:  python benchmarks/bench_hybrid.py [--repeat N] [--no-scipy] [--no-train]

The pages are synthetic (``binkit.datasets.synthetic_page``).  Times are the
median of --repeat runs, in milliseconds; the per-MP column divides by the
page's megapixels.  In the same run, ``scipy.ndimage.median_filter`` (31x31,
mirrored border, on the same 8-bit page) is the reference for the local
median; it runs once per page (it takes tens of seconds on 3 MP).

Goals (issue 6): a 31x31 median on a 3-MP page well under a second; the
hybrid binarization of a 1-MP page in <= 0.5 s on the CPU, with the
median/mean precompute timed separately.

Training (issue 29): samples per second of :class:`binkit.hybrid.HybridTask`
(drawing the samples, loss, backward pass and Adam step, batch 8) with the
paper's input layout (512 x 512 patches through the 6-channel CNN, the
adjuster binkit shipped first) and with binkit's histogram layout, on the
same synthetic pages in the same run; the ratio is the speed-up.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from binkit.datasets import synthetic_page  # noqa: E402
from binkit.hybrid import (  # noqa: E402
    logistic_binarize,
    default_background_window,
    fit_surface,
    global_levels,
    local_mean,
    local_median,
    surface_grid,
)


def _median_ms(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def _train_rates(threads: int, seconds: float = 20.0) -> None:
    """Training samples per second of both input layouts, same pages, same run."""
    import torch

    from binkit.hybrid.model import AdjusterConfig
    from binkit.hybrid.samples import prepare_page
    from binkit.hybrid.training import HybridTask

    torch.set_num_threads(threads)
    pages = [prepare_page(f"p{k}", *(lambda p: (p.image, p.gt))(synthetic_page(k, size=(1024, 1536))))
             for k in range(3)]
    rates = {}
    for layout in ("paper", "histogram"):
        torch.manual_seed(0)
        task = HybridTask({"train": pages, "val": pages[:1]}, AdjusterConfig(layout=layout), augment=0.5)
        opt = torch.optim.Adam(task.model.parameters(), lr=1e-3)
        rng, done, t = np.random.default_rng(0), 0, time.perf_counter()
        while time.perf_counter() - t < seconds or done < 16:
            batch = task.batches("train", 8, rng)
            loss = task.loss(task.model, batch, torch.device("cpu"))
            opt.zero_grad()
            loss.backward()
            opt.step()
            done += 8
        rates[layout] = done / (time.perf_counter() - t)
    print(f"\ntraining samples/s (batch 8, {threads} threads, 1024 x 1536 pages, half the samples augmented)")
    print(f"{'layout':<12}{'samples/s':>11}{'vs paper':>10}")
    for layout, rate in rates.items():
        print(f"{layout:<12}{rate:11.1f}{rate / rates['paper']:9.1f}x")
    torch.set_num_threads(1)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-scipy", action="store_true", help="skip the scipy.ndimage.median_filter reference")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="torch threads for the hybrid CNN")
    ap.add_argument("--no-train", action="store_true", help="skip the training-speed table")
    args = ap.parse_args(argv)

    import torch
    from scipy import ndimage

    from binkit.hybrid import lookup_torch, surface_lut_torch

    torch.set_num_threads(1)
    print(f"synthetic pages; median of {args.repeat} runs; times in ms; torch on 1 CPU thread")
    header = f"{'page':>6} {'step':<44} {'ms':>9} {'ms/MP':>9} {'vs scipy':>9}"
    print(header)
    print("-" * len(header))

    def row(page, name, ms, mp, ratio=""):
        print(f"{page:>6} {name:<44} {ms:>9.1f} {ms / mp:>9.1f} {ratio:>9}")

    for label, shape in (("1MP", (1000, 1000)), ("3MP", (1500, 2000))):
        img = synthetic_page(0, size=shape).image
        mp = img.size / 1e6
        median31 = lambda: local_median(img, 31)  # noqa: E731
        t_med = _median_ms(median31, args.repeat)
        ratio = ""
        if not args.no_scipy:
            levels = np.rint(img * 255).astype(np.uint8)
            t0 = time.perf_counter()
            ref = ndimage.median_filter(levels, size=31, mode="mirror")
            t_scipy = (time.perf_counter() - t0) * 1e3
            assert np.array_equal(np.rint(local_median(img, 31) * 255).astype(np.uint8), ref)
            ratio = f"{t_scipy / t_med:.0f}x"
        row(label, "local median 31x31 (skimage rank)", t_med, mp, ratio)
        if not args.no_scipy:
            row(label, "  reference: scipy.ndimage.median_filter", t_scipy, mp, "1x")
        window = default_background_window(img)
        row(label, "local mean 3x3 (uniform_filter)", _median_ms(lambda: local_mean(img, 3), args.repeat), mp)
        row(label, f"default window (stroke width -> {window})",
            _median_ms(lambda: default_background_window(img), args.repeat), mp)
        M = local_median(img, window)
        row(label, f"local median {window}x{window}", _median_ms(lambda: local_median(img, window), args.repeat), mp)
        row(label, "global levels (Otsu, T_g, B_g, noise), given M",
            _median_ms(lambda: global_levels(img, median=M), args.repeat), mp)
        row(label, f"classical, default window ({window})", _median_ms(lambda: logistic_binarize(img), args.repeat), mp)
        row(label, "classical, window 31", _median_ms(lambda: logistic_binarize(img, 31), args.repeat), mp)

        A = local_mean(img, 3)
        C = torch.tensor(fit_surface(surface_grid(global_levels(img, median=M))), dtype=torch.float32)
        b, t = torch.from_numpy(M), torch.from_numpy(A)
        row(label, "spline surface on the page (torch LUT + lookup)",
            _median_ms(lambda: lookup_torch(surface_lut_torch(C), b, t) >= 0.5, args.repeat), mp)

        # The whole hybrid method: the precompute (local statistics, fitted C0) timed apart from the rest
        # (CNN over the page's 512 x 512 tiles, averaged dZ, lookup of the adjusted surface).
        from binkit.hybrid import available_pretrained, load_pretrained
        from binkit.hybrid.model import SurfaceAdjuster, inference_copy
        from binkit.hybrid.spline import surface_lut
        from binkit.hybrid.inference import lut_lookup, page_heights, prepare_page

        torch.set_num_threads(args.threads)
        # folded once per model, as `binkit binarize` does for a batch of pages
        adjuster = inference_copy(load_pretrained() if "hybrid" in available_pretrained() else SurfaceAdjuster())
        which = "shipped" if "hybrid" in available_pretrained() else "untrained"
        prep = prepare_page("bench", img)
        row(label, "hybrid precompute: statistics + fitted C0", _median_ms(lambda: prepare_page("b", img), args.repeat), mp)
        for tiles in (None, 2):
            ms = _median_ms(lambda: lut_lookup(surface_lut(page_heights(prep, adjuster, "cpu", max_tiles=tiles)),
                                               prep.b, prep.t) >= 0.5, args.repeat)
            row(label, f"hybrid CNN + surface, {'all tiles' if tiles is None else f'{tiles} tiles'} ({which}, "
                f"{args.threads} thr)", ms, mp)
        torch.set_num_threads(1)

    if not args.no_train:
        _train_rates(args.threads)

    g = global_levels(synthetic_page(0, size=(512, 768)).image)
    for n in (16, 24):
        ms = _median_ms(lambda: fit_surface(surface_grid(g), n=n), args.repeat)
        print(f"{'-':>6} {f'spline fit, 256x256 grid, n = {n} (incl. sampling)':<44} {ms:>9.1f} {'':>9} {'':>9}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
