"""Training runs of the hybrid method: what ``binkit train hybrid`` does.

``binkit train hybrid --train 2009 2010 2012 2013 2014 --val 2011 --test 2016 --out runs/hybrid``
prepares the pages, trains the surface adjuster with :func:`binkit.train.fit`
(checkpoints, exact resume, progress bar, logs) and scores the test pages.
``binkit export-weights runs/hybrid --name hybrid`` (:mod:`binkit.export`)
ships the best checkpoint in ``binkit/hybrid/weights/`` with its provenance
and a results table that compares, measured in the same run, the hybrid, its
classical start (the B-spline ``C0`` and the exact logistic rule), Otsu,
Sauvola and the shipped Grid LSTM.

Training protocol defaults (RECONSTRUCTED, ``docs/hybrid_method.md`` section 7):
Adam lr 1e-4, batch 8, an epoch of 64 random 512 x 512 crops (:data:`HYBRID_TRAIN`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..train import TrainConfig, fit
from .model import AdjusterConfig, SurfaceAdjuster
from .inference import binarize, prepare_page
from .training import HybridTask

__all__ = ["HYBRID_TRAIN", "HybridRunSpec", "run", "model_from_checkpoint"]

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
    from ..weights import from_checkpoint

    return from_checkpoint(path, "hybrid")


def run(spec: HybridRunSpec, out) -> dict:
    """Train (or resume, or skip if finished), then score the test pages: hybrid vs its classical start."""
    out = Path(out)
    summary_path = out / "summary.json"
    if summary_path.is_file():
        done = json.loads(summary_path.read_text())
        if done.get("epochs_done", 0) >= spec.train_cfg.epochs:
            return done
    import torch

    torch.manual_seed(spec.train_cfg.seed)  # the model's initial weights come from the run's seed (a resume loads them)
    task = HybridTask({"train": _prepared(spec, "train"), "val": _prepared(spec, "val")}, spec.config)
    result = fit(task, spec.train_cfg, out)
    summary = {"epochs_done": result.epochs_done, "best_epoch": result.best_epoch,
               "best_val_error": result.best_val_error, "task": task.describe()}
    if spec.test:
        from ..results import mean_table, write_results_csv
        from ..scoring import score_methods

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
