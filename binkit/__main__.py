"""The ``binkit`` command line (also ``python -m binkit``).

Bad input ends with exit code 2 and a one-line message naming the file; no traceback.
"""

from __future__ import annotations

import argparse
import codecs
import os
import sys
from pathlib import Path

from ._errors import InputError, first_line, shown

__all__ = ["main"]


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


#: How ``--param KEY=VALUE`` spells a flag (``--param swap=true``); the method's own check refuses a
#: flag where it wants a number, and a number where it wants a flag.
_BOOLEANS = {"true": True, "false": False}


def _parse_params(pairs) -> dict:
    params = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError(f"--param {pair!r}: expected KEY=VALUE, e.g. --param window=31")
        if value.strip().lower() in _BOOLEANS:
            params[key.replace("-", "_")] = _BOOLEANS[value.strip().lower()]
            continue
        for cast in (int, float):
            try:
                value = cast(value)
                break
            except ValueError:
                pass
        params[key.replace("-", "_")] = value
    return params


def _binarize(args) -> int:
    from .batch import binarize_files, collect_inputs
    from .registry import DEFAULT_METHOD, method, methods

    name = method(args.method or DEFAULT_METHOD).name
    params = _parse_params(args.param)
    if args.device is not None:
        if "device" not in {p.name for p in method(name).parameters}:
            takers = [m.name for m in methods().values() if "device" in {p.name for p in m.parameters}]
            raise InputError(f"--device applies to {' and '.join(takers)}, not {name}")
        params["device"] = args.device
    if not str(args.out_dir).strip():
        raise InputError("-o/--out-dir is empty; name the output folder (use -o . for the current folder)")
    files, problems = collect_inputs(args.inputs)
    # the shard is taken inside, after the checks that need every input (two inputs, one output name)
    report = binarize_files(files, args.out_dir, name, overwrite=args.overwrite, workers=args.workers,
                            progress=not args.no_progress, format=args.format, shard=args.shard, **params)
    problems += report.failed
    line = f"{name}: wrote {len(report.written)} to {args.out_dir}"
    if report.skipped:
        line += f", skipped {len(report.skipped)} already done (--overwrite redoes them)"
    if problems:
        line += f", {len(problems)} failed"
    print(line)
    _report_problems(problems)
    return 2 if problems else 0


def _methods(args) -> int:
    from .registry import DEFAULT_METHOD, methods

    for record in methods().values():
        text = record.describe()
        print(text.replace(record.name + " ", record.name + "*", 1) if record.name == DEFAULT_METHOD else text)
    print("* the default method (binkit.DEFAULT_METHOD); `--param KEY=VALUE` sets a parameter")
    return 0


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    """A warning as the command line shows it: ``binkit: warning: FILE: ...`` (no source line)."""
    return f"binkit: warning: {shown(message)}\n"


def _finite_or_none(value):
    """JSON has no NaN or infinity: None (null) for an undefined or infinite measure."""
    import math

    value = float(value)
    return value if math.isfinite(value) else None


def _write_results(path, write, what: str) -> None:
    """Write a results file atomically (never half a file), creating its folder; InputError if impossible."""
    from .io import atomic_write

    out = Path(path)
    if out.is_dir():
        raise InputError(f"{out}: {what} is a folder; name a file")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out}: cannot write here ({exc.strerror or exc})") from None
    atomic_write(out, write)


