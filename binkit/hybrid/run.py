"""Training runs of the hybrid method, its shipped weights, and loading them.

``binkit train hybrid --train 2009 2010 2012 2013 2014 --val 2011 --test 2016 --out runs/hybrid``
prepares the pages, trains the surface adjuster with :func:`binkit.train.fit`
(checkpoints, exact resume, progress bar, logs) and scores the test pages.
``binkit export-weights runs/hybrid --name hybrid`` ships the best checkpoint
in ``binkit/hybrid/weights/`` with its provenance and a results table that
compares, measured in the same run, the hybrid, its classical start (the
B-spline ``C0`` and the exact logistic rule), Otsu, Sauvola and the shipped
Grid LSTM.

Training protocol defaults (RECONSTRUCTED, ``docs/hybrid_method.md`` section 7): Adam lr 1e-4,
batch 8, an epoch of as many 512 x 512 crops as there are training pages.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from .._errors import InputError
from ..train import TrainConfig, fit, load_checkpoint
from .adjuster import AdjusterConfig, SurfaceAdjuster
from .training import HybridTask, binarize, prepare_page

__all__ = ["HYBRID_TRAIN", "WEIGHTS_DIR", "HybridRunSpec", "run", "model_from_checkpoint", "export_run",
           "available_pretrained", "load_pretrained", "pretrained_info", "pretrained_results"]

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"

#: The spec's training protocol (epochs are what a run can afford: the paper showed 1000-2000).
HYBRID_TRAIN = dict(epochs=1000, blocks_per_epoch=64, batch_size=8, val_every=10, val_blocks=32, lr=1e-4)


@dataclass
class HybridRunSpec:
    """Data and settings of one hybrid training run."""

    train: list = field(default_factory=lambda: [2009, 2010, 2012, 2013, 2014])
    val: list = field(default_factory=lambda: [2011])
    test: list = field(default_factory=lambda: [2016])
    data: str | None = None
    synthetic: bool = False
    synthetic_size: tuple = (640, 800)
    config: AdjusterConfig = field(default_factory=AdjusterConfig)
    train_cfg: TrainConfig = field(default_factory=lambda: TrainConfig(**HYBRID_TRAIN))


def _prepared(spec: HybridRunSpec, split: str):
    from ..datasets import load_split

    ids = {"train": spec.train, "val": spec.val, "test": spec.test}[split]
    return [prepare_page(name, image, gt, spec.config.n)
            for name, image, gt in load_split(ids, spec.data, synthetic=spec.synthetic,
                                              synthetic_size=spec.synthetic_size)]


def model_from_checkpoint(path) -> SurfaceAdjuster:
    """Rebuild the adjuster from a checkpoint written by :func:`binkit.train.fit`."""
    ck = load_checkpoint(path)
    task = ck.get("task", {})
    if task.get("model") != "hybrid":
        raise InputError(f"{path}: not a hybrid checkpoint")
    model = SurfaceAdjuster(AdjusterConfig(**task["config"]))
    model.load_state_dict(ck["model"])
    return model.eval()


def run(spec: HybridRunSpec, out) -> dict:
    """Train (or resume, or skip if finished), then score the test pages: hybrid vs its classical start."""
    out = Path(out)
    summary_path = out / "summary.json"
    if summary_path.is_file():
        done = json.loads(summary_path.read_text())
        if done.get("epochs_done", 0) >= spec.train_cfg.epochs:
            return done
    task = HybridTask({"train": _prepared(spec, "train"), "val": _prepared(spec, "val")}, spec.config)
    result = fit(task, spec.train_cfg, out)
    summary = {"epochs_done": result.epochs_done, "best_epoch": result.best_epoch,
               "best_val_error": result.best_val_error, "task": task.describe()}
    if spec.test:
        from ..results import mean_table, score_methods, write_results_csv

        model = model_from_checkpoint(out / "best.pt")
        pages = [(p.name, p.image, p.gt) for p in _prepared(spec, "test")]
        rows, _ = score_methods(pages, {"hybrid": lambda im: binarize(im, model),
                                        "hybrid-start": lambda im: binarize(im, None)})
        write_results_csv(out / "results.csv", rows)
        summary["test"] = {r["config"]: {k: r[k] for k in ("fm", "fps", "psnr", "drd", "nrm")}
                           for r in mean_table(rows, by=("config",), metrics=("fm", "fps", "psnr", "drd", "nrm"))}
    tmp = summary_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(summary, indent=2, default=str))
    tmp.replace(summary_path)
    return summary


# ---------------------------------------------------------------------------
# shipped weights


def available_pretrained() -> list[str]:
    """Names of the shipped hybrid adjusters (e.g. ``["hybrid"]``)."""
    return sorted(p.stem for p in WEIGHTS_DIR.glob("*.pt"))


def pretrained_info(name: str = "hybrid") -> dict:
    """The provenance record of a shipped adjuster."""
    path = WEIGHTS_DIR / f"{name}.json"
    if not path.is_file():
        raise InputError(f"no shipped hybrid weights named {name!r} (available: {available_pretrained()})")
    return json.loads(path.read_text())


def pretrained_results(name: str = "hybrid") -> list[dict]:
    """Per-image test results of the shipped adjuster and the methods measured beside it."""
    from ..results import read_results_csv

    path = WEIGHTS_DIR / f"{name}.results.csv"
    if not path.is_file():
        raise InputError(f"no results for shipped hybrid weights named {name!r}")
    return read_results_csv(path)


def load_pretrained(name: str = "hybrid", device=None, folder=None) -> SurfaceAdjuster:
    """Load a shipped surface adjuster (float16 on disk, float32 in memory), in eval mode."""
    path = Path(folder or WEIGHTS_DIR) / f"{name}.pt"
    if not path.is_file():
        raise InputError(f"no shipped hybrid weights named {name!r} (available: {available_pretrained()})")
    blob = torch.load(path, map_location="cpu", weights_only=True)
    model = SurfaceAdjuster(AdjusterConfig(**blob["config"]))
    model.load_state_dict({k: (v.float() if v.is_floating_point() else v) for k, v in blob["state_dict"].items()})
    return model.to(device or "cpu").eval()


def export_run(run_dir, name: str = "hybrid", *, data=None, test_years=(2016,), command: str | None = None,
               dest=None) -> dict:
    """Ship a run's best checkpoint with provenance, scored against the classical start and the baselines.

    The scores are those of the rounded (float16) weights as shipped.  The
    results table (``<name>.results.csv``) holds, per test page: ``hybrid``,
    ``hybrid-start`` (the B-spline of the classical surface, i.e. the
    untrained adjuster), ``logistic`` (the exact classical rule), ``otsu``,
    ``sauvola``, and the shipped Grid LSTM when there is one.
    """
    import platform

    from ..classical import otsu, sauvola
    from ..datasets import dibco_root, load_dibco
    from ..gridlstm.pretrained import _git_commit, data_fingerprint
    from ..results import mean_table, score_methods, write_results_csv
    from .classical import classical

    run_dir = Path(run_dir)
    log = json.loads((run_dir / "log.json").read_text())
    ck = load_checkpoint(run_dir / "best.pt")
    task = ck.get("task", {})
    if task.get("model") != "hybrid":
        raise InputError(f"{run_dir / 'best.pt'}: not a hybrid checkpoint")
    dest = Path(dest) if dest is not None else WEIGHTS_DIR
    dest.mkdir(parents=True, exist_ok=True)
    blob = {"config": task["config"],
            "state_dict": {k: (v.half() if v.is_floating_point() else v) for k, v in ck["model"].items()}}
    torch.save(blob, dest / f"{name}.pt")
    model = load_pretrained(name, folder=dest)

    pages = load_dibco(data, list(test_years))
    methods = {"hybrid": lambda im: binarize(im, model), "hybrid-start": lambda im: binarize(im, None),
               "logistic": classical, "otsu": otsu, "sauvola": sauvola}
    from ..gridlstm.pretrained import available_pretrained as gridlstm_available

    if "f4-sf2-dyn" in gridlstm_available():
        from ..gridlstm.inference import binarize as gridlstm_binarize
        from ..gridlstm.pretrained import load_pretrained as load_gridlstm

        grid = load_gridlstm("f4-sf2-dyn")
        methods["gridlstm"] = lambda im: gridlstm_binarize(im, grid)
    rows, speed = score_methods(pages, methods)
    write_results_csv(dest / f"{name}.results.csv", rows)
    keys = ("fm", "fps", "psnr", "drd", "nrm", "mpm")
    history = log.get("history", [])
    record = {
        "name": name,
        "command": command or log.get("command"),
        "git_commit": _git_commit(),
        "task": task,
        "seed": log.get("config", {}).get("seed"),
        "train_config": log.get("config"),
        "epochs_reached": len(history),
        "epochs_planned": log.get("config", {}).get("epochs"),
        "best_epoch": ck.get("best_epoch"),
        "best_val_error": ck.get("best_val_error"),
        "train_wall_seconds": round(sum(h.get("seconds", 0) for h in history), 1),
        "history": [{k: h.get(k) for k in ("epoch", "loss", "val_error", "seconds")} for h in history],
        "hardware": log.get("hardware"),
        "torch": log.get("torch"),
        "data": data_fingerprint(dibco_root(data),
                                 task.get("train", []) + task.get("val", []) + [p.name for p in pages]),
        "test_years": list(test_years),
        "test_scores_mean": {r["config"]: {k: round(float(r[k]), 4) for k in keys}
                             for r in mean_table(rows, by=("config",), metrics=keys)},
        "seconds_per_mp": {m: round(s, 3) for m, s in speed.items()},
        "evaluated_on": f"{platform.machine()} CPU, torch {torch.__version__}",
        "heights_after_training": {p.name: binarize_heights(model, p.image).round(4).tolist() for p in pages[:1]},
    }
    (dest / f"{name}.json").write_text(json.dumps(record, indent=2, default=str) + "\n")
    return record


def binarize_heights(model: SurfaceAdjuster | None, image) -> np.ndarray:
    """The control-point heights the (trained) adjuster gives a page: ``C0 + mean dZ``."""
    from .training import page_heights

    page = prepare_page("image", image, n=model.config.n if model is not None else 16)
    return page_heights(page, model)
