"""Every binarization method on one DIBCO test set: quality and speed, in one table.

    python benchmarks/bench_methods.py                       # H-DIBCO 2016, every method binkit offers
    python benchmarks/bench_methods.py --year 2014 --methods otsu sauvola gridlstm

For each method it binarizes every page of the test set, scores it with
:func:`binkit.metrics.evaluate` and prints the mean FM, Fps, PSNR, DRD, NRM
and MPM, and the binarization time per megapixel (reading and scoring
excluded).  Where DoxaPy (the C++ library behind the DIBCO-style tools) has
the same method, it times DoxaPy on the same 8-bit pages in the same run and
prints the ratio binkit / DoxaPy (below 1: binkit is faster).

The DIBCO root comes from ``--data`` or ``BINKIT_DIBCO_ROOT``.  Model-based
methods (``gridlstm``, ``hybrid``) use the weights that ship with binkit; every
method is built once with :func:`binkit.binarizer`, outside the timing, as
``binkit binarize`` does; the provenance says how far each model was trained.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

import binkit
import binkit.weights
from binkit.datasets import load_dibco
from binkit.metrics import evaluate, pseudo_weights

#: binkit method -> (DoxaPy algorithm, its parameters) for the same thresholds (window 51, binkit's defaults).
DOXA = {
    "otsu": ("OTSU", {}),
    "sauvola": ("SAUVOLA", {"window": 51, "k": 0.2}),
    "niblack": ("NIBLACK", {"window": 51, "k": -0.2}),
    "nick": ("NICK", {"window": 51, "k": -0.1}),
    "wolf": ("WOLF", {"window": 51, "k": 0.5}),
    "bernsen": ("BERNSEN", {"window": 51, "threshold": 128, "contrast-limit": 14}),  # off-by-one limits, see tests
}


def _doxa_seconds(doxapy, algorithm: str, params: dict, pages8) -> float:
    total = 0.0
    for gray8 in pages8:
        out = np.empty_like(gray8)
        t = time.perf_counter()
        algo = doxapy.Binarization(getattr(doxapy.Binarization.Algorithms, algorithm))
        algo.initialize(gray8)
        algo.to_binary(out, params)
        total += time.perf_counter() - t
    return total


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=None, help="DIBCO root (default: $BINKIT_DIBCO_ROOT)")
    ap.add_argument("--year", type=int, default=2016)
    ap.add_argument("--methods", nargs="+", default=None, help="default: binkit.methods()")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--skip-doxapy", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        import doxapy
    except ImportError:
        doxapy = None
    if args.skip_doxapy:
        doxapy = None

    pages = load_dibco(args.data, [args.year])
    megapixels = sum(p.image.size for p in pages) / 1e6
    weights = [pseudo_weights(p.gt) for p in pages]  # once, shared by every method
    pages8 = [np.ascontiguousarray(np.round(p.image * 255).astype(np.uint8)) for p in pages]
    methods = args.methods or binkit.methods()
    print(f"DIBCO {args.year}: {len(pages)} pages, {megapixels:.2f} MP | torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads | DoxaPy {'yes' if doxapy else 'not installed'}")
    for family in set(methods) & set(binkit.weights.FAMILIES):
        name = binkit.weights.FAMILIES[family].default
        info = binkit.weights.info(family, name)
        print(f"{family} = shipped {name}: {info.get('epochs_reached')} of {info.get('epochs_planned')} epochs, "
              f"{info.get('hardware')}")
    header = f"{'method':<11}{'FM':>7}{'Fps':>7}{'PSNR':>7}{'DRD':>7}{'NRM%':>7}{'MPM‰':>7}{'s/MP':>8}{'DoxaPy s/MP':>13}{'ratio':>7}"
    print(header)
    print("-" * len(header))
    for method in methods:
        run = binkit.binarizer(method)  # built once (model loaded, BatchNorm folded) outside the timing
        scores, seconds = [], 0.0
        for page, w in zip(pages, weights):
            t = time.perf_counter()
            ink = run(page.image)
            seconds += time.perf_counter() - t
            scores.append(evaluate(ink, page.gt, w))
        mean = {k: float(np.mean([s[k] for s in scores])) for k in scores[0]}
        line = (f"{method:<11}{mean['fm']:7.2f}{mean['fps']:7.2f}{mean['psnr']:7.2f}{mean['drd']:7.2f}"
                f"{100 * mean['nrm']:7.2f}{1000 * mean['mpm']:7.2f}{seconds / megapixels:8.3f}")
        if doxapy is not None and method in DOXA:
            ref = _doxa_seconds(doxapy, *DOXA[method], pages8) / megapixels
            line += f"{ref:13.3f}{(seconds / megapixels) / ref:7.2f}"
        print(line, flush=True)
    print("\nmeans over the pages; NRM in %, MPM in per mille; s/MP: binarization only (reading, scoring excluded);"
          "\nratio = binkit s/MP / DoxaPy s/MP on the same 8-bit pages (DoxaPy's thresholds, same windows).")


if __name__ == "__main__":
    main()