def _evaluate(args) -> int:
    import csv
    import io
    import json
    import warnings

    import numpy as np

    from .batch import evaluate_folders
    from .metrics import MEASURES
    from .plot import metrics_table

    for option, value in (("--csv", args.csv), ("--json", args.json)):
        if value is not None and not str(value).strip():
            raise InputError(f"{option} is empty; name the file to write")
    original = warnings.formatwarning
    warnings.formatwarning = _one_line_warning  # e.g. read_gt's grey-GT warning: one line, no source
    try:
        rows, problems = evaluate_folders(args.pred, args.gt, weights_dir=args.weights,
                                          progress=not args.no_progress)
    finally:
        warnings.formatwarning = original
    keys = tuple(MEASURES)
    means = {k: float(np.mean([r[k] for r in rows])) for k in keys} if rows else {}
    # names as text any UTF-8 file or terminal takes: a file name that is not UTF-8 gets \xNN escapes
    rows = [{**r, "image": shown(r["image"])} for r in rows]
    problems = [(shown(item), shown(reason)) for item, reason in problems]
    if rows:
        table = [(r["image"], r) for r in rows]
        table.append((f"mean of {len(rows)}", means))
        print(metrics_table(table, keys=("fm", "fps", "psnr", "drd", "nrm", "mpm"), label="image"))
    if args.csv and rows:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(("image",) + keys)
        writer.writerows([r["image"], *(repr(float(r[k])) for k in keys)] for r in rows)
        _write_results(args.csv, lambda fh: fh.write(text.getvalue().encode()), "--csv")
        print(f"per-image results: {args.csv}")
    if args.json:
        record = {
            "pred": shown(args.pred),
            "gt": shown(args.gt),
            "weights": None if args.weights is None else shown(args.weights),
            "measures": list(keys),
            "images": [{"image": r["image"], **{k: _finite_or_none(r[k]) for k in keys}} for r in rows],
            "mean": {"n": len(rows), **{k: _finite_or_none(v) for k, v in means.items()}},
            "problems": [{"file": item, "reason": reason} for item, reason in problems],
        }
        text = json.dumps(record, indent=1, allow_nan=False) + "\n"
        _write_results(args.json, lambda fh: fh.write(text.encode()), "--json")
        print(f"results as JSON: {args.json}")
    _report_problems(problems)
    return 2 if problems or not rows else 0


def _fetch_dibco(args) -> int:
    from .datasets import fetch_dibco
    from .datasets.dibco import default_dest

    dest = args.dest or default_dest()
    report = fetch_dibco(args.years, dest, force=args.force)
    line = f"DIBCO in {dest}: fetched {report.fetched or 'no year'}"
    if report.skipped:
        line += f", already there {report.skipped} (--force fetches again)"
    print(line)
    return 0


def _synthetic(args) -> int:
    from ._checks import check_int
    from .datasets.locations import user_data_dir

    if args.count is not None:
        check_int("--count", args.count, minimum=1)
    if args.hard:
        from .datasets.hard import HARD_SET_SIZE, write_hard_set

        count = HARD_SET_SIZE if args.count is None else args.count
        dest = args.dest or user_data_dir() / "synthetic_hard"
        write_hard_set(dest, seeds=range(count))
        print(f"wrote {count} hard synthetic pages (borders, gutter, facing page, corner, ruler/card) to {dest}")
        return 0
    from .datasets.synthetic import write_synthetic_set

    count = 8 if args.count is None else args.count
    dest = args.dest or user_data_dir() / "synthetic"
    write_synthetic_set(dest, seeds=range(count))
    print(f"wrote {count} synthetic pages to {dest}")
    return 0


def _train_config(args, defaults: dict | None = None):
    """TrainConfig from the protocol options; options left out take ``defaults``, then TrainConfig's."""
    from .train import TrainConfig

    given = {name: getattr(args, name) for name in ("epochs", "blocks_per_epoch", "batch_size", "val_every",
                                                    "val_blocks", "lr", "lr_decay", "seed")
             if getattr(args, name, None) is not None}
    return TrainConfig(**{**(defaults or {}), **given}, device=args.device, progress=not args.no_progress)


#: ``binkit train gridlstm --recipe general``: binkit's departures from the paper for a
#: model meant for scans unlike DIBCO's (the bare command keeps the paper's protocol).
GENERAL_RECIPE = {"augment": 2, "mix_synthetic": 48, "mixed_share": 0.3, "val_synthetic": 8, "lr_decay": "cosine"}


