"""The ``binkit`` command line (also ``python -m binkit``): argparse and printing over the library.

Every behaviour lives in the library (:mod:`binkit.batch`, :mod:`binkit.runs`
and the families' ``run`` modules, :mod:`binkit.export`); this module reads
options, calls it and prints.  Bad input ends with exit code 2 and a one-line
message naming the file; no traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ._errors import InputError, first_line, printable_streams, shown

__all__ = ["main", "build_parser", "train_spec"]

#: Options of ``binkit train`` that only one family takes (the other refuses them in one line).
_GRIDLSTM_ONLY, _HYBRID_ONLY = ("footprint", "scale", "units_per_pixel", "loss", "reference_layout", "augment",
                                "mix_synthetic", "mixed_share", "val_synthetic", "mix_faint", "val_faint",
                                "input_levels", "val_measure"), ("layout",)
_PROTOCOL = ("epochs", "blocks_per_epoch", "batch_size", "val_every", "val_blocks", "lr", "lr_decay", "seed")


def _report_problems(problems) -> None:
    """One line per bad file on stderr, naming the file once."""
    for item, reason in problems:
        name = Path(item).name
        line = reason if (item in reason or name in reason) else f"{item}: {reason}"
        print(f"binkit: error: {shown(line)}", file=sys.stderr)


def _scores(scores: dict, keys=("fm", "fps", "psnr", "drd", "nrm")) -> str:
    """``FM 88.49  Fps 91.45 ...``: measures as binkit's tables show them (binkit.metrics.MEASURES)."""
    from .metrics import MEASURES

    return "  ".join(f"{MEASURES[k].label} {MEASURES[k].format(scores[k])}{MEASURES[k].unit}" for k in keys
                     if k in scores)


def _binarize(args) -> int:
    from .batch import binarize_files, collect_inputs
    from .registry import DEFAULT_METHOD, parse_params

    params = parse_params(args.param)
    if args.device is not None:
        params["device"] = args.device
    files, problems = collect_inputs(args.inputs)
    report = binarize_files(files, args.out_dir, args.method or DEFAULT_METHOD, overwrite=args.overwrite,
                            workers=args.workers, progress=not args.no_progress, format=args.format,
                            shard=args.shard, max_pixels=args.max_pixels, **params)
    problems += report.failed
    skipped = f", skipped {len(report.skipped)} already done (--overwrite redoes them)" if report.skipped else ""
    print(f"{args.method or DEFAULT_METHOD}: wrote {len(report.written)} to {args.out_dir}{skipped}"
          + (f", {len(problems)} failed" if problems else ""))
    _report_problems(problems)
    return 2 if problems else 0


def _methods(args) -> int:
    from .registry import DEFAULT_METHOD, methods

    for record in methods().values():
        text = record.describe()
        print(text.replace(record.name + " ", record.name + "*", 1) if record.name == DEFAULT_METHOD else text)
    print("* the default method (binkit.DEFAULT_METHOD); `--param KEY=VALUE` sets a parameter")
    return 0


def _evaluate(args) -> int:
    import warnings

    from .batch import evaluate_folders, evaluation_means, write_evaluation
    from .plot import metrics_table

    if (args.pred_file and args.pred) or (args.gt_file and args.gt) or not (args.pred or args.pred_file) or not (
            args.gt or args.gt_file):
        raise InputError("evaluate needs PRED and GT once each: binkit evaluate pred.png gt.png, or --pred --gt")
    args.pred, args.gt = args.pred or args.pred_file, args.gt or args.gt_file
    original = warnings.formatwarning
    # a warning (read_gt's grey GT) as one line: binkit: warning: FILE: ...
    warnings.formatwarning = lambda message, *rest, **kw: f"binkit: warning: {shown(message)}\n"
    try:
        rows, problems = evaluate_folders(args.pred, args.gt, weights_dir=args.weights,
                                          progress=not args.no_progress, max_pixels=args.max_pixels)
    finally:
        warnings.formatwarning = original
    if rows:
        table = [(shown(r["image"]), r) for r in rows] + [(f"mean of {len(rows)}", evaluation_means(rows))]
        print(metrics_table(table, keys=("fm", "fps", "psnr", "drd", "nrm", "mpm"), label="image"))
    write_evaluation(rows, problems, csv=args.csv, json=args.json, pred=args.pred, gt=args.gt, weights=args.weights)
    if args.csv and rows:
        print(f"per-image results: {args.csv}")
    if args.json:
        print(f"results as JSON: {args.json}")
    _report_problems(problems)
    return 2 if problems or not rows else 0


