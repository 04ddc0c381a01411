"""Quality of every method on H-DIBCO, the hard synthetic scans and the faint-ink pages, in one table.

    python benchmarks/bench_quality.py                        # H-DIBCO 2016, synthetic_hard, synthetic_faint
    python benchmarks/bench_quality.py --dibco ../shared/data/dibco --sets dibco hard --methods otsu gridlstm
    python benchmarks/bench_quality.py --quick                # 3 DIBCO pages, 8 hard pages: a quick look
    python benchmarks/bench_quality.py --methods otsu gridlstm --also paper-fold=gridlstm:weights=f4-sf2-dyn \
        --also candidate=gridlstm:weights=runs/general/best.pt --markdown

Every method of the registry (:func:`binkit.methods`: the classical
thresholds, ``logistic``, and the shipped ``gridlstm`` and ``hybrid``) is built
once with :func:`binkit.binarizer` at binkit's defaults and run on every page
of each set.  Each page is scored with :func:`binkit.metrics.evaluate`
(DIBCO-exact FM, pseudo-FM, PSNR, DRD, NRM; the pseudo-F weights are computed
once per page).  The table gives, per set and method, the means over the
pages, the worst page (lowest FM) and, on the hard set, the share of the
border/gutter area labelled ink: of all pixels in a region of the region maps
(scanner border, gutter band, facing page and its text, torn or folded
corner, ruler or colour card; none of them ink in the GT), the percentage the
method calls ink.  ``--regions`` adds that share per kind of region.

Sets: ``dibco`` is one DIBCO year (``--year``, default 2016) from ``--dibco``
(else ``BINKIT_DIBCO_ROOT``, the checkout's ``data/dibco``, the user data
folder; see :func:`binkit.datasets.load_dibco`); it is left out with a note
when no DIBCO data is found.  ``hard`` is the committed set of hard pages in
``data/synthetic_hard`` (``--hard`` for another folder written by
``binkit synthetic --hard``).  ``faint`` is the committed set of faint-ink colour
pages in ``data/synthetic_faint`` (:mod:`binkit.datasets.faint`: a letter in
brown ink on beige paper, pale print, a thin pen, ink fading along the line);
for it the table adds the share of the GT's ink each method keeps (recall),
and a second table gives FM and recall per kind of page.

With ``hybrid`` among the methods, three more rows come with it: the
paper-fold weight set ``hybrid-paper-fold`` (H-DIBCO 2016 unseen), the
hybrid's classical start ``hybrid-start`` (the B-spline ``C0``, no CNN) and
``hybrid-oracle``, the best surface of the family for each page, fitted to
that page's ground truth (:func:`binkit.hybrid.oracle_binarize`: a ceiling
that reads the answer, not a method).  A last table gives the share of the
start-to-oracle gap each hybrid row closes, in FM and in NRM.

``--also LABEL=METHOD:KEY=VALUE,...`` adds a row for a method with other
parameters, e.g. another weight set or a training run's checkpoint, scored on
the same pages in the same run.  ``--markdown`` also prints the table as the
README's methods table (one row per method, both sets side by side).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import binkit  # noqa: E402
import binkit.weights  # noqa: E402
from binkit.datasets import load_dibco, load_synthetic  # noqa: E402
from binkit.datasets.hard import REGION_CODES, load_regions  # noqa: E402
from binkit.metrics import evaluate, pseudo_weights  # noqa: E402

MEASURES = ("fm", "fps", "psnr", "drd", "nrm")
QUICK_PAGES = {"dibco": 3, "hard": 8, "faint": 4}


def _dibco_pages(root, year: int, quick: bool):
    try:
        samples = load_dibco(root, [year])
    except (FileNotFoundError, binkit.InputError) as exc:
        print(f"DIBCO {year}: not found, set left out ({str(exc).split(';')[0]})")
        return None
    if quick:  # the smallest pages: a quick look, not the contest's numbers
        samples = sorted(samples, key=lambda s: s.image.size)[:QUICK_PAGES["dibco"]]
    return [(s.name, s.image, s.gt, None) for s in samples]


def _hard_pages(root: Path, quick: bool):
    manifest = json.loads((root / "manifest.json").read_text())
    samples = load_synthetic(root)
    if quick:
        samples = samples[:QUICK_PAGES["hard"]]
    print(f"hard set {root}: generator {manifest['generator_version']}, hard pages {manifest['hard_version']}, "
          f"{len(samples)} of {len(manifest['pages'])} pages")
    return [(s.name, s.image, s.gt, load_regions(root, s.name)) for s in samples]


def _faint_pages(root: Path, quick: bool):
    manifest = json.loads((root / "manifest.json").read_text())
    kinds = {page["name"]: page["kind"] for page in manifest["pages"]}
    samples = load_synthetic(root)
    if quick:  # one page of each kind
        samples = [next(s for s in samples if kinds[s.name] == k) for k in manifest["kinds"]][:QUICK_PAGES["faint"]]
    print(f"faint set {root}: generator {manifest['generator_version']}, faint pages {manifest['faint_version']}, "
          f"{len(samples)} of {len(manifest['pages'])} pages")
    return [(s.name, s.image, s.gt, None) for s in samples], kinds


def _parse_also(text: str) -> tuple[str, str, dict]:
    """``LABEL=METHOD:KEY=VALUE,...`` -> (label, method, params)."""
    label, sep, rest = text.partition("=")
    method, _, param_text = rest.partition(":")
    if not sep or not label or not method:
        raise ValueError(f"--also {text!r}: expected LABEL=METHOD:KEY=VALUE,..., "
                         "e.g. paper-fold=gridlstm:weights=f4-sf2-dyn")
    params = {}
    for pair in filter(None, param_text.split(",")):
        key, eq, value = pair.partition("=")
        if not eq or not key:
            raise ValueError(f"--also {text!r}: {pair!r} is not KEY=VALUE")
        params[key] = _number_or_text(value)
    return label, method, params


def _number_or_text(value: str):
    """``"31"`` -> 31, ``"0.3"`` -> 0.3, anything else stays text (as ``binkit binarize --param``)."""
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return value


def _markdown(results: dict, order: list[str]) -> str:
    """The README's methods table: one row per method, every set's means side by side."""
    labels = list(results)
    head = ["method"]
    for label in labels:
        short = label.removeprefix("DIBCO")  # "2016", "hard"
        head += [f"{short} {m}" for m in ("FM", "Fps", "PSNR", "DRD", "NRM %", "recall %")]
        if any(r[1] for r in results[label].values()):
            head.append(f"{short} border ink %")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for method in order:
        cells = [f"`{method}`"]
        for label in labels:
            rows, ink_in, _ = results[label][method]
            mean = {k: float(np.nanmean([s[k] for _, s in rows])) for k in MEASURES + ("recall",)}
            cells += [f"{mean['fm']:.2f}", f"{mean['fps']:.2f}", f"{mean['psnr']:.2f}", f"{mean['drd']:.2f}",
                      f"{100 * mean['nrm']:.2f}", f"{mean['recall']:.2f}"]
            if any(r[1] for r in results[label].values()):
                cells.append(f"{_border_share(ink_in):.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _border_share(ink_in: dict) -> float:
    """Percentage of all region pixels labelled ink."""
    return 100.0 * sum(v[0] for v in ink_in.values()) / sum(v[1] for v in ink_in.values())


def _score_set(run, pages, weights, with_gt=False):
    """Per-page scores, and ink / pixel counts of the regions (hard set); ``run(image, gt)`` if ``with_gt``."""
    rows, ink_in = [], {}
    for (name, image, gt, regions), w in zip(pages, weights):
        ink = run(image, gt) if with_gt else run(image)
        s = evaluate(ink, gt, w)
        rows.append((name, s))
        if regions is not None:
            for code in np.unique(regions):
                if code == 0:
                    continue
                m = regions == code
                a, b = ink_in.get(int(code), (0, 0))
                ink_in[int(code)] = (a + int(np.count_nonzero(ink & m)), b + int(np.count_nonzero(m)))
    return rows, ink_in


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dibco", "--data", dest="dibco", default=None,
                    help="DIBCO root (default: $BINKIT_DIBCO_ROOT, the checkout's data/dibco, the user data folder)")
    ap.add_argument("--year", type=int, default=2016, help="DIBCO year of the dibco set (default 2016)")
    ap.add_argument("--hard", default=str(ROOT / "data" / "synthetic_hard"),
                    help="folder of a hard set (default: the committed data/synthetic_hard)")
    ap.add_argument("--faint", default=str(ROOT / "data" / "synthetic_faint"),
                    help="folder of a faint-ink set (default: the committed data/synthetic_faint)")
    ap.add_argument("--sets", nargs="+", choices=("dibco", "hard", "faint"), default=["dibco", "hard", "faint"])
    ap.add_argument("--methods", nargs="+", default=None, help="default: every method of binkit.methods()")
    ap.add_argument("--quick", action="store_true",
                    help=f"only the {QUICK_PAGES['dibco']} smallest DIBCO pages and the first "
                         f"{QUICK_PAGES['hard']} hard pages, one faint page of each kind")
    ap.add_argument("--regions", action="store_true", help="also print the share labelled ink per kind of region")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    ap.add_argument("--also", action="append", default=[], metavar="LABEL=METHOD:KEY=VALUE,...",
                    help="one more row: a method with other parameters, e.g. gridlstm with another weight set")
    ap.add_argument("--markdown", action="store_true", help="also print the table as the README's methods table")
    args = ap.parse_args(argv)
    t_start = time.perf_counter()

    methods = args.methods or list(binkit.methods())
    unknown = [m for m in methods if m not in binkit.methods()]
    try:
        extra = [_parse_also(text) for text in args.also]
    except ValueError as exc:
        ap.error(str(exc))
    unknown += [m for _, m, _ in extra if m not in binkit.methods()]
    if unknown:
        ap.error(f"unknown methods {unknown}; choose from {list(binkit.methods())}")
    clash = [label for label, _, _ in extra if label in methods]
    if clash or len({label for label, _, _ in extra}) < len(extra):
        ap.error(f"--also labels must differ from each other and from the methods: {args.also}")
    rows_to_build = {m: (m, {}) for m in methods} | {label: (m, p) for label, m, p in extra}
    if args.threads is not None or any(binkit.methods()[m].needs_torch for m, _ in rows_to_build.values()):
        import torch

        if args.threads is not None:
            torch.set_num_threads(args.threads)
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for family in [m for m in methods if m in binkit.weights.FAMILIES]:
        name = binkit.weights.FAMILIES[family].default
        info = binkit.weights.info(family, name)
        print(f"{family} = shipped {name}: {info.get('epochs_reached')} of {info.get('epochs_planned')} epochs, "
              f"{info.get('hardware')}")

    sets = {}
    if "dibco" in args.sets:
        pages = _dibco_pages(args.dibco, args.year, args.quick)
        if pages:
            sets[f"DIBCO{args.year}"] = pages
    if "hard" in args.sets:
        sets["hard"] = _hard_pages(Path(args.hard), args.quick)
    kinds = {}
    if "faint" in args.sets:
        sets["faint"], kinds = _faint_pages(Path(args.faint), args.quick)
    if not sets:
        print("no set to score")
        return
    weights = {}
    for label, pages in sets.items():
        mp = sum(p[1].size for p in pages) / 1e6
        print(f"{label}: {len(pages)} pages, {mp:.2f} MP")
        weights[label] = [pseudo_weights(p[2]) for p in pages]  # once per page, shared by every method

    hybrid_rows = {}  # label -> (image[, gt]) -> ink, the hybrid's reference rows
    if "hybrid" in methods:
        from binkit.hybrid import hybrid_binarize
        from binkit.hybrid import oracle_binarize

        if "hybrid-paper-fold" in binkit.weights.available("hybrid") and "hybrid-paper-fold" not in rows_to_build:
            rows_to_build["hybrid-paper-fold"] = ("hybrid", {"weights": "hybrid-paper-fold"})
        hybrid_rows = {"hybrid-start": lambda image: hybrid_binarize(image, None), "hybrid-oracle": oracle_binarize}
    results = {label: {} for label in sets}
    for method in [*rows_to_build, *hybrid_rows]:  # method: the row's label
        if method in hybrid_rows:
            run = hybrid_rows[method]
        else:
            method_name, params = rows_to_build[method]
            try:
                run = binkit.binarizer(method_name, **params)  # built once (model loaded) for every set
            except binkit.InputError as exc:
                ap.error(f"{method}: {exc}")
            if params:
                print(f"{method} = {method_name} with {params}")
        for label, pages in sets.items():
            t = time.perf_counter()
            rows, ink_in = _score_set(run, pages, weights[label], with_gt=method == "hybrid-oracle")
            results[label][method] = (rows, ink_in, time.perf_counter() - t)
        spent = sum(results[label][method][2] for label in sets)
        print(f"  {method}: {spent:.0f} s (binarizing and scoring)", flush=True)

    header = (f"{'set':<10}{'method':<19}{'FM':>7}{'Fps':>7}{'PSNR':>7}{'DRD':>7}{'NRM%':>7}"
              f"{'border ink %':>14}{'recall %':>10}  {'worst page (FM)':<20}")
    print()
    print(header)
    print("-" * len(header))
    for label, by_method in results.items():
        order = sorted(by_method, key=lambda m: -np.nanmean([s["fm"] for _, s in by_method[m][0]]))
        for method in order:
            rows, ink_in, _ = by_method[method]
            mean = {k: float(np.nanmean([s[k] for _, s in rows])) for k in MEASURES + ("recall",)}
            worst_name, worst = min(rows, key=lambda r: (np.nan_to_num(r[1]["fm"], nan=-1.0)))
            if ink_in:
                border = f"{_border_share(ink_in):14.2f}"
            else:
                border = f"{'-':>14}"
            print(f"{label:<10}{method:<19}{mean['fm']:7.2f}{mean['fps']:7.2f}{mean['psnr']:7.2f}{mean['drd']:7.2f}"
                  f"{100 * mean['nrm']:7.2f}{border}{mean['recall']:10.2f}  {worst_name} ({worst['fm']:.2f})")
    print("\nmeans over the pages; NRM in %; border ink %: of all pixels in the hard pages' regions (borders, gutter,"
          "\nfacing page, corner, ruler/card; page in the GT), the share the method labels ink; recall %: the share of"
          "\nthe GT's ink the method keeps (mean over the pages); worst page: lowest FM.")
    if "faint" in results:
        order = sorted(results["faint"], key=lambda m: -np.nanmean([s["fm"] for _, s in results["faint"][m][0]]))
        present = [k for k in dict.fromkeys(kinds.values()) if any(kinds[n] == k for n, *_ in sets["faint"])]
        head = f"{'method':<19}" + "".join(f"{k + ' FM':>15}{'recall':>8}" for k in present)
        print("\nfaint set by kind of page: mean FM and recall %")
        print(head)
        print("-" * len(head))
        for method in order:
            rows = results["faint"][method][0]
            cells = ""
            for k in present:
                mine = [s for name, s in rows if kinds[name] == k]
                cells += f"{np.nanmean([s['fm'] for s in mine]):15.2f}{np.nanmean([s['recall'] for s in mine]):8.2f}"
            print(f"{method:<19}" + cells)

    if hybrid_rows:
        from binkit.hybrid import gap_closed

        print("\nhybrid: share of the gap from its classical start (hybrid-start) to the best surface of its family"
              "\nfor each page (hybrid-oracle) that each row closes; 1 = as good as the oracle, 0 = as the start")
        print(f"{'set':<10}{'method':<20}{'FM gap':>8}{'NRM gap':>9}")
        for label, by_method in results.items():
            mean = {m: {k: float(np.nanmean([s[k] for _, s in by_method[m][0]])) for k in ("fm", "nrm")}
                    for m in by_method}
            start, best = mean["hybrid-start"], mean["hybrid-oracle"]
            for m in [m for m in by_method if m.startswith("hybrid") and m not in hybrid_rows]:
                fm = gap_closed(start["fm"], mean[m]["fm"], best["fm"])
                nrm = gap_closed(-start["nrm"], -mean[m]["nrm"], -best["nrm"])
                print(f"{label:<10}{m:<20}{fm:8.2f}{nrm:9.2f}")

    if args.regions and "hard" in results:
        names = {v: k for k, v in REGION_CODES.items() if v}
        codes = sorted({c for rows in results["hard"].values() for c in rows[1]})
        head = f"{'method':<19}" + "".join(f"{names[c]:>11}" for c in codes)
        print("\nhard set: share of each kind of region labelled ink, %")
        print(head)
        print("-" * len(head))
        for method, (_, ink_in, _) in results["hard"].items():
            print(f"{method:<19}" + "".join(f"{100.0 * ink_in[c][0] / ink_in[c][1]:11.2f}" for c in codes))
        pixels = {c: next(iter(results["hard"].values()))[1][c][1] for c in codes}
        print(f"{'pixels':<19}" + "".join(f"{pixels[c]:>11}" for c in codes))
    if args.markdown:
        first = next(iter(results.values()))
        order = sorted(first, key=lambda m: -np.nanmean([s["fm"] for _, s in first[m][0]]))
        print("\nthe README's methods table (sorted by FM on the first set):\n")
        print(_markdown(results, order))
    print(f"\nwall time {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