def _train(args) -> int:
    if args.model == "hybrid":
        only = [f"--{n.replace('_', '-')}" for n in ("augment", "mix_synthetic", "mixed_share", "val_synthetic")
                if getattr(args, n) is not None]
        if only:
            raise InputError(f"{', '.join(only)}: gridlstm only, not for the hybrid")
        return _train_hybrid(args)
    if args.layout is not None:
        raise InputError("--layout: hybrid only, not for gridlstm")
    from .gridlstm.run import RunSpec, run

    recipe = GENERAL_RECIPE if args.recipe == "general" else {}
    cfg = _train_config(args, {k: v for k, v in recipe.items() if k == "lr_decay"})
    mix = {k: v for k, v in recipe.items() if k in ("augment", "mix_synthetic", "mixed_share", "val_synthetic")}
    for name in mix.keys() | {"augment", "mix_synthetic", "mixed_share", "val_synthetic"}:
        if getattr(args, name) is not None:
            mix[name] = getattr(args, name)
    spec = RunSpec(
        footprint=args.footprint,
        scale=args.scale,
        units_per_pixel=args.units_per_pixel,
        loss=args.loss,
        reference_layout=args.reference_layout,
        **{k: getattr(args, k) for k in ("train", "val", "test") if getattr(args, k) is not None},
        data=args.data,
        synthetic=args.synthetic,
        train_cfg=cfg,
        **mix,
    )
    summary = run(spec, args.out)
    if summary:
        test = summary.get("test")
        line = f"done: {summary['epochs_done']} epochs, best val error {summary['best_val_error']:.4f}"
        if test:
            line += " | test " + _scores(test, ("fm", "fps", "psnr", "drd"))
        print(line)
    return 0


def _train_hybrid(args) -> int:
    from .hybrid.model import AdjusterConfig
    from .hybrid.run import HYBRID_TRAIN, HybridRunSpec, run

    given = {k: getattr(args, k) for k in ("train", "val", "test") if getattr(args, k) is not None}
    config = AdjusterConfig(layout=args.layout) if args.layout else AdjusterConfig()
    spec = HybridRunSpec.recipe(args.recipe, **given, data=args.data, synthetic=args.synthetic, config=config,
                                train_cfg=_train_config(args, HYBRID_TRAIN))
    summary = run(spec, args.out)
    if summary:
        line = f"done: {summary['epochs_done']} epochs, best val error {summary['best_val_error']:.4f}"
        for method, s in summary.get("test", {}).items():
            line += f" | {method}: {_scores(s, ('fm', 'nrm'))}"
        print(line)
    return 0