def _fetch_dibco(args) -> int:
    from .datasets import fetch_dibco
    from .datasets.dibco import default_dest

    dest = args.dest or default_dest()
    report = fetch_dibco(args.years, dest, force=args.force)
    skipped = f", already there {report.skipped} (--force fetches again)" if report.skipped else ""
    print(f"DIBCO in {dest}: fetched {report.fetched or 'no year'}{skipped}")
    return 0


def _synthetic(args) -> int:
    from .datasets import write_synthetic

    count, dest = write_synthetic(args.dest, count=args.count, hard=args.hard, faint=args.faint)
    kind = "hard synthetic" if args.hard else "faint-ink synthetic" if args.faint else "synthetic"
    print(f"wrote {count} {kind} pages to {dest}")
    return 0


def _given(args, names) -> dict:
    return {n: v for n in names if (v := getattr(args, n, None)) is not None and v is not False}


def train_spec(args):
    """The run spec (``RunSpec`` or ``HybridRunSpec``) that ``binkit train``'s parsed ``args`` ask for."""
    own, other = (_GRIDLSTM_ONLY, _HYBRID_ONLY) if args.model == "gridlstm" else (_HYBRID_ONLY, _GRIDLSTM_ONLY)
    refused = [f"--{n.replace('_', '-')}" for n in _given(args, other)]
    if refused:
        raise InputError(f"{', '.join(refused)}: {'hybrid' if args.model == 'gridlstm' else 'gridlstm'} only, "
                         f"not for the {args.model}")
    overrides = _given(args, own + ("train", "val", "test", "data", "synthetic"))
    train_options = {**_given(args, _PROTOCOL), "device": args.device, "progress": not args.no_progress}
    if args.model == "gridlstm":
        from .gridlstm.run import RunSpec

        return RunSpec.recipe(args.recipe, train_options=train_options, **overrides)
    from .hybrid.model import AdjusterConfig
    from .hybrid.run import HybridRunSpec

    if "layout" in overrides:
        overrides["config"] = AdjusterConfig(layout=overrides.pop("layout"))
    return HybridRunSpec.recipe(args.recipe, train_options=train_options, **overrides)


def _train(args) -> int:
    if args.model == "gridlstm":
        from .gridlstm.run import run
    else:
        from .hybrid.run import run
    summary = run(train_spec(args), args.out)
    if summary:
        test = summary.get("test") or {}
        tests = {"test": test} if args.model == "gridlstm" and test else test if args.model == "hybrid" else {}
        print(f"done: {summary['epochs_done']} epochs, best val error {summary['best_val_error']:.4f}"
              + "".join(f" | {name}: {_scores(s, ('fm', 'fps', 'psnr', 'drd', 'nrm'))}" for name, s in tests.items()))
    return 0


def _experiments(args) -> int:
    from .gridlstm.experiments import run_experiments
    from .results import format_table, mean_table
    from .train import TrainConfig

    cfg = TrainConfig(**_given(args, _PROTOCOL), device=args.device, progress=not args.no_progress)
    rows = run_experiments(args.out, args.configs, args.test_years, train_cfg=cfg, data=args.data,
                           synthetic=args.synthetic)
    if rows:
        print(format_table(mean_table(rows, by=("config",)), ["config", "n", "fm", "fps", "psnr", "drd"]))
        print(f"per-image results: {args.out}/results.csv")
    return 0