def _experiments(args) -> int:
    from .gridlstm.experiments import run_experiments
    from .results import format_table, mean_table

    rows = run_experiments(args.out, args.configs, args.test_years, train_cfg=_train_config(args),
                           data=args.data, synthetic=args.synthetic)
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
    """The training protocol's options; left out, each model's own protocol applies."""
    p.add_argument("--epochs", type=int, default=None, help="gridlstm: 201 (the paper); hybrid: 1000")
    p.add_argument("--blocks-per-epoch", type=int, default=None,
                   help="training samples per epoch: gridlstm 2048 blocks of 64x64; hybrid 64 tiles or pages")
    p.add_argument("--batch-size", type=int, default=None, help="gridlstm 32, hybrid 8")
    p.add_argument("--val-every", type=int, default=None, help="validate every k epochs (10)")
    p.add_argument("--val-blocks", type=int, default=None, help="validation sample size: gridlstm 2048, hybrid 256")
    p.add_argument("--lr", type=float, default=None, help="Adam learning rate: 1e-3")
    p.add_argument("--lr-decay", default=None, choices=["none", "cosine"],
                   help="none (the paper: constant) or cosine (falls to 5%% of --lr by the last epoch)")
    p.add_argument("--seed", type=int, default=None, help="42")
    p.add_argument("--device", default=None,
                   help="cpu, cuda, cuda:N, mps (default: $BINKIT_DEVICE, else the best available); under "
                        "torchrun: cuda, one GPU per process (choose them with CUDA_VISIBLE_DEVICES)")
    p.add_argument("--no-progress", action="store_true")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="binkit", description="Document image binarization kit.")
    parser.add_argument("--version", action="version", version=f"binkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "binarize",
        help="binarize scans (files, folders, globs) into 0/255 PNGs",
        description="Binarize scans into OUT_DIR/<name>.png (0 = ink, 255 = page). Outputs that exist are "
        "skipped unless --overwrite, so an interrupted batch resumes; a path taken by anything binkit did not "
        "write (a folder, a link, another file) is reported and never replaced. Bad files are reported (exit "
        "code 2) and the good ones are still written. Example: binkit binarize scans/ 'more/*.tif' -o out "
        "--method sauvola",
    )
    p.add_argument("inputs", nargs="+", metavar="IN", help="image files, folders of images, or glob patterns")
    p.add_argument("-o", "--out-dir", required=True, help="output folder (created if missing)")
    p.add_argument("--method", default=None, type=str.lower,
                   help="a name from `binkit methods` (default: gridlstm, binkit.DEFAULT_METHOD)")
    p.add_argument("--device", default=None,
                   help="cpu, cuda, cuda:N or mps, for gridlstm/hybrid (default: $BINKIT_DEVICE, else the best available)")
    p.add_argument("--param", action="append", metavar="KEY=VALUE", help="method parameter, e.g. --param window=31 "
                   "--param k=0.2 (repeatable)")
    p.add_argument("--overwrite", action="store_true", help="redo outputs binkit wrote earlier (their recorded "
                   "method and parameters say so); other files are never replaced")
    p.add_argument("--workers", type=int, default=None, help="processes for the classical methods (default: cores)")
    p.add_argument("--format", default="png", choices=["png", "png1", "tif"],
                   help="png: 8-bit 0/255 (default, what the DIBCO tool reads); png1: 1-bit PNG; tif: 1-bit "
                   "CCITT-G4 TIFF for archives. The scan's DPI is kept")
    p.add_argument("--shard", default=None, metavar="K/N",
                   help="do only the K-th of N equal slices of the sorted inputs (N machines, K = 1..N; "
                   "e.g. a SLURM array: --shard $((SLURM_ARRAY_TASK_ID+1))/$SLURM_ARRAY_TASK_COUNT)")
    p.add_argument("--max-pixels", default=None, metavar="N",
                   help="refuse pages larger than N pixels (default 150000000, or $BINKIT_MAX_PIXELS); "
                   "checked before a file is decoded")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_binarize)

    p = sub.add_parser("methods", help="list every binarization method with its summary and parameters",
                       description="List the methods `binkit binarize --method` and binkit.binarize() take, "
                       "each with a one-line summary and its parameters (defaults shown); * marks the default.")
    p.set_defaults(func=_methods)

    p = sub.add_parser(
        "evaluate",
        help="score a folder of binarizations against a folder of ground truth (DIBCO measures)",
        description="Match --pred and --gt files by name (GT may carry a suffix such as _gt or _GT), print each "
        "image's FM, Fps, PSNR, DRD, NRM, MPM and the means. Pseudo-F weights are computed from each GT, or read "
        "from the organisers' <gt>_RWeights.dat / <gt>_PWeights.dat files in --weights. Predictions must be binary: "
        "1-bit, or only 0 (ink) and 255 (page); GT follows the DIBCO rule (only exact 0 is ink). A file that is "
        "neither (grey levels, 0/60, 0/1), or weights no DIBCO generator makes, is reported and not scored "
        "(exit code 2).",
    )
    p.add_argument("--pred", required=True, help="folder of binarized images (0 = ink, 255 = page)")
    p.add_argument("--gt", required=True, help="folder of ground-truth images (0 = ink, 255 = page)")
    p.add_argument("--csv", default=None, help="also write the per-image measures to this CSV file")
    p.add_argument("--json", default=None, metavar="FILE",
                   help="also write the per-image measures, their means and the refused files to this JSON file "
                   "(keys of binkit.metrics.MEASURES; null where a measure is NaN or infinite)")
    p.add_argument("--weights", default=None, help="folder of DIBCO .dat weight files (default: compute them)")
    p.add_argument("--max-pixels", default=None, metavar="N",
                   help="refuse pages larger than N pixels (default 150000000, or $BINKIT_MAX_PIXELS); "
                   "checked before a file is decoded")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_evaluate)

    p = sub.add_parser("fetch-dibco", help="download official DIBCO archives into binkit's layout")
    p.add_argument("years", nargs="+", type=int, metavar="YEAR")
    p.add_argument("--dest", default=None, help="root folder (default: $BINKIT_DIBCO_ROOT, else the user data "
                   "folder's dibco/, ~/.local/share/binkit/dibco, where binkit looks without a setting)")
    p.add_argument("--force", action="store_true", help="download again even if the year is present")
    p.set_defaults(func=_fetch_dibco)

    p = sub.add_parser(
        "train",
        help="train a model with the paper's protocol (resumes an unfinished run in --out)",
        description="Train a model. Example: binkit train gridlstm --footprint 4 --scale 2 --loss dynamic "
        "--train 2009 2010 2012 2013 2014 --val 2011 --test 2016 --epochs 201 --out runs/f4-sf2-dyn",
    )
    p.add_argument("model", choices=["gridlstm", "hybrid"])
    p.add_argument("--footprint", type=int, default=4, help="gridlstm only")
    p.add_argument("--scale", type=int, default=2, help="gridlstm only")
    p.add_argument("--units-per-pixel", type=int, default=None, help="gridlstm only: default 5, or 20 for footprint 2")
    p.add_argument("--loss", default="dynamic", help="gridlstm only: dynamic, bce, or static<w> (static2, static0.5)")
    p.add_argument("--reference-layout", action="store_true",
                   help="gridlstm only: dynamic loss with the original code's scrambled weights")
    p.add_argument("--train", type=int, nargs="+", default=None, metavar="YEAR",
                   help="training years (default: the recipe's; paper: 2009 2010 2012 2013 2014)")
    p.add_argument("--val", type=int, nargs="+", default=None, metavar="YEAR", help="validation years (2011)")
    p.add_argument("--test", type=int, nargs="*", default=None, metavar="YEAR",
                   help="test years (paper: 2016; hybrid general: none)")
    p.add_argument("--data", default=None, help="DIBCO root (default: $BINKIT_DIBCO_ROOT)")
    p.add_argument("--synthetic", action="store_true", help="treat --train/--val/--test as synthetic page seeds")
    p.add_argument("--recipe", default="paper", choices=["paper", "general"],
                   help="paper (the default: the paper's protocol as it is) or general (binkit's recipe for scans "
                   "unlike DIBCO's; gridlstm: " + ", ".join(f"{k}={v}" for k, v in GENERAL_RECIPE.items())
                   + "; hybrid: every DIBCO year and 48 synthetic hard pages, binkit.hybrid.run.HYBRID_RECIPES); "
                   "the options below override it")
    p.add_argument("--layout", default=None, choices=["histogram", "paper"],
                   help="hybrid only: the adjuster's input, the (b, t) histogram (default) or the paper's "
                   "6-channel 512x512 patch")
    p.add_argument("--augment", type=int, default=None, metavar="N",
                   help="gridlstm only: N randomly altered copies of every training page (brightness, contrast, "
                   "gamma, blur, noise, JPEG, scale)")
    p.add_argument("--mix-synthetic", type=int, default=None, metavar="N",
                   help="gridlstm only: add N synthetic hard pages (borders, gutters, ...; exact GT) to the training pages")
    p.add_argument("--mixed-share", type=float, default=None, metavar="R",
                   help="gridlstm only: share of every epoch's training blocks drawn from the synthetic pages")
    p.add_argument("--val-synthetic", type=int, default=None, metavar="N",
                   help="gridlstm only: add N synthetic pages to the validation pages")
    _add_protocol_options(p)
    p.add_argument("--out", required=True, help="run folder: checkpoints, logs, results")
    p.set_defaults(func=_train)

    from .gridlstm.configs import EXPERIMENT_YEARS, TABLE_III

    p = sub.add_parser(
        "experiments",
        help="run the paper's Table III matrix (skips finished runs, resumes unfinished ones)",
        description="Train and test Table III's configurations on the paper's folds, one run folder per "
        "(configuration, test year) under --out, then write --out/results.csv. Example: binkit experiments "
        "--configs f4-sf2-Ldyn f4-sf2-L --test-years 2016 --out runs/experiments",
    )
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
    p.add_argument("run", help="run folder written by `binkit train gridlstm` or `binkit train hybrid`")
    p.add_argument("--name", required=True, help="e.g. f4-sf2-dyn")
    p.add_argument("--data", default=None, help="DIBCO root (default: $BINKIT_DIBCO_ROOT)")
    p.add_argument("--test", type=int, nargs="+", default=[2016], metavar="YEAR")
    p.add_argument("--command", default=None, help="the training command, if the run's log lacks it")
    p.add_argument("--dest", default=None, help="weights folder (default: inside the package)")
    p.add_argument("--hard", default=None, metavar="DIR",
                   help="also score a hard-page set (e.g. data/synthetic_hard), with Wolf and the paper-fold "
                        "Grid LSTM beside it, and the border/gutter area labelled ink")
    p.add_argument("--checkpoint", choices=["best", "last"], default="best",
                   help="best: lowest validation error (best.pt, the paper's rule); last: the last epoch "
                        "(latest.pt), for a run whose learning rate decays to its end")
    p.set_defaults(func=_export_weights)

    p = sub.add_parser("synthetic", help="write synthetic degraded pages with ground truth")
    p.add_argument("--dest", default=None, help="folder (default: the user data folder's synthetic/, "
                   "~/.local/share/binkit/synthetic, where load_synthetic() looks)")
    p.add_argument("--count", type=int, default=None, help="pages, seeds 0 .. count-1 (default 8; 36 with --hard)")
    p.add_argument("--hard", action="store_true",
                   help="hard pages: scanner borders, gutter shadow, facing page, torn/curled corner, "
                   "ruler/colour card, lower resolution (binkit.datasets.hard); default --dest: the user "
                   "data folder's synthetic_hard/")
    p.set_defaults(func=_synthetic)
    return parser


def _escape_names(error: UnicodeEncodeError):
    """Codec error handler: what a stream cannot encode, as :func:`binkit._errors.shown` writes it."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return shown(error.object[error.start:error.end]).encode("ascii", "backslashreplace").decode(), error.end


codecs.register_error("binkit.shown", _escape_names)


def _names_never_fail_printing():
    """Make stdout and stderr write what they cannot encode as escapes; return how to put them back.

    A file name that is not valid UTF-8 reaches Python as surrogate escapes,
    which a strict UTF-8 stdout refuses: the report of a finished batch (or
    evaluate's table, before its --json) would end in a UnicodeEncodeError.
    """
    saved = []
    for stream in (sys.stdout, sys.stderr):
        errors = getattr(stream, "errors", None)
        if errors in (None, "binkit.shown") or not hasattr(stream, "reconfigure"):
            continue
        try:
            stream.reconfigure(errors="binkit.shown")
            saved.append((stream, errors))
        except (ValueError, OSError):  # not a text stream we may reconfigure
            pass

    def restore():
        for stream, errors in saved:
            try:
                stream.reconfigure(errors=errors)
            except (ValueError, OSError):
                pass

    return restore


def main(argv=None) -> int:
    from .datasets.fetch.errors import DownloadError

    args = build_parser().parse_args(argv)
    saved_limit = os.environ.get("BINKIT_MAX_PIXELS")
    restore_streams = _names_never_fail_printing()
    try:
        if getattr(args, "max_pixels", None) is not None:
            from .io import max_pixels

            # through the environment, so that worker processes obey it too
            os.environ["BINKIT_MAX_PIXELS"] = args.max_pixels
            max_pixels()  # a bad value is refused here, before any work
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
        if saved_limit is None:
            os.environ.pop("BINKIT_MAX_PIXELS", None)
        else:
            os.environ["BINKIT_MAX_PIXELS"] = saved_limit


if __name__ == "__main__":
    sys.exit(main())