def _export_weights(args) -> int:
    from .export import export_weights

    rec = export_weights(args.run, args.name, data=args.data, test_years=args.test, command=args.command,
                         dest=args.dest, hard=args.hard, checkpoint=args.checkpoint)
    if rec["test_pages_seen_in_training"]:
        print(f"note: {len(rec['test_pages_seen_in_training'])} of the {rec['test_pages']} test pages were "
              "training or validation pages; their scores do not measure generalisation")
    for method, s in rec["test_scores_mean"].items():
        print(f"{method:>12}: {_scores(s)}")
    for method, s in rec.get("hard_scores_mean", {}).items():
        print(f"{method:>12}: hard pages {_scores(s)}  border/gutter ink "
              f"{rec['hard_border_ink_percent'][method]:.2f} %")
    return 0


def _add_protocol_options(p: argparse.ArgumentParser) -> None:
    """The training protocol's options; each left out takes the family's protocol (no torch imported here)."""
    from .hybrid.configs import HYBRID_TRAIN

    for name, what in (("epochs", "epochs"), ("blocks_per_epoch", "training samples per epoch"),
                       ("batch_size", "batch size"), ("val_every", "validate every k epochs"),
                       ("val_blocks", "validation sample size")):
        p.add_argument(f"--{name.replace('_', '-')}", type=int, default=None,
                       help=f"{what} (gridlstm: binkit.train.TrainConfig's, the paper's; hybrid {HYBRID_TRAIN[name]})")
    p.add_argument("--lr", type=float, default=None, help="Adam learning rate (TrainConfig.lr, the paper's)")
    p.add_argument("--lr-decay", default=None, choices=["none", "cosine"],
                   help="none (the paper: constant) or cosine (to 5%% of --lr by the last epoch)")
    p.add_argument("--seed", type=int, default=None, help="random seed (TrainConfig.seed)")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:N, mps (default: $BINKIT_DEVICE, else the best "
                   "available); under torchrun: cuda, one GPU per process")
    p.add_argument("--no-progress", action="store_true")


def _add_page_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-pixels", default=None, metavar="N", help="refuse pages larger than N pixels, before "
                   "decoding them (default 150000000, or $BINKIT_MAX_PIXELS)")
    p.add_argument("--no-progress", action="store_true")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    from .datasets.folds import DEFAULT_FOLD, EXPERIMENT_YEARS
    from .gridlstm.configs import TABLE_III

    parser = argparse.ArgumentParser(prog="binkit", description="Document image binarization kit.")
    parser.add_argument("--version", action="version", version=f"binkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("binarize", help="binarize scans (files, folders, globs) into 0/255 PNGs",
                       description="Binarize scans into OUT/<name>.png (0 = ink, 255 = page), or one scan into "
                       "the file OUT (-o page.png). Outputs binkit wrote are skipped unless --overwrite, so a "
                       "batch resumes; anything else at an output path is reported and never replaced. Bad files "
                       "are reported (exit code 2); the rest are written. Example: binkit binarize scans/ -o out")
    p.add_argument("inputs", nargs="+", metavar="IN", help="image files, folders of images, or glob patterns")
    p.add_argument("-o", "--out-dir", required=True, metavar="OUT",
                   help="output folder (created if missing), or for one scan a .png/.tif file")
    p.add_argument("--method", default=None, type=str.lower, help="a name from `binkit methods` (default: gridlstm)")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:N or mps, for gridlstm/hybrid")
    p.add_argument("--param", action="append", metavar="KEY=VALUE",
                   help="method parameter, e.g. --param window=31 (repeatable)")
    p.add_argument("--overwrite", action="store_true", help="redo outputs binkit wrote earlier")
    p.add_argument("--workers", type=int, default=None, help="processes for the classical methods (default: cores)")
    p.add_argument("--format", default="png", choices=["png", "png1", "tif"],
                   help="png: 8-bit 0/255 (default); png1: 1-bit PNG; tif: 1-bit CCITT-G4 TIFF. The DPI is kept")
    p.add_argument("--shard", default=None, metavar="K/N", help="only the K-th of N slices of the sorted inputs")
    _add_page_options(p)
    p.set_defaults(func=_binarize)

    sub.add_parser("methods", help="list every binarization method with its parameters").set_defaults(func=_methods)

    p = sub.add_parser("evaluate", help="score binarizations against ground truth (DIBCO measures)",
                       description="Score PRED against GT: two files, or two folders matched by name (GT may "
                       "carry a suffix such as _gt). Prints FM, Fps, PSNR, DRD, NRM, MPM per image and their "
                       "means. Predictions must be binary (1-bit, or 0 = ink and 255 = page); GT follows the DIBCO "
                       "rule. A file that is neither is reported, not scored (exit code 2).")
    p.add_argument("pred_file", nargs="?", metavar="PRED", help="a binarized image (or use --pred)")
    p.add_argument("gt_file", nargs="?", metavar="GT", help="its ground truth (or use --gt)")
    p.add_argument("--pred", default=None, help="folder (or file) of binarized images (0 = ink, 255 = page)")
    p.add_argument("--gt", default=None, help="folder (or file) of ground truths (0 = ink, 255 = page)")
    p.add_argument("--csv", default=None, help="also write the per-image measures to this CSV file")
    p.add_argument("--json", default=None, metavar="FILE", help="also write measures, means and refused files "
                   "to this JSON file (null where a measure is NaN or infinite)")
    p.add_argument("--weights", default=None, help="folder of DIBCO .dat weight files (default: compute them)")
    _add_page_options(p)
    p.set_defaults(func=_evaluate)

    p = sub.add_parser("fetch-dibco", help="download official DIBCO archives into binkit's layout")
    p.add_argument("years", nargs="+", type=int, metavar="YEAR")
    p.add_argument("--dest", default=None, help="root folder (default: $BINKIT_DIBCO_ROOT, else "
                   "~/.local/share/binkit/dibco, where binkit looks without a setting)")
    p.add_argument("--force", action="store_true", help="download again even if the year is present")
    p.set_defaults(func=_fetch_dibco)

    fold = {k: " ".join(map(str, v)) for k, v in DEFAULT_FOLD.items()}
    p = sub.add_parser("train", help="train a model (resumes an unfinished run in --out)",
                       description=f"Train a model. Example: binkit train gridlstm --recipe paper --epochs 201 "
                       f"--out runs/f4-sf2-dyn (the paper's fold: train {fold['train']}, validate {fold['val']}, "
                       f"test {fold['test']})")
    p.add_argument("model", choices=["gridlstm", "hybrid"])
    p.add_argument("--recipe", default="paper", choices=["paper", "general"], help="paper (the default: the "
                   "paper's protocol) or general (binkit's recipe for scans unlike DIBCO's: "
                   "binkit.gridlstm.configs.RECIPES, binkit.hybrid.configs.HYBRID_RECIPES); options override it")
    for name, what in (("footprint", "f (4)"), ("scale", "sf (2)"), ("units-per-pixel", "5, or 20 for f = 2"),
                       ("augment", "N randomly altered copies of every training page"),
                       ("mix-synthetic", "add N synthetic hard pages to the training pages"),
                       ("val-synthetic", "add N synthetic pages to the validation pages"),
                       ("mix-faint", "add N faint-ink training pages"), ("val-faint", "N faint-ink validation pages")):
        p.add_argument(f"--{name}", type=int, default=None, metavar="N", help=f"gridlstm only: {what}")
    p.add_argument("--input-levels", choices=["minmax", "percentile"], help="gridlstm only: the grey stretch (minmax)")
    p.add_argument("--val-measure", choices=["error", "fm"], help="gridlstm only: what picks best.pt, the "
                   "validation blocks' pixel error (error, the paper's) or 1 - their pooled FM (fm)")
    p.add_argument("--mixed-share", type=float, default=None, metavar="R",
                   help="gridlstm only: share of every epoch's blocks drawn from the synthetic pages")
    p.add_argument("--loss", default=None, help="gridlstm only: dynamic (default), bce, or static<w>")
    p.add_argument("--reference-layout", action="store_true",
                   help="gridlstm only: dynamic loss with the original code's scrambled weights")
    for split, nargs in (("train", "+"), ("val", "+"), ("test", "*")):
        p.add_argument(f"--{split}", type=int, nargs=nargs, default=None, metavar="YEAR", help=f"{split} years")
    p.add_argument("--data", default=None, help="DIBCO root (default: $BINKIT_DIBCO_ROOT)")
    p.add_argument("--synthetic", action="store_true", help="treat --train/--val/--test as synthetic page seeds")
    p.add_argument("--layout", default=None, choices=["histogram", "paper"],
                   help="hybrid only: the adjuster's input, the (b, t) histogram (default) or the paper's patch")
    _add_protocol_options(p)
    p.add_argument("--out", required=True, help="run folder: checkpoints, logs, results")
    p.set_defaults(func=_train)

    p = sub.add_parser("experiments", help="run the paper's Table III matrix (skips finished runs)",
                       description="Train and test Table III's configurations on the paper's folds, one run "
                       "folder per (configuration, test year) under --out, then write --out/results.csv.")
    p.add_argument("--configs", nargs="+", default=None, choices=list(TABLE_III), metavar="CONFIG",
                   help="default: all eight (" + ", ".join(TABLE_III) + ")")
    p.add_argument("--test-years", type=int, nargs="+", default=None, choices=EXPERIMENT_YEARS, metavar="YEAR",
                   help="default: all seven")
    p.add_argument("--data", default=None, help="DIBCO root (default: $BINKIT_DIBCO_ROOT)")
    p.add_argument("--synthetic", action="store_true", help="synthetic pages (seed = year) instead of DIBCO")
    _add_protocol_options(p)
    p.add_argument("--out", required=True, help="root folder of the runs")
    p.set_defaults(func=_experiments)

    p = sub.add_parser("export-weights", help="ship a training run's checkpoint, with provenance and test scores")
    p.add_argument("run", help="run folder written by `binkit train`")
    p.add_argument("--name", required=True, help="e.g. f4-sf2-dyn")
    p.add_argument("--data", default=None, help="DIBCO root (default: $BINKIT_DIBCO_ROOT)")
    p.add_argument("--test", type=int, nargs="+", default=list(DEFAULT_FOLD["test"]), metavar="YEAR")
    p.add_argument("--command", default=None, help="the training command, if the run's log lacks it")
    p.add_argument("--dest", default=None, help="weights folder (default: inside the package)")
    p.add_argument("--hard", default=None, metavar="DIR", help="also score a hard-page set (data/synthetic_hard)")
    p.add_argument("--checkpoint", choices=["best", "last"], default="best",
                   help="best: lowest validation error (the paper's rule); last: the last epoch")
    p.set_defaults(func=_export_weights)

    p = sub.add_parser("synthetic", help="write synthetic degraded pages with ground truth")
    p.add_argument("--dest", default=None, help="folder (default: the user data folder's synthetic/ or "
                   "synthetic_hard/, where binkit looks)")
    p.add_argument("--count", type=int, default=None, help="pages, seeds 0 .. count-1 (default 8; 36 --hard, 16 --faint)")
    p.add_argument("--hard", action="store_true", help="hard pages: scanner borders, gutter shadow, facing page, "
                   "torn corner, ruler/colour card, lower resolution (binkit.datasets.hard)")
    p.add_argument("--faint", action="store_true", help="faint-ink colour pages (binkit.datasets.faint)")
    p.set_defaults(func=_synthetic)
    return parser


def main(argv=None) -> int:
    from .datasets.fetch.errors import DownloadError

    args = build_parser().parse_args(argv)
    restore_streams = printable_streams()
    try:
        return args.func(args)
    except (InputError, FileNotFoundError, DownloadError) as exc:
        print(f"binkit: error: {shown(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:  # the machine's answer (a full disk, no permission) on a path: one line, no traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"binkit: error: {shown(where)}{exc.strerror or first_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("binkit: interrupted", file=sys.stderr)
        return 130
    finally:
        restore_streams()


if __name__ == "__main__":
    sys.exit(main())
